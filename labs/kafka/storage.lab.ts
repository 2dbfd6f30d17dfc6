/**
 * Lab: what a Kafka partition is on disk: segment files, when they roll, what a record looks like in
 * bytes, and when retention deletes it.
 *
 * Starts: the run's three-broker Kafka cluster; topics pinned to broker1, with segments made small
 * (internal.segment.bytes, the broker's own lower limit being 1 MiB for segment.bytes) and retention
 * scaled down from days to seconds (the broker checks retention every second in this cluster).
 *
 * Does: writes 300 records one batch each; writes one record, waits past segment.ms, writes another;
 * writes into a topic with retention.ms=6000 and watches its directory; writes 400 records into two
 * partitions with retention.bytes=3072; writes 200 records into a topic on broker1 alone, SIGKILLs
 * broker1 and starts it again.
 *
 * Observes: the partition directories (file names and sizes), kafka-dump-log's listing of every
 * batch, the first 200 bytes of the first segment decoded field by field and its CRC recomputed;
 * the records read back after the kill, the topic's flush settings (kafka-configs) and what the
 * restarted broker logged about recovering the topic's segments.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { parseConfigs } from '../../src/observers/kafka-configs.ts';
import { decodeFirstBatch, parseDumpLog, type DumpedBatch, type Field } from '../../src/observers/kafka-log.ts';
import { sleep } from '../../src/resources/cancel.ts';
import type { Container } from '../../src/resources/container.ts';
import type { Scope } from '../../src/resources/scope.ts';
import { CLUSTER_SETTINGS, kafkaCluster, type KafkaCluster } from '../../src/systems/kafka.ts';


const DATA = '/var/lib/kafka/data';
const SEGMENT_BYTES = 4096;
const SEGMENT_MS = 1000;
const RETENTION_MS = 6000;
const RETENTION_BYTES = 3072;
const SMALL_SEGMENT = 1024;

export interface SegmentFile {
  file: string;
  size: number;
}

export interface StorageObservation {
  segmentBytes: number;
  files: SegmentFile[];
  /** kafka-dump-log's batches of each .log file. */
  batches: Record<string, DumpedBatch[]>;
  timeRoll: { segmentMs: number; pauseMs: number; records: number; logFiles: string[] };
  firstBatch: { fields: Field[]; crcOverBatch: number; dumped: DumpedBatch };
  retentionTime: { retentionMs: number; checkIntervalMs: number; segments: { baseOffset: number; newestRecordAt: number; oldestRecordAt: number; goneAt: number | null; renamedDeleted: boolean; records: number }[] };
  retentionSize: { retentionBytes: number; segmentBytes: number; partitions: { partition: number; logBytes: number; segments: number }[]; records: number; batchBytes: number };
  /** A topic on broker1 alone written, then broker1 SIGKILLed and started again. */
  persistence: {
    acknowledged: number;
    readBackAfterKill: number;
    /** The topic's flush.* settings and any setting whose name speaks of persistence, from kafka-configs --describe --all. */
    settings: { name: string; value: string }[];
    /** Lines in which the restarted broker recovered segments of the topic that had not been flushed. */
    unflushedRecovered: string[];
  };
}

const baseOffsetOf = (file: string) => Number(file.split('.')[0]);
const logFiles = (files: SegmentFile[]) => files.filter((f) => /^\d{20}\.log$/.test(f.file)).sort((a, b) => baseOffsetOf(a.file) - baseOffsetOf(b.file));

