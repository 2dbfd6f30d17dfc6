/**
 * Lab: UDP datagrams on a real LAN: no handshake, an 8-byte header, whole datagrams, loss that
 * nobody repairs, multicast, and the checksum over IPv4 and IPv6.
 *
 * Starts: four hosts on one bridged LAN (sender, rx1, rx2, bystander), with IPv4 and IPv6
 * addresses and checksum offload off (so captures show real checksums); a node:dgram/net socket
 * agent in each; tcpdump on the sender.
 *
 * Does: sends datagrams of 100, 2000 and 5 bytes to rx1; drops every 10th packet arriving at rx1
 * from the sender (iptables statistic nth) and sends 200 datagrams and then 20 000 bytes over TCP through
 * that same loss; sends one datagram to multicast group 239.1.2.3 joined by rx1 and rx2 but not by
 * the bystander; sends, with scapy, datagrams whose checksum is zero or wrong, over IPv4 and IPv6.
 *
 * Observes: the capture decoded by tshark, the datagrams and bytes each socket received, the drop
 * rule's counter (read after the datagrams and again after TCP: the drops that hit each protocol), and
 * the receivers' UDP counters in /proc/net/snmp and /proc/net/snmp6.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptFile, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult } from '../../src/core/types.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { counterDelta, readCounters } from '../../src/observers/snmp.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { impair } from '../../src/resources/impairment.ts';
import { scapy } from '../../src/resources/scapy.ts';
import type { SocketAgent } from '../../src/resources/socket-agent.ts';
import { startSocketAgents } from '../../src/resources/socket-agent.ts';
import { Cancelled } from '../../src/resources/cancel.ts';
import { until } from '../../src/resources/wait.ts';

export const HOSTS = { sender: '198.18.40.1', rx1: '198.18.40.2', rx2: '198.18.40.3', bystander: '198.18.40.4' } as const;
const RX1_V6 = 'fd00:40::2';
export const SIZES = [100, 2000, 5];
export const LOSS = { every: 10, packet: 5 };
const DATAGRAMS = 200;
const TCP_BYTES = 20_000;
const GROUP = '239.1.2.3';
const PORTS = { boundaries: 7001, loss: 7002, tcp: 7003, multicast: 7777, checksum: 7004 } as const;

export const UDP_FIELDS = ['frame.number', 'ip.src', 'ip.dst', 'ip.len', 'ip.hdr_len', 'ip.flags.mf', 'udp.srcport', 'udp.dstport', 'udp.length', 'udp.checksum', 'tcp.len', 'tcp.flags'] as const;
export type UdpRow = Record<(typeof UDP_FIELDS)[number], string>;

const datagramsAt = (agent: SocketAgent, sock: string) => agent.events.filter((e) => e.event === 'datagram' && e.sock === sock).map((e) => e.bytes ?? 0);

export function judgeConnectionless(rows: UdpRow[]): ClaimResult {
  const flow = rows.filter((r) => r['udp.dstport'] === String(PORTS.boundaries) || r['udp.srcport'] === String(PORTS.boundaries));
  if (!flow.length) return notObserved('udp.connectionless', { en: `The capture holds no packet of the flow to port ${PORTS.boundaries}.`, zh: `抓包中没有发往端口 ${PORTS.boundaries} 的那条流的任何报文。` });
  const fromReceiver = flow.filter((r) => r['ip.src'] === HOSTS.rx1).length;
  const firstPacket = flow[0];
  const observed = { packetsInFlow: flow.length, packetsFromReceiver: fromReceiver, firstPacketCarriesData: firstPacket ? Number(firstPacket['udp.length']) > 8 : false };
  const holds = flow.length > 0 && fromReceiver === 0 && observed.firstPacketCarriesData;
  return {
    id: 'udp.connectionless',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The first packet of the flow already carried data and the receiver sent nothing back in ${flow.length} packets: no handshake.`
      : `Something preceded or answered the data: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `该流的第一个报文就已携带数据，并且在全部 ${flow.length} 个报文中接收端没有回送任何报文：没有握手。`
      : `数据之前出现了其他报文，或者数据得到了应答：${JSON.stringify(observed)}。`,
    observed,
    evidence: [{ kind: 'table', title: 'The flow to port 7001 (every IP packet, fragments included)', columns: ['#', 'from', 'to', 'IP length', 'UDP length', 'more fragments'], rows: flow.map((r) => [r['frame.number'], r['ip.src'], r['ip.dst'], r['ip.len'], r['udp.length'], r['ip.flags.mf']]) }],
  };
}

/**
 * The datagram is picked by what the lab sent, not by its length field: the datagrams the sender put on the wire to
 * port 7001, in order, are the `sent` sizes in order (one socket, one link, each send awaited). The smallest one
 * (5 bytes, which no link fragments) is measured twice: its header is the IP payload less the data sent, and its
 * length field should count that header and the data.
 */
