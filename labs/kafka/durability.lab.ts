/**
 * Lab: what survives broker and consumer failures, counted as Jepsen counts: every write the
 * producer was told succeeded, against every record that can be read back afterwards.
 *
 * Starts: the run's three-broker Kafka cluster; producers and consumers on Kafka's own Java client.
 *
 * Does:
 *  - acks=all into a topic of three replicas with min.insync.replicas=2 while the leader is killed,
 *    then a second broker: writes are refused while one replica is left; both come back. Then asks
 *    kafka-configs for every setting of that topic and of a broker, and to add acks=all to the topic.
 *  - two topics with replicas on broker1 (leader) and broker2 only, unclean leader election on and
 *    off: broker2 is killed, 100 records are acknowledged by broker1 alone, broker1 is killed and
 *    broker2, which missed them, comes back.
 *  - producers with and without enable.idempotence while the leader's answers to the producer are
 *    dropped for longer than its request timeout, so that it retries writes the broker already has.
 *  - consumers that commit after processing, before processing, or automatically, each killed in the
 *    middle of its work and replaced.
 *
 * Observes: acknowledgements and errors per write, the records read back from the start of each
 * topic, partition leaders and ISRs, and which records each consumer processed; the producer's
 * effective acks, the topic's and a broker's settings, and kafka-configs' answer to acks=all.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { parseConfigs } from '../../src/observers/kafka-configs.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { until } from '../../src/resources/wait.ts';
import { kafkaCluster } from '../../src/systems/kafka.ts';
import { duplicated, keysOf, leaderOf, lost, readBack, write, type Tally } from '../../src/systems/kafka-workload.ts';

export interface DurabilityObservation {
  acksAll: Tally & { minInsync: number; killed: string[]; refusedWhileOneLeft: number };
  /**
   * Where acks is set. kafka-configs --describe --all of the acks=all topic and of a broker: how many settings
   * each has, whether one is named exactly "acks", and those whose name mentions acks, replication or insync;
   * kafka-configs' answer to adding acks=all to the topic; and the acks the producer ran with (its effective
   * ProducerConfig, where "-1" is all; null when it did not report it). Absent from runs made before the lab read them.
   */
  acksSetting?: AcksSetting;
  unclean: Record<'enabled' | 'disabled', Tally & { leaderAfterFailover: number; writtenWhileFollowerAway: string[] }>;
  idempotence: Record<'on' | 'off', Tally & { retriesProvoked: boolean }>;
  commits: Record<'after' | 'before' | 'auto', { produced: string[]; processed: string[] }>;
}

export interface AcksSetting {
  topicSettings: number;
  brokerSettings: number;
  broker: number;
  acksInTopic: boolean;
  acksInBroker: boolean;
  related: { entity: 'topic' | 'broker'; name: string; value: string }[];
  alterTopic: { exitCode: number; output: string };
  producerAcks: string | null;
}

const row = (name: string, t: Tally): (string | number)[] => [name, t.sent, t.acknowledged.length, t.refused.length, t.readBack.length, lost(t).length, duplicated(t.readBack).length];
const TALLY_COLUMNS = ['workload', 'sent', 'acknowledged', 'refused or failed', 'read back', 'acknowledged but lost', 'read twice'];

