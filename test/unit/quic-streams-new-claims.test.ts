/**
 * quic.streams.ordered-independent, which quic-streams now decides, judged on the real trials of a quic-streams run
 * (quic-go v0.65.0, three 200 kB responses at once on one connection, one packet dropped per trial, 40 ms round trip;
 * test/fixtures/quic-streams-trials.json.gz) and on altered copies for the other verdicts. The trials already hold
 * everything the judge reads: every read of every stream, when the packet was dropped, and from the decrypted capture
 * which stream lost data and when it came again.
 */
import { describe, expect, it } from 'vitest';
import { holdBack, judgeOrderedIndependent, type EchoTrial, type Trial } from '../../labs/quic/streams.lab.ts';
import type { ServedRequest } from '../../src/resources/quic-peer.ts';
import { realSample } from '../helpers/samples.ts';

type Trials = { rttMs: number; trials: Trial[]; echoes: EchoTrial[]; served: ServedRequest[] };
const { real, altered } = realSample<Trials>('quic-streams-trials.json.gz');
const { rttMs } = real;
const h3 = (o: Trials) => o.trials.filter((t) => t.proto === 'h3');

describe('quic.streams.ordered-independent', () => {
  it('is confirmed on the real run: the stream that lost data waited for it and then took what had queued behind it at once, the others kept receiving', () => {
    expect(holdBack(h3(real)[0]!)).toEqual({
      holeMs: 47.8, lostStreams: [8], lostBytes: 1251, outcome: 'ordered-and-independent',
      streams: [{ stream: 0, receivedDuringHole: 0, receivedAtOnceWhenFilled: 32768 }, { stream: 1, receivedDuringHole: 27431, receivedAtOnceWhenFilled: 1251 }, { stream: 2, receivedDuringHole: 31174, receivedAtOnceWhenFilled: 1594 }],
    });
    const result = judgeOrderedIndependent(real.trials, rttMs);
    expect(result.verdict).toBe('confirmed');
    expect((result.observed['trials'] as { outcome: string }[]).map((t) => t.outcome)).toEqual(['ordered-and-independent', 'ordered-and-independent', 'ordered-and-independent']);
    expect(result.summary).toContain('each stream is delivered in order');
  });

  it('is refuted when the stream with the hole went on receiving (not in order), or when every stream waited (not independent)', () => {
    const unordered = altered((o) => {
      const t = h3(o)[0]!;
      const s = t.streams[0]!;
      s.reads.push([t.droppedAtMs! + 10, 20_000]);
      s.reads.sort((a, b) => a[0] - b[0]);
    });
    expect(holdBack(h3(unordered)[0]!)!.outcome).toBe('no-stream-waited');
    expect(judgeOrderedIndependent(unordered.trials, rttMs).verdict).toBe('refuted');
    const blocked = altered((o) => {
      const t = h3(o)[0]!;
      const hole: [number, number] = [t.droppedAtMs! + 1, t.droppedAtMs! + t.recovery!.retransmittedAfterMs!];
      for (const s of t.streams) s.reads = s.reads.filter(([time]) => time <= hole[0] || time > hole[1]);
    });
    expect(holdBack(h3(blocked)[0]!)!.outcome).toBe('all-streams-waited');
    expect(judgeOrderedIndependent(blocked.trials, rttMs).verdict).toBe('refuted');
  });

  it('is unverifiable when no trial shows the lost data sent again, or nothing was queued behind the hole', () => {
    expect(judgeOrderedIndependent(altered((o) => h3(o).forEach((t) => { delete t.recovery; })).trials, rttMs).verdict).toBe('unverifiable');
    const nothingBehind = altered((o) => h3(o).forEach((t) => { t.recovery!.lostStreamFrames[0]!.length = 1_000_000; }));
    expect(judgeOrderedIndependent(nothingBehind.trials, rttMs).verdict).toBe('unverifiable');
  });
});
