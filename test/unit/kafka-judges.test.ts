import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { judgeCoordinatorHash, type CoordinatorObservation } from '../../labs/kafka/coordinator.lab.ts';
import { javaHashCode } from '../../src/observers/java-hash.ts';
import { judgeDuplicates, judgeNewCoordinator, judgeStopTheWorld, membersAtChanges, movingPartitionsUnheldMs, type ProtocolRun } from '../../labs/kafka/rebalance.lab.ts';
import { judgeAcksAll, judgeIdempotence, judgeManualCommit, judgeUnclean, type DurabilityObservation } from '../../labs/kafka/durability.lab.ts';
import { duplicated, lost } from '../../src/systems/kafka-workload.ts';
import { judgeMessageFormat, judgePersistence, judgeRetentionSize, judgeRetentionTime, judgeSegmentFiles, judgeSegmentRoll, type StorageObservation } from '../../labs/kafka/storage.lab.ts';
import { duplicates, emptyHanded, holdings } from '../../src/observers/kafka-group.ts';
import { crc32c, readVarint } from '../../src/observers/kafka-log.ts';

/** Every event of every member in a real run of kafka-rebalance (Kafka 4.4, three brokers). */
const { real: runs } = realSample<ProtocolRun[]>('kafka-rebalance-runs.json.gz');
/** Coordinators and offsets-topic leaders of 60 groups before and after a broker was killed, from a real run of kafka-coordinator. */
const coordinators = JSON.parse(readFileSync(new URL('../fixtures/kafka-coordinators.json', import.meta.url), 'utf8')) as CoordinatorObservation;
const run = (protocol: ProtocolRun['protocol']) => runs.find((r) => r.protocol === protocol)!;

describe('group observer', () => {
  it('follows who held what from the rebalance callbacks', () => {
    const eager = run('eager');
    const c1 = eager.members.find((m) => m.name === 'c1')!;
    const spans = holdings(c1, eager.endedAt);
    expect(spans.length).toBeGreaterThan(3);
    expect(spans.every((s) => s.to >= s.from)).toBe(true);
    // Under the eager protocol every join and leave empties a member's hands for a moment.
    expect(emptyHanded(c1, eager.endedAt).length).toBeGreaterThanOrEqual(2);
  });

  it('finds records delivered twice, and none when each record came once', () => {
    expect(duplicates(run('eager').members).length).toBeGreaterThan(100);
    const once = [{ name: 'a', events: [{ t: 1, e: 'rec', p: 0, o: 1 }, { t: 2, e: 'rec', p: 0, o: 2 }] }, { name: 'b', events: [{ t: 3, e: 'rec', p: 1, o: 1 }] }];
    expect(duplicates(once)).toEqual([]);
  });
});

describe('stop the world', () => {
  it('is nuanced on the real run: only the eager protocol empties every member', () => {
    const result = judgeStopTheWorld(runs);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed.protocolsThatStoppedEveryMember).toEqual(['eager']);
    expect(movingPartitionsUnheldMs(run('consumer'))).toBeGreaterThan(movingPartitionsUnheldMs(run('eager')));
    for (const row of membersAtChanges(runs)) expect(row.emptyHandedMs > 0).toBe(row.protocol === 'eager');
  });

  it('is confirmed with the eager run alone, refuted with the incremental runs alone', () => {
    expect(judgeStopTheWorld([run('eager')]).verdict).toBe('confirmed');
    expect(judgeStopTheWorld([run('cooperative'), run('consumer')]).verdict).toBe('refuted');
  });

  it('is unverifiable when the third consumer never came (no polite join or leave to watch the others through), and says so', () => {
    expect(membersAtChanges(runs).length).toBeGreaterThan(0);
    // Each run as it would be had c3 failed to start: its log gone, no join or leave; the eager run keeps its crash.
    const noThird = runs.map((r) => ({ ...r, members: r.members.filter((m) => m.name !== 'c3'), changes: r.changes.filter((c) => c.member !== 'c3') }));
    expect(membersAtChanges(noThird)).toEqual([]);
    const result = judgeStopTheWorld(noThird);
    expectNotObserved(result, 'No member stayed in the group across a change');
  });
});

describe('duplicates', () => {
  it('is confirmed on the real run: the crash redelivered what had not been committed', () => {
    const result = judgeDuplicates(runs);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed.crashDuplicates as number).toBeGreaterThan(100);
  });

  it('is refuted when no record came twice', () => {
    const clean = runs.map((r) => ({ ...r, members: r.members.map((m) => ({ ...m, events: m.events.filter((e) => e.e !== 'rec') })) }));
    expect(judgeDuplicates(clean).verdict).toBe('refuted');
  });
});

