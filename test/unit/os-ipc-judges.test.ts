import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeMessageQueue, judgeSemaphore, judgeSharedMemory, judgeSignals, type IpcObservation } from '../../labs/os/ipc.lab.ts';

/** A real run of os-ipc: the C program on Linux with glibc (POSIX mq, sem_t in shared memory, signals, shm_open). */
const { real, altered } = realSample<IpcObservation>('os-ipc-observation.json.gz');

describe('os-ipc judges', () => {
  it('confirms the message queue: five held for a late reader, read whole, by priority', () => {
    const result = judgeMessageQueue(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toMatch(/highest priority first \(5, 5, 3, 2, 1\)/);
    expect(judgeMessageQueue(altered((o) => (o.queue.heldBeforeRead = 0))).verdict).toBe('refuted');
    expect(judgeMessageQueue(altered((o) => o.queue.read.pop())).verdict).toBe('unverifiable');
  });

  it('confirms the semaphore when the counter is exact with it, says so when nothing was lost without it, refutes a lost update under it', () => {
    expect(judgeSemaphore(real).verdict).toBe('confirmed');
    expect(judgeSemaphore(altered((o) => (o.counter.withoutSemaphore = 2 * o.counter.perProcess))).summary).toContain('none happened to be lost');
    expect(judgeSemaphore(altered((o) => (o.counter.withSemaphore -= 1))).verdict).toBe('refuted');
  });

  it('finds signals nuanced: standard ones coalesce, real-time ones queue; confirmed if all five came; refuted if one kind never did', () => {
    expect(judgeSignals(real).verdict).toBe('nuanced');
    expect(judgeSignals(altered((o) => (o.signals.usr1Received = 5))).verdict).toBe('confirmed');
    expect(judgeSignals(altered((o) => (o.signals.rtminReceived = 0))).verdict).toBe('refuted');
  });

  it('is nuanced on the real run: fastest in bulk, not clearly ahead for small messages; refutes it when slower in bulk; unverifiable when a transfer failed', () => {
    const result = judgeSharedMemory(real);
    expect(result.verdict).toBe('nuanced');
    expect((result.observed as { sharedMemoryNotClearlyAheadAtBytes: number[] }).sharedMemoryNotClearlyAheadAtBytes).toContain(64);
    expect(result.observed.speedUpOverBest as number).toBeGreaterThan(1);
    expect(judgeSharedMemory(altered((o) => (o.transfer.bestMs.sharedMemory = o.transfer.bestMs.pipe + 1))).verdict).toBe('refuted');
    expect(judgeSharedMemory(altered((o) => (o.transfer.bestMs.socket = -1000))).verdict).toBe('unverifiable');
    expect(judgeSharedMemory(altered((o) => (o.messages.bySize = []))).verdict).toBe('unverifiable');
  });

  it('is confirmed when shared memory is clearly ahead at every message size', () => {
    const ahead = altered((o) => o.messages.bySize.forEach((s) => (s.bestMs.sharedMemory = Math.min(s.bestMs.pipe, s.bestMs.socket, s.bestMs.messageQueue) / 2)));
    expect(judgeSharedMemory(ahead)).toMatchObject({ verdict: 'confirmed', observed: { sharedMemoryNotClearlyAheadAtBytes: [] } });
  });
});
