/**
 * Lab: the ICMP messages of the sheet, each provoked on purpose across real Linux routers.
 *
 * Starts: a client on a LAN with two routers (r1, the client's default gateway, and gw), a chain
 * client → r1 → r2 → r3 → server whose last link has an MTU of 1280, and a host `far` behind gw.
 * tcpdump captures ICMP on the client's interface; a node:net/dgram socket agent runs in the client.
 *
 * Does: pings the server with a data pattern; traces the route with traceroute; pings with DF set
 * and 1400 bytes of data; sends a UDP datagram and a TCP SYN to closed ports, and a TCP SYN to a
 * port the server's iptables rejects with icmp-port-unreachable; sends, with scapy, three ICMP
 * messages whose ICMP header is wrong (a bad checksum, a header cut to 4 bytes, an unknown type),
 * then an IPv4 packet whose option length runs past its header; turns the client's IP forwarding off
 * (a host's, which its namespace did not inherit from this machine) and pings `far`, which r1 reaches
 * through gw on the same LAN the client is on; only if the client did not follow r1's Redirect, sets
 * net.ipv4.conf.all.accept_redirects=1 and pings again.
 *
 * Observes: the ICMP packets tshark decodes (type, code, identifier, sequence, data, MTU, pointer,
 * gateway, and the IP identification of the packet an error quotes), the tools' own output, the
 * errors the client's sockets report, the server's ICMP counters (/proc/net/snmp) around the bad
 * ICMP headers, the client's forwarding and redirect sysctls as it pinged `far`, and its route to
 * `far` afterwards.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptFile, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { observeCommand, type Observation } from '../../src/observers/command.ts';
import { recordSysctls, toolVersion } from '../../src/observers/environment.ts';
import { counterDelta, readCounters } from '../../src/observers/snmp.ts';
import { firstValue, readFields, waitForPackets } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { exec } from '../../src/resources/process.ts';
import { scapy } from '../../src/resources/scapy.ts';
import { startSocketAgent } from '../../src/resources/socket-agent.ts';

export const ICMP_FIELDS = ['frame.number', 'ip.src', 'ip.dst', 'icmp.type', 'icmp.code', 'icmp.ident', 'icmp.seq', 'data.data', 'icmp.mtu', 'icmp.pointer', 'icmp.redir_gw', 'udp.dstport', 'tcp.dstport', 'ip.id'] as const;
export type IcmpRow = Record<(typeof ICMP_FIELDS)[number], string>;

/** Each router is named by the address it receives the client's packets on, as traceroute shows it. */
export const ADDRESSES = {
  client: '198.18.10.10',
  r1: '198.18.10.1',
  gw: '198.18.10.2',
  r2: '198.18.11.2',
  r3: '198.18.12.2',
  server: '198.18.13.2',
  far: '198.18.20.2',
} as const;
const PATTERN = '6c616273'; // "labs"
/** The closed port the UDP datagram and the first TCP SYN go to, and the TCP port the server's iptables rejects. */
export const CLOSED_PORT = 9;
export const REJECTED_PORT = 9009;
/** The three ICMP messages with a wrong ICMP header, each told apart by its IP identification (as tshark prints it). */
export const BAD_ICMP_HEADERS = [
  { name: 'bad checksum', zh: '校验和错误', ipId: '0x6c01' },
  { name: 'header cut to 4 bytes', zh: '首部被截短为 4 字节', ipId: '0x6c02' },
  { name: 'unknown type 99', zh: '未知类型 99', ipId: '0x6c03' },
] as const;
/** The server's ICMP counters read around the bad ICMP headers. */
export const ICMP_COUNTERS = ['Icmp.InMsgs', 'Icmp.InErrors', 'Icmp.InCsumErrors', 'Icmp.OutMsgs', 'Icmp.OutParmProbs', 'Icmp.OutRateLimitHost', 'Icmp.OutRateLimitGlobal'];
const NO_CAPTURE = { en: 'The capture on the client holds no ICMP packet.', zh: '客户端上的抓包中没有任何 ICMP 报文。' };

const first = firstValue;
const icmpTable = (title: string, rows: IcmpRow[]): Evidence => ({
  kind: 'table',
  title,
  columns: ['#', 'from', 'to', 'type/code', 'id', 'seq', 'detail'],
  rows: rows.map((r) => [r['frame.number'], first(r['ip.src']), first(r['ip.dst']), `${first(r['icmp.type'])}/${first(r['icmp.code'])}`, r['icmp.ident'], r['icmp.seq'], r['icmp.mtu'] ? `mtu ${r['icmp.mtu']}` : r['icmp.pointer'] ? `pointer ${r['icmp.pointer']}` : r['icmp.redir_gw'] ? `gateway ${r['icmp.redir_gw']}` : first(r['data.data']).slice(0, 24)]),
});
const ofType = (rows: IcmpRow[], type: number, code?: number) => rows.filter((r) => first(r['icmp.type']) === String(type) && (code === undefined || first(r['icmp.code']) === String(code)));

