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

export default defineLab({
  id: 'quic-headers',
  title: "QUIC's long and short headers as quic-go and ngtcp2 send them",
  topic: 'quic',
  claims: ['quic.header.long-form', 'quic.header.fixed-bit', 'quic.header.long-layout', 'quic.header.cid-length', 'quic.header.payload-length-16', 'quic.header.long-pn-length-by-type', 'quic.header.short-form', 'quic.header.short-reserved-bits'],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark', 'ping', 'quic', 'ngtcp2'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace 25 ms apart each way; quic-go (HTTP/3, UDP 443) and ngtcp2 (UDP 4433) servers; tcpdump on the client.',
    does: 'One HTTP/3 request per implementation on a new connection, each client logging its TLS secrets.',
    observes: "Every QUIC packet tshark decrypts: the first byte's bits and each header field's value, offset and size on the wire.",
    zh: {
      title: 'quic-go 与 ngtcp2 实际发送的 QUIC 长头部和短头部',
      starts: '客户端和服务端两个命名空间，单向各延迟 25 ms；quic-go（HTTP/3，UDP 443）和 ngtcp2（UDP 4433）服务器；客户端上运行 tcpdump。',
      does: '每种实现各在一条新连接上发出一个 HTTP/3 请求，客户端记录 TLS 密钥。',
      observes: 'tshark 解密出的每个 QUIC 包：首字节各位，以及每个头部字段的值、偏移和线上长度。',
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
    ].map((c) => withEvidence(c, ...files));
  },
});