export function judgeSegmentFiles(o: StorageObservation): ClaimResult {
  const logs = logFiles(o.files);
  const names = new Set(o.files.map((f) => f.file));
  const rows = logs.map((l) => {
    const base = l.file.slice(0, 20);
    const first = o.batches[l.file]?.[0];
    return { segment: base, index: names.has(`${base}.index`), timeindex: names.has(`${base}.timeindex`), firstOffset: first?.baseOffset ?? null, size: l.size };
  });
  const named = rows.every((r) => r.firstOffset !== null && Number(r.segment) === r.firstOffset);
  const complete = rows.every((r) => r.index && r.timeindex);
  const others = o.files.map((f) => f.file).filter((f) => !/^\d{20}\.(log|index|timeindex)$/.test(f));
  const observed = { segments: rows.length, segmentsNamedByBaseOffset: named, everySegmentHasIndexAndTimeindex: complete, otherFiles: others };
  const evidence: Evidence[] = [{ kind: 'table', title: 'The partition directory and the first offset kafka-dump-log found in each segment', columns: ['segment', '.log bytes', '.index', '.timeindex', 'first offset in it'], rows: rows.map((r) => [r.segment, r.size, r.index ? 'yes' : 'no', r.timeindex ? 'yes' : 'no', r.firstOffset ?? '-']) }];
  if (rows.length < 2) return { id: 'kafka.log.segment-files', verdict: 'unverifiable', summary: `Only ${rows.length} segment was written, so how segments are named could not be compared.`, summaryZh: `只写出了 ${rows.length} 个日志段，无法比较日志段的命名方式。`, observed, evidence };
  if (!named || !complete) return { id: 'kafka.log.segment-files', verdict: 'refuted', summary: `Of ${rows.length} segments, ${rows.filter((r) => Number(r.segment) !== r.firstOffset).length} are not named after their first offset and ${rows.filter((r) => !r.index || !r.timeindex).length} lack an index.`, summaryZh: `${rows.length} 个日志段中，有 ${rows.filter((r) => Number(r.segment) !== r.firstOffset).length} 个没有以其第一个 offset 命名，${rows.filter((r) => !r.index || !r.timeindex).length} 个缺少索引。`, observed, evidence };
  return {
    id: 'kafka.log.segment-files',
    verdict: 'confirmed',
    summary: `The partition was ${rows.length} segments, each a .log with its .index and .timeindex, named after the offset of its first record in 20 digits (${rows.slice(0, 3).map((r) => r.segment).join(', ')}, …), as kafka-dump-log confirms. Beside them: ${others.join(', ')}.`,
    summaryZh: `该分区共有 ${rows.length} 个日志段，每个都是一个 .log 文件加上对应的 .index 和 .timeindex，文件名是其第一条记录的 offset，补足 20 位数字（${rows.slice(0, 3).map((r) => r.segment).join(', ')}, …），kafka-dump-log 的输出也印证了这一点。与它们并列的还有：${others.join(', ')}。`,
    observed,
    evidence,
  };
}

export function judgeSegmentRoll(o: StorageObservation): ClaimResult {
  const logs = logFiles(o.files);
  const rolled = logs.slice(0, -1).map((l, i) => {
    const next = o.batches[logs[i + 1]!.file]?.[0];
    return { segment: l.file, size: l.size, nextBatch: next?.size ?? 0, wouldOverflow: l.size + (next?.size ?? 0) > o.segmentBytes };
  });
  const bySize = rolled.length > 0 && rolled.every((r) => r.size <= o.segmentBytes && r.wouldOverflow);
  const byTime = o.timeRoll.logFiles.length > 1;
  const observed = { segmentBytes: o.segmentBytes, rolledSegments: rolled, timeRoll: o.timeRoll };
  const evidence: Evidence[] = [{ kind: 'table', title: `Rolled segments against segment bytes ${o.segmentBytes}`, columns: ['segment', '.log bytes', 'first batch of the next', 'together over the limit'], rows: rolled.map((r) => [r.segment, r.size, r.nextBatch, r.wouldOverflow ? 'yes' : 'no']) }];
  if (!bySize) return { id: 'kafka.segment.roll', verdict: 'refuted', summary: `Segments did not roll at the size limit: ${JSON.stringify(rolled)}.`, summaryZh: `日志段没有在达到大小上限时滚动：${JSON.stringify(rolled)}。`, observed, evidence };
  if (byTime) {
    return {
      id: 'kafka.segment.roll',
      verdict: 'nuanced',
      summary: `Size is one trigger: every rolled segment stopped at most ${o.segmentBytes} bytes, just before the next batch would have passed it. Age is another: with segment.ms=${o.timeRoll.segmentMs} two single records ${o.timeRoll.pauseMs} ms apart landed in ${o.timeRoll.logFiles.length} segments (log.roll.ms, 7 days by default, rolls a quiet partition however small). Retention runs apart from rolling, every log.retention.check.interval.ms, and never deletes the active segment's records until it rolls.`,
      summaryZh: `大小是一个触发条件：每个已滚动的日志段都不超过 ${o.segmentBytes} 字节，恰好停在下一个 batch 会使其超限之前。时间是另一个触发条件：在 segment.ms=${o.timeRoll.segmentMs} 时，相隔 ${o.timeRoll.pauseMs} ms 写入的两条单独记录落在了 ${o.timeRoll.logFiles.length} 个日志段中（log.roll.ms 默认 7 天，到期后即使分区很小、写入很少也会滚动）。保留清理独立于滚动，每隔 log.retention.check.interval.ms 执行一次，而且在活跃日志段滚动之前，绝不会删除其中的记录。`,
      observed,
      evidence,
    };
  }
  return { id: 'kafka.segment.roll', verdict: 'confirmed', summary: `Segments rolled when the next batch would have passed ${o.segmentBytes} bytes, and only then.`, summaryZh: `日志段在下一个 batch 会超过 ${o.segmentBytes} 字节时滚动，而且只在这时滚动。`, observed, evidence };
}

