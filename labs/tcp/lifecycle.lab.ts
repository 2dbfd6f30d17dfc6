/**
 * Lab: the life of a TCP connection, from SYN to TIME_WAIT, on real Linux sockets.
 *
 * Starts: two network namespaces, `client` and `server`, joined by one veth link with
 * segmentation offloads off (so the capture shows segments as a wire would carry them);
 * a node:net socket agent in each; tcpdump on the server's interface.
 *
 * Does, one connection per phase:
 *   A. port 7001 — the client's firewall drops the SYN/ACK, freezing the handshake half-way,
 *      so the transient states can be sampled; then the rule is lifted and the handshake completes.
 *   B. port 7000 — a clean connection: handshake, three writes (1000, 3000, 10 bytes) that the
 *      server leaves unread until all have arrived, then a close in which the server's application
 *      waits a second before closing its side.
 *   C. port 7002 — the same close, five times, but the server closes at once when it sees the FIN.
 *   D. port 7003 — one connection with TCP timestamps switched off in the client.
 *
 * Observes: the capture decoded by tshark (flags, raw sequence and ack numbers, header lengths,
 * options), socket states and timers from `ss -tanoi` in each namespace, the sizes of reads.
 *
 * Verdicts follow from comparing those observations with the sheet, claim by claim, in the
 * pure `judge*` functions below.
 */
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Packet, SocketSample } from '../../src/core/types.ts';
import { recordSysctls, toolVersion } from '../../src/observers/environment.ts';
import { SocketSampler } from '../../src/observers/socket-sampler.ts';
import { decodeTcp } from '../../src/observers/tshark.ts';
import { notObserved } from '../../src/core/verdict.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { exec } from '../../src/resources/process.ts';
import { startSocketAgents } from '../../src/resources/socket-agent.ts';
import { sleep } from '../../src/resources/cancel.ts';

export const PORTS = { clean: 7000, frozen: 7001, quickClose: 7002, noTimestamps: 7003 } as const;
/** Connections the server closes at once: whether its FIN carries the ACK varies from one to the next. */
const QUICK_CLOSES = 5;
export const WRITES = [1000, 3000, 10];
const CLOSE_WAIT_HOLD_MS = 1000;

const has = (p: Packet, ...flags: string[]) => flags.every((f) => p.flags.includes(f));
const only = (p: Packet, ...flags: string[]) => has(p, ...flags) && p.flags.length === flags.length;
const onPort = (packets: Packet[], port: number) => packets.filter((p) => p.srcPort === port || p.dstPort === port);
const describe = (p: Packet) => `${p.flags.join('/')} seq=${p.seq} ack=${p.ack} len=${p.len}`;

export function judgeThreeWay(packets: Packet[], endpoints: Record<string, string>, pcap?: string): ClaimResult {
  const syn = packets.find((p) => only(p, 'SYN'));
  const synAck = packets.find((p) => only(p, 'SYN', 'ACK'));
  const ack = syn && synAck && packets.find((p) => p.frame > synAck.frame && p.src === syn.src && has(p, 'ACK'));
  const base = { id: 'tcp.handshake.three-way', evidence: [{ kind: 'packets' as const, title: 'Handshake on port 7000', endpoints, packets: packets.slice(0, 3), pcap }] };
  if (!syn || !synAck || !ack) {
    const missing = !syn ? 'SYN' : !synAck ? 'SYN/ACK' : 'final ACK';
    return notObserved('tcp.handshake.three-way', { en: `The capture holds no ${missing} of the handshake, so the SYN, SYN/ACK, ACK numbers cannot be compared.`, zh: `抓包中没有握手的 ${missing}，无法核对 SYN、SYN/ACK、ACK 的序号。` }, { segments: packets.slice(0, 3).map(describe) });
  }
  const x = syn.seq;
  const y = synAck.seq;
  const observed = { x, y, synAckAck: synAck.ack, ackSeq: ack.seq, ackAck: ack.ack, segments: [syn, synAck, ack].map(describe) };
  const holds = synAck.ack === x + 1 && ack.seq === x + 1 && ack.ack === y + 1;
  return {
    ...base,
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `SYN seq=x=${x}, SYN/ACK seq=y=${y} ack=x+1=${synAck.ack}, ACK seq=x+1 ack=y+1=${ack.ack}, as the sheet says.`
      : `The numbers differ from the sheet: ${observed.segments.join('; ')}.`,
    summaryZh: holds
      ? `SYN seq=x=${x}，SYN/ACK seq=y=${y} ack=x+1=${synAck.ack}，ACK seq=x+1 ack=y+1=${ack.ack}，与学习资料所述一致。`
      : `序号与学习资料所述不符：${observed.segments.join('; ')}。`,
    observed,
  };
}

