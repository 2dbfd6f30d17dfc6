/**
 * Lab: a consumer group's rebalances, under the three protocols Kafka has, measured member by member.
 *
 * Starts: the run's three-broker Kafka cluster (KRaft); a producer and consumers built on Kafka's own
 * Java client, each a process in the client container.
 *
 * Does: for each protocol (classic eager with the range assignor, classic cooperative-sticky, and the
 * KIP-848 consumer protocol) a producer writes 250 records/s to six partitions while two consumers
 * read them; a third consumer joins, then leaves politely. Under the eager protocol one consumer is
 * then killed (SIGKILL) with auto-commit's offsets up to 5 s behind. The group's coordinator is asked
 * for before and after each change.
 *
 * Observes: every member's rebalance callbacks (partitions assigned, revoked, lost) and every record
 * it received, with times; records delivered twice; the coordinator Kafka's admin client reports.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { duplicates, emptyHanded, holdings, longestPause, unheld, type MemberLog } from '../../src/observers/kafka-group.ts';
import { sleep } from '../../src/resources/cancel.ts';
import type { Scope } from '../../src/resources/scope.ts';
import type { Timeline } from '../../src/resources/timeline.ts';
import { until } from '../../src/resources/wait.ts';
import { kafkaCluster, type KafkaClientRun, type KafkaCluster } from '../../src/systems/kafka.ts';

const PARTITIONS = 6;
const RATE = 250;
/** How long each membership change is left to settle before the next. */
const SETTLE_MS = 2000;