export function judgeEcho(rows: IcmpRow[], ping: Observation): ClaimResult {
  const requests = ofType(rows, 8, 0).filter((r) => first(r['ip.dst']) === ADDRESSES.server && r['data.data'].includes(PATTERN));
  if (!requests.length) return notObserved('icmp.echo', rows.length ? { en: 'The capture holds no echo request to the server carrying the ping\'s pattern.', zh: '抓包中没有发往服务端、带有 ping 填充模式的回显请求。' } : NO_CAPTURE);
  const replies = ofType(rows, 0, 0).filter((r) => first(r['ip.src']) === ADDRESSES.server);
  const pairs = requests.map((q) => ({ q, a: replies.find((a) => a['icmp.ident'] === q['icmp.ident'] && a['icmp.seq'] === q['icmp.seq']) }));
  const matched = pairs.filter((p) => p.a && p.a['data.data'] === p.q['data.data']);
  const observed = { requests: requests.length, replies: replies.length, pairsWithSameIdSeqAndData: matched.length, identifiers: [...new Set(requests.map((r) => r['icmp.ident']))] };
  const holds = requests.length >= 3 && matched.length === requests.length;
  return {
    id: 'icmp.echo',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `${requests.length} echo requests (8/0) each answered by a reply (0/0) with the same identifier, sequence number and data.`
      : `Echo requests and replies did not pair up: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `${requests.length} 个回显请求（8/0）都各自得到了一个回显应答（0/0），标识符、序列号和数据都与请求相同。`
      : `回显请求与应答无法一一对应：${JSON.stringify(observed)}。`,
    observed,
    evidence: [icmpTable('Echo requests and replies', [...requests, ...replies]), ping.evidence],
  };
}

/** The three routers between client and server, in path order. */
const ROUTERS: string[] = [ADDRESSES.r1, ADDRESSES.r2, ADDRESSES.r3];

export function judgeTimeExceeded(rows: IcmpRow[], trace: Observation): ClaimResult {
  const exceeded = ofType(rows, 11, 0);
  const from = [...new Set(exceeded.map((r) => first(r['ip.src'])))];
  const hops = trace.output
    .split('\n')
    .map((l) => l.match(/^\s*(\d+)\s+(\S+)/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => m[2]!);
  const observed = { timeExceededFrom: from, tracerouteHops: hops, expectedRouters: ROUTERS };
  if (!rows.length) return notObserved('icmp.time-exceeded', NO_CAPTURE, observed);
  if (!hops.length) return notObserved('icmp.time-exceeded', { en: 'traceroute printed no hops.', zh: 'traceroute 没有输出任何一跳。' }, observed);
  const uncaptured = hops.filter((h) => ROUTERS.includes(h) && !from.includes(h));
  if (uncaptured.length) return notObserved('icmp.time-exceeded', { en: `traceroute printed ${uncaptured.join(', ')} as a hop, but the capture holds no Time Exceeded from ${uncaptured.length > 1 ? 'them' : 'it'}: the message that told traceroute was not captured.`, zh: `traceroute 把 ${uncaptured.join('、')} 列为一跳，但抓包中没有来自它的 Time Exceeded：告诉 traceroute 这一跳的那条消息没有被抓到。` }, observed);
  const holds = ROUTERS.every((r) => from.includes(r)) && hops.join(' ') === [...ROUTERS, ADDRESSES.server].join(' ');
  return {
    id: 'icmp.time-exceeded',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `Each of the three routers answered the probe whose TTL it decremented to zero with Time Exceeded 11/0, and traceroute built the path ${hops.join(' → ')} from those messages.`
      : `Time Exceeded came from ${from.join(', ') || 'nobody'}; traceroute printed ${hops.join(' → ')}.`,
    summaryZh: holds
      ? `三台路由器在把探测报文的 TTL 减到零时，各自回复了 Time Exceeded 11/0（超时），traceroute 根据这些消息得出了路径 ${hops.join(' → ')}。`
      : `发出 Time Exceeded 的是：${from.join(', ') || '无'}；traceroute 输出的路径为 ${hops.join(' → ')}。`,
    observed,
    evidence: [
      { kind: 'path', title: 'The path traceroute found', hops: [{ address: ADDRESSES.client, note: 'client' }, ...hops.map((h, i) => ({ address: h, note: i === hops.length - 1 ? 'destination' : `hop ${i + 1}: Time Exceeded` }))] },
      trace.evidence,
      icmpTable('Time Exceeded messages', exceeded),
    ],
  };
}

export function judgeFragNeeded(rows: IcmpRow[], ping: Observation): ClaimResult {
  if (!rows.length) return notObserved('icmp.unreachable.frag-needed', NO_CAPTURE);
  const needed = ofType(rows, 3, 4);
  const mtu = needed[0]?.['icmp.mtu'];
  const observed = { messages: needed.length, from: needed.map((r) => first(r['ip.src'])), nextHopMtu: mtu ? Number(mtu) : undefined, pingSays: ping.output.split('\n').find((l) => /mtu/i.test(l)) ?? '' };
  const holds = needed.length > 0 && observed.from[0] === ADDRESSES.r3 && observed.nextHopMtu === 1280;
  return {
    id: 'icmp.unreachable.frag-needed',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `A 1428-byte packet with DF set met r3's 1280-byte link; r3 answered Destination Unreachable 3/4 carrying the next-hop MTU ${mtu}, and ping reported it.`
      : `No 3/4 with the next-hop MTU came back: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `一个置有 DF 的 1428 字节报文遇到 r3 上 1280 字节的链路；r3 回复了 Destination Unreachable 3/4（需要分片），其中携带下一跳 MTU ${mtu}，ping 也报告了这一点。`
      : `没有收到携带下一跳 MTU 的 3/4：${JSON.stringify(observed)}。`,
    observed,
    evidence: [icmpTable('Fragmentation needed', needed), ping.evidence],
  };
}

/** The TCP SYN sent to the port the server's iptables rejects: the rule as installed, and how the client's connect ended. */
export interface RejectedTcp {
  port: number;
  rule: string;
  outcome: string;
}

const quotes = (r: IcmpRow, field: 'udp.dstport' | 'tcp.dstport', port: number) => r[field].split(',').includes(String(port));

export function judgePortUnreachable(rows: IcmpRow[], socketError: string, tcpOutcome: string, rejected?: RejectedTcp): ClaimResult {
  if (!rows.length) return notObserved('icmp.unreachable.port', NO_CAPTURE, { udpSocketError: socketError, tcpToClosedPort: tcpOutcome });
  const portUnreachable = ofType(rows, 3, 3);
  const unreachable = portUnreachable.filter((r) => quotes(r, 'udp.dstport', CLOSED_PORT));
  const quotingClosedTcp = rows.filter((r) => quotes(r, 'tcp.dstport', CLOSED_PORT));
  const quotingRejectedTcp = rejected ? portUnreachable.filter((r) => quotes(r, 'tcp.dstport', rejected.port)) : [];
  const observed = {
    icmpPortUnreachable: unreachable.length,
    udpSocketError: socketError,
    tcpToClosedPort: tcpOutcome,
    icmpQuotingTcp: quotingClosedTcp.length,
    rejectedTcpPort: rejected?.port,
    rejectRule: rejected?.rule,
    tcpToRejectedPort: rejected?.outcome,
    portUnreachableQuotingTcp: quotingRejectedTcp.length,
  };
  const evidence: Evidence[] = [icmpTable(`Port unreachable (quoting the UDP datagram to port ${CLOSED_PORT}${rejected ? ` and the TCP SYN to port ${rejected.port}` : ''})`, [...unreachable, ...quotingRejectedTcp])];
  const tcpZh = (outcome: string) => (outcome === 'a TCP RST (ECONNREFUSED)' ? 'TCP RST（ECONNREFUSED）' : outcome);
  if (!unreachable.length || socketError !== 'ECONNREFUSED' || quotingClosedTcp.length) {
    return {
      id: 'icmp.unreachable.port',
      verdict: 'refuted',
      summary: `Expected 3/3 for the UDP datagram to closed port ${CLOSED_PORT}, ECONNREFUSED on the socket and no ICMP for the TCP SYN to the same closed port; saw ${JSON.stringify(observed)}.`,
      summaryZh: `预期发往未开放端口 ${CLOSED_PORT} 的 UDP 数据报得到 3/3、套接字报告 ECONNREFUSED，而发往同一未开放端口的 TCP SYN 不引来 ICMP；实际为 ${JSON.stringify(observed)}。`,
      observed,
      evidence,
    };
  }
  const udpPart = {
    en: `The UDP datagram to closed port ${CLOSED_PORT} drew Destination Unreachable 3/3 from the server, which the client's connected UDP socket reported as ${socketError}, while a TCP SYN to the same closed port got ${tcpOutcome} and no ICMP`,
    zh: `发往未开放端口 ${CLOSED_PORT} 的 UDP 数据报引来服务端的 Destination Unreachable 3/3（端口不可达），客户端已 connect 的 UDP 套接字将其报告为 ${socketError}；而发往同一未开放端口的 TCP SYN 得到的是 ${tcpZh(tcpOutcome)}，没有 ICMP`,
  };
  if (!rejected) {
    return notObserved(
      'icmp.unreachable.port',
      { en: `${udpPart.en}. But no TCP port with a reject rule was probed, so nothing shows whether code 3 can quote anything but UDP, which "specific to UDP" says it cannot.`, zh: `${udpPart.zh}。但没有探测设有拒绝规则的 TCP 端口，无法说明代码 3 是否只会引用 UDP，而“UDP 特有”正是这么说的。` },
      observed,
    );
  }
  if (!quotingRejectedTcp.length) {
    return {
      id: 'icmp.unreachable.port',
      verdict: 'confirmed',
      summary: `${udpPart.en}; even with the rule "${rejected.rule}" on the server, the TCP SYN to port ${rejected.port} drew no 3/3 (its connect ended with ${rejected.outcome}).`,
      summaryZh: `${udpPart.zh}；即使服务端设有规则“${rejected.rule}”，发往端口 ${rejected.port} 的 TCP SYN 也没有引来 3/3（其 connect 的结果为 ${tcpZh(rejected.outcome)}）。`,
      observed,
      evidence,
    };
  }
  return {
    id: 'icmp.unreachable.port',
    verdict: 'nuanced',
    summary: `Specific to UDP only as the kernel's own answer to a closed port. ${udpPart.en}. But with the rule "${rejected.rule}" on the server, a TCP SYN to port ${rejected.port} drew Destination Unreachable 3/3 quoting its TCP header (${quotingRejectedTcp.length} message(s)), and the client's connect failed with ${rejected.outcome}: here code 3 answered a TCP segment, because a rule chose it, not because of the protocol.`,
    summaryZh: `只有作为内核对未开放端口的默认回应时才是 UDP 特有。${udpPart.zh}。但在服务端设置规则“${rejected.rule}”后，发往端口 ${rejected.port} 的 TCP SYN 引来了引用其 TCP 首部的 Destination Unreachable 3/3（${quotingRejectedTcp.length} 条），客户端的 connect 以 ${tcpZh(rejected.outcome)} 失败：这里代码 3 回应的是 TCP 报文段，由规则选定，与协议无关。`,
    observed,
    evidence,
  };
}

