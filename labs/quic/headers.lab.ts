/**
 * Lab: QUIC's long and short headers, field by field, as two implementations put them on the wire.
 *
 * Starts: a client and a server namespace 25 ms apart each way; on the server, the labs' quic-go peer
 * (HTTP/3 on UDP 443) and ngtcp2's example server (UDP 4433); tcpdump on the client.
 *
 * Does: one HTTP/3 request per implementation on a new connection, each client logging its TLS secrets.
 *
 * Observes: every QUIC packet tshark decodes with those secrets: the first byte's bits, each header
 * field's value, offset and size on the wire.
 */
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { confirmedIf, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { observeQuicConnections, type ConnectionsObservation } from '../../src/systems/quic-connections.ts';

type Packet = ConnectionsObservation['packets'][number];

const CLIENT = '198.18.86.1';
const SERVER = '198.18.86.2';
const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
const implementations = (packets: Packet[]) => [...new Set(packets.map((p) => p.implementation))].join(' and ');
const decryptedLong = (packets: Packet[]) => packets.filter((p) => p.form === 'long' && p.decrypted);
const decryptedShort = (packets: Packet[]) => packets.filter((p) => p.form === 'short' && p.decrypted);
const zhList = (s: string) => s.replace(/ and /g, '、');
const NO_PACKETS = { en: 'No decrypted QUIC packets of that form were captured, so there is nothing to read the header from.', zh: '没有捕获到可解密的该形式 QUIC 包，无从读取头部。' };

/** A packet's header as a byte map, each field with its bytes and value: what the sheet draws, as it was sent. */
export function headerPicture(p: Packet): Evidence {
  const b = (name: string) => p.bits[name];
  const pnLength = `pn_len=${b('packet_number_length')} (${(b('packet_number_length') ?? 0) + 1} bytes)`;
  const bits = p.form === 'long'
    ? `form=${b('header_form')} fixed=${b('fixed_bit')} type=${b('long.packet_type')} (${p.type}) reserved=${b('long.reserved')} ${pnLength}`
    : `form=${b('header_form')} fixed=${b('fixed_bit')} spin=${b('spin_bit')} reserved=${b('short.reserved')} key_phase=${b('key_phase')} ${pnLength}`;
  const fields = Object.entries(p.fields).map(([name, f]) => ({ name, offset: f.offset, length: f.bytes, hex: f.hex, value: f.value }));
  return { kind: 'bytes', title: `A real ${p.type} header (${p.implementation} ${p.from}), field by field; the first byte as decoded after header protection`, fields: [{ name: 'first byte', offset: 0, length: 1, hex: hex(p.firstByteOnWire).slice(2), value: bits }, ...fields] };
}

function headerTable(packets: Packet[]): Evidence {
  return {
    kind: 'table',
    title: 'Every packet: its first byte as sent and its header fields as tshark decoded them',
    columns: ['implementation', 'from', 'type', 'first byte', 'DCID len', 'SCID len', 'token len', 'Length (bytes on wire)', 'PN (bytes)'],
    rows: packets.map((p) => [p.implementation, p.from, p.type, hex(p.firstByteOnWire), p.fields['dcil']?.value ?? `${(p.fields['dcid']?.bytes ?? 0)}`, p.fields['scil']?.value ?? '', p.tokenLength ?? '', p.length === undefined ? '' : `${p.length} (${p.lengthBytes})`, p.packetNumber === undefined ? '' : `${p.packetNumber} (${p.packetNumberBytes})`]),
  };
}

export function judgeLongForm(packets: Packet[]): ClaimResult {
  const long = decryptedLong(packets);
  if (!long.length) return notObserved('quic.header.long-form', NO_PACKETS);
  const types = [...new Set(long.map((p) => p.type))];
  const versionBytes = [...new Set(long.map((p) => p.fields['version']?.bytes))];
  const versions = [...new Set(long.map((p) => p.version))];
  const holds = long.every((p) => p.bits['header_form'] === 1 && (p.firstByteOnWire & 0x80) === 0x80) && versionBytes.length === 1 && versionBytes[0] === 4;
  const observed = { longPackets: long.length, types, versions, versionBytes, implementations: implementations(long) };
  return confirmedIf(
    'quic.header.long-form',
    holds,
    {
      en: `All ${long.length} long-header packets (${types.join(', ')}; ${implementations(long)}) began with the bit 1 (long form), then the fixed bit; the next two bits named the type, and a 4-byte version followed (${versions.join(', ')}).`,
      zh: `全部 ${long.length} 个长头部包（${types.join('、')}；${implementations(long)}）首位均为 1（长头部），其后是固定位；再后两位表示包类型，接着是 4 字节的版本号（${versions.join('、')}）。`,
    },
    { en: `Long-header packets did not all look as the sheet says: ${JSON.stringify(observed)}.`, zh: `长头部包并不都如资料所说：${JSON.stringify(observed)}。` },
    observed,
    [headerTable(long)],
  );
}

/** The transport parameters an implementation's client or server sent (ClientHello or EncryptedExtensions). */
const parametersOf = (packets: Packet[], implementation: string, from: string) =>
  new Set(packets.filter((p) => p.implementation === implementation && p.from === from).flatMap((p) => p.frames.flatMap((f) => f.transportParameters)));

export function judgeFixedBit(o: ConnectionsObservation): ClaimResult {
  const seen = o.packets;
  if (!seen.length) return notObserved('quic.header.fixed-bit', NO_PACKETS);
  const zero = seen.filter((p) => (p.firstByteOnWire & 0x40) === 0);
  const greasers = [...new Set(zero.map((p) => p.implementation))];
  const advertising = [...new Set(seen.map((p) => p.implementation))].filter((i) => parametersOf(seen, i, 'client').has('grease_quic_bit') && parametersOf(seen, i, 'server').has('grease_quic_bit'));
  const ngtcp2Connections = o.greaseProbe.connections + 1;
  const ngtcp2Greased = o.greaseProbe.greased + (greasers.includes('ngtcp2') ? 1 : 0);
  const observed = { packets: seen.length, fixedBitZero: zero.length, byImplementation: greasers, bothSidesAdvertisedGrease: advertising, ngtcp2Connections, ngtcp2ConnectionsGreased: ngtcp2Greased };
  return confirmedIf(
    'quic.header.fixed-bit',
    zero.length === 0 && ngtcp2Greased === 0,
    { en: `The fixed bit was 1 in all ${seen.length} packets of the decoded connections (${implementations(seen)}) and in every packet of ${o.greaseProbe.connections} more ngtcp2 connections.`, zh: `已解码连接（${implementations(seen)}）的全部 ${seen.length} 个包，以及另外 ${o.greaseProbe.connections} 条 ngtcp2 连接的所有包，固定位都是 1。` },
    {
      en: `In ${ngtcp2Greased} of ${ngtcp2Connections} ngtcp2 connections packets went out with the "fixed" bit 0${zero.length ? ` (${zero.length} of the ${seen.length} decoded packets: ${[...new Set(zero.map((p) => p.type))].join(', ')})` : ''}. ${advertising.length ? `Client and server of ${advertising.join(', ')} had both sent the grease_quic_bit transport parameter, which lets the peer put any value in that bit (RFC 9287) so that middleboxes cannot come to depend on it; ngtcp2 decides per connection, at random.` : 'No implementation was seen advertising grease_quic_bit on both sides.'} quic-go, which does not grease, always sent 1.`,
      zh: `${ngtcp2Connections} 条 ngtcp2 连接中有 ${ngtcp2Greased} 条发出了“固定位”为 0 的包${zero.length ? `（已解码的 ${seen.length} 个包中有 ${zero.length} 个：${[...new Set(zero.map((p) => p.type))].join('、')}）` : ''}。${advertising.length ? `${advertising.join('、')} 的客户端和服务端都发送了 grease_quic_bit 传输参数，允许对方在这一位上填任意值（RFC 9287），以免中间设备依赖它；ngtcp2 按连接随机决定是否这样做。` : '没有看到任何实现在两端都声明 grease_quic_bit。'}不做 grease 的 quic-go 始终发送 1。`,
    },
    observed,
  );
}

/** The sheet's long-header drawing, field by field, top to bottom. */
const SHEET_LONG_HEADER = ['first byte: 1|1|1|T|T + Type (4 bits)', 'Version (32 bits)', 'Destination Connection ID', 'Source Connection ID', 'Payload Length (16 bits)', 'Packet Number', 'Payload'];
const SHEET_FIELDS: Record<string, string> = { version: 'Version', dcid: 'Destination Connection ID', scid: 'Source Connection ID', length: 'Payload Length', packet_number: 'Packet Number' };

/** The sheet's drawing beside the header as sent, the fields the drawing lacks marked. */
function layoutPicture(p: Packet): Evidence {
  const sent = Object.entries(p.fields).sort((a, b) => a[1].offset - b[1].offset);
  return {
    kind: 'stacks',
    title: `The sheet's long header beside a real ${p.type} header (${p.implementation} ${p.from}), in wire order (orange: fields the drawing lacks)`,
    columns: [
      { name: 'the sheet', boxes: SHEET_LONG_HEADER.map((label) => ({ label })) },
      {
        name: 'as sent',
        boxes: [
          { label: 'first byte', note: `form, fixed bit, 2-bit type, 2 reserved bits, 2-bit packet-number length` },
          ...sent.map(([name, f]) => ({ label: `${name} (${f.bytes} byte${f.bytes === 1 ? '' : 's'})`, note: f.value.length > 24 ? `${f.value.slice(0, 23)}…` : f.value, mark: !(name in SHEET_FIELDS) })),
          { label: 'payload (encrypted)' },
        ],
      },
    ],
  };
}

export function judgeLongLayout(packets: Packet[]): ClaimResult {
  const initial = decryptedLong(packets).find((p) => p.type === 'Initial');
  if (!initial) return notObserved('quic.header.long-layout', { en: 'No Initial packet was captured.', zh: '没有捕获到 Initial 包。' });
  const order = Object.entries(initial.fields).sort((a, b) => a[1].offset - b[1].offset).map(([name]) => name);
  const sheet = ['version', 'dcid', 'scid', 'length', 'packet_number'];
  const extra = order.filter((f) => !sheet.includes(f));
  const observed = { implementation: initial.implementation, order, notInTheSheet: extra };
  return confirmedIf(
    'quic.header.long-layout',
    extra.length === 0,
    { en: `The Initial header held exactly the sheet's fields in its order: ${order.join(', ')}.`, zh: `Initial 头部恰好按资料的顺序包含资料列出的字段：${order.join('、')}。` },
    {
      en: `The ${initial.implementation} ${initial.from}'s Initial header, in wire order, was: first byte, ${order.join(', ')}. The sheet's drawing leaves out ${extra.join(', ')}: each connection ID is preceded by a one-byte length (dcil, scil), and Initial packets carry a token length and token before the Length field.`,
      zh: `${initial.implementation} ${initial.from === 'client' ? '客户端' : '服务端'} 的 Initial 头部按线上顺序为：首字节、${order.join('、')}。资料的图漏掉了 ${extra.join('、')}：每个连接 ID 前都有一个 1 字节的长度字段（dcil、scil），Initial 包在 Length 字段之前还带有 Token 长度和 Token。`,
    },
    observed,
    [layoutPicture(initial), headerPicture(initial)],
  );
}

export function judgeCidLength(packets: Packet[]): ClaimResult {
  const long = decryptedLong(packets).filter((p) => p.fields['dcil']);
  if (!long.length) return notObserved('quic.header.cid-length', NO_PACKETS);
  const pairs = long.map((p) => ({ implementation: p.implementation, type: p.type, highNibble: p.firstByteOnWire >> 4, dcil: Number(p.fields['dcil']!.value), dcilOffset: p.fields['dcil']!.offset }));
  const mismatch = pairs.filter((p) => p.highNibble !== p.dcil);
  const lengths = [...new Set(pairs.map((p) => p.dcil))].sort((a, b) => a - b);
  const nibbles = [...new Set(pairs.map((p) => p.highNibble))].sort((a, b) => a - b);
  const observed = { packets: pairs.length, dcidLengths: lengths, highNibbles: nibbles, mismatches: mismatch.length };
  return confirmedIf(
    'quic.header.cid-length',
    mismatch.length === 0,
    { en: `In all ${pairs.length} long-header packets the destination connection ID was as long as the first byte's high 4 bits say (${lengths.join(', ')} bytes).`, zh: `全部 ${pairs.length} 个长头部包中，目标连接 ID 的长度都等于首字节高 4 位的值（${lengths.join('、')} 字节）。` },
    {
      en: `The first byte's high 4 bits were ${nibbles.map((n) => `${n} (${n.toString(2)})`).join(', ')}: the form bit, the fixed bit and the 2-bit packet type. The destination connection IDs were ${lengths.join(', ')} bytes long, and that length is a byte of its own (dcil) after the 4-byte version, at offset ${pairs[0]!.dcilOffset}; ${mismatch.length} of ${pairs.length} packets had a high nibble different from their connection-ID length.`,
      zh: `首字节高 4 位的取值为 ${nibbles.map((n) => `${n}（${n.toString(2)}）`).join('、')}：即长头部标志位、固定位和 2 位包类型。目标连接 ID 长 ${lengths.join('、')} 字节，其长度是 4 字节版本号之后单独的一个字节（dcil，偏移 ${pairs[0]!.dcilOffset}）；${pairs.length} 个包中有 ${mismatch.length} 个的高 4 位与连接 ID 长度不同。`,
    },
    observed,
    [{ kind: 'table', title: "First byte's high 4 bits against the DCID Length byte", columns: ['implementation', 'type', 'high 4 bits', 'DCID length (dcil byte)'], rows: pairs.map((p) => [p.implementation, p.type, p.highNibble, p.dcil]) }],
  );
}

export function judgePayloadLength(packets: Packet[]): ClaimResult {
  const long = decryptedLong(packets).filter((p) => p.length !== undefined && p.fields['packet_number']);
  if (!long.length) return notObserved('quic.header.payload-length-16', NO_PACKETS);
  const rows = long.map((p) => {
    const pnStart = p.fields['packet_number']!.offset;
    return { implementation: p.implementation, type: p.type, length: p.length!, lengthBytes: p.lengthBytes!, pnBytes: p.packetNumberBytes ?? 0, afterPn: p.packetBytes - pnStart - (p.packetNumberBytes ?? 0) };
  });
  const countsPn = rows.filter((r) => r.length === r.afterPn + r.pnBytes).length;
  const excludesHeader = rows.filter((r) => r.length === r.afterPn).length;
  const widths = [...new Set(rows.map((r) => r.lengthBytes))].sort();
  const observed = { packets: rows.length, lengthFieldBytes: widths, lengthCountsPacketNumber: countsPn, lengthIsPayloadOnly: excludesHeader };
  const holds = excludesHeader === rows.length && widths.every((w) => w === 2);
  return confirmedIf(
    'quic.header.payload-length-16',
    holds,
    { en: `Every Length field took 16 bits and counted the payload alone (${rows.length} packets).`, zh: `每个 Length 字段都占 16 位，且只计算负载（${rows.length} 个包）。` },
    {
      en: `The Length field is a variable-length integer: it took ${widths.join(' or ')} bytes on the wire here, its top two bits giving its size (01 = 2 bytes, leaving 14 bits for the value). And it counts the packet number as well as the payload: in ${countsPn} of ${rows.length} long-header packets Length equalled packet-number bytes plus the bytes after them (e.g. ${rows[0]!.length} = ${rows[0]!.pnBytes} + ${rows[0]!.afterPn}), so it is not "the payload, not counting the header" when the packet number is drawn in the header.`,
      zh: `Length 字段是变长整数：这里在线上占 ${widths.join(' 或 ')} 字节，最高两位表示其长度（01 表示 2 字节，数值只剩 14 位）。而且它既计算负载，也计算包序号：${rows.length} 个长头部包中有 ${countsPn} 个的 Length 等于包序号字节数加其后的字节数（例如 ${rows[0]!.length} = ${rows[0]!.pnBytes} + ${rows[0]!.afterPn}），所以当包序号被画在头部里时，它并不是“不包括头部的负载长度”。`,
    },
    observed,
  );
}

export function judgePacketNumberLength(packets: Packet[]): ClaimResult {
  const long = decryptedLong(packets).filter((p) => p.packetNumberBytes !== undefined);
  if (!long.length) return notObserved('quic.header.long-pn-length-by-type', NO_PACKETS);
  const byType = new Map<string, Set<number>>();
  for (const p of long) byType.set(p.type, (byType.get(p.type) ?? new Set()).add(p.packetNumberBytes!));
  const varied = [...byType].filter(([, lengths]) => lengths.size > 1).map(([type]) => type);
  const fromBits = long.every((p) => p.packetNumberBytes === (p.bits['packet_number_length'] ?? -1) + 1);
  const perType = Object.fromEntries([...byType].map(([type, lengths]) => [type, [...lengths].sort()]));
  const observed = { packetNumberBytesByType: perType, lengthMatchesFirstByteBits: fromBits };
  const table: Evidence = { kind: 'table', title: 'Packet-number length per packet type, and the first byte\'s two low bits', columns: ['implementation', 'type', 'PN', 'PN bytes', 'low 2 bits of byte 0'], rows: long.map((p) => [p.implementation, p.type, p.packetNumber ?? '', p.packetNumberBytes ?? '', (p.bits['packet_number_length'] ?? 0).toString(2).padStart(2, '0')]) };
  if (varied.length) {
    return { id: 'quic.header.long-pn-length-by-type', verdict: 'refuted', summary: `Packets of the same type used different packet-number lengths (${varied.join(', ')}: ${varied.map((t) => perType[t]!.join('/')).join('; ')} bytes), each announced by the first byte's two low bits, so the type does not determine the length.`, summaryZh: `同一类型的包使用了不同的包序号长度（${varied.join('、')}：${varied.map((t) => perType[t]!.join('/')).join('；')} 字节），每次都由首字节最低两位声明，所以长度并不由包类型决定。`, observed, evidence: [table] };
  }
  return {
    id: 'quic.header.long-pn-length-by-type',
    verdict: fromBits ? 'refuted' : 'nuanced',
    summary: fromBits
      ? `Each packet's number length (${Object.entries(perType).map(([t, l]) => `${t}: ${l.join('/')} bytes`).join(', ')}) was written in the first byte's two low bits (length − 1), which is where tshark read it from; the type bits sit beside them and say nothing about it. Every packet of a type happened to use one length here, but the sender chose it and announced it in those bits.`
      : `Every packet of a type used one packet-number length here (${JSON.stringify(perType)}), but the first byte's low bits did not match it in every packet.`,
    summaryZh: fromBits
      ? `每个包的包序号长度（${Object.entries(perType).map(([t, l]) => `${t}：${l.join('/')} 字节`).join('，')}）都写在首字节最低两位（长度减 1），tshark 正是从那里读出的；包类型位在它们旁边，与长度无关。这里同一类型的包恰好都用了同一长度，但那是发送方的选择，并在这两位中声明。`
      : `这里同一类型的包都使用同一包序号长度（${JSON.stringify(perType)}），但首字节低位并非每个包都与之相符。`,
    observed,
    evidence: [table],
  };
}

export function judgeShortForm(packets: Packet[]): ClaimResult {
  const short = decryptedShort(packets);
  if (!short.length) return notObserved('quic.header.short-form', NO_PACKETS);
  const dcidBytes = [...new Set(short.map((p) => p.fields['dcid']?.bytes ?? 0))].sort((a, b) => a - b);
  const pnBytes = [...new Set(short.map((p) => p.packetNumberBytes ?? 0))].sort();
  const spin = short.every((p) => p.bits['spin_bit'] !== undefined && p.bits['key_phase'] !== undefined);
  const holds = short.every((p) => p.bits['header_form'] === 0 && (p.firstByteOnWire & 0x80) === 0) && spin && dcidBytes.every((b) => b <= 20) && pnBytes.every((b) => b >= 1 && b <= 4);
  const observed = { shortPackets: short.length, dcidBytes, packetNumberBytes: pnBytes, implementations: implementations(short) };
  return confirmedIf(
    'quic.header.short-form',
    holds,
    {
      en: `All ${short.length} short-header packets (${implementations(short)}) had the first bit clear, a spin bit and a key-phase bit; their destination connection IDs were ${dcidBytes.join(', ')} bytes and their packet numbers ${pnBytes.join(', ')} bytes, within 0-20 and 1-4.`,
      zh: `全部 ${short.length} 个短头部包（${implementations(short)}）首位为 0，含自旋位和密钥阶段位；目标连接 ID 为 ${dcidBytes.join('、')} 字节，包序号为 ${pnBytes.join('、')} 字节，均在 0-20 与 1-4 的范围内。`,
    },
    { en: `Short headers differed from the sheet: ${JSON.stringify(observed)}.`, zh: `短头部与资料不符：${JSON.stringify(observed)}。` },
    observed,
    [headerPicture(short[0]!)],
  );
}

export function judgeShortReservedBits(packets: Packet[]): ClaimResult {
  const short = decryptedShort(packets).filter((p) => p.bits['packet_number_length'] !== undefined);
  if (!short.length) return notObserved('quic.header.short-reserved-bits', NO_PACKETS);
  const lowBits = [...new Set(short.map((p) => p.bits['packet_number_length']!))].sort();
  const nonZero = short.filter((p) => p.bits['packet_number_length'] !== 0);
  const reserved = [...new Set(short.map((p) => p.bits['short.reserved']))];
  const observed = { shortPackets: short.length, lastTwoBits: lowBits.map((b) => b.toString(2).padStart(2, '0')), withNonZeroLastBits: nonZero.length, reservedBits: reserved };
  if (!nonZero.length) {
    return notObserved('quic.header.short-reserved-bits', { en: `Every short-header packet used 1-byte packet numbers, so the last two bits were 00 whether they encode the length or are reserved: this capture cannot tell.`, zh: `所有短头部包都使用 1 字节包序号，所以最后两位无论是长度编码还是保留位都是 00：这次捕获无法区分。` }, observed);
  }
  return {
    id: 'quic.header.short-reserved-bits',
    verdict: 'refuted',
    summary: `The short header's first byte is form, fixed, spin, two reserved bits (${reserved.join('/')} here), key phase, and then two bits that are not reserved: they are the packet-number length minus one. ${nonZero.length} of ${short.length} short-header packets had them set (${observed.lastTwoBits.join(', ')}), matching their ${[...new Set(nonZero.map((p) => p.packetNumberBytes))].join('/')}-byte packet numbers.`,
    summaryZh: `短头部首字节依次是：长短头标志位、固定位、自旋位、两个保留位（这里为 ${reserved.join('/')}）、密钥阶段位，最后两位并不是保留位，而是包序号长度减 1。${short.length} 个短头部包中有 ${nonZero.length} 个这两位非零（${observed.lastTwoBits.join('、')}），与其 ${[...new Set(nonZero.map((p) => p.packetNumberBytes))].join('/')} 字节的包序号相符。`,
    observed,
    evidence: [],
  };
}

/** The header's size in bytes: everything up to and including the packet number (the payload follows). */
const headerBytes = (p: Packet) => (p.fields['packet_number'] ? p.fields['packet_number'].offset + p.fields['packet_number'].bytes : undefined);
const range = (values: number[]) => {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  return sorted.length > 1 ? `${sorted[0]}-${sorted.at(-1)}` : `${sorted[0] ?? '-'}`;
};

export function judgeTypeSpecificBits(packets: Packet[]): ClaimResult {
  const long = decryptedLong(packets);
  if (!long.length) return notObserved('quic.header.type-specific-bits', NO_PACKETS);
  const rows = long.map((p) => {
    const reserved = p.bits['long.reserved'];
    const pnLength = p.bits['packet_number_length'];
    const low = reserved === undefined || pnLength === undefined ? undefined : (reserved << 2) | pnLength;
    return { implementation: p.implementation, from: p.from, type: p.type, highBits: p.firstByteOnWire >> 4, low, reserved, pnLength, pnBytes: p.packetNumberBytes, onWire: p.firstByteOnWire & 0x0f };
  });
  const fitting = rows.filter((r) => r.low !== undefined && r.pnBytes === r.pnLength! + 1);
  const misfits = rows.filter((r) => !fitting.includes(r));
  const masked = rows.filter((r) => r.low !== undefined && r.low !== r.onWire).length;
  const types = [...new Set(long.map((p) => p.type))];
  const bin = (n: number) => n.toString(2).padStart(4, '0');
  const observed = { longPackets: long.length, types, lowFourBits: [...new Set(fitting.map((r) => bin(r.low!)))].sort(), reservedBits: [...new Set(fitting.map((r) => r.reserved))], fittingTheTypesFields: fitting.length, maskedOnTheWire: masked, implementations: implementations(long) };
  const table: Evidence = { kind: 'table', title: "The first byte of each long-header packet: the high 4 bits (form, fixed, type) and the 4 type-specific bits, as decoded and as sent", columns: ['implementation', 'from', 'type', 'high 4 bits', 'low 4 bits decoded', 'reserved', 'PN length bits', 'PN bytes', 'low 4 bits on the wire'], rows: rows.map((r) => [r.implementation, r.from, r.type, bin(r.highBits), r.low === undefined ? '' : bin(r.low), r.reserved ?? '', r.pnLength ?? '', r.pnBytes ?? '', bin(r.onWire)]) };
  return confirmedIf(
    'quic.header.type-specific-bits',
    misfits.length === 0,
    {
      en: `In all ${long.length} long-header packets (${types.join(', ')}; ${implementations(long)}) the first byte was the form bit, the fixed bit, the 2-bit type and then 4 more bits, the type-specific bits, whose meaning these types give them: 2 reserved bits (${observed.reservedBits.join('/')}) and the packet-number length minus one (${observed.lowFourBits.join(', ')}), which matched every packet number's size. On the wire those 4 bits are masked by header protection (${masked} of ${long.length} first bytes differed there from the decoded value); tshark read them after removing it.`,
      zh: `全部 ${long.length} 个长头部包（${types.join('、')}；${zhList(implementations(long))}）的首字节依次是长头部标志位、固定位、2 位包类型，然后是 4 位类型特定位，其含义由这些包类型规定：2 个保留位（${observed.reservedBits.join('/')}）和包序号长度减 1（${observed.lowFourBits.join('、')}），与每个包序号的实际长度相符。这 4 位在线上被头部保护掩盖（${long.length} 个首字节中有 ${masked} 个在这几位上与解码值不同），tshark 去掉头部保护后才读出它们。`,
    },
    {
      en: `In ${misfits.length} of ${long.length} long-header packets the 4 bits after the type were not the type's fields (reserved bits and a packet-number length matching the packet number): ${JSON.stringify(misfits.slice(0, 3))}.`,
      zh: `${long.length} 个长头部包中有 ${misfits.length} 个，类型之后的 4 位不是该类型规定的字段（保留位和与包序号相符的包序号长度）：${JSON.stringify(misfits.slice(0, 3))}。`,
    },
    observed,
    [table],
  );
}

/** QUIC versions with an RFC: version 1 (RFC 9000) and version 2 (RFC 9369). */
const QUIC_VERSIONS: Record<string, { en: string; zh: string }> = {
  '0x00000001': { en: 'QUIC version 1 (RFC 9000)', zh: 'QUIC 版本 1（RFC 9000）' },
  '0x6b3343cf': { en: 'QUIC version 2 (RFC 9369)', zh: 'QUIC 版本 2（RFC 9369）' },
};

export function judgeVersionOne(packets: Packet[]): ClaimResult {
  const long = packets.filter((p) => p.form === 'long' && p.fields['version']);
  if (!long.length) return notObserved('quic.header.version-one', NO_PACKETS);
  const widths = [...new Set(long.map((p) => p.fields['version']!.bytes))].sort();
  const offsets = [...new Set(long.map((p) => p.fields['version']!.offset))].sort();
  const versions = [...new Set(long.map((p) => p.fields['version']!.value))];
  const unknown = versions.filter((v) => !QUIC_VERSIONS[v]);
  const observed = { longPackets: long.length, versionFieldBytes: widths, versionFieldOffsets: offsets, versions, implementations: implementations(long) };
  return confirmedIf(
    'quic.header.version-one',
    widths.length === 1 && widths[0] === 4 && unknown.length === 0,
    {
      en: `All ${long.length} long-header packets (${implementations(long)}, both directions) carried a ${widths[0]! * 8}-bit Version field right after the first byte (offset ${offsets.join(', ')}), with the value ${versions.join(', ')}: ${versions.map((v) => QUIC_VERSIONS[v]?.en ?? v).join(', ')}, in the clients' packets and in the servers' answers alike.`,
      zh: `全部 ${long.length} 个长头部包（${zhList(implementations(long))}，双向）在首字节之后（偏移 ${offsets.join('、')}）都有一个 ${widths[0]! * 8} 位的 Version 字段，值为 ${versions.join('、')}：即 ${versions.map((v) => QUIC_VERSIONS[v]?.zh ?? v).join('、')}，客户端的包和服务器的应答都是如此。`,
    },
    {
      en: `The Version field took ${widths.join('/')} bytes and carried ${versions.join(', ')}${unknown.length ? `, of which ${unknown.join(', ')} is no QUIC version` : ''}.`,
      zh: `Version 字段占 ${widths.join('/')} 字节，取值 ${versions.join('、')}${unknown.length ? `，其中 ${unknown.join('、')} 不是任何 QUIC 版本` : ''}。`,
    },
    observed,
  );
}

/** When each implementation's client sent its TLS Finished: from then on its handshake is complete, and the server's once that Finished arrives. */
const clientFinishedAt = (packets: Packet[], implementation: string) => packets.find((p) => p.implementation === implementation && p.from === 'client' && p.frames.some((f) => f.tls.includes('Finished')))?.timeMs;
const carriesStream = (p: Packet) => p.frames.some((f) => f.type === 'STREAM');

export function judgeShortOneRtt(packets: Packet[]): ClaimResult {
  const short = decryptedShort(packets);
  if (!short.length) return notObserved('quic.header.short-one-rtt', NO_PACKETS);
  const dataPackets = packets.filter((p) => p.decrypted && carriesStream(p));
  const dataInLong = dataPackets.filter((p) => p.form === 'long' && p.type !== '0-RTT');
  const shortTypes = [...new Set(short.map((p) => p.type))];
  const sizes = (form: 'long' | 'short') => packets.filter((p) => p.decrypted && p.form === form).flatMap((p) => (headerBytes(p) === undefined ? [] : [{ implementation: p.implementation, bytes: headerBytes(p)! }]));
  const byImplementation = [...new Set(short.map((p) => p.implementation))].map((i) => ({
    implementation: i,
    shortHeaderBytes: range(sizes('short').filter((s) => s.implementation === i).map((s) => s.bytes)),
    longHeaderBytes: range(sizes('long').filter((s) => s.implementation === i).map((s) => s.bytes)),
    smaller: Math.max(...sizes('short').filter((s) => s.implementation === i).map((s) => s.bytes)) < Math.min(...sizes('long').filter((s) => s.implementation === i).map((s) => s.bytes)),
  }));
  const early = short.filter((p) => {
    const finished = clientFinishedAt(packets, p.implementation);
    return p.from === 'server' && finished !== undefined && p.timeMs < finished;
  });
  const earlyData = early.filter(carriesStream);
  const observed = {
    shortPackets: short.length,
    shortPacketTypes: shortTypes,
    streamPackets: dataPackets.length,
    streamPacketsWithShortHeader: dataPackets.filter((p) => p.form === 'short').length,
    streamPacketsWithLongHeader: dataInLong.length,
    headerBytes: byImplementation,
    serverShortPacketsBeforeClientFinished: early.map((p) => ({ implementation: p.implementation, packetNumber: p.packetNumber, streams: p.frames.filter((f) => f.type === 'STREAM').map((f) => f.stream) })),
  };
  const table: Evidence = { kind: 'table', title: 'Header size by form (bytes up to and including the packet number) per implementation', columns: ['implementation', 'short header', 'long header'], rows: byImplementation.map((b) => [b.implementation, b.shortHeaderBytes, b.longHeaderBytes]) };
  const sizesText = byImplementation.map((b) => `${b.implementation} ${b.shortHeaderBytes} bytes against ${b.longHeaderBytes}`).join(', ');
  const sizesZh = byImplementation.map((b) => `${b.implementation} 为 ${b.shortHeaderBytes} 字节，长头部为 ${b.longHeaderBytes} 字节`).join('；');
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id: 'quic.header.short-one-rtt', verdict, summary: en, summaryZh: zh, observed, evidence: [table] });
  if (dataInLong.length || shortTypes.some((t) => t !== '1-RTT') || byImplementation.some((b) => !b.smaller)) {
    return result(
      'refuted',
      `Short headers were not as the sheet says: ${dataInLong.length} packets carried stream data under long headers (${[...new Set(dataInLong.map((p) => p.type))].join(', ') || 'none'}), short-header packets were of type ${shortTypes.join(', ')}, and the headers measured ${sizesText}.`,
      `短头部与资料不符：有 ${dataInLong.length} 个包在长头部下携带流数据（${[...new Set(dataInLong.map((p) => p.type))].join('、') || '无'}），短头部包的类型为 ${shortTypes.join('、')}，头部大小：${sizesZh}。`,
    );
  }
  const cidBytes = byImplementation.map((b) => `${b.implementation} ${range(short.filter((p) => p.implementation === b.implementation).map((p) => p.fields['dcid']?.bytes ?? 0))}`).join(', ');
  const common = {
    en: `All ${dataPackets.length} packets that carried stream data went with short headers, and all ${short.length} short-header packets were 1-RTT packets that tshark opened with the logged application (1-RTT) traffic secrets. The short header was more compact: ${sizesText} (its destination connection ID: ${cidBytes} bytes).`,
    zh: `全部 ${dataPackets.length} 个携带流数据的包都使用短头部，全部 ${short.length} 个短头部包都是 1-RTT 包，tshark 用日志中的应用（1-RTT）流量密钥解开了它们。短头部更紧凑：${sizesZh}（其中目标连接 ID：${zhList(cidBytes.replace(/, /g, ' and '))} 字节）。`,
  };
  if (!early.length) return result('confirmed', `${common.en} Every one was sent once the handshake had completed.`, `${common.zh}每一个都是在握手完成之后发出的。`);
  const earlyBy = [...new Set(early.map((p) => p.implementation))];
  const perServer = earlyBy.map((i) => {
    const mine = early.filter((p) => p.implementation === i);
    const streams = [...new Set(mine.flatMap((p) => p.frames.filter((f) => f.type === 'STREAM').map((f) => f.stream)))];
    return { en: `${i} ${mine.length}${streams.length ? ` (stream${streams.length > 1 ? 's' : ''} ${streams.join(', ')})` : ''}`, zh: `${i} ${mine.length} 个${streams.length ? `（流 ${streams.join('、')}）` : ''}` };
  });
  return result(
    'nuanced',
    `${common.en} But "on an established connection" holds for the clients only: the servers sent short-header packets with their first flight (${perServer.map((x) => x.en).join('; ')}${earlyData.length ? ', carrying stream data on server-initiated unidirectional streams, HTTP/3\'s control and QPACK streams' : ''}), which reached the client before it had even sent its Finished. A server has its 1-RTT keys once it has sent its own Finished and may send application data then, half a round trip before the handshake completes.`,
    `${common.zh}但“已建立连接”只对客户端成立：服务器在首轮就发出了短头部包（${perServer.map((x) => x.zh).join('；')}${earlyData.length ? '，在服务器发起的单向流上携带流数据，即 HTTP/3 的控制流和 QPACK 流' : ''}），它们到达客户端时客户端还没有发出自己的 Finished。服务器发出自己的 Finished 后就有了 1-RTT 密钥，可以在握手完成前半个往返就发送应用数据。`,
  );
}

