/**
 * Lab: RocketMQ's store on disk: the commit log every message goes to, the consume queues that
 * index it per queue, and the index files that find a message by key.
 *
 * Starts: a RocketMQ 5.5 name server and broker (commit-log files of 1 MiB instead of the default
 * 1 GiB, so that several appear; consume-queue files of 100 entries), and a client container.
 *
 * Does: sends 2000 messages of 500 bytes, each with a key and the tag TagA, to a topic of 4 queues;
 * asks for one message by its key; starts a second broker with no configuration at all in the client
 * container, only until it has printed its configuration, to read RocketMQ's default file size.
 *
 * Observes: the store's directories (file names and sizes); every 50th consume-queue entry of each
 * queue followed into the commit log, both read from their bytes; the index file's header and the
 * key's hash-slot chain; the broker's own answer to the query by key; mappedFileSizeCommitLog as the
 * lab's broker and the unconfigured one printed it at start-up.
 */
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { javaHashCode } from '../../src/observers/java-hash.ts';
import { decodeCommitLogRecord, decodeConsumeQueueEntry, decodeIndexHeader, lookUpKey, type CommitLogRecord, type ConsumeQueueEntry, type IndexEntry, type IndexHeader } from '../../src/observers/rocketmq-store.ts';
import type { Container } from '../../src/resources/container.ts';

const STORE = '/var/lib/rocketmq/store';
const COMMIT_LOG_FILE = 1_048_576;
const QUEUE_FILE = 2000;
const HASH_SLOTS = 100;
const TOPIC = 'LabTopic';
const MESSAGES = 2000;
const KEY = 'key-1999';
/** Where rocketmq-node has the broker log ($ROCKETMQ_LOG_DIR/broker.log). */
const BROKER_LOG_DIR = '/var/lib/rocketmq/logs';
/**
 * A broker with RocketMQ's defaults only: BrokerStartup without a configuration file, with rocketmq-node's JVM options and log
 * configuration, its home and log in /tmp/defaults. It prints its configuration to the log while it starts; it is killed once that
 * line is there (or after 30 s, or when it exits), and the line is printed.
 */
const DEFAULT_BROKER_PROBE = [
  'd=/tmp/defaults; mkdir -p $d',
  "java -cp '/opt/rocketmq/libs/*' -Duser.home=$d -Drocketmq.home.dir=/opt/rocketmq -Drmq.logback.configurationFile=/opt/rocketmq/conf/server-logback.xml -Drmq.log.name=broker -Drmq.log.dir=$d -XX:SharedArchiveFile=/opt/rocketmq/rocketmq.jsa -Xshare:auto -Xlog:cds=off -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 org.apache.rocketmq.broker.BrokerStartup > $d/stdout 2>&1 &",
  'pid=$!',
  "for _ in $(seq 300); do grep -q -E ' - mappedFileSizeCommitLog=[0-9]+$' $d/broker.log 2>/dev/null && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done",
  'kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null',
  "grep -m1 -E ' - mappedFileSizeCommitLog=[0-9]+$' $d/broker.log || true",
].join('\n');

export interface StoreFile {
  name: string;
  size: number;
}

export interface StoreObservation {
  /** mappedFileSizeCommitLog as this lab sets it for its broker (an input: small, so that several files roll). */
  commitLogFileSize: number;
  /**
   * mappedFileSizeCommitLog as brokers printed it at start-up (the "mappedFileSizeCommitLog=…" line of their log): `inEffect` by the
   * lab's broker (the value it ran with), `byDefault` by a broker started in the client container with no configuration at all
   * (RocketMQ's own default), stopped as soon as it had printed it; null when the line was not found. Absent in captures made before
   * the lab read them.
   */
  commitLogFileSizePrinted?: { inEffect: number | null; byDefault: number | null };
  commitLog: StoreFile[];
  /** queue id → its consume-queue files */
  queues: Record<string, StoreFile[]>;
  /** Sampled consume-queue entries, each with the commit-log record it points at. */
  followed: { queueId: number; index: number; entry: ConsumeQueueEntry; record: CommitLogRecord }[];
  sent: { queueId: number; queueOffset: number; commitLogOffset: number; key: string }[];
  index: { files: StoreFile[]; header: IndexHeader; slots: number; key: string; slot: number; chain: IndexEntry[]; matches: IndexEntry[] } | null;
  queryByKey: { found: number; commitLogOffsets: number[] };
}