export function judgeHeaderSize(rows: UdpRow[], sent: number[] = SIZES): ClaimResult {
  const datagrams = rows.filter((r) => r['ip.src'] === HOSTS.sender && r['udp.dstport'] === String(PORTS.boundaries));
  const sizes = datagrams.map((r, i) => ({ dataSent: sent[i], udpLength: Number(r['udp.length']), payload: Number(r['ip.len']) - Number(r['ip.hdr_len']) }));
  const data = Math.min(...sent);
  const small = datagrams.length === sent.length ? datagrams[sent.indexOf(data)] : undefined;
  if (!small) {
    return notObserved('udp.header.size', { en: `The capture holds ${datagrams.length} datagram${datagrams.length === 1 ? '' : 's'} from the sender to port ${PORTS.boundaries} where the lab sent ${sent.length} (${sent.join(', ')} bytes), so which one carried the ${data} bytes is unknown and the header cannot be measured.`, zh: `抓包中发送端发往端口 ${PORTS.boundaries} 的数据报有 ${datagrams.length} 个，而实验发送了 ${sent.length} 个（${sent.join(', ')} 字节），无从确定哪一个携带了那 ${data} 字节，无法测量首部长度。` }, { datagrams: sizes });
  }
  const ipPayload = Number(small['ip.len']) - Number(small['ip.hdr_len']);
  const lengthField = Number(small['udp.length']);
  const headerBytes = ipPayload - data;
  const udpLengthCountsHeaderAndData = lengthField === headerBytes + data;
  const observed = { dataBytes: data, ipPayloadBytes: ipPayload, headerBytes, udpLengthField: lengthField, udpLengthCountsHeaderAndData, datagrams: sizes };
  const evidence: ClaimResult['evidence'] = [{ kind: 'table', title: `The datagrams to port ${PORTS.boundaries}: data sent, UDP length field and IP payload (of the last fragment, for a fragmented one)`, columns: ['data sent', 'UDP length field', 'IP payload bytes'], rows: sizes.map((s) => [s.dataSent ?? '?', s.udpLength, s.payload]) }];
  if (headerBytes !== 8) {
    return {
      id: 'udp.header.size',
      verdict: 'refuted',
      summary: `The ${data}-byte datagram took ${ipPayload} bytes of IP payload: a ${headerBytes}-byte header, not 8 (its length field read ${lengthField}).`,
      summaryZh: `这个 ${data} 字节的数据报占用了 ${ipPayload} 字节的 IP 载荷：首部为 ${headerBytes} 字节，而不是 8 字节（其长度字段为 ${lengthField}）。`,
      observed,
      evidence,
    };
  }
  if (!udpLengthCountsHeaderAndData) {
    return {
      id: 'udp.header.size',
      verdict: 'nuanced',
      summary: `The ${data}-byte datagram took ${ipPayload} bytes of IP payload, an 8-byte header, but its length field read ${lengthField}, not the ${ipPayload} bytes of header and data.`,
      summaryZh: `这个 ${data} 字节的数据报占用了 ${ipPayload} 字节的 IP 载荷，首部为 8 字节；但其长度字段为 ${lengthField}，而不是首部加数据的 ${ipPayload} 字节。`,
      observed,
      evidence,
    };
  }
  return {
    id: 'udp.header.size',
    verdict: 'confirmed',
    summary: `A ${data}-byte datagram travelled in ${ipPayload} bytes of IP payload: an 8-byte header (ports, length, checksum), whose length field (${lengthField}) counts header and data.`,
    summaryZh: `一个 ${data} 字节的数据报占用了 ${ipPayload} 字节的 IP 载荷：首部为 8 字节（端口、长度、校验和），其长度字段（${lengthField}）同时计入首部和数据。`,
    observed,
    evidence,
  };
}