describe('a new coordinator', () => {
  it('is refuted on the real run: every group kept its coordinator', () => {
    expect(judgeNewCoordinator(runs).verdict).toBe('refuted');
  });

  it('is confirmed if the coordinator had changed, unverifiable if it was never asked', () => {
    const moved = runs.map((r, i) => (i === 0 ? { ...r, coordinators: [...r.coordinators, { at: r.endedAt, node: 99 }] } : r));
    expect(judgeNewCoordinator(moved).verdict).toBe('confirmed');
    expect(judgeNewCoordinator(runs.map((r) => ({ ...r, coordinators: [] }))).verdict).toBe('unverifiable');
  });
});

describe('the coordinator formula', () => {
  it("computes Java's String.hashCode", () => {
    expect(javaHashCode('hello')).toBe(99162322);
    expect(javaHashCode('')).toBe(0);
    expect(javaHashCode('polygenelubricants')).toBe(-2147483648);
  });

  it('is refuted on the real run: the leader of partition hash % 10 of __consumer_offsets, not broker hash % 3', () => {
    const result = judgeCoordinatorHash(coordinators);
    expect(result.verdict).toBe('refuted');
    expect(result.observed.partitionLeaderMatches).toBe(60);
    expect(result.observed.sheetFormulaMatches as number).toBeLessThan(60);
    expect(result.observed.afterKillPartitionLeaderMatches).toBe(60);
  });

  it('is confirmed if every coordinator had been broker hash % 3', () => {
    const brokers = coordinators.brokers;
    const sheet = Object.fromEntries(Object.keys(coordinators.before.coordinators).map((g) => [g, brokers[(javaHashCode(g) & 0x7fffffff) % brokers.length]!]));
    expect(judgeCoordinatorHash({ ...coordinators, before: { ...coordinators.before, coordinators: sheet } }).verdict).toBe('confirmed');
  });

  it('is unverifiable when the admin client found no coordinator for any group (every FindCoordinator failing), and says so', () => {
    expect(Object.keys(coordinators.before.coordinators)).toHaveLength(60);
    const result = judgeCoordinatorHash({ ...coordinators, before: { ...coordinators.before, coordinators: {} } });
    expectNotObserved(result, 'No coordinator was found');
    expect(result.observed).toMatchObject({ groups: 0 });
  });
});

/** What a real run of kafka-storage saw: directory listings, kafka-dump-log's batches, the first batch's bytes, retention timings. */
const storage = JSON.parse(readFileSync(new URL('../fixtures/kafka-storage-observation.json', import.meta.url), 'utf8')) as StorageObservation;
const alteredStorage = (change: (o: StorageObservation) => void) => {
  const copy = structuredClone(storage);
  change(copy);
  return copy;
};

