/**
 * RocketMQ's store read from its bytes (big-endian throughout): a commit-log record, a consume-queue
 * entry and an index file's header, slots and entries, laid out as the broker (5.x) writes them.
 */
import { javaHashCode } from './java-hash.ts';

export const MESSAGE_MAGIC = [0xdaa320a7, 0xdaa320ab];
export const BLANK_MAGIC = 0xcbd43194;

export interface CommitLogRecord {
  totalSize: number;
  magic: number;
  bodyCrc: number;
  queueId: number;
  queueOffset: number;
  physicalOffset: number;
  storeTimestamp: number;
  bodyLength: number;
  topic: string;
  properties: Record<string, string>;
}

/** Decodes the commit-log record at the start of `bytes` (IPv4 born and store hosts, or IPv6 when the system flag says so). */
export function decodeCommitLogRecord(bytes: Uint8Array): CommitLogRecord {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint32(4);
  const sysFlag = v.getInt32(36);
  let at = 40 + 8; // bornTimestamp
  at += sysFlag & 0x10 ? 20 : 8; // bornHost
  const storeTimestamp = Number(v.getBigInt64(at));
  at += 8;
  at += sysFlag & 0x20 ? 20 : 8; // storeHost
  at += 4 + 8; // reconsumeTimes, preparedTransactionOffset
  const bodyLength = v.getInt32(at);
  at += 4 + bodyLength;
  const topicLength = magic === MESSAGE_MAGIC[1] ? v.getUint16(at) : v.getUint8(at);
  at += magic === MESSAGE_MAGIC[1] ? 2 : 1;
  const topic = Buffer.from(bytes.subarray(at, at + topicLength)).toString('utf8');
  at += topicLength;
  const propertiesLength = v.getUint16(at);
  at += 2;
  const properties = Object.fromEntries(
    Buffer.from(bytes.subarray(at, at + propertiesLength))
      .toString('utf8')
      .split('\x02')
      .filter(Boolean)
      .map((kv) => kv.split('\x01') as [string, string]),
  );
  return { totalSize: v.getInt32(0), magic, bodyCrc: v.getInt32(8), queueId: v.getInt32(12), queueOffset: Number(v.getBigInt64(20)), physicalOffset: Number(v.getBigInt64(28)), storeTimestamp, bodyLength, topic, properties };
}

export interface ConsumeQueueEntry {
  commitLogOffset: number;
  size: number;
  tagHash: number;
}

export function decodeConsumeQueueEntry(bytes: Uint8Array): ConsumeQueueEntry {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { commitLogOffset: Number(v.getBigInt64(0)), size: v.getInt32(8), tagHash: Number(v.getBigInt64(12)) };
}

export interface IndexHeader {
  beginTimestamp: number;
  endTimestamp: number;
  beginPhyOffset: number;
  endPhyOffset: number;
  hashSlotCount: number;
  indexCount: number;
}

export interface IndexEntry {
  number: number;
  keyHash: number;
  phyOffset: number;
  timeDiffSeconds: number;
  prevIndex: number;
}

export function decodeIndexHeader(bytes: Uint8Array): IndexHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { beginTimestamp: Number(v.getBigInt64(0)), endTimestamp: Number(v.getBigInt64(8)), beginPhyOffset: Number(v.getBigInt64(16)), endPhyOffset: Number(v.getBigInt64(24)), hashSlotCount: v.getInt32(32), indexCount: v.getInt32(36) };
}

/** The index's key hash: the absolute value of hashCode("topic#key") (Math.abs, whose minimum value stays negative: the broker then uses 0). */
export function indexKeyHash(topic: string, key: string): number {
  const hash = Math.abs(javaHashCode(`${topic}#${key}`));
  return hash < 0 ? 0 : hash;
}

/**
 * Follows a key through an index file: its slot (hash % slots) holds the newest entry number for
 * that slot; each entry links to the previous one. Returns every entry of the chain whose hash is the key's.
 */
export function lookUpKey(file: Uint8Array, slots: number, topic: string, key: string): { slot: number; chain: IndexEntry[]; matches: IndexEntry[] } {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const hash = indexKeyHash(topic, key);
  const slot = hash % slots;
  const chain: IndexEntry[] = [];
  let number = v.getInt32(40 + slot * 4);
  for (let guard = 0; number > 0 && guard < 10_000; guard++) {
    const at = 40 + slots * 4 + number * 20;
    const entry = { number, keyHash: v.getInt32(at), phyOffset: Number(v.getBigInt64(at + 4)), timeDiffSeconds: v.getInt32(at + 12), prevIndex: v.getInt32(at + 16) };
    chain.push(entry);
    number = entry.prevIndex;
  }
  return { slot, chain, matches: chain.filter((e) => e.keyHash === hash) };
}