const twentyDigits = (f: StoreFile) => /^\d{20}$/.test(f.name);
const ONE_GIB = 1024 ** 3;
/** Whether the files, in order, start at 0, size, 2 × size, …: named by the offset each begins at. */
const namedByStartOffset = (names: string[], size: number) =>
  names
    .map(Number)
    .sort((a, b) => a - b)
    .every((n, i) => n === i * size);

export function judgeCommitLog(o: StoreObservation): ClaimResult {
  const id = 'rocketmq.store.commitlog';
  const files = o.commitLog.filter(twentyDigits).sort((a, b) => Number(a.name) - Number(b.name));
  const namedByOffset = namedByStartOffset(files.map((f) => f.name), o.commitLogFileSize);
  const fullSize = files.every((f) => f.size === o.commitLogFileSize);
  const queuesInFirstFile = new Set(o.sent.filter((s) => s.commitLogOffset < o.commitLogFileSize).map((s) => s.queueId)).size;
  // Sent one at a time, each waiting for its answer: appended, each message's offset is above the one sent before it.
  const appended = o.sent.every((s, i) => i === 0 || s.commitLogOffset > o.sent[i - 1]!.commitLogOffset);
  const interleaved = o.sent.slice(0, 50).map((s) => s.queueId);
  const printed = o.commitLogFileSizePrinted;
  const observed = { files: files.map((f) => `${f.name} (${f.size} bytes)`), namedByStartOffset: namedByOffset, everyFileFullSize: fullSize, queuesSharingTheFirstFile: queuesInFirstFile, queueOfTheFirstMessages: interleaved.slice(0, 12), appendedInSendOrder: appended, fileSizeSetByTheLab: o.commitLogFileSize, fileSizePrintedByTheLabsBroker: printed?.inEffect ?? null, defaultFileSizePrintedByAnUnconfiguredBroker: printed?.byDefault ?? null };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'store/commitlog', columns: ['file', 'bytes', 'start offset / file size'], rows: files.map((f) => [f.name, f.size, Number(f.name) / o.commitLogFileSize]) },
    { kind: 'choices', title: 'The queue of each of the first 50 messages, in commit-log order', choices: interleaved.map((q) => `queue ${q}`) },
    ...(printed ? [{ kind: 'table' as const, title: 'mappedFileSizeCommitLog: set by the lab, and as brokers printed it at start-up', columns: ['', 'mappedFileSizeCommitLog'], rows: [['set by this lab (ROCKETMQ_CFG_mappedFileSizeCommitLog)', o.commitLogFileSize], ["printed by the lab's broker (its log)", printed.inEffect ?? '(not found)'], ['printed by a broker started with no configuration (RocketMQ\'s default)', printed.byDefault ?? '(not found)']] as (string | number)[][] }] : []),
  ];
  if (namedByOffset && files.length < 2) return notObserved(id, { en: `The store held ${files.length} commit-log file${files.length === 1 ? '' : 's'}: at least two are needed to see the log roll from one file to the next.`, zh: `存储目录中只有 ${files.length} 个 commit-log 文件：至少需要两个，才能看到日志从一个文件滚动到下一个。` }, observed);
  if (namedByOffset && !o.sent.length) return notObserved(id, { en: 'No sent message with its queue and commit-log offset was recorded, so it is unknown which queues share the log.', zh: '没有记录到任何已发送消息的队列和 commit-log 偏移量，无从得知哪些队列共用这个日志。' }, observed);
  if (files.length < 2 || !namedByOffset || queuesInFirstFile < 2) {
    return { id, verdict: 'refuted', summary: `The commit log is not one sequence of files named by start offset and shared by the queues: ${JSON.stringify(observed)}.`, summaryZh: `commit log 并不是一组以起始偏移量命名、由各队列共用的连续文件：${JSON.stringify(observed)}。`, observed, evidence };
  }
  if (!appended) {
    const at = o.sent.findIndex((s, i) => i > 0 && s.commitLogOffset <= o.sent[i - 1]!.commitLogOffset);
    return { id, verdict: 'refuted', summary: `Messages were not appended: sent one after the other, message ${at} (${o.sent[at]!.key}) was written at commit-log offset ${o.sent[at]!.commitLogOffset}, not above the offset ${o.sent[at - 1]!.commitLogOffset} of the message sent before it.`, summaryZh: `消息并不是追加写入的：消息是一条接一条发送的，但第 ${at} 条（${o.sent[at]!.key}）写在 commit-log 偏移量 ${o.sent[at]!.commitLogOffset}，并不高于前一条消息的偏移量 ${o.sent[at - 1]!.commitLogOffset}。`, observed, evidence };
  }
  if (!fullSize) {
    const odd = files.filter((f) => f.size !== o.commitLogFileSize);
    return { id, verdict: 'refuted', summary: `The files' size is not the setting's: with mappedFileSizeCommitLog=${o.commitLogFileSize}, ${odd.map((f) => `${f.name} is ${f.size} bytes`).join(', ')}.`, summaryZh: `文件大小并不等于该配置项：mappedFileSizeCommitLog=${o.commitLogFileSize} 时，${odd.map((f) => `${f.name} 是 ${f.size} 字节`).join('，')}。`, observed, evidence };
  }
  const shape = `One commit log for every queue of the topic (all ${queuesInFirstFile} queues' messages interleaved in the first file), the ${o.sent.length} messages appended in the order they were sent (each one's offset above the one before), in files named by their start offset in 20 digits (${files.slice(0, 3).map((f) => f.name).join(', ')}). Each file is exactly mappedFileSizeCommitLog bytes, the last one too although it is nearly empty (files are allocated whole). The files here are ${o.commitLogFileSize} bytes because this lab set mappedFileSizeCommitLog=${o.commitLogFileSize}, an input, so that several files roll${printed?.inEffect != null ? ` (its broker printed mappedFileSizeCommitLog=${printed.inEffect} at start-up)` : ''}.`;
  const shapeZh = `该 topic 的所有队列共用一个 commit log（第一个文件中交错存放着全部 ${queuesInFirstFile} 个队列的消息），${o.sent.length} 条消息按发送顺序追加写入（每条的偏移量都高于前一条），文件以起始偏移量命名，补足 20 位数字（${files.slice(0, 3).map((f) => f.name).join(', ')}）。每个文件的大小都恰好是 mappedFileSizeCommitLog 字节，最后一个文件几乎是空的，大小也一样（文件是整块预分配的）。这里的文件是 ${o.commitLogFileSize} 字节，因为本实验把 mappedFileSizeCommitLog 设成了 ${o.commitLogFileSize}（这是实验的输入，为的是让文件发生多次滚动）${printed?.inEffect != null ? `（其 broker 启动时打印的是 mappedFileSizeCommitLog=${printed.inEffect}）` : ''}。`;
  if (printed?.byDefault == null) {
    return {
      id,
      verdict: 'unverifiable',
      summary: `${shape} The sheet's 1 GiB is that setting's default, which ${printed ? 'a broker started with no configuration did not print (its start-up log had no mappedFileSizeCommitLog line)' : 'this capture did not read (no broker started with its defaults printed it)'}: the file size was not observed.`,
      summaryZh: `${shapeZh}学习资料中的 1 GiB 是这个配置项的默认值，${printed ? '而不带任何配置启动的 broker 没有打印它（启动日志中没有 mappedFileSizeCommitLog 这一行）' : '而本次记录没有读取它（没有任何以默认配置启动的 broker 打印过它）'}：文件大小没有被观察到。`,
      observed,
      evidence,
    };
  }
  if (printed.byDefault !== ONE_GIB) {
    return { id, verdict: 'refuted', summary: `${shape} But a broker started with no configuration printed mappedFileSizeCommitLog=${printed.byDefault}: by default the files are ${printed.byDefault} bytes, not 1 GiB (${ONE_GIB}).`, summaryZh: `${shapeZh}但不带任何配置启动的 broker 打印的是 mappedFileSizeCommitLog=${printed.byDefault}：默认的文件大小是 ${printed.byDefault} 字节，而不是 1 GiB（${ONE_GIB}）。`, observed, evidence };
  }
  return {
    id,
    verdict: 'confirmed',
    summary: `${shape} A broker started with no configuration printed mappedFileSizeCommitLog=${printed.byDefault}: by default each file is 1 GiB, as the sheet says.`,
    summaryZh: `${shapeZh}不带任何配置启动的 broker 打印的是 mappedFileSizeCommitLog=${printed.byDefault}：默认情况下每个文件就是 1 GiB，与学习资料一致。`,
    observed,
    evidence,
  };
}

