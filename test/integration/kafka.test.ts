/** Runs the Kafka labs together, as a run shares one three-broker cluster between them, and checks what the brokers did. */
import Docker from 'dockerode';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/core/types.ts';
import { leftovers, NOTHING, startLabs } from '../helpers/cli.ts';
import { runLabsTogether, type LabsRun } from '../helpers/run-lab.ts';

const LABS = ['kafka-rebalance', 'kafka-coordinator', 'kafka-storage', 'kafka-durability', 'kafka-producer', 'kafka-delay'];
let run: LabsRun;
const claim = (id: string) => run.claim(id);

beforeAll(async () => {
  run = await runLabsTogether(LABS, 'Kafka');
}, 1_900_000);

describe(`labs run ${LABS.join(' ')}`, () => {
  it('passes and matches the baseline, starting the cluster once for all six labs', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
    const clusters = run.report.labs.map((l) => l.environment['kafka cluster id']);
    expect(clusters[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(clusters).size).toBe(1);
    expect(run.report.labs.map((l) => l.status)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed', 'passed']);
  });

  it('empties every member under the eager protocol only; the moving partitions wait longest under KIP-848', () => {
    const o = claim('kafka.rebalance.stop-the-world').observed as { members: { protocol: string; emptyHandedMs: number }[]; movingPartitionsUnheldMs: Record<string, number> };
    expect(o.members.filter((m) => m.protocol === 'eager').every((m) => m.emptyHandedMs > 0)).toBe(true);
    expect(o.members.filter((m) => m.protocol !== 'eager').every((m) => m.emptyHandedMs === 0)).toBe(true);
    expect(o.movingPartitionsUnheldMs.consumer).toBeGreaterThan(o.movingPartitionsUnheldMs.eager!);
  });

  it('redelivers what a killed member had not committed', () => {
    expect(claim('kafka.rebalance.duplicates').observed.crashDuplicates as number).toBeGreaterThan(50);
  });

  it('finds every coordinator at the leader of the group\'s __consumer_offsets partition, before and after a broker dies', () => {
    const o = claim('kafka.coordinator.hash').observed;
    expect(o.partitionLeaderMatches).toBe(60);
    expect(o.afterKillPartitionLeaderMatches).toBe(60);
    expect(o.groupsThatLostTheirCoordinator as number).toBeGreaterThan(0);
    expect(run.report.labs[1]!.timeline?.filter((e) => e.type === 'fault').map((e) => e.type === 'fault' && e.phase)).toEqual(['start', 'end']);
  });

  it('reads segments named by base offset, batches of magic 2 with a CRC-32C it recomputes, and retention that deletes whole segments', () => {
    expect(claim('kafka.log.segment-files').observed).toMatchObject({ segmentsNamedByBaseOffset: true, everySegmentHasIndexAndTimeindex: true });
    expect(claim('kafka.log.message-format').observed).toMatchObject({ magic: 2, key: 'k0', value: 'value-0' });
    expect(claim('kafka.log.message-format').observed.crc32cOfBatch).toBe(claim('kafka.log.message-format').observed.dumpLogCrc);
    const deleted = claim('kafka.retention.time').observed.deletedAfterNewestRecordMs as number[];
    expect(deleted.length).toBeGreaterThan(0);
    for (const ms of deleted) expect(ms).toBeGreaterThanOrEqual(6000);
    const sized = claim('kafka.retention.size').observed as { partitions: { logBytes: number }[] };
    for (const p of sized.partitions) expect(p.logBytes).toBeLessThanOrEqual(3072 + 1024);
    expect(claim('kafka.broker.persistence').observed).toMatchObject({ acknowledged: 200, readBackAfterKill: 200, flushMessages: '9223372036854775807' });
  });

  it('loses no acknowledged write under acks=all, loses them with unclean election, duplicates only without idempotence', () => {
    expect(claim('kafka.durability.acks-all').observed.lost).toBe(0);
    expect((claim('kafka.durability.acks-all').observed.failedWhileOneLeft as number)).toBeGreaterThan(0);
    const unclean = claim('kafka.durability.unclean-election').observed as { enabled: { lost: number }; disabled: { lost: number; leaderAfterFailover: number } };
    expect(unclean.disabled).toMatchObject({ lost: 0, leaderAfterFailover: -1 });
    expect(unclean.enabled.lost).toBeGreaterThan(0);
    const idem = claim('kafka.producer.idempotence').observed as { idempotent: { duplicates: number }; plain: { duplicates: number } };
    expect(idem.idempotent.duplicates).toBe(0);
    expect(claim('kafka.consumer.manual-commit').observed).toMatchObject({ commitAfterProcessing: { lost: 0 } });
    const faults = run.report.labs[3]!.timeline!.filter((e) => e.type === 'fault' && e.phase === 'start').length;
    expect(faults).toBeGreaterThanOrEqual(7);
  });

  it('fails sends only without retries when the leader dies; hides an aborted transaction from read_committed readers only', () => {
    const retries = claim('kafka.producer.retries').observed as { retries0: { failed: number; settings: { retries: number } }; clientDefaults: { failed: number; lost: number; settings: { retries: number; idempotence: boolean } } };
    expect(retries.retries0).toMatchObject({ settings: { retries: 0 } });
    expect(retries.retries0.failed).toBeGreaterThan(0);
    expect(retries.clientDefaults).toMatchObject({ failed: 0, lost: 0, settings: { retries: 2147483647, idempotence: true } });
    expect(claim('kafka.producer.transactions').observed).toMatchObject({ seenReadCommitted: { committed: 50, aborted: 0, plain: 50 }, seenByDefault: { committed: 50, aborted: 50 }, markers: { COMMIT: 1, ABORT: 1 } });
    expect(run.report.labs[4]!.timeline?.filter((e) => e.type === 'fault' && e.phase === 'start')).toHaveLength(1);
  });

  it('delivers records stamped in the future at once, and refuses one beyond log.message.timestamp.after.max.ms', () => {
    const o = claim('kafka.delay.not-native').observed as { received: number; deliveryLagMs: { max: number }; farAhead: { acknowledged: boolean }; timestampAfterMaxMs: number };
    expect(o.received).toBe(5);
    expect(o.deliveryLagMs.max).toBeLessThan(15_000);
    expect(o.farAhead.acknowledged).toBe(false);
    expect(o.timestampAfterMaxMs).toBe(3_600_000);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});

describe('an interrupted Kafka lab', () => {
  it('stops at SIGINT while it works against the brokers and leaves no container, network or volume', async () => {
    const volumes = async () => ((await new Docker().listVolumes()).Volumes ?? []).map((v) => v.Name).sort();
    const before = await volumes();
    const child = startLabs(['run', 'kafka-delay', '--json']);
    await new Promise<void>((resolve, reject) => {
      let text = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('kafka-delay: consumer joins')) resolve();
      });
      child.then(() => reject(new Error(`labs exited before the lab began: ${text}`)));
    });
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const run = JSON.parse(String(result.stdout)) as RunReport;
    expect(run.labs[0]).toMatchObject({ status: 'error', reason: 'interrupted' });
    expect(await leftovers(run.runId)).toEqual(NOTHING);
    expect(await volumes()).toEqual(before);
  }, 180_000);
});