export function judgeHandshakeStates(samples: SocketSample[]): ClaimResult {
  if (!samples.length) return notObserved('tcp.handshake.states', { en: 'No socket states were sampled during the frozen handshake.', zh: '握手被冻结期间没有采样到任何 socket 状态。' });
  const stateOf = (host: string, note: string) => samples.find((s) => s.host === host && s.note === note)?.sockets.map((s) => s.state).join(',') ?? 'not seen';
  const observed = {
    clientWhileSynAckDropped: stateOf('client', 'SYN-SENT reached'),
    serverWhileSynAckDropped: stateOf('server', 'SYN-RECV reached'),
    clientAfter: stateOf('client', 'after handshake'),
    serverAfter: stateOf('server', 'after handshake'),
  };
  const holds =
    observed.clientWhileSynAckDropped === 'SYN-SENT' &&
    observed.serverWhileSynAckDropped === 'SYN-RECV' &&
    observed.clientAfter === 'ESTAB' &&
    observed.serverAfter === 'ESTAB';
  return {
    id: 'tcp.handshake.states',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? 'With the SYN/ACK held back, the client sat in SYN-SENT and the server in SYN-RECV (ss spells SYN_RCVD that way); both reached ESTABLISHED (ss: ESTAB) once it passed.'
      : `States seen: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? 'SYN/ACK 被扣住期间，客户端停在 SYN-SENT，服务端停在 SYN-RECV（ss 对 SYN_RCVD 的写法）；放行 SYN/ACK 后，双方都进入 ESTABLISHED（ss 显示为 ESTAB）。'
      : `观察到的状态：${JSON.stringify(observed)}。`,
    observed,
    evidence: [{ kind: 'socket-states', title: 'Port 7001: handshake frozen by dropping the SYN/ACK at the client', samples }],
  };
}

/** The segments of a close, from the first FIN on. */
function closeSegments(packets: Packet[]): Packet[] {
  const first = packets.findIndex((p) => has(p, 'FIN'));
  return first < 0 ? [] : packets.slice(first);
}

/** The packets of each connection, told apart by their pair of ports, in the order the connections began. */
function connections(packets: Packet[]): Packet[][] {
  const byPorts = new Map<string, Packet[]>();
  for (const p of packets) {
    const key = [p.srcPort, p.dstPort].sort((a, b) => a - b).join('-');
    if (!byPorts.has(key)) byPorts.set(key, []);
    byPorts.get(key)!.push(p);
  }
  return [...byPorts.values()];
}

/** Whether the passive side's FIN carried the ACK of the active side's: FIN, FIN+ACK, ACK. */
const finCarriedAck = (close: Packet[]) => close.length === 3 && has(close[1]!, 'FIN', 'ACK');

export function judgeFourWay(delayed: Packet[], immediate: Packet[], endpoints: Record<string, string>, pcap?: string): ClaimResult {
  const close = closeSegments(delayed);
  const quickCloses = connections(immediate).map(closeSegments);
  const combined = quickCloses.filter(finCarriedAck).length;
  const [fin1, ack1, fin2, ack2] = close;
  const evidence = [
    { kind: 'packets' as const, title: 'Port 7000, the whole connection: the server application closes a second after the FIN', endpoints, packets: delayed, pcap },
    { kind: 'packets' as const, title: `Port 7002, ${quickCloses.length} connections: the server application closes at once`, endpoints, packets: immediate, pcap },
  ];
  const observed = {
    delayedClose: close.map(describe),
    immediateCloses: quickCloses.map((c) => c.map(describe)),
    segmentsWhenServerClosesLater: close.length,
    segmentsWhenServerClosesAtOnce: quickCloses.map((c) => c.length),
  };
  const fourWay =
    close.length === 4 &&
    has(fin1!, 'FIN') &&
    only(ack1!, 'ACK') && ack1!.ack === fin1!.seq + 1 &&
    has(fin2!, 'FIN', 'ACK') && fin2!.ack === fin1!.seq + 1 &&
    only(ack2!, 'ACK') && ack2!.seq === fin1!.seq + 1 && ack2!.ack === fin2!.seq + 1;
  if (!fourWay) {
    return { id: 'tcp.close.four-way', verdict: 'refuted', summary: `The close did not follow FIN, ACK, FIN, ACK with the sheet's numbers: ${observed.delayedClose.join('; ')}.`, summaryZh: `关闭过程没有按学习资料给出的序号依次出现 FIN、ACK、FIN、ACK：${observed.delayedClose.join('; ')}。`, observed, evidence };
  }
  if (!quickCloses.length) return { id: 'tcp.close.four-way', verdict: 'unverifiable', summary: 'The capture holds no connection that the server closed at once.', summaryZh: '抓包中没有服务器立即关闭的连接。', observed, evidence };
  return {
    id: 'tcp.close.four-way',
    verdict: combined ? 'nuanced' : 'confirmed',
    summary: combined
      ? `Four segments (FIN seq=x, ACK ack=x+1, FIN seq=w ack=x+1, ACK seq=x+1 ack=w+1) when the passive side's application closes later; when it closed at once, its FIN carried the ACK and the close took three segments in ${combined} of ${quickCloses.length} connections (segments: ${observed.segmentsWhenServerClosesAtOnce.join(', ')}).`
      : `Four segments with the numbers the sheet gives, whether the passive side closed later or at once (${quickCloses.length} connections closed at once, none in three).`,
    summaryZh: combined
      ? `被动关闭方的应用程序稍后才关闭时，关闭过程是四个报文段（FIN seq=x，ACK ack=x+1，FIN seq=w ack=x+1，ACK seq=x+1 ack=w+1）；而当它立即关闭时，在 ${quickCloses.length} 个连接中有 ${combined} 个的 FIN 捎带了 ACK，关闭只用了三个报文段（各连接的报文段数：${observed.segmentsWhenServerClosesAtOnce.join(', ')}）。`
      : `无论被动关闭方稍后关闭还是立即关闭，都是四个报文段，序号与学习资料给出的一致（立即关闭的 ${quickCloses.length} 个连接中没有一个只用三个报文段）。`,
    observed,
    evidence,
  };
}