export function judgeAcksAll(o: DurabilityObservation): ClaimResult {
  const t = o.acksAll;
  const missing = lost(t);
  const read = new Set(t.readBack);
  const failedButWritten = t.refused.filter((r) => read.has(r.key)).length;
  const a = o.acksSetting;
  const observed = {
    sent: t.sent,
    acknowledged: t.acknowledged.length,
    failed: t.refused.length,
    failedWhileOneLeft: t.refusedWhileOneLeft,
    failedButFoundInTheLog: failedButWritten,
    readBack: t.readBack.length,
    lost: missing.length,
    killed: t.killed,
    errors: [...new Set(t.refused.map((r) => r.error.split(':')[0]))],
    ...(a && { acksSetting: { producerAcks: a.producerAcks, acksInTopicSettings: a.acksInTopic, acksInBrokerSettings: a.acksInBroker, topicSettings: a.topicSettings, brokerSettings: a.brokerSettings, addAcksToTopic: a.alterTopic } }),
  };
  const evidence: Evidence[] = [{ kind: 'table', title: 'acks=all, three replicas, min.insync.replicas=2, two brokers killed in turn', columns: TALLY_COLUMNS, rows: [row('acks=all', t)] }];
  if (a) {
    evidence.push(
      { kind: 'table', title: `Where acks is set: the topic's ${a.topicSettings} and broker ${a.broker}'s ${a.brokerSettings} settings (kafka-configs --describe --all) that mention acks, replication or insync, and the producer's`, columns: ['where', 'setting', 'value'], rows: [...a.related.map((c) => [c.entity, c.name, c.value]), ['producer (effective ProducerConfig)', 'acks', a.producerAcks ?? 'not reported']] },
      { kind: 'command', title: 'Adding acks=all to the topic', command: 'kafka-configs --alter --entity-type topics --entity-name <topic> --add-config acks=all', output: `${a.alterTopic.output}\n(exit ${a.alterTopic.exitCode})` },
    );
  }
  if (missing.length) return { id: 'kafka.durability.acks-all', verdict: 'refuted', summary: `${missing.length} of ${t.acknowledged.length} acknowledged records could not be read back after ${t.killed.join(' and ')} were killed.`, summaryZh: `${t.killed.join(' 和 ')} 被杀掉后，${t.acknowledged.length} 条已确认的记录中有 ${missing.length} 条无法读回。`, observed, evidence };
  const survivedEn = `With replication factor 3, min.insync.replicas=${t.minInsync} and a producer sending with acks=all, all ${t.acknowledged.length} acknowledged records were read back after ${t.killed.join(' and then ')} were killed and restarted. The price is availability: of ${t.sent} writes ${t.refused.length} failed (${observed.errors.join(', ')}), ${t.refusedWhileOneLeft} of them while a single replica was left, rather than being acknowledged with one copy; ${failedButWritten} of the failed writes were in the log afterwards all the same (a time-out leaves the outcome unknown, so a client that retries writes them twice).`;
  const survivedZh = `在 3 副本、min.insync.replicas=${t.minInsync}、生产者以 acks=all 发送的情况下，先后杀掉并重启 ${t.killed.join(' 和 ')} 后，全部 ${t.acknowledged.length} 条已确认的记录都能读回。代价是可用性：${t.sent} 次写入中有 ${t.refused.length} 次失败（${observed.errors.join(', ')}），其中 ${t.refusedWhileOneLeft} 次发生在只剩一个副本时，这些写入宁可失败，也不在只有一份副本时被确认；失败的写入中仍有 ${failedButWritten} 条事后出现在了日志里（超时意味着结果未知，所以会重试的客户端会把它们写入两次）。`;
  if (!a) {
    return notObserved('kafka.durability.acks-all', { en: `${survivedEn} But where ACK=all is set, on the broker side as the sheet places it or in the producer, was not observed (no kafka-configs reading of the topic's and the broker's settings).`, zh: `${survivedZh}但没有观察 ACK=all 设置在哪里：是学习资料所说的 Broker 端，还是生产者（没有用 kafka-configs 读取 topic 和 broker 的配置）。` }, observed);
  }
  const producerEn = a.producerAcks === null ? 'the producer set acks=all' : `the producer ran with acks=${a.producerAcks}${a.producerAcks === '-1' ? ' (all)' : ''} in its own configuration`;
  const producerZh = a.producerAcks === null ? '生产者设置了 acks=all' : `生产者在自己的配置中以 acks=${a.producerAcks}${a.producerAcks === '-1' ? '（即 all）' : ''} 运行`;
  const brokerSide = a.acksInTopic || a.acksInBroker || a.alterTopic.exitCode === 0;
  if (brokerSide) {
    return {
      id: 'kafka.durability.acks-all',
      verdict: 'confirmed',
      summary: `${survivedEn} acks is also a broker-side setting here: ${a.acksInTopic ? "the topic's settings list acks" : a.acksInBroker ? `broker ${a.broker}'s settings list acks` : 'the topic accepted acks=all'}.`,
      summaryZh: `${survivedZh}在这里 acks 也是 Broker 端的配置：${a.acksInTopic ? 'topic 的配置中有 acks' : a.acksInBroker ? `broker ${a.broker} 的配置中有 acks` : 'topic 接受了 acks=all'}。`,
      observed,
      evidence,
    };
  }
  const rejection = a.alterTopic.output.split('\n').find((l) => /Exception/.test(l)) ?? a.alterTopic.output.split('\n')[0] ?? '';
  const topicMinIsr = a.related.find((c) => c.entity === 'topic' && c.name === 'min.insync.replicas')?.value ?? 'not listed';
  return {
    id: 'kafka.durability.acks-all',
    verdict: 'nuanced',
    summary: `${survivedEn} But ACK=all is not a broker-side setting, as the sheet has it: kafka-configs --describe --all listed no setting named acks among the topic's ${a.topicSettings} settings or broker ${a.broker}'s ${a.brokerSettings}, and adding acks=all to the topic was refused (exit ${a.alterTopic.exitCode}: ${rejection}); ${producerEn}. What the broker side holds is the replication (3 replicas, given when the topic was created) and the topic's min.insync.replicas=${topicMinIsr}.`,
    summaryZh: `${survivedZh}但 ACK=all 并不像学习资料所说的那样是 Broker 端的配置：kafka-configs --describe --all 列出的 topic 的 ${a.topicSettings} 项配置和 broker ${a.broker} 的 ${a.brokerSettings} 项配置中都没有名为 acks 的配置，给 topic 添加 acks=all 也被拒绝（退出码 ${a.alterTopic.exitCode}：${rejection}）；${producerZh}。Broker 端掌握的是副本（3 个，创建 topic 时指定）和 topic 的 min.insync.replicas=${topicMinIsr}。`,
    observed,
    evidence,
  };
}

