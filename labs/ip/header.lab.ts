/**
 * Lab: every field of the IPv4 header, read from real packets, and the TTL across two routers.
 *
 * Starts: client → r1 → r2 → server, each a network namespace; tcpdump on the client's and on
 * the server's interface; a socket agent in each end host.
 *
 * Does: opens a TCP connection with ECN negotiated (net.ipv4.tcp_ecn=1 at the client) and sends
 * data; sends one 3000-byte UDP datagram over the 1500-byte links (so it is fragmented); sends,
 * with scapy, a packet carrying 40 bytes of IP options (39 NOPs and an End of Options).
 *
 * Observes: tshark's decoding of each header field (with checksum validation on), the same packets
 * (matched by identification) on both sides of the routers.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptFile, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { recordSysctls, toolVersion } from '../../src/observers/environment.ts';
import { firstValue, readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { scapy } from '../../src/resources/scapy.ts';
import { startSocketAgents } from '../../src/resources/socket-agent.ts';

export const IP_FIELDS = [
  'frame.number', 'frame.len', 'ip.version', 'ip.hdr_len', 'ip.dsfield.dscp', 'ip.dsfield.ecn', 'ip.len', 'ip.id',
  'ip.flags.rb', 'ip.flags.df', 'ip.flags.mf', 'ip.frag_offset', 'ip.ttl', 'ip.proto', 'ip.checksum', 'ip.checksum.status',
  'ip.src', 'ip.dst', 'ip.opt.type', 'tcp.len', 'udp.dstport',
] as const;
export type IpRow = Record<(typeof IP_FIELDS)[number], string>;

const CLIENT = '198.18.30.1';
const SERVER = '198.18.32.2';
const ROUTERS = 2;
const ETHERNET_HEADER = 14;

const first = firstValue;
const n = (row: IpRow | undefined, field: (typeof IP_FIELDS)[number]) => Number(first(row?.[field] ?? ''));

/** The fields the sheet lists, with what one real packet showed for each. */
function fieldTable(title: string, rows: [string, string, IpRow | undefined, (r: IpRow) => string][]): Evidence {
  return { kind: 'table', title, columns: ['field (sheet)', 'bits', 'observed', 'packet'], rows: rows.map(([name, bits, row, show]) => [name, bits, row ? show(row) : 'not seen', row ? `frame ${row['frame.number']}` : '']) };
}

