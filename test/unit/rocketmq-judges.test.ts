import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { indexFileTime, judgeCommitLog, judgeCommitLogNames, judgeConsumeQueue, judgeIndexFile, judgeIndexFileNames, type StoreObservation } from '../../labs/rocketmq/store.lab.ts';
import { indexKeyHash } from '../../src/observers/rocketmq-store.ts';

/** What a real run of rocketmq-store read: the store's files, 40 consume-queue entries followed into the commit log, the index chain of one key. */
const { real, altered } = realSample<StoreObservation>('rocketmq-store-observation.json.gz');

describe('commit log', () => {
  it('is confirmed on the real run: one log shared by every queue, files named by start offset, all of the size the lab set, and 1 GiB printed by an unconfigured broker', () => {
    const result = judgeCommitLog(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ namedByStartOffset: true, everyFileFullSize: true, queuesSharingTheFirstFile: 4 });
  });

  it('is refuted if files were not named by their start offsets, or each queue had a log of its own', () => {
    expect(judgeCommitLog(altered((o) => (o.commitLog[1]!.name = '00000000000000000001'))).verdict).toBe('refuted');
    expect(judgeCommitLog(altered((o) => (o.sent = o.sent.map((s) => ({ ...s, queueId: 0 }))))).verdict).toBe('refuted');
  });
});

describe('consume queue', () => {
  it('is confirmed on the real run: every entry followed points at its own message', () => {
    expect(real.followed.length).toBe(40);
    expect(judgeConsumeQueue(real).verdict).toBe('confirmed');
  });

  it('is refuted when an entry points elsewhere or carries another tag hash', () => {
    expect(judgeConsumeQueue(altered((o) => (o.followed[3]!.entry.commitLogOffset += 1))).verdict).toBe('refuted');
    expect(judgeConsumeQueue(altered((o) => (o.followed[5]!.entry.tagHash = 7))).verdict).toBe('refuted');
  });
});

describe('index file', () => {
  it('is confirmed on the real run: the key\'s slot chain holds the offset the message was written at', () => {
    expect(real.index!.matches.length).toBeGreaterThan(0);
    expect(real.index!.matches[0]!.keyHash).toBe(indexKeyHash('LabTopic', 'key-1999'));
    expect(judgeIndexFile(real).verdict).toBe('confirmed');
  });

  it('is refuted when the chain misses the message, unverifiable without an index', () => {
    expect(judgeIndexFile(altered((o) => (o.index!.matches = []))).verdict).toBe('refuted');
    expect(judgeIndexFile(altered((o) => (o.index = null))).verdict).toBe('unverifiable');
  });
});

describe('commit-log file names', () => {
  it('is refuted on the real run: named by start offset, always in 20 digits, where the sheet writes 22', () => {
    const result = judgeCommitLogNames(real);
    expect(result.verdict).toBe('refuted');
    expect(result.observed).toMatchObject({ digits: [20], namedByStartOffset: true, secondNameAtOneGiB: '00000000001073741824' });
  });

  it('is confirmed if the files after the first were named in 22 digits, as the sheet writes them, and unverifiable without files', () => {
    expect(judgeCommitLogNames(altered((o) => (o.commitLog = o.commitLog.map((f) => ({ ...f, name: Number(f.name) === 0 ? f.name : f.name.padStart(22, '0') }))))).verdict).toBe('confirmed');
    expect(judgeCommitLogNames(altered((o) => (o.commitLog = o.commitLog.map((f) => ({ ...f, name: f.name.padStart(22, '0') }))))).verdict).toBe('refuted');
    expect(judgeCommitLogNames(altered((o) => (o.commitLog = []))).verdict).toBe('unverifiable');
  });
});

describe('index file names', () => {
  it('is refuted on the real run: each file is named by the time it was created', () => {
    const result = judgeIndexFileNames(real);
    expect(result.verdict).toBe('refuted');
    expect(indexFileTime('20261126103858020')).toBe('2026-11-26 10:38:58.020');
    expect(indexFileTime('20261326103858020')).toBeUndefined();
    expect((result.observed.readAsTimes as unknown[]).every((t) => typeof t === 'string')).toBe(true);
  });

  it('is confirmed if they were numbered from 0 in 20 digits, and unverifiable without an index', () => {
    expect(judgeIndexFileNames(altered((o) => (o.index!.files = o.index!.files.map((f, i) => ({ ...f, name: String(i).padStart(20, '0') }))))).verdict).toBe('confirmed');
    expect(judgeIndexFileNames(altered((o) => (o.index = null))).verdict).toBe('unverifiable');
  });
});