/** The three bad ICMP headers: the server's ICMP counters before and after them (deltas, /proc/net/snmp). */
export interface BadIcmpHeaders {
  serverCounters: Record<string, number>;
}

const ipIds = (r: IcmpRow) => r['ip.id'].split(',');
/** " (r1)" for an address of the topology, nothing for another. */
const nameOf = (address: string | undefined, zh = false) => {
  const name = Object.entries(ADDRESSES).find(([, a]) => a === address)?.[0];
  return name ? (zh ? `（${name}）` : ` (${name})`) : '';
};

export function judgeParameterProblem(rows: IcmpRow[], badHeaders?: BadIcmpHeaders): ClaimResult {
  if (!rows.length) return notObserved('icmp.parameter-problem', NO_CAPTURE);
  const probeIds: string[] = BAD_ICMP_HEADERS.map((b) => b.ipId);
  const quotesProbe = (r: IcmpRow) => ipIds(r).slice(1).some((id) => probeIds.includes(id));
  const problems = ofType(rows, 12).filter((r) => !quotesProbe(r));
  const ipPart = { messages: problems.length, from: problems.map((r) => first(r['ip.src'])), code: first(problems[0]?.['icmp.code'] ?? ''), pointer: problems[0]?.['icmp.pointer'] };
  if (!problems.length) {
    return { id: 'icmp.parameter-problem', verdict: 'refuted', summary: 'The malformed IP option drew no Parameter Problem message.', summaryZh: '畸形 IP 选项没有引来 Parameter Problem 消息。', observed: ipPart, evidence: [] };
  }
  const ipSaid = {
    en: `An IPv4 packet whose record-route option claimed 9 bytes in a 4-byte option area drew Parameter Problem 12/${ipPart.code} from ${ipPart.from[0]}${nameOf(ipPart.from[0])}, pointing at byte ${ipPart.pointer} of the header`,
    zh: `一个 IPv4 报文的记录路由选项在只有 4 字节的选项区里声称长度为 9 字节，${ipPart.from[0]}${nameOf(ipPart.from[0], true)}因此回复了 Parameter Problem 12/${ipPart.code}（参数问题），指针指向首部的第 ${ipPart.pointer} 字节`,
  };
  if (!badHeaders) {
    return notObserved('icmp.parameter-problem', { en: `${ipSaid.en}. No ICMP message with a wrong ICMP header was sent, so the ICMP-header half of the claim is untested.`, zh: `${ipSaid.zh}。没有发送 ICMP 首部有错的 ICMP 报文，断言中“ICMP 首部”的一半未经检验。` }, ipPart);
  }
  const sent = BAD_ICMP_HEADERS.filter((b) => rows.some((r) => ipIds(r)[0] === b.ipId && first(r['ip.dst']) === ADDRESSES.server));
  const answers = rows.filter(quotesProbe);
  const answered12 = BAD_ICMP_HEADERS.filter((b) => answers.some((r) => first(r['icmp.type']) === '12' && ipIds(r).slice(1).includes(b.ipId)));
  const c = badHeaders.serverCounters;
  const observed = {
    ...ipPart,
    badIcmpHeadersSent: sent.map((b) => b.name),
    parameterProblemsQuotingThem: answered12.map((b) => b.name),
    icmpQuotingThem: answers.length,
    serverCounters: c,
  };
  const evidence: Evidence[] = [icmpTable('Parameter Problem, and the three ICMP messages with a wrong ICMP header (with anything quoting them)', [...problems, ...rows.filter((r) => probeIds.includes(ipIds(r)[0]!)), ...answers])];
  if (sent.length < BAD_ICMP_HEADERS.length) {
    return { ...notObserved('icmp.parameter-problem', { en: `${ipSaid.en}. But the capture shows only ${sent.length} of the ${BAD_ICMP_HEADERS.length} ICMP messages with a wrong header leaving the client (${sent.map((b) => b.name).join(', ') || 'none'}).`, zh: `${ipSaid.zh}。但抓包中只看到 ${BAD_ICMP_HEADERS.length} 个首部有错的 ICMP 报文中的 ${sent.length} 个离开客户端（${sent.map((b) => b.zh).join('、') || '无'}）。` }, observed), evidence };
  }
  if ((c['Icmp.InMsgs'] ?? 0) < BAD_ICMP_HEADERS.length) {
    return { ...notObserved('icmp.parameter-problem', { en: `${ipSaid.en}. But the server's Icmp InMsgs rose by ${c['Icmp.InMsgs'] ?? 0} across the ${BAD_ICMP_HEADERS.length} messages with a wrong ICMP header: they did not all reach it, so its silence says nothing.`, zh: `${ipSaid.zh}。但在发送 ${BAD_ICMP_HEADERS.length} 个 ICMP 首部有错的报文期间，服务端的 Icmp InMsgs 只增加了 ${c['Icmp.InMsgs'] ?? 0}：报文并未全部到达，它的沉默说明不了什么。` }, observed), evidence };
  }
  if (answered12.length === BAD_ICMP_HEADERS.length) {
    return {
      id: 'icmp.parameter-problem',
      verdict: 'confirmed',
      summary: `${ipSaid.en}; and each ICMP message with a wrong ICMP header (${BAD_ICMP_HEADERS.map((b) => b.name).join(', ')}) drew a Parameter Problem quoting it.`,
      summaryZh: `${ipSaid.zh}；每个 ICMP 首部有错的报文（${BAD_ICMP_HEADERS.map((b) => b.zh).join('、')}）也都引来了引用它的 Parameter Problem。`,
      observed,
      evidence,
    };
  }
  const silent = BAD_ICMP_HEADERS.filter((b) => !answered12.includes(b));
  const counters = ICMP_COUNTERS.map((name) => `${name.replace('Icmp.', '')} +${c[name] ?? 0}`).join(', ');
  return {
    id: 'icmp.parameter-problem',
    verdict: 'nuanced',
    summary: `For the IP header only. ${ipSaid.en}. But the server answered none of ${silent.length === BAD_ICMP_HEADERS.length ? 'the three ICMP messages whose ICMP header was wrong' : 'these ICMP messages with a wrong ICMP header'} (${silent.map((b) => b.name).join(', ')}) with a Parameter Problem: its counters show it received and discarded them (${counters}), ${answers.length ? `and ${answers.length} other ICMP message(s) quoted them` : 'and nothing came back quoting them'}. The receiver that found the ICMP header wrong discarded the message silently.`,
    summaryZh: `只对 IP 首部成立。${ipSaid.zh}。但对${silent.length === BAD_ICMP_HEADERS.length ? '三个 ICMP 首部有错的报文' : '这些 ICMP 首部有错的报文'}（${silent.map((b) => b.zh).join('、')}），服务端没有回复任何 Parameter Problem：它的计数器表明它收到并丢弃了它们（${counters}），${answers.length ? `另有 ${answers.length} 条 ICMP 报文引用了它们` : '也没有任何引用它们的报文返回'}。发现 ICMP 首部有错的接收方只是静默地丢弃了报文。`,
    observed,
    evidence,
  };
}