export function judgeMessageFormat(o: StorageObservation): ClaimResult {
  const f = (name: string) => o.firstBatch.fields.find((x) => x.name === name || x.name.startsWith(`${name} (`))?.value;
  const magic = Number(f('magic'));
  const storedCrc = Number(f('crc'));
  const crcMatches = storedCrc === o.firstBatch.crcOverBatch && storedCrc === o.firstBatch.dumped.crc;
  const sizeMatches = Number(f('batchLength')) + 12 === o.firstBatch.dumped.size;
  const headerBytes = o.firstBatch.fields.find((x) => x.name.startsWith('record length'))?.offset ?? 0;
  const observed = { magic, headerBytes, storedCrc, crc32cOfBatch: o.firstBatch.crcOverBatch, dumpLogCrc: o.firstBatch.dumped.crc, batchSize: o.firstBatch.dumped.size, sizeMatchesDumpLog: sizeMatches, key: f('key'), value: f('value') };
  const evidence: Evidence[] = [{ kind: 'bytes', title: 'The first batch of 00000000000000000000.log, field by field', fields: o.firstBatch.fields }];
  if (magic < 2) {
    return { id: 'kafka.log.message-format', verdict: 'confirmed', summary: `The broker wrote message format v${magic}, the per-message layout the sheet draws.`, summaryZh: `broker 写入的是 v${magic} 消息格式，也就是学习资料画出的逐条消息布局。`, observed, evidence };
  }
  return {
    id: 'kafka.log.message-format',
    verdict: 'refuted',
    summary: `That is the old per-message format (magic 0/1). This broker writes record batches, magic ${magic}: a ${headerBytes}-byte batch header (base offset, length, leader epoch, magic, one CRC for the whole batch, 2-byte attributes, offset delta, first and max timestamps, producer id/epoch, base sequence, record count), then records with no CRC of their own, a 1-byte attributes, and timestamp delta, offset delta, key length and value length as varints, and headers. The stored CRC ${storedCrc} is CRC-32C over the batch from its attributes on (recomputed here: ${o.firstBatch.crcOverBatch}${crcMatches ? ', the value kafka-dump-log prints too' : `; kafka-dump-log printed ${o.firstBatch.dumped.crc}`}), not a CRC32 per message.`,
    summaryZh: `那是旧的逐条消息格式（magic 0/1）。这个 broker 写入的是 record batch，magic 为 ${magic}：先是 ${headerBytes} 字节的 batch 头（base offset、length、leader epoch、magic、整个 batch 共用的一个 CRC、2 字节的 attributes、offset delta、首条时间戳和最大时间戳、producer id/epoch、base sequence、记录数），然后是各条记录：记录本身不带 CRC，含 1 字节的 attributes，以 varint 编码的 timestamp delta、offset delta、key 长度和 value 长度，以及 headers。存储的 CRC ${storedCrc} 是从 attributes 开始对整个 batch 计算的 CRC-32C（这里重新计算得到 ${o.firstBatch.crcOverBatch}${crcMatches ? '，与 kafka-dump-log 打印的值一致' : `；kafka-dump-log 打印的是 ${o.firstBatch.dumped.crc}`}），而不是每条消息一个 CRC32。`,
    observed,
    evidence,
  };
}

