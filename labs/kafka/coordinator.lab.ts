/**
 * Lab: which broker coordinates a consumer group, and why.
 *
 * Starts: the run's three-broker Kafka cluster, whose __consumer_offsets topic has 10 partitions
 * (offsets.topic.num.partitions=10, not a multiple of 3, so that "modulo the brokers" and "modulo
 * the partitions" point at different brokers).
 *
 * Does: makes 60 groups exist (each commits an offset, without joining), asks Kafka's admin client
 * for each group's coordinator and for the leaders of __consumer_offsets; kills the broker that
 * coordinates the first group and asks again; starts it again.
 *
 * Observes: the coordinator node of every group, the leader of every __consumer_offsets partition,
 * before and after the kill; computes the sheet's formula (Java hashCode of the group id modulo the
 * number of brokers) and the partition formula (modulo the partitions, then that partition's leader).
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { javaHashCode } from '../../src/observers/java-hash.ts';
import type { Scope } from '../../src/resources/scope.ts';
import { until } from '../../src/resources/wait.ts';
import { CLUSTER_SETTINGS, kafkaCluster, type KafkaCluster } from '../../src/systems/kafka.ts';

const GROUPS = 60;

/** Kafka's Utils.abs: the hash with its sign bit cleared (never negative, even for the smallest int). */
const abs = (n: number) => n & 0x7fffffff;

export interface Snapshot {
  /** Group id → coordinator node id, as the admin client found it. */
  coordinators: Record<string, number>;
  /** __consumer_offsets partition → leader node id. */
  leaders: Record<number, number>;
}

export interface CoordinatorObservation {
  brokers: number[];
  offsetsPartitions: number;
  before: Snapshot;
  /** After the broker coordinating the first group was killed. */
  after?: Snapshot & { killed: number };
}

export interface Prediction {
  group: string;
  hash: number;
  observed: number;
  sheet: number;
  partition: number;
  partitionLeader: number;
}

export function predictions(o: CoordinatorObservation, snapshot: Snapshot, brokers = o.brokers): Prediction[] {
  return Object.entries(snapshot.coordinators).map(([group, observed]) => {
    const hash = javaHashCode(group);
    const partition = abs(hash) % o.offsetsPartitions;
    return { group, hash, observed, sheet: brokers[abs(hash) % brokers.length]!, partition, partitionLeader: snapshot.leaders[partition] ?? -1 };
  });
}