type SpinState = 'spins' | 'constant' | 'varies-otherwise' | 'untestable';

/**
 * Whether an implementation's client spun the bit: a spinning client sends the inverse of the spin
 * value in the latest server packet it received (RFC 9000 §17.4). The bit is outside header
 * protection, so it is read from the first byte as sent, as an observer on the path reads it. The
 * capture at the client shows a client packet after the client's half of the link delay, so a
 * client packet counts as an answer only to server packets that arrived half a round trip before it.
 */
export function spinOf(packets: Packet[], implementation: string, rttMs: number): { state: SpinState; values: number[]; answered: number; inverted: number } {
  const short = packets.filter((p) => p.implementation === implementation && p.form === 'short').sort((a, b) => a.timeMs - b.timeMs);
  const spin = (p: Packet) => (p.firstByteOnWire >> 5) & 1;
  let answered = 0;
  let inverted = 0;
  for (const p of short.filter((x) => x.from === 'client')) {
    const lastServer = short.filter((x) => x.from === 'server' && x.timeMs < p.timeMs - rttMs / 2).at(-1);
    if (!lastServer) continue;
    answered++;
    if (spin(p) === 1 - spin(lastServer)) inverted++;
  }
  const values = [...new Set(short.map(spin))].sort();
  const state: SpinState = !answered ? 'untestable' : inverted === answered ? 'spins' : values.length === 1 ? 'constant' : 'varies-otherwise';
  return { state, values, answered, inverted };
}