export function judgeRetentionTime(o: StorageObservation): ClaimResult {
  const r = o.retentionTime;
  const deleted = r.segments.filter((s) => s.goneAt !== null);
  const afterNewest = deleted.map((s) => s.goneAt! - s.newestRecordAt);
  const afterOldest = deleted.map((s) => s.goneAt! - s.oldestRecordAt);
  const observed = { retentionMs: r.retentionMs, checkIntervalMs: r.checkIntervalMs, segmentsWritten: r.segments.length, segmentsDeleted: deleted.length, deletedAfterNewestRecordMs: afterNewest, deletedAfterOldestRecordMs: afterOldest, renamedDeletedFirst: deleted.some((s) => s.renamedDeleted) };
  const evidence: Evidence[] = [{ kind: 'table', title: `Segments of a topic with retention.ms=${r.retentionMs}`, columns: ['base offset', 'ms from its newest record to its deletion', 'ms from its oldest record'], rows: r.segments.map((s) => [s.baseOffset, s.goneAt === null ? 'kept' : s.goneAt - s.newestRecordAt, s.goneAt === null ? 'kept' : s.goneAt - s.oldestRecordAt]) }];
  if (!deleted.length) return { id: 'kafka.retention.time', verdict: 'refuted', summary: `No segment was deleted within the watch, with retention.ms=${r.retentionMs}.`, summaryZh: `在观察期内没有任何日志段被删除（retention.ms=${r.retentionMs}）。`, observed, evidence };
  const early = afterNewest.filter((ms) => ms < r.retentionMs);
  if (early.length) return { id: 'kafka.retention.time', verdict: 'refuted', summary: `${early.length} segments were deleted before their newest record was ${r.retentionMs} ms old.`, summaryZh: `有 ${early.length} 个日志段在其最新记录还不到 ${r.retentionMs} ms 时就被删除了。`, observed, evidence };
  return {
    id: 'kafka.retention.time',
    verdict: 'nuanced',
    summary: `Retention is "at least", per segment: with retention.ms=${r.retentionMs} (the sheet's 168 hours scaled down) each segment went ${Math.min(...afterNewest)}-${Math.max(...afterNewest)} ms after its newest record, at the next retention check (every ${r.checkIntervalMs} ms), so its oldest records lived up to ${Math.max(...afterOldest)} ms. A segment goes whole or not at all${observed.renamedDeletedFirst ? ', first renamed .deleted and removed file.delete.delay.ms later' : ''}; ${r.segments.length === deleted.length ? 'even the last, active segment went: when all its records had expired the broker rolled an empty one in its place' : `${r.segments.length - deleted.length} segment(s) holding the newest records stayed`}.`,
    summaryZh: `保留时间是“至少”保留这么久，而且以日志段为单位：在 retention.ms=${r.retentionMs}（学习资料中 168 小时按比例缩小）下，每个日志段在其最新记录写入 ${Math.min(...afterNewest)}-${Math.max(...afterNewest)} ms 后，于下一次保留检查（每 ${r.checkIntervalMs} ms 一次）时被删除，因此其中最老的记录最多存活了 ${Math.max(...afterOldest)} ms。日志段要么整个删除，要么完全不删${observed.renamedDeletedFirst ? '，先被重命名为 .deleted，再过 file.delete.delay.ms 才真正删除' : ''}；${r.segments.length === deleted.length ? '连最后那个活跃日志段也被删除了：其中的记录全部过期后，broker 滚动出一个空日志段来取代它' : `存放最新记录的 ${r.segments.length - deleted.length} 个日志段保留了下来`}。`,
    observed,
    evidence,
  };
}