export function judgeHeaderFields(sent: IpRow[]): ClaimResult {
  const tcpData = sent.find((r) => first(r['ip.proto']) === '6' && Number(r['tcp.len']) > 0);
  const fragments = sent.filter((r) => first(r['ip.proto']) === '17' && (first(r['ip.flags.mf']) === '1' || n(r, 'ip.frag_offset') > 0));
  const [firstFragment, lastFragment] = [fragments.find((r) => n(r, 'ip.frag_offset') === 0), fragments.find((r) => n(r, 'ip.frag_offset') > 0)];
  const withOptions = sent.find((r) => n(r, 'ip.hdr_len') > 20);
  const all = sent;
  const observed = {
    version: n(tcpData, 'ip.version'),
    headerLengthBytes: n(tcpData, 'ip.hdr_len'),
    dscp: n(tcpData, 'ip.dsfield.dscp'),
    ecn: n(tcpData, 'ip.dsfield.ecn'),
    totalLengthMatchesFrame: all.every((r) => n(r, 'ip.len') === n(r, 'frame.len') - ETHERNET_HEADER),
    identification: first(tcpData?.['ip.id'] ?? ''),
    dontFragmentOnTcp: n(tcpData, 'ip.flags.df'),
    reservedFlagAlwaysZero: all.every((r) => first(r['ip.flags.rb']) === '0'),
    moreFragmentsOnFirstFragment: n(firstFragment, 'ip.flags.mf'),
    secondFragmentOffset: n(lastFragment, 'ip.frag_offset'),
    firstFragmentPayloadBytes: n(firstFragment, 'ip.len') - n(firstFragment, 'ip.hdr_len'),
    ttl: n(tcpData, 'ip.ttl'),
    protocols: [...new Set(all.map((r) => first(r['ip.proto'])))].sort(),
    checksumsValid: all.every((r) => first(r['ip.checksum.status']) === '1'),
    optionBytesSeen: withOptions ? n(withOptions, 'ip.hdr_len') - 20 : 0,
  };
  const evidence = [
    fieldTable('The sheet\'s fields on real packets', [
      ['version', '4', tcpData, (r) => first(r['ip.version'])],
      ['header length', '4 (×4 bytes)', tcpData, (r) => `${first(r['ip.hdr_len'])} bytes`],
      ['type of service', '8', tcpData, (r) => `DSCP ${first(r['ip.dsfield.dscp'])} + ECN ${first(r['ip.dsfield.ecn'])}`],
      ['total length', '16', tcpData, (r) => `${first(r['ip.len'])} (frame ${r['frame.len']} − 14 Ethernet)`],
      ['identification', '16', tcpData, (r) => first(r['ip.id'])],
      ['flags', '3', firstFragment, (r) => `reserved ${first(r['ip.flags.rb'])}, DF ${first(r['ip.flags.df'])}, MF ${first(r['ip.flags.mf'])}`],
      ['fragment offset', '13 (×8 bytes)', lastFragment, (r) => `${first(r['ip.frag_offset'])} as tshark shows it; the first fragment carried ${observed.firstFragmentPayloadBytes} bytes`],
      ['TTL', '8', tcpData, (r) => first(r['ip.ttl'])],
      ['protocol', '8', tcpData, (r) => first(r['ip.proto'])],
      ['header checksum', '16', tcpData, (r) => `${first(r['ip.checksum'])} (tshark: ${first(r['ip.checksum.status']) === '1' ? 'good' : 'bad'})`],
      ['source, destination', '32 + 32', tcpData, (r) => `${first(r['ip.src'])} → ${first(r['ip.dst'])}`],
      ['options', '0-40 bytes', withOptions, (r) => `${n(r, 'ip.hdr_len') - 20} bytes (types ${r['ip.opt.type'].split(',').slice(0, 3).join(',')}…)`],
    ]),
  ];
  const missing = [!tcpData && ['TCP data packet', 'TCP 数据报文'], !firstFragment && ['first UDP fragment', 'UDP 的第一个分片'], !lastFragment && ['later UDP fragment', 'UDP 的后续分片'], !withOptions && ['packet with IP options', '带 IP 选项的报文']].filter((m) => m !== false);
  // A header seen to break the sheet refutes it even when another packet is missing.
  const broken = !observed.totalLengthMatchesFrame || !observed.reservedFlagAlwaysZero || !observed.checksumsValid;
  if (missing.length && !broken) {
    return notObserved('ip.header.fields', { en: `The client's capture holds no ${missing.map((m) => m[0]).join(', no ')}, so not every field could be read.`, zh: `客户端的抓包中没有${missing.map((m) => m[1]).join('、')}，无法读到每一个字段。` }, observed);
  }
  // tshark 4.0 shows the raw 13-bit value in 8-byte units; later versions show bytes: accept either, say which.
  const offset = observed.secondFragmentOffset;
  const offsetUnit = offset * 8 === observed.firstFragmentPayloadBytes ? 8 : offset === observed.firstFragmentPayloadBytes ? 1 : 0;
  const complete =
    observed.version === 4 && observed.headerLengthBytes === 20 && observed.totalLengthMatchesFrame && observed.reservedFlagAlwaysZero &&
    observed.moreFragmentsOnFirstFragment === 1 && offsetUnit > 0 &&
    observed.checksumsValid && observed.optionBytesSeen > 0;
  if (!complete) return { id: 'ip.header.fields', verdict: 'refuted', summary: `A field did not behave as the sheet describes: ${JSON.stringify(observed)}.`, summaryZh: `有字段的表现与学习资料的描述不符：${JSON.stringify(observed)}。`, observed, evidence };
  return {
    id: 'ip.header.fields',
    verdict: observed.ecn > 0 ? 'nuanced' : 'confirmed',
    summary:
      observed.ecn > 0
        ? `Every field the sheet lists was decoded from real packets (the second fragment's offset ${(offset * offsetUnit) / 8} counts 8-byte units: the first fragment carried ${observed.firstFragmentPayloadBytes} bytes; MF on the first fragment; valid checksums; ${observed.optionBytesSeen} bytes of options), but the 8-bit "type of service" is today two fields: 6 bits of DSCP and 2 of ECN, which ECN-capable TCP set to ${observed.ecn}.`
        : 'Every field the sheet lists was decoded from real packets, with the widths it gives.',
    summaryZh:
      observed.ecn > 0
        ? `学习资料列出的每个字段都从真实报文中解码了出来（第二个分片的偏移 ${(offset * offsetUnit) / 8} 以 8 字节为单位：第一个分片携带了 ${observed.firstFragmentPayloadBytes} 字节；第一个分片置有 MF；校验和全部有效；有 ${observed.optionBytesSeen} 字节的选项），但 8 位的“服务类型”如今已分成两个字段：6 位 DSCP 和 2 位 ECN，支持 ECN 的 TCP 把 ECN 设为 ${observed.ecn}。`
        : '学习资料列出的每个字段都从真实报文中解码了出来，位宽也与它给出的一致。',
    observed,
    evidence,
  };
}