export function judgeBoundaries(sent: number[], received: number[]): ClaimResult {
  const holds = received.length === sent.length && received.every((r, i) => r === sent[i]);
  return {
    id: 'udp.boundaries',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `Datagrams of ${sent.join(', ')} bytes were read as ${received.join(', ')}: one read per datagram, the 2000-byte one whole although IP fragmented it.`
      : `Sent ${sent.join(', ')}, read ${received.join(', ')}.`,
    summaryZh: holds
      ? `发送的数据报为 ${sent.join(', ')} 字节，读到的是 ${received.join(', ')} 字节：每个数据报恰好对应一次读取，2000 字节的那个虽然被 IP 分片，读到时仍是完整的。`
      : `发送 ${sent.join(', ')}，读到 ${received.join(', ')}。`,
    observed: { sent, received },
    evidence: [{ kind: 'table', title: 'Datagrams sent and read', columns: ['sent bytes', 'read bytes'], rows: sent.map((s, i) => [s, received[i] ?? 'missing']) }],
  };
}

/** Packets the drop rule dropped, counted apart for the UDP datagrams and for the TCP connection that followed them. */
export interface DropsByProtocol {
  udp: number;
  tcp: number;
}

export function judgeUnreliable(udp: { sent: number; received: number }, tcp: { sent: number; received: number; retransmissions: number }, dropped: DropsByProtocol): ClaimResult {
  const total = dropped.udp + dropped.tcp;
  const observed = { udpSent: udp.sent, udpReceived: udp.received, tcpBytesSent: tcp.sent, tcpBytesReceived: tcp.received, tcpRetransmissions: tcp.retransmissions, packetsDroppedByTheLink: total, udpDatagramsDropped: dropped.udp, tcpPacketsDropped: dropped.tcp, loss: `packet ${LOSS.packet + 1} of every ${LOSS.every}` };
  if (total === 0) return notObserved('udp.unreliable', { en: 'The drop rule dropped no packet, so there was no loss for UDP to leave unrepaired or for TCP to repair.', zh: '丢包规则没有丢弃任何报文，因此既看不到 UDP 对丢失置之不理，也看不到 TCP 修复丢失。' }, observed);
  if (dropped.udp === 0) return notObserved('udp.unreliable', { en: `The drop rule dropped no UDP datagram (all ${dropped.tcp} of its drops hit TCP), so there was no UDP loss to leave unrepaired.`, zh: `丢包规则没有丢弃任何 UDP 数据报（它丢弃的 ${dropped.tcp} 个报文全是 TCP 的），因此看不到 UDP 对丢失置之不理。` }, observed);
  if (dropped.tcp === 0) return notObserved('udp.unreliable', { en: `The drop rule dropped no TCP packet (all ${dropped.udp} of its drops hit UDP), so there was no TCP loss to repair.`, zh: `丢包规则没有丢弃任何 TCP 报文（它丢弃的 ${dropped.udp} 个报文全是 UDP 的），因此看不到 TCP 修复丢失。` }, observed);
  // More datagrams read than were sent and not dropped: something resent what the link dropped.
  const udpRepaired = udp.received > udp.sent - dropped.udp;
  const tcpDeliveredAll = tcp.received >= tcp.sent;
  if (!udpRepaired && tcpDeliveredAll && tcp.retransmissions === 0) {
    return notObserved('udp.unreliable', { en: `The ${dropped.tcp} TCP packets the rule dropped needed no resending (the capture holds no TCP retransmission: they carried no data, only acknowledgements or the close), so TCP's repair of loss was not seen.`, zh: `规则丢弃的 ${dropped.tcp} 个 TCP 报文无需重发（抓包中没有任何 TCP 重传：它们不携带数据，只是确认或关闭连接的报文），因此没有看到 TCP 修复丢失。` }, observed);
  }
  const holds = !udpRepaired && udp.received < udp.sent && tcpDeliveredAll;
  return {
    id: 'udp.unreliable',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `Through the same loss (${dropped.udp} UDP datagrams and ${dropped.tcp} TCP packets dropped), UDP delivered ${udp.received} of ${udp.sent} datagrams and nobody resent the rest; TCP delivered all ${tcp.received} bytes with ${tcp.retransmissions} retransmissions.`
      : `With ${dropped.udp} UDP datagrams and ${dropped.tcp} TCP packets dropped, UDP delivered ${udp.received}/${udp.sent}${udpRepaired ? ' (more than were left after the drops: something resent them)' : ''}, TCP ${tcp.received}/${tcp.sent} bytes with ${tcp.retransmissions} retransmissions.`,
    summaryZh: holds
      ? `经过同样的丢包（丢弃了 ${dropped.udp} 个 UDP 数据报和 ${dropped.tcp} 个 TCP 报文），UDP 只送达了 ${udp.sent} 个数据报中的 ${udp.received} 个，其余的没有任何一方重发；TCP 经过 ${tcp.retransmissions} 次重传，送达了全部 ${tcp.received} 字节。`
      : `丢弃了 ${dropped.udp} 个 UDP 数据报和 ${dropped.tcp} 个 TCP 报文，UDP 送达 ${udp.received}/${udp.sent} 个数据报${udpRepaired ? '（多于丢包后剩下的数量：有一方重发了它们）' : ''}，TCP 送达 ${tcp.received}/${tcp.sent} 字节，重传 ${tcp.retransmissions} 次。`,
    observed,
    evidence: [{ kind: 'table', title: 'The same lossy link for both', columns: ['protocol', 'sent', 'packets dropped', 'received', 'retransmissions'], rows: [['UDP (datagrams)', udp.sent, dropped.udp, udp.received, 0], ['TCP (bytes)', tcp.sent, dropped.tcp, tcp.received, tcp.retransmissions]] }],
  };
}