export function judgeCloseWait(samples: SocketSample[], holdMs: number): ClaimResult {
  const held = samples.filter((s) => s.host === 'server' && s.note === 'application has not closed');
  const after = samples.find((s) => s.host === 'server' && s.note === 'after the application closed');
  const heldStates = held.map((s) => s.sockets.map((x) => x.state).join(',') || 'none');
  const afterState = after?.sockets.map((s) => s.state).join(',') || 'no socket';
  const observed = { holdMs, samplesWhileOpen: held.length, statesWhileOpen: heldStates, stateAfterClose: afterState };
  if (!held.length || !after) {
    const missing = !held.length ? { en: 'while its application kept the socket open', zh: '应用程序保持 socket 打开期间' } : { en: 'after its application closed', zh: '应用程序关闭之后' };
    return notObserved('tcp.close.close-wait', { en: `The server's socket was not sampled ${missing.en}.`, zh: `${missing.zh}没有采样到服务端的 socket。` }, observed);
  }
  const holds = held.length >= 2 && heldStates.every((s) => s === 'CLOSE-WAIT') && !afterState.includes('CLOSE-WAIT');
  return {
    id: 'tcp.close.close-wait',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The server stayed in CLOSE-WAIT in all ${held.length} samples over ${holdMs} ms while its application kept the socket open, and left it (${afterState}) once the application closed.`
      : `CLOSE-WAIT did not last until the application closed: ${heldStates.join(' → ')}, then ${afterState}.`,
    summaryZh: holds
      ? `服务端应用程序保持 socket 打开的 ${holdMs} ms 内，全部 ${held.length} 次采样中服务端都处于 CLOSE-WAIT；应用程序关闭后，服务端随即离开该状态（${afterState}）。`
      : `CLOSE-WAIT 没有一直持续到应用程序关闭：${heldStates.join(' → ')}，随后为 ${afterState}。`,
    observed,
    evidence: [{ kind: 'socket-states', title: 'Port 7000: the passive closer before and after its application closes', samples: samples.filter((s) => s.note.includes('application') || s.note.includes('FIN')) }],
  };
}

export function judgeTimeWait(samples: SocketSample[], finTimeout: string): ClaimResult {
  const waits = samples.filter((s) => s.host === 'client' && s.sockets.some((x) => x.state === 'TIME-WAIT'));
  const timers = waits.map((s) => s.sockets.find((x) => x.state === 'TIME-WAIT')!.timer?.remainingMs ?? -1);
  const first = timers[0] ?? -1;
  const observed = { timerMsAtEntry: first, timerMsLater: timers.slice(1), tcpFinTimeout: finTimeout };
  const evidence = [{ kind: 'socket-states' as const, title: 'Port 7000: the active closer in TIME-WAIT (ss timer)', samples: waits }];
  if (!samples.some((s) => s.host === 'client')) return notObserved('tcp.close.time-wait', { en: 'The active closer\'s socket was never sampled after the close.', zh: '关闭之后从未采样到主动关闭方的 socket。' }, observed);
  if (waits.length && first < 0) return notObserved('tcp.close.time-wait', { en: 'ss showed the active closer in TIME-WAIT but reported no timer, so the wait\'s length is unknown.', zh: 'ss 显示主动关闭方处于 TIME-WAIT，但没有给出定时器，无从得知等待时长。' }, observed);
  if (first < 0) {
    return { id: 'tcp.close.time-wait', verdict: 'refuted', summary: 'The active closer was never seen in TIME-WAIT.', summaryZh: '从未观察到主动关闭方处于 TIME-WAIT。', observed, evidence };
  }
  const seconds = Math.round(first / 1000);
  if (seconds >= 55 && seconds <= 60) {
    return {
      id: 'tcp.close.time-wait',
      verdict: 'nuanced',
      summary: `The active closer entered TIME-WAIT with ${seconds} s on its timer: Linux waits a fixed 60 s in total (TCP_TIMEWAIT_LEN, not tunable; tcp_fin_timeout=${finTimeout} governs FIN-WAIT-2). That is 2MSL only if MSL is 30 s; with the sheet's "MSL usually 60 s" it would be 120 s.`,
      summaryZh: `主动关闭方进入 TIME-WAIT 时定时器为 ${seconds} s：Linux 总共固定等待 60 s（TCP_TIMEWAIT_LEN，不可调；tcp_fin_timeout=${finTimeout} 控制的是 FIN-WAIT-2）。只有 MSL 为 30 s 时这才等于 2MSL；按学习资料所说的“MSL 通常为 60 s”，应为 120 s。`,
      observed,
      evidence,
    };
  }
  return {
    id: 'tcp.close.time-wait',
    verdict: seconds >= 115 && seconds <= 120 ? 'confirmed' : 'refuted',
    summary: `The TIME-WAIT timer started at ${seconds} s.`,
    summaryZh: `TIME-WAIT 定时器的起始值为 ${seconds} s。`,
    observed,
    evidence,
  };
}