export function judgeUnclean(o: DurabilityObservation): ClaimResult {
  const on = o.unclean.enabled;
  const off = o.unclean.disabled;
  const lostOn = lost(on);
  const lostOff = lost(off);
  const observed = { enabled: { leaderAfterFailover: on.leaderAfterFailover, lost: lostOn.length, writtenWhileFollowerAway: on.writtenWhileFollowerAway.length }, disabled: { leaderAfterFailover: off.leaderAfterFailover, lost: lostOff.length, writtenWhileFollowerAway: off.writtenWhileFollowerAway.length } };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Leader broker1 dies after broker2 fell behind: unclean leader election on and off', columns: ['unclean.leader.election.enable', 'leader once broker2 is back (-1: none)', 'acknowledged while broker2 was away', 'acknowledged but lost'], rows: [['true', on.leaderAfterFailover, on.writtenWhileFollowerAway.length, lostOn.length], ['false', off.leaderAfterFailover, off.writtenWhileFollowerAway.length, lostOff.length]] }];
  const keptOut = off.leaderAfterFailover !== 2 && lostOff.length === 0;
  if (!keptOut) return { id: 'kafka.durability.unclean-election', verdict: 'refuted', summary: `With unclean election disabled, out-of-sync broker2 still ${off.leaderAfterFailover === 2 ? 'became leader' : 'did not keep the data safe'} (${lostOff.length} acknowledged records lost).`, summaryZh: `禁用 unclean 选举时，不同步的 broker2 仍然${off.leaderAfterFailover === 2 ? '成为了 leader' : '没能保住数据'}（丢失了 ${lostOff.length} 条已确认的记录）。`, observed, evidence };
  return {
    id: 'kafka.durability.unclean-election',
    verdict: 'confirmed',
    summary: `Disabled, the out-of-sync broker2 was not made leader: the partition had no leader until broker1 came back, and none of its ${off.writtenWhileFollowerAway.length} acknowledged records was lost.${on.leaderAfterFailover === 2 ? ` Enabled, broker2 became leader at once and ${lostOn.length} of the ${on.writtenWhileFollowerAway.length} records broker1 alone had acknowledged were gone for good.` : ` Enabled, broker2 did not become leader either (leader ${on.leaderAfterFailover}).`}`,
    summaryZh: `禁用时，不同步的 broker2 没有被选为 leader：在 broker1 回来之前该分区一直没有 leader，其 ${off.writtenWhileFollowerAway.length} 条已确认的记录一条也没有丢。${on.leaderAfterFailover === 2 ? `启用时，broker2 立即成为 leader，仅由 broker1 确认的 ${on.writtenWhileFollowerAway.length} 条记录中有 ${lostOn.length} 条永久丢失。` : `启用时，broker2 同样没有成为 leader（leader 为 ${on.leaderAfterFailover}）。`}`,
    observed,
    evidence,
  };
}