export function judgeConsumeQueue(o: StoreObservation): ClaimResult {
  const checks = o.followed.map((f) => ({
    queueId: f.queueId,
    index: f.index,
    offsetMatches: f.record.physicalOffset === f.entry.commitLogOffset,
    sizeMatches: f.record.totalSize === f.entry.size,
    queueMatches: f.record.queueId === f.queueId && f.record.queueOffset === f.index,
    tagMatches: f.entry.tagHash === javaHashCode(f.record.properties.TAGS ?? ''),
  }));
  const good = checks.filter((c) => c.offsetMatches && c.sizeMatches && c.queueMatches && c.tagMatches).length;
  const observed = { queues: Object.keys(o.queues).length, filesPerQueue: Object.fromEntries(Object.entries(o.queues).map(([q, files]) => [q, files.map((f) => f.name)])), entriesFollowed: checks.length, entriesThatPointAtTheirMessage: good };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Consume-queue entries (20 bytes: commit-log offset, size, tag hash) followed into the commit log', columns: ['queue', 'entry', 'commit-log offset', 'size', 'tag hash', 'record there: queue / queue offset / size / key'], rows: o.followed.slice(0, 16).map((f) => [f.queueId, f.index, f.entry.commitLogOffset, f.entry.size, f.entry.tagHash, `${f.record.queueId} / ${f.record.queueOffset} / ${f.record.totalSize} / ${f.record.properties.KEYS}`]) }];
  if (!checks.length) return notObserved('rocketmq.store.consumequeue', { en: 'No consume-queue entry was followed into the commit log.', zh: '没有把任何 consume queue 条目追踪到 commit log 中。' }, observed);
  if (!checks.length || good < checks.length) return { id: 'rocketmq.store.consumequeue', verdict: 'refuted', summary: `${checks.length - good} of ${checks.length} consume-queue entries did not point at their message.`, summaryZh: `${checks.length} 个 consume queue 条目中有 ${checks.length - good} 个没有指向对应的消息。`, observed, evidence };
  return { id: 'rocketmq.store.consumequeue', verdict: 'confirmed', summary: `Each of the ${observed.queues} queues of the topic has its own consume queue (consumequeue/${TOPIC}/<queue>/, files named by byte offset); all ${checks.length} entries followed, 20 bytes each, held the commit-log offset and size of exactly that queue's message at that position, and the hash code of its tag.`, summaryZh: `该 topic 的 ${observed.queues} 个队列各有自己的 consume queue（consumequeue/${TOPIC}/<queue>/，文件按字节偏移量命名）；追踪的全部 ${checks.length} 个条目每个 20 字节，记录的正是该队列在该位置上那条消息的 commit-log 偏移量和大小，以及其 tag 的哈希值。`, observed, evidence };
}

