/**
 * Lab: what a producer's retries and transactions promise, on real brokers.
 *
 * Starts: the run's three-broker Kafka cluster; producers and readers on Kafka's own Java client.
 *
 * Does:
 *  - two producers write into the same kind of topic at the same rate while the partition's leader
 *    is killed: one with retries=0 (and idempotence off, which retries=0 requires), one with the
 *    client's defaults (retries not set);
 *  - one transactional producer writes 50 records and commits, another writes 50 and aborts, and a
 *    plain producer writes 50 beside them; the topic is read from the start at the consumer's default
 *    isolation level and at read_committed, and the leader's log is listed with kafka-dump-log.
 *
 * Observes: every acknowledgement and error, the records read back, which records each reader saw,
 * and the transaction markers in the log.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { kafkaCluster, type KafkaEvent } from '../../src/systems/kafka.ts';
import { duplicated, keysOf, leaderOf, lost, readBack, write, type Tally } from '../../src/systems/kafka-workload.ts';

const TRANSACTION_RECORDS = 50;

/** The producer's settings as the client resolved them (its `config` event). */
export interface ProducerSettings {
  retries: number;
  idempotence: boolean;
  deliveryTimeoutMs: number;
  acks: string;
}

export interface ProducerObservation {
  retries: Record<'none' | 'defaults', Tally & { settings: ProducerSettings }>;
  killedLeader: number;
  transactions: {
    /** Keys each reader saw, by isolation level ("default" is the consumer's own default). */
    seen: Record<'default' | 'read_committed', string[]>;
    written: Record<'committed' | 'aborted' | 'plain', string[]>;
    /** Transaction markers in the leader's log (kafka-dump-log --print-data-log). */
    markers: { COMMIT: number; ABORT: number };
    transactionalBatches: number;
  };
}

const failedWith = (t: Tally) => [...new Set(t.refused.map((r) => r.error.split(':')[0]!))];
/** Failed sends that are not in the topic afterwards: data the application lost unless it sent again. */
const failedAndAbsent = (t: Tally) => {
  const read = new Set(t.readBack);
  return t.refused.filter((r) => !read.has(r.key)).length;
};

export function judgeRetries(o: ProducerObservation): ClaimResult {
  const none = o.retries.none;
  const defaults = o.retries.defaults;
  const observed = {
    killedLeader: o.killedLeader,
    retries0: { settings: none.settings, sent: none.sent, failed: none.refused.length, failedAndNotInTheTopic: failedAndAbsent(none), errors: failedWith(none), lost: lost(none).length, readTwice: duplicated(none.readBack).length },
    clientDefaults: { settings: defaults.settings, sent: defaults.sent, failed: defaults.refused.length, failedAndNotInTheTopic: failedAndAbsent(defaults), errors: failedWith(defaults), lost: lost(defaults).length, readTwice: duplicated(defaults.readBack).length },
  };
  const evidence: Evidence[] = [
    {
      kind: 'table',
      title: `Two producers while the leader (node ${o.killedLeader}) is killed`,
      columns: ['producer', 'retries / idempotence (as resolved)', 'sent', 'acknowledged', 'failed', 'failed, not in the topic', 'errors', 'acknowledged but lost', 'read twice'],
      rows: (['none', 'defaults'] as const).map((k) => {
        const t = o.retries[k];
        const v = k === 'none' ? observed.retries0 : observed.clientDefaults;
        return [k === 'none' ? 'retries=0' : 'client defaults', `${t.settings.retries} / ${t.settings.idempotence}`, t.sent, t.acknowledged.length, t.refused.length, v.failedAndNotInTheTopic, v.errors.join(', '), v.lost, v.readTwice];
      }),
    },
  ];
  if (defaults.refused.length || lost(defaults).length) {
    return { id: 'kafka.producer.retries', verdict: 'refuted', summary: `With retries the producer still failed ${defaults.refused.length} sends over the leader's death (${observed.clientDefaults.errors.join(', ') || 'no error'}) and ${lost(defaults).length} acknowledged records could not be read back.`, summaryZh: `即使有重试，生产者在 leader 宕机期间仍有 ${defaults.refused.length} 次发送失败（${observed.clientDefaults.errors.join(', ') || '无错误'}），且有 ${lost(defaults).length} 条已确认的记录无法读回。`, observed, evidence };
  }
  if (!none.refused.length) {
    return { id: 'kafka.producer.retries', verdict: 'unverifiable', summary: `Killing the leader made no send fail even with retries=0 (${none.acknowledged.length} of ${none.sent} acknowledged): the fault gave retries nothing to do.`, summaryZh: `即使 retries=0，杀掉 leader 也没有让任何发送失败（${none.sent} 次中确认了 ${none.acknowledged.length} 次）：这次故障没有给重试留下用武之地。`, observed, evidence };
  }
  return {
    id: 'kafka.producer.retries',
    verdict: 'confirmed',
    summary: `While the leader was killed, the producer with retries=0 failed ${none.refused.length} of ${none.sent} sends (${observed.retries0.errors.join(', ')}), handed to the application as errors; ${observed.retries0.failedAndNotInTheTopic} of them were not in the topic afterwards, lost unless the application sends them again. The producer left at the client's defaults failed none: it retried until the new leader took them. Nothing had to be enabled: with retries not set the client resolved retries=${defaults.settings.retries}, enable.idempotence=${defaults.settings.idempotence}, bounded by delivery.timeout.ms=${defaults.settings.deliveryTimeoutMs}.`,
    summaryZh: `leader 被杀掉期间，retries=0 的生产者在 ${none.sent} 次发送中失败了 ${none.refused.length} 次（${observed.retries0.errors.join(', ')}），这些失败都以错误的形式交给了应用；其中 ${observed.retries0.failedAndNotInTheTopic} 条事后不在 topic 中，除非应用重新发送，否则就丢了。保持客户端默认配置的生产者一次也没有失败：它一直重试，直到新 leader 接收了这些消息。无需启用任何东西：不设置 retries 时，客户端解析出的配置是 retries=${defaults.settings.retries}、enable.idempotence=${defaults.settings.idempotence}，重试的时间上限由 delivery.timeout.ms=${defaults.settings.deliveryTimeoutMs} 决定。`,
    observed,
    evidence,
  };
}

