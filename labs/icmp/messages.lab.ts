/**
 * Lab: the ICMP messages of the sheet, each provoked on purpose across real Linux routers.
 *
 * Starts: a client on a LAN with two routers (r1, the client's default gateway, and gw), a chain
 * client → r1 → r2 → r3 → server whose last link has an MTU of 1280, and a host `far` behind gw.
 * tcpdump captures ICMP on the client's interface; a node:net/dgram socket agent runs in the client.
 *
 * Does: pings the server with a data pattern; traces the route with traceroute; pings with DF set
 * and 1400 bytes of data; sends a UDP datagram and a TCP SYN to closed ports; sends, with scapy, an
 * IPv4 packet whose option length runs past its header; pings `far`, which r1 reaches through gw
 * on the same LAN the client is on.
 *
 * Observes: the ICMP packets tshark decodes (type, code, identifier, sequence, data, MTU, pointer,
 * gateway), the tools' own output, the error the client's UDP socket reports, and the client's
 * route to `far` afterwards.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptFile, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { observeCommand, type Observation } from '../../src/observers/command.ts';
import { recordSysctls, toolVersion } from '../../src/observers/environment.ts';
import { firstValue, readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { exec } from '../../src/resources/process.ts';
import { scapy } from '../../src/resources/scapy.ts';
import { startSocketAgent } from '../../src/resources/socket-agent.ts';

export const ICMP_FIELDS = ['frame.number', 'ip.src', 'ip.dst', 'icmp.type', 'icmp.code', 'icmp.ident', 'icmp.seq', 'data.data', 'icmp.mtu', 'icmp.pointer', 'icmp.redir_gw', 'udp.dstport', 'tcp.dstport'] as const;
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

export function judgeTimeExceeded(rows: IcmpRow[], trace: Observation): ClaimResult {
  const routers = [ADDRESSES.r1, ADDRESSES.r2, ADDRESSES.r3];
  const exceeded = ofType(rows, 11, 0);
  const from = [...new Set(exceeded.map((r) => first(r['ip.src'])))];
  const hops = trace.output
    .split('\n')
    .map((l) => l.match(/^\s*(\d+)\s+(\S+)/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => m[2]!);
  const observed = { timeExceededFrom: from, tracerouteHops: hops, expectedRouters: routers };
  if (!rows.length) return notObserved('icmp.time-exceeded', NO_CAPTURE, observed);
  if (!hops.length) return notObserved('icmp.time-exceeded', { en: 'traceroute printed no hops.', zh: 'traceroute 没有输出任何一跳。' }, observed);
  const holds = routers.every((r) => from.includes(r)) && hops.join(' ') === [...routers, ADDRESSES.server].join(' ');
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

export function judgePortUnreachable(rows: IcmpRow[], socketError: string, tcpOutcome: string): ClaimResult {
  if (!rows.length) return notObserved('icmp.unreachable.port', NO_CAPTURE, { udpSocketError: socketError, tcpToClosedPort: tcpOutcome });
  const unreachable = ofType(rows, 3, 3).filter((r) => r['udp.dstport'].split(',').includes('9'));
  const observed = { icmpPortUnreachable: unreachable.length, udpSocketError: socketError, tcpToClosedPort: tcpOutcome, icmpQuotingTcp: rows.filter((r) => r['tcp.dstport'] !== '').length };
  const holds = unreachable.length > 0 && socketError === 'ECONNREFUSED' && observed.icmpQuotingTcp === 0;
  return {
    id: 'icmp.unreachable.port',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The UDP datagram to closed port 9 drew Destination Unreachable 3/3 from the server, which the client's connected UDP socket reported as ${socketError}; a TCP SYN to a closed port got ${tcpOutcome} instead, no ICMP.`
      : `Expected 3/3 and ECONNREFUSED, saw ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `发往未开放端口 9 的 UDP 数据报引来服务端的 Destination Unreachable 3/3（端口不可达），客户端已 connect 的 UDP socket 将其报告为 ${socketError}；而发往未开放端口的 TCP SYN 得到的是 ${tcpOutcome === 'a TCP RST (ECONNREFUSED)' ? 'TCP RST（ECONNREFUSED）' : tcpOutcome}，没有 ICMP。`
      : `预期为 3/3 和 ECONNREFUSED，实际为 ${JSON.stringify(observed)}。`,
    observed,
    evidence: [icmpTable('Port unreachable (the quoted datagram is the UDP one to port 9)', unreachable)],
  };
}

export function judgeParameterProblem(rows: IcmpRow[]): ClaimResult {
  if (!rows.length) return notObserved('icmp.parameter-problem', NO_CAPTURE);
  const problems = ofType(rows, 12);
  const observed = { messages: problems.length, from: problems.map((r) => first(r['ip.src'])), code: first(problems[0]?.['icmp.code'] ?? ''), pointer: problems[0]?.['icmp.pointer'] };
  const holds = problems.length > 0;
  return {
    id: 'icmp.parameter-problem',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `An IPv4 packet whose record-route option claimed 9 bytes in a 4-byte option area drew Parameter Problem 12/${observed.code} from ${observed.from[0]}, pointing at byte ${observed.pointer} of the header.`
      : 'The malformed option drew no Parameter Problem message.',
    summaryZh: holds
      ? `一个 IPv4 报文的记录路由选项在只有 4 字节的选项区里声称长度为 9 字节，${observed.from[0]} 因此回复了 Parameter Problem 12/${observed.code}（参数问题），指针指向首部的第 ${observed.pointer} 字节。`
      : '畸形选项没有引来 Parameter Problem 消息。',
    observed,
    evidence: [icmpTable('Parameter Problem', problems)],
  };
}

export function judgeRedirect(rows: IcmpRow[], routeWithDefaults: Observation, routeAccepting: Observation, defaults: string): ClaimResult {
  if (!rows.length) return notObserved('icmp.redirect', NO_CAPTURE);
  const redirects = ofType(rows, 5);
  const gateway = redirects[0]?.['icmp.redir_gw'];
  const via = (o: Observation) => o.output.match(/ via (\S+)/)?.[1] ?? 'direct';
  const observed = {
    messages: redirects.length,
    from: [...new Set(redirects.map((r) => first(r['ip.src'])))],
    code: first(redirects[0]?.['icmp.code'] ?? ''),
    gateway,
    nextHopWithDefaults: via(routeWithDefaults),
    nextHopAcceptingRedirects: via(routeAccepting),
    clientDefaults: defaults,
  };
  const evidence: Evidence[] = [icmpTable('Redirect messages', redirects), routeWithDefaults.evidence, routeAccepting.evidence];
  if (!redirects.length || gateway !== ADDRESSES.gw) {
    return { id: 'icmp.redirect', verdict: 'refuted', summary: `r1 sent no redirect to ${ADDRESSES.gw}: ${JSON.stringify(observed)}.`, summaryZh: `r1 没有发送指向 ${ADDRESSES.gw} 的重定向：${JSON.stringify(observed)}。`, observed, evidence };
  }
  const followedByDefault = observed.nextHopWithDefaults === ADDRESSES.gw;
  const followedWhenAllowed = observed.nextHopAcceptingRedirects === ADDRESSES.gw;
  return {
    id: 'icmp.redirect',
    verdict: followedByDefault ? 'confirmed' : 'nuanced',
    summary: followedByDefault
      ? `r1 sent Redirect 5/${observed.code} naming ${gateway} and the client followed it.`
      : `r1 sent Redirect 5/${observed.code} naming ${gateway}, but the client (${defaults}) kept routing via ${observed.nextHopWithDefaults}; ${followedWhenAllowed ? `with net.ipv4.conf.all.accept_redirects=1 it switched to ${gateway}` : 'it did not follow it even with accept_redirects=1'}.`,
    summaryZh: followedByDefault
      ? `r1 发送了指明 ${gateway} 的 Redirect 5/${observed.code}（重定向），客户端遵从了这一重定向。`
      : `r1 发送了指明 ${gateway} 的 Redirect 5/${observed.code}（重定向），但客户端（${defaults}）仍经由 ${observed.nextHopWithDefaults} 转发；${followedWhenAllowed ? `设置 net.ipv4.conf.all.accept_redirects=1 后，它改经 ${gateway} 转发` : '即使设置了 accept_redirects=1，它也没有遵从'}。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'icmp-messages',
  title: 'ICMP messages provoked across real routers: echo, time exceeded, unreachable, parameter problem, redirect',
  topic: 'icmp',
  claims: ['icmp.echo', 'icmp.time-exceeded', 'icmp.unreachable.frag-needed', 'icmp.unreachable.port', 'icmp.parameter-problem', 'icmp.redirect'],
  requires: ['root', 'netns', 'tcpdump', 'tshark', 'ping', 'traceroute', 'scapy'],
  timeLimitMs: 90_000,
  handout: {
    starts: 'A client on a LAN with routers r1 and gw; the chain r1 → r2 → r3 → server (last link MTU 1280); a host far behind gw.',
    does: 'Pings with a pattern, traceroutes, pings with DF and 1400 bytes, sends UDP and TCP to closed ports, sends a malformed IP option with scapy, pings far through r1.',
    observes: 'ICMP type, code, identifier, sequence, data, MTU, pointer and gateway decoded by tshark; ping, traceroute and ip route output; the UDP socket error.',
    zh: {
      title: '经真实路由器触发的 ICMP 消息：回显、超时、不可达、参数问题、重定向',
      starts: '客户端与路由器 r1、gw 位于同一局域网；链路 r1 → r2 → r3 → server（最后一段链路 MTU 为 1280）；gw 后方远处的一台主机。',
      does: '带填充模式 ping；traceroute；设置 DF 以 1400 字节 ping；向未开放的端口发送 UDP 和 TCP；用 scapy 发送带畸形 IP 选项的报文；经 r1 ping 远端主机。',
      observes: 'tshark 解码出的 ICMP 类型、代码、标识符、序列号、数据、MTU、指针和网关；ping、traceroute 和 ip route 的输出；UDP 套接字上的错误。',
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
    const redirectSysctls = ['net.ipv4.conf.all.accept_redirects', 'net.ipv4.conf.eth0.accept_redirects', 'net.ipv4.conf.eth0.secure_redirects', 'net.ipv4.conf.eth0.shared_media'];
    await recordSysctls(ctx.environment, ['net.ipv4.icmp_ratelimit', 'net.ipv4.icmp_ratemask', ...redirectSysctls], client);
    const redirectDefaults = redirectSysctls.map((name) => `${name.replace('net.ipv4.conf.', '')}=${ctx.environment[`sysctl ${name}`]}`).join(', ');
    const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'icmp', netns: client, iface: 'eth0', filter: 'icmp' });

    // Linux rate-limits ICMP errors per destination (net.ipv4.icmp_ratelimit): the lone port
    // probe goes first, before traceroute draws a burst of errors from the same hosts.
    ctx.step('closed ports');
    const agent = await startSocketAgent(ctx.scope, ctx.runId, 'client', client);
    await agent.request('udp-open', { sock: 'probe', connect: { host: a.server, port: 9 } });
    // One datagram only: a second send would collect the pending error itself (as its own send()
    // failure), racing the socket's error event that this step observes.
    await agent.request('udp-send', { sock: 'probe', bytes: 16 });
    const udpError = await agent.waitFor((e) => e.event === 'udp-error', 3000, 'an error on the UDP socket').then((e) => String(e.code), () => 'none');
    await agent.request('connect', { host: a.server, port: 9, conn: 'tcp-probe' });
    const tcpError = await agent.waitFor((e) => e.event === 'error' && e.conn === 'tcp-probe', 3000, 'the TCP connect to fail').then((e) => String(e.message), () => 'no answer');
    const tcpOutcome = /ECONNREFUSED/.test(tcpError) ? 'a TCP RST (ECONNREFUSED)' : tcpError;

    ctx.step('echo');
    const ping = await observeCommand('ping with a data pattern', 'ping', ['-c', '3', '-i', '0.2', '-p', PATTERN, a.server], client);
    ctx.step('DF over a smaller MTU');
    const bigPing = await observeCommand('ping with DF set and 1400 bytes of data', 'ping', ['-c', '1', '-W', '1', '-M', 'do', '-s', '1400', a.server], client);
    ctx.step('malformed IP option');
    await scapy(client, `send(IP(dst='${a.server}', ihl=6, options=b'\\x07\\x09\\x04\\x00')/ICMP())`);

    ctx.step('redirect');
    await observeCommand('ping far through r1', 'ping', ['-c', '2', '-i', '0.2', a.far], client);
    const routeWithDefaults = await observeCommand("the client's route to far, Linux defaults", 'ip', ['route', 'get', a.far], client);
    await exec('sysctl', ['-q', '-w', 'net.ipv4.conf.all.accept_redirects=1'], { netns: client });
    await observeCommand('ping far through r1 again', 'ping', ['-c', '2', '-i', '0.2', a.far], client);
    const routeAccepting = await observeCommand("the client's route to far, accept_redirects=1", 'ip', ['route', 'get', a.far], client);

    ctx.step('traceroute');
    const trace = await observeCommand('traceroute to the server', 'traceroute', ['-n', '-q', '1', '-w', '1', a.server], client);

    await capture.stop();
    const rows = (await readFields(capture.file, 'icmp', ICMP_FIELDS)) as IcmpRow[];
    const file = keptFile(ctx, capture.file, 'ICMP capture on the client (pcap)');
    return [
      judgeEcho(rows, ping),
      judgeTimeExceeded(rows, trace),
      judgeFragNeeded(rows, bigPing),
      judgePortUnreachable(rows, udpError, tcpOutcome),
      judgeParameterProblem(rows),
      judgeRedirect(rows, routeWithDefaults, routeAccepting, redirectDefaults),
    ].map((c) => withEvidence(c, ...file));
  },
});