export function judgeIdempotence(o: DurabilityObservation): ClaimResult {
  const on = o.idempotence.on;
  const off = o.idempotence.off;
  const dupOn = duplicated(on.readBack);
  const dupOff = duplicated(off.readBack);
  const observed = { idempotent: { acknowledged: on.acknowledged.length, duplicates: dupOn.length, lost: lost(on).length }, plain: { acknowledged: off.acknowledged.length, duplicates: dupOff.length, lost: lost(off).length }, retriesProvoked: on.retriesProvoked && off.retriesProvoked };
  const evidence: Evidence[] = [{ kind: 'table', title: "The leader's answers to the producer dropped for longer than its request timeout", columns: TALLY_COLUMNS, rows: [row('enable.idempotence=true', on), row('enable.idempotence=false', off)] }];
  if (dupOn.length) return { id: 'kafka.producer.idempotence', verdict: 'refuted', summary: `The idempotent producer's retries left ${dupOn.length} records written twice.`, summaryZh: `幂等生产者的重试导致 ${dupOn.length} 条记录被写入了两次。`, observed, evidence };
  if (!dupOff.length) return { id: 'kafka.producer.idempotence', verdict: 'unverifiable', summary: `Neither producer wrote a record twice (${off.acknowledged.length} and ${on.acknowledged.length} acknowledged): the fault did not make a retry duplicate anything, so idempotence had nothing to prevent.`, summaryZh: `两个生产者都没有重复写入任何记录（分别确认了 ${off.acknowledged.length} 条和 ${on.acknowledged.length} 条）：注入的故障没有让重试产生任何重复，幂等性也就无从发挥作用。`, observed, evidence };
  return { id: 'kafka.producer.idempotence', verdict: 'confirmed', summary: `With answers lost, the plain producer retried writes the broker already had and ${dupOff.length} records were written twice; the idempotent producer retried the same way and the broker dropped every repeat (0 duplicates, sequence numbers per producer id).`, summaryZh: `响应丢失后，普通生产者重试了 broker 其实已经写入的消息，导致 ${dupOff.length} 条记录被写了两次；幂等生产者同样进行了重试，但 broker 丢弃了每一条重复写入（0 条重复，依靠每个 producer id 的序列号去重）。`, observed, evidence };
}

