/** Runs the docker-isolation lab against the real engine and checks both sides of the isolation. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('docker-isolation');
}, 120_000);

describe('labs run docker-isolation', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('separates pid, net, mnt, uts and ipc, but not the user namespace', () => {
    for (const id of ['docker.ns.pid', 'docker.ns.net', 'docker.ns.mount', 'docker.ns.uts', 'docker.ns.ipc']) expect(run.claim(id).verdict, run.claim(id).summary).toBe('confirmed');
    expect(run.claim('docker.ns.user').observed.separateUserNamespace).toBe(false);
  });

  it('kills a process over its memory limit (only throttling the CPU quota, only failing fork at pids.max) and copies a changed file up', () => {
    expect(run.claim('docker.cgroup.limits').observed).toMatchObject({ memory: { oomKilled: true, exitCode: 137 }, cpu: { stillRunning: true }, pids: { error: 'EAGAIN', stillRunning: true } });
    expect(run.claim('docker.unionfs.copy-on-write').observed.originalUntouched).toBe(true);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