export function judgeRetentionSize(o: StorageObservation): ClaimResult {
  const r = o.retentionSize;
  const total = r.partitions.reduce((a, p) => a + p.logBytes, 0);
  const over = r.partitions.filter((p) => p.logBytes > r.retentionBytes);
  const bounded = r.partitions.every((p) => p.logBytes <= r.retentionBytes + r.segmentBytes);
  const observed = { retentionBytes: r.retentionBytes, segmentBytes: r.segmentBytes, recordsWritten: r.records, batchBytes: r.batchBytes, partitions: r.partitions, topicBytes: total };
  const evidence: Evidence[] = [{ kind: 'bars', title: `Bytes kept per partition (retention.bytes=${r.retentionBytes}, segments of ${r.segmentBytes})`, bars: r.partitions.map((p) => ({ label: `partition ${p.partition}`, value: p.logBytes })) }];
  if (!bounded) return { id: 'kafka.retention.size', verdict: 'refuted', summary: `retention.bytes=${r.retentionBytes} did not bound the partitions: ${r.partitions.map((p) => `${p.logBytes} bytes`).join(', ')}.`, summaryZh: `retention.bytes=${r.retentionBytes} 没有限制住各分区的大小：${r.partitions.map((p) => `${p.logBytes} 字节`).join(', ')}。`, observed, evidence };
  return {
    id: 'kafka.retention.size',
    verdict: 'nuanced',
    summary: `It limits each partition, not the topic, and in whole segments: after ${r.records} records, each a batch of about ${r.batchBytes} bytes (${r.records * r.batchBytes} bytes), the ${r.partitions.length} partitions kept ${r.partitions.map((p) => `${p.logBytes} bytes in ${p.segments} segments`).join(' and ')}, ${total} bytes for the topic${over.length ? `; ${over.length === r.partitions.length ? 'each' : 'one'} above retention.bytes, by less than one segment (the active one is never deleted)` : ''}.`,
    summaryZh: `它限制的是每个分区而不是整个 topic，并且以整个日志段为单位删除：写入 ${r.records} 条记录（每条单独一个约 ${r.batchBytes} 字节的 batch，共 ${r.records * r.batchBytes} 字节）后，${r.partitions.length} 个分区分别保留了 ${r.partitions.map((p) => `${p.segments} 个日志段共 ${p.logBytes} 字节`).join(' 和 ')}，整个 topic 共 ${total} 字节${over.length ? `；${over.length === r.partitions.length ? '每个分区都' : '其中一个分区'}超过了 retention.bytes，但超出不到一个日志段（活跃日志段永远不会被删除）` : ''}。`,
    observed,
    evidence,
  };
}

const listDir = async (broker: Container, dir: string): Promise<SegmentFile[]> => (await broker.files(dir)).map((f) => ({ file: f.name, size: f.size }));

async function dump(broker: Container, file: string): Promise<DumpedBatch[]> {
  return parseDumpLog((await broker.exec(['kafka-dump-log', '--files', file])).stdout);
}

/** Writes records one batch each (batch.size=0: no batching); returns the offset each got and when it was sent (its CreateTime, to the millisecond). */
async function produce(kafka: KafkaCluster, ctx: { scope: Scope }, topic: string, count: number, rate: number, prefix = 'k'): Promise<{ offset: number; sentAt: number }[]> {
  const events = await kafka.call(ctx.scope, 'produce', { topic, count, rate, acks: 'all', prefix, 'linger.ms': 0, 'batch.size': 0 }, 120_000);
  const failed = events.filter((e) => e.e === 'err');
  if (failed.length) throw new Error(`${failed.length} writes to ${topic} failed: ${String(failed[0]!.x)}`);
  const sentAt = new Map(events.filter((e) => e.e === 'send').map((e) => [e.k, e.t]));
  return events.filter((e) => e.e === 'ack').map((e) => ({ offset: Number(e.o), sentAt: sentAt.get(e.k)! }));
}

