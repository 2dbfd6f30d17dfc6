/** Runs linux-load: four tasks in uninterruptible sleep for a minute, the sheet's load tools, and top against /proc. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('linux-load');
}, 300_000);

describe('labs run linux-load', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('sees load average rise with four tasks in D that vmstat b does not count', () => {
    const o = run.claim('linux.load.tools').observed as { tasksInD: number; tasksCountedByLoadAverage: number; vmstatBlockedMedian: number; workerKernelStack: string[] };
    expect(o.tasksInD).toBe(4);
    expect(o.tasksCountedByLoadAverage).toBeGreaterThanOrEqual(3);
    expect(o.vmstatBlockedMedian).toBeLessThan(4);
    expect(o.workerKernelStack.join(' ')).toContain('vfork');
  });

  it("checks every field of top's summary and a worker's row against /proc", () => {
    const o = run.claim('linux.top.summary').observed as { failedChecks: string[]; workerRow: Record<string, string> };
    expect(o.failedChecks).toEqual([]);
    expect(o.workerRow).toMatchObject({ NI: '5', PR: '25', S: 'D' });
  });

  it('leaves no worker behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
