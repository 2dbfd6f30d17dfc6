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
 * randoms, offered cipher suites, alert description) and the TCP flags and times of every packet
 * that crossed the client's interface, up to both sides' FIN.
 */
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { keptFile, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { exec, execOutcome } from '../../src/resources/process.ts';
import { startSocketAgents } from '../../src/resources/socket-agent.ts';

export const TLS_FIELDS = ['frame.number', 'frame.time_relative', 'ip.src', 'tcp.stream', 'tcp.flags', 'tls.record.length', 'tls.record.content_type', 'tls.handshake.type', 'tls.handshake.random', 'tls.handshake.ciphersuite', 'tls.handshake.extensions.supported_version', 'tls.alert_message.desc'] as const;
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

export default defineLab({
  id: 'tls-handshake',
  title: 'TLS 1.2 and 1.3 handshakes on the wire, counted in round trips and decrypted with the key log',
  topic: 'tls',
  claims: ['tls.https.order', 'tls.v12.two-rtt', 'tls.v13.one-rtt', 'tls.v12.messages', 'tls.v12.random-32', 'tls.v13.aead-only'],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace, the server\'s side of the link delayed 30 ms; a node:tls server with a fresh self-signed ECDSA certificate; tcpdump on the client.',
    does: 'Connects with TLS 1.2 and then TLS 1.3, sending an HTTP request the moment the connection is secure, with the client logging its keys.',
    observes: 'TLS records decoded and decrypted by tshark: content and handshake types, randoms, cipher suites, alerts (close_notify), and their times; the TCP flags up to both sides\' FIN.',
    zh: {
      title: '报文层面的 TLS 1.2 与 1.3 握手：数清往返次数，并用 key log 解密',
      starts: '客户端和服务端两个命名空间，链路服务端一侧延迟 30 ms；一个使用新生成的自签名 ECDSA 证书的 node:tls 服务器；在客户端运行 tcpdump。',
      does: '先后用 TLS 1.2 和 TLS 1.3 建立连接，连接一进入安全状态就立即发送 HTTP 请求；客户端同时记录自己的密钥。',
      observes: 'tshark 解码并解密的 TLS 记录：内容类型和握手类型、随机数、密码套件、告警（close_notify），以及各自的时间；直到双方 FIN 为止的 TCP 标志。',
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
    ].map((c) => withEvidence(c, ...file));
  },
});