export function judgeSpinBit(o: ConnectionsObservation): ClaimResult {
  const names = [...new Set(o.packets.filter((p) => p.form === 'short').map((p) => p.implementation))];
  if (!names.length) return notObserved('quic.header.spin-bit', NO_PACKETS);
  const states = names.map((i) => ({ implementation: i, ...spinOf(o.packets, i, o.rtt.avgMs) }));
  const shortCount = o.packets.filter((p) => p.form === 'short').length;
  const observed = { rttMs: o.rtt.avgMs, shortPackets: shortCount, implementations: states };
  const table: Evidence = { kind: 'table', title: 'The spin bit of every short-header packet, as sent (it is not header-protected)', columns: ['implementation', 'from', 'ms', 'packet number', 'spin'], rows: o.packets.filter((p) => p.form === 'short').map((p) => [p.implementation, p.from, Math.round(p.timeMs * 10) / 10, p.packetNumber ?? '', (p.firstByteOnWire >> 5) & 1]) };
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id: 'quic.header.spin-bit', verdict, summary: en, summaryZh: zh, observed, evidence: [table] });
  const testable = states.filter((s) => s.state !== 'untestable');
  if (!testable.length) return notObserved('quic.header.spin-bit', { en: 'No client short-header packet was sent after a server short-header packet had arrived (half a round trip before it in the capture), so nothing shows whether the bit spun once per round trip.', zh: '没有任何客户端短头部包是在服务器短头部包到达之后发出的，无法看出该位是否每个往返翻转一次。' }, observed);
  const other = testable.filter((s) => s.state === 'varies-otherwise');
  if (other.length) {
    return result('refuted', `The bit changed, but not as a spin: ${other.map((s) => `${s.implementation}'s client answered the server's latest value with its inverse in ${s.inverted} of ${s.answered} packets (values ${s.values.join('/')})`).join('; ')}, so its flips say nothing about the round trip.`, `该位有变化，但不是按自旋规则：${other.map((s) => `${s.implementation} 的客户端在 ${s.answered} 个包中只有 ${s.inverted} 个取服务器最新值的反值（取值 ${s.values.join('/')}）`).join('；')}，其翻转与往返时间无关。`);
  }
  const spinning = testable.filter((s) => s.state === 'spins').map((s) => s.implementation);
  const still = testable.filter((s) => s.state === 'constant');
  if (!still.length) {
    return result('confirmed', `The spin bit spun: ${spinning.join(' and ')}'s client sent the inverse of the server's latest value in every short-header packet after the first reply, so the bit changes once per round trip (${o.rtt.avgMs} ms here) and an observer on the path can time it.`, `自旋位确实在自旋：${spinning.join('、')} 的客户端在首个回应之后的每个短头部包中都取服务器最新值的反值，因此该位每个往返（这里为 ${o.rtt.avgMs} ms）变化一次，路径上的观察者可以据此计时。`);
  }
  const stillNames = still.map((s) => s.implementation).join(' and ');
  const stillValues = [...new Set(still.flatMap((s) => s.values))].join('/');
  const answers = still.map((s) => s.answered).join(' and ');
  return result(
    'nuanced',
    `Every short header has the 1-bit spin field, but it serves latency measurement only where an endpoint spins it (RFC 9000 makes that optional), and ${spinning.length ? `only ${spinning.join(', ')} did` : 'neither implementation did'}: ${stillNames} kept it at ${stillValues} in every short-header packet, including those their clients sent after a server packet had arrived (${answers}), which a spinning client sends with the inverse of the server's value. An observer on the path could time no round trip from the bit of ${stillNames} in these connections (${shortCount} short-header packets; round trip ${o.rtt.avgMs} ms by ping).`,
    `每个短头部都有 1 位的自旋字段，但只有端点让它自旋时它才用于延迟测量（RFC 9000 规定这是可选的），而${spinning.length ? `只有 ${spinning.join('、')} 这样做了` : '两种实现都没有这样做'}：${zhList(stillNames)} 在所有短头部包中都把它置为 ${stillValues}，包括其客户端在服务器包到达之后发出的包（${zhList(answers)} 个），自旋的客户端此时应取服务器值的反值。在这些连接中（${shortCount} 个短头部包；ping 测得往返时间 ${o.rtt.avgMs} ms），路径上的观察者无法从 ${zhList(stillNames)} 的这一位测出任何往返时间。`,
  );
}

