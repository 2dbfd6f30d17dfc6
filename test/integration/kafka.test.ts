/** Runs the Kafka labs together, as a run shares one three-broker cluster between them, and checks what the brokers did. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/core/types.ts';
import { labs, leftovers, NOTHING } from '../helpers/cli.ts';
import { BASELINE } from '../helpers/run-lab.ts';

let report: RunReport;
let stderr: string;
let exitCode: number | undefined;
const claim = (id: string) => report.labs.flatMap((l) => l.claims).find((c) => c.id === id)!;

beforeAll(async () => {
  const result = await labs(['run', 'kafka-rebalance', 'kafka-coordinator', '--json', '--expect', BASELINE]);
  ({ exitCode } = result);
  stderr = String(result.stderr);
  report = JSON.parse(String(result.stdout)) as RunReport;
}, 400_000);

describe('labs run kafka-rebalance kafka-coordinator', () => {
  it('passes and matches the baseline, starting the cluster once for both labs', () => {
    expect(exitCode, stderr).toBe(0);
    expect(stderr).toContain('verdicts match');
    const clusters = report.labs.map((l) => l.environment['kafka cluster id']);
    expect(clusters[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(clusters[1]).toBe(clusters[0]);
    expect(report.labs.map((l) => l.status)).toEqual(['passed', 'passed']);
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
    expect(report.labs[1]!.timeline?.filter((e) => e.type === 'fault').map((e) => e.type === 'fault' && e.phase)).toEqual(['start', 'end']);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(report.runId)).toEqual(NOTHING);
  });
});
