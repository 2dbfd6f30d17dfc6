/** Runs os-ipc (a C program on the host) and checks each mechanism's behaviour and the transfer times. */
import { beforeAll, describe, expect, it } from 'vitest';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('os-ipc');
}, 120_000);

describe('labs run os-ipc', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('holds five messages for a late reader and hands them out by priority, each whole', () => {
    expect(run.claim('os.ipc.message-queue').observed).toMatchObject({ heldBeforeRead: 5, priorities: [5, 5, 3, 2, 1] });
  });

  it('keeps a shared counter exact only with the semaphore', () => {
    const o = run.claim('os.ipc.semaphore').observed as { withSemaphore: number; expected: number; withoutSemaphore: number };
    expect(o.withSemaphore).toBe(o.expected);
    expect(o.withoutSemaphore).toBeLessThanOrEqual(o.expected);
  });

  it('coalesces five blocked SIGUSR1 into one and queues five SIGRTMIN; SIGCHLD reaches the parent', () => {
    expect(run.claim('os.ipc.signal').observed).toMatchObject({ sent: 5, usr1Received: 1, rtminReceived: 5, parentGotSigchld: 1 });
  });

  it('moves the bytes through shared memory faster than through a pipe or a socket', () => {
    const o = run.claim('os.ipc.shared-memory').observed as { pipe: number; socket: number; sharedMemory: number; shmObject: string };
    expect(o.sharedMemory).toBeLessThan(Math.min(o.pipe, o.socket));
    expect(o.shmObject).toMatch(/^\/dev\/shm\/labs-ipc-\d+ \(134217728 bytes\)$/);
  });

  it('times 20 000 messages of each size through a pipe, a socket, a message queue and shared-memory slots', () => {
    const o = run.claim('os.ipc.shared-memory').observed as { messages: { bytes: number; bestMs: Record<string, number> }[] };
    expect(o.messages.map((m) => m.bytes)).toEqual([64, 1024, 8192]);
    for (const m of o.messages) expect(Object.values(m.bestMs).every((ms) => ms > 0)).toBe(true);
  });
});
