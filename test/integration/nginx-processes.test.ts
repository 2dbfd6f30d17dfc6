/** Runs the nginx-processes lab against a real nginx in a container. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('nginx-processes');
}, 180_000);

describe('labs run nginx-processes', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('finds one master, workers that own every connection, and auto = the CPU count', () => {
    expect(run.claim('nginx.process.master-workers').observed.connectionsOwnedByMaster).toBe(0);
    const count = run.claim('nginx.process.worker-count').observed;
    expect(count.workersWithAuto).toBe(count.cpusInContainer);
    expect(count.workersWithThree).toBe(3);
  });

  it('replaces a killed worker and keeps the master', () => {
    const o = run.claim('nginx.process.worker-crash').observed;
    expect(o.masterAfter).toBe(o.masterBefore);
    expect((o.replacementWorkers as number[]).length).toBe(1);
  });

  it('puts the kill on the timeline while the slow requests are in flight', () => {
    const timeline = run.lab.timeline ?? [];
    const kill = timeline.filter((e) => e.type === 'fault');
    expect(kill.map((e) => e.type === 'fault' && `${e.phase} ${e.fault.replace(/\d+/, 'N')}`)).toEqual(['start SIGKILL worker N', 'end SIGKILL worker N']);
    const invoke = timeline.find((e) => e.type === 'invoke')!;
    const completed = timeline.find((e) => e.type === 'ok')!;
    expect(invoke.atMs).toBeLessThan(kill[0]!.atMs);
    expect(completed.atMs).toBeGreaterThan(kill[0]!.atMs);
  });

  it('reloads without a failed request', () => {
    expect(run.claim('nginx.process.reload')).toMatchObject({ verdict: 'confirmed', observed: { failedRequests: 0 } });
  });

  it('holds 2000 connections in one single-threaded worker on epoll', () => {
    const o = run.claim('nginx.event.single-thread-many-connections').observed;
    expect(o).toMatchObject({ threads: 1, eventpollFds: 1 });
    expect(o.connections as number).toBeGreaterThanOrEqual(2000);
    expect(o.epollWatched as number).toBeGreaterThanOrEqual(2000);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
