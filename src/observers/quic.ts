/**
 * QUIC packets as tshark decodes them (`-T json -x`, decrypted with a TLS key log where there is one):
 * one record per QUIC packet (a datagram may coalesce several), with each header field's value and,
 * from tshark's raw field positions, where it sits and how many bytes it takes on the wire.
 */
import { exec } from '../resources/process.ts';

export type QuicPacketType = 'Initial' | '0-RTT' | 'Handshake' | 'Retry' | '1-RTT';
const LONG_TYPES: QuicPacketType[] = ['Initial', '0-RTT', 'Handshake', 'Retry'];

/** RFC 9000 §19 frame types (and RFC 9221's DATAGRAM). */
export function frameName(type: number): string {
  if (type >= 0x08 && type <= 0x0f) return 'STREAM';
  const names: Record<number, string> = {
    0x00: 'PADDING', 0x01: 'PING', 0x02: 'ACK', 0x03: 'ACK', 0x04: 'RESET_STREAM', 0x05: 'STOP_SENDING', 0x06: 'CRYPTO', 0x07: 'NEW_TOKEN',
    0x10: 'MAX_DATA', 0x11: 'MAX_STREAM_DATA', 0x12: 'MAX_STREAMS', 0x13: 'MAX_STREAMS', 0x14: 'DATA_BLOCKED', 0x15: 'STREAM_DATA_BLOCKED',
    0x16: 'STREAMS_BLOCKED', 0x17: 'STREAMS_BLOCKED', 0x18: 'NEW_CONNECTION_ID', 0x19: 'RETIRE_CONNECTION_ID', 0x1a: 'PATH_CHALLENGE',
    0x1b: 'PATH_RESPONSE', 0x1c: 'CONNECTION_CLOSE', 0x1d: 'CONNECTION_CLOSE', 0x1e: 'HANDSHAKE_DONE', 0x30: 'DATAGRAM', 0x31: 'DATAGRAM',
  };
  return names[type] ?? `0x${type.toString(16)}`;
}

/** TLS 1.3 handshake message types (RFC 8446 §4). */
export const TLS_MESSAGES: Record<string, string> = {
  '1': 'ClientHello', '2': 'ServerHello', '4': 'NewSessionTicket', '5': 'EndOfEarlyData', '8': 'EncryptedExtensions',
  '11': 'Certificate', '13': 'CertificateRequest', '15': 'CertificateVerify', '20': 'Finished', '24': 'KeyUpdate',
};

export interface QuicFrame {
  type: string;
  stream?: number;
  offset?: number;
  length?: number;
  /** ACK frames: the largest packet number acknowledged, and how many more ranges follow the first (each after a gap). */
  largestAcknowledged?: number;
  ackRanges?: number;
  /** ACK frames: how many packet numbers below the largest acknowledged the first range also acknowledges. */
  firstAckRange?: number;
  /** The ClientHello or ServerHello this frame completes (CRYPTO frames): what tshark read of it. */
  hello?: TlsHello;
  /** TLS handshake messages this frame completes (CRYPTO frames), by name. */
  tls: string[];
  /** TLS extension types in the handshake messages this frame completes (41 pre_shared_key, 42 early_data, 57 quic_transport_parameters, …). */
  tlsExtensions: number[];
  /** QUIC transport parameters named in a ClientHello or EncryptedExtensions this frame completes. */
  transportParameters: string[];
}

/** A ClientHello or ServerHello as tshark decodes it. */
export interface TlsHello {
  message: 'ClientHello' | 'ServerHello';
  /** The 32-byte random, in tshark's colon-separated hex. */
  random: string;
  /** Cipher suites offered (ClientHello) or the one chosen (ServerHello), as hex ("0x1301"). */
  cipherSuites: string[];
  /** The TLS versions in the supported_versions extension (offered, or the one chosen), as hex ("0x0304"). */
  supportedVersions: string[];
  /** The session_ticket extension's length in bytes, where the hello has one. */
  sessionTicketBytes?: number;
}

/** A header field as it sits on the wire: value, bytes in hex, byte offset from the packet's first byte, size in bytes. */
export interface WireField {
  value: string;
  hex: string;
  offset: number;
  bytes: number;
}

