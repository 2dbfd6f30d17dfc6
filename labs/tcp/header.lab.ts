/**
 * Lab: the TCP header's fields read from real segments, including the two flags the sheet omits.
 *
 * Starts: a client and a server namespace on one veth link; the client asks for ECN
 * (net.ipv4.tcp_ecn=1); a socket agent in each; tcpdump on the client.
 *
 * Does: opens a connection and sends 100 bytes, so that the capture holds an ECN-setup SYN, a
 * SYN/ACK and data segments.
 *
 * Observes: each header field as tshark decodes it: ports, sequence and acknowledgement numbers,
 * data offset, the flag bits one by one (CWR, ECE, URG, ACK, PSH, RST, SYN, FIN) and the bits left
 * reserved, window, checksum, urgent pointer, options.
 */
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { notObserved } from '../../src/core/verdict.ts';
import { recordSysctls, toolVersion } from '../../src/observers/environment.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { startSocketAgents } from '../../src/resources/socket-agent.ts';

export const TCP_FIELDS = ['frame.number', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.hdr_len', 'tcp.flags', 'tcp.flags.res', 'tcp.flags.cwr', 'tcp.flags.ece', 'tcp.flags.urg', 'tcp.window_size_value', 'tcp.checksum', 'tcp.urgent_pointer', 'tcp.option_kind', 'tcp.len'] as const;
export type TcpRow = Record<(typeof TCP_FIELDS)[number], string>;

const on = (v: string) => v === '1' || v === 'True';

export function judgeFields(rows: TcpRow[]): ClaimResult {
  if (!rows.length) return notObserved('tcp.header.fields', { en: 'tshark read no TCP segment from the capture.', zh: 'tshark 没有从抓包中读出任何 TCP 报文段。' });
  const syn = rows[0];
  const present = (field: (typeof TCP_FIELDS)[number]) => rows.every((r) => r[field] !== '');
  const listed = ['tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.hdr_len', 'tcp.flags', 'tcp.window_size_value', 'tcp.checksum', 'tcp.urgent_pointer'] as const;
  const missing = listed.filter((f) => !present(f));
  const extraFlags = syn ? [on(syn['tcp.flags.cwr']) && 'CWR', on(syn['tcp.flags.ece']) && 'ECE'].filter(Boolean) : [];
  const observed = { fieldsOnEverySegment: listed.filter((f) => !missing.includes(f)), missing, synFlags: syn?.['tcp.flags'], flagsBeyondTheSheetsSix: extraFlags, synOptions: syn?.['tcp.option_kind'] };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Header fields of the first segments (tshark)', columns: ['#', 'ports', 'seq', 'ack', 'hdr', 'flags', 'CWR', 'ECE', 'window', 'checksum', 'urgent', 'options', 'len'], rows: rows.slice(0, 6).map((r) => [r['frame.number'], `${r['tcp.srcport']}→${r['tcp.dstport']}`, r['tcp.seq_raw'], r['tcp.ack_raw'], r['tcp.hdr_len'], r['tcp.flags'], r['tcp.flags.cwr'], r['tcp.flags.ece'], r['tcp.window_size_value'], r['tcp.checksum'], r['tcp.urgent_pointer'], r['tcp.option_kind'], r['tcp.len']]) }];
  if (missing.length) return { id: 'tcp.header.fields', verdict: 'refuted', summary: `Fields missing from real segments: ${missing.join(', ')}.`, summaryZh: `真实报文段中缺少以下字段：${missing.join(', ')}。`, observed, evidence };
  return {
    id: 'tcp.header.fields',
    verdict: extraFlags.length ? 'nuanced' : 'confirmed',
    summary: extraFlags.length
      ? `Every field the sheet lists was on every segment, but the flags are eight, not six: the ECN-setup SYN (flags ${observed.synFlags}) set ${extraFlags.join(' and ')}, two bits that RFC 3168 took from the reserved ones.`
      : 'Every field the sheet lists was on every segment, with the six flags it names.',
    summaryZh: extraFlags.length
      ? `学习资料列出的每个字段都出现在每个报文段中，但标志位有八个而不是六个：用于协商 ECN 的 SYN（flags ${observed.synFlags}）置位了 ${extraFlags.join(' 和 ')}，这两位是 RFC 3168 从保留位中划出来的。`
      : '学习资料列出的每个字段都出现在每个报文段中，标志位也正是它列出的六个。',
    observed,
    evidence,
  };
}

export function judgeReserved(rows: TcpRow[]): ClaimResult {
  const syn = rows[0];
  const bits = syn ? Number.parseInt(syn['tcp.flags'], 16) : 0;
  const usedAboveSix = bits & 0xc0;
  const observed = { synFlagsField: syn?.['tcp.flags'], bitsAboveTheClassicSixInUse: `0x${usedAboveSix.toString(16).padStart(2, '0')}`, reservedAsTsharkShows: syn?.['tcp.flags.res'] };
  const refutedBy = usedAboveSix !== 0;
  return {
    id: 'tcp.header.reserved-six-bits',
    verdict: refutedBy ? 'refuted' : 'unverifiable',
    summary: refutedBy
      ? `The 12 bits after the data offset are not 6 reserved + 6 flags: this SYN used bits 0x80 and 0x40 (CWR, ECE) of them, leaving 4 reserved (RFC 3168, RFC 9293).`
      : 'No segment used a bit beyond the classic six flags, so the capture cannot tell reserved bits from unused flags.',
    summaryZh: refutedBy
      ? `数据偏移之后的 12 位并不是 6 个保留位 + 6 个标志位：这个 SYN 用到了其中的 0x80 和 0x40 两位（CWR、ECE），只剩 4 个保留位（RFC 3168、RFC 9293）。`
      : '没有任何报文段用到经典六个标志位之外的位，因此无法从抓包中区分保留位和未被使用的标志位。',
    observed,
    evidence: [],
  };
}

export default defineLab({
  id: 'tcp-header',
  title: 'The TCP header field by field, from an ECN-capable connection',
  topic: 'tcp',
  claims: ['tcp.header.fields', 'tcp.header.reserved-six-bits'],
  requires: ['root', 'netns', 'tcpdump', 'tshark'],
  timeLimitMs: 30_000,
  handout: {
    starts: 'A client (tcp_ecn=1) and a server namespace on one veth link; tcpdump on the client.',
    does: 'Opens a connection and sends 100 bytes.',
    observes: 'Every TCP header field and flag bit as tshark decodes them.',
    zh: {
      title: '逐字段解析 TCP 首部（基于一条支持 ECN 的连接）',
      starts: '通过一条 veth 链路相连的客户端（tcp_ecn=1）和服务端命名空间；在客户端运行 tcpdump。',
      does: '建立一条连接并发送 100 字节。',
      observes: 'tshark 解码出的每个 TCP 首部字段和标志位。',
    },
  },
  needs: {
    topology: {
      hosts: { client: { sysctls: { 'net.ipv4.tcp_ecn': '1' } }, server: {} },
      links: [{ a: ['client', '198.18.96.1/24'], b: ['server', '198.18.96.2/24'], offload: false }],
    },
  },
  async run(ctx) {
    const net = ctx.hosts;
    ctx.environment.tshark = await toolVersion('tshark');
    await recordSysctls(ctx.environment, ['net.ipv4.tcp_ecn'], net.client!.netns, ' (client)');
    const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'tcp-header', netns: net.client!.netns, iface: 'eth0', filter: 'tcp port 7200' });
    const [client, server] = await startSocketAgents(ctx.scope, ctx.runId, net.client!, net.server!);
    await server.request('listen', { port: 7200 });
    await client.request('connect', { host: '198.18.96.2', port: 7200, conn: 'c' });
    await client.waitFor((e) => e.event === 'connected', 5000, 'connected');
    await client.request('write', { conn: 'c', bytes: 100 });
    await server.waitFor((e) => e.event === 'data', 5000, 'data');
    await capture.stop();
    const rows = (await readFields(capture.file, 'tcp', TCP_FIELDS)) as TcpRow[];
    ctx.keep(capture.file);
    return [judgeFields(rows), judgeReserved(rows)];
  },
});
