/** Runs the tcp-congestion lab (reno, cubic, bbr over a 40 ms round trip) and checks verdicts and measurements. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
type PerAlgorithm = { algorithm: string } & Record<string, unknown>;
const trials = (claim: string) => run.claim(claim).observed.trials as PerAlgorithm[];
const of = (claim: string, algorithm: string) => trials(claim).find((t) => t.algorithm === algorithm)!;

beforeAll(async () => {
  run = await runLab('tcp-congestion');
}, 180_000);

describe('labs run tcp-congestion', () => {
  it('passes, matches the baseline and records the impairment used', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
    expect(run.lab.environment.impairment).toMatch(/delay 40 ms/);
  });

  it('starts with 10 segments and doubles per round trip: "1 MSS, doubling per ACK" is refuted', () => {
    expect(run.claim('tcp.congestion.slow-start').verdict).toBe('refuted');
    for (const t of trials('tcp.congestion.slow-start')) {
      expect(t.initialWindow).toBe(10);
      expect(t.growthPerRound).toEqual([2, 2]);
    }
  });

  it('grows reno by one segment per round trip above ssthresh', () => {
    const reno = of('tcp.congestion.avoidance', 'reno');
    expect(reno.segmentsPerRoundTrip as number, JSON.stringify(reno)).toBeGreaterThan(0.7);
    expect(reno.segmentsPerRoundTrip as number, JSON.stringify(reno)).toBeLessThan(1.3);
  });

  it('retransmits the lost segment after about one round trip, long before the RTO', () => {
    expect(run.claim('tcp.congestion.fast-retransmit').verdict).toBe('confirmed');
    for (const t of trials('tcp.congestion.fast-retransmit')) {
      expect(t.retransmittedAfterMs as number).toBeLessThan(t.rtoMs as number);
      expect(t.retransmittedAfterMs as number).toBeGreaterThanOrEqual(35);
    }
  });

  it('halves under reno, keeps about 0.7 under cubic, sets no ssthresh under bbr', () => {
    expect(run.claim('tcp.congestion.fast-recovery').verdict).toBe('nuanced');
    expect(of('tcp.congestion.fast-recovery', 'reno').ratio as number).toBeCloseTo(0.5, 1);
    expect(of('tcp.congestion.fast-recovery', 'cubic').ratio as number).toBeGreaterThan(0.6);
    expect(of('tcp.congestion.fast-recovery', 'cubic').ratio as number).toBeLessThan(0.8);
    expect(of('tcp.congestion.fast-recovery', 'bbr').ssthreshAfterLoss).toBeUndefined();
  });

  it('falls to a window of 1 and doubles the timer on every timeout', () => {
    const { verdict, observed } = run.claim('tcp.retransmit.timeout');
    expect(verdict).toBe('confirmed');
    expect(observed.cwndAfterTimeout).toBe(1);
    for (const factor of observed.backoff as number[]) expect(factor).toBeCloseTo(2, 0);
  });

  it('puts each transfer on the timeline with the drops as faults', () => {
    const timeline = run.lab.timeline ?? [];
    const transfers = timeline.filter((e) => e.type === 'ok' && e.process === 'sender');
    expect(transfers.length).toBeGreaterThanOrEqual(8);
    const faults = timeline.filter((e) => e.type === 'fault' && e.phase === 'start').map((e) => (e.type === 'fault' ? e.fault : ''));
    expect(faults.filter((f) => f.includes('one loss'))).toHaveLength(transfers.length - 5);
    expect(faults.filter((f) => f.includes('every ACK dropped'))).toHaveLength(1);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