export function judgeMulticast(onWire: number, got: Record<string, number>): ClaimResult {
  const observed = { datagramsOnTheSendersWire: onWire, received: got };
  if (onWire === 0) return notObserved('udp.multicast', { en: `The capture on the sender holds no datagram to ${GROUP}, so what left the sender is unknown.`, zh: `发送端的抓包中没有发往 ${GROUP} 的数据报，无从得知发送端发出了什么。` }, observed);
  const holds = onWire === 1 && got.rx1 === 1 && got.rx2 === 1 && got.bystander === 0;
  return {
    id: 'udp.multicast',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `One datagram to ${GROUP} left the sender and both members of the group received it; the host that had not joined did not.`
      : `On the wire ${onWire}, received ${JSON.stringify(got)}.`,
    summaryZh: holds
      ? `发往 ${GROUP} 的一个数据报从发送端发出，组内两个成员都收到了它；没有加入该组的主机没有收到。`
      : `线路上有 ${onWire} 个数据报，接收情况为 ${JSON.stringify(got)}。`,
    observed,
    evidence: [{ kind: 'table', title: `One datagram to ${GROUP}`, columns: ['host', 'joined', 'datagrams received'], rows: [['rx1', 'yes', got.rx1 ?? 0], ['rx2', 'yes', got.rx2 ?? 0], ['bystander', 'no', got.bystander ?? 0]] }],
  };
}

export interface ChecksumTrial {
  name: string;
  delivered: boolean;
  counters: Record<string, number>;
}

