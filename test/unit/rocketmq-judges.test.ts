import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { judgeCommitLog, judgeConsumeQueue, judgeIndexFile, type StoreObservation } from '../../labs/rocketmq/store.lab.ts';
import { indexKeyHash } from '../../src/observers/rocketmq-store.ts';

/** What a real run of rocketmq-store read: the store's files, 40 consume-queue entries followed into the commit log, the index chain of one key. */
const real = JSON.parse(gunzipSync(readFileSync(new URL('../fixtures/rocketmq-store-observation.json.gz', import.meta.url))).toString()) as StoreObservation;
const altered = (change: (o: StoreObservation) => void) => {
  const copy = structuredClone(real);
  change(copy);
  return copy;
};

describe('commit log', () => {
  it('is nuanced on the real run: one log shared by every queue, files named by start offset, their size a setting', () => {
    const result = judgeCommitLog(real);
    expect(result.verdict).toBe('nuanced');
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
