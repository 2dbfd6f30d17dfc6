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
