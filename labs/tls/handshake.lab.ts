/**
 * Lab: the TLS 1.2 and TLS 1.3 handshakes on the wire, counted in round trips.
 *
 * Starts: a client and a server namespace on one veth link whose server side delays what it sends
 * by 30 ms (netem, or NFQUEUE without it), so that each round trip is visible; a node:tls server
 * with a fresh self-signed ECDSA certificate (openssl); tcpdump on the client.
 *
 * Does: connects with TLS 1.2, sends an HTTP request as soon as the connection is secure, reads the
 * answer; then the same with TLS 1.3. The client logs its session keys (SSLKEYLOGFILE format), so
 * that tshark can decrypt what TLS 1.3 encrypts.
 *
 * Observes: every TLS record decoded by tshark with those keys (content type, handshake type,
 * randoms, versions and supported_versions, cipher suites, session ID, certificates, ECDHE
 * parameters, signature algorithms, alert description) and the TCP flags and times of every packet
 * that crossed the client's interface, up to both sides' FIN. The same capture is decoded a second
 * time without the key log, to see which of each side's records tshark can read only with the keys
 * (before and after its ChangeCipherSpec). The Finished values themselves are not checked: tshark
 * does not verify them, and the lab does not recompute them.
 */
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { keptFile, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { exec, execOutcome } from '../../src/resources/process.ts';
import { startSocketAgents } from '../../src/resources/socket-agent.ts';

export const TLS_FIELDS = ['frame.number', 'frame.time_relative', 'ip.src', 'tcp.stream', 'tcp.flags', 'tls.record.length', 'tls.record.content_type', 'tls.handshake.type', 'tls.handshake.random', 'tls.handshake.ciphersuite', 'tls.handshake.extensions.supported_version', 'tls.alert_message.desc',
  // The hellos' fields, the certificates, the key-exchange parameters and signature schemes; and the
  // protocols tshark dissected in each packet (above TLS: what it could read of the application data).
  'tls.handshake.version', 'tls.handshake.session_id_length', 'tls.handshake.sig_hash_alg', 'tls.handshake.server_named_curve', 'tls.handshake.server_point', 'tls.handshake.client_point', 'tls.handshake.certificate', 'frame.protocols'] as const;
export type TlsRow = Record<(typeof TLS_FIELDS)[number], string>;

const CLIENT = '198.18.80.1';
const SERVER = '198.18.80.2';
export const DELAY_MS = 30;
const PORT = 8443;
const HANDSHAKE_NAMES: Record<string, string> = { '1': 'ClientHello', '2': 'ServerHello', '4': 'NewSessionTicket', '8': 'EncryptedExtensions', '11': 'Certificate', '12': 'ServerKeyExchange', '13': 'CertificateRequest', '14': 'ServerHelloDone', '15': 'CertificateVerify', '16': 'ClientKeyExchange', '20': 'Finished' };
/** The TLS 1.3 suites (RFC 8446, appendix B.4): every one of them is AEAD. */
const TLS13_SUITES: Record<string, string> = { '0x1301': 'TLS_AES_128_GCM_SHA256', '0x1302': 'TLS_AES_256_GCM_SHA384', '0x1303': 'TLS_CHACHA20_POLY1305_SHA256', '0x1304': 'TLS_AES_128_CCM_SHA256', '0x1305': 'TLS_AES_128_CCM_8_SHA256' };

const list = (v: string) => v.split(',').filter(Boolean);

/** One flight per line: who sent what, in order, for one TCP stream. */
export function flights(rows: TlsRow[]): { from: string; atMs: number; messages: string[] }[] {
  const out: { from: string; atMs: number; messages: string[] }[] = [];
  for (const r of rows) {
    const types = list(r['tls.record.content_type']);
    // Records tshark could not decrypt carry no content type, only their length.
    const undecrypted = list(r['tls.record.length']).length - types.length;
    if (!types.length && !undecrypted) continue;
    const handshakes = list(r['tls.handshake.type']).map((t) => HANDSHAKE_NAMES[t] ?? `handshake ${t}`);
    // One handshake message per handshake record, in record order; any left over belong to the last.
    const messages = types.flatMap((t) => (t === '22' ? handshakes.splice(0, 1) : t === '20' ? ['ChangeCipherSpec'] : t === '23' ? ['ApplicationData'] : t === '21' ? ['Alert'] : []));
    messages.push(...handshakes, ...Array<string>(Math.max(0, undecrypted)).fill('EncryptedRecord'));
    const from = r['ip.src'] === CLIENT ? 'client' : 'server';
    const last = out.at(-1);
    if (last && last.from === from) last.messages.push(...messages);
    else out.push({ from, atMs: Math.round(Number(r['frame.time_relative']) * 1000), messages });
  }
  return out;
}

/** Round trips from the ClientHello to the client's first application data. */
export function roundTrips(rows: TlsRow[], rttMs: number): number {
  const hello = rows.find((r) => list(r['tls.handshake.type']).includes('1'));
  // Decrypted with the key log, application data shows content type 23 even when it shares a
  // packet with the client's Finished (as in TLS 1.3).
  const data = rows.find((r) => r['ip.src'] === CLIENT && list(r['tls.record.content_type']).includes('23'));
  if (!hello || !data) return NaN;
  return Math.round((Number(data['frame.time_relative']) - Number(hello['frame.time_relative'])) * 1000 / rttMs);
}

const flightTable = (title: string, rows: TlsRow[]): Evidence => ({ kind: 'table', title, columns: ['ms', 'from', 'messages'], rows: flights(rows).map((f) => [f.atMs, f.from, f.messages.join(', ')]) });

export function judgeRoundTrips(id: string, rows: TlsRow[], rttMs: number, expected: number, version: string): ClaimResult {
  const trips = roundTrips(rows, rttMs);
  if (Number.isNaN(trips)) {
    const hello = rows.some((r) => list(r['tls.handshake.type']).includes('1'));
    const [en, zh] = hello ? ['application data from the client', '客户端的应用数据'] : ['ClientHello', 'ClientHello'];
    return notObserved(id, { en: `The ${version} capture holds no ${en} (decoded with the key log), so the round trips before the client's first data cannot be counted.`, zh: `${version} 的抓包中（用 key log 解码后）没有${zh}，无法数出客户端第一条数据之前的往返次数。` }, { version, rttMs });
  }
  const observed = { version, rttMs, roundTripsBeforeClientData: trips, flights: flights(rows).map((f) => `${f.from}: ${f.messages.join(', ')}`) };
  const holds = trips === expected;
  return {
    id,
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `With ${version} the client sent its first application data ${trips} round trip${trips > 1 ? 's' : ''} after its ClientHello (round trip ${rttMs} ms).`
      : `With ${version} the client's first data came ${trips} round trips after the ClientHello, not ${expected}.`,
    summaryZh: holds
      ? `使用 ${version} 时，客户端在发出 ClientHello 之后 ${trips} 个往返（每个往返 ${rttMs} ms）就发出了第一条应用数据。`
      : `使用 ${version} 时，客户端的第一条数据出现在 ClientHello 之后 ${trips} 个往返，而不是 ${expected} 个。`,
    observed,
    evidence: [flightTable(`${version}: the flights as tshark decoded them (with the client's key log)`, rows)],
  };
}

export function judgeMessages(rows: TlsRow[]): ClaimResult {
  const handshakeOnly = (m: string) => m !== 'ApplicationData' && m !== 'Alert';
  const seen = flights(rows)
    .map((f) => ({ ...f, messages: f.messages.filter(handshakeOnly) }))
    .filter((f) => f.messages.length > 0);
  if (!seen.length) return notObserved('tls.v12.messages', { en: 'tshark decoded no TLS 1.2 handshake message from the capture.', zh: 'tshark 没有从抓包中解码出任何 TLS 1.2 握手消息。' });
  const expected = [
    ['client', ['ClientHello']],
    ['server', ['ServerHello', 'Certificate', 'ServerKeyExchange', 'ServerHelloDone']],
    ['client', ['ClientKeyExchange', 'ChangeCipherSpec', 'Finished']],
    ['server', ['NewSessionTicket', 'ChangeCipherSpec', 'Finished']],
  ] as const;
  const asText = (fs: { from: string; messages: readonly string[] }[]) => fs.map((f) => `${f.from}: ${f.messages.join(', ')}`);
  const sheet = asText(expected.map(([from, messages]) => ({ from, messages: messages.filter((m) => m !== 'NewSessionTicket') })));
  const observed = { flights: asText(seen), sheet };
  const matchesIgnoringTicket = JSON.stringify(asText(seen.map((f) => ({ ...f, messages: f.messages.filter((m) => m !== 'NewSessionTicket') })))) === JSON.stringify(sheet);
  const ticket = seen.some((f) => f.messages.includes('NewSessionTicket'));
  return {
    id: 'tls.v12.messages',
    verdict: matchesIgnoringTicket ? (ticket ? 'nuanced' : 'confirmed') : 'refuted',
    summary: matchesIgnoringTicket
      ? `The TLS 1.2 flights were exactly the sheet's${ticket ? ', except that the server also sent a NewSessionTicket before its ChangeCipherSpec (session resumption, which the sheet leaves out)' : ''}.`
      : `The TLS 1.2 messages differ from the sheet: ${observed.flights.join(' | ')}.`,
    summaryZh: matchesIgnoringTicket
      ? `TLS 1.2 各轮消息与资料所写完全一致${ticket ? '，只是服务器在 ChangeCipherSpec 之前还发送了一条 NewSessionTicket（用于会话恢复，资料中没有提到）' : ''}。`
      : `TLS 1.2 的握手消息与资料不同：${observed.flights.join(' | ')}。`,
    observed,
    evidence: [flightTable('TLS 1.2 handshake flights', rows)],
  };
}

export function judgeRandoms(rows: TlsRow[]): ClaimResult {
  const randoms = rows.flatMap((r) => list(r['tls.handshake.random']).map((hex) => ({ from: r['ip.src'] === CLIENT ? 'client' : 'server', bytes: hex.replace(/:/g, '').length / 2 })));
  if (randoms.length < 4 && randoms.every((r) => r.bytes === 32)) {
    return notObserved('tls.v12.random-32', { en: `tshark decoded ${randoms.length} of the 4 randoms (the ClientHello and ServerHello of both handshakes).`, zh: `tshark 只解码出 4 个随机数（两次握手的 ClientHello 和 ServerHello）中的 ${randoms.length} 个。` }, { randoms });
  }
  const holds = randoms.length >= 4 && randoms.every((r) => r.bytes === 32);
  return {
    id: 'tls.v12.random-32',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? `Every ClientHello and ServerHello random in both handshakes (${randoms.length}) was 32 bytes.` : `Random sizes: ${JSON.stringify(randoms)}.`,
    summaryZh: holds ? `两次握手中 ClientHello 和 ServerHello 携带的随机数（共 ${randoms.length} 个）全部是 32 字节。` : `随机数长度：${JSON.stringify(randoms)}。`,
    observed: { randoms },
    evidence: [],
  };
}

/** RFC 9150's TLS 1.3 suites that authenticate without encrypting, as OpenSSL names them. */
export const INTEGRITY_ONLY = 'TLS_SHA256_SHA256:TLS_SHA384_SHA384';

/** `integrityOnly`: OpenSSL asked to enable RFC 9150's integrity-only TLS 1.3 suites, and what it said. */
export function judgeAead(clientHello13: TlsRow | undefined, negotiated: string, integrityOnly: { accepted: boolean; output: string }): ClaimResult {
  if (!clientHello13) return notObserved('tls.v13.aead-only', { en: 'The capture holds no TLS 1.3 ClientHello, so the offered suites are unknown.', zh: '抓包中没有 TLS 1.3 的 ClientHello，无从得知客户端提供的密码套件。' }, { negotiated });
  if (!negotiated) return notObserved('tls.v13.aead-only', { en: 'The client did not report the suite the TLS 1.3 connection negotiated.', zh: '客户端没有报告 TLS 1.3 连接协商出的密码套件。' });
  const offered = list(clientHello13?.['tls.handshake.ciphersuite'] ?? '').map((s) => `0x${Number(s).toString(16).padStart(4, '0')}`);
  const tls13 = offered.filter((s) => s.startsWith('0x13') || s === '0xc0b4' || s === '0xc0b5');
  const observed = { tls13SuitesOffered: tls13.map((s) => TLS13_SUITES[s] ?? s), negotiated, allOffered: offered.length, integrityOnlyAccepted: integrityOnly.accepted, openssl: integrityOnly.output };
  const aeadOnWire = tls13.length > 0 && tls13.every((s) => TLS13_SUITES[s]) && negotiated in Object.fromEntries(Object.values(TLS13_SUITES).map((n) => [n, 1]));
  if (!aeadOnWire) return { id: 'tls.v13.aead-only', verdict: 'refuted', summary: `Offered ${tls13.join(', ')}; negotiated ${negotiated}.`, summaryZh: `客户端提供了 ${tls13.join(', ')}；协商结果为 ${negotiated}。`, observed, evidence: [] };
  if (integrityOnly.accepted) {
    return { id: 'tls.v13.aead-only', verdict: 'refuted', summary: `The connection used AEAD (${negotiated}), but this OpenSSL also enables ${INTEGRITY_ONLY.replace(':', ' and ')}: TLS 1.3 suites that authenticate without encrypting (RFC 9150).`, summaryZh: `这次连接用的是 AEAD（${negotiated}），但这个 OpenSSL 也能启用 ${INTEGRITY_ONLY.replace(':', ' 和 ')}：只做认证、不做加密的 TLS 1.3 套件（RFC 9150）。`, observed, evidence: [] };
  }
  return {
    id: 'tls.v13.aead-only',
    verdict: 'nuanced',
    summary: `The client offered the TLS 1.3 suites ${tls13.map((s) => TLS13_SUITES[s]).join(', ')}, all AEAD (GCM, ChaCha20-Poly1305), and the server chose ${negotiated}. Asked for RFC 9150's ${INTEGRITY_ONLY.replace(':', ' and ')}, TLS 1.3 suites that authenticate without encrypting, OpenSSL answered "${integrityOnly.output}". So: only AEAD among the suites RFC 8446 defines and this library implements; the TLS 1.3 registry itself also holds those two integrity-only suites.`,
    summaryZh: `客户端提供的 TLS 1.3 密码套件为 ${tls13.map((s) => TLS13_SUITES[s]).join(', ')}，全部是 AEAD（GCM、ChaCha20-Poly1305），服务器选择了 ${negotiated}。要求 OpenSSL 启用 RFC 9150 的 ${INTEGRITY_ONLY.replace(':', ' 和 ')}（只认证、不加密的 TLS 1.3 套件）时，它回答“${integrityOnly.output}”。所以：在 RFC 8446 定义、且本库实现的套件中只有 AEAD；但 TLS 1.3 的套件注册表里还有这两个只做完整性保护的套件。`,
    observed,
    evidence: [],
  };
}

/** How one side ended the connection: the packet (index in the stream, and frame number) with its first close_notify, and with its first FIN or RST. */
function closing(rows: TlsRow[], side: 'client' | 'server') {
  const own = (r: TlsRow) => (r['ip.src'] === CLIENT) === (side === 'client');
  const closeNotify = rows.findIndex((r) => own(r) && list(r['tls.record.content_type']).includes('21') && list(r['tls.alert_message.desc']).includes('0'));
  const otherAlert = rows.findIndex((r) => own(r) && list(r['tls.record.content_type']).includes('21') && !list(r['tls.alert_message.desc']).length);
  const end = rows.findIndex((r) => own(r) && (Number(r['tcp.flags']) & 0x05) !== 0);
  const how = end < 0 ? undefined : Number(rows[end]!['tcp.flags']) & 0x01 ? 'FIN' : 'RST';
  const frame = (i: number) => (i < 0 ? undefined : rows[i]!['frame.number']);
  return { side, closeNotify, undecodedAlert: otherAlert, end, how, tlsClosedFirst: closeNotify >= 0 && closeNotify <= end, closeNotifyFrame: frame(closeNotify), endFrame: frame(end) };
}

export function judgeOrder(rows: TlsRow[]): ClaimResult {
  const firstTls = rows.findIndex((r) => list(r['tls.record.content_type']).length > 0);
  const handshakeDone = rows.findIndex((r) => r['ip.src'] === CLIENT && list(r['tls.handshake.type']).includes('20'));
  const firstData = rows.findIndex((r) => list(r['tls.record.content_type']).includes('23'));
  const tcpBefore = rows.slice(0, Math.max(0, firstTls)).filter((r) => r['tcp.flags'] === '0x0002' || r['tcp.flags'] === '0x0012').length;
  // The ServerHello names the one cipher suite the server chose from the client's list.
  const chosen = list(rows.find((r) => r['ip.src'] !== CLIENT && list(r['tls.handshake.type']).includes('2'))?.['tls.handshake.ciphersuite'] ?? '')[0];
  const opening = { tcpHandshakePacketsBeforeTls: tcpBefore, firstTlsPacket: firstTls, clientFinished: handshakeDone, firstApplicationData: firstData, negotiatedSuite: chosen };
  const missing = firstTls < 0 ? ['TLS record', 'TLS 记录'] : handshakeDone < 0 ? ["client's Finished", '客户端的 Finished'] : firstData < 0 ? ['application data', '应用数据'] : undefined;
  if (missing) return notObserved('tls.https.order', { en: `The TLS 1.2 capture holds no ${missing[0]} (decoded with the key log), so the order cannot be checked.`, zh: `TLS 1.2 的抓包中（用 key log 解码后）没有${missing[1]}，无法核对先后顺序。` }, { packets: rows.length, ...opening });
  const opened = tcpBefore === 2 && firstTls > 0 && handshakeDone > firstTls && firstData >= handshakeDone;
  if (!opened) {
    return {
      id: 'tls.https.order',
      verdict: 'refuted',
      summary: `Order: TCP handshake packets before TLS ${tcpBefore}, TLS at ${firstTls}, client Finished at ${handshakeDone}, data at ${firstData}.`,
      summaryZh: `顺序：TLS 之前的 TCP 握手包 ${tcpBefore} 个，TLS 始于第 ${firstTls} 个包，客户端 Finished 在第 ${handshakeDone} 个包，数据在第 ${firstData} 个包。`,
      observed: opening,
      evidence: [],
    };
  }
  const sides = [closing(rows, 'client'), closing(rows, 'server')];
  const observed = { ...opening, closing: sides.map(({ side, closeNotifyFrame, endFrame, how, tlsClosedFirst }) => ({ side, closeNotifyFrame, tcpEndFrame: endFrame, tcpEnd: how, tlsClosedFirst })) };
  const opensSaid = {
    en: `The TCP handshake (SYN, SYN/ACK) came first, then the TLS handshake up to the client's Finished${chosen ? ` (the ServerHello chose suite ${chosen})` : ''}, then the HTTP request as encrypted application data`,
    zh: `先是 TCP 握手（SYN、SYN/ACK），然后是 TLS 握手直到客户端发出 Finished${chosen ? `（ServerHello 选定了密码套件 ${chosen}）` : ''}，再是作为加密应用数据的 HTTP 请求`,
  };
  const unended = sides.filter((c) => c.end < 0);
  if (unended.length) {
    return notObserved('tls.https.order', { en: `${opensSaid.en}; but the capture holds no FIN or RST from the ${unended.map((c) => c.side).join(' or the ')}, so how the connection closed is not seen.`, zh: `${opensSaid.zh}；但抓包中没有${unended.map((c) => (c.side === 'client' ? '客户端' : '服务器')).join('或')}发出的 FIN 或 RST，看不到连接如何关闭。` }, observed);
  }
  const undecoded = sides.filter((c) => c.closeNotify < 0 && c.undecodedAlert >= 0 && c.undecodedAlert <= c.end);
  if (undecoded.length) {
    return notObserved('tls.https.order', { en: `${opensSaid.en}; the ${undecoded.map((c) => c.side).join(' and the ')} sent an alert before closing TCP, but tshark could not read its description, so whether it was close_notify is not known.`, zh: `${opensSaid.zh}；${undecoded.map((c) => (c.side === 'client' ? '客户端' : '服务器')).join('和')}在关闭 TCP 之前发送了一条告警，但 tshark 读不出它的描述，不知道是否为 close_notify。` }, observed);
  }
  const at = (c: (typeof sides)[number]) => (c.closeNotify === c.end ? `in the same segment as its ${c.how}, ahead of it` : `in frame ${c.closeNotifyFrame}, before its ${c.how} in frame ${c.endFrame}`);
  const atZh = (c: (typeof sides)[number]) => (c.closeNotify === c.end ? `与它的 ${c.how} 在同一个报文段中，位于其前` : `在第 ${c.closeNotifyFrame} 帧中，早于它第 ${c.endFrame} 帧中的 ${c.how}`);
  const who = (c: (typeof sides)[number]) => (c.side === 'client' ? '客户端' : '服务器');
  if (sides.every((c) => c.tlsClosedFirst)) {
    return {
      id: 'tls.https.order',
      verdict: 'confirmed',
      summary: `${opensSaid.en}; at the end each side closed TLS before TCP: ${sides.map((c) => `the ${c.side} sent its close_notify alert ${at(c)}`).join(', and ')}.`,
      summaryZh: `${opensSaid.zh}；结束时双方都先关闭 TLS 再关闭 TCP：${sides.map((c) => `${who(c)}的 close_notify 告警${atZh(c)}`).join('；')}。`,
      observed,
      evidence: [],
    };
  }
  const skipped = sides.filter((c) => !c.tlsClosedFirst);
  return {
    id: 'tls.https.order',
    verdict: 'nuanced',
    summary: `${opensSaid.en}; but the TLS connection was not always closed before the TCP one: the ${skipped.map((c) => `${c.side} ended TCP with ${c.how} without sending close_notify first`).join(', and the ')}${sides.some((c) => c.tlsClosedFirst) ? ` (the ${sides.filter((c) => c.tlsClosedFirst).map((c) => c.side).join(', ')} did send it ${sides.filter((c) => c.tlsClosedFirst).map(at).join(', ')})` : ''}.`,
    summaryZh: `${opensSaid.zh}；但 TLS 连接并不总是先于 TCP 连接关闭：${skipped.map((c) => `${who(c)}没有先发送 close_notify 就以 ${c.how} 结束了 TCP`).join('；')}${sides.some((c) => c.tlsClosedFirst) ? `（${sides.filter((c) => c.tlsClosedFirst).map((c) => `${who(c)}确实发送了 close_notify，${atZh(c)}`).join('；')}）` : ''}。`,
    observed,
    evidence: [],
  };
}

type Side = 'client' | 'server';
const sideOf = (r: TlsRow): Side => (r['ip.src'] === CLIENT ? 'client' : 'server');
const sideZh = (s: Side) => (s === 'client' ? '客户端' : '服务器');
/** The first packet in which `side` sent a handshake message of `type`. */
const sentHandshake = (rows: TlsRow[], side: Side, type: string) => rows.find((r) => sideOf(r) === side && list(r['tls.handshake.type']).includes(type));
const hex4 = (v: string) => `0x${Number(v).toString(16).padStart(4, '0')}`;
const VERSIONS: Record<string, string> = { '0x0301': 'TLS 1.0', '0x0302': 'TLS 1.1', '0x0303': 'TLS 1.2', '0x0304': 'TLS 1.3' };
const versionName = (v: string) => `${VERSIONS[hex4(v)] ?? 'unknown'} (${hex4(v)})`;
/** IANA names of the suites this lab's peers choose from (tshark 4.0 has no field with the name). */
const SUITE_NAMES: Record<string, string> = {
  ...TLS13_SUITES, '0xc02b': 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', '0xc02c': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', '0xc02f': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', '0xc030': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  '0xcca8': 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', '0xcca9': 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
};
const suiteName = (v: string) => `${hex4(v)}${SUITE_NAMES[hex4(v)] ? ` (${SUITE_NAMES[hex4(v)]})` : ''}`;
const randomBytes = (hex: string | undefined) => (hex ?? '').replace(/:/g, '').length / 2;
const CURVES: Record<string, string> = { '0x0017': 'secp256r1', '0x0018': 'secp384r1', '0x0019': 'secp521r1', '0x001d': 'x25519', '0x001e': 'x448' };
/** TLS SignatureScheme names (IANA), as far as this lab's peers use them. */
const SIGNATURE_SCHEMES: Record<string, string> = {
  '0x0401': 'rsa_pkcs1_sha256', '0x0501': 'rsa_pkcs1_sha384', '0x0601': 'rsa_pkcs1_sha512', '0x0403': 'ecdsa_secp256r1_sha256', '0x0503': 'ecdsa_secp384r1_sha384', '0x0603': 'ecdsa_secp521r1_sha512',
  '0x0804': 'rsa_pss_rsae_sha256', '0x0805': 'rsa_pss_rsae_sha384', '0x0806': 'rsa_pss_rsae_sha512', '0x0807': 'ed25519', '0x0808': 'ed448', '0x0809': 'rsa_pss_pss_sha256', '0x080a': 'rsa_pss_pss_sha384', '0x080b': 'rsa_pss_pss_sha512',
  '0x081a': 'ecdsa_brainpoolP256r1tls13_sha256', '0x081b': 'ecdsa_brainpoolP384r1tls13_sha384', '0x081c': 'ecdsa_brainpoolP512r1tls13_sha512', '0x0904': 'mldsa44', '0x0905': 'mldsa65', '0x0906': 'mldsa87',
};
const schemeName = (v: string) => SIGNATURE_SCHEMES[hex4(v)] ?? hex4(v);
const RSA_PSS = ['0x0804', '0x0805', '0x0806', '0x0809', '0x080a', '0x080b'];
const ECDSA = ['0x0403', '0x0503', '0x0603', '0x081a', '0x081b', '0x081c'];
/** The sheet's example suite, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384. */
const SHEET_SUITE = '0xc030';

export function judgeClientHelloOffers(v12: TlsRow[]): ClaimResult {
  const id = 'tls.v12.client-hello-offers';
  const hello = sentHandshake(v12, 'client', '1');
  if (!hello) return notObserved(id, { en: 'The TLS 1.2 capture holds no ClientHello.', zh: 'TLS 1.2 的抓包中没有 ClientHello。' });
  const version = list(hello['tls.handshake.version'])[0];
  const listed = list(hello['tls.handshake.extensions.supported_version']).map(hex4);
  const suites = list(hello['tls.handshake.ciphersuite']).map(hex4);
  const example = suites.includes(SHEET_SUITE);
  const observed = { frame: hello['frame.number'], clientVersion: version ? hex4(version) : undefined, supportedVersionsExtension: listed, suitesOffered: suites.length, offersSheetExample: example, suites };
  const exampleEn = example ? `, the sheet's TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (${SHEET_SUITE}) among them` : ` (the sheet's example TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 not among them)`;
  const exampleZh = example ? `，其中包括资料举例的 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384（${SHEET_SUITE}）` : `（其中没有资料举例的 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384）`;
  const offers12 = !!version && (hex4(version) === '0x0303' || listed.includes('0x0303'));
  if (!suites.length || !offers12) {
    const what = !suites.length ? ['carried no cipher suite', '没有携带任何密码套件'] : [`did not offer TLS 1.2 (client_version ${version ? hex4(version) : 'absent'}, supported_versions [${listed.join(', ')}])`, `没有提供 TLS 1.2（client_version 为 ${version ? hex4(version) : '空'}，supported_versions 为 [${listed.join(', ')}]）`];
    return { id, verdict: 'refuted', summary: `The TLS 1.2 ClientHello (frame ${hello['frame.number']}) ${what[0]}.`, summaryZh: `TLS 1.2 的 ClientHello（第 ${hello['frame.number']} 帧）${what[1]}。`, observed, evidence: [] };
  }
  if (listed.length) {
    return {
      id,
      verdict: 'confirmed',
      summary: `The TLS 1.2 ClientHello (frame ${hello['frame.number']}) carried the versions it supports (supported_versions: ${listed.map(versionName).join(', ')}) and ${suites.length} cipher suites${exampleEn}.`,
      summaryZh: `TLS 1.2 的 ClientHello（第 ${hello['frame.number']} 帧）携带了它支持的版本（supported_versions：${listed.map(versionName).join('、')}）和 ${suites.length} 个密码套件${exampleZh}。`,
      observed,
      evidence: [],
    };
  }
  return {
    id,
    verdict: 'nuanced',
    summary: `The TLS 1.2 ClientHello (frame ${hello['frame.number']}) offered ${suites.length} cipher suites${exampleEn}, but only one version: its client_version field, ${versionName(version!)}, the highest version the client supports rather than a list of versions; it carried no supported_versions extension (the list of versions, which TLS 1.3 introduced).`,
    summaryZh: `TLS 1.2 的 ClientHello（第 ${hello['frame.number']} 帧）提供了 ${suites.length} 个密码套件${exampleZh}，但版本只有一个：client_version 字段，${versionName(version!)}，即客户端支持的最高版本，而不是一个版本列表；它没有携带 supported_versions 扩展（TLS 1.3 引入的版本列表）。`,
    observed,
    evidence: [],
  };
}

export function judgeServerHelloFields(v12: TlsRow[]): ClaimResult {
  const id = 'tls.v12.server-hello-fields';
  const hello = sentHandshake(v12, 'server', '2');
  if (!hello) return notObserved(id, { en: 'The TLS 1.2 capture holds no ServerHello from the server.', zh: 'TLS 1.2 的抓包中没有服务器发出的 ServerHello。' });
  const clientHello = sentHandshake(v12, 'client', '1');
  // In the packet that carries the ServerHello, only the ServerHello has these fields.
  const [version, random, suite, sessionId] = (['tls.handshake.version', 'tls.handshake.random', 'tls.handshake.ciphersuite', 'tls.handshake.session_id_length'] as const).map((f) => list(hello[f])[0]);
  const offered = list(clientHello?.['tls.handshake.ciphersuite'] ?? '').map(hex4);
  const offeredVersion = list(clientHello?.['tls.handshake.version'] ?? '')[0];
  const ticket = v12.some((r) => sideOf(r) === 'server' && list(r['tls.handshake.type']).includes('4'));
  const observed = { frame: hello['frame.number'], version: version && hex4(version), randomBytes: randomBytes(random), suite: suite && hex4(suite), sessionIdLength: sessionId === undefined ? undefined : Number(sessionId), suitesOffered: offered.length, clientVersion: offeredVersion && hex4(offeredVersion), newSessionTicket: ticket };
  const absent = [!version && ['version', '版本'], !random && ['server random', '服务器随机数'], !suite && ['cipher suite', '密码套件'], sessionId === undefined && ['session ID', '会话 ID']].filter((x): x is string[] => !!x);
  const notChosen = [
    suite && offered.length && !offered.includes(hex4(suite)) && [`its suite ${suiteName(suite)} was not one of the ${offered.length} the ClientHello offered`, `它的套件 ${suiteName(suite)} 不在 ClientHello 提供的 ${offered.length} 个之中`],
    version && offeredVersion && Number(version) > Number(offeredVersion) && [`its version ${versionName(version)} is above the ClientHello's ${versionName(offeredVersion)}`, `它的版本 ${versionName(version)} 高于 ClientHello 的 ${versionName(offeredVersion)}`],
  ].filter((x): x is string[] => !!x);
  if (absent.length || notChosen.length) {
    const en = [...(absent.length ? [`it carried no ${absent.map((a) => a[0]).join(', ')}`] : []), ...notChosen.map((n) => n[0])].join('; ');
    const zh = [...(absent.length ? [`它没有携带${absent.map((a) => a[1]).join('、')}`] : []), ...notChosen.map((n) => n[1])].join('；');
    return { id, verdict: 'refuted', summary: `The TLS 1.2 ServerHello (frame ${hello['frame.number']}) differs from the sheet: ${en}.`, summaryZh: `TLS 1.2 的 ServerHello（第 ${hello['frame.number']} 帧）与资料不符：${zh}。`, observed, evidence: [] };
  }
  const sid = Number(sessionId);
  const sidEn = sid ? `a ${sid}-byte session ID` : `a session ID field that was empty (length 0)${ticket ? ': this server offers resumption through the session ticket it sent afterwards (NewSessionTicket) instead' : ''}`;
  const sidZh = sid ? `${sid} 字节的会话 ID` : `一个为空（长度 0）的会话 ID 字段${ticket ? '：这个服务器改用它随后发送的会话票据（NewSessionTicket）来支持会话恢复' : ''}`;
  return {
    id,
    verdict: 'confirmed',
    summary: `The TLS 1.2 ServerHello (frame ${hello['frame.number']}) carried the chosen version ${versionName(version!)}, a ${randomBytes(random)}-byte server random, the chosen cipher suite ${suiteName(suite!)}, one of the ${offered.length} the ClientHello offered, and ${sidEn}.`,
    summaryZh: `TLS 1.2 的 ServerHello（第 ${hello['frame.number']} 帧）携带了选择的版本 ${versionName(version!)}、${randomBytes(random)} 字节的服务器随机数、选择的密码套件 ${suiteName(suite!)}（ClientHello 提供的 ${offered.length} 个之一），以及${sidZh}。`,
    observed,
    evidence: [],
  };
}

interface CertificateList {
  version: string;
  from: Side;
  frame: string;
  certificates: { subject: string; issuer: string; selfSigned: boolean }[];
  /** Each certificate issued and signed by the next one. */
  chained: boolean;
  der: string[];
}

function certificateList(version: string, rows: TlsRow[]): CertificateList | undefined {
  const row = rows.find((r) => list(r['tls.handshake.type']).includes('11'));
  if (!row) return undefined;
  const der = list(row['tls.handshake.certificate']);
  let certs: X509Certificate[];
  try {
    certs = der.map((hex) => new X509Certificate(Buffer.from(hex, 'hex')));
  } catch {
    return undefined;
  }
  const chained = certs.every((c, i) => i === certs.length - 1 || (c.checkIssued(certs[i + 1]!) && c.verify(certs[i + 1]!.publicKey)));
  return { version, from: sideOf(row), frame: row['frame.number'], certificates: certs.map((c) => ({ subject: c.subject.replace(/\n/g, ', '), issuer: c.issuer.replace(/\n/g, ', '), selfSigned: c.checkIssued(c) && c.verify(c.publicKey) })), chained, der };
}

export function judgeCertificateChain(v12: TlsRow[], v13: TlsRow[]): ClaimResult {
  const id = 'tls.certificate.chain';
  const lists = [certificateList('TLS 1.2', v12), certificateList('TLS 1.3', v13)];
  const absent = (['TLS 1.2', 'TLS 1.3'] as const).filter((_, i) => !lists[i]);
  const observed = { certificateMessages: lists.filter((l) => l).map((l) => ({ version: l!.version, from: l!.from, frame: l!.frame, certificates: l!.certificates, chained: l!.chained })) };
  if (absent.length) {
    return notObserved(id, { en: `No Certificate message was decoded (with certificates that parse) from the ${absent.join(' or the ')} handshake${absent.includes('TLS 1.3') ? ' (TLS 1.3 encrypts it; tshark reads it only with the key log)' : ''}.`, zh: `没有从 ${absent.join(' 或 ')} 握手中解码出（证书可解析的）Certificate 消息${absent.includes('TLS 1.3') ? '（TLS 1.3 中它是加密的，tshark 只有借助 key log 才能读出）' : ''}。` }, observed);
  }
  const found = lists as CertificateList[];
  const wrong = found.filter((l) => l.from !== 'server' || !l.certificates.length || !l.chained);
  if (wrong.length) {
    const en = wrong.map((l) => `in ${l.version} ${l.from !== 'server' ? `it came from the ${l.from}` : !l.certificates.length ? 'it held no certificate' : 'its certificates are not each issued by the next'}`).join('; ');
    const zh = wrong.map((l) => `${l.version} 中${l.from !== 'server' ? `它来自${sideZh(l.from)}` : !l.certificates.length ? '它不含任何证书' : '其中的证书并非逐个由下一张签发'}`).join('；');
    return { id, verdict: 'refuted', summary: `The Certificate message was not the server's certificate chain: ${en}.`, summaryZh: `Certificate 消息并不是服务器的证书链：${zh}。`, observed, evidence: [] };
  }
  const where = found.map((l) => `${l.version} in frame ${l.frame}${l.version === 'TLS 1.3' ? ' (encrypted, read with the key log)' : ''}: ${l.certificates.length} certificate${l.certificates.length > 1 ? 's' : ''}`).join('; ');
  const whereZh = found.map((l) => `${l.version} 在第 ${l.frame} 帧${l.version === 'TLS 1.3' ? '（加密的，借助 key log 读出）' : ''}：${l.certificates.length} 张证书`).join('；');
  if (found.every((l) => l.certificates.length > 1)) {
    return { id, verdict: 'confirmed', summary: `In both handshakes the server's Certificate message held a certificate chain, each certificate issued and signed by the next (${where}).`, summaryZh: `两次握手中服务器的 Certificate 消息都是一条证书链，每张证书都由下一张签发并签名（${whereZh}）。`, observed, evidence: [] };
  }
  const same = found[0]!.der.join() === found[1]!.der.join();
  const one = found.find((l) => l.certificates.length === 1)!.certificates[0]!;
  return {
    id,
    verdict: 'nuanced',
    summary: `In both handshakes the server sent a Certificate message holding its certificate list (${where}), but here that "chain" was a single certificate${same ? ', the same in both' : ''}: the lab's self-signed one (subject ${one.subject}, issuer ${one.issuer}${one.selfSigned ? ', signed by its own key' : ''}). A chain with intermediate CAs, each certificate signed by the next, did not occur: this server has no CA above its certificate.`,
    summaryZh: `两次握手中服务器都发送了装有其证书列表的 Certificate 消息（${whereZh}），但这里的“链”只有一张证书${same ? '，两次相同' : ''}：实验自签名的证书（主体 ${one.subject}，签发者 ${one.issuer}${one.selfSigned ? '，由自身密钥签名' : ''}）。带中间 CA、每张证书由下一张签名的证书链没有出现：这个服务器的证书之上没有 CA。`,
    observed,
    evidence: [],
  };
}

export function judgeKeyExchangeParams(v12: TlsRow[]): ClaimResult {
  const id = 'tls.v12.key-exchange-params';
  const ske = v12.find((r) => list(r['tls.handshake.type']).includes('12'));
  const cke = v12.find((r) => list(r['tls.handshake.type']).includes('16'));
  if (!ske || !cke) {
    const absent = [!ske && 'ServerKeyExchange', !cke && 'ClientKeyExchange'].filter(Boolean);
    return notObserved(id, { en: `The TLS 1.2 capture holds no ${absent.join(' or ')}.`, zh: `TLS 1.2 的抓包中没有 ${absent.join(' 和 ')}。` });
  }
  const curve = list(ske['tls.handshake.server_named_curve'])[0];
  const serverKey = list(ske['tls.handshake.server_point'])[0];
  const clientKey = list(cke['tls.handshake.client_point'])[0];
  // In the server's packet only the ServerKeyExchange carries a signature algorithm.
  const signedWith = list(ske['tls.handshake.sig_hash_alg'])[0];
  const observed = { serverKeyExchange: { from: sideOf(ske), frame: ske['frame.number'], curve: curve && hex4(curve), publicKeyBytes: (serverKey ?? '').length / 2, signature: signedWith && schemeName(signedWith) }, clientKeyExchange: { from: sideOf(cke), frame: cke['frame.number'], publicKeyBytes: (clientKey ?? '').length / 2 } };
  const wrong = [
    sideOf(ske) !== 'server' && ['the ServerKeyExchange came from the client', 'ServerKeyExchange 来自客户端'],
    sideOf(cke) !== 'client' && ['the ClientKeyExchange came from the server', 'ClientKeyExchange 来自服务器'],
    !serverKey && ['the ServerKeyExchange carried no public key', 'ServerKeyExchange 没有携带公钥'],
    !clientKey && ['the ClientKeyExchange carried no public key', 'ClientKeyExchange 没有携带公钥'],
  ].filter((x): x is string[] => !!x);
  if (wrong.length) return { id, verdict: 'refuted', summary: `In the TLS 1.2 handshake ${wrong.map((w) => w[0]).join('; ')}.`, summaryZh: `在 TLS 1.2 握手中，${wrong.map((w) => w[1]).join('；')}。`, observed, evidence: [] };
  const curveName = curve ? `${CURVES[hex4(curve)] ?? 'curve'} (${hex4(curve)})` : 'an unnamed curve';
  return {
    id,
    verdict: 'confirmed',
    summary: `The server's ServerKeyExchange (frame ${ske['frame.number']}) carried its ECDHE parameters: the named curve ${curveName} and a ${serverKey!.length / 2}-byte public key${signedWith ? `, signed with ${schemeName(signedWith)}` : ''}; the client's ClientKeyExchange (frame ${cke['frame.number']}) carried the client's ${clientKey!.length / 2}-byte ECDHE public key.`,
    summaryZh: `服务器的 ServerKeyExchange（第 ${ske['frame.number']} 帧）携带了它的 ECDHE 参数：命名曲线 ${curveName} 和 ${serverKey!.length / 2} 字节的公钥${signedWith ? `，并用 ${schemeName(signedWith)} 签名` : ''}；客户端的 ClientKeyExchange（第 ${cke['frame.number']} 帧）携带了客户端 ${clientKey!.length / 2} 字节的 ECDHE 公钥。`,
    observed,
    evidence: [],
  };
}

export function judgeServerHelloDone(v12: TlsRow[]): ClaimResult {
  const id = 'tls.v12.server-hello-done';
  const handshake = flights(v12)
    .map((f) => ({ ...f, messages: f.messages.filter((m) => m !== 'ApplicationData' && m !== 'Alert') }))
    .filter((f) => f.messages.length > 0);
  const at = handshake.findIndex((f) => f.from === 'server' && f.messages.includes('ServerHelloDone'));
  if (at < 0) return notObserved(id, { en: 'The TLS 1.2 capture holds no ServerHelloDone from the server.', zh: 'TLS 1.2 的抓包中没有服务器发出的 ServerHelloDone。' });
  const flight = handshake[at]!;
  const inSameFlight = flight.messages.slice(flight.messages.indexOf('ServerHelloDone') + 1);
  const reply = handshake[at + 1];
  const later = handshake.slice(at + 1).filter((f) => f.from === 'server');
  const observed = { serverFlight: flight.messages, atMs: flight.atMs, afterItInTheSameFlight: inSameFlight, clientReply: reply?.messages, clientReplyAtMs: reply?.atMs, laterServerMessages: later.flatMap((f) => f.messages), laterServerAtMs: later[0]?.atMs };
  if (inSameFlight.length) {
    return { id, verdict: 'refuted', summary: `After its ServerHelloDone the server went on sending ${inSameFlight.join(', ')} before the client answered.`, summaryZh: `服务器在 ServerHelloDone 之后、客户端回应之前又发送了 ${inSameFlight.join('、')}。`, observed, evidence: [] };
  }
  if (!later.length) {
    return { id, verdict: 'confirmed', summary: `ServerHelloDone ended the server's flight (${flight.messages.join(', ')}), and the server sent no further handshake message.`, summaryZh: `ServerHelloDone 结束了服务器的这一轮消息（${flight.messages.join('、')}），此后服务器再没有发送任何握手消息。`, observed, evidence: [] };
  }
  const laterMessages = later.flatMap((f) => f.messages);
  return {
    id,
    verdict: 'nuanced',
    summary: `ServerHelloDone was the last message of the server's first flight (${flight.messages.join(', ')}, at ${flight.atMs} ms), and nothing more came from the server until the client had sent ${reply?.messages.join(', ') ?? 'its flight'} (at ${reply?.atMs} ms); but the server had not finished sending its messages: at ${later[0]!.atMs} ms it sent ${laterMessages.join(', ')}. It ended the server's hello messages, not all of its messages.`,
    summaryZh: `ServerHelloDone 是服务器第一轮消息（${flight.messages.join('、')}，${flight.atMs} ms）中的最后一条，之后服务器再没有发送任何东西，直到客户端发出 ${reply?.messages.join('、') ?? '它的一轮消息'}（${reply?.atMs} ms）；但服务器的消息并没有发完：它在 ${later[0]!.atMs} ms 又发送了 ${laterMessages.join('、')}。它结束的是服务器的 Hello 阶段消息，而不是服务器的全部消息。`,
    observed,
    evidence: [flightTable('TLS 1.2 handshake flights', v12)],
  };
}

/** One TLS record of a packet, and whether tshark read it in the decoding with the key log and in the one without. */
interface RecordRead {
  frame: string;
  from: Side;
  /** What the record holds, as the decoding with the key log names it ('encrypted record' when even that one could not read it). */
  content: string;
  ccs: boolean;
  withKeyLog: boolean;
  withoutKeyLog: boolean;
}

/** The protocols tshark dissected in what a packet's TLS records carry (certificates aside): empty when it could not read the application data. */
function carried(r: TlsRow): string[] {
  const protocols = r['frame.protocols'].split(':');
  return protocols.slice(protocols.lastIndexOf('tls') + 1).filter((p) => !/^(x509|pkcs)/.test(p));
}

/**
 * Every TLS 1.2 record one side sent, in order, from the two decodings of the same capture. Record by
 * record (outer content types, which TLS 1.2 leaves in clear): a ChangeCipherSpec is one plaintext byte;
 * a handshake record is read when tshark decoded a handshake message for it (one message a record, in
 * order, as these peers send them); an alert when it decoded its description; application data when it
 * dissected what the record carries (HTTP here). A record that the decoding with the key log identifies
 * counts as read without the key log only if that decoding of the same packet shows the same message.
 */
export function recordsRead(withKeys: TlsRow[], withoutKeys: TlsRow[], side: Side): RecordRead[] {
  const keyless = new Map(withoutKeys.map((r) => [r['frame.number'], r]));
  return withKeys.filter((r) => sideOf(r) === side).flatMap((r) => {
    const other = keyless.get(r['frame.number']);
    const [handshakes, alerts] = [list(r['tls.handshake.type']), list(r['tls.alert_message.desc'])];
    const [handshakesWithout, alertsWithout] = [list(other?.['tls.handshake.type'] ?? ''), list(other?.['tls.alert_message.desc'] ?? '')];
    const data = carried(r);
    const dataWithout = other ? carried(other) : [];
    return list(r['tls.record.content_type']).map((type): RecordRead => {
      const at = { frame: r['frame.number'], from: side };
      if (type === '20') return { ...at, content: 'ChangeCipherSpec', ccs: true, withKeyLog: true, withoutKeyLog: !!other && list(other['tls.record.content_type']).includes('20') };
      if (type === '22') {
        const t = handshakes.shift();
        if (t === undefined) return { ...at, content: 'encrypted handshake record', ccs: false, withKeyLog: false, withoutKeyLog: false };
        const i = handshakesWithout.indexOf(t);
        if (i >= 0) handshakesWithout.splice(i, 1);
        return { ...at, content: HANDSHAKE_NAMES[t] ?? `handshake ${t}`, ccs: false, withKeyLog: true, withoutKeyLog: i >= 0 };
      }
      if (type === '21') {
        const desc = alerts.shift();
        const without = alertsWithout.shift();
        return { ...at, content: desc === undefined ? 'encrypted alert' : `Alert (${desc === '0' ? 'close_notify' : `description ${desc}`})`, ccs: false, withKeyLog: desc !== undefined, withoutKeyLog: without !== undefined };
      }
      if (type === '23') return { ...at, content: data.length ? `ApplicationData (${data[0]})` : 'encrypted application data', ccs: false, withKeyLog: data.length > 0, withoutKeyLog: dataWithout.length > 0 };
      return { ...at, content: `content type ${type}`, ccs: false, withKeyLog: false, withoutKeyLog: false };
    });
  });
}

const names = (records: RecordRead[]) => records.map((r) => r.content).join(', ');

/** `v12`: the TLS 1.2 connection decoded with the client's key log; `v12WithoutKeyLog`: the same packets decoded without it. */
export function judgeChangeCipherSpec(v12: TlsRow[], v12WithoutKeyLog: TlsRow[]): ClaimResult {
  const id = 'tls.v12.change-cipher-spec';
  const sides = (['client', 'server'] as const).map((side) => {
    const records = recordsRead(v12, v12WithoutKeyLog, side);
    const at = records.findIndex((r) => r.ccs);
    const before = at < 0 ? records : records.slice(0, at);
    const after = at < 0 ? [] : records.slice(at + 1);
    return { side, records, ccsFrame: at < 0 ? undefined : records[at]!.frame, before, after };
  });
  const observed = {
    sides: sides.map((s) => ({
      side: s.side,
      changeCipherSpecFrame: s.ccsFrame,
      before: names(s.before),
      beforeReadWithoutKeyLog: s.before.every((r) => r.withoutKeyLog),
      after: names(s.after),
      afterReadWithoutKeyLog: names(s.after.filter((r) => r.withoutKeyLog)),
      afterReadOnlyWithKeyLog: s.after.length > 0 && s.after.every((r) => r.withKeyLog && !r.withoutKeyLog),
    })),
  };
  const evidence: Evidence[] = [{ kind: 'table', title: 'TLS 1.2 records of each side, as tshark decoded the capture with and without the client\'s key log', columns: ['frame', 'from', 'record', 'read without the key log', 'read with the key log'], rows: sides.flatMap((s) => s.records).sort((a, b) => Number(a.frame) - Number(b.frame)).map((r) => [r.frame, r.from, r.content, r.withoutKeyLog ? 'yes' : 'no', r.withKeyLog ? 'yes' : 'no']) }];
  const noCcs = sides.filter((s) => s.ccsFrame === undefined || !s.after.length);
  if (noCcs.length) {
    return notObserved(id, { en: `In the TLS 1.2 capture ${noCcs.map((s) => `the ${s.side} ${s.ccsFrame === undefined ? 'sent no ChangeCipherSpec' : 'sent nothing after its ChangeCipherSpec'}`).join(', and ')}.`, zh: `TLS 1.2 的抓包中${noCcs.map((s) => `${sideZh(s.side)}${s.ccsFrame === undefined ? '没有发送 ChangeCipherSpec' : '在 ChangeCipherSpec 之后没有再发送任何东西'}`).join('；')}。` }, observed);
  }
  const wrong = sides.filter((s) => s.after.some((r) => r.withoutKeyLog) || s.before.some((r) => !r.withoutKeyLog));
  if (wrong.length) {
    const plain = (s: (typeof sides)[number]) => s.after.filter((r) => r.withoutKeyLog);
    const sealed = (s: (typeof sides)[number]) => s.before.filter((r) => !r.withoutKeyLog);
    const en = wrong.map((s) => (plain(s).length ? `tshark read what the ${s.side} sent after its ChangeCipherSpec (frame ${s.ccsFrame}) without the key log: ${names(plain(s))} in plaintext` : `the ${s.side}'s ${names(sealed(s))} before its ChangeCipherSpec could not be read without the key log`)).join('; ');
    const zh = wrong.map((s) => (plain(s).length ? `${sideZh(s.side)}在 ChangeCipherSpec（第 ${s.ccsFrame} 帧）之后发送的 ${names(plain(s))} 不用 key log 就被 tshark 读出，是明文` : `${sideZh(s.side)}在 ChangeCipherSpec 之前发送的 ${names(sealed(s))} 不用 key log 就读不出`)).join('；');
    return { id, verdict: 'refuted', summary: `In the TLS 1.2 handshake ${en}.`, summaryZh: `在 TLS 1.2 握手中，${zh}。`, observed, evidence };
  }
  const unread = sides.filter((s) => s.after.some((r) => !r.withKeyLog));
  if (unread.length) {
    return notObserved(id, { en: `In the TLS 1.2 handshake tshark could not read what the ${unread.map((s) => s.side).join(' and the ')} sent after ${unread.length > 1 ? 'their' : 'its'} ChangeCipherSpec (${unread.map((s) => names(s.after.filter((r) => !r.withKeyLog))).join('; ')}) without the key log, nor with it, so whether it was encrypted with this session's negotiated keys is not shown.`, zh: `在 TLS 1.2 握手中，${unread.map((s) => sideZh(s.side)).join('和')}在 ChangeCipherSpec 之后发送的内容（${unread.map((s) => names(s.after.filter((r) => !r.withKeyLog))).join('；')}）tshark 不用 key log 读不出，用了 key log 也读不出，看不出它是否使用本次会话协商出的密钥加密。` }, observed);
  }
  const said = sides.map((s) => `the ${s.side}'s ${names(s.before)} before its ChangeCipherSpec (frame ${s.ccsFrame}) were read without the key log, and ${s.after.length === 1 ? 'the record' : `all ${s.after.length} records`} after it (${names(s.after)}) only with the key log`);
  const saidZh = sides.map((s) => `${sideZh(s.side)}在 ChangeCipherSpec（第 ${s.ccsFrame} 帧）之前的 ${names(s.before).replace(/, /g, '、')} 不用 key log 就能读出，之后的${s.after.length === 1 ? '那条记录' : `全部 ${s.after.length} 条记录`}（${names(s.after).replace(/, /g, '、')}）只有用了 key log 才能读出`);
  return {
    id,
    verdict: 'confirmed',
    summary: `In the TLS 1.2 handshake each side's ChangeCipherSpec marked where its encryption with the negotiated keys began. tshark decoded the capture twice, without and with the key log in which the client logged this session's master secret: ${said.join('; ')}.`,
    summaryZh: `在 TLS 1.2 握手中，每一方的 ChangeCipherSpec 都标志着它开始用协商出的密钥加密。tshark 对同一抓包解码了两次，一次不用、一次使用客户端记录了本次会话主密钥的 key log：${saidZh.join('；')}。`,
    observed,
    evidence,
  };
}

export function judgeVersionFields13(v13: TlsRow[]): ClaimResult {
  const id = 'tls.v13.version-fields';
  const ch = sentHandshake(v13, 'client', '1');
  const sh = sentHandshake(v13, 'server', '2');
  if (!ch || !sh) return notObserved(id, { en: `The TLS 1.3 capture holds no ${!ch ? 'ClientHello' : 'ServerHello'}.`, zh: `TLS 1.3 的抓包中没有 ${!ch ? 'ClientHello' : 'ServerHello'}。` });
  const chVersion = hex4(list(ch['tls.handshake.version'])[0] ?? '0');
  const shVersion = hex4(list(sh['tls.handshake.version'])[0] ?? '0');
  const offered = list(ch['tls.handshake.extensions.supported_version']).map(hex4);
  const selected = list(sh['tls.handshake.extensions.supported_version']).map(hex4)[0];
  const observed = { clientHello: { frame: ch['frame.number'], versionField: chVersion, supportedVersions: offered }, serverHello: { frame: sh['frame.number'], versionField: shVersion, selectedVersion: selected } };
  if (selected !== '0x0304' || !offered.includes('0x0304')) {
    return { id, verdict: 'refuted', summary: `The TLS 1.3 connection's hellos did not both state TLS 1.3: the ClientHello's supported_versions were [${offered.map(versionName).join(', ')}] and the ServerHello selected ${selected ? versionName(selected) : 'no version in supported_versions'} (version fields ${versionName(chVersion)} and ${versionName(shVersion)}).`, summaryZh: `这条 TLS 1.3 连接的两条 Hello 并没有都写明 TLS 1.3：ClientHello 的 supported_versions 为 [${offered.map(versionName).join('、')}]，ServerHello ${selected ? `选择了 ${versionName(selected)}` : '的 supported_versions 中没有版本'}（版本字段分别为 ${versionName(chVersion)} 和 ${versionName(shVersion)}）。`, observed, evidence: [] };
  }
  if (chVersion === '0x0304' && shVersion === '0x0304' && offered.every((v) => v === '0x0304')) {
    return { id, verdict: 'confirmed', summary: `The ClientHello supported only TLS 1.3 (supported_versions [0x0304], version field 0x0304) and the ServerHello chose TLS 1.3 (0x0304 in its version field and in supported_versions).`, summaryZh: `ClientHello 只支持 TLS 1.3（supported_versions 为 [0x0304]，版本字段为 0x0304），ServerHello 选择了 TLS 1.3（版本字段和 supported_versions 中都是 0x0304）。`, observed, evidence: [] };
  }
  return {
    id,
    verdict: 'nuanced',
    summary: `TLS 1.3 was stated only in the supported_versions extension: the ClientHello (frame ${ch['frame.number']}) listed ${offered.map(versionName).join(', ')} there${offered.length > 1 ? ', so TLS 1.3 was not its only supported version' : ''}, and the ServerHello (frame ${sh['frame.number']}) selected ${versionName(selected)} there; the version fields themselves said ${versionName(chVersion)} in the ClientHello and ${versionName(shVersion)} in the ServerHello (legacy_version, which RFC 8446 keeps at TLS 1.2).`,
    summaryZh: `TLS 1.3 只出现在 supported_versions 扩展中：ClientHello（第 ${ch['frame.number']} 帧）在其中列出了 ${offered.map(versionName).join('、')}${offered.length > 1 ? '，TLS 1.3 并不是它唯一支持的版本' : ''}；ServerHello（第 ${sh['frame.number']} 帧）在其中选择了 ${versionName(selected)}；而版本字段本身在 ClientHello 中是 ${versionName(chVersion)}，在 ServerHello 中是 ${versionName(shVersion)}（legacy_version，RFC 8446 规定保持为 TLS 1.2）。`,
    observed,
    evidence: [],
  };
}

export function judgeSignatureAlgorithms13(v13: TlsRow[]): ClaimResult {
  const id = 'tls.v13.signature-algorithms';
  const ch = sentHandshake(v13, 'client', '1');
  if (!ch) return notObserved(id, { en: 'The TLS 1.3 capture holds no ClientHello.', zh: 'TLS 1.3 的抓包中没有 ClientHello。' });
  // The ClientHello's only list of signature schemes here is its signature_algorithms extension.
  const algorithms = list(ch['tls.handshake.sig_hash_alg']).map(hex4);
  const pss = algorithms.filter((a) => RSA_PSS.includes(a));
  const ecdsa = algorithms.filter((a) => ECDSA.includes(a));
  const verify = sentHandshake(v13, 'server', '15');
  const used = verify ? list(verify['tls.handshake.sig_hash_alg'])[0] : undefined;
  const observed = { frame: ch['frame.number'], offered: algorithms.map(schemeName), rsaPss: pss.map(schemeName), ecdsa: ecdsa.map(schemeName), serverCertificateVerify: used && schemeName(used) };
  if (!algorithms.length) return { id, verdict: 'refuted', summary: `The TLS 1.3 ClientHello (frame ${ch['frame.number']}) carried no signature algorithms.`, summaryZh: `TLS 1.3 的 ClientHello（第 ${ch['frame.number']} 帧）没有携带任何签名算法。`, observed, evidence: [] };
  const usedEn = used ? `; the server signed its CertificateVerify with ${schemeName(used)}, one of them` : '';
  const usedZh = used ? `；服务器用其中的 ${schemeName(used)} 为 CertificateVerify 签名` : '';
  if (!pss.length || !ecdsa.length) {
    const lacking = [!pss.length && 'RSA-PSS', !ecdsa.length && 'ECDSA'].filter(Boolean).join(' / ');
    return { id, verdict: 'nuanced', summary: `The TLS 1.3 ClientHello (frame ${ch['frame.number']}) carried ${algorithms.length} signature algorithms, but no ${lacking} among them: ${observed.offered.join(', ')}${usedEn}.`, summaryZh: `TLS 1.3 的 ClientHello（第 ${ch['frame.number']} 帧）携带了 ${algorithms.length} 个签名算法，但其中没有 ${lacking}：${observed.offered.join('、')}${usedZh}。`, observed, evidence: [] };
  }
  return {
    id,
    verdict: 'confirmed',
    summary: `The TLS 1.3 ClientHello (frame ${ch['frame.number']}) carried ${algorithms.length} supported signature algorithms (signature_algorithms), RSA-PSS (${observed.rsaPss.join(', ')}) and ECDSA (${observed.ecdsa.join(', ')}) among them${usedEn}.`,
    summaryZh: `TLS 1.3 的 ClientHello（第 ${ch['frame.number']} 帧）携带了 ${algorithms.length} 个支持的签名算法（signature_algorithms），其中包括 RSA-PSS（${observed.rsaPss.join('、')}）和 ECDSA（${observed.ecdsa.join('、')}）${usedZh}。`,
    observed,
    evidence: [],
  };
}

export default defineLab({
  id: 'tls-handshake',
  title: 'TLS 1.2 and 1.3 handshakes on the wire, counted in round trips and decrypted with the key log',
  topic: 'tls',
  claims: [
    'tls.https.order', 'tls.v12.two-rtt', 'tls.v13.one-rtt', 'tls.v12.messages', 'tls.v12.random-32', 'tls.v13.aead-only',
    'tls.v12.client-hello-offers', 'tls.v12.server-hello-fields', 'tls.certificate.chain', 'tls.v12.key-exchange-params', 'tls.v12.server-hello-done',
    'tls.v12.change-cipher-spec', 'tls.v13.version-fields', 'tls.v13.signature-algorithms',
  ],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace, the server\'s side of the link delayed 30 ms; a node:tls server with a fresh self-signed ECDSA certificate; tcpdump on the client.',
    does: 'Connects with TLS 1.2 and then TLS 1.3, sending an HTTP request the moment the connection is secure, with the client logging its keys; afterwards has tshark decode the capture twice, with and without that key log.',
    observes: 'TLS records decoded and decrypted by tshark: content and handshake types, randoms, versions and supported_versions, cipher suites, session ID, certificates, ECDHE parameters, signature algorithms, alerts (close_notify), and their times; the TCP flags up to both sides\' FIN; which of the records each side sent before and after its ChangeCipherSpec tshark reads without the key log and which only with it.',
    zh: {
      title: '报文层面的 TLS 1.2 与 1.3 握手：数清往返次数，并用 key log 解密',
      starts: '客户端和服务端两个命名空间，链路服务端一侧延迟 30 ms；一个使用新生成的自签名 ECDSA 证书的 node:tls 服务器；在客户端运行 tcpdump。',
      does: '先后用 TLS 1.2 和 TLS 1.3 建立连接，连接一进入安全状态就立即发送 HTTP 请求；客户端同时记录自己的密钥；之后让 tshark 对抓包解码两次，一次使用这份 key log，一次不用。',
      observes: 'tshark 解码并解密的 TLS 记录：内容类型和握手类型、随机数、版本与 supported_versions、密码套件、会话 ID、证书、ECDHE 参数、签名算法、告警（close_notify），以及各自的时间；直到双方 FIN 为止的 TCP 标志；每一方在 ChangeCipherSpec 之前和之后发送的记录中，哪些不用 key log 就能被 tshark 读出，哪些只有用了 key log 才能读出。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, server: {} },
      links: [{ a: ['client', `${CLIENT}/24`], b: ['server', `${SERVER}/24`], impair: { b: { delayMs: DELAY_MS } } }],
    },
  },
  async run(ctx) {
    const net = ctx.hosts;
    ctx.environment.tshark = await toolVersion('tshark');
    ctx.environment.openssl = await toolVersion('openssl', ['version']);
    ctx.environment.node = `${process.version} (its TLS: OpenSSL ${process.versions.openssl})`;
    ctx.environment.impairment = net.server!.impairments.map((i) => i.description).join('; ');
    const [key, cert, keylog] = ['key.pem', 'cert.pem', 'keys.log'].map((f) => join(ctx.workDir, f)) as [string, string, string];
    await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=server', '-days', '1']);

    const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'tls', netns: net.client!.netns, iface: 'eth0', filter: `tcp port ${PORT}` });
    const [client, server] = await startSocketAgents(ctx.scope, ctx.runId, net.client!, net.server!);
    await server.request('tls-listen', { port: PORT, cert, key });
    const negotiated: Record<string, string> = {};
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      ctx.step(version);
      await client.request('tls-connect', { host: SERVER, port: PORT, conn: version, maxVersion: version, keylog, request: 'GET / HTTP/1.1\r\nHost: server\r\n\r\n' });
      const secure = await client.waitFor((e) => e.event === 'secure' && e.conn === version, 10_000, `${version} handshake`);
      negotiated[version] = String(secure.cipher);
      await client.waitFor((e) => e.event === 'close' && e.conn === version, 10_000, `${version} response`);
    }
    await capture.stop();
    const asked = await execOutcome('openssl', ['ciphers', '-s', '-tls1_3', '-ciphersuites', INTEGRITY_ONLY]);
    const integrityOnly = { accepted: asked.exitCode === 0, output: (asked.output.match(/no cipher match|Error[^\n]*/)?.[0] ?? asked.stdout.trim()).slice(0, 120) };
    const rows = (await readFields(capture.file, 'tcp', TLS_FIELDS, [`tls.keylog_file:${keylog}`])) as TlsRow[];
    // The same packets without the key log: what tshark can read of each record without the session's keys.
    const withoutKeyLog = (await readFields(capture.file, 'tcp.stream == 0', TLS_FIELDS)) as TlsRow[];
    const file = [...keptFile(ctx, capture.file, 'capture (pcap; decrypt with keys.log beside it)'), ...keptFile(ctx, keylog, 'the client\'s key log (SSLKEYLOGFILE format)')];
    const stream = (n: string) => rows.filter((r) => r['tcp.stream'] === n);
    const [v12, v13] = [stream('0'), stream('1')];
    const synAck = v12.find((r) => r['tcp.flags'] === '0x0012');
    const rtt = synAck ? Math.round(Number(synAck['frame.time_relative']) * 1000 - Number(v12[0]!['frame.time_relative']) * 1000) : DELAY_MS;
    return [
      judgeOrder(v12),
      judgeRoundTrips('tls.v12.two-rtt', v12, rtt, 2, 'TLS 1.2'),
      judgeRoundTrips('tls.v13.one-rtt', v13, rtt, 1, 'TLS 1.3'),
      judgeMessages(v12),
      judgeRandoms(rows),
      judgeAead(v13.find((r) => list(r['tls.handshake.type']).includes('1')), negotiated['TLSv1.3'] ?? '', integrityOnly),
      judgeClientHelloOffers(v12),
      judgeServerHelloFields(v12),
      judgeCertificateChain(v12, v13),
      judgeKeyExchangeParams(v12),
      judgeServerHelloDone(v12),
      judgeChangeCipherSpec(v12, withoutKeyLog),
      judgeVersionFields13(v13),
      judgeSignatureAlgorithms13(v13),
    ].map((c) => withEvidence(c, ...file));
  },
});