export function judgeCoordinatorHash(o: CoordinatorObservation): ClaimResult {
  const before = predictions(o, o.before);
  const sheetHits = before.filter((p) => p.sheet === p.observed).length;
  const partitionHits = before.filter((p) => p.partitionLeader === p.observed).length;
  const perBroker = Object.fromEntries(o.brokers.map((b) => [b, before.filter((p) => p.observed === b).length]));
  const leadersPerBroker = Object.fromEntries(o.brokers.map((b) => [b, Object.values(o.before.leaders).filter((l) => l === b).length]));
  const survivors = o.after ? o.brokers.filter((b) => b !== o.after!.killed) : [];
  const after = o.after ? predictions(o, o.after, survivors) : [];
  const movedGroups = after.filter((p) => o.before.coordinators[p.group] === o.after!.killed);
  const observed = {
    groups: before.length,
    offsetsTopicPartitions: o.offsetsPartitions,
    brokers: o.brokers,
    sheetFormulaMatches: sheetHits,
    partitionLeaderMatches: partitionHits,
    groupsPerCoordinator: perBroker,
    offsetsPartitionLeadersPerBroker: leadersPerBroker,
    killedBroker: o.after?.killed,
    groupsThatLostTheirCoordinator: movedGroups.length,
    afterKillPartitionLeaderMatches: after.filter((p) => p.partitionLeader === p.observed).length,
    afterKillSheetMatches: after.filter((p) => p.sheet === p.observed).length,
  };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'Each group: the coordinator found, the sheet\'s formula, the partition formula', columns: ['group', 'hashCode', 'coordinator', `hash % ${o.brokers.length} brokers →`, `hash % ${o.offsetsPartitions} partitions`, 'that partition\'s leader'], rows: before.slice(0, 20).map((p) => [p.group, p.hash, p.observed, p.sheet, p.partition, p.partitionLeader]) },
    { kind: 'bars', title: 'Groups coordinated by each broker', bars: o.brokers.map((b) => ({ label: `node ${b}`, value: perBroker[b] ?? 0 })) },
    ...(o.after ? [{ kind: 'table' as const, title: `After node ${o.after.killed} was killed: the groups it coordinated`, columns: ['group', 'partition', 'new coordinator', 'partition\'s new leader', `sheet: hash % ${survivors.length} →`], rows: movedGroups.slice(0, 20).map((p) => [p.group, p.partition, p.observed, p.partitionLeader, p.sheet]) }] : []),
  ];
  if (before.length === 0) return { id: 'kafka.coordinator.hash', verdict: 'unverifiable', summary: 'No coordinator was found for any group.', summaryZh: '没有为任何消费者组找到协调者。', observed, evidence };
  if (sheetHits === before.length) {
    return { id: 'kafka.coordinator.hash', verdict: 'confirmed', summary: `For all ${before.length} groups the coordinator was broker hash(group) % ${o.brokers.length}.`, summaryZh: `全部 ${before.length} 个消费者组的协调者都是 hash(group) % ${o.brokers.length} 所指的 broker。`, observed, evidence };
  }
  const explained = partitionHits === before.length;
  return {
    id: 'kafka.coordinator.hash',
    verdict: 'refuted',
    summary: `hash(group) % ${o.brokers.length} brokers named the coordinator for only ${sheetHits} of ${before.length} groups (chance alone would give about ${Math.round(before.length / o.brokers.length)}). ${explained ? `All ${before.length} were` : `${partitionHits} were`} the leader of __consumer_offsets partition hash(group) % ${o.offsetsPartitions}: the hash picks a partition of the offsets topic, not a broker, so groups spread as those ${o.offsetsPartitions} partitions' leaders do (${Object.entries(perBroker).map(([b, n]) => `node ${b}: ${n}`).join(', ')}), not evenly over the brokers.${o.after ? ` Killing node ${o.after.killed} moved its ${movedGroups.length} groups to their partitions' new leaders (${observed.afterKillPartitionLeaderMatches} of ${after.length} groups matched), with no rehash over the ${survivors.length} brokers left.` : ''}`,
    summaryZh: `按 hash(group) % ${o.brokers.length}（broker 数）算出的协调者，在 ${before.length} 个消费者组中只对上了 ${sheetHits} 个（纯靠运气也能对上约 ${Math.round(before.length / o.brokers.length)} 个）。${explained ? `全部 ${before.length} 个组的协调者都是` : `有 ${partitionHits} 个组的协调者是`} __consumer_offsets 第 hash(group) % ${o.offsetsPartitions} 号分区的 leader：哈希选的是 offsets topic 的分区而不是 broker，所以消费者组跟随这 ${o.offsetsPartitions} 个分区的 leader 分布（${Object.entries(perBroker).map(([b, n]) => `节点 ${b}：${n}`).join('，')}），并不是在各 broker 上均匀分布。${o.after ? `杀掉节点 ${o.after.killed} 后，它负责的 ${movedGroups.length} 个组转移到了各自分区的新 leader 上（${after.length} 个组中有 ${observed.afterKillPartitionLeaderMatches} 个与新 leader 一致），并没有在剩下的 ${survivors.length} 个 broker 上重新哈希。` : ''}`,
    observed,
    evidence,
  };
}

