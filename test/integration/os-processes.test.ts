/** Runs the os-processes lab in a container and checks what ps and /proc showed. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('os-processes');
}, 120_000);

describe('labs run os-processes', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('sees a zombie in state Z and an orphan adopted and reaped by PID 1', () => {
    expect(run.claim('os.zombie').observed.statusState).toBe('Z (zombie)');
    expect(run.claim('os.orphan').observed).toMatchObject({ parentAfter: 1, reapedWhenItExited: true });
  });

  it('finds pipes one-way, FIFOs between strangers, and a stack limit of a few MB', () => {
    expect(run.claim('os.ipc.pipe-half-duplex').verdict).toBe('confirmed');
    expect(run.claim('os.ipc.named-pipe').observed.received).toBe('from an unrelated process');
    expect(Number(run.claim('os.memory.stack-limit').observed.ulimitS)).toBeGreaterThan(0);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
