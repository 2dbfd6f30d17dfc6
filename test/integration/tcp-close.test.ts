/** Runs the tcp-close lab: every close state held in turn, and ports used up by TIME-WAIT. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('tcp-close');
}, 120_000);

describe('labs run tcp-close', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('sees all five close states on the right sides', () => {
    expect(run.claim('tcp.close.states').observed).toEqual({ activeCloser: ['FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT'], passiveCloser: ['CLOSE-WAIT', 'LAST-ACK'] });
  });

  it('runs out of ports to TIME-WAIT and gets one back with tcp_tw_reuse', () => {
    expect(run.claim('tcp.close.time-wait-ports').observed).toMatchObject({ ports: 8, connected: 8, timeWaits: 8, withReuse: 'connected' });
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
