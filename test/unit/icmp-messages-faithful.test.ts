/**
 * The two icmp-messages claims restated as the sheet has them, on the real capture of a run (test/fixtures/icmp.pcap):
 * "port unreachable is specific to UDP" and "IP header or ICMP header errors draw Parameter Problem".
 *
 * The capture predates the two experiments these judges now need (a TCP SYN to a port the server's iptables
 * rejects; three ICMP messages with a wrong ICMP header, with the server's /proc/net/snmp counters around them),
 * so the tests extend it with the rows and counters such a run records: the probes as they leave the client
 * (told apart by their IP identification), and for the other verdicts what would come back. The fixture will be
 * recaptured from a real run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADDRESSES, BAD_ICMP_HEADERS, ICMP_FIELDS, judgeParameterProblem, judgePortUnreachable, REJECTED_PORT, type BadIcmpHeaders, type IcmpRow, type RejectedTcp } from '../../labs/icmp/messages.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';

const pcap = new URL('../fixtures/icmp.pcap', import.meta.url).pathname;
const first = (v: string) => v.split(',')[0];
const row = (fields: Partial<IcmpRow>): IcmpRow => ({ ...(Object.fromEntries(ICMP_FIELDS.map((f) => [f, ''])) as IcmpRow), ...fields });
let rows: IcmpRow[];

beforeAll(async () => {
  rows = (await readFields(pcap, 'icmp', ICMP_FIELDS)) as IcmpRow[];
});

describe('port unreachable, "specific to UDP"', () => {
  const rejected: RejectedTcp = { port: REJECTED_PORT, rule: `iptables -A INPUT -p tcp --dport ${REJECTED_PORT} -j REJECT --reject-with icmp-port-unreachable`, outcome: 'ECONNREFUSED' };
  /** What the server's REJECT rule sends back for the TCP SYN: 3/3 quoting the SYN's IP and TCP headers. */
  const rejectAnswer = row({ 'frame.number': '900', 'ip.src': `${ADDRESSES.server},${ADDRESSES.client}`, 'ip.dst': `${ADDRESSES.client},${ADDRESSES.server}`, 'icmp.type': '3', 'icmp.code': '3', 'tcp.dstport': String(REJECTED_PORT), 'ip.id': '0x1234,0x5678' });

  it('is nuanced when the reject rule made a TCP SYN draw 3/3 quoting its TCP header, while the kernel answered the closed TCP port with RST', () => {
    const result = judgePortUnreachable([...rows, rejectAnswer], 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)', rejected);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ icmpPortUnreachable: 1, icmpQuotingTcp: 0, portUnreachableQuotingTcp: 1, rejectedTcpPort: REJECTED_PORT });
    expect(result.summary).toContain('iptables -A INPUT');
    expect(result.summaryZh).toContain('UDP 特有');
  });

  it('is confirmed when even the reject rule drew no 3/3 for TCP (the real capture, which has none)', () => {
    expect(judgePortUnreachable(rows, 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)', { ...rejected, outcome: 'no answer' }).verdict).toBe('confirmed');
  });

  it('is refuted when the UDP datagram drew no 3/3, or the closed TCP port itself drew ICMP', () => {
    const withoutUdp = rows.filter((r) => !(first(r['icmp.type']) === '3' && first(r['icmp.code']) === '3' && r['udp.dstport'].split(',').includes('9')));
    expect(judgePortUnreachable([...withoutUdp, rejectAnswer], 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)', rejected).verdict).toBe('refuted');
    const closedTcp = { ...rejectAnswer, 'tcp.dstport': '9' };
    expect(judgePortUnreachable([...rows, closedTcp], 'ECONNREFUSED', 'ECONNREFUSED', rejected).verdict).toBe('refuted');
  });

  it('is unverifiable without a capture, or without the TCP port behind a reject rule', () => {
    expect(judgePortUnreachable([], 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)', rejected).verdict).toBe('unverifiable');
    const result = judgePortUnreachable(rows, 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)');
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('no TCP port with a reject rule');
  });
});

describe('parameter problem, "IP header or ICMP header"', () => {
  /** The three probes leaving the client, as tshark decodes them. */
  const probes = BAD_ICMP_HEADERS.map((b, i) => row({ 'frame.number': String(800 + i), 'ip.src': ADDRESSES.client, 'ip.dst': ADDRESSES.server, 'icmp.type': i === 2 ? '99' : '8', 'icmp.code': '0', 'ip.id': b.ipId }));
  /** What Linux does with them: counts them in and as errors (one checksum error), sends nothing. */
  const silent: BadIcmpHeaders = { serverCounters: { 'Icmp.InMsgs': 3, 'Icmp.InErrors': 3, 'Icmp.InCsumErrors': 1, 'Icmp.OutMsgs': 0, 'Icmp.OutParmProbs': 0, 'Icmp.OutRateLimitHost': 0, 'Icmp.OutRateLimitGlobal': 0 } };
  const answers = BAD_ICMP_HEADERS.map((b, i) => row({ 'frame.number': String(850 + i), 'ip.src': `${ADDRESSES.server},${ADDRESSES.client}`, 'ip.dst': `${ADDRESSES.client},${ADDRESSES.server}`, 'icmp.type': '12,8', 'icmp.code': '0', 'icmp.pointer': '2', 'ip.id': `0x7000,${b.ipId}` }));

  it('is nuanced when the IP option drew 12 from r1 but the three bad ICMP headers reached the server and drew nothing', () => {
    const result = judgeParameterProblem([...rows, ...probes], silent);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ messages: 1, from: [ADDRESSES.r1], badIcmpHeadersSent: BAD_ICMP_HEADERS.map((b) => b.name), parameterProblemsQuotingThem: [], icmpQuotingThem: 0 });
    expect(result.summary).toContain('InCsumErrors +1');
  });

  it('is confirmed when each bad ICMP header drew a Parameter Problem quoting it', () => {
    const result = judgeParameterProblem([...rows, ...probes, ...answers], { serverCounters: { ...silent.serverCounters, 'Icmp.OutMsgs': 3, 'Icmp.OutParmProbs': 3 } });
    expect(result.verdict).toBe('confirmed');
    // The answers about the ICMP headers are not taken for the IP option's.
    expect(result.observed).toMatchObject({ messages: 1, from: [ADDRESSES.r1] });
  });

  it('is refuted when the malformed IP option drew no Parameter Problem', () => {
    expect(judgeParameterProblem([...rows.filter((r) => first(r['icmp.type']) !== '12'), ...probes], silent).verdict).toBe('refuted');
  });

  it('is unverifiable without a capture, without the bad ICMP headers, when the capture misses one, or when the server did not receive them', () => {
    expect(judgeParameterProblem([], silent).verdict).toBe('unverifiable');
    expect(judgeParameterProblem(rows).verdict).toBe('unverifiable');
    expect(judgeParameterProblem([...rows, ...probes.slice(1)], silent).verdict).toBe('unverifiable');
    const unreached = judgeParameterProblem([...rows, ...probes], { serverCounters: { ...silent.serverCounters, 'Icmp.InMsgs': 0, 'Icmp.InErrors': 0, 'Icmp.InCsumErrors': 0 } });
    expect(unreached.verdict).toBe('unverifiable');
    expect(unreached.summary).toContain('InMsgs rose by 0');
  });
});
