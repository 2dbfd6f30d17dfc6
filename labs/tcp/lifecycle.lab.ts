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
 *   E. port 7004 — the client closes; once the server's application has been told (its read
 *      returns end of stream), it writes 2000 bytes in CLOSE-WAIT, then closes.
 *   D. port 7003 — one connection with TCP timestamps switched off in the client.
 *
 * Observes: the capture decoded by tshark (flags, raw sequence and ack numbers, header lengths,
 * options), socket states and timers from `ss -tanoi` in each namespace, the sizes of reads, and
 * what each side's application was told (the agents' end, data and close events).
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

export const PORTS = { clean: 7000, frozen: 7001, quickClose: 7002, noTimestamps: 7003, halfClose: 7004 } as const;
/** Connections the server closes at once: whether its FIN carries the ACK varies from one to the next. */
const QUICK_CLOSES = 5;
export const WRITES = [1000, 3000, 10];
const CLOSE_WAIT_HOLD_MS = 1000;
/** What the server's application writes in CLOSE-WAIT, after the client's FIN (phase E). */
export const HALF_CLOSE_BYTES = 2000;

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

/** Phase E: what the passive closer's application is told in CLOSE-WAIT, and whether it can still send. */
export interface HalfCloseObservation {
  /** The server application's socket reported the end of the stream (node's 'end' event, emitted when its read() returns 0). */
  endOfStream: boolean;
  /** ss: the server socket's state just after ('none' when ss showed no connection). */
  stateAtEndOfStream: string;
  /** Bytes the server application wrote after that (0 when the write failed), the write's error, and the bytes the client then read. */
  bytesWritten: number;
  writeError: string;
  bytesReadByClient: number;
  /** ss: the server socket's state after the write. */
  stateAfterWrite: string;
  samples: SocketSample[];
  /** The connection's packets as captured on the server's side. */
  packets: Packet[];
  endpoints: Record<string, string>;
  pcap?: string;
}

/** In the half-close's capture: the client's FIN, the server's ACK of it, the server's data after it, and the server's FIN. */
function halfCloseSegments(packets: Packet[]) {
  const fromServer = (p: Packet) => p.srcPort === PORTS.halfClose;
  const clientFin = packets.find((p) => !fromServer(p) && has(p, 'FIN'));
  if (!clientFin) return undefined;
  const after = packets.filter((p) => fromServer(p) && p.frame > clientFin.frame);
  const finAck = after.find((p) => p.ack === (clientFin.seq + 1) % 2 ** 32);
  const data = after.filter((p) => p.len > 0);
  const serverFin = after.find((p) => has(p, 'FIN'));
  return { clientFin, finAck, data, serverFin };
}