export const PROTOCOLS = {
  eager: { label: 'classic protocol, eager (RangeAssignor)', props: { 'group.protocol': 'classic', 'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.RangeAssignor', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000 } },
  cooperative: { label: 'classic protocol, cooperative-sticky', props: { 'group.protocol': 'classic', 'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000 } },
  consumer: { label: 'KIP-848 consumer protocol', props: { 'group.protocol': 'consumer' } },
} as const;
export type Protocol = keyof typeof PROTOCOLS;

export interface Change {
  at: number;
  what: 'join' | 'leave' | 'crash';
  member: string;
}

export interface ProtocolRun {
  protocol: Protocol;
  startedAt: number;
  endedAt: number;
  members: MemberLog[];
  changes: Change[];
  /** The coordinator's node id, asked before the first change and after each. */
  coordinators: { at: number; node: number }[];
}

/** What each continuing member went through at one membership change. */
export interface MemberAtChange {
  protocol: Protocol;
  change: string;
  member: string;
  emptyHandedMs: number;
  longestPauseMs: number;
}

/** When a member's holdings end: a killed member's at its death, the others' at the end of the observation. */
const endOf = (run: ProtocolRun) => (m: MemberLog) => run.changes.find((c) => c.what === 'crash' && c.member === m.name)?.at ?? run.endedAt;

/** The longest time a partition that changed owner at a polite join or leave was held by nobody. */
export function movingPartitionsUnheldMs(run: ProtocolRun): number {
  const polite = run.changes.filter((c) => c.what !== 'crash');
  const gaps = unheld(run.members, PARTITIONS, run.endedAt, endOf(run)).filter((g) => polite.some((c) => g.from >= c.at && g.from < settled(run, c)));
  return Math.max(0, ...gaps.map((g) => g.to - g.from));
}

const settled = (run: ProtocolRun, change: Change) => {
  const next = run.changes.find((c) => c.at > change.at);
  return next ? next.at : run.endedAt;
};

/** For every polite join or leave, each member that stayed in the group throughout: did it hold nothing for a while, and its longest pause. */
export function membersAtChanges(runs: ProtocolRun[]): MemberAtChange[] {
  return runs.flatMap((run) =>
    run.changes
      .filter((c) => c.what !== 'crash')
      .flatMap((change) => {
        const until = settled(run, change);
        return run.members
          .filter((m) => m.name !== change.member)
          .filter((m) => m.events.some((e) => e.e === 'assigned' && e.t < change.at) && !m.events.some((e) => e.e === 'closed' && e.t < until))
          .map((m) => {
            const gaps = emptyHanded(m, run.endedAt).filter((g) => g.from >= change.at && g.from < until);
            return {
              protocol: run.protocol,
              change: `${change.member} ${change.what}s`,
              member: m.name,
              emptyHandedMs: gaps.reduce((sum, g) => sum + (Math.min(g.to, until) - g.from), 0),
              longestPauseMs: longestPause(m, change.at, until),
            };
          });
      }),
  );
}

function ganttOf(run: ProtocolRun): Evidence {
  const spans = run.members.flatMap((m) => holdings(m, endOf(run)(m)).map((h) => ({ ...h, to: Math.min(h.to, endOf(run)(m)) })));
  return {
    kind: 'gantt',
    title: `Who held which partition: ${PROTOCOLS[run.protocol].label}`,
    rows: Array.from({ length: PARTITIONS }, (_, p) => ({
      name: `partition ${p}`,
      spans: spans.filter((s) => s.partition === p).map((s) => ({ from: s.from - run.startedAt, to: s.to - run.startedAt, label: s.member })),
    })),
    marks: run.changes.map((c) => ({ at: c.at - run.startedAt, label: `${c.member} ${c.what}s` })),
  };
}

export function judgeStopTheWorld(runs: ProtocolRun[]): ClaimResult {
  const rows = membersAtChanges(runs);
  const stopped = (protocol: Protocol) => rows.filter((r) => r.protocol === protocol).every((r) => r.emptyHandedMs > 0);
  const protocols = runs.map((r) => r.protocol);
  const stopping = protocols.filter(stopped);
  const going = protocols.filter((p) => !stopped(p));
  const unheldMs = Object.fromEntries(runs.map((r) => [r.protocol, movingPartitionsUnheldMs(r)]));
  const observed = { members: rows, protocolsThatStoppedEveryMember: stopping, protocolsWhereMembersKeptConsuming: going, movingPartitionsUnheldMs: unheldMs };
  const evidence: Evidence[] = [
    ...runs.map(ganttOf),
    { kind: 'table', title: 'Members that stayed in the group, at each polite join or leave', columns: ['protocol', 'change', 'member', 'held nothing for (ms)', 'longest pause between records (ms)'], rows: rows.map((r) => [PROTOCOLS[r.protocol].label, r.change, r.member, r.emptyHandedMs, r.longestPauseMs]) },
  ];
  const worst = (p: Protocol) => Math.max(...rows.filter((r) => r.protocol === p).map((r) => r.emptyHandedMs));
  const pause = (p: Protocol) => Math.max(...rows.filter((r) => r.protocol === p).map((r) => r.longestPauseMs));
  if (!rows.length) return { id: 'kafka.rebalance.stop-the-world', verdict: 'unverifiable', summary: 'No member stayed in the group across a change, so none could be watched through a rebalance.', summaryZh: '没有哪个成员在成员变更前后一直留在组内，因此无法观察任何成员经历重平衡的过程。', observed, evidence };
  if (!going.length) {
    return { id: 'kafka.rebalance.stop-the-world', verdict: 'confirmed', summary: `Under every protocol tried (${stopping.map((p) => PROTOCOLS[p].label).join('; ')}) every member gave up all its partitions at each join and leave (for up to ${Math.max(...stopping.map(worst))} ms) before getting new ones.`, summaryZh: `在试过的每种协议下（${stopping.map((p) => PROTOCOLS[p].label).join('；')}），每次有成员加入或离开时，每个成员都先交出全部分区（最长 ${Math.max(...stopping.map(worst))} ms），然后才拿到新分区。`, observed, evidence };
  }
  if (!stopping.length) {
    return { id: 'kafka.rebalance.stop-the-world', verdict: 'refuted', summary: `No protocol stopped the group: members that stayed always kept some partitions and went on receiving records (longest pause ${Math.max(...going.map(pause))} ms at ${RATE} records/s).`, summaryZh: `没有哪种协议让整个组停下来：留在组内的成员始终持有部分分区，并持续收到记录（在 ${RATE} 条/s 的速率下，最长停顿 ${Math.max(...going.map(pause))} ms）。`, observed, evidence };
  }
  return {
    id: 'kafka.rebalance.stop-the-world',
    verdict: 'nuanced',
    summary: `Only under the ${stopping.map((p) => PROTOCOLS[p].label).join(' and ')} did every member stop: each revoked all its partitions and held none for up to ${Math.max(...stopping.map(worst))} ms at every join and leave. Under the ${going.map((p) => PROTOCOLS[p].label).join(' and ')} only the partitions changing owner moved and the others' members kept receiving records (longest pause ${Math.max(...going.map(pause))} ms); but each moving partition was held by nobody for a while: up to ${going.map((p) => `${unheldMs[p]} ms (${PROTOCOLS[p].label})`).join(', ')}, revoked in one round and assigned in a later one.`,
    summaryZh: `只有在 ${stopping.map((p) => PROTOCOLS[p].label).join(' 和 ')} 下，所有成员才会停下来：每次有成员加入或离开时，每个成员都撤销了自己的全部分区，最长有 ${Math.max(...stopping.map(worst))} ms 不持有任何分区。在 ${going.map((p) => PROTOCOLS[p].label).join(' 和 ')} 下，只有更换所有者的分区发生迁移，持有其他分区的成员持续收到记录（最长停顿 ${Math.max(...going.map(pause))} ms）；但每个迁移中的分区都有一段时间无人持有：最长 ${going.map((p) => `${unheldMs[p]} ms（${PROTOCOLS[p].label}）`).join('，')}，因为它在一轮中被撤销，到后面某一轮才被分配出去。`,
    observed,
    evidence,
  };
}

export function judgeDuplicates(runs: ProtocolRun[]): ClaimResult {
  const perRun = runs.map((run) => {
    const crash = run.changes.find((c) => c.what === 'crash');
    const dupes = duplicates(run.members);
    const afterCrash = crash ? dupes.filter((d) => d.deliveries.some((x) => x.t >= crash.at)) : [];
    return { protocol: run.protocol, changes: run.changes.map((c) => `${c.member} ${c.what}`), politeDuplicates: dupes.length - afterCrash.length, crashDuplicates: afterCrash.length, crashed: crash?.member };
  });
  const polite = perRun.reduce((a, r) => a + r.politeDuplicates, 0);
  const crashed = perRun.reduce((a, r) => a + r.crashDuplicates, 0);
  const observed = { perProtocol: perRun, politeDuplicates: polite, crashDuplicates: crashed };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Records delivered twice', columns: ['protocol', 'changes', 'after polite joins and leaves', 'after the crash'], rows: perRun.map((r) => [PROTOCOLS[r.protocol].label, r.changes.join(', '), r.politeDuplicates, r.crashed ? r.crashDuplicates : '-']) }];
  const rebalances = runs.reduce((a, r) => a + r.changes.length, 0);
  if (polite === 0 && crashed === 0) {
    return { id: 'kafka.rebalance.duplicates', verdict: 'refuted', summary: `No record was delivered twice in ${rebalances} membership changes, the crash included.`, summaryZh: `在 ${rebalances} 次成员变更中（包括那次崩溃），没有任何记录被投递两次。`, observed, evidence };
  }
  const politeWhere = perRun.filter((r) => r.politeDuplicates > 0).map((r) => `${r.politeDuplicates} under the ${PROTOCOLS[r.protocol].label}`);
  const politeWhereZh = perRun.filter((r) => r.politeDuplicates > 0).map((r) => `${PROTOCOLS[r.protocol].label} 下 ${r.politeDuplicates} 条`);
  return {
    id: 'kafka.rebalance.duplicates',
    verdict: 'confirmed',
    summary: `${crashed ? `When a member died, ${crashed} records it had received but not yet committed (auto-commit runs every 5 s) were delivered again to the member that took its partitions. ` : ''}${polite ? `Polite joins and leaves redelivered ${politeWhere.join(', ')}: records consumed between the last commit and the hand-over.` : 'Polite joins and leaves redelivered none: the client commits what it consumed before it gives partitions up.'}`,
    summaryZh: `${crashed ? `有成员崩溃时，它已收到但尚未提交的 ${crashed} 条记录（自动提交每 5 s 一次）被重新投递给了接管其分区的成员。` : ''}${polite ? `正常加入和离开也导致了重复投递：${politeWhereZh.join('，')}，都是在上次提交与分区交接之间消费的记录。` : '正常加入和离开没有导致任何重复投递：客户端在交出分区之前会先提交已消费记录的位移。'}`,
    observed,
    evidence,
  };
}

export function judgeNewCoordinator(runs: ProtocolRun[]): ClaimResult {
  const perRun = runs.map((r) => ({ protocol: r.protocol, rebalances: r.changes.length, coordinators: [...new Set(r.coordinators.map((c) => c.node))] }));
  const observed = { perProtocol: perRun };
  const evidence: Evidence[] = [{ kind: 'table', title: 'The group coordinator before and after each change', columns: ['protocol', 'membership changes', 'coordinator node(s) seen'], rows: perRun.map((r) => [PROTOCOLS[r.protocol].label, r.rebalances, r.coordinators.join(', ')]) }];
  const asked = runs.every((r) => r.coordinators.length >= 2);
  if (!asked) return { id: 'kafka.rebalance.new-coordinator', verdict: 'unverifiable', summary: 'The coordinator was not found before and after the changes.', summaryZh: '没能在变更前后都查到协调者。', observed, evidence };
  const moved = perRun.filter((r) => r.coordinators.length > 1);
  if (moved.length) return { id: 'kafka.rebalance.new-coordinator', verdict: 'confirmed', summary: `The coordinator changed during the rebalances of ${moved.map((r) => PROTOCOLS[r.protocol].label).join(', ')}.`, summaryZh: `在 ${moved.map((r) => PROTOCOLS[r.protocol].label).join('；')} 的重平衡过程中，协调者发生了变化。`, observed, evidence };
  // What the members got after the first change, while the coordinator stayed put: which party computed it was not observed
  // (the workload client does not report which member was the group leader), so the summary does not say.
  const assignedAfter = runs.reduce((a, r) => a + r.members.reduce((b, m) => b + m.events.filter((e) => e.e === 'assigned' && r.changes.length > 0 && e.t >= r.changes[0]!.at && e.t <= r.endedAt).length, 0), 0);
  const rebalances = perRun.reduce((a, r) => a + r.rebalances, 0);
  const asks = runs.reduce((a, r) => a + r.coordinators.length, 0);
  return {
    id: 'kafka.rebalance.new-coordinator',
    verdict: 'refuted',
    summary: `No coordinator was elected: in ${rebalances} rebalances each group kept the broker it had (${perRun.map((r) => `node ${r.coordinators[0]}`).join(', ')}), and the members got their new assignments (${assignedAfter} onPartitionsAssigned callbacks from the first change on) while each of the ${asks} queries for the coordinator named that same broker. Which party computed each assignment was not observed: no member reported whether it was the group leader. By Kafka's design a group's coordinator is the leader of its __consumer_offsets partition and moves only when that leader does.`,
    summaryZh: `并没有选举协调者：在 ${rebalances} 次重平衡中，每个组都保留了原来的 broker（${perRun.map((r) => `节点 ${r.coordinators[0]}`).join('，')}），成员们收到了新的分配方案（从第一次变更起共有 ${assignedAfter} 次 onPartitionsAssigned 回调），而 ${asks} 次查询协调者，每次都是这同一个 broker。分配方案由哪一方计算没有观察到：没有成员报告自己是否为组 leader。按照 Kafka 的设计，消费者组的协调者就是其 __consumer_offsets 分区的 leader，只有该 leader 变动时协调者才会迁移。`,
    observed: { ...observed, assignmentCallbacksAfterTheFirstChange: assignedAfter },
    evidence,
  };
}

/** Current holdings of the live members: every partition held, and each live member holding some. */
function balanced(members: { name: string; run: KafkaClientRun }[], now: number): boolean {
  const held = members.map((m) => holdings({ name: m.name, events: m.run.events }, now).filter((h) => h.to >= now).map((h) => h.partition));
  return held.every((h) => h.length > 0) && new Set(held.flat()).size === PARTITIONS;
}

async function runProtocol(kafka: KafkaCluster, scope: Scope, timeline: Timeline, protocol: Protocol, runTag: string): Promise<ProtocolRun> {
  const topic = `rebalance-${protocol}-${runTag}`;
  const group = `group-${protocol}-${runTag}`;
  await kafka.createTopic(topic, { partitions: PARTITIONS, replicationFactor: 3 });
  const startedAt = Date.now();
  const producer = await kafka.start(scope, 'produce', { topic, count: RATE * 60, rate: RATE, acks: 1 });
  const consumer = async (name: string) => ({ name, run: await kafka.start(scope, 'consume', { topic, group, 'client.id': name, ...PROTOCOLS[protocol].props }) });
  const live = [await consumer('c1'), await consumer('c2')];
  const all = [...live];
  const changes: Change[] = [];
  const coordinators: ProtocolRun['coordinators'] = [];
  const settle = async (what: string) => {
    await until(async () => balanced(live, Date.now()), 60_000, `the ${protocol} group to settle (${what})`, 100);
    await sleep(SETTLE_MS);
  };
  const askCoordinator = async () => {
    const found = (await kafka.call(scope, 'coordinators', { groups: group })).find((e) => e.e === 'coordinator');
    if (found) coordinators.push({ at: found.t, node: Number(found.node) });
  };
  const change = (what: Change['what'], member: string, at = Date.now()) => {
    changes.push({ at, what, member });
    timeline.note(`${PROTOCOLS[protocol].label}: ${member} ${what}s`);
  };

  await settle('c1 and c2');
  await askCoordinator();
  const c3 = await consumer('c3');
  // The join starts with the new member's first poll, right after it subscribes (its JVM takes a while to get there).
  const subscribed = await c3.run.waitFor((e) => e.e === 'subscribed', 30_000, 'c3 to subscribe');
  change('join', 'c3', subscribed.t);
  live.push(c3);
  all.push(c3);
  await settle('c3 joined');
  await askCoordinator();
  change('leave', 'c3');
  await c3.run.stop();
  live.pop();
  await settle('c3 left');
  await askCoordinator();
  if (protocol === 'eager') {
    const victim = live.pop()!;
    change('crash', victim.name);
    timeline.fault('start', `SIGKILL consumer ${victim.name} (${protocol})`, ['kclient']);
    victim.run.kill();
    await settle(`${victim.name} crashed`);
    timeline.fault('end', `SIGKILL consumer ${victim.name} (${protocol})`, ['kclient']);
  }
  // The observation ends here, before the remaining members leave.
  const endedAt = Date.now();
  producer.kill();
  await Promise.all(live.map((m) => m.run.stop()));
  return { protocol, startedAt, endedAt, members: all.map((m) => ({ name: m.name, events: m.run.events })), changes, coordinators };
}

export default defineLab({
  id: 'kafka-rebalance',
  title: 'Consumer group rebalances under the eager, cooperative and KIP-848 protocols',
  topic: 'kafka',
  claims: ['kafka.rebalance.stop-the-world', 'kafka.rebalance.duplicates', 'kafka.rebalance.new-coordinator'],
  requires: ['docker'],
  timeLimitMs: 240_000,
  handout: {
    starts: "The run's three-broker Kafka cluster (KRaft) and, in a client container, producers and consumers on Kafka's own Java client.",
    does: 'For each protocol, 250 records/s into six partitions read by two consumers; a third joins, then leaves politely; under the eager protocol one consumer is then killed with uncommitted offsets.',
    observes: "Each member's assigned/revoked/lost callbacks and every record it received, with times; records delivered twice; the coordinator before and after each change.",
    zh: {
      title: 'eager、cooperative 和 KIP-848 协议下的消费者组重平衡',
      starts: '本次运行的三 broker Kafka 集群（KRaft），以及客户端容器中基于 Kafka 官方 Java 客户端的生产者和消费者。',
      does: '对每种协议：以 250 条/s 的速率写入六个分区，由两个消费者读取；第三个消费者加入，随后正常退出；在 eager 协议下，再杀掉一个尚有未提交位移的消费者。',
      observes: '每个成员的 assigned/revoked/lost 回调及其收到的每条记录，均附时间；被重复投递的记录；每次变更前后的协调者。',
    },
  },
  needs: { shared: { kafka: kafkaCluster } },
  async run(ctx) {
    const kafka = ctx.shared.kafka;
    ctx.environment.kafka = kafka.version;
    ctx.environment['kafka cluster id'] = kafka.clusterId;
    ctx.environment['kafka brokers'] = String(Object.keys(kafka.brokers).length);
    const runs: ProtocolRun[] = [];
    for (const protocol of Object.keys(PROTOCOLS) as Protocol[]) {
      ctx.step(PROTOCOLS[protocol].label);
      const scope = ctx.scope.child(protocol);
      try {
        runs.push(await runProtocol(kafka, scope, ctx.timeline, protocol, ctx.runId));
      } finally {
        await scope.close();
      }
    }
    return [withEvidence(judgeStopTheWorld(runs), ...keptJson(ctx, 'rebalance-runs.json', runs, 'every event of every member (JSON)')), judgeDuplicates(runs), judgeNewCoordinator(runs)];
  },
});