export function judgeHeaderLength(withTimestamps: Packet[], withoutTimestamps: Packet[]): ClaimResult {
  const all = [...withTimestamps, ...withoutTimestamps];
  const syn = withTimestamps.find((p) => only(p, 'SYN'));
  const data = withTimestamps.find((p) => p.len > 0);
  const plainData = withoutTimestamps.find((p) => p.len > 0);
  const lengths = all.map((p) => p.tcpHeaderLength);
  const observed = {
    synHeaderBytes: syn?.tcpHeaderLength,
    synOptions: syn?.options,
    dataHeaderBytes: data?.tcpHeaderLength,
    dataOptions: data?.options,
    dataHeaderBytesWithoutTimestamps: plainData?.tcpHeaderLength,
    min: Math.min(...lengths),
    max: Math.max(...lengths),
    optionBytes: [...new Set(lengths.map((l) => l - 20))].sort((a, b) => a - b),
  };
  const evidence = [
    { kind: 'table' as const, title: 'Header length per segment type', columns: ['segment', 'header bytes', 'option bytes', 'options'], rows: [
      ['SYN (defaults)', syn?.tcpHeaderLength ?? '-', (syn?.tcpHeaderLength ?? 20) - 20, syn?.options.join(' ') ?? ''],
      ['data (defaults)', data?.tcpHeaderLength ?? '-', (data?.tcpHeaderLength ?? 20) - 20, data?.options.join(' ') ?? ''],
      ['data (tcp_timestamps=0)', plainData?.tcpHeaderLength ?? '-', (plainData?.tcpHeaderLength ?? 20) - 20, plainData?.options.join(' ') ?? ''],
    ] },
  ];
  const inRange = lengths.every((l) => l >= 20 && l <= 60 && l % 4 === 0);
  if (!inRange) {
    return { id: 'tcp.header.length', verdict: 'refuted', summary: `Header lengths outside 20-60 bytes or not whole words: ${lengths.join(', ')}.`, summaryZh: `首部长度超出 20-60 字节，或不是 4 字节的整数倍：${lengths.join(', ')}。`, observed, evidence };
  }
  if (!syn || !data || !plainData) {
    const missing = [!syn && ['SYN', 'SYN'], !data && ['data segment with default options', '默认选项下的数据报文段'], !plainData && ['data segment with timestamps off', '关闭时间戳后的数据报文段']].filter((m) => m !== false);
    return notObserved('tcp.header.length', { en: `The capture holds no ${missing.map((m) => m[0]).join(', no ')}, so header lengths cannot be compared.`, zh: `抓包中没有${missing.map((m) => m[1]).join('、')}，无法比较首部长度。` }, observed);
  }
  const defaultIs20 = data.tcpHeaderLength === 20;
  return {
    id: 'tcp.header.length',
    verdict: defaultIs20 ? 'confirmed' : 'nuanced',
    summary: defaultIs20
      ? `Every header was 20-60 bytes; data segments carried 20, the SYN ${syn.tcpHeaderLength}.`
      : `Every header was within 20-60 bytes (options 0-40), but 20 is not Linux's default: with tcp_timestamps=1 every data segment carries ${data.tcpHeaderLength} (${data.options.join(' ')}), the SYN ${syn.tcpHeaderLength}; only with timestamps off did data segments carry ${plainData.tcpHeaderLength}.`,
    summaryZh: defaultIs20
      ? `所有首部都在 20-60 字节之间；数据报文段的首部为 20 字节，SYN 为 ${syn.tcpHeaderLength} 字节。`
      : `所有首部都在 20-60 字节之间（选项 0-40 字节），但 20 字节并不是 Linux 的默认值：tcp_timestamps=1 时，每个数据报文段的首部为 ${data.tcpHeaderLength} 字节（${data.options.join(' ')}），SYN 为 ${syn.tcpHeaderLength} 字节；只有关闭时间戳后，数据报文段的首部才是 ${plainData.tcpHeaderLength} 字节。`,
    observed,
    evidence,
  };
}