export function judgeKeyPhase(packets: Packet[]): ClaimResult {
  const short = decryptedShort(packets).filter((p) => p.bits['key_phase'] !== undefined);
  if (!short.length) return notObserved('quic.header.key-phase', NO_PACKETS);
  const senders = [...new Set(short.map((p) => `${p.implementation} ${p.from}`))];
  const flips = senders.flatMap((s) => {
    const sent = short.filter((p) => `${p.implementation} ${p.from}` === s).sort((a, b) => (a.packetNumber ?? 0) - (b.packetNumber ?? 0));
    return sent.slice(1).flatMap((p, i) => (p.bits['key_phase'] !== sent[i]!.bits['key_phase'] ? [{ sender: s, packetNumber: p.packetNumber, to: p.bits['key_phase'] }] : []));
  });
  const keyUpdates = packets.filter((p) => p.frames.some((f) => f.tls.includes('KeyUpdate')));
  const phases = [...new Set(short.map((p) => p.bits['key_phase']))].sort();
  const observed = { decryptedShortPackets: short.length, keyPhases: phases, flips, tlsKeyUpdateMessages: keyUpdates.length, senders };
  if (keyUpdates.length) {
    return { id: 'quic.header.key-phase', verdict: 'refuted', summary: `Keys were rotated by ${keyUpdates.length} TLS KeyUpdate message(s) in CRYPTO frames, not signalled by the key-phase bit (${flips.length} flips).`, summaryZh: `密钥是通过 CRYPTO 帧中的 ${keyUpdates.length} 条 TLS KeyUpdate 消息轮换的，而不是由密钥阶段位表示（翻转 ${flips.length} 次）。`, observed, evidence: [] };
  }
  if (flips.length) {
    return { id: 'quic.header.key-phase', verdict: 'confirmed', summary: `The key-phase bit flipped ${flips.length} time(s) (${flips.map((f) => `${f.sender} at packet ${f.packetNumber}, to ${f.to}`).join('; ')}) and tshark still decrypted every short-header packet: it opens a packet whose bit has flipped only with the next generation of keys derived from the logged secret (RFC 9001 §6), so the bit marked each key rotation, with no TLS KeyUpdate message.`, summaryZh: `密钥阶段位翻转了 ${flips.length} 次（${flips.map((f) => `${f.sender} 在包 ${f.packetNumber} 变为 ${f.to}`).join('；')}），tshark 仍解密了每个短头部包：对于该位已翻转的包，它只会用由日志中的密钥导出的下一代密钥去解（RFC 9001 §6），因此该位标记了每次密钥轮换，且没有 TLS KeyUpdate 消息。`, observed, evidence: [] };
  }
  return notObserved(
    'quic.header.key-phase',
    {
      en: `No key update happened in these connections: all ${short.length} decrypted short-header packets (${senders.join(', ')}) had key phase ${phases.join('/')}, opened with the first generation of 1-RTT secrets the clients logged (CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0). Neither implementation rotated its keys within a connection of one small request, so the bit was seen only in its first phase, and its role in a rotation was not seen.`,
      zh: `这些连接中没有发生密钥更新：全部 ${short.length} 个已解密的短头部包（${senders.join('、')}）的密钥阶段位都是 ${phases.join('/')}，用客户端记录的第一代 1-RTT 密钥（CLIENT_TRAFFIC_SECRET_0、SERVER_TRAFFIC_SECRET_0）即可解开。两种实现在只发一个小请求的连接中都没有轮换密钥，所以只看到了该位的第一个阶段，看不到它在密钥轮换中的作用。`,
    },
    observed,
  );
}