export function judgeManualCommit(o: DurabilityObservation): ClaimResult {
  const tally = (mode: 'after' | 'before' | 'auto') => {
    const c = o.commits[mode];
    const processed = new Set(c.processed);
    return { lost: c.produced.filter((k) => !processed.has(k)).length, duplicated: duplicated(c.processed).length, produced: c.produced.length };
  };
  const after = tally('after');
  const before = tally('before');
  const auto = tally('auto');
  const observed = { commitAfterProcessing: after, commitBeforeProcessing: before, autoCommit: auto };
  const evidence: Evidence[] = [{ kind: 'table', title: 'A consumer killed in the middle of its work, then replaced', columns: ['offsets committed', 'records', 'never processed', 'processed twice'], rows: [['after processing (enable.auto.commit=false)', after.produced, after.lost, after.duplicated], ['before processing', before.produced, before.lost, before.duplicated], ['automatically (enable.auto.commit=true)', auto.produced, auto.lost, auto.duplicated]] }];
  if (after.lost) return { id: 'kafka.consumer.manual-commit', verdict: 'refuted', summary: `Committing after processing still lost ${after.lost} records over the crash.`, summaryZh: `即使在处理后才提交位移，崩溃时仍丢失了 ${after.lost} 条记录。`, observed, evidence };
  return {
    id: 'kafka.consumer.manual-commit',
    verdict: 'nuanced',
    summary: `Committing after processing lost nothing over the crash (it processed ${after.duplicated} records twice instead: at-least-once). What loses records is committing before processing (${before.lost} never processed), not automatic commits as such: the Java client commits at a poll what the previous poll returned, so a consumer that processes inside its poll loop lost ${auto.lost} with enable.auto.commit=true (and processed ${auto.duplicated} twice).`,
    summaryZh: `处理后再提交位移，崩溃时一条也没有丢（代价是有 ${after.duplicated} 条记录被处理了两次：至少一次语义）。真正会丢记录的是先提交再处理（${before.lost} 条从未被处理），而不是自动提交本身：Java 客户端每次 poll 时提交的是上一次 poll 返回的记录，所以在 poll 循环内完成处理的消费者在 enable.auto.commit=true 时丢失了 ${auto.lost} 条（另有 ${auto.duplicated} 条被处理了两次）。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'kafka-durability',
  title: 'What survives broker and consumer failures: acks=all, unclean election, idempotence, commits',
  topic: 'kafka',
  claims: ['kafka.durability.acks-all', 'kafka.durability.unclean-election', 'kafka.producer.idempotence', 'kafka.consumer.manual-commit'],
  requires: ['docker'],
  timeLimitMs: 300_000,
  handout: {
    starts: "The run's three-broker Kafka cluster; producers and consumers on Kafka's own Java client in the client container.",
    does: 'Kills brokers under acks=all writes, then asks kafka-configs whether acks is a topic or broker setting; makes an out-of-sync replica the only one left with unclean election on and off; drops the leader\'s answers to idempotent and plain producers; kills consumers that commit after, before or automatically.',
    observes: "Every acknowledgement and error, the records read back afterwards, leaders and ISRs, the records each consumer processed, the producer's acks, the topic's and a broker's settings.",
    zh: {
      title: 'broker 和消费者故障后哪些数据能保住：acks=all、unclean 选举、幂等、位移提交',
      starts: '本次运行的三 broker Kafka 集群；客户端容器中基于 Kafka 官方 Java 客户端的生产者和消费者。',
      does: '在 acks=all 写入过程中杀掉 broker，再用 kafka-configs 查看 acks 是否为 topic 或 broker 的配置；分别在开启和关闭 unclean 选举时，让一个不同步的副本成为唯一存活的副本；丢弃 leader 发给幂等生产者和普通生产者的响应；分别杀掉处理后提交、处理前提交和自动提交位移的消费者。',
      observes: '每一次确认和错误、事后读回的记录、leader 与 ISR、每个消费者处理过的记录，以及生产者的 acks、topic 和 broker 的配置。',
    },
  },
  needs: { shared: { kafka: kafkaCluster } },
  async run(ctx) {
    const kafka = ctx.shared.kafka;
    ctx.environment.kafka = kafka.version;
    ctx.environment['kafka cluster id'] = kafka.clusterId;
    const topic = (name: string) => `${name}-${ctx.runId}`;
    const { scope, timeline, faults } = ctx;

    ctx.step('acks=all while brokers die');
    const durable = topic('durable');
    await kafka.createTopic(durable, { partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
    const first = kafka.brokerOf((await leaderOf(kafka, scope, durable)).leader);
    const second = (Object.keys(kafka.brokers) as (keyof typeof kafka.brokers)[]).find((b) => b !== first)!;
    let oneLeftFrom = 0;
    let oneLeftTo = 0;
    const acks = await write(kafka, scope, timeline, 'acks=all producer', { topic: durable, count: 2400, rate: 150, acks: 'all', 'delivery.timeout.ms': 4000, 'request.timeout.ms': 2000 }, async () => {
      await sleep(3000);
      const killFirst = await faults.inject({ kind: 'kill', target: first });
      await sleep(4000);
      const killSecond = await faults.inject({ kind: 'kill', target: second });
      oneLeftFrom = Date.now();
      await sleep(5000);
      oneLeftTo = Date.now();
      await killSecond.heal();
      await killFirst.heal();
    });
    const refusedWhileOneLeft = acks.events.filter((e) => e.e === 'err' && e.t >= oneLeftFrom && e.t <= oneLeftTo + 4000).length;
    await kafka.waitHealthy(90_000);
    const acksAll = { ...acks, readBack: await readBack(kafka, scope, durable), minInsync: 2, killed: [first, second], refusedWhileOneLeft };

    ctx.step('is acks a broker or a topic setting?');
    const settingsOf = async (type: 'topics' | 'brokers', name: string) => {
      const described = await kafka.tool('kafka-configs', ['--bootstrap-server', kafka.bootstrap, '--describe', '--all', '--entity-type', type, '--entity-name', name]);
      if (described.exitCode !== 0) throw new Error(`kafka-configs --describe ${type} ${name}: ${(described.stderr || described.stdout).trim().split('\n')[0]}`);
      return parseConfigs(described.stdout);
    };
    const broker = kafka.nodeId('broker1');
    const topicSettings = await settingsOf('topics', durable);
    const brokerSettings = await settingsOf('brokers', String(broker));
    // Only the lab's own topic is altered (it is deleted when the cluster is reset); a broker's settings are only read.
    const alteration = await kafka.tool('kafka-configs', ['--bootstrap-server', kafka.bootstrap, '--alter', '--entity-type', 'topics', '--entity-name', durable, '--add-config', 'acks=all']);
    const alterLines = `${alteration.stderr}\n${alteration.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
    const errorLines = alterLines.filter((l) => /Exception|rror/.test(l));
    const related = /acks|replication|insync/;
    const producerAcks = acks.events.find((e) => e.e === 'config')?.acks;
    const acksSetting: AcksSetting = {
      topicSettings: topicSettings.length,
      brokerSettings: brokerSettings.length,
      broker,
      acksInTopic: topicSettings.some((c) => c.name === 'acks'),
      acksInBroker: brokerSettings.some((c) => c.name === 'acks'),
      related: [...topicSettings.filter((c) => related.test(c.name)).map((c) => ({ entity: 'topic' as const, ...c })), ...brokerSettings.filter((c) => related.test(c.name)).map((c) => ({ entity: 'broker' as const, ...c }))],
      alterTopic: { exitCode: alteration.exitCode, output: (errorLines.length ? errorLines : alterLines).slice(0, 3).join('\n') },
      producerAcks: producerAcks === undefined ? null : String(producerAcks),
    };

    ctx.step('unclean leader election, on and off');
    const uncleanTopics = { enabled: topic('unclean-on'), disabled: topic('unclean-off') };
    for (const [mode, name] of Object.entries(uncleanTopics)) {
      await kafka.createTopic(name, { partitions: 1, replicaAssignment: `${kafka.nodeId('broker1')}:${kafka.nodeId('broker2')}`, config: { 'unclean.leader.election.enable': String(mode === 'enabled'), 'min.insync.replicas': '1' } });
    }
    const before = Object.fromEntries(await Promise.all(Object.entries(uncleanTopics).map(async ([mode, name]) => [mode, await write(kafka, scope, timeline, `${mode} producer`, { topic: name, count: 100, acks: 1, prefix: 'in-sync-' })])));
    const follower = await faults.inject({ kind: 'kill', target: 'broker2' });
    await until(async () => (await Promise.all(Object.values(uncleanTopics).map((n) => leaderOf(kafka, scope, n)))).every((p) => p.isr.length === 1), 60_000, 'broker2 to leave the ISR', 500);
    const away = Object.fromEntries(await Promise.all(Object.entries(uncleanTopics).map(async ([mode, name]) => [mode, await write(kafka, scope, timeline, `${mode} producer`, { topic: name, count: 100, acks: 1, prefix: 'broker1-alone-' })])));
    const leaderDies = await faults.inject({ kind: 'kill', target: 'broker1' });
    await follower.heal();
    // Until the controller has fenced the dead broker1 (its session times out): then the topic that allows an
    // unclean election moves off it. A fixed wait was too short on a loaded machine.
    const broker1 = kafka.nodeId('broker1');
    await until(async () => (await leaderOf(kafka, scope, uncleanTopics.enabled)).leader !== broker1, 60_000, 'the controller to fence broker1', 500).catch(() => undefined);
    await sleep(1000);
    const leaders = Object.fromEntries(await Promise.all(Object.entries(uncleanTopics).map(async ([mode, name]) => [mode, (await leaderOf(kafka, scope, name)).leader])));
    await leaderDies.heal();
    await kafka.waitHealthy(90_000);
    const unclean = Object.fromEntries(
      await Promise.all(
        (['enabled', 'disabled'] as const).map(async (mode) => {
          const b = before[mode]!;
          const a = away[mode]!;
          return [mode, { sent: b.sent + a.sent, acknowledged: [...b.acknowledged, ...a.acknowledged], refused: [...b.refused, ...a.refused], readBack: await readBack(kafka, scope, uncleanTopics[mode]), leaderAfterFailover: leaders[mode]!, writtenWhileFollowerAway: a.acknowledged }];
        }),
      ),
    ) as DurabilityObservation['unclean'];

    ctx.step("idempotence: the leader's answers dropped");
    const idempotence = {} as DurabilityObservation['idempotence'];
    for (const mode of ['on', 'off'] as const) {
      const name = topic(`idempotence-${mode}`);
      await kafka.createTopic(name, { partitions: 1, replicationFactor: 3 });
      const leader = kafka.brokerOf((await leaderOf(kafka, scope, name)).leader);
      const w = await write(kafka, scope, timeline, `idempotence ${mode} producer`, { topic: name, count: 600, rate: 200, acks: 'all', 'enable.idempotence': mode === 'on', retries: 100, 'request.timeout.ms': 1000, 'delivery.timeout.ms': 60_000, 'max.in.flight.requests.per.connection': 5 }, async () => {
        await sleep(1000);
        await faults.during({ kind: 'partition', from: [leader], to: ['kclient'], oneWay: true }, 2500);
      });
      const retriesProvoked = w.events.some((e) => e.e === 'ack') && w.acknowledged.length > 0;
      idempotence[mode] = { ...w, readBack: await readBack(kafka, scope, name), retriesProvoked };
    }

    ctx.step('consumers killed mid-work: commit after, before, automatically');
    const commits = {} as DurabilityObservation['commits'];
    for (const mode of ['after', 'before', 'auto'] as const) {
      const name = topic(`commit-${mode}`);
      await kafka.createTopic(name, { partitions: 1, replicationFactor: 3 });
      const produced = (await write(kafka, scope, timeline, `commit ${mode} producer`, { topic: name, count: 300, acks: 'all' })).acknowledged;
      // A short session: the replacement gets the partition 6 s after the crash, not 45.
      const options = { topic: name, group: `g-${mode}-${ctx.runId}`, commit: mode, 'process-ms': 10, 'max.poll.records': 50, 'auto.commit.interval.ms': 200, 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000 };
      const victim = await kafka.start(scope, 'consume', options);
      await victim.waitFor((e) => e.e === 'rec' && Number(e.o) >= 120, 60_000, `the ${mode} consumer to reach offset 120`);
      timeline.fault('start', `SIGKILL consumer (commit ${mode})`, ['kclient']);
      victim.kill();
      await victim.ended;
      timeline.fault('end', `SIGKILL consumer (commit ${mode})`, ['kclient']);
      const heir = await kafka.start(scope, 'consume', options);
      await heir.waitFor((e) => e.e === 'rec' && Number(e.o) === 299, 60_000, `the ${mode} consumer's replacement to reach the end`);
      await heir.stop();
      commits[mode] = { produced, processed: [...keysOf(victim.events, 'rec'), ...keysOf(heir.events, 'rec')] };
    }

    const observation: DurabilityObservation = { acksAll, acksSetting, unclean, idempotence, commits };
    return [withEvidence(judgeAcksAll(observation), ...keptJson(ctx, 'durability-observation.json', observation, 'every tally (JSON)')), judgeUnclean(observation), judgeIdempotence(observation), judgeManualCommit(observation)];
  },
});
