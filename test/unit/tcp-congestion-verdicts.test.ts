/**
 * tcp-congestion's avoidance, fast-recovery and timeout judges on a real run of the lab
 * (test/fixtures/tcp-congestion-trials.json.gz: its trials.json, { slowStart, avoidance, lossTrials,
 * timeout }, each trial with its capture decoded by tshark and the sender's tcp_info sampled by ss;
 * the receiver's ACKs delayed 40 ms through NFQUEUE, the kernel having no netem). Each judge is given
 * what the lab gives it, first as captured, then altered into another run that could have happened.
 */
import { describe, expect, it } from 'vitest';
import { INITIAL_SSTHRESH, judgeAvoidance, judgeFastRecovery, judgeTimeout, type Trial } from '../../labs/tcp/congestion.lab.ts';
import { realSample } from '../helpers/samples.ts';

interface Trials {
  slowStart: Trial[];
  avoidance: Trial[];
  lossTrials: Trial[];
  timeout: Trial;
}

const { real, altered } = realSample<Trials>('tcp-congestion-trials.json.gz');
const of = (trials: Trial[], algorithm: string) => trials.find((t) => t.algorithm === algorithm)!;
type PerTrial = { algorithm: string; segmentsPerRoundTrip?: number; cwndBeforeLoss?: number; ssthreshAfterLoss?: number; ratio?: number };
const perTrial = (observed: Record<string, unknown>, algorithm: string) => (observed.trials as PerTrial[]).find((t) => t.algorithm === algorithm)!;

describe('congestion avoidance (reno and cubic, the route\'s ssthresh at 20)', () => {
  it('is nuanced on the real run: above ssthresh reno grew about one segment per round trip, cubic about two', () => {
    expect(real.avoidance.map((t) => t.algorithm)).toEqual(['reno', 'cubic']);
    const result = judgeAvoidance(real.avoidance);
    expect(result.verdict).toBe('nuanced');
    expect(perTrial(result.observed, 'reno').segmentsPerRoundTrip).toBeCloseTo(1, 0);
    expect(perTrial(result.observed, 'cubic').segmentsPerRoundTrip).toBeGreaterThan(1.4);
    expect(result.summary).toContain('cubic by');
  });

  it('is confirmed when cubic was watched only through its first 360 ms (a shorter transfer): cwnd 20 → 26 in about 6 round trips, reno-like', () => {
    const short = altered((o) => {
      const cubic = of(o.avoidance, 'cubic');
      cubic.samples = cubic.samples.filter((s) => s.atMs < 360);
    });
    const result = judgeAvoidance(short.avoidance);
    expect(result.verdict).toBe('confirmed');
    expect(perTrial(result.observed, 'cubic')).toMatchObject({ cwndFrom: INITIAL_SSTHRESH, cwndTo: 26 });
    expect(perTrial(result.observed, 'cubic').segmentsPerRoundTrip).toBeLessThanOrEqual(1.4);
  });

  it('is refuted when the "reno" trial grew two segments per round trip: the route\'s congctl not applied, it ran cubic (the real cubic trial under reno\'s name)', () => {
    const cubicAsReno = altered((o) => {
      const reno = o.avoidance.findIndex((t) => t.algorithm === 'reno');
      o.avoidance[reno] = { ...of(o.avoidance, 'cubic'), name: 'avoidance, reno', algorithm: 'reno' };
    });
    const result = judgeAvoidance(cubicAsReno.avoidance);
    expect(result.verdict).toBe('refuted');
    expect(perTrial(result.observed, 'reno').segmentsPerRoundTrip).toBeGreaterThan(1.4);
    expect(result.summary).toContain('reno grew by');
  });
});

