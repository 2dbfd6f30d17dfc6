/** Runs the tcp-flow-control lab and checks the zero window, the probes and the min(rwnd, cwnd) bound. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('tcp-flow-control');
}, 120_000);

describe('labs run tcp-flow-control', () => {
  it('passes and matches the verdict baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('sees the window reach zero, no data while it is, probes, and every byte in the end', () => {
    const { verdict, observed } = run.claim('tcp.flow.window');
    expect(verdict, JSON.stringify(observed)).toBe('confirmed');
    expect(observed.dataSegmentsWhileZero).toBe(0);
    expect(observed.probesWhileZero as number).toBeGreaterThanOrEqual(2);
    expect(observed.senderTimerWhileZero).toMatch(/^persist/);
    expect(observed.bytesReceived).toBe(observed.bytesSent);
  });

  it('never has more in flight than min(rwnd, cwnd), and fills whichever is smaller', () => {
    const { verdict, observed } = run.claim('tcp.window.send-min');
    expect(verdict, JSON.stringify(observed)).toBe('confirmed');
    expect(observed.samplesOverMin).toBe(0);
    const rwnd = observed.receiveWindowBound as { unacked: number; cwnd: number; receiveWindowSegments: number };
    const cwnd = observed.congestionWindowBound as { unacked: number; cwnd: number; receiveWindowSegments: number };
    expect(rwnd.receiveWindowSegments).toBeLessThan(rwnd.cwnd);
    expect(cwnd.cwnd).toBeLessThan(cwnd.receiveWindowSegments);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