export function judgeTransactions(o: ProducerObservation): ClaimResult {
  const t = o.transactions;
  const count = (seen: string[], keys: string[]) => {
    const s = new Set(seen);
    return keys.filter((k) => s.has(k)).length;
  };
  const view = (level: 'default' | 'read_committed') => ({ committed: count(t.seen[level], t.written.committed), aborted: count(t.seen[level], t.written.aborted), plain: count(t.seen[level], t.written.plain) });
  const byDefault = view('default');
  const committedOnly = view('read_committed');
  const observed = { written: { committed: t.written.committed.length, aborted: t.written.aborted.length, plain: t.written.plain.length }, seenByDefault: byDefault, seenReadCommitted: committedOnly, markers: t.markers, transactionalBatches: t.transactionalBatches };
  const evidence: Evidence[] = [
    {
      kind: 'table',
      title: 'What each reader saw of a committed transaction, an aborted one and plain writes',
      columns: ['reader', `committed (of ${t.written.committed.length})`, `aborted (of ${t.written.aborted.length})`, `plain (of ${t.written.plain.length})`],
      rows: [
        ['isolation.level not set (the default)', byDefault.committed, byDefault.aborted, byDefault.plain],
        ['isolation.level=read_committed', committedOnly.committed, committedOnly.aborted, committedOnly.plain],
      ],
    },
    { kind: 'table', title: "Transaction markers in the leader's log (kafka-dump-log)", columns: ['marker', 'count'], rows: [['COMMIT', t.markers.COMMIT], ['ABORT', t.markers.ABORT], ['transactional batches', t.transactionalBatches]] },
  ];
  const allOrNothing = (v: { committed: number; aborted: number }) => v.committed === t.written.committed.length && v.aborted === 0;
  if (!t.written.committed.length || !t.written.aborted.length) {
    return { id: 'kafka.producer.transactions', verdict: 'unverifiable', summary: 'A transaction wrote nothing, so there was nothing to see or hide.', summaryZh: '有一个事务什么都没写入，因此谈不上可见或隐藏。', observed, evidence };
  }
  if (!allOrNothing(committedOnly) || byDefault.committed !== t.written.committed.length) {
    return { id: 'kafka.producer.transactions', verdict: 'refuted', summary: `Not all or nothing: a read_committed reader saw ${committedOnly.committed} of ${t.written.committed.length} committed and ${committedOnly.aborted} of ${t.written.aborted.length} aborted records; a default reader ${byDefault.committed} committed.`, summaryZh: `并非全有或全无：read_committed 读取端看到了已提交记录 ${t.written.committed.length} 条中的 ${committedOnly.committed} 条、已中止记录 ${t.written.aborted.length} 条中的 ${committedOnly.aborted} 条；默认配置的读取端看到了 ${byDefault.committed} 条已提交记录。`, observed, evidence };
  }
  if (allOrNothing(byDefault)) {
    return { id: 'kafka.producer.transactions', verdict: 'confirmed', summary: `Every reader saw all ${t.written.committed.length} committed records and none of the ${t.written.aborted.length} aborted ones.`, summaryZh: `每个读取端都看到了全部 ${t.written.committed.length} 条已提交记录，而 ${t.written.aborted.length} 条已中止记录一条也没看到。`, observed, evidence };
  }
  return {
    id: 'kafka.producer.transactions',
    verdict: 'nuanced',
    summary: `All or nothing only for readers that ask for it. A read_committed reader saw all ${t.written.committed.length} committed records and none of the aborted ones; a reader left at the default isolation level (read_uncommitted) saw ${byDefault.aborted} of the ${t.written.aborted.length} aborted records too. An abort deletes nothing: the aborted records stay in the log, followed by an ABORT marker (${t.markers.ABORT} in the leader's log, ${t.markers.COMMIT} COMMIT), and only read_committed readers skip them.`,
    summaryZh: `只有主动要求的读取端才能得到全有或全无的效果。read_committed 读取端看到了全部 ${t.written.committed.length} 条已提交记录，已中止的记录一条也没看到；保持默认隔离级别（read_uncommitted）的读取端还看到了 ${t.written.aborted.length} 条已中止记录中的 ${byDefault.aborted} 条。中止并不会删除任何东西：被中止的记录仍留在日志中，后面跟着一个 ABORT 标记（leader 日志中有 ${t.markers.ABORT} 个 ABORT、${t.markers.COMMIT} 个 COMMIT），只有 read_committed 读取端会跳过它们。`,
    observed,
    evidence,
  };
}