export function judgeTtl(sent: IpRow[], received: IpRow[]): ClaimResult {
  const pairs = sent
    .map((s) => ({ s, r: received.find((r) => r['ip.id'] === s['ip.id'] && first(r['ip.src']) === CLIENT && first(s['ip.src']) === CLIENT) }))
    .filter((p): p is { s: IpRow; r: IpRow } => p.r !== undefined);
  if (!pairs.length) return notObserved('ip.ttl', { en: `No packet from the client was captured on both sides of the routers (${sent.length} at the client, ${received.length} at the server), so no TTL could be compared.`, zh: `没有任何来自客户端的报文同时在路由器两侧被捕获（客户端 ${sent.length} 个，服务端 ${received.length} 个），无法比较 TTL。` });
  const drops = [...new Set(pairs.map(({ s, r }) => n(s, 'ip.ttl') - n(r, 'ip.ttl')))];
  const observed = { packetsMatched: pairs.length, ttlAtClient: pairs[0] ? n(pairs[0].s, 'ip.ttl') : undefined, ttlAtServer: pairs[0] ? n(pairs[0].r, 'ip.ttl') : undefined, decrements: drops, routers: ROUTERS };
  const holds = pairs.length > 0 && drops.length === 1 && drops[0] === ROUTERS;
  return {
    id: 'ip.ttl',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `${pairs.length} packets, matched by identification, left the client with TTL ${observed.ttlAtClient} and reached the server with ${observed.ttlAtServer}: one less per router, ${ROUTERS} routers.`
      : `The TTL fell by ${drops.join(', ')} across ${ROUTERS} routers.`,
    summaryZh: holds
      ? `按标识字段匹配上的 ${pairs.length} 个报文离开客户端时 TTL 为 ${observed.ttlAtClient}，到达服务端时为 ${observed.ttlAtServer}：每经过一个路由器减 1，共 ${ROUTERS} 个路由器。`
      : `经过 ${ROUTERS} 个路由器，TTL 减少了 ${drops.join(', ')}。`,
    observed,
    evidence: [{ kind: 'table', title: 'The same packets before and after the routers', columns: ['identification', 'protocol', 'TTL at client', 'TTL at server'], rows: pairs.slice(0, 8).map(({ s, r }) => [s['ip.id'], first(s['ip.proto']), first(s['ip.ttl']), first(r['ip.ttl'])]) }],
  };
}

export function judgeOptionsSize(received: IpRow[]): ClaimResult {
  if (!received.length) return notObserved('ip.header.options-size', { en: 'The server\'s capture holds no packet from the client.', zh: '服务端的抓包中没有来自客户端的报文。' });
  const optioned = received.filter((r) => n(r, 'ip.hdr_len') > 20);
  const largest = Math.max(0, ...optioned.map((r) => n(r, 'ip.hdr_len')));
  const observed = { largestHeaderBytes: largest, optionBytes: largest ? largest - 20 : 0, headerLengthFieldMax: 15 };
  const holds = largest === 60;
  return {
    id: 'ip.header.options-size',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? 'A packet with 40 bytes of options crossed both routers with a 60-byte header, the most the 4-bit header length (15 × 4 bytes) can express.'
      : `The packet with options arrived with a ${largest}-byte header.`,
    summaryZh: holds
      ? '一个带 40 字节选项的报文以 60 字节的首部穿过了两个路由器，这正是 4 位首部长度字段所能表示的最大值（15 × 4 字节）。'
      : `带选项的报文到达时首部为 ${largest} 字节。`,
    observed,
    evidence: [{ kind: 'table', title: 'Packets with options at the server', columns: ['frame', 'header bytes', 'option types'], rows: optioned.map((r) => [r['frame.number'], first(r['ip.hdr_len']), r['ip.opt.type']]) }],
  };
}