export function judgeNoBoundaries(writes: number[], reads: number[], packets: Packet[]): ClaimResult {
  const data = packets.filter((p) => p.len > 0);
  const segments = data.map((p) => p.len);
  const lengthFromIp = data.every((p) => p.len === p.ipTotalLength - p.ipHeaderLength - p.tcpHeaderLength);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const observed = { writes, reads, segments, bytesWritten: sum(writes), bytesRead: sum(reads), payloadLengthDerivedFromIpTotalLength: lengthFromIp };
  const evidence = [{ kind: 'table' as const, title: 'Writes, segments and reads on port 7000', columns: ['what', 'sizes in bytes'], rows: [['writes', writes.join(', ')], ['segments on the wire', segments.join(', ')], ['reads', reads.join(', ')]] }];
  const sameBoundaries = reads.length === writes.length && reads.every((r, i) => r === writes[i]);
  const holds = !sameBoundaries && sum(reads) === sum(writes) && lengthFromIp;
  return {
    id: 'tcp.stream.no-boundaries',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `Writes of ${writes.join(', ')} bytes travelled as segments of ${segments.join(', ')} and were read as ${reads.join(', ')}: the same ${sum(reads)} bytes, none of the boundaries. Each segment's payload length is the IP total length minus both headers; TCP carries no length of its own.`
      : `The boundaries survived or bytes went missing: writes ${writes.join(', ')}, reads ${reads.join(', ')}.`,
    summaryZh: holds
      ? `分别写入 ${writes.join(', ')} 字节，在线路上以 ${segments.join(', ')} 字节的报文段传输，读取时则是 ${reads.join(', ')} 字节：总共同样是 ${sum(reads)} 字节，但写入时的边界一个也没有保留。每个报文段的载荷长度等于 IP 总长度减去两个首部的长度；TCP 自身不携带长度字段。`
      : `边界被保留了下来，或者有字节丢失：写入 ${writes.join(', ')}，读取 ${reads.join(', ')}。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'tcp-lifecycle',
  title: 'TCP connection lifecycle: handshake, states, close, TIME_WAIT, header length, byte stream',
  topic: 'tcp',
  claims: ['tcp.handshake.three-way', 'tcp.handshake.states', 'tcp.close.four-way', 'tcp.close.close-wait', 'tcp.close.time-wait', 'tcp.header.length', 'tcp.stream.no-boundaries'],
  requires: ['root', 'netns', 'iptables', 'tcpdump', 'tshark', 'ss'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'Two network namespaces (client 198.18.0.1, server 198.18.0.2) on one veth link, a node:net socket agent in each, tcpdump on the server side.',
    does: 'Freezes a handshake by dropping the SYN/ACK; opens a clean connection, writes 1000+3000+10 bytes, closes it with the server closing a second late; closes five others at once; repeats with TCP timestamps off.',
    observes: 'Packets decoded by tshark (flags, raw seq/ack, header length, options), socket states and timers from ss -tanoi, the sizes the server read.',
    zh: {
      title: 'TCP 连接的生命周期：握手、状态、关闭、TIME_WAIT、首部长度、字节流',
      starts: '通过一条 veth 链路相连的两个网络命名空间（client 198.18.0.1，server 198.18.0.2），各运行一个 node:net socket agent；在服务端一侧运行 tcpdump。',
      does: '丢弃 SYN/ACK，让握手卡在中途；建立一条正常连接，依次写入 1000+3000+10 字节后关闭，服务端晚一秒才关闭；另外五条连接则立即关闭；关闭 TCP 时间戳后重复以上步骤。',
      observes: 'tshark 解码出的报文（标志位、原始 seq/ack、首部长度、选项），ss -tanoi 给出的 socket 状态和定时器，以及服务端每次读到的数据大小。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, server: {} },
      links: [{ a: ['client', '198.18.0.1/24'], b: ['server', '198.18.0.2/24'], offload: false }],
    },
  },
  async run(ctx) {
    const { scope, runId } = ctx;
    const net = ctx.hosts;
    const { client: clientHost, server: serverHost } = net;
    const endpoints = { client: clientHost.address, server: serverHost.address };
    ctx.environment.tcpdump = await toolVersion('tcpdump');
    ctx.environment.tshark = await toolVersion('tshark');
    ctx.environment.ss = await toolVersion('ss', ['-V']);
    await recordSysctls(ctx.environment, ['net.ipv4.tcp_timestamps', 'net.ipv4.tcp_sack', 'net.ipv4.tcp_window_scaling', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_congestion_control'], clientHost.netns);

    const capture = await startCapture(scope, runId, { dir: ctx.workDir, name: 'lifecycle', netns: serverHost.netns, iface: 'eth0', filter: 'tcp' });
    const [client, server] = await startSocketAgents(scope, runId, clientHost, serverHost);
    const sampler = new SocketSampler();
    const accepted = (port: number) => server.waitFor((e) => e.event === 'accepted' && e.port === port, 10_000, `connection on ${port}`);

    ctx.step('A: handshake frozen by dropping the SYN/ACK');
    const dropSynAck = ['INPUT', '-p', 'tcp', '--sport', String(PORTS.frozen), '--tcp-flags', 'SYN,ACK', 'SYN,ACK', '-j', 'DROP'];
    await exec('iptables', ['-A', ...dropSynAck], { netns: clientHost.netns });
    await server.request('listen', { port: PORTS.frozen });
    await client.request('connect', { host: serverHost.address, port: PORTS.frozen, conn: 'frozen' });
    await sampler.untilState('client', clientHost.netns, PORTS.frozen, 'SYN-SENT', 3000);
    await sampler.untilState('server', serverHost.netns, PORTS.frozen, 'SYN-RECV', 3000);
    await exec('iptables', ['-D', ...dropSynAck], { netns: clientHost.netns });
    await client.waitFor((e) => e.event === 'connected' && e.conn === 'frozen', 10_000, 'handshake after the SYN/ACK passed');
    await accepted(PORTS.frozen);
    await sampler.take('client', clientHost.netns, PORTS.frozen, 'after handshake');
    await sampler.take('server', serverHost.netns, PORTS.frozen, 'after handshake');
    const handshakeSamples = [...sampler.samples];
    await client.request('destroy', { conn: 'frozen' });

    ctx.step('B: clean connection, three writes, delayed close');
    const lifecycle = new SocketSampler();
    await server.request('listen', { port: PORTS.clean, allowHalfOpen: true, pauseOnConnect: true });
    await client.request('connect', { host: serverHost.address, port: PORTS.clean, conn: 'main' });
    const serverConn = (await accepted(PORTS.clean)).conn!;
    await client.waitFor((e) => e.event === 'connected' && e.conn === 'main', 5000, 'connected');
    for (const bytes of WRITES) await client.request('write', { conn: 'main', bytes });
    const total = WRITES.reduce((a, b) => a + b, 0);
    await lifecycle.until('server', serverHost.netns, PORTS.clean, 'all writes queued, unread', (s) => s.recvQ === total, 3000);
    await server.request('resume', { conn: serverConn });
    const readEvents = () => server.events.filter((e) => e.event === 'data' && e.conn === serverConn);
    await server.waitFor(() => readEvents().reduce((a, e) => a + (e.bytes ?? 0), 0) >= total, 5000, 'all data read');
    const reads = readEvents().map((e) => e.bytes ?? 0);

    await client.request('end', { conn: 'main' });
    await server.waitFor((e) => e.event === 'end' && e.conn === serverConn, 5000, 'FIN at the server');
    await lifecycle.take('client', clientHost.netns, PORTS.clean, 'after sending FIN');
    const holdUntil = performance.now() + CLOSE_WAIT_HOLD_MS;
    while (performance.now() < holdUntil) {
      await lifecycle.take('server', serverHost.netns, PORTS.clean, 'application has not closed');
      await sleep(200);
    }
    await server.request('end', { conn: serverConn });
    await client.waitFor((e) => e.event === 'close' && e.conn === 'main', 5000, 'client socket closed');
    await lifecycle.untilState('client', clientHost.netns, PORTS.clean, 'TIME-WAIT', 3000);
    await lifecycle.take('server', serverHost.netns, PORTS.clean, 'after the application closed');
    await sleep(1000);
    await lifecycle.take('client', clientHost.netns, PORTS.clean, 'TIME-WAIT one second later');

    ctx.step(`C: ${QUICK_CLOSES} closes with the server closing at once`);
    await server.request('listen', { port: PORTS.quickClose });
    // Whether the server's FIN goes out before the kernel has ACKed the client's is a race: tried several times.
    for (let i = 1; i <= QUICK_CLOSES; i++) {
      const conn = `quick${i}`;
      await client.request('connect', { host: serverHost.address, port: PORTS.quickClose, conn });
      await client.waitFor((e) => e.event === 'connected' && e.conn === conn, 5000, 'connected');
      await client.request('end', { conn });
      await client.waitFor((e) => e.event === 'close' && e.conn === conn, 5000, 'quick close');
    }

    ctx.step('D: a connection with TCP timestamps off');
    await exec('sysctl', ['-q', '-w', 'net.ipv4.tcp_timestamps=0'], { netns: clientHost.netns });
    await server.request('listen', { port: PORTS.noTimestamps });
    await client.request('connect', { host: serverHost.address, port: PORTS.noTimestamps, conn: 'plain' });
    const plainConn = (await accepted(PORTS.noTimestamps)).conn!;
    await client.waitFor((e) => e.event === 'connected' && e.conn === 'plain', 5000, 'connected');
    await client.request('write', { conn: 'plain', bytes: 500 });
    await server.waitFor((e) => e.event === 'data' && e.conn === plainConn, 5000, 'data without timestamps');
    await client.request('destroy', { conn: 'plain' });

    ctx.step('decoding the capture');
    await capture.stop();
    const packets = await decodeTcp(capture.file);
    const pcap = ctx.keep(capture.file);
    const clean = onPort(packets, PORTS.clean);
    const finTimeout = ctx.environment['sysctl net.ipv4.tcp_fin_timeout'] ?? 'unknown';
    return [
      judgeThreeWay(clean, endpoints, pcap),
      judgeHandshakeStates(handshakeSamples),
      judgeFourWay(clean, onPort(packets, PORTS.quickClose), endpoints, pcap),
      judgeCloseWait(lifecycle.samples, CLOSE_WAIT_HOLD_MS),
      judgeTimeWait(lifecycle.samples, finTimeout),
      judgeHeaderLength(clean, onPort(packets, PORTS.noTimestamps)),
      judgeNoBoundaries(WRITES, reads, clean),
    ];
  },
});
