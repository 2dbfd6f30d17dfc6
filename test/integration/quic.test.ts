/**
 * Runs the QUIC labs between two namespaces (quic-go, the labs' own peer, and ngtcp2 from Debian) and
 * checks their verdicts and what they measured. Alone: quic-streams and quic-cost time and count what
 * a loaded machine would skew.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

const runs: Record<string, LabRun> = {};
const LABS = ['quic-headers', 'quic-handshake', 'quic-resumption', 'quic-streams', 'quic-migration', 'quic-cost', 'quic-congestion'];

beforeAll(async () => {
  for (const id of LABS) runs[id] = await runLab(id);
}, 400_000);

describe('the QUIC labs', () => {
  it('pass and match the baseline', () => {
    for (const id of LABS) {
      expect(runs[id]!.exitCode, `${id}: ${runs[id]!.stderr}`).toBe(0);
      expect(runs[id]!.stderr, id).toContain('verdicts match');
    }
  });

  it('read the headers of two implementations, field by field', () => {
    const run = runs['quic-headers']!;
    expect(run.claim('quic.header.long-form').observed['implementations']).toBe('quic-go and ngtcp2');
    expect(run.claim('quic.header.long-layout').observed['notInTheSheet']).toEqual(['dcil', 'scil', 'token_length']);
    const cid = run.claim('quic.header.cid-length').observed;
    expect(cid['mismatches']).toBe(cid['packets']);
    expect(run.claim('quic.header.fixed-bit').observed['ngtcp2ConnectionsGreased']).toBeGreaterThan(0);
    expect(run.claim('quic.header.payload-length-16').observed['lengthCountsPacketNumber']).toBeGreaterThan(0);
  });

  it('places each TLS message in its packet type and times the first request at one round trip', () => {
    const run = runs['quic-handshake']!;
    expect(run.claim('quic.header.tls-in-payload').observed['ServerHello']).toEqual(['Initial']);
    expect(run.claim('quic.handshake.client-finished').observed['rows']).toEqual(expect.arrayContaining([expect.objectContaining({ finishedIn: 'Handshake', requestIn: '1-RTT' })]));
    const oneRtt = run.claim('quic.handshake.one-rtt').observed as { rttMs: number; rows: { roundTrips: number }[] };
    expect(oneRtt.rttMs).toBeGreaterThan(45);
    expect(oneRtt.rows).toHaveLength(2);
    for (const row of oneRtt.rows) expect(row.roundTrips).toBeLessThan(1.5);
    expect(run.claim('quic.handshake.initial-keys').observed['otherPacketsDecryptedWithoutKeys']).toBe(0);
    expect(run.claim('quic.transport.udp-userspace').observed['quicGoDestinationPort']).toBe(443);
  });

  it('sends a resumed request in 0-RTT, a round trip sooner, and serves its replay', () => {
    const run = runs['quic-resumption']!;
    const left = run.claim('http.h3.zero-rtt').observed['requestLeftAfterRtts'] as { first: number; resumed: number; resumedBeforeAnyReply: boolean };
    expect(left.first).toBeGreaterThan(0.5);
    expect(left.resumedBeforeAnyReply).toBe(true);
    expect(run.claim('tls.v13.zero-rtt').observed['requestsServedFromReplay']).toBeGreaterThanOrEqual(1);
    expect(run.claim('quic.token.anti-replay').observed['resumedInitialTokenBytes']).toBeGreaterThan(0);
  });

  it('shows one drop holding back every HTTP/2 stream but only its own HTTP/3 stream', () => {
    const run = runs['quic-streams']!;
    expect(run.claim('http.h2.tcp-hol').observed['blocked']).toBe(3);
    // A trial whose dropped packet carried frames of every stream is set aside, so not all three need count.
    expect(run.claim('quic.streams.no-hol').observed['blocked']).toBe(0);
    expect(run.claim('quic.streams.no-hol').observed['progressed']).toBeGreaterThanOrEqual(1);
    const resent = run.claim('quic.loss.fast-retransmit').observed as { newPacketNumbers: boolean; repeatedLargestAcknowledged: number };
    expect(resent.newPacketNumbers).toBe(true);
    expect(resent.repeatedLargestAcknowledged).toBe(0);
    const echo = run.claim('udp.realtime').observed as { udp: { lost: number[]; late: number[] }; tcp: { lost: number[]; late: number[] } };
    expect(echo.udp.lost).toHaveLength(1);
    expect(echo.tcp.lost).toEqual([]);
    expect(echo.tcp.late.length).toBeGreaterThan(1);
  });

  it('moves a connection to a new port with the same keys, and counts the system calls of each transport', () => {
    expect(runs['quic-migration']!.claim('quic.migration').observed['pathResponse']).toBe(true);
    expect(runs['quic-migration']!.claim('quic.migration.same-keys').observed['longHeaderPacketsAfterMove']).toBe(0);
    const cost = runs['quic-cost']!.claim('quic.userspace.fewer-switches').observed as { syscallRatio: number; cpuRatio: number };
    expect(cost.syscallRatio).toBeGreaterThanOrEqual(0.8);
    expect(cost.cpuRatio).toBeGreaterThan(1);
  });

  it("times one download under each of ngtcp2's congestion controllers", () => {
    const seconds = runs['quic-congestion']!.claim('quic.congestion.pluggable').observed['medianSeconds'] as Record<string, number>;
    expect(Object.keys(seconds).sort()).toEqual(['bbr', 'bbr2', 'cubic', 'reno']);
    expect(seconds['reno']!).toBeGreaterThan(seconds['bbr']!);
  });

  it('leave nothing behind', async () => {
    for (const id of LABS) expect(await leftovers(runs[id]!.report.runId)).toEqual(NOTHING);
  });
});