/** Counts the transaction markers and transactional batches in `kafka-dump-log --print-data-log` output. */
export function transactionMarkers(dump: string): { markers: { COMMIT: number; ABORT: number }; transactionalBatches: number } {
  return {
    markers: { COMMIT: dump.match(/endTxnMarker: COMMIT/g)?.length ?? 0, ABORT: dump.match(/endTxnMarker: ABORT/g)?.length ?? 0 },
    transactionalBatches: dump.match(/^baseOffset:.*isTransactional: true/gm)?.length ?? 0,
  };
}

export default defineLab({
  id: 'kafka-producer',
  title: "A producer's retries under a leader's death, and what a transaction hides from whom",
  topic: 'kafka',
  claims: ['kafka.producer.retries', 'kafka.producer.transactions'],
  requires: ['docker'],
  timeLimitMs: 240_000,
  handout: {
    starts: "The run's three-broker Kafka cluster; producers and readers on Kafka's own Java client.",
    does: 'Kills the leader under a producer with retries=0 and one with the defaults; commits one transaction, aborts another, and reads the topic at the default isolation level and at read_committed.',
    observes: "Acknowledgements and errors, the records read back, what each reader saw, and the transaction markers kafka-dump-log finds in the leader's log.",
    zh: {
      title: 'leader 宕机时生产者的重试，以及事务对谁隐藏了什么',
      starts: '本次运行的三 broker Kafka 集群；基于 Kafka 官方 Java 客户端的生产者和读取端。',
      does: '分别在 retries=0 的生产者和使用默认配置的生产者写入时杀掉 leader；提交一个事务、中止另一个，并分别以默认隔离级别和 read_committed 读取该 topic。',
      observes: '确认与错误、读回的记录、每个读取端看到的内容，以及 kafka-dump-log 在 leader 日志中找到的事务标记。',
    },
  },
  needs: { shared: { kafka: kafkaCluster } },
  async run(ctx) {
    const kafka = ctx.shared.kafka;
    ctx.environment.kafka = kafka.version;
    ctx.environment['kafka cluster id'] = kafka.clusterId;
    const { scope, timeline, faults } = ctx;
    const topic = (name: string) => `${name}-${ctx.runId}`;

    ctx.step('two producers while the leader is killed');
    const topics = { none: topic('retries-none'), defaults: topic('retries-defaults') };
    // Both partitions led by node 1, so that one kill hits both producers at the same moment.
    for (const name of Object.values(topics)) await kafka.createTopic(name, { partitions: 1, replicaAssignment: '1:2:3' });
    const killedLeader = (await leaderOf(kafka, scope, topics.none)).leader;
    const otherLeader = (await leaderOf(kafka, scope, topics.defaults)).leader;
    if (otherLeader !== killedLeader) throw new Error(`the two topics have different leaders (${killedLeader}, ${otherLeader}): one kill would not hit both producers`);
    const common = { count: 1500, rate: 150, acks: 'all' };
    const killLeader = async () => {
      await sleep(3000);
      const kill = await faults.inject({ kind: 'kill', target: kafka.brokerOf(killedLeader) });
      await sleep(5000);
      await kill.heal();
    };
    const [none, defaults] = await Promise.all([
      write(kafka, scope, timeline, 'retries=0', { ...common, topic: topics.none, retries: 0, 'enable.idempotence': false }, killLeader),
      write(kafka, scope, timeline, 'client defaults', { ...common, topic: topics.defaults }),
    ]);
    await kafka.waitHealthy(90_000);
    const settingsOf = (events: KafkaEvent[]): ProducerSettings => {
      const c = events.find((e) => e.e === 'config');
      if (!c) throw new Error('a producer did not report its configuration');
      return { retries: Number(c?.retries), idempotence: c?.idempotence === true, deliveryTimeoutMs: Number(c?.deliveryTimeoutMs), acks: String(c?.acks) };
    };
    const retries = {
      none: { ...none, settings: settingsOf(none.events), readBack: await readBack(kafka, scope, topics.none) },
      defaults: { ...defaults, settings: settingsOf(defaults.events), readBack: await readBack(kafka, scope, topics.defaults) },
    };

    ctx.step('a committed and an aborted transaction');
    const tx = topic('transactions');
    await kafka.createTopic(tx, { partitions: 1, replicaAssignment: '1:2:3' });
    const send = async (prefix: string, transaction?: 'commit' | 'abort') => {
      const events = await kafka.call(scope, 'produce', { topic: tx, count: TRANSACTION_RECORDS, prefix, ...(transaction ? { transaction } : {}) });
      const failed = events.find((e) => e.e === 'err');
      if (failed) throw new Error(`${prefix} producer: ${String(failed.x)}`);
      return keysOf(events, 'ack');
    };
    const written = { committed: await send('committed-', 'commit'), aborted: await send('aborted-', 'abort'), plain: await send('plain-') };
    const read = async (options: Record<string, string>) => {
      const events = await kafka.call(scope, 'dump', { topic: tx, 'timeout-ms': 30_000, ...options }, 60_000);
      if (!events.find((e) => e.e === 'end')?.complete) throw new Error(`could not read ${tx} to its end`);
      return keysOf(events, 'rec');
    };
    const seen = { default: await read({}), read_committed: await read({ 'isolation.level': 'read_committed' }) };
    const leader = kafka.brokers[kafka.brokerOf((await leaderOf(kafka, scope, tx)).leader)];
    const dump = await leader.exec(['kafka-dump-log', '--print-data-log', '--files', `/var/lib/kafka/data/${tx}-0/00000000000000000000.log`]);
    if (dump.exitCode !== 0) throw new Error(`kafka-dump-log: ${(dump.stderr || dump.stdout).trim().split('\n')[0]}`);

    const observation: ProducerObservation = { retries, killedLeader, transactions: { seen, written, ...transactionMarkers(dump.stdout) } };
    const kept = keptJson(ctx, 'producer.json', observation, 'writes, read-backs, readers and markers (JSON)');
    return [withEvidence(judgeRetries(observation), ...kept), withEvidence(judgeTransactions(observation), ...kept)];
  },
});
