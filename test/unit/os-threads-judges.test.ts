import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeProcessIsolation, judgeThreadsShared, type ThreadsObservation } from '../../labs/os/threads.lab.ts';

/** A real run of os-threads: CPython in the project's container, read from /proc. */
const { real, altered } = realSample<ThreadsObservation>('os-threads-observation.json.gz');

describe('os-threads judges', () => {
  it('confirms isolation on the real run: one address, two values, a crash that killed only the child', () => {
    const result = judgeProcessIsolation(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toMatch(/one address, two address spaces/);
  });

  it('refutes isolation when the parent saw the child write; unverifiable when the child did not crash', () => {
    expect(judgeProcessIsolation(altered((o) => (o.process.markerInParent = 3))).verdict).toBe('refuted');
    expect(judgeProcessIsolation(altered((o) => (o.process.childFileInParent = true))).verdict).toBe('refuted');
    expect(judgeProcessIsolation(altered((o) => Object.assign(o.process, { childEndedBySignal: null, childExitCode: 0 }))).verdict).toBe('unverifiable');
  });

  it('confirms what threads share and keep on the real run, and says a thread crash took the process', () => {
    const result = judgeThreadsShared(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toMatch(/killed the whole process/);
  });

  it('refutes when a thread write was not seen or two threads shared a stack; unverifiable when a thread was not blocked', () => {
    expect(judgeThreadsShared(altered((o) => (o.threads.markerSeenByMain = 1))).verdict).toBe('refuted');
    expect(judgeThreadsShared(altered((o) => (o.threads.registers.idle!.range = o.threads.registers.writer!.range))).verdict).toBe('refuted');
    expect(judgeThreadsShared(altered((o) => (o.threads.registers.main!.mapping = 'anonymous'))).verdict).toBe('refuted');
    expect(judgeThreadsShared(altered((o) => (o.threads.registers.idle = { state: 'running' }))).verdict).toBe('unverifiable');
  });
});
