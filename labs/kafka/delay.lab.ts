/**
 * Lab: does Kafka hold a message back until a time it carries?
 *
 * Starts: the run's three-broker Kafka cluster; a consumer on Kafka's own Java client.
 *
 * Does: once the consumer has its partition, writes 5 records whose timestamps lie 30 s in the
 * future (the one time a Kafka record carries), and one stamped 2 hours ahead; waits up to 60 s
 * for them to arrive. Lists every broker setting whose name speaks of a delay or of delivery.
 *
 * Observes: when each record was sent and when the consumer got it (one clock: both clients run in
 * the same container), the timestamps the consumer saw, what the broker said to the record two hours
 * ahead, and `kafka-configs --describe --all` of a broker.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { parseConfigs } from '../../src/observers/kafka-configs.ts';
import { kafkaCluster, type KafkaEvent } from '../../src/systems/kafka.ts';

const AHEAD_MS = 30_000;
const FAR_AHEAD_MS = 2 * 3600_000;
const RECORDS = 5;

export interface DelayedRecord {
  key: string;
  sentAt: number;
  receivedAt: number | null;
  timestamp: number | null;
}

export interface DelayObservation {
  aheadMs: number;
  records: DelayedRecord[];
  /** The record stamped far ahead: acknowledged, or the broker's error. */
  farAhead: { aheadMs: number; acknowledged: boolean; error?: string };
  /** Broker settings whose names mention a delay or delivery, with their values. */
  delaySettings: { name: string; value: string }[];
  /** log.message.timestamp.after.max.ms: how far ahead of the broker's clock a timestamp may be. */
  timestampAfterMaxMs: number | null;
}

const lagOf = (r: DelayedRecord) => (r.receivedAt === null ? null : r.receivedAt - r.sentAt);