export default defineLab({
  id: 'quic-headers',
  title: "QUIC's long and short headers as quic-go and ngtcp2 send them",
  topic: 'quic',
  claims: [
    'quic.header.long-form', 'quic.header.fixed-bit', 'quic.header.long-layout', 'quic.header.cid-length', 'quic.header.payload-length-16', 'quic.header.long-pn-length-by-type', 'quic.header.short-form', 'quic.header.short-reserved-bits',
    'quic.header.type-specific-bits', 'quic.header.version-one', 'quic.header.short-one-rtt', 'quic.header.spin-bit', 'quic.header.key-phase',
  ],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark', 'ping', 'quic', 'ngtcp2'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace 25 ms apart each way; quic-go (HTTP/3, UDP 443) and ngtcp2 (UDP 4433) servers; tcpdump on the client.',
    does: 'One HTTP/3 request per implementation on a new connection, each client logging its TLS secrets.',
    observes: "Every QUIC packet tshark decrypts: the first byte's bits (the type-specific bits, the spin and key-phase bits), each header field's value, offset and size on the wire, which frames rode under which header form, and when each packet left against the round trip.",
    zh: {
      title: 'quic-go 与 ngtcp2 实际发送的 QUIC 长头部和短头部',
      starts: '客户端和服务端两个命名空间，单向各延迟 25 ms；quic-go（HTTP/3，UDP 443）和 ngtcp2（UDP 4433）服务器；客户端上运行 tcpdump。',
      does: '每种实现各在一条新连接上发出一个 HTTP/3 请求，客户端记录 TLS 密钥。',
      observes: 'tshark 解密出的每个 QUIC 包：首字节各位（类型特定位、自旋位和密钥阶段位）、每个头部字段的值、偏移和线上长度、哪些帧在哪种头部下传输，以及每个包相对往返时间的发出时刻。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, server: {} },
      links: [{ a: ['client', `${CLIENT}/24`], b: ['server', `${SERVER}/24`], impair: { a: { delayMs: 25 }, b: { delayMs: 25 } } }],
    },
  },
  async run(ctx) {
    const { observation, files } = await observeQuicConnections(ctx, ctx.hosts.client!, ctx.hosts.server!);
    const packets = observation.packets;
    return [
      judgeLongForm(packets),
      judgeFixedBit(observation),
      judgeLongLayout(packets),
      judgeCidLength(packets),
      judgePayloadLength(packets),
      judgePacketNumberLength(packets),
      judgeShortForm(packets),
      judgeShortReservedBits(packets),
      judgeTypeSpecificBits(packets),
      judgeVersionOne(packets),
      judgeShortOneRtt(packets),
      judgeSpinBit(observation),
      judgeKeyPhase(packets),
    ].map((c) => withEvidence(c, ...files));
  },
});