async function snapshot(kafka: KafkaCluster, scope: Scope, groups: string[], topic?: string): Promise<Snapshot> {
  const found = await kafka.call(scope, 'coordinators', { groups: groups.join(','), ...(topic ? { topic } : {}) });
  const failed = found.filter((e) => e.e === 'err');
  if (failed.length) throw new Error(`no coordinator for ${failed.length} groups: ${String(failed[0]!.x)}`);
  const partitions = await kafka.call(scope, 'partitions', { topic: '__consumer_offsets' });
  return {
    coordinators: Object.fromEntries(found.filter((e) => e.e === 'coordinator').map((e) => [String(e.g), Number(e.node)])),
    leaders: Object.fromEntries(partitions.filter((e) => e.e === 'partition').map((e) => [Number(e.p), Number(e.leader)])),
  };
}

export default defineLab({
  id: 'kafka-coordinator',
  title: 'Which broker coordinates a consumer group: the hash, the offsets topic, and a broker failure',
  topic: 'kafka',
  claims: ['kafka.coordinator.hash'],
  requires: ['docker'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's three-broker Kafka cluster, its __consumer_offsets topic in 10 partitions.",
    does: "Makes 60 groups exist, asks for each group's coordinator and the offsets topic's leaders; kills the first group's coordinator and asks again.",
    observes: "Coordinator node ids from Kafka's admin client, partition leaders, and both formulas computed from the group ids' Java hash codes.",
    zh: {
      title: '哪个 broker 担任消费者组的协调者：哈希、offsets topic，以及 broker 故障',
      starts: '本次运行的三 broker Kafka 集群，其 __consumer_offsets topic 有 10 个分区。',
      does: '创建 60 个消费者组，查询每个组的协调者以及 offsets topic 各分区的 leader；杀掉第一个组的协调者后再查一次。',
      observes: '通过 Kafka admin client 得到的协调者节点 id、分区 leader，以及用各 group id 的 Java hash code 按两个公式分别算出的结果。',
    },
  },
  needs: { shared: { kafka: kafkaCluster } },
  async run(ctx) {
    const kafka = ctx.shared.kafka;
    ctx.environment.kafka = kafka.version;
    ctx.environment['kafka cluster id'] = kafka.clusterId;
    ctx.environment['offsets.topic.num.partitions'] = CLUSTER_SETTINGS['offsets.topic.num.partitions'];
    const topic = `coordinator-${ctx.runId}`;
    await kafka.createTopic(topic, { partitions: 1, replicationFactor: 3 });
    const groups = Array.from({ length: GROUPS }, (_, i) => `labs-group-${i}`);
    ctx.step(`${GROUPS} groups: coordinators and offsets partition leaders`);
    const before = await snapshot(kafka, ctx.scope, groups, topic);
    const brokers = Object.keys(kafka.brokers).map((_, i) => i + 1);
    const killed = before.coordinators[groups[0]!]!;
    ctx.step(`killing node ${killed}, the coordinator of ${groups[0]}`);
    const fault = await ctx.faults.inject({ kind: 'kill', target: kafka.brokerOf(killed) });
    let after: CoordinatorObservation['after'];
    try {
      // Until the controller has moved the offsets partitions' leadership off the dead broker.
      // Polling the leaders alone: asking for coordinators that sit on the dead broker blocks until they move.
      const leaders = async () => (await kafka.call(ctx.scope, 'partitions', { topic: '__consumer_offsets' })).filter((e) => e.e === 'partition').map((e) => Number(e.leader));
      await until(async () => !(await leaders()).includes(killed), 90_000, `leadership to leave node ${killed}`, 500);
      after = { ...(await snapshot(kafka, ctx.scope, groups)), killed };
    } finally {
      await fault.heal();
    }
    await kafka.waitHealthy(60_000);
    const observation: CoordinatorObservation = { brokers, offsetsPartitions: Number(CLUSTER_SETTINGS['offsets.topic.num.partitions']), before, ...(after ? { after } : {}) };
    return [withEvidence(judgeCoordinatorHash(observation), ...keptJson(ctx, 'coordinators.json', observation, 'coordinators and leaders before and after the kill (JSON)'))];
  },
});
