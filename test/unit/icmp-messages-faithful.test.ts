/**
 * The two icmp-messages claims restated as the sheet has them, on the real capture of a run (test/fixtures/icmp.pcap):
 * "port unreachable is specific to UDP" and "IP header or ICMP header errors draw Parameter Problem".
 *
 * The capture holds both experiments these judges need: the 3/3 the server's iptables REJECT rule sent for a TCP SYN
 * to port 9009, and the three ICMP messages with a wrong ICMP header leaving the client (told apart by their IP
 * identification 0x6c01-0x6c03; the one cut to 4 bytes is a row only because the capture is read, as the lab reads it,
 * with 'ip.proto == 1'), with nothing quoting them. The server's /proc/net/snmp counters around those three are the
 * ones that run read (they are not in the capture). Altered copies (rows removed, or rows a different server would
 * have sent back) give the other verdicts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADDRESSES, BAD_ICMP_HEADERS, ICMP_FIELDS, judgeParameterProblem, judgePortUnreachable, REJECTED_PORT, type BadIcmpHeaders, type IcmpRow, type RejectedTcp } from '../../labs/icmp/messages.lab.ts';
import { readFields } from '../../src/observers/tshark.ts';

const pcap = new URL('../fixtures/icmp.pcap', import.meta.url).pathname;
const first = (v: string) => v.split(',')[0];
const row = (fields: Partial<IcmpRow>): IcmpRow => ({ ...(Object.fromEntries(ICMP_FIELDS.map((f) => [f, ''])) as IcmpRow), ...fields });
let rows: IcmpRow[];

beforeAll(async () => {
  rows = (await readFields(pcap, 'ip.proto == 1', ICMP_FIELDS)) as IcmpRow[];
});

describe('port unreachable, "specific to UDP"', () => {
  const rejected: RejectedTcp = { port: REJECTED_PORT, rule: `iptables -A INPUT -p tcp --dport ${REJECTED_PORT} -j REJECT --reject-with icmp-port-unreachable`, outcome: 'ECONNREFUSED' };
  /** The captured 3/3 the server's REJECT rule sent back for the TCP SYN, quoting the SYN's IP and TCP headers. */
  const rejectAnswer = () => rows.find((r) => r['tcp.dstport'].split(',').includes(String(REJECTED_PORT)))!;

  it('is nuanced: the reject rule made a TCP SYN draw 3/3 quoting its TCP header, while the kernel answered the closed TCP port with RST', () => {
    expect(rejectAnswer()).toMatchObject({ 'icmp.type': '3', 'icmp.code': '3', 'ip.src': `${ADDRESSES.server},${ADDRESSES.client}` });
    const result = judgePortUnreachable(rows, 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)', rejected);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ icmpPortUnreachable: 1, icmpQuotingTcp: 0, portUnreachableQuotingTcp: 1, rejectedTcpPort: REJECTED_PORT });
    expect(result.summary).toContain('iptables -A INPUT');
    expect(result.summaryZh).toContain('UDP 特有');
  });

  it('is confirmed when even the reject rule drew no 3/3 for TCP (the SYN dropped, no answer)', () => {
    const noAnswer = rows.filter((r) => r !== rejectAnswer());
    expect(judgePortUnreachable(noAnswer, 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)', { ...rejected, outcome: 'no answer' }).verdict).toBe('confirmed');
  });

  it('is refuted when the UDP datagram drew no 3/3, or the closed TCP port itself drew ICMP', () => {
    const withoutUdp = rows.filter((r) => !(first(r['icmp.type']) === '3' && first(r['icmp.code']) === '3' && r['udp.dstport'].split(',').includes('9')));
    expect(judgePortUnreachable(withoutUdp, 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)', rejected).verdict).toBe('refuted');
    const closedTcp = { ...rejectAnswer(), 'frame.number': '900', 'tcp.dstport': '9' };
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
  /** The three probes leaving the client, as captured. */
  const isProbe = (r: IcmpRow) => BAD_ICMP_HEADERS.some((b) => r['ip.id'] === b.ipId);
  /** What Linux did with them in that run: counted them in and as errors (one checksum error), sent nothing. */
  const silent: BadIcmpHeaders = { serverCounters: { 'Icmp.InMsgs': 3, 'Icmp.InErrors': 3, 'Icmp.InCsumErrors': 1, 'Icmp.OutMsgs': 0, 'Icmp.OutParmProbs': 0, 'Icmp.OutRateLimitHost': 0, 'Icmp.OutRateLimitGlobal': 0 } };
  /** What a receiver answering them would send: a Parameter Problem quoting each probe's IP header and what follows. */
  const answers = () => rows.filter(isProbe).map((p, i) => row({ 'frame.number': String(850 + i), 'ip.src': `${ADDRESSES.server},${ADDRESSES.client}`, 'ip.dst': `${ADDRESSES.client},${ADDRESSES.server}`, 'icmp.type': ['12', p['icmp.type']].filter(Boolean).join(','), 'icmp.code': '0', 'icmp.pointer': '2', 'ip.id': `0x7000,${p['ip.id']}` }));

  it('is nuanced: the IP option drew 12 from r1 but the three bad ICMP headers reached the server and drew nothing', () => {
    expect(rows.filter(isProbe).map((r) => first(r['icmp.type']))).toEqual(['8', '', '99']);
    const result = judgeParameterProblem(rows, silent);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ messages: 1, from: [ADDRESSES.r1], badIcmpHeadersSent: BAD_ICMP_HEADERS.map((b) => b.name), parameterProblemsQuotingThem: [], icmpQuotingThem: 0 });
    expect(result.summary).toContain('InCsumErrors +1');
  });

  it('is confirmed when each bad ICMP header drew a Parameter Problem quoting it', () => {
    const result = judgeParameterProblem([...rows, ...answers()], { serverCounters: { ...silent.serverCounters, 'Icmp.OutMsgs': 3, 'Icmp.OutParmProbs': 3 } });
    expect(result.verdict).toBe('confirmed');
    // The answers about the ICMP headers are not taken for the IP option's.
    expect(result.observed).toMatchObject({ messages: 1, from: [ADDRESSES.r1] });
  });

  it('is refuted when the malformed IP option drew no Parameter Problem', () => {
    expect(judgeParameterProblem(rows.filter((r) => first(r['icmp.type']) !== '12'), silent).verdict).toBe('refuted');
  });

  it('is unverifiable without a capture, without the bad ICMP headers, when the capture misses one, or when the server did not receive them', () => {
    expect(judgeParameterProblem([], silent).verdict).toBe('unverifiable');
    expect(judgeParameterProblem(rows).verdict).toBe('unverifiable');
    // The capture read with the display filter 'icmp', as the run did: the header cut to 4 bytes is not a row.
    const missingShort = judgeParameterProblem(rows.filter((r) => r['ip.id'] !== BAD_ICMP_HEADERS[1].ipId), silent);
    expect(missingShort.verdict).toBe('unverifiable');
    expect(missingShort.summary).toContain('only 2 of the 3');
    const unreached = judgeParameterProblem(rows, { serverCounters: { ...silent.serverCounters, 'Icmp.InMsgs': 0, 'Icmp.InErrors': 0, 'Icmp.InCsumErrors': 0 } });
    expect(unreached.verdict).toBe('unverifiable');
    expect(unreached.summary).toContain('InMsgs rose by 0');
  });
});