export function judgeDelay(o: DelayObservation): ClaimResult {
  const lags = o.records.map(lagOf).filter((l): l is number => l !== null);
  const maxLag = lags.length ? Math.max(...lags) : null;
  const minLag = lags.length ? Math.min(...lags) : null;
  const observed = {
    records: o.records.length,
    received: lags.length,
    stampedAheadMs: o.aheadMs,
    deliveryLagMs: { min: minLag, max: maxLag },
    farAhead: o.farAhead,
    timestampAfterMaxMs: o.timestampAfterMaxMs,
    delaySettings: o.delaySettings,
  };
  const evidence: Evidence[] = [
    {
      kind: 'table',
      title: `Records stamped ${o.aheadMs / 1000} s ahead: sent, received`,
      columns: ['key', 'timestamp − sent (ms)', 'received − sent (ms)', 'received before its timestamp'],
      rows: o.records.map((r) => [r.key, r.timestamp === null ? '' : r.timestamp - r.sentAt, lagOf(r) ?? 'never', r.receivedAt !== null && r.timestamp !== null ? (r.receivedAt < r.timestamp ? 'yes' : 'no') : '']),
    },
    { kind: 'table', title: 'Broker settings that mention a delay or delivery (kafka-configs --describe --all)', columns: ['setting', 'value'], rows: o.delaySettings.map((s) => [s.name, s.value]) },
  ];
  const hours = o.farAhead.aheadMs / 3600_000;
  const farAhead = o.farAhead.acknowledged
    ? `A record stamped ${hours} h ahead was accepted too.`
    : /InvalidTimestamp/.test(o.farAhead.error ?? '')
      ? `A record stamped ${hours} h ahead was refused (InvalidTimestampException): the broker checks a timestamp against its clock (log.message.timestamp.after.max.ms=${o.timestampAfterMaxMs}), it does not wait for it.`
      : `A record stamped ${hours} h ahead failed (${o.farAhead.error?.split(':')[0]}).`;
  const settings = `The broker settings whose names mention a delay or delivery are ${o.delaySettings.map((s) => s.name).join(', ') || 'none'}.`;
  const farAheadZh = o.farAhead.acknowledged
    ? `时间戳设在 ${hours} h 之后的记录同样被接受了。`
    : /InvalidTimestamp/.test(o.farAhead.error ?? '')
      ? `时间戳设在 ${hours} h 之后的记录被拒绝了（InvalidTimestampException）：broker 会拿时间戳与自己的时钟比对（log.message.timestamp.after.max.ms=${o.timestampAfterMaxMs}），而不会等到那个时间。`
      : `时间戳设在 ${hours} h 之后的记录写入失败（${o.farAhead.error?.split(':')[0]}）。`;
  const settingsZh = `broker 配置中名字涉及 delay 或 delivery 的有：${o.delaySettings.map((s) => s.name).join(', ') || '无'}。`;
  // Only records that carried a timestamp well ahead of their sending test anything.
  const stampedAhead = o.records.every((r) => r.timestamp === null || r.timestamp - r.sentAt >= o.aheadMs / 2);
  if (!o.records.length || lags.length < o.records.length || !stampedAhead) {
    const why = !o.records.length ? 'No record was sent' : !stampedAhead ? `The records' timestamps were not ${o.aheadMs / 1000} s ahead of their sending` : `Only ${lags.length} of ${o.records.length} records reached the consumer`;
    const whyZh = !o.records.length ? '没有发送任何记录' : !stampedAhead ? `记录的时间戳并没有设在发送时刻 ${o.aheadMs / 1000} s 之后` : `${o.records.length} 条记录中只有 ${lags.length} 条到达了消费者`;
    return { id: 'kafka.delay.not-native', verdict: 'unverifiable', summary: `${why}, so whether Kafka waits for a timestamp could not be measured.`, summaryZh: `${whyZh}，因此无法测出 Kafka 是否会等到时间戳所示的时间。`, observed, evidence };
  }
  if (maxLag! < o.aheadMs / 2) {
    return {
      id: 'kafka.delay.not-native',
      verdict: 'confirmed',
      summary: `Records stamped ${o.aheadMs / 1000} s in the future reached the consumer ${minLag}-${maxLag} ms after they were sent: a timestamp is data, not a delivery time. ${farAhead} ${settings} A delay has to be built by the application, for instance a topic per delay and a consumer that waits until each record is due.`,
      summaryZh: `时间戳设在 ${o.aheadMs / 1000} s 之后的记录，在发送后 ${minLag}-${maxLag} ms 就到达了消费者：时间戳只是数据，而不是投递时间。${farAheadZh}${settingsZh}延迟只能由应用自己实现，例如每种延迟一个 topic，再由消费者等到每条记录到期后才处理。`,
      observed,
      evidence,
    };
  }
  if (minLag! >= o.aheadMs * 0.8) {
    return { id: 'kafka.delay.not-native', verdict: 'refuted', summary: `The consumer got every record only ${minLag}-${maxLag} ms after it was sent, close to the ${o.aheadMs} ms its timestamp lay ahead: the broker held the records until their time.`, summaryZh: `消费者直到发送后 ${minLag}-${maxLag} ms 才收到每条记录，接近时间戳提前的 ${o.aheadMs} ms：broker 把记录一直扣留到了时间戳所示的时间。`, observed, evidence };
  }
  return { id: 'kafka.delay.not-native', verdict: 'nuanced', summary: `Records stamped ${o.aheadMs / 1000} s ahead arrived after ${minLag}-${maxLag} ms: later than a plain record, but not at their timestamps.`, summaryZh: `时间戳设在 ${o.aheadMs / 1000} s 之后的记录在 ${minLag}-${maxLag} ms 后到达：比普通记录晚，但并不是在时间戳所示的时间到达。`, observed, evidence };
}

const keyed = (events: KafkaEvent[], kind: string) => new Map(events.filter((e) => e.e === kind).map((e) => [String(e.k), e]));