/**
 * The client's forwarding and redirect sysctls when it pinged far, named without "net.ipv4."
 * (ip_forward, conf.all.forwarding, conf.eth0.forwarding, conf.all.accept_redirects, ...), as the lab
 * read them in its namespace. Older callers give them as one "name=value, name=value" string.
 */
export type RedirectSettings = Record<string, string>;

/** The forwarding switches: the kernel treats an interface as a router's when its forwarding is on. */
export const FORWARDING_SYSCTLS = ['ip_forward', 'conf.all.forwarding', 'conf.eth0.forwarding'] as const;
/** What the kernel consults when a Redirect arrives on the client's eth0. */
export const REDIRECT_SYSCTLS = ['conf.all.accept_redirects', 'conf.eth0.accept_redirects', 'conf.eth0.secure_redirects', 'conf.eth0.shared_media'] as const;
/** The setting the lab changes when the host did not follow the Redirect as it was. */
export const ACCEPT_REDIRECTS = 'net.ipv4.conf.all.accept_redirects=1';

/** The next hop `ip route get` printed ("direct" for an on-link route), or undefined when it printed no route. */
const nextHop = (route: Observation | undefined): string | undefined => {
  if (!route || route.exitCode !== 0 || !/\bdev \S+/.test(route.output)) return undefined;
  return route.output.match(/ via (\S+)/)?.[1] ?? 'direct';
};

