/**
 * quic.zero-rtt restated as the sheet has it ("QUIC supports sending application data in the first packet, further
 * reducing latency", with no word of resumption), judged on the real observation of a quic-resumption run (quic-go
 * v0.65.0 across a 50 ms round trip; test/fixtures/quic-resumption-observation.json.gz) and altered copies of it.
 *
 * The observation holds everything the judge reads: the packets, tagged by connection with the lab's tagConnections
 * (the resumed connection's first datagram, an Initial holding part of its ClientHello, with the resumed connection),
 * both connections' times to first byte and the round trip.
 */
import { describe, expect, it } from 'vitest';
import { judgeZeroRtt, tagConnections, type ResumptionObservation } from '../../labs/quic/resumption.lab.ts';
import { portOf } from '../../src/resources/quic-peer.ts';
import { realSample } from '../helpers/samples.ts';

const { real, altered } = realSample<ResumptionObservation>('quic-resumption-observation.json.gz');

describe('quic.zero-rtt, "application data in the first packet"', () => {
  it('tags the captured packets by connection as the lab does', () => {
    const retagged = tagConnections(real.packets, portOf(real.full.localAddr), portOf(real.replayedFrom));
    expect(retagged.map((p) => p.connection)).toEqual(real.packets.map((p) => p.connection));
    expect(new Set(real.packets.map((p) => p.connection))).toEqual(new Set(['full', 'resumed', 'server', 'replay']));
  });

  it('is nuanced on the real run: only the resumed connection sent data before any reply, and in the first flight, not the first datagram', () => {
    const result = judgeZeroRtt(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ firstConnectionDataPacketsInFirstFlight: 0, firstConnectionRequestLeftAfterRtts: 1.08, zeroRttPacketsInFirstFlight: 2, zeroRttInDatagramsOfFlight: [2, 3], firstConnectionTtfbMs: 108.7, resumedTtfbMs: 55.4 });
    expect(result.summary).toMatch(/^Only on a resumed connection, and in the first flight rather than the first packet\./);
    expect(result.summaryZh).toContain('只在恢复的连接上成立');
  });

  it('is nuanced for resumption alone when the 0-RTT packet shares the first datagram (as an earlier tagConnections left it, the Initial-only first datagram counted with the first connection)', () => {
    const firstDatagram = real.packets.find((p) => p.connection === 'resumed')!.datagram;
    const result = judgeZeroRtt(altered((o) => o.packets.forEach((p) => { if (p.datagram === firstDatagram) p.connection = 'full'; })));
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toMatch(/^Only on a resumed connection\. /);
    expect(result.observed['zeroRttInDatagramsOfFlight']).toEqual([1, 2]);
  });

  it('is confirmed when the first connection too sent data before any reply, and the early data rode in the first datagram', () => {
    const o = altered((o) => {
      // The first connection's first Initial made a 0-RTT packet; the resumed connection's first datagram dropped.
      const firstFull = o.packets.find((p) => p.connection === 'full')!;
      o.packets.splice(o.packets.indexOf(firstFull) + 1, 0, { ...firstFull, type: '0-RTT', frames: [] });
      const firstResumed = o.packets.find((p) => p.connection === 'resumed')!;
      o.packets = o.packets.filter((p) => p !== firstResumed);
    });
    expect(judgeZeroRtt(o).verdict).toBe('confirmed');
  });

  it('is refuted when the resumed connection sent no 0-RTT, or when 0-RTT did not bring the first byte sooner', () => {
    const noEarly = altered((o) => {
      o.packets = o.packets.filter((p) => p.type !== '0-RTT');
    });
    expect(judgeZeroRtt(noEarly).verdict).toBe('refuted');
    const noFaster = altered((o) => {
      o.resumed.firstByteAtMs = o.resumed.dialedAtMs + 120;
    });
    const result = judgeZeroRtt(noFaster);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain('no latency was saved');
  });

  it('is unverifiable when either connection is missing from the capture', () => {
    expect(judgeZeroRtt(altered((o) => { o.packets = o.packets.filter((p) => p.connection !== 'resumed'); })).verdict).toBe('unverifiable');
    const noFirst = judgeZeroRtt(altered((o) => { o.packets = o.packets.filter((p) => p.connection !== 'full'); }));
    expect(noFirst.verdict).toBe('unverifiable');
    expect(noFirst.summary).toContain('first (full-handshake) connection was not captured');
  });
});