export function judgeChecksum(trials: ChecksumTrial[], normalChecksum: string): ClaimResult {
  const by = (name: string) => trials.find((t) => t.name === name);
  const observed = {
    linuxSendsChecksumOverIpv4: normalChecksum !== '' && normalChecksum !== '0x0000',
    ipv4ZeroChecksumDelivered: by('IPv4, checksum 0')?.delivered,
    ipv4WrongChecksumDelivered: by('IPv4, wrong checksum')?.delivered,
    ipv6ZeroChecksumDelivered: by('IPv6, checksum 0')?.delivered,
    trials,
  };
  const missing = ['IPv4, checksum 0', 'IPv4, wrong checksum', 'IPv6, checksum 0'].filter((name) => !by(name));
  if (normalChecksum === '') return notObserved('udp.checksum', { en: `The capture holds no datagram Linux itself sent (to port ${PORTS.loss}), so what checksum Linux puts in an IPv4 datagram is unknown.`, zh: `抓包中没有 Linux 自己发送的数据报（发往端口 ${PORTS.loss}），无从得知 Linux 在 IPv4 数据报中填写什么校验和。` }, observed);
  if (missing.length) return notObserved('udp.checksum', { en: `No outcome was recorded for the crafted datagram${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}.`, zh: `没有记录到构造数据报 ${missing.map((m) => `“${m}”`).join('、')} 的结果。` }, observed);
  const v4Errors = by('IPv4, wrong checksum')?.counters['Udp.InCsumErrors'] ?? 0;
  const v6Errors = by('IPv6, checksum 0')?.counters.Udp6InCsumErrors ?? 0;
  const holds = observed.ipv4ZeroChecksumDelivered === true && observed.ipv4WrongChecksumDelivered === false && observed.ipv6ZeroChecksumDelivered === false;
  // Said only as the capture showed it: a non-zero checksum is one Linux filled in; zero is Linux sending none.
  const linux = observed.linuxSendsChecksumOverIpv4
    ? { en: `Linux itself filled in the IPv4 checksum (${normalChecksum}).`, zh: `Linux 自己发送时填上了 IPv4 校验和（${normalChecksum}）。` }
    : { en: `Linux itself sent its IPv4 datagrams with no checksum (${normalChecksum}).`, zh: `Linux 自己发送的 IPv4 数据报没有校验和（${normalChecksum}）。` };
  return {
    id: 'udp.checksum',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `Over IPv4 a zero checksum means "none" and the datagram was delivered, while a wrong non-zero one was dropped (Udp.InCsumErrors +${v4Errors}); over IPv6 the zero-checksum datagram was dropped (Udp6InCsumErrors +${v6Errors}). ${linux.en}`
      : `Checksum handling differed: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `在 IPv4 上，校验和为零表示“没有校验和”，该数据报被正常交付，而错误的非零校验和会使数据报被丢弃（Udp.InCsumErrors +${v4Errors}）；在 IPv6 上，校验和为零的数据报被丢弃（Udp6InCsumErrors +${v6Errors}）。${linux.zh}`
      : `校验和的处理与预期不同：${JSON.stringify(observed)}。`,
    observed,
    evidence: [{ kind: 'table', title: 'Crafted datagrams to rx1 and the receiver\'s counters', columns: ['datagram', 'delivered to the socket', 'counters that moved'], rows: trials.map((t) => [t.name, t.delivered ? 'yes' : 'no', Object.entries(t.counters).filter(([, v]) => v).map(([k, v]) => `${k} +${v}`).join(', ') || 'none']) }],
  };
}

export default defineLab({
  id: 'udp-datagrams',
  title: 'UDP on a real LAN: no handshake, 8-byte header, whole datagrams, unrepaired loss, multicast, checksums',
  topic: 'udp',
  claims: ['udp.connectionless', 'udp.header.size', 'udp.boundaries', 'udp.unreliable', 'udp.multicast', 'udp.checksum'],
  requires: ['root', 'netns', 'iptables', 'tcpdump', 'tshark', 'scapy'],
  timeLimitMs: 90_000,
  handout: {
    starts: 'Four hosts on a bridged LAN (sender, rx1, rx2, bystander) with IPv4 and IPv6; socket agents; tcpdump on the sender.',
    does: 'Sends 100/2000/5-byte datagrams; drops every 10th packet to rx1 and sends 200 datagrams, then 20 000 TCP bytes; sends one multicast datagram; crafts zero and wrong checksums with scapy.',
    observes: 'Packets decoded by tshark, what each socket received, the drop rule counter, /proc/net/snmp and snmp6 counters.',
    zh: {
      title: '真实局域网上的 UDP：无握手、8 字节首部、数据报整体收发、丢包不修复、组播、校验和',
      starts: '桥接局域网上的四台主机（sender、rx1、rx2、bystander），同时配置 IPv4 和 IPv6；各主机运行 socket agent；在 sender 上运行 tcpdump。',
      does: '发送 100/2000/5 字节的数据报；对发往 rx1 的报文每 10 个丢 1 个，先发送 200 个数据报，再用 TCP 发送 20 000 字节；发送一个组播数据报；用 scapy 构造校验和为零和校验和错误的报文。',
      observes: 'tshark 解码出的报文、每个 socket 收到的内容、丢包规则的计数器，以及 /proc/net/snmp 和 snmp6 中的计数器。',
    },
  },
  needs: {
    topology: {
      hosts: { sender: {}, rx1: {}, rx2: {}, bystander: {} },
      lans: [
        {
          name: 'lan',
          offload: false,
          members: [
            ['sender', `${HOSTS.sender}/24`, 'fd00:40::1/64'],
            ['rx1', `${HOSTS.rx1}/24`, `${RX1_V6}/64`],
            ['rx2', `${HOSTS.rx2}/24`],
            ['bystander', `${HOSTS.bystander}/24`],
          ],
        },
      ],
    },
  },
  async run(ctx) {
    const net = ctx.hosts;
    ctx.environment.tshark = await toolVersion('tshark');
    const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'udp', netns: net.sender.netns, iface: 'eth0', filter: 'udp or tcp' });
    const [sender, rx1, rx2, bystander] = await startSocketAgents(ctx.scope, ctx.runId, net.sender!, net.rx1!, net.rx2!, net.bystander!);

    ctx.step('datagram boundaries');
    await rx1.request('udp-open', { sock: 'boundaries', port: PORTS.boundaries });
    await sender.request('udp-open', { sock: 'out' });
    for (const bytes of SIZES) await sender.request('udp-send', { sock: 'out', bytes, host: HOSTS.rx1, port: PORTS.boundaries });
    await rx1.waitFor(() => datagramsAt(rx1, 'boundaries').length === SIZES.length, 3000, 'three datagrams');

    ctx.step('the same loss for UDP and TCP');
    const loss = await impair(ctx.scope, ctx.runId, net.rx1.netns, 'eth0', { lossIn: { nth: LOSS }, match: ['-s', HOSTS.sender] });
    await rx1.request('udp-open', { sock: 'loss', port: PORTS.loss });
    for (let i = 0; i < DATAGRAMS; i++) await sender.request('udp-send', { sock: 'out', bytes: 100, host: HOSTS.rx1, port: PORTS.loss });
    // The rule's counter before any TCP packet: the drops that hit UDP. Read once every datagram was either read by
    // rx1 or counted as dropped (or after 2 s, if others were lost some other way).
    let udpDropped = 0;
    await until(async () => datagramsAt(rx1, 'loss').length + (udpDropped = await loss.dropped()) >= DATAGRAMS, 2000, 'every datagram read or dropped').catch((error: unknown) => {
      if (error instanceof Cancelled) throw error;
    });
    await rx1.request('listen', { port: PORTS.tcp });
    await sender.request('connect', { host: HOSTS.rx1, port: PORTS.tcp, conn: 'tcp' });
    await sender.waitFor((e) => e.event === 'connected', 10_000, 'TCP connected through the loss');
    await sender.request('write', { conn: 'tcp', bytes: TCP_BYTES });
    const tcpBytes = () => rx1.events.filter((e) => e.event === 'data').reduce((a, e) => a + (e.bytes ?? 0), 0);
    await rx1.waitFor(() => tcpBytes() >= TCP_BYTES, 30_000, 'every TCP byte');
    await sender.request('destroy', { conn: 'tcp' });
    const allDropped = await loss.dropped();
    await loss.remove();
    const dropped: DropsByProtocol = { udp: udpDropped, tcp: allDropped - udpDropped };

    ctx.step('multicast');
    for (const [agent, name] of [[rx1, 'rx1'], [rx2, 'rx2']] as const) {
      await agent.request('udp-open', { sock: 'group', port: PORTS.multicast, join: { group: GROUP, iface: HOSTS[name] } });
    }
    await bystander.request('udp-open', { sock: 'group', port: PORTS.multicast });
    await sender.request('udp-open', { sock: 'mcast', multicastInterface: HOSTS.sender });
    await sender.request('udp-send', { sock: 'mcast', bytes: 32, host: GROUP, port: PORTS.multicast });
    await Promise.all([rx1, rx2].map((a) => a.waitFor((e) => e.event === 'datagram' && e.sock === 'group', 3000, 'the multicast datagram')));
    // The bystander is given the time the members needed and more, then asked what it got.
    await new Promise((r) => setTimeout(r, 300));

    ctx.step('checksums over IPv4 and IPv6');
    await rx1.request('udp-open', { sock: 'v4', port: PORTS.checksum });
    await rx1.request('udp-open', { sock: 'v6', port: PORTS.checksum, family: 6 });
    const trials: ChecksumTrial[] = [];
    const names = ['Udp.InDatagrams', 'Udp.InCsumErrors', 'Udp6InDatagrams', 'Udp6InCsumErrors'];
    for (const [name, sock, packet] of [
      ['IPv4, checksum 0', 'v4', `IP(dst='${HOSTS.rx1}')/UDP(sport=4000, dport=${PORTS.checksum}, chksum=0)/b'zero'`],
      ['IPv4, wrong checksum', 'v4', `IP(dst='${HOSTS.rx1}')/UDP(sport=4000, dport=${PORTS.checksum}, chksum=0x1234)/b'bad!'`],
      ['IPv6, checksum 0', 'v6', `IPv6(dst='${RX1_V6}')/UDP(sport=4000, dport=${PORTS.checksum}, chksum=0)/b'zero'`],
    ] as const) {
      const before = await readCounters(net.rx1.netns);
      const count = datagramsAt(rx1, sock).length;
      await scapy(net.sender.netns, `send(${packet})`);
      const delivered = await rx1.waitFor(() => datagramsAt(rx1, sock).length > count, 1000, name).then(() => true, () => false);
      trials.push({ name, delivered, counters: counterDelta(before, await readCounters(net.rx1.netns), names) });
    }

    await capture.stop();
    const rows = (await readFields(capture.file, 'udp or tcp', UDP_FIELDS)) as UdpRow[];
    const file = keptFile(ctx, capture.file, 'capture on the sender (pcap)');
    const retransmissions = (await readFields(capture.file, `tcp.analysis.retransmission && tcp.dstport == ${PORTS.tcp}`, ['frame.number'])).length;
    const multicastOnWire = rows.filter((r) => r['ip.dst'] === GROUP).length;
    const normalChecksum = rows.find((r) => r['udp.dstport'] === String(PORTS.loss))?.['udp.checksum'] ?? '';
    return [
      judgeConnectionless(rows),
      judgeHeaderSize(rows, SIZES),
      judgeBoundaries(SIZES, datagramsAt(rx1, 'boundaries')),
      judgeUnreliable({ sent: DATAGRAMS, received: datagramsAt(rx1, 'loss').length }, { sent: TCP_BYTES, received: tcpBytes(), retransmissions }, dropped),
      judgeMulticast(multicastOnWire, { rx1: datagramsAt(rx1, 'group').length, rx2: datagramsAt(rx2, 'group').length, bystander: datagramsAt(bystander, 'group').length }),
      judgeChecksum(trials, normalChecksum),
    ].map((c) => withEvidence(c, ...file));
  },
});