export interface QuicPacket {
  datagram: number;
  timeMs: number;
  src: string;
  srcPort: number;
  dstPort: number;
  form: 'long' | 'short';
  type: QuicPacketType;
  /** The whole packet's size in bytes (header and protected payload). */
  packetBytes: number;
  /** The header's first byte as sent (its low bits are header-protected on the wire). */
  firstByteOnWire: number;
  /** The first byte's fields as tshark decodes them (after removing header protection where it could). */
  bits: Record<string, number>;
  /** Long-header fields in the order they sit on the wire. */
  fields: Record<string, WireField>;
  version?: string;
  dcid: string;
  scid?: string;
  tokenLength?: number;
  /** The Length field's value, and how many bytes its variable-length encoding took. */
  length?: number;
  lengthBytes?: number;
  /** Undefined where the packet could not be decrypted. */
  packetNumber?: number;
  packetNumberBytes?: number;
  decrypted: boolean;
  frames: QuicFrame[];
}

type Json = Record<string, unknown>;
type Raw = [string, number, number, number, number];

const list = <T>(value: unknown): T[] => (value === undefined ? [] : Array.isArray(value) ? (value as T[]) : [value as T]);
const str = (o: Json, key: string): string | undefined => (typeof o[key] === 'string' ? (o[key] as string) : undefined);
const num = (o: Json, key: string): number | undefined => (str(o, key) === undefined ? undefined : Number(str(o, key)));

/** Bytes in tshark's colon-separated hex ("0a:1b:…"). */
const hexBytes = (hex: string | undefined): number => (hex ? (hex.length + 1) / 3 : 0);

/** Every value of a field anywhere below `o` (tshark nests TLS extensions and parameters in named subtrees). */
function deepValues(o: unknown, key: string): string[] {
  if (Array.isArray(o)) return o.flatMap((v) => deepValues(v, key));
  if (!o || typeof o !== 'object') return [];
  return Object.entries(o as Json).flatMap(([k, v]) => (k === key ? list<string>(v).filter((x) => typeof x === 'string') : deepValues(v, key)));
}

/** The ClientHello or ServerHello below `o`, where one is (tshark nests it in the CRYPTO frame that completes it). */
function findHello(o: unknown): TlsHello | undefined {
  if (Array.isArray(o)) return o.map(findHello).find((h) => h);
  if (!o || typeof o !== 'object') return undefined;
  const node = o as Json;
  const type = str(node, 'tls.handshake.type');
  if ((type === '1' || type === '2') && str(node, 'tls.handshake.random')) {
    const ticket = Object.entries(node).find(([k]) => k.startsWith('Extension: session_ticket'))?.[1] as Json | undefined;
    return {
      message: type === '1' ? 'ClientHello' : 'ServerHello',
      random: str(node, 'tls.handshake.random')!,
      cipherSuites: deepValues(node, 'tls.handshake.ciphersuite'),
      supportedVersions: deepValues(node, 'tls.handshake.extensions.supported_version'),
      ...(ticket ? { sessionTicketBytes: num(ticket, 'tls.handshake.extension.len') } : {}),
    };
  }
  return Object.values(node).map(findHello).find((h) => h);
}

function parseFrame(f: Json): QuicFrame {
  const type = Number(str(f, 'quic.frame_type'));
  const hello = frameName(type) === 'CRYPTO' ? findHello(f) : undefined;
  return {
    type: frameName(type),
    stream: num(f, 'quic.stream.stream_id'),
    ...(frameName(type) === 'CRYPTO' ? { offset: num(f, 'quic.crypto.offset'), length: num(f, 'quic.crypto.length') } : {}),
    ...(frameName(type) === 'STREAM' ? { offset: num(f, 'quic.stream.offset') ?? 0, length: num(f, 'quic.stream.length') ?? hexBytes(str(f, 'quic.stream_data')) } : {}),
    largestAcknowledged: num(f, 'quic.ack.largest_acknowledged'),
    ackRanges: num(f, 'quic.ack.ack_range_count'),
    ...(num(f, 'quic.ack.first_ack_range') === undefined ? {} : { firstAckRange: num(f, 'quic.ack.first_ack_range') }),
    ...(hello ? { hello } : {}),
    tls: deepValues(f, 'tls.handshake.type').map((t) => TLS_MESSAGES[t] ?? `type ${t}`),
    tlsExtensions: deepValues(f, 'tls.handshake.extension.type').map(Number),
    transportParameters: deepParameterNames(f),
  };
}

/** Parameter names as tshark labels them ("Parameter: initial_max_data (len=4) 786432"). */
function deepParameterNames(o: unknown): string[] {
  if (Array.isArray(o)) return o.flatMap(deepParameterNames);
  if (!o || typeof o !== 'object') return [];
  return Object.entries(o as Json).flatMap(([k, v]) => {
    const name = /^Parameter: (Unknown 0x[0-9a-f]+|\S+)/.exec(k)?.[1];
    return [...(name ? [name] : []), ...deepParameterNames(v)];
  });
}

