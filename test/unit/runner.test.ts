import { describe, expect, it } from 'vitest';
import { defineLab, type Lab } from '../../src/core/lab.ts';
import { runLabs } from '../../src/core/runner.ts';

/** A lab that needs nothing from the machine and notes when it started and ended. */
function timedLab(id: string, log: string[], alone = false): Lab {
  return defineLab({
    id,
    title: id,
    topic: 'os',
    claims: ['os.deadlock.four-conditions'],
    requires: [],
    timeLimitMs: 5000,
    alone,
    handout: { starts: 'nothing', does: 'waits', observes: 'nothing' },
    async run() {
      log.push(`start ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
      log.push(`end ${id}`);
      return [{ id: 'os.deadlock.four-conditions', verdict: 'unverifiable', summary: 'a fixture', summaryZh: '测试用', observed: {}, evidence: [] }];
    },
  });
}

describe('runLabs', () => {
  it('runs labs marked alone after the others, one at a time, and keeps the given order in its results', async () => {
    const log: string[] = [];
    const labs = [timedLab('a', log), timedLab('b', log, true), timedLab('c', log), timedLab('d', log, true)];
    const results = await runLabs(labs, { runId: 'test-alone', jobs: 2, signal: new AbortController().signal });
    expect(results.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
    // a and c run side by side first; then b, then d, each with nothing beside it.
    expect(log.slice(0, 2).sort()).toEqual(['start a', 'start c']);
    expect(log.slice(4)).toEqual(['start b', 'end b', 'start d', 'end d']);
  });
});

/** A lab whose claim lacks its evidence in the first `lacking` attempts, as a capture racing the experiment would. */
function racyLab(lacking: number, attempts: { n: number }): Lab {
  return defineLab({
    id: 'racy',
    title: 'racy',
    topic: 'os',
    claims: ['os.deadlock.four-conditions'],
    requires: [],
    timeLimitMs: 5000,
    handout: { starts: 'nothing', does: 'counts', observes: 'its attempt' },
    async run() {
      attempts.n++;
      const missing = attempts.n <= lacking;
      return [{ id: 'os.deadlock.four-conditions', verdict: missing ? 'unverifiable' : 'confirmed', summary: missing ? `attempt ${attempts.n}: the capture held no reply` : 'seen', observed: {}, evidence: [] }];
    },
  });
}

describe('retries', () => {
  const signal = new AbortController().signal;

  it('runs a lab again while a claim lacks evidence, keeps the attempts set aside, and stops at the first complete one', async () => {
    const attempts = { n: 0 };
    const retries: string[] = [];
    const [result] = await runLabs([racyLab(2, attempts)], { runId: 'test-retry', jobs: 1, signal, retries: 3, onEvent: (e) => e.type === 'retry' && retries.push(e.claims.join()) });
    expect(attempts.n).toBe(3);
    expect(result!.claims[0]!.verdict).toBe('confirmed');
    expect(result!.retried).toEqual([
      { attempt: 1, unverifiable: [{ id: 'os.deadlock.four-conditions', summary: 'attempt 1: the capture held no reply' }] },
      { attempt: 2, unverifiable: [{ id: 'os.deadlock.four-conditions', summary: 'attempt 2: the capture held no reply' }] },
    ]);
    expect(retries).toEqual(['os.deadlock.four-conditions', 'os.deadlock.four-conditions']);
  });

  it('gives up after the retries allowed, with the last attempt as the result', async () => {
    const attempts = { n: 0 };
    const [result] = await runLabs([racyLab(5, attempts)], { runId: 'test-retry', jobs: 1, signal, retries: 1 });
    expect(attempts.n).toBe(2);
    expect(result!.claims[0]).toMatchObject({ verdict: 'unverifiable', summary: 'attempt 2: the capture held no reply' });
    expect(result!.retried).toHaveLength(1);
  });

  it('runs once without retries, or when the unverifiable claim is one the baseline expects', async () => {
    const once = { n: 0 };
    await runLabs([racyLab(5, once)], { runId: 'test-retry', jobs: 1, signal });
    expect(once.n).toBe(1);
    const expected = { n: 0 };
    const [result] = await runLabs([racyLab(5, expected)], { runId: 'test-retry', jobs: 1, signal, retries: 3, retryable: () => false });
    expect(expected.n).toBe(1);
    expect(result!.retried).toBeUndefined();
  });
});
