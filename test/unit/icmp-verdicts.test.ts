/**
 * The icmp-messages verdicts the older unit tests left out, on the real capture of a run (test/fixtures/icmp.pcap,
 * read with the lab's display filter 'ip.proto == 1') and altered copies of it: fragmentation needed (confirmed),
 * port unreachable and redirect (every verdict). The tools' outputs beside the capture (ping, ip route, the sockets'
 * errors, the reject rule) are given in the form the lab reads them, as that run reported them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADDRESSES, ICMP_FIELDS, judgeFragNeeded, judgePortUnreachable, REJECTED_PORT, type IcmpRow, type RejectedTcp } from '../../labs/icmp/messages.lab.ts';
import type { Observation } from '../../src/observers/command.ts';
import { readFields } from '../../src/observers/tshark.ts';

const pcap = new URL('../fixtures/icmp.pcap', import.meta.url).pathname;
const said = (output: string): Observation => ({ exitCode: 0, output, evidence: { kind: 'command', title: 't', command: 'c', output } });
const first = (v: string) => v.split(',')[0];
/** `ip route get` to far: through r1, as Linux routes by default, and through gw once a redirect is accepted. */
let rows: IcmpRow[];

beforeAll(async () => {
  rows = (await readFields(pcap, 'ip.proto == 1', ICMP_FIELDS)) as IcmpRow[];
});

describe('fragmentation needed', () => {
  it('is confirmed on the real capture: r3 answered 3/4 with next-hop MTU 1280', () => {
    expect(judgeFragNeeded(rows, said('ping: local error: message too long, mtu=1280'))).toMatchObject({ verdict: 'confirmed', observed: { nextHopMtu: 1280, from: [ADDRESSES.r3] } });
  });
});

describe('port unreachable', () => {
  const rejected: RejectedTcp = { port: REJECTED_PORT, rule: `iptables -A INPUT -p tcp --dport ${REJECTED_PORT} -j REJECT --reject-with icmp-port-unreachable`, outcome: 'ECONNREFUSED' };

  it('is nuanced on the real capture: 3/3 for the UDP datagram to port 9, ECONNREFUSED on the socket, no ICMP for the closed TCP port, but 3/3 for the SYN the reject rule answered', () => {
    const result = judgePortUnreachable(rows, 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)', rejected);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ icmpPortUnreachable: 1, icmpQuotingTcp: 0, portUnreachableQuotingTcp: 1 });
  });

  it('is confirmed when no 3/3 quoted the SYN to the rejected port (a rule answering with a TCP reset instead)', () => {
    const noTcpQuote = rows.filter((r) => !r['tcp.dstport'].split(',').includes(String(REJECTED_PORT)));
    expect(noTcpQuote).toHaveLength(rows.length - 1);
    expect(judgePortUnreachable(noTcpQuote, 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)', { ...rejected, rule: rejected.rule.replace('icmp-port-unreachable', 'tcp-reset') }).verdict).toBe('confirmed');
  });

  it('is refuted when no 3/3 quoted the datagram to port 9, or the socket reported no error', () => {
    const without = rows.filter((r) => !(first(r['icmp.type']) === '3' && first(r['icmp.code']) === '3' && r['udp.dstport'].split(',').includes('9')));
    expect(judgePortUnreachable(without, 'ECONNREFUSED', 'a TCP RST (ECONNREFUSED)', rejected).verdict).toBe('refuted');
    expect(judgePortUnreachable(rows, 'none', 'a TCP RST (ECONNREFUSED)', rejected).verdict).toBe('refuted');
  });
});