function parsePacket(q: Json, datagram: { number: number; timeMs: number; src: string; srcPort: number; dstPort: number; bytes: string; udpOffset: number }): QuicPacket {
  const short = q['quic.short'] as Json | undefined;
  const header = short ?? q;
  const raw = (key: string) => header[`${key}_raw`] as Raw | undefined;
  const firstOffset = raw('quic.header_form')?.[1] ?? datagram.udpOffset;
  const bitFields = ['quic.header_form', 'quic.fixed_bit', 'quic.long.packet_type', 'quic.long.reserved', 'quic.short.reserved', 'quic.spin_bit', 'quic.key_phase', 'quic.packet_number_length'];
  const bits = Object.fromEntries(bitFields.filter((k) => str(header, k) !== undefined).map((k) => [k.replace(/^quic\./, ''), Number(str(header, k))]));
  const fields: Record<string, WireField> = {};
  for (const key of ['quic.version', 'quic.dcil', 'quic.dcid', 'quic.scil', 'quic.scid', 'quic.token_length', 'quic.token', 'quic.length', 'quic.packet_number']) {
    const r = raw(key);
    if (r) fields[key.replace(/^quic\./, '')] = { value: str(header, key) ?? '', hex: r[0], offset: r[1] - firstOffset, bytes: r[2] };
  }
  const form = short ? 'short' : 'long';
  const frames = list<Json>(q['quic.frame']).map(parseFrame);
  const packetNumber = num(header, 'quic.packet_number');
  return {
    datagram: datagram.number,
    timeMs: datagram.timeMs,
    src: datagram.src,
    srcPort: datagram.srcPort,
    dstPort: datagram.dstPort,
    form,
    packetBytes: num(q, 'quic.packet_length') ?? 0,
    type: form === 'short' ? '1-RTT' : LONG_TYPES[bits['long.packet_type'] ?? 0]!,
    firstByteOnWire: parseInt(datagram.bytes.slice(firstOffset * 2, firstOffset * 2 + 2), 16),
    bits,
    fields,
    version: str(header, 'quic.version'),
    dcid: str(header, 'quic.dcid') ?? '',
    scid: str(header, 'quic.scid'),
    tokenLength: num(header, 'quic.token_length'),
    length: num(header, 'quic.length'),
    lengthBytes: raw('quic.length')?.[2],
    packetNumber,
    packetNumberBytes: packetNumber === undefined ? undefined : raw('quic.packet_number')?.[2],
    decrypted: packetNumber !== undefined && frames.length > 0,
    frames,
  };
}

/** Parses `tshark -T json -x --no-duplicate-keys -J "frame ip udp quic"` output. */
export function parseQuicJson(output: string): QuicPacket[] {
  const datagrams = JSON.parse(output) as { _source: { layers: Json } }[];
  return datagrams.flatMap(({ _source: { layers } }) => {
    const frame = layers['frame'] as Json;
    const ip = layers['ip'] as Json;
    const udp = layers['udp'] as Json;
    const frameRaw = layers['frame_raw'] as Raw;
    const udpRaw = layers['udp_raw'] as Raw;
    const info = {
      number: Number(str(frame, 'frame.number')),
      timeMs: Number(str(frame, 'frame.time_relative')) * 1000,
      src: str(ip, 'ip.src') ?? '',
      srcPort: Number(str(udp, 'udp.srcport')),
      dstPort: Number(str(udp, 'udp.dstport')),
      bytes: frameRaw[0],
      udpOffset: udpRaw[1] + 8,
    };
    return list<Json>(layers['quic']).map((q) => parsePacket(q, info));
  });
}

/** Decodes every QUIC packet of a capture; with a key log, tshark decrypts what the logged secrets open. */
export async function decodeQuic(pcap: string, options: { keylog?: string; ports?: number[] } = {}): Promise<QuicPacket[]> {
  const args = [
    '-r', pcap,
    ...(options.keylog ? ['-o', `tls.keylog_file:${options.keylog}`] : []),
    ...(options.ports ?? []).flatMap((p) => ['-d', `udp.port==${p},quic`]),
    '-Y', 'quic', '-T', 'json', '-x', '--no-duplicate-keys', '-J', 'frame ip udp quic',
  ];
  return parseQuicJson(await exec('tshark', args, { timeoutMs: 60_000 }));
}