export function judgeIndexFile(o: StoreObservation): ClaimResult {
  const expected = o.sent.find((s) => s.key === (o.index?.key ?? KEY))?.commitLogOffset;
  const viaIndex = o.index?.matches.map((m) => m.phyOffset) ?? [];
  const observed = { indexFiles: o.index?.files.map((f) => f.name) ?? [], header: o.index?.header, key: o.index?.key, slot: o.index?.slot, chainLength: o.index?.chain.length ?? 0, offsetsFoundThroughTheSlot: viaIndex, offsetTheBrokerWroteItAt: expected, queryByKey: o.queryByKey };
  const evidence: Evidence[] = o.index ? [{ kind: 'path', title: `The key "${o.index.key}" through the index: hash slot ${o.index.slot}, then the chain of entries`, hops: o.index.chain.map((e) => ({ address: `entry ${e.number}`, note: `key hash ${e.keyHash}, commit-log offset ${e.phyOffset}${e.keyHash === o.index!.matches[0]?.keyHash ? ' (this key)' : ' (another key in the same slot)'}` })) }] : [];
  if (!o.index) return { id: 'rocketmq.store.indexfile', verdict: 'unverifiable', summary: 'No index file was found in the store.', summaryZh: '存储目录中没有找到 index 文件。', observed, evidence };
  const found = expected !== undefined && viaIndex.includes(expected) && o.queryByKey.commitLogOffsets.includes(expected);
  return found
    ? { id: 'rocketmq.store.indexfile', verdict: 'confirmed', summary: `The key "${o.index.key}" hashed to slot ${o.index.slot} of ${o.index.slots}; the slot's chain of ${o.index.chain.length} entries held its commit-log offset ${expected}, where the broker had written it, and the broker's own query by key returned that message. Index files are named by the time they were created (${observed.indexFiles[0]}, …: ${observed.indexFiles.length} of them for ${o.sent.length} messages).`, summaryZh: `key “${o.index.key}” 哈希到了 slot ${o.index.slot}（共 ${o.index.slots} 个 slot）；该 slot 的链上共有 ${o.index.chain.length} 个条目，其中包含它的 commit-log 偏移量 ${expected}，正是 broker 写入它的位置；broker 自己按 key 查询返回的也是这条消息。index 文件以创建时间命名（${observed.indexFiles[0]}, …：${o.sent.length} 条消息共 ${observed.indexFiles.length} 个文件）。`, observed, evidence }
    : { id: 'rocketmq.store.indexfile', verdict: 'refuted', summary: `The key "${o.index.key}" could not be followed to its message through the index (${JSON.stringify({ expected, viaIndex, query: o.queryByKey })}).`, summaryZh: `无法通过 index 从 key “${o.index.key}” 追踪到它的消息（${JSON.stringify({ expected, viaIndex, query: o.queryByKey })}）。`, observed, evidence };
}

