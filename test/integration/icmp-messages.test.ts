/** Runs the icmp-messages lab across real namespaced routers and checks each verdict and measured value. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('icmp-messages');
}, 120_000);

describe('labs run icmp-messages', () => {
  it('passes, matches the verdict baseline, and records the tools and ICMP sysctls', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
    expect(run.lab.status).toBe('passed');
    expect(run.lab.environment.traceroute).toMatch(/traceroute/i);
    expect(run.lab.environment['sysctl net.ipv4.icmp_ratelimit']).toMatch(/^\d+$/);
  });

  it('pairs echo requests and replies by identifier, sequence and data', () => {
    expect(run.claim('icmp.echo')).toMatchObject({ verdict: 'confirmed', observed: { requests: 3, replies: 3, pairsWithSameIdSeqAndData: 3 } });
  });

  it('gets Time Exceeded from each router and a traceroute path through them', () => {
    expect(run.claim('icmp.time-exceeded')).toMatchObject({
      verdict: 'confirmed',
      observed: { timeExceededFrom: ['198.18.10.1', '198.18.11.2', '198.18.12.2'], tracerouteHops: ['198.18.10.1', '198.18.11.2', '198.18.12.2', '198.18.13.2'] },
    });
  });

  it('gets 3/4 with the next-hop MTU of 1280 from the router before the small link', () => {
    expect(run.claim('icmp.unreachable.frag-needed')).toMatchObject({ verdict: 'confirmed', observed: { nextHopMtu: 1280, from: ['198.18.12.2'] } });
  });

  it('gets 3/3 for UDP, seen by the socket as ECONNREFUSED, none for the closed TCP port, and 3/3 for the TCP port a REJECT rule guards', () => {
    const { verdict, observed } = run.claim('icmp.unreachable.port');
    expect(verdict, JSON.stringify(observed)).toBe('nuanced');
    expect(observed.udpSocketError).toBe('ECONNREFUSED');
    expect(observed.icmpPortUnreachable as number).toBeGreaterThanOrEqual(1);
    expect(observed.icmpQuotingTcp).toBe(0);
    expect(observed).toMatchObject({ rejectedTcpPort: 9009, tcpToRejectedPort: 'ECONNREFUSED', portUnreachableQuotingTcp: 1 });
  });

  it('gets Parameter Problem pointing into the options, and none for the three ICMP messages with a wrong ICMP header', () => {
    expect(run.claim('icmp.parameter-problem')).toMatchObject({
      verdict: 'nuanced',
      observed: { code: '0', pointer: '20', badIcmpHeadersSent: ['bad checksum', 'header cut to 4 bytes', 'unknown type 99'], parameterProblemsQuotingThem: [], serverCounters: { 'Icmp.OutParmProbs': 0 } },
    });
  });

  it('sees the redirect sent, and a client with forwarding off follows it', () => {
    const { verdict, observed } = run.claim('icmp.redirect');
    expect(observed).toMatchObject({ gateway: '198.18.10.2', code: '1', nextHopAsHost: '198.18.10.2' });
    expect(run.lab.environment['sysctl net.ipv4.ip_forward']).toBe('0');
    expect(verdict).toBe('confirmed');
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
