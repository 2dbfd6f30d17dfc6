/** Runs the tcp-header lab and checks the flag bits of a real ECN-setup SYN. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('tcp-header');
}, 60_000);

describe('labs run tcp-header', () => {
  it('passes, matches the baseline and finds CWR and ECE on the SYN', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
    expect(run.claim('tcp.header.fields').observed).toMatchObject({ missing: [], flagsBeyondTheSheetsSix: ['CWR', 'ECE'] });
    expect(run.claim('tcp.header.reserved-six-bits').verdict).toBe('refuted');
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