export function judgeRedirect(rows: IcmpRow[], routeAsHost: Observation, routeAccepting: Observation | undefined, hostSettings: RedirectSettings): ClaimResult {
  if (!rows.length) return notObserved('icmp.redirect', NO_CAPTURE);
  const a = ADDRESSES;
  const named = Object.entries(hostSettings).map(([k, v]) => `${k}=${v}`).join(', ');
  const forwardingOn = FORWARDING_SYSCTLS.filter((k) => hostSettings[k] === '1');
  const forwardingOff = FORWARDING_SYSCTLS.every((k) => hostSettings[k] === '0');
  const redirects = ofType(rows, 5);
  const toGw = redirects.filter((r) => first(r['ip.src']) === a.r1 && r['icmp.redir_gw'] === a.gw && r['ip.dst'].split(',').includes(a.far));
  const code = first(toGw[0]?.['icmp.code'] ?? redirects[0]?.['icmp.code'] ?? '');
  const observed = {
    messages: redirects.length,
    from: [...new Set(redirects.map((r) => first(r['ip.src'])))],
    code,
    gateway: toGw[0]?.['icmp.redir_gw'] ?? redirects[0]?.['icmp.redir_gw'],
    hostSettings,
    nextHopAsHost: nextHop(routeAsHost),
    ...(routeAccepting ? { nextHopAcceptingRedirects: nextHop(routeAccepting) } : {}),
  };
  const evidence: Evidence[] = [icmpTable('Redirect messages', redirects), routeAsHost.evidence, ...(routeAccepting ? [routeAccepting.evidence] : [])];
  if (!toGw.length) {
    return {
      id: 'icmp.redirect',
      verdict: 'refuted',
      summary: `r1 sent no Redirect naming ${a.gw} for the client's pings to far (${a.far}): ${redirects.length ? `the capture holds ${redirects.length} Redirect(s), from ${observed.from.join(', ')}, naming ${[...new Set(redirects.map((r) => r['icmp.redir_gw']))].join(', ') || 'no gateway'}` : 'the capture holds no Redirect at all'}.`,
      summaryZh: `对于客户端发往远端主机 far（${a.far}）的 ping，r1 没有发送指明 ${a.gw} 的重定向：${redirects.length ? `抓包中有 ${redirects.length} 条 Redirect，来自 ${observed.from.join('、')}，指明的网关为 ${[...new Set(redirects.map((r) => r['icmp.redir_gw']))].join('、') || '无'}` : '抓包中没有任何 Redirect'}。`,
      observed,
      evidence,
    };
  }
  const told = { en: `r1 sent ${toGw.length} Redirect(s) 5/${code} naming ${a.gw} as the better next hop to far`, zh: `r1 发送了 ${toGw.length} 条 Redirect 5/${code}（重定向），指明去往 far 的更优下一跳是 ${a.gw}` };
  if (!observed.nextHopAsHost) {
    return { ...notObserved('icmp.redirect', { en: `${told.en}, but \`ip route get ${a.far}\` printed no route in the client afterwards${routeAsHost.exitCode ? ` (exit ${routeAsHost.exitCode})` : ''}, so whether the host followed it is not known.`, zh: `${told.zh}，但之后客户端中的 \`ip route get ${a.far}\` 没有输出路由${routeAsHost.exitCode ? `（退出码 ${routeAsHost.exitCode}）` : ''}，无从得知主机是否遵从了它。` }, observed), evidence };
  }
  if (forwardingOn.length) {
    return { ...notObserved('icmp.redirect', { en: `${told.en}, but the client was forwarding when it got them (${named}): the kernel treated it as a router, not as the host the claim is about, so what a host does with a Redirect was not observed.`, zh: `${told.zh}，但客户端收到它们时开着转发（${named}）：内核把它当作路由器而不是说法所说的主机，因此没有观察到主机如何对待重定向。` }, observed), evidence };
  }
  const host = forwardingOff ? { en: `the client, a host with forwarding off and its accept_redirects as the kernel left them (${named}),`, zh: `客户端作为关闭了转发的主机、accept_redirects 保持内核给出的值（${named}）` } : { en: `the client (${named})`, zh: `客户端（${named}）` };
  if (observed.nextHopAsHost === a.gw) {
    return {
      id: 'icmp.redirect',
      verdict: 'confirmed',
      summary: `${told.en}, and ${host.en} followed it: its route to far then went via ${a.gw} instead of r1, its default gateway.`,
      summaryZh: `${told.zh}；${host.zh}遵从了它：此后它去往 far 的路由改经 ${a.gw}，而不再经其默认网关 r1。`,
      observed,
      evidence,
    };
  }
  const accepting = observed.nextHopAcceptingRedirects;
  if (!accepting) {
    return { ...notObserved('icmp.redirect', { en: `${told.en}, but ${host.en} kept routing via ${observed.nextHopAsHost}, and ${routeAccepting ? `\`ip route get ${a.far}\` printed no route after ${ACCEPT_REDIRECTS}` : `no attempt with ${ACCEPT_REDIRECTS} was recorded`}, so whether any setting lets this host follow a Redirect is not known.`, zh: `${told.zh}，但${host.zh}仍经由 ${observed.nextHopAsHost} 转发，而${routeAccepting ? `设置 ${ACCEPT_REDIRECTS} 后 \`ip route get ${a.far}\` 没有输出路由` : `没有记录设置 ${ACCEPT_REDIRECTS} 后的尝试`}，无从得知是否有某个设置能让这台主机遵从重定向。` }, observed), evidence };
  }
  const followedOnce = accepting === a.gw;
  return {
    id: 'icmp.redirect',
    verdict: 'nuanced',
    summary: followedOnce
      ? `Followed only once the host accepted redirects: ${told.en}, but ${host.en} kept routing via ${observed.nextHopAsHost}; after ${ACCEPT_REDIRECTS} and the same pings it switched to ${a.gw}.`
      : `Told, but never followed: ${told.en}, but ${host.en} kept routing via ${observed.nextHopAsHost}, and still via ${accepting} after ${ACCEPT_REDIRECTS} and the same pings.`,
    summaryZh: followedOnce
      ? `只有在主机接受重定向时才会遵从：${told.zh}，但${host.zh}仍经由 ${observed.nextHopAsHost} 转发；设置 ${ACCEPT_REDIRECTS} 并再次 ping 后，它才改经 ${a.gw} 转发。`
      : `通知了，但从未被遵从：${told.zh}，但${host.zh}仍经由 ${observed.nextHopAsHost} 转发；设置 ${ACCEPT_REDIRECTS} 并再次 ping 后，仍经由 ${accepting} 转发。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'icmp-messages',
  title: 'ICMP messages provoked across real routers: echo, time exceeded, unreachable, parameter problem, redirect',
  topic: 'icmp',
  claims: ['icmp.echo', 'icmp.time-exceeded', 'icmp.unreachable.frag-needed', 'icmp.unreachable.port', 'icmp.parameter-problem', 'icmp.redirect'],
  requires: ['root', 'netns', 'iptables', 'tcpdump', 'tshark', 'ping', 'traceroute', 'scapy'],
  timeLimitMs: 90_000,
  handout: {
    starts: 'A client on a LAN with routers r1 and gw; the chain r1 → r2 → r3 → server (last link MTU 1280); a host far behind gw.',
    does: "Pings with a pattern, traceroutes, pings with DF and 1400 bytes, sends UDP and TCP to closed ports and TCP to a port the server's iptables rejects, sends with scapy three ICMP messages with a wrong ICMP header and then a malformed IP option, turns the client's forwarding off (a host's) and pings far through r1, again with accept_redirects=1 only if it did not follow the Redirect.",
    observes: "ICMP type, code, identifier, sequence, data, MTU, pointer, gateway and quoted IP id decoded by tshark; ping, traceroute and ip route output; the sockets' errors; the server's ICMP counters around the bad ICMP headers; the client's forwarding and accept_redirects sysctls.",
    zh: {
      title: '经真实路由器触发的 ICMP 消息：回显、超时、不可达、参数问题、重定向',
      starts: '客户端与路由器 r1、gw 位于同一局域网；链路 r1 → r2 → r3 → server（最后一段链路 MTU 为 1280）；gw 后方远处的一台主机。',
      does: '带填充模式 ping；traceroute；设置 DF 以 1400 字节 ping；向未开放的端口发送 UDP 和 TCP，并向服务端 iptables 拒绝的端口发送 TCP；用 scapy 先发送三个 ICMP 首部有错的 ICMP 报文，再发送带畸形 IP 选项的报文；关闭客户端的转发（主机本应如此），经 r1 ping 远端主机，仅当它没有遵从重定向时才设置 accept_redirects=1 再 ping 一次。',
      observes: 'tshark 解码出的 ICMP 类型、代码、标识符、序列号、数据、MTU、指针、网关和被引用报文的 IP 标识；ping、traceroute 和 ip route 的输出；套接字上的错误；发送错误 ICMP 首部前后服务端的 ICMP 计数器；客户端的转发与 accept_redirects 内核参数。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, r1: { router: true }, gw: { router: true }, r2: { router: true }, r3: { router: true }, server: {}, far: {} },
      lans: [{ name: 'lan', members: [['client', `${ADDRESSES.client}/24`], ['r1', `${ADDRESSES.r1}/24`], ['gw', `${ADDRESSES.gw}/24`]] }],
      links: [
        { a: ['r1', '198.18.11.1/24'], b: ['r2', `${ADDRESSES.r2}/24`] },
        { a: ['r2', '198.18.12.1/24'], b: ['r3', `${ADDRESSES.r3}/24`] },
        { a: ['r3', '198.18.13.1/24'], b: ['server', `${ADDRESSES.server}/24`], mtu: 1280 },
        { a: ['gw', '198.18.20.1/24'], b: ['far', `${ADDRESSES.far}/24`] },
      ],
      routes: [
        { host: 'client', to: 'default', via: ADDRESSES.r1 },
        { host: 'r1', to: '198.18.20.0/24', via: ADDRESSES.gw },
        { host: 'r1', to: 'default', via: ADDRESSES.r2 },
        { host: 'r2', to: '198.18.10.0/24', via: '198.18.11.1' },
        { host: 'r2', to: '198.18.13.0/24', via: ADDRESSES.r3 },
        { host: 'r3', to: 'default', via: '198.18.12.1' },
        { host: 'server', to: 'default', via: '198.18.13.1' },
        { host: 'gw', to: 'default', via: ADDRESSES.r1 },
        { host: 'far', to: 'default', via: '198.18.20.1' },
      ],
    },
  },
  async run(ctx) {
    const a = ADDRESSES;
    const net = ctx.hosts;
    const client = net.client.netns;
    ctx.environment.ping = await toolVersion('ping', ['-V']);
    ctx.environment.traceroute = await toolVersion('traceroute', ['--version']);
    ctx.environment.tshark = await toolVersion('tshark');
    await recordSysctls(ctx.environment, ['net.ipv4.icmp_ratelimit', 'net.ipv4.icmp_ratemask'], client);
    const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'icmp', netns: client, iface: 'eth0', filter: 'icmp' });

    // Linux rate-limits ICMP errors per destination (net.ipv4.icmp_ratelimit): the lone port
    // probe goes first, before traceroute draws a burst of errors from the same hosts.
    ctx.step('closed ports');
    const agent = await startSocketAgent(ctx.scope, ctx.runId, 'client', client);
    await agent.request('udp-open', { sock: 'probe', connect: { host: a.server, port: CLOSED_PORT } });
    // One datagram only: a second send would collect the pending error itself (as its own send()
    // failure), racing the socket's error event that this step observes.
    await agent.request('udp-send', { sock: 'probe', bytes: 16 });
    const udpError = await agent.waitFor((e) => e.event === 'udp-error', 3000, 'an error on the UDP socket').then((e) => String(e.code), () => 'none');
    await agent.request('connect', { host: a.server, port: CLOSED_PORT, conn: 'tcp-probe' });
    const tcpError = await agent.waitFor((e) => e.event === 'error' && e.conn === 'tcp-probe', 3000, 'the TCP connect to fail').then((e) => String(e.message), () => 'no answer');
    const tcpOutcome = /ECONNREFUSED/.test(tcpError) ? 'a TCP RST (ECONNREFUSED)' : tcpError;
    // The same closed-port answer, given by a firewall rule instead of the stack: iptables' REJECT
    // on a TCP port of the server (its default for IPv4 is icmp-port-unreachable, named here).
    const rejectRule = ['INPUT', '-p', 'tcp', '--dport', String(REJECTED_PORT), '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'];
    await exec('iptables', ['-A', ...rejectRule], { netns: net.server.netns });
    await agent.request('connect', { host: a.server, port: REJECTED_PORT, conn: 'tcp-rejected' });
    const rejectedError = await agent.waitFor((e) => e.event === 'error' && e.conn === 'tcp-rejected', 3000, 'the TCP connect to the rejected port to fail').then((e) => String(e.message), () => 'no answer');
    const rejected: RejectedTcp = { port: REJECTED_PORT, rule: `iptables -A ${rejectRule.join(' ')}`, outcome: /ECONNREFUSED/.test(rejectedError) ? 'ECONNREFUSED' : rejectedError };

    ctx.step('echo');
    const ping = await observeCommand('ping with a data pattern', 'ping', ['-c', '3', '-i', '0.2', '-p', PATTERN, a.server], client);
    ctx.step('DF over a smaller MTU');
    const bigPing = await observeCommand('ping with DF set and 1400 bytes of data', 'ping', ['-c', '1', '-W', '1', '-M', 'do', '-s', '1400', a.server], client);
    // Three ICMP messages whose ICMP header is wrong, before any Parameter Problem is drawn from the
    // server's direction: a bad checksum (an echo request whose checksum is flipped), a header cut to
    // 4 bytes (type, code and a checksum that is right for those 4 bytes), an unknown type (99).
    ctx.step('bad ICMP headers');
    const [probeChecksum, probeShort, probeType] = BAD_ICMP_HEADERS.map((b) => b.ipId);
    const before = await readCounters(net.server.netns);
    await scapy(
      client,
      [
        'import struct, time',
        `echo = IP(dst='${a.server}', id=${probeChecksum})/ICMP(type=8, id=0x6c62, seq=1)/Raw(b'xsum')`,
        'echo[ICMP].chksum = IP(raw(echo))[ICMP].chksum ^ 0x0f0f',
        `short = IP(dst='${a.server}', id=${probeShort}, proto=1)/Raw(b'\\x08\\x00' + struct.pack('!H', checksum(b'\\x08\\x00\\x00\\x00')))`,
        `unknown = IP(dst='${a.server}', id=${probeType})/ICMP(type=99, code=0)`,
        'send([echo, short, unknown], inter=0.05)',
        'time.sleep(0.5)',
      ].join('\n'),
    );
    const badHeaders: BadIcmpHeaders = { serverCounters: counterDelta(before, await readCounters(net.server.netns), ICMP_COUNTERS) };

    ctx.step('malformed IP option');
    await scapy(client, `send(IP(dst='${a.server}', ihl=6, options=b'\\x07\\x09\\x04\\x00')/ICMP())`);

    // The client is a host, but a new namespace copies init_net's conf/all and conf/default
    // (net.core.devconf_inherit_init_net=0): on a machine that forwards (Docker sets ip_forward=1) it
    // starts out forwarding, and the kernel then treats a Redirect on eth0 as a router would. Turn its
    // forwarding off, as a host's is, and read what the kernel made of its redirect settings.
    ctx.step('redirect');
    const sysctlsOf = (names: readonly string[]) => names.map((name) => `net.ipv4.${name}`);
    await recordSysctls(ctx.environment, sysctlsOf([...FORWARDING_SYSCTLS, ...REDIRECT_SYSCTLS]), client, ' (client, as created)');
    await exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0'], { netns: client });
    await recordSysctls(ctx.environment, sysctlsOf([...FORWARDING_SYSCTLS, ...REDIRECT_SYSCTLS]), client);
    const hostSettings: RedirectSettings = Object.fromEntries([...FORWARDING_SYSCTLS, ...REDIRECT_SYSCTLS].map((name) => [name, ctx.environment[`sysctl net.ipv4.${name}`] ?? '?']));
    await observeCommand('ping far through r1', 'ping', ['-c', '2', '-i', '0.2', a.far], client);
    const routeAsHost = await observeCommand("the client's route to far, as a host: forwarding off, accept_redirects as the kernel left them", 'ip', ['route', 'get', a.far], client);
    // Only if the host did not follow the Redirect as it was: the same pings with accept_redirects=1.
    let routeAccepting: Observation | undefined;
    if (routeAsHost.output.match(/ via (\S+)/)?.[1] !== a.gw) {
      await exec('sysctl', ['-q', '-w', ACCEPT_REDIRECTS], { netns: client });
      await observeCommand('ping far through r1 again', 'ping', ['-c', '2', '-i', '0.2', a.far], client);
      routeAccepting = await observeCommand(`the client's route to far after ${ACCEPT_REDIRECTS}`, 'ip', ['route', 'get', a.far], client);
    }

    ctx.step('traceroute');
    const trace = await observeCommand('traceroute to the server', 'traceroute', ['-n', '-q', '1', '-w', '1', a.server], client);
    // Stop once the capture holds a Time Exceeded for every router traceroute printed, not after a delay.
    const routersPrinted = trace.output.split('\n').filter((l) => ROUTERS.includes(l.match(/^\s*\d+\s+(\S+)/)?.[1] ?? '')).length;
    await waitForPackets(capture.file, 'icmp.type == 11 && icmp.code == 0', routersPrinted);

    await capture.stop();
    const rows = (await readFields(capture.file, 'ip.proto == 1', ICMP_FIELDS)) as IcmpRow[];
    const file = keptFile(ctx, capture.file, 'ICMP capture on the client (pcap)');
    return [
      judgeEcho(rows, ping),
      judgeTimeExceeded(rows, trace),
      judgeFragNeeded(rows, bigPing),
      judgePortUnreachable(rows, udpError, tcpOutcome, rejected),
      judgeParameterProblem(rows, badHeaders),
      judgeRedirect(rows, routeAsHost, routeAccepting, hostSettings),
    ].map((c) => withEvidence(c, ...file));
  },
});
