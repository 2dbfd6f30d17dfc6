/**
 * Kafka's log on disk: the record batches that kafka-dump-log (Kafka's own DumpLogSegments) prints,
 * and the bytes of one batch decoded field by field (format v2, "magic 2", as the broker wrote it),
 * so that the two can be checked against each other and against the sheet's drawing.
 */

export interface DumpedBatch {
  baseOffset: number;
  lastOffset: number;
  count: number;
  position: number;
  createTime: number;
  size: number;
  magic: number;
  crc: number;
  isValid: boolean;
}

/** Parses `kafka-dump-log --files F` output: one line per batch ("baseOffset: 0 lastOffset: 0 count: 1 … crc: 123 isvalid: true"). */
export function parseDumpLog(output: string): DumpedBatch[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('baseOffset:'))
    .map((line) => {
      const field = (name: string) => line.match(new RegExp(`(?:^|\\s)${name}: (\\S+)`))?.[1];
      return {
        baseOffset: Number(field('baseOffset')),
        lastOffset: Number(field('lastOffset')),
        count: Number(field('count')),
        position: Number(field('position')),
        createTime: Number(field('CreateTime')),
        size: Number(field('size')),
        magic: Number(field('magic')),
        crc: Number(field('crc')),
        isValid: field('isvalid') === 'true',
      };
    });
}

export interface Field {
  name: string;
  offset: number;
  length: number;
  hex: string;
  value: string;
}

/** Reads a zig-zag varint (the record fields of format v2); returns the value and its length in bytes. */
export function readVarint(bytes: Uint8Array, at: number): { value: number; length: number } {
  let raw = 0;
  let shift = 0;
  let length = 0;
  for (;;) {
    const byte = bytes[at + length]!;
    raw += (byte & 0x7f) * 2 ** shift;
    length++;
    if (!(byte & 0x80)) break;
    shift += 7;
  }
  return { value: raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, length };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').replace(/(..)/g, '$1 ').trim();

/** CRC-32C (Castagnoli), which format v2 uses over a batch from its attributes to its end. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The first record batch of a log file, every header field and its first record's fields, with where each lies. */
export function decodeFirstBatch(log: Uint8Array): { fields: Field[]; crcOverBatch: number; batchEnd: number } {
  const view = new DataView(log.buffer, log.byteOffset, log.byteLength);
  const fields: Field[] = [];
  let at = 0;
  const fixed = (name: string, length: number, read: () => string) => {
    fields.push({ name, offset: at, length, hex: hex(log.subarray(at, at + length)), value: read() });
    at += length;
  };
  const varint = (name: string) => {
    const { value, length } = readVarint(log, at);
    fields.push({ name, offset: at, length, hex: hex(log.subarray(at, at + length)), value: String(value) });
    at += length;
    return value;
  };
  const bytes = (name: string, length: number) => {
    if (length < 0) return;
    fields.push({ name, offset: at, length, hex: hex(log.subarray(at, at + Math.min(length, 16))), value: Buffer.from(log.subarray(at, at + length)).toString('utf8') });
    at += length;
  };
  fixed('baseOffset (int64)', 8, () => String(view.getBigInt64(at)));
  const batchLength = view.getInt32(at);
  fixed('batchLength (int32)', 4, () => String(batchLength));
  const batchEnd = at + batchLength;
  fixed('partitionLeaderEpoch (int32)', 4, () => String(view.getInt32(at)));
  fixed('magic (int8)', 1, () => String(view.getInt8(at)));
  fixed('crc (uint32, CRC-32C)', 4, () => String(view.getUint32(at)));
  const crcOverBatch = crc32c(log.subarray(at, batchEnd));
  fixed('attributes (int16)', 2, () => `0x${view.getUint16(at).toString(16).padStart(4, '0')}`);
  fixed('lastOffsetDelta (int32)', 4, () => String(view.getInt32(at)));
  fixed('baseTimestamp (int64)', 8, () => String(view.getBigInt64(at)));
  fixed('maxTimestamp (int64)', 8, () => String(view.getBigInt64(at)));
  fixed('producerId (int64)', 8, () => String(view.getBigInt64(at)));
  fixed('producerEpoch (int16)', 2, () => String(view.getInt16(at)));
  fixed('baseSequence (int32)', 4, () => String(view.getInt32(at)));
  fixed('records count (int32)', 4, () => String(view.getInt32(at)));
  varint('record length (varint)');
  fixed('record attributes (int8)', 1, () => String(view.getInt8(at)));
  varint('timestampDelta (varint)');
  varint('offsetDelta (varint)');
  bytes('key', varint('keyLength (varint)'));
  bytes('value', varint('valueLength (varint)'));
  varint('headers count (varint)');
  return { fields, crcOverBatch, batchEnd };
}