export default defineLab({
  id: 'kafka-delay',
  title: 'Delayed messages in Kafka: a record stamped in the future, and the broker settings',
  topic: 'kafka',
  claims: ['kafka.delay.not-native'],
  requires: ['docker'],
  timeLimitMs: 150_000,
  handout: {
    starts: "The run's three-broker Kafka cluster and a consumer on Kafka's Java client.",
    does: `Writes ${RECORDS} records stamped ${AHEAD_MS / 1000} s in the future and one stamped ${FAR_AHEAD_MS / 3600_000} h ahead, and waits up to 60 s for the consumer to get them.`,
    observes: 'Send and receive times on one clock, the timestamps the consumer saw, the broker\'s answer to the far-future record, and the broker settings that mention a delay.',
    zh: {
      title: 'Kafka 中的延迟消息：时间戳设在未来的记录，以及 broker 相关配置',
      starts: '本次运行的三 broker Kafka 集群，以及一个基于 Kafka Java 客户端的消费者。',
      does: '写入 5 条时间戳为 30 s 之后的记录和 1 条时间戳为 2 h 之后的记录，最多等待 60 s，看消费者能否收到。',
      observes: '用同一时钟记录的发送和接收时间、消费者看到的时间戳、broker 对远期时间戳记录的响应，以及 broker 配置中与延迟相关的项。',
    },
  },
  needs: { shared: { kafka: kafkaCluster } },
  async run(ctx) {
    const kafka = ctx.shared.kafka;
    ctx.environment.kafka = kafka.version;
    ctx.environment['kafka cluster id'] = kafka.clusterId;
    const topic = `delay-${ctx.runId}`;
    await kafka.createTopic(topic, { partitions: 1, replicationFactor: 3 });
    ctx.step('consumer joins');
    const consumer = await kafka.start(ctx.scope, 'consume', { topic, group: `delay-${ctx.runId}` });
    await consumer.waitFor((e) => e.e === 'assigned' && Array.isArray(e.p) && e.p.length > 0, 60_000, 'partition assignment');
    ctx.step(`writing ${RECORDS} records stamped ${AHEAD_MS / 1000} s ahead`);
    const sent = await kafka.call(ctx.scope, 'produce', { topic, count: RECORDS, prefix: 'ahead-', 'timestamp-offset-ms': AHEAD_MS, acks: 'all' });
    const sends = keyed(sent, 'send');
    const received = await consumer
      .waitFor(() => keyed(consumer.events, 'rec').size >= RECORDS, 60_000, `all ${RECORDS} records`)
      .then(() => keyed(consumer.events, 'rec'))
      .catch(() => keyed(consumer.events, 'rec'));
    await consumer.stop();
    ctx.step(`a record stamped ${FAR_AHEAD_MS / 3600_000} h ahead`);
    const far = await kafka.call(ctx.scope, 'produce', { topic, count: 1, prefix: 'far-', 'timestamp-offset-ms': FAR_AHEAD_MS, acks: 'all', 'retries': 0, 'enable.idempotence': false, 'delivery.timeout.ms': 15_000, 'request.timeout.ms': 10_000 });
    const farError = far.find((e) => e.e === 'err');
    const configs = await kafka.tool('kafka-configs', ['--bootstrap-server', kafka.bootstrap, '--describe', '--all', '--entity-type', 'brokers', '--entity-name', String(kafka.nodeId('broker1'))]);
    if (configs.exitCode !== 0) throw new Error(`kafka-configs --describe: ${(configs.stderr || configs.stdout).trim().split('\n')[0]}`);
    const settings = parseConfigs(configs.stdout);
    const observation: DelayObservation = {
      aheadMs: AHEAD_MS,
      records: [...sends.entries()].map(([key, send]) => {
        const rec = received.get(key);
        return { key, sentAt: send.t, receivedAt: rec?.t ?? null, timestamp: rec ? Number(rec.ts) : null };
      }),
      farAhead: { aheadMs: FAR_AHEAD_MS, acknowledged: far.some((e) => e.e === 'ack'), ...(farError ? { error: String(farError.x) } : {}) },
      delaySettings: settings.filter((c) => /delay|deliver/.test(c.name)),
      timestampAfterMaxMs: Number(settings.find((c) => c.name === 'log.message.timestamp.after.max.ms')?.value ?? NaN) || null,
    };
    for (const r of observation.records) ctx.timeline.sample(`${r.key} received after (ms)`, lagOf(r));
    return [withEvidence(judgeDelay(observation), ...keptJson(ctx, 'delay.json', observation, 'sends, receipts and broker settings (JSON)'))];
  },
});
