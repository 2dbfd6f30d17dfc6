import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeDelay, type DelayObservation } from '../../labs/kafka/delay.lab.ts';
import { parseConfigs } from '../../src/observers/kafka-configs.ts';
import { judgeRetries, judgeTransactions, transactionMarkers, type ProducerObservation } from '../../labs/kafka/producer.lab.ts';

/** A real run of kafka-delay (Kafka 4.4): five records stamped 30 s ahead, one 2 h ahead, the broker's delay settings. */
const delay = JSON.parse(readFileSync(new URL('../fixtures/kafka-delay-observation.json', import.meta.url), 'utf8')) as DelayObservation;
/** A real run of kafka-producer: two producers through a leader's death, a committed and an aborted transaction. */
const { real: producer } = realSample<ProducerObservation>('kafka-producer-observation.json.gz');
const alter = <T>(o: T, change: (copy: T) => void): T => {
  const copy = structuredClone(o);
  change(copy);
  return copy;
};

describe('kafka-delay judge', () => {
  it('is confirmed on the real run: records stamped 30 s ahead arrived at once; the far-future one was refused', () => {
    const result = judgeDelay(delay);
    expect(result.verdict).toBe('confirmed');
    expect((result.observed.deliveryLagMs as { max: number }).max).toBeLessThan(5000);
    expect(delay.farAhead.acknowledged).toBe(false);
    expect(delay.timestampAfterMaxMs).toBe(3_600_000);
  });

  it('is refuted if the broker had held the records until their time, nuanced in between, unverifiable if they never came', () => {
    const held = alter(delay, (o) => o.records.forEach((r) => (r.receivedAt = r.sentAt + 30_500)));
    expect(judgeDelay(held).verdict).toBe('refuted');
    expect(judgeDelay(alter(delay, (o) => o.records.forEach((r) => (r.receivedAt = r.sentAt + 20_000)))).verdict).toBe('nuanced');
    expect(judgeDelay(alter(delay, (o) => (o.records[0]!.receivedAt = null))).verdict).toBe('unverifiable');
    expect(judgeDelay(alter(delay, (o) => (o.records = []))).verdict).toBe('unverifiable');
    // A record whose timestamp was not ahead (the offset ignored, or LogAppendTime) tests nothing.
    expect(judgeDelay(alter(delay, (o) => o.records.forEach((r) => (r.timestamp = r.sentAt)))).verdict).toBe('unverifiable');
  });

  it('reads kafka-configs --describe --all lines', () => {
    const out = 'All configs for broker 1 are:\n  log.segment.delete.delay.ms=60000 sensitive=false synonyms={DEFAULT_CONFIG:log.segment.delete.delay.ms=60000}\n  ssl.key.password=null sensitive=true synonyms={}\n';
    expect(parseConfigs(out)).toEqual([{ name: 'log.segment.delete.delay.ms', value: '60000' }, { name: 'ssl.key.password', value: 'null' }]);
  });
});

describe('kafka-producer judges', () => {
  it('confirms retries on the real run: sends failed and went missing with retries=0, none with the defaults', () => {
    const result = judgeRetries(producer);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ clientDefaults: { failed: 0, settings: { retries: 2147483647, idempotence: true } }, retries0: { settings: { retries: 0 } } });
    expect((result.observed.retries0 as { failedAndNotInTheTopic: number }).failedAndNotInTheTopic).toBeGreaterThan(0);
  });

  it('is refuted if the retrying producer failed too, unverifiable if the fault made nothing fail', () => {
    expect(judgeRetries(alter(producer, (o) => o.retries.defaults.refused.push({ key: 'k1', error: 'TimeoutException: expired' }))).verdict).toBe('refuted');
    expect(judgeRetries(alter(producer, (o) => (o.retries.none.refused = []))).verdict).toBe('unverifiable');
    expect(judgeRetries(alter(producer, (o) => (o.retries.defaults.readBack = o.retries.defaults.readBack.slice(1)))).verdict).toBe('refuted');
  });

  it('is nuanced on the real run: aborted records hidden only from read_committed readers', () => {
    const result = judgeTransactions(producer);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ seenReadCommitted: { committed: 50, aborted: 0 }, seenByDefault: { aborted: 50 }, markers: { COMMIT: 1, ABORT: 1 } });
  });

  it('is confirmed if default readers skipped aborted records, refuted if read_committed saw them', () => {
    const hidden = alter(producer, (o) => (o.transactions.seen.default = o.transactions.seen.default.filter((k) => !k.startsWith('aborted-'))));
    expect(judgeTransactions(hidden).verdict).toBe('confirmed');
    const leaked = alter(producer, (o) => o.transactions.seen.read_committed.push(o.transactions.written.aborted[0]!));
    expect(judgeTransactions(leaked).verdict).toBe('refuted');
    const partial = alter(producer, (o) => (o.transactions.seen.default = o.transactions.seen.default.filter((k) => k !== o.transactions.written.committed[0])));
    expect(judgeTransactions(partial).verdict).toBe('refuted');
    expect(judgeTransactions(alter(producer, (o) => (o.transactions.written.aborted = []))).verdict).toBe('unverifiable');
  });

  it('counts transaction markers in kafka-dump-log output', () => {
    const dump = 'baseOffset: 0 lastOffset: 49 count: 50 isTransactional: true isControl: false\nbaseOffset: 50 lastOffset: 50 count: 1 isTransactional: true isControl: true\n| offset: 50 CreateTime: 1 keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 0\n';
    expect(transactionMarkers(dump)).toEqual({ markers: { COMMIT: 1, ABORT: 0 }, transactionalBatches: 2 });
  });
});