export function judgeCloseWait(samples: SocketSample[], holdMs: number, half?: HalfCloseObservation): ClaimResult {
  const held = samples.filter((s) => s.host === 'server' && s.note === 'application has not closed');
  const after = samples.find((s) => s.host === 'server' && s.note === 'after the application closed');
  const heldStates = held.map((s) => s.sockets.map((x) => x.state).join(',') || 'none');
  const afterState = after?.sockets.map((s) => s.state).join(',') || 'no socket';
  const segments = half && halfCloseSegments(half.packets);
  const observed = {
    holdMs,
    samplesWhileOpen: held.length,
    statesWhileOpen: heldStates,
    stateAfterClose: afterState,
    ...(half && {
      halfClose: {
        endOfStreamToldToApplication: half.endOfStream,
        stateAtEndOfStream: half.stateAtEndOfStream,
        bytesWrittenAfterFin: half.bytesWritten,
        writeError: half.writeError,
        bytesReadByClient: half.bytesReadByClient,
        stateAfterWrite: half.stateAfterWrite,
        segments: segments ? [segments.clientFin, segments.finAck, ...segments.data, segments.serverFin].filter((p) => p !== undefined).map(describe) : [],
      },
    }),
  };
  const evidence: ClaimResult['evidence'] = [{ kind: 'socket-states', title: 'Port 7000: the passive closer before and after its application closes', samples: samples.filter((s) => s.note.includes('application') || s.note.includes('FIN')) }];
  if (half) {
    evidence.push({ kind: 'socket-states', title: `Port ${PORTS.halfClose}: the passive closer's application told of the FIN, then writing in CLOSE-WAIT`, samples: half.samples });
    if (half.packets.length) evidence.push({ kind: 'packets', title: `Port ${PORTS.halfClose}: the client's FIN, the server's ACK, its ${half.bytesWritten} bytes written in CLOSE-WAIT, its FIN`, endpoints: half.endpoints, packets: half.packets, pcap: half.pcap });
  }
  if (!held.length || !after) {
    const missing = !held.length ? { en: 'while its application kept the socket open', zh: '应用程序保持 socket 打开期间' } : { en: 'after its application closed', zh: '应用程序关闭之后' };
    return notObserved('tcp.close.close-wait', { en: `The server's socket was not sampled ${missing.en}.`, zh: `${missing.zh}没有采样到服务端的 socket。` }, observed);
  }
  const holds = held.length >= 2 && heldStates.every((s) => s === 'CLOSE-WAIT') && !afterState.includes('CLOSE-WAIT');
  if (!holds) {
    return {
      id: 'tcp.close.close-wait',
      verdict: 'refuted',
      summary: `CLOSE-WAIT did not last until the application closed: ${heldStates.join(' → ')}, then ${afterState}.`,
      summaryZh: `CLOSE-WAIT 没有一直持续到应用程序关闭：${heldStates.join(' → ')}，随后为 ${afterState}。`,
      observed,
      evidence,
    };
  }
  const statesEn = `The server entered CLOSE-WAIT on the client's FIN and stayed there in all ${held.length} samples over ${holdMs} ms while its application kept the socket open, leaving it (${afterState}) once the application closed.`;
  const statesZh = `服务端收到客户端的 FIN 后进入 CLOSE-WAIT，在应用程序保持 socket 打开的 ${holdMs} ms 内全部 ${held.length} 次采样都处于该状态；应用程序关闭后随即离开（${afterState}）。`;
  if (!half || half.stateAtEndOfStream === 'none') {
    return notObserved('tcp.close.close-wait', { en: `${statesEn} But what the server's application was told of the FIN, and whether it could still send, was not observed (no ${half ? 'socket state when the end of stream was reported' : `phase on port ${PORTS.halfClose}`}).`, zh: `${statesZh}但没有观察到服务端应用程序对这个 FIN 得到了什么通知、之后还能否发送数据（${half ? '没有采样到报告流结束时的 socket 状态' : `没有端口 ${PORTS.halfClose} 上的这一步`}）。` }, observed);
  }
  if (!half.endOfStream || !half.stateAtEndOfStream.includes('CLOSE-WAIT')) {
    return {
      id: 'tcp.close.close-wait',
      verdict: 'refuted',
      summary: `${statesEn} But the application was not told of the FIN while its socket was in CLOSE-WAIT: end of stream reported ${half.endOfStream}, socket ${half.stateAtEndOfStream}.`,
      summaryZh: `${statesZh}但应用程序并没有在 socket 处于 CLOSE-WAIT 时得到 FIN 的通知：报告流结束 ${half.endOfStream}，socket 状态 ${half.stateAtEndOfStream}。`,
      observed,
      evidence,
    };
  }
  const toldEn = `Its application was told by its read returning end of stream (node's 'end' event) while ss showed ${half.stateAtEndOfStream}`;
  const toldZh = `应用程序是通过 read 返回流结束（node 的 'end' 事件）得知的，此时 ss 显示 ${half.stateAtEndOfStream}`;
  if (!(half.bytesWritten > 0 && half.bytesReadByClient >= half.bytesWritten)) {
    return {
      id: 'tcp.close.close-wait',
      verdict: 'confirmed',
      summary: `${statesEn} ${toldEn}, and the connection was closed for it: what it wrote afterwards did not reach the client (${half.writeError || `${half.bytesWritten} bytes written`}, ${half.bytesReadByClient} read).`,
      summaryZh: `${statesZh}${toldZh}，而且对它来说连接确实已关闭：之后写入的数据没有到达客户端（${half.writeError || `写入 ${half.bytesWritten} 字节`}，读到 ${half.bytesReadByClient} 字节）。`,
      observed,
      evidence,
    };
  }
  const ackFirst = segments?.finAck && segments.finAck.len === 0 && !has(segments.finAck, 'FIN') && segments.data.every((d) => d.frame > segments.finAck!.frame);
  const finLast = segments?.serverFin && segments.data.every((d) => d.frame < segments.serverFin!.frame);
  const packetsEn = !segments
    ? ' (The capture held no FIN from the client on this port.)'
    : ` In the capture, ${ackFirst ? `the server acknowledged the client's FIN with a bare ACK (ack=${segments.finAck!.ack}) before sending any of that data` : `the server's acknowledgement of the client's FIN was ${segments.finAck ? describe(segments.finAck) : 'not seen'}`}, and ${finLast ? `its own FIN (${describe(segments.serverFin!)}) came after its ${segments.data.length} data segment${segments.data.length === 1 ? '' : 's'}, when its application closed: the close of the server's own direction, not a confirmation of the client's` : `its own FIN was ${segments.serverFin ? describe(segments.serverFin) : 'not seen'}`}.`;
  const packetsZh = !segments
    ? '（抓包中没有该端口上客户端的 FIN。）'
    : `抓包中，${ackFirst ? `服务端在发送这些数据之前就已用一个单纯的 ACK（ack=${segments.finAck!.ack}）确认了客户端的 FIN` : `服务端对客户端 FIN 的确认为 ${segments.finAck ? describe(segments.finAck) : '未见'}`}；${finLast ? `它自己的 FIN（${describe(segments.serverFin!)}）出现在它的 ${segments.data.length} 个数据报文段之后，是其应用程序关闭时发出的：这是服务端关闭自己这一方向，而不是对客户端关闭的确认` : `它自己的 FIN 为 ${segments.serverFin ? describe(segments.serverFin) : '未见'}`}。`;
  return {
    id: 'tcp.close.close-wait',
    verdict: 'nuanced',
    summary: `${statesEn} ${toldEn}: told that the client had finished sending, not that the connection was closed, for it then wrote ${half.bytesWritten} bytes and the client read ${half.bytesReadByClient}, its socket still ${half.stateAfterWrite}: the connection was only half-closed.${packetsEn}`,
    summaryZh: `${statesZh}${toldZh}：它得知的是客户端已经发送完毕，而不是连接已关闭，因为它随后写入了 ${half.bytesWritten} 字节、客户端读到了 ${half.bytesReadByClient} 字节，此时它的 socket 仍为 ${half.stateAfterWrite}：连接只是半关闭。${packetsZh}`,
    observed,
    evidence,
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
    does: 'Freezes a handshake by dropping the SYN/ACK; opens a clean connection, writes 1000+3000+10 bytes, closes it with the server closing a second late; closes five others at once; lets the server write 2000 bytes in CLOSE-WAIT after the client has closed; repeats with TCP timestamps off.',
    observes: 'Packets decoded by tshark (flags, raw seq/ack, header length, options), socket states and timers from ss -tanoi, the sizes each side read, and the end of stream each application was told of.',
    zh: {
      title: 'TCP 连接的生命周期：握手、状态、关闭、TIME_WAIT、首部长度、字节流',
      starts: '通过一条 veth 链路相连的两个网络命名空间（client 198.18.0.1，server 198.18.0.2），各运行一个 node:net socket agent；在服务端一侧运行 tcpdump。',
      does: '丢弃 SYN/ACK，让握手卡在中途；建立一条正常连接，依次写入 1000+3000+10 字节后关闭，服务端晚一秒才关闭；另外五条连接则立即关闭；客户端关闭后，让服务端在 CLOSE-WAIT 中再写入 2000 字节；关闭 TCP 时间戳后重复以上步骤。',
      observes: 'tshark 解码出的报文（标志位、原始 seq/ack、首部长度、选项），ss -tanoi 给出的 socket 状态和定时器，两端每次读到的数据大小，以及各自应用程序收到的流结束通知。',
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

    ctx.step("E: the server writes in CLOSE-WAIT, after the client's FIN");
    const halfSampler = new SocketSampler();
    const statesIn = (sockets: { state: string }[]) => sockets.map((x) => x.state).join(',') || 'none';
    await server.request('listen', { port: PORTS.halfClose, allowHalfOpen: true });
    await client.request('connect', { host: serverHost.address, port: PORTS.halfClose, conn: 'half' });
    const halfConn = (await accepted(PORTS.halfClose)).conn!;
    await client.waitFor((e) => e.event === 'connected' && e.conn === 'half', 5000, 'connected');
    await client.request('end', { conn: 'half' });
    // What the application is told of the FIN: node's 'end' event, emitted when its read() returns 0.
    const endOfStream = await server.waitFor((e) => e.event === 'end' && e.conn === halfConn, 5000, 'end of stream at the server').then(() => true, () => false);
    const stateAtEndOfStream = statesIn(await halfSampler.take('server', serverHost.netns, PORTS.halfClose, 'end of stream reported to the application'));
    const writeError = await server.request('write', { conn: halfConn, bytes: HALF_CLOSE_BYTES }).then(() => '', (error: Error) => error.message);
    const readByClient = () => client.events.filter((e) => e.event === 'data' && e.conn === 'half').reduce((sum, e) => sum + (e.bytes ?? 0), 0);
    await client.waitFor(() => readByClient() >= HALF_CLOSE_BYTES, 3000, 'the data written in CLOSE-WAIT').catch(() => undefined);
    const stateAfterWrite = statesIn(await halfSampler.take('server', serverHost.netns, PORTS.halfClose, 'after the application wrote in CLOSE-WAIT'));
    await server.request('end', { conn: halfConn });
    await client.waitFor((e) => e.event === 'close' && e.conn === 'half', 5000, 'half-closed connection closed');
    await halfSampler.take('server', serverHost.netns, PORTS.halfClose, 'after the application closed');

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
      judgeCloseWait(lifecycle.samples, CLOSE_WAIT_HOLD_MS, {
        endOfStream,
        stateAtEndOfStream,
        bytesWritten: writeError ? 0 : HALF_CLOSE_BYTES,
        writeError,
        bytesReadByClient: readByClient(),
        stateAfterWrite,
        samples: halfSampler.samples,
        packets: onPort(packets, PORTS.halfClose),
        endpoints,
        pcap,
      }),
      judgeTimeWait(lifecycle.samples, finTimeout),
      judgeHeaderLength(clean, onPort(packets, PORTS.noTimestamps)),
      judgeNoBoundaries(WRITES, reads, clean),
    ];
  },
});