export default defineLab({
  id: 'ip-header',
  title: 'The IPv4 header field by field, and the TTL across routers',
  topic: 'ip',
  claims: ['ip.header.fields', 'ip.ttl', 'ip.header.options-size'],
  requires: ['root', 'netns', 'tcpdump', 'tshark', 'scapy'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'client → r1 → r2 → server in network namespaces; captures on both end hosts.',
    does: 'Sends ECN-capable TCP data, a 3000-byte UDP datagram that must be fragmented, and a packet with 40 bytes of IP options.',
    observes: 'Every IPv4 header field as tshark decodes it, on both sides of the routers.',
    zh: {
      title: '逐字段解析 IPv4 首部，以及 TTL 经过路由器后的变化',
      starts: '由网络命名空间搭建的 client → r1 → r2 → server；在两端主机上抓包。',
      does: '发送支持 ECN 的 TCP 数据、一个必须分片的 3000 字节 UDP 数据报，以及一个携带 40 字节 IP 选项的报文。',
      observes: '路由器两侧抓到的、经 tshark 解码的每个 IPv4 首部字段。',
    },
  },
  needs: {
    topology: {
      hosts: { client: { sysctls: { 'net.ipv4.tcp_ecn': '1' } }, r1: { router: true }, r2: { router: true }, server: {} },
      links: [
        { a: ['client', `${CLIENT}/24`], b: ['r1', '198.18.30.254/24'] },
        { a: ['r1', '198.18.31.1/24'], b: ['r2', '198.18.31.2/24'] },
        { a: ['r2', '198.18.32.254/24'], b: ['server', `${SERVER}/24`] },
      ],
      routes: [
        { host: 'client', to: 'default', via: '198.18.30.254' },
        { host: 'r1', to: '198.18.32.0/24', via: '198.18.31.2' },
        { host: 'r2', to: '198.18.30.0/24', via: '198.18.31.1' },
        { host: 'server', to: 'default', via: '198.18.32.254' },
      ],
    },
  },
  async run(ctx) {
    const net = ctx.hosts;
    ctx.environment.tshark = await toolVersion('tshark');
    await recordSysctls(ctx.environment, ['net.ipv4.tcp_ecn', 'net.ipv4.ip_default_ttl'], net.client.netns, ' (client)');
    const [atClient, atServer] = await Promise.all([
      startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'client', netns: net.client.netns, iface: 'eth0', filter: 'ip' }),
      startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'server', netns: net.server.netns, iface: 'eth0', filter: 'ip' }),
    ]);
    const [client, server] = await startSocketAgents(ctx.scope, ctx.runId, net.client!, net.server!);

    ctx.step('ECN-capable TCP with data');
    await server.request('listen', { port: 5000 });
    await client.request('connect', { host: SERVER, port: 5000, conn: 'c' });
    await client.waitFor((e) => e.event === 'connected', 5000, 'connected');
    await client.request('write', { conn: 'c', bytes: 2000 });
    await server.waitFor((e) => e.event === 'data', 5000, 'data at the server');

    ctx.step('a UDP datagram larger than the MTU');
    await server.request('udp-open', { sock: 'sink', port: 9999 });
    await client.request('udp-open', { sock: 'big' });
    await client.request('udp-send', { sock: 'big', bytes: 3000, host: SERVER, port: 9999 });
    await server.waitFor((e) => e.event === 'datagram', 5000, 'the reassembled datagram');

    ctx.step('40 bytes of IP options');
    await scapy(net.client.netns, `send(IP(dst='${SERVER}', options=[IPOption_NOP()]*39 + [IPOption_EOL()])/UDP(dport=9999)/b'options')`);
    await server.waitFor((e) => e.event === 'datagram' && e.bytes === 7, 5000, 'the datagram with options');
    await client.request('destroy', { conn: 'c' });

    await Promise.all([atClient.stop(), atServer.stop()]);
    const checksums = ['ip.check_checksum:TRUE'];
    const [sent, received] = await Promise.all([
      readFields(atClient.file, `ip.src == ${CLIENT}`, IP_FIELDS, checksums) as Promise<IpRow[]>,
      readFields(atServer.file, `ip.src == ${CLIENT}`, IP_FIELDS, checksums) as Promise<IpRow[]>,
    ]);
    const files = [...keptFile(ctx, atClient.file, 'capture client.pcap'), ...keptFile(ctx, atServer.file, 'capture server.pcap')];
    return [judgeHeaderFields(sent), judgeTtl(sent, received), judgeOptionsSize(received)].map((c) => withEvidence(c, ...files));
  },
});