/** The sheet's names: the first commit-log file, the next one at 1 GiB (22 digits there), and the index files. */
const SHEET = { secondCommitLog: '0000000000001073741824', indexFiles: ['00000000000000000000', '00000000000000000001'] };

export function judgeCommitLogNames(o: StoreObservation): ClaimResult {
  const names = o.commitLog.map((f) => f.name).sort((a, b) => Number(a) - Number(b));
  const digits = [...new Set(names.map((n) => n.length))];
  const namedByOffset = names.every((n) => /^\d+$/.test(n)) && namedByStartOffset(names, o.commitLogFileSize);
  // The sheet's first name has 20 digits and the next one 22.
  const asTheSheet = names.length > 1 && names[0]!.length === 20 && names.slice(1).every((n) => n.length === SHEET.secondCommitLog.length);
  const atOneGiB = String(1073741824).padStart(digits[0] ?? 20, '0');
  const observed = { files: names, digits, namedByStartOffset: namedByOffset, sheetSecondName: SHEET.secondCommitLog, secondNameAtOneGiB: atOneGiB };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Commit-log file names: the offset each starts at, and its length', columns: ['file', 'digits', 'start offset'], rows: names.map((n) => [n, n.length, Number(n)]) }];
  if (!names.length) return { id: 'rocketmq.store.commitlog-names', verdict: 'unverifiable', summary: 'The store had no commit-log file.', summaryZh: '存储目录中没有 commit-log 文件。', observed, evidence };
  if (namedByOffset && asTheSheet) {
    return { id: 'rocketmq.store.commitlog-names', verdict: 'confirmed', summary: `Commit-log files are named by their start offset, the first in 20 digits and the later ones in 22, as the sheet writes them.`, summaryZh: `commit-log 文件以起始偏移量命名，第一个是 20 位数字，之后的是 22 位，与学习资料写的一致。`, observed, evidence };
  }
  return {
    id: 'rocketmq.store.commitlog-names',
    verdict: 'refuted',
    summary: namedByOffset
      ? `Every commit-log file is named by its start offset, but always in ${digits.join(' or ')} digits (${names.slice(0, 3).join(', ')}, …): the sheet's second name ${SHEET.secondCommitLog} has ${SHEET.secondCommitLog.length}. Padded like every name here, the file starting at 1 GiB (the default file size) would be ${atOneGiB}: the sheet padded 1073741824 to the wrong width.`
      : `The commit-log files are not named by their start offsets: ${names.slice(0, 4).join(', ')}.`,
    summaryZh: namedByOffset
      ? `每个 commit-log 文件都以起始偏移量命名，但位数始终是 ${digits.join(' 或 ')} 位（${names.slice(0, 3).join(', ')}, …）；而学习资料中的第二个文件名 ${SHEET.secondCommitLog} 有 ${SHEET.secondCommitLog.length} 位。按这里所有文件名的补齐方式，从 1 GiB（默认文件大小）开始的文件应当叫 ${atOneGiB}：学习资料把 1073741824 补零补到了错误的位数。`
      : `commit-log 文件并没有以起始偏移量命名：${names.slice(0, 4).join(', ')}。`,
    observed,
    evidence,
  };
}