export function judgePersistence(o: StorageObservation): ClaimResult {
  const p = o.persistence;
  const value = (name: string) => p.settings.find((x) => x.name === name)?.value;
  const persistSettings = p.settings.filter((x) => /persist/.test(x.name));
  const observed = { acknowledged: p.acknowledged, readBackAfterKill: p.readBackAfterKill, flushMessages: value('flush.messages'), flushMs: value('flush.ms'), settingsNamedPersist: persistSettings.map((x) => x.name), unflushedSegmentsRecovered: p.unflushedRecovered.length };
  const evidence: Evidence[] = [
    { kind: 'table', title: "The topic's flush settings (kafka-configs --describe --all)", columns: ['setting', 'value'], rows: p.settings.map((x) => [x.name, x.value]) },
    { kind: 'command', title: 'What the restarted broker logged about the topic', command: 'docker logs broker1 | grep unflushed', output: p.unflushedRecovered.join('\n') || '(nothing)' },
  ];
  if (!p.acknowledged) return { id: 'kafka.broker.persistence', verdict: 'unverifiable', summary: 'No record was acknowledged, so there was nothing to read back after the kill.', summaryZh: `没有任何记录得到确认，因此 kill 之后没有可读回的数据。`, observed, evidence };
  if (p.readBackAfterKill < p.acknowledged) {
    return { id: 'kafka.broker.persistence', verdict: 'nuanced', summary: `Only ${p.readBackAfterKill} of ${p.acknowledged} acknowledged records were there after the broker process was killed: an acknowledged record is not yet safe on this broker alone.`, summaryZh: `broker 进程被杀掉后，${p.acknowledged} 条已确认的记录中只剩下 ${p.readBackAfterKill} 条：仅靠这一个 broker，已确认的记录还谈不上安全。`, observed, evidence };
  }
  return {
    id: 'kafka.broker.persistence',
    verdict: 'refuted',
    summary: `There is nothing to enable: no topic setting is about persistence${persistSettings.length ? ` (only ${persistSettings.map((x) => x.name).join(', ')})` : ''}, and every partition is a log of files on disk. All ${p.acknowledged} records acknowledged by a topic on one broker were read back after that broker was SIGKILLed and restarted. What the defaults do not do is fsync each message: flush.messages=${observed.flushMessages} and flush.ms=${observed.flushMs} leave it to the operating system${p.unflushedRecovered.length ? `, and the restarted broker recovered ${p.unflushedRecovered.length} unflushed segment(s) of the topic` : ''}. A killed process loses nothing written to the page cache; a machine that loses power can, which is what replicas with acks=all and min.insync.replicas are for.`,
    summaryZh: `根本没有什么需要启用：topic 配置里没有任何一项是关于持久化的${persistSettings.length ? `（沾边的只有 ${persistSettings.map((x) => x.name).join(', ')}）` : ''}，每个分区本来就是磁盘上由文件组成的日志。一个只放在单个 broker 上的 topic，其确认过的全部 ${p.acknowledged} 条记录在该 broker 被 SIGKILL 并重启后都读了回来。默认配置不做的是对每条消息执行 fsync：flush.messages=${observed.flushMessages} 和 flush.ms=${observed.flushMs} 把刷盘交给了操作系统${p.unflushedRecovered.length ? `，重启后的 broker 恢复了该 topic 的 ${p.unflushedRecovered.length} 个未刷盘日志段` : ''}。进程被杀不会丢失已写入 page cache 的数据；机器断电则可能丢失，这正是 acks=all 加 min.insync.replicas 的多副本机制要解决的问题。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'kafka-storage',
  title: 'A Kafka partition on disk: segments, rolling, the bytes of a record batch, retention by time and size',
  topic: 'kafka',
  claims: ['kafka.log.segment-files', 'kafka.segment.roll', 'kafka.log.message-format', 'kafka.retention.time', 'kafka.retention.size', 'kafka.broker.persistence'],
  requires: ['docker'],
  timeLimitMs: 180_000,
  handout: {
    starts: "The run's three-broker Kafka cluster; topics pinned to broker1 with small segments and retention scaled to seconds.",
    does: 'Writes 300 records one batch each; two records further apart than segment.ms; records into a topic with retention.ms=6000, watching its directory; 400 records into two partitions with retention.bytes=3072; 200 records on broker1 alone, then SIGKILLs broker1 and starts it again.',
    observes: "The partition directories, kafka-dump-log's batches, the first batch's bytes decoded and its CRC recomputed, the records read back after the kill, the flush settings and the broker's recovery log.",
    zh: {
      title: 'Kafka 分区在磁盘上的样子：日志段、段滚动、record batch 的字节布局、按时间和大小保留',
      starts: '本次运行的三 broker Kafka 集群；固定在 broker1 上的若干 topic，日志段很小，保留时间缩短到秒级。',
      does: '写入 300 条记录，每条单独成一个 batch；写入两条间隔超过 segment.ms 的记录；向 retention.ms=6000 的 topic 写入记录并监视其目录；向 retention.bytes=3072 的两个分区写入 400 条记录；只在 broker1 上写入 200 条记录，然后 SIGKILL broker1 并重新启动。',
      observes: '分区目录、kafka-dump-log 列出的 batch、第一个 batch 的字节解码及重新计算的 CRC、kill 之后读回的记录、flush 相关配置，以及 broker 的恢复日志。',
    },
  },
  needs: { shared: { kafka: kafkaCluster } },
  async run(ctx) {
    const kafka = ctx.shared.kafka;
    const broker = kafka.brokers.broker1;
    ctx.environment.kafka = kafka.version;
    ctx.environment['kafka cluster id'] = kafka.clusterId;
    ctx.environment['log.retention.check.interval.ms'] = CLUSTER_SETTINGS['log.retention.check.interval.ms'];
    const topic = (name: string) => `${name}-${ctx.runId}`;
    const onBroker1 = (partitions: number) => Array.from({ length: partitions }, () => String(kafka.nodeId('broker1'))).join(',');

    ctx.step('segments: 300 records of one batch each');
    const segments = topic('segments');
    await kafka.createTopic(segments, { partitions: 1, replicaAssignment: onBroker1(1), config: { 'internal.segment.bytes': String(SEGMENT_BYTES) } });
    await produce(kafka, ctx, segments, 300, 400);
    const files = await listDir(broker, `${DATA}/${segments}-0`);
    const batches: Record<string, DumpedBatch[]> = {};
    for (const log of logFiles(files)) batches[log.file] = await dump(broker, `${DATA}/${segments}-0/${log.file}`);
    const firstBatch = batches['00000000000000000000.log']![0]!;
    const head = (await broker.exec(['sh', '-c', `head -c ${firstBatch.size} ${DATA}/${segments}-0/00000000000000000000.log | base64 -w0`])).stdout;
    const decoded = decodeFirstBatch(Buffer.from(head, 'base64'));

    ctx.step(`rolling by age: segment.ms=${SEGMENT_MS}`);
    const aged = topic('aged');
    await kafka.createTopic(aged, { partitions: 1, replicaAssignment: onBroker1(1), config: { 'segment.ms': String(SEGMENT_MS) } });
    await produce(kafka, ctx, aged, 1, 0, 'first');
    const pauseMs = SEGMENT_MS * 2.5;
    await sleep(pauseMs);
    await produce(kafka, ctx, aged, 1, 0, 'second');
    const agedLogs = logFiles(await listDir(broker, `${DATA}/${aged}-0`)).map((f) => f.file);

    ctx.step(`retention by time: retention.ms=${RETENTION_MS}`);
    const timed = topic('timed');
    await kafka.createTopic(timed, { partitions: 1, replicaAssignment: onBroker1(1), config: { 'internal.segment.bytes': String(SMALL_SEGMENT), 'retention.ms': String(RETENTION_MS) } });
    const records = await produce(kafka, ctx, timed, 60, 30);
    const dir = `${DATA}/${timed}-0`;
    // Which records each segment holds comes from the offsets in the directory listing; their times from the
    // producer (reading the segments with kafka-dump-log instead would race the retention it is watching).
    const bases = logFiles(await listDir(broker, dir)).map((l) => baseOffsetOf(l.file));
    const retained = bases
      .map((base, i) => {
        const inside = records.filter((r) => r.offset >= base && r.offset < (bases[i + 1] ?? Infinity));
        return { baseOffset: base, newestRecordAt: Math.max(...inside.map((r) => r.sentAt)), oldestRecordAt: Math.min(...inside.map((r) => r.sentAt)), goneAt: null as number | null, renamedDeleted: false, records: inside.length };
      })
      .filter((s) => s.records > 0);
    ctx.timeline.note(`${timed}: ${retained.length} segments written`);
    const watchUntil = Date.now() + RETENTION_MS + 12_000;
    while (Date.now() < watchUntil && retained.slice(0, -1).some((s) => s.goneAt === null)) {
      const now = await listDir(broker, dir);
      const at = Date.now();
      for (const s of retained) {
        const name = `${String(s.baseOffset).padStart(20, '0')}.log`;
        if (now.some((f) => f.file === `${name}.deleted`)) s.renamedDeleted = true;
        if (s.goneAt === null && !now.some((f) => f.file === name)) s.goneAt = at;
      }
      await sleep(100);
    }

    ctx.step(`retention by size: retention.bytes=${RETENTION_BYTES}, two partitions`);
    const sized = topic('sized');
    await kafka.createTopic(sized, { partitions: 2, replicaAssignment: onBroker1(2), config: { 'internal.segment.bytes': String(SMALL_SEGMENT), 'retention.bytes': String(RETENTION_BYTES) } });
    await produce(kafka, ctx, sized, 400, 400);
    await sleep(Number(CLUSTER_SETTINGS['log.retention.check.interval.ms']) * 3);
    const partitions = await Promise.all(
      [0, 1].map(async (partition) => {
        const logs = logFiles(await listDir(broker, `${DATA}/${sized}-${partition}`));
        return { partition, logBytes: logs.reduce((a, l) => a + l.size, 0), segments: logs.length };
      }),
    );
    const offsets = (await kafka.tool('kafka-get-offsets', ['--bootstrap-server', kafka.bootstrap, '--topic', sized])).stdout;
    const batchBytes = batches['00000000000000000000.log']?.[0]?.size ?? 0;

    ctx.step('persistence: a topic on broker1 alone, then broker1 killed');
    const persisted = topic('persisted');
    await kafka.createTopic(persisted, { partitions: 1, replicaAssignment: onBroker1(1) });
    const acknowledged = (await produce(kafka, ctx, persisted, 200, 0)).length;
    const configs = await kafka.tool('kafka-configs', ['--bootstrap-server', kafka.bootstrap, '--describe', '--all', '--entity-type', 'topics', '--entity-name', persisted]);
    if (configs.exitCode !== 0) throw new Error(`kafka-configs --describe ${persisted}: ${(configs.stderr || configs.stdout).trim().split('\n')[0]}`);
    const settings = parseConfigs(configs.stdout).filter((c) => /^flush\.|persist/.test(c.name));
    const kill = await ctx.faults.inject({ kind: 'kill', target: 'broker1' });
    const logLinesBefore = (await broker.logs()).split('\n').length;
    await kill.heal();
    await kafka.waitHealthy(90_000);
    const dumped = await kafka.call(ctx.scope, 'dump', { topic: persisted, 'timeout-ms': 30_000 }, 60_000);
    if (!dumped.find((e) => e.e === 'end')?.complete) throw new Error(`could not read ${persisted} to its end after the restart`);
    const readBackAfterKill = new Set(dumped.filter((e) => e.e === 'rec').map((e) => e.k)).size;
    const unflushedRecovered = (await broker.logs()).split('\n').slice(logLinesBefore).filter((l) => /unflushed/i.test(l) && l.includes(persisted));

    const observation: StorageObservation = {
      segmentBytes: SEGMENT_BYTES,
      files,
      batches,
      timeRoll: { segmentMs: SEGMENT_MS, pauseMs, records: 2, logFiles: agedLogs },
      firstBatch: { ...decoded, dumped: firstBatch },
      retentionTime: { retentionMs: RETENTION_MS, checkIntervalMs: Number(CLUSTER_SETTINGS['log.retention.check.interval.ms']), segments: retained },
      retentionSize: { retentionBytes: RETENTION_BYTES, segmentBytes: SMALL_SEGMENT, partitions, records: 400, batchBytes },
      persistence: { acknowledged, readBackAfterKill, settings, unflushedRecovered },
    };
    ctx.environment['end offsets of the size-limited topic'] = offsets.trim().replace(/\n/g, '; ');
    return [withEvidence(judgeSegmentFiles(observation), ...keptJson(ctx, 'storage-observation.json', observation, 'everything observed (JSON)')), judgeSegmentRoll(observation), judgeMessageFormat(observation), judgeRetentionTime(observation), judgeRetentionSize(observation), judgePersistence(observation)];
  },
});
