/** The rocketmq-store judges given a real observation with the part they need taken out: unverifiable, naming what is missing. */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeCommitLog, judgeConsumeQueue, type StoreObservation } from '../../labs/rocketmq/store.lab.ts';

const { altered } = realSample<StoreObservation>('rocketmq-store-observation.json.gz');

describe('rocketmq-store without the observations it needs', () => {
  it('commit log: unverifiable with fewer than two files, or no sent message recorded; misnamed files still refute', () => {
    const one = judgeCommitLog(altered((o) => (o.commitLog = o.commitLog.slice(0, 1))));
    expect(one).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('1 commit-log file:') });
    expect(one.summaryZh).not.toBe('');
    expect(judgeCommitLog(altered((o) => (o.commitLog = [])))).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('0 commit-log files') });
    expect(judgeCommitLog(altered((o) => (o.sent = [])))).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('No sent message') });
    expect(judgeCommitLog(altered((o) => (o.commitLog = [{ ...o.commitLog[0]!, name: '00000000000000000001' }]))).verdict).toBe('refuted');
  });

  it('consume queue: unverifiable when no entry was followed into the commit log', () => {
    const result = judgeConsumeQueue(altered((o) => (o.followed = [])));
    expect(result).toMatchObject({ verdict: 'unverifiable', summary: 'No consume-queue entry was followed into the commit log.' });
    expect(result.summaryZh).not.toBe('');
  });
});