describe('fast recovery (one segment dropped under reno, cubic and bbr)', () => {
  it('is nuanced on the real run: reno set ssthresh to half its window (31 → 15), cubic kept 0.68 of it, bbr set none', () => {
    expect(real.lossTrials.map((t) => t.algorithm)).toEqual(['reno', 'cubic', 'bbr']);
    const result = judgeFastRecovery(real.lossTrials);
    expect(result.verdict).toBe('nuanced');
    expect(perTrial(result.observed, 'reno')).toMatchObject({ cwndBeforeLoss: 31, ssthreshAfterLoss: 15, ratio: 0.48 });
    expect(perTrial(result.observed, 'cubic')).toMatchObject({ cwndBeforeLoss: 34, ssthreshAfterLoss: 23, ratio: 0.68 });
    expect(perTrial(result.observed, 'bbr').ratio).toBeUndefined();
  });

  it('is confirmed when every algorithm halved: a kernel without tcp_bbr, and cubic with beta 512/1024 (its ssthresh after the loss 17, not 23)', () => {
    const halving = altered((o) => {
      o.lossTrials = o.lossTrials.filter((t) => t.algorithm !== 'bbr');
      for (const s of of(o.lossTrials, 'cubic').samples) if (s.ssthresh === 23) s.ssthresh = 17;
    });
    const result = judgeFastRecovery(halving.lossTrials);
    expect(result.verdict).toBe('confirmed');
    expect(perTrial(result.observed, 'cubic')).toMatchObject({ cwndBeforeLoss: 34, ssthreshAfterLoss: 17, ratio: 0.5 });
  });

  it('is refuted when reno backed off as cubic does (ssthresh 22, 0.7 of its window of 31, instead of 15)', () => {
    const gentle = altered((o) => {
      for (const s of of(o.lossTrials, 'reno').samples) if (s.ssthresh === 15) s.ssthresh = 22;
    });
    const result = judgeFastRecovery(gentle.lossTrials);
    expect(result.verdict).toBe('refuted');
    expect(perTrial(result.observed, 'reno')).toMatchObject({ cwndBeforeLoss: 31, ssthreshAfterLoss: 22, ratio: 0.71 });
  });
});

describe('retransmission timeout (reno, every ACK dropped for 1.6 s)', () => {
  it('is confirmed on the real run: the lost segment resent 3 times on the timer, each wait about double, and ss saw cwnd 1 meanwhile', () => {
    const result = judgeTimeout(real.timeout);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ retransmissions: 3, gapsMs: [517, 991], cwndAfterTimeout: 1 });
    expect(real.timeout.samples.some((s) => s.timer?.startsWith('on') && s.cwnd === 1)).toBe(true);
  });

  it('is refuted when the timeout only halved cwnd, to the new ssthresh of 40, instead of resetting it to 1 (the same retransmissions)', () => {
    // Every sample ss took after a timer expiry (retransmits > 0) with cwnd 1 gets the ssthresh it showed instead.
    const halved = altered((o) => {
      for (const s of o.timeout.samples) if (s.retransmits > 0 && s.cwnd === 1) s.cwnd = s.ssthresh!;
    });
    const result = judgeTimeout(halved.timeout);
    expect(result.verdict).toBe('refuted');
    expect(result.observed).toMatchObject({ retransmissions: 3, cwndAfterTimeout: 40 });
  });

  it('is confirmed by a single timer retransmission with cwnd 1 (the claim asks for a retransmission and the reset, not a back-off)', () => {
    const once = altered((o) => {
      o.timeout.retransmissions = o.timeout.retransmissions.slice(0, 1);
    });
    const result = judgeTimeout(once.timeout);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ retransmissions: 1, cwndAfterTimeout: 1 });
    expect(result.summary).not.toMatch(/back-off/);
  });
});

describe('fast recovery without samples after the loss', () => {
  it('is unverifiable, not refuted, when ss stopped sampling reno before its loss', () => {
    const early = altered((o) => {
      const reno = of(o.lossTrials, 'reno');
      reno.samples = reno.samples.filter((s) => s.atMs < reno.lossAtMs!);
    });
    const result = judgeFastRecovery(early.lossTrials);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toMatch(/no sample of the reno transfer after its loss/);
  });
});