/** An index file name read as RocketMQ's UtilAll.timeMillisToHumanString (yyyyMMddHHmmssSSS), when it is one. */
export function indexFileTime(name: string): string | undefined {
  const m = name.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, ms] = m.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, se!, ms!));
  return date.getUTCMonth() === mo! - 1 && date.getUTCDate() === d! && h! < 24 && mi! < 60 && se! < 60 ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}.${m[7]}` : undefined;
}

export function judgeIndexFileNames(o: StoreObservation): ClaimResult {
  const names = (o.index?.files ?? []).map((f) => f.name).sort();
  const times = names.map(indexFileTime);
  const observed = { files: names, readAsTimes: times, sheet: SHEET.indexFiles };
  const evidence: Evidence[] = [{ kind: 'table', title: 'store/index: file names', columns: ['file', 'digits', 'read as yyyyMMddHHmmssSSS'], rows: names.map((n, i) => [n, n.length, times[i] ?? 'not a time']) }];
  if (!names.length) return { id: 'rocketmq.store.indexfile-names', verdict: 'unverifiable', summary: 'The store had no index file.', summaryZh: '存储目录中没有 index 文件。', observed, evidence };
  const sequence = names.every((n, i) => /^\d{20}$/.test(n) && Number(n) === i);
  if (sequence) return { id: 'rocketmq.store.indexfile-names', verdict: 'confirmed', summary: `Index files are numbered in 20 digits from 0 (${names.join(', ')}).`, summaryZh: `index 文件从 0 开始编号，补足 20 位数字（${names.join(', ')}）。`, observed, evidence };
  const allTimes = times.every((t) => t !== undefined);
  return {
    id: 'rocketmq.store.indexfile-names',
    verdict: 'refuted',
    summary: allTimes
      ? `Index files are not numbered 00000000000000000000, 00000000000000000001, …: each is named by the moment it was created, in ${names[0]!.length} digits as yyyyMMddHHmmssSSS (${names[0]} is ${times[0]}, broker time).`
      : `Index files are named ${names.slice(0, 3).join(', ')}, not 00000000000000000000, 00000000000000000001, ….`,
    summaryZh: allTimes
      ? `index 文件并不是按 00000000000000000000、00000000000000000001、… 编号的：每个文件都以其创建时刻命名，共 ${names[0]!.length} 位，格式为 yyyyMMddHHmmssSSS（${names[0]} 即 broker 时间 ${times[0]}）。`
      : `index 文件名为 ${names.slice(0, 3).join(', ')}，而不是 00000000000000000000、00000000000000000001、…。`,
    observed,
    evidence,
  };
}

async function bytes(broker: Container, file: string, offset: number, length: number): Promise<Uint8Array> {
  const out = await broker.exec(['sh', '-c', `tail -c +${offset + 1} '${file}' | head -c ${length} | base64 -w0`]);
  return Buffer.from(out.stdout, 'base64');
}

/** The bytes at a logical offset of a store made of equal files named by their start offsets. */
const inFiles = (broker: Container, dir: string, fileSize: number, offset: number, length: number) => bytes(broker, `${dir}/${String(offset - (offset % fileSize)).padStart(20, '0')}`, offset % fileSize, length);

export default defineLab({
  id: 'rocketmq-store',
  title: "RocketMQ's store on disk: one commit log, consume queues that point into it, index files that find a key",
  topic: 'rocketmq',
  claims: ['rocketmq.store.commitlog', 'rocketmq.store.consumequeue', 'rocketmq.store.indexfile', 'rocketmq.store.commitlog-names', 'rocketmq.store.indexfile-names'],
  requires: ['docker'],
  timeLimitMs: 180_000,
  handout: {
    starts: 'A RocketMQ 5.5 name server and broker (1 MiB commit-log files, 100-entry consume-queue files) and a client container.',
    does: 'Sends 2000 messages of 500 bytes with keys and tag TagA to a topic of 4 queues; asks the broker for one by its key; starts a broker with no configuration only until it prints its settings.',
    observes: 'The store directories; every 50th consume-queue entry followed into the commit log from the bytes; the index header and the key\'s hash-slot chain; the query result; the commit-log file size the lab\'s broker and the unconfigured one printed at start-up.',
    zh: {
      title: 'RocketMQ 的磁盘存储：一个 commit log、指向它的 consume queue、按 key 查找的 index 文件',
      starts: 'RocketMQ 5.5 的 name server 和 broker（commit-log 文件 1 MiB，consume-queue 文件每个 100 个条目），以及一个客户端容器。',
      does: '向一个有 4 个队列的 topic 发送 2000 条 500 字节、带 key 且 tag 为 TagA 的消息；再按 key 向 broker 查询其中一条；另外不带任何配置启动一个 broker，只等它打印出配置项为止。',
      observes: '存储目录；每隔 50 条取一个 consume-queue 条目，从原始字节出发一路追到 commit log；index 文件头及该 key 所在 hash slot 的链；查询结果；本实验的 broker 和不带配置的 broker 启动时各自打印的 commit-log 文件大小。',
    },
  },
  needs: {
    services: {
      namesrv: { image: 'rocketmq', cmd: ['rocketmq-namesrv'], ready: { log: /Name Server boot success/ } },
      broker: {
        image: 'rocketmq',
        cmd: ['rocketmq-broker'],
        env: { ROCKETMQ_NAMESRV_ADDR: 'namesrv:9876', ROCKETMQ_CFG_mappedFileSizeCommitLog: String(COMMIT_LOG_FILE), ROCKETMQ_CFG_mappedFileSizeConsumeQueue: String(QUEUE_FILE), ROCKETMQ_CFG_maxHashSlotNum: String(HASH_SLOTS) },
        // "boot success" comes before clients can find it: wait for its first registration with the name server.
        ready: { log: /Registering current broker to name server completed/ },
        readyTimeoutMs: 60_000,
      },
      client: { image: 'rocketmq', cmd: ['sleep', 'infinity'] },
    },
  },
  async run(ctx) {
    const { broker, client } = ctx.services;
    const call = async (args: string[]) => {
      const out = await client.exec(['rocketmq-lab-client', ...args, 'namesrv=namesrv:9876']);
      return out.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    ctx.step(`${MESSAGES} messages to ${TOPIC}`);
    const sent = (await call(['produce', `topic=${TOPIC}`, `count=${MESSAGES}`, 'prefix=key-', 'size=500', 'tag=TagA'])).filter((e) => e.e === 'sent');
    if (sent.length !== MESSAGES) throw new Error(`only ${sent.length} of ${MESSAGES} messages were sent`);
    ctx.environment.rocketmq = (await broker.exec(['sh', '-c', 'ls /opt/rocketmq/libs | grep -m1 "^rocketmq-broker"'])).stdout.trim();

    ctx.step('reading the store');
    const commitLog = await broker.files(`${STORE}/commitlog`);
    const queueIds = (await broker.exec(['ls', `${STORE}/consumequeue/${TOPIC}`])).stdout.split('\n').filter(Boolean);
    const queues = Object.fromEntries(await Promise.all(queueIds.map(async (q) => [q, await broker.files(`${STORE}/consumequeue/${TOPIC}/${q}`)] as const)));
    const followed: StoreObservation['followed'] = [];
    for (const q of queueIds) {
      const entries = Math.max(...queues[q]!.map((f) => Number(f.name) + f.size)) / 20;
      for (let index = 0; index < entries; index += 50) {
        const entry = decodeConsumeQueueEntry(await inFiles(broker, `${STORE}/consumequeue/${TOPIC}/${q}`, QUEUE_FILE, index * 20, 20));
        if (entry.size <= 0) continue;
        const record = decodeCommitLogRecord(await inFiles(broker, `${STORE}/commitlog`, COMMIT_LOG_FILE, entry.commitLogOffset, entry.size));
        followed.push({ queueId: Number(q), index, entry, record });
      }
    }

    ctx.step(`the key ${KEY} through the index`);
    const indexFiles = (await broker.files(`${STORE}/index`)).sort((a, b) => a.name.localeCompare(b.name));
    let index: StoreObservation['index'] = null;
    for (const file of indexFiles) {
      const whole = await bytes(broker, `${STORE}/index/${file.name}`, 0, file.size);
      const found = lookUpKey(whole, HASH_SLOTS, TOPIC, KEY);
      if (found.matches.length || file === indexFiles.at(-1)) index = { files: indexFiles, header: decodeIndexHeader(whole), slots: HASH_SLOTS, key: KEY, ...found };
      if (found.matches.length) break;
    }
    const query = await call(['query-key', `topic=${TOPIC}`, `key=${KEY}`]);
    const hits = query.filter((e) => e.e === 'msg');

    ctx.step('mappedFileSizeCommitLog: as the broker ran with it, and as RocketMQ sets it by default');
    // A broker prints its whole store configuration to its log as it starts ("… RocketmqBroker - mappedFileSizeCommitLog=…").
    const sizeLine = / - mappedFileSizeCommitLog=(\d+)$/m;
    const printedSize = (log: string) => {
      const m = sizeLine.exec(log);
      return m ? Number(m[1]) : null;
    };
    const inEffect = printedSize((await broker.exec(['sh', '-c', `cat ${BROKER_LOG_DIR}/broker*.log 2>/dev/null | grep -m1 -E ' - mappedFileSizeCommitLog=[0-9]+$' || true`])).stdout);
    // RocketMQ's own default: BrokerStartup run with no -c (no configuration file: rocketmq-node would write one with the image's
    // small files) in the client container, killed as soon as its log has the line (about 1.5 s).
    const byDefault = printedSize((await client.exec(['sh', '-c', DEFAULT_BROKER_PROBE])).stdout);

    const observation: StoreObservation = {
      commitLogFileSize: COMMIT_LOG_FILE,
      commitLogFileSizePrinted: { inEffect, byDefault },
      commitLog,
      queues,
      followed,
      sent: sent.map((e) => ({ queueId: Number(e.queueId), queueOffset: Number(e.queueOffset), commitLogOffset: Number(e.commitLogOffset), key: String(e.k) })),
      index,
      queryByKey: { found: hits.length, commitLogOffsets: hits.map((e) => Number(e.commitLogOffset)) },
    };
    return [withEvidence(judgeCommitLog(observation), ...keptJson(ctx, 'store-observation.json', observation, 'everything observed (JSON)')), judgeConsumeQueue(observation), judgeIndexFile(observation), judgeCommitLogNames(observation), judgeIndexFileNames(observation)];
  },
});