describe('kafka-storage judges', () => {
  it('confirms segment files named by base offset, and refutes a misnamed one', () => {
    expect(judgeSegmentFiles(storage).verdict).toBe('confirmed');
    const misnamed = alteredStorage((o) => {
      const second = Object.keys(o.batches).sort()[1]!;
      o.batches[second]![0]!.baseOffset += 1;
    });
    expect(judgeSegmentFiles(misnamed).verdict).toBe('refuted');
    expect(judgeSegmentFiles(alteredStorage((o) => (o.files = o.files.filter((f) => !f.file.endsWith('.timeindex'))))).verdict).toBe('refuted');
  });

  it('is unverifiable about segment names when the records all fit one segment (only 00000000000000000000.* written), and says so', () => {
    const first = '00000000000000000000';
    const oneSegment = alteredStorage((o) => {
      o.files = o.files.filter((f) => !/^\d{20}\./.test(f.file) || f.file.startsWith(first));
      o.batches = { [`${first}.log`]: o.batches[`${first}.log`]! };
    });
    expect(oneSegment.files.map((f) => f.file).sort()).toEqual([`${first}.index`, `${first}.log`, `${first}.timeindex`, 'leader-epoch-checkpoint', 'partition.metadata']);
    const result = judgeSegmentFiles(oneSegment);
    expectNotObserved(result, 'Only 1 segment was written');
    expect(result.observed).toMatchObject({ segments: 1 });
  });

  it('finds rolling by size and by age (nuanced), by size alone confirmed', () => {
    expect(judgeSegmentRoll(storage).verdict).toBe('nuanced');
    expect(judgeSegmentRoll(alteredStorage((o) => (o.timeRoll.logFiles = o.timeRoll.logFiles.slice(0, 1)))).verdict).toBe('confirmed');
    expect(judgeSegmentRoll(alteredStorage((o) => (o.segmentBytes = 100))).verdict).toBe('refuted');
  });

  it('reads record batches of magic 2 whose CRC-32C it recomputes: the sheet\'s per-message layout refuted', () => {
    const result = judgeMessageFormat(storage);
    expect(result.verdict).toBe('refuted');
    expect(result.observed).toMatchObject({ magic: 2, headerBytes: 61, key: 'k0', value: 'value-0', sizeMatchesDumpLog: true });
    expect(result.observed.crc32cOfBatch).toBe(result.observed.dumpLogCrc);
    const old = alteredStorage((o) => (o.firstBatch.fields.find((f) => f.name.startsWith('magic'))!.value = '1'));
    expect(judgeMessageFormat(old).verdict).toBe('confirmed');
  });

  it('sees retention by time as "at least" (nuanced); deletion before retention.ms would refute it', () => {
    expect(judgeRetentionTime(storage).verdict).toBe('nuanced');
    expect(judgeRetentionTime(alteredStorage((o) => (o.retentionTime.retentionMs = 60_000))).verdict).toBe('refuted');
    expect(judgeRetentionTime(alteredStorage((o) => o.retentionTime.segments.forEach((s) => (s.goneAt = null)))).verdict).toBe('refuted');
  });

  it('sees retention by size per partition and in whole segments (nuanced); unbounded partitions refute it', () => {
    expect(judgeRetentionSize(storage).verdict).toBe('nuanced');
    expect(judgeRetentionSize(alteredStorage((o) => (o.retentionSize.partitions[0]!.logBytes = 50_000))).verdict).toBe('refuted');
  });

  it('decodes varints and CRC-32C as Kafka writes them', () => {
    expect(readVarint(Uint8Array.from([0x02]), 0)).toEqual({ value: 1, length: 1 });
    expect(readVarint(Uint8Array.from([0x01]), 0)).toEqual({ value: -1, length: 1 });
    expect(readVarint(Uint8Array.from([0xac, 0x02]), 0)).toEqual({ value: 150, length: 2 });
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
});

/** Every tally of a real run of kafka-durability: acknowledgements, errors, what was read back, what consumers processed. */
const { real: durability, altered: alteredDurability } = realSample<DurabilityObservation>('kafka-durability-observation.json.gz');

describe('kafka-storage persistence judge', () => {
  it('is refuted on the real run: no switch, every acknowledged record back after SIGKILL, fsync left to the OS', () => {
    const result = judgePersistence(storage);
    expect(result.verdict).toBe('refuted');
    expect(result.observed).toMatchObject({ acknowledged: 200, readBackAfterKill: 200, flushMessages: '9223372036854775807', settingsNamedPersist: [] });
    expect(result.observed.unflushedSegmentsRecovered as number).toBeGreaterThan(0);
  });

  it('is nuanced if acknowledged records were gone after the kill', () => {
    expect(judgePersistence(alteredStorage((o) => (o.persistence.readBackAfterKill = 150))).verdict).toBe('nuanced');
    expect(judgePersistence(alteredStorage((o) => (o.persistence.acknowledged = 0))).verdict).toBe('unverifiable');
  });
});

describe('kafka-durability judges', () => {
  it('finds acks=all lossless on the real run, but acks no broker setting (nuanced); a lost record refutes it', () => {
    expect(lost(durability.acksAll)).toEqual([]);
    expect(judgeAcksAll(durability).verdict).toBe('nuanced');
    expect(judgeAcksAll(alteredDurability((o) => (o.acksAll.readBack = o.acksAll.readBack.slice(1)))).verdict).toBe('refuted');
  });

  it('confirms that disabling unclean election keeps the lagging replica out; it is refuted if that replica led and lost data', () => {
    expect(judgeUnclean(durability).verdict).toBe('confirmed');
    expect(durability.unclean.enabled.leaderAfterFailover).toBe(2);
    expect(lost(durability.unclean.enabled).length).toBe(100);
    const badly = alteredDurability((o) => {
      o.unclean.disabled.leaderAfterFailover = 2;
      o.unclean.disabled.readBack = o.unclean.disabled.readBack.slice(0, 100);
    });
    expect(judgeUnclean(badly).verdict).toBe('refuted');
  });

  it('confirms idempotence when only the plain producer duplicated; unverifiable when neither did; refuted when the idempotent one did', () => {
    expect(judgeIdempotence(durability).verdict).toBe('confirmed');
    expect(judgeIdempotence(alteredDurability((o) => (o.idempotence.off.readBack = [...new Set(o.idempotence.off.readBack)]))).verdict).toBe('unverifiable');
    expect(judgeIdempotence(alteredDurability((o) => o.idempotence.on.readBack.push(o.idempotence.on.readBack[0]!))).verdict).toBe('refuted');
  });

  it('finds commit-after-processing lossless and commit-before lossy (nuanced); a loss after processing refutes it', () => {
    const result = judgeManualCommit(durability);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ commitAfterProcessing: { lost: 0 } });
    expect((result.observed.commitBeforeProcessing as { lost: number }).lost).toBeGreaterThan(0);
    expect(judgeManualCommit(alteredDurability((o) => (o.commits.after.processed = o.commits.after.processed.slice(50)))).verdict).toBe('refuted');
  });

  it('counts duplicates by key', () => {
    expect(duplicated(['a', 'b', 'a', 'c', 'a'])).toEqual(['a']);
  });
});
