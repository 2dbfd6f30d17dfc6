/**
 * Lab: 0-RTT. A resumed QUIC connection sends its HTTP/3 request in its first flight; an attacker who
 * copied that flight sends it again.
 *
 * Starts: a client and a server namespace 25 ms apart each way (the round trip is measured with
 * ping); the labs' quic-go peer serving HTTP/3 on UDP 443, logging every request it answers; tcpdump
 * on the client.
 *
 * Does: a first connection (full handshake) that GETs /hello and receives a session ticket and a
 * token; a resumed connection that sends GET /hello in 0-RTT; one second later, the resumed
 * connection's first flight, byte for byte, from another UDP port. Then, outside the capture, one
 * 1200-byte datagram whose long header offers a reserved QUIC version (0x1a2a3a4a).
 *
 * Observes: each connection's time to first byte; every packet's type (0-RTT packets cannot be
 * decrypted: Go's TLS does not log the early secret), token length and TLS extensions; every request
 * the server answered, and whether its handshake had completed; the server's answer to the
 * unknown version (a Version Negotiation packet, read byte by byte).
 */
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { confirmedIf, keptFile, keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { measureRoundTrip } from '../../src/observers/ping.ts';
import { decodeQuic, type QuicPacket } from '../../src/observers/quic.ts';
import { startCapture } from '../../src/resources/capture.ts';
import type { Host } from '../../src/resources/netns.ts';
import { exec } from '../../src/resources/process.ts';
import { portOf, quicClient, recordQuicPeer, startQuicServer, type ServedRequest } from '../../src/resources/quic-peer.ts';

const CLIENT = '198.18.88.1';
const SERVER = '198.18.88.2';
const REPLAY_AFTER = '1s';
const PRE_SHARED_KEY = 41;
const EARLY_DATA = 42;

interface Exchange {
  localAddr: string;
  dialedAtMs: number;
  handshakeDoneAtMs: number;
  firstByteAtMs: number;
  used0RTT: boolean;
}

export interface ResumptionObservation {
  rttMs: number;
  full: Exchange;
  resumed: Exchange;
  replayedFrom: string;
  replayedDatagrams: number;
  served: ServedRequest[];
  /** Packets of the capture, each tagged with the connection it belongs to. */
  packets: (QuicPacket & { connection: 'full' | 'resumed' | 'replay' | 'server' })[];
  /** After the capture: one datagram offering a version the server does not speak, and its answer. */
  versionProbe?: VersionProbe;
}

const hello = (p: QuicPacket) => p.frames.find((f) => f.tls.includes('ClientHello'));

/**
 * Tags packets: the client's from its own port (from the first packet addressed to the resumed
 * connection's destination connection ID on: resumed; before: full), the replay from the attacker's port.
 */
export function tagConnections(packets: QuicPacket[], clientPort: number, replayPort: number): ResumptionObservation['packets'] {
  const resumedHello = packets.find((p) => p.srcPort === clientPort && hello(p)?.tlsExtensions.includes(PRE_SHARED_KEY));
  const resumedAt = packets.find((p) => p.srcPort === clientPort && resumedHello && p.dcid === resumedHello.dcid)?.timeMs ?? Infinity;
  return packets.map((p) => ({ ...p, connection: p.srcPort === replayPort ? 'replay' : p.srcPort !== clientPort ? 'server' : p.timeMs < resumedAt ? 'full' : 'resumed' }));
}

const ttfb = (e: Exchange) => Math.round((e.firstByteAtMs - e.dialedAtMs) * 10) / 10;

/** A connection's first flight: the client's packets sent before the server's first packet after its first one. */
function firstFlight(o: ResumptionObservation, connection: 'full' | 'resumed') {
  const packets = o.packets.filter((p) => p.connection === connection);
  const start = packets[0];
  if (!start) return [];
  const reply = o.packets.find((p) => p.connection === 'server' && p.timeMs > start.timeMs);
  return packets.filter((p) => !reply || p.timeMs < reply.timeMs);
}

/** Packets that carry application data: 0-RTT packets, or any packet with a STREAM frame. */
const carriesData = (p: QuicPacket) => p.type === '0-RTT' || p.frames.some((f) => f.type === 'STREAM');

export function judgeZeroRtt(o: ResumptionObservation): ClaimResult {
  const resumed = o.packets.filter((p) => p.connection === 'resumed');
  const first = resumed[0];
  if (!first) return notObserved('quic.zero-rtt', { en: 'The resumed connection was not captured.', zh: '没有捕获到恢复的连接。' });
  const fullFlight = firstFlight(o, 'full');
  if (!fullFlight.length) return notObserved('quic.zero-rtt', { en: 'The first (full-handshake) connection was not captured, so nothing shows whether sending data in the first packet needs an earlier connection.', zh: '没有捕获到首次（完整握手的）连接，无法说明首包发送数据是否需要先前的连接。' });
  const early = firstFlight(o, 'resumed').filter((p) => p.type === '0-RTT');
  const answeredEarly = o.served.filter((r) => portOf(r.remote) === portOf(o.resumed.localAddr) && !r.handshakeComplete);
  const extensions = resumed.map(hello).find((h) => h)?.tlsExtensions ?? [];
  const fullEarly = fullFlight.filter(carriesData);
  const resumedDatagrams = [...new Set(resumed.map((p) => p.datagram))];
  /** Where in its connection's datagrams (1 = the first) each early packet went. */
  const earlyDatagrams = [...new Set(early.map((p) => resumedDatagrams.indexOf(p.datagram) + 1))];
  const inFirstDatagram = earlyDatagrams.includes(1);
  const left = requestDepartures(o);
  const [fullTtfb, resumedTtfb] = [ttfb(o.full), ttfb(o.resumed)];
  const observed = {
    zeroRttPacketsInFirstFlight: early.length,
    clientHelloOffersEarlyData: extensions.includes(EARLY_DATA),
    used0RTT: o.resumed.used0RTT,
    requestsAnsweredBeforeHandshakeDone: answeredEarly.length,
    firstConnectionDataPacketsInFirstFlight: fullEarly.length,
    firstConnectionRequestLeftAfterRtts: left.first,
    zeroRttInDatagramsOfFlight: earlyDatagrams,
    firstConnectionTtfbMs: fullTtfb,
    resumedTtfbMs: resumedTtfb,
    rttMs: o.rttMs,
  };
  const evidence: Evidence[] = [flightPicture(o), { kind: 'bars', title: `Time to first byte, ms (round trip ${o.rttMs} ms)`, bars: [{ label: 'first connection', value: fullTtfb }, { label: 'resumed (0-RTT)', value: resumedTtfb }] }];
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id: 'quic.zero-rtt', verdict, summary: en, summaryZh: zh, observed, evidence });
  if (!(early.length > 0 && o.resumed.used0RTT && answeredEarly.length > 0)) {
    return result('refuted', `No request travelled in 0-RTT: ${JSON.stringify(observed)}.`, `没有请求以 0-RTT 发送：${JSON.stringify(observed)}。`);
  }
  if (resumedTtfb >= fullTtfb) {
    return result(
      'refuted',
      `The resumed connection did send its request in ${early.length} 0-RTT packet(s) before any reply, but its first byte came ${resumedTtfb} ms after dialling, no sooner than the first connection's ${fullTtfb} ms: no latency was saved.`,
      `恢复连接确实在任何回应之前以 ${early.length} 个 0-RTT 包发出了请求，但它的首字节在拨号后 ${resumedTtfb} ms 才到，并不比首次连接的 ${fullTtfb} ms 早：没有降低延迟。`,
    );
  }
  const firstHeld = { packets: resumed.filter((p) => p.datagram === first.datagram), hello: resumed.some((p) => p.datagram === first.datagram && hello(p)) };
  const where = inFirstDatagram
    ? { en: 'the first of them coalesced with the Initial in the connection\'s first datagram', zh: '其中第一个与 Initial 合并在连接的第一个数据报中' }
    : {
        en: `in datagram(s) ${earlyDatagrams.join(', ')} of the connection, not its first, which held ${firstHeld.hello ? 'the ClientHello' : 'only part of the ClientHello'} (${firstHeld.packets.map((p) => `${p.type}, ${p.packetBytes} bytes`).join('; ')})`,
        zh: `位于该连接的第 ${earlyDatagrams.join('、')} 个数据报，而不是第一个；第一个数据报装的是${firstHeld.hello ? ' ClientHello' : ' ClientHello 的一部分'}（${firstHeld.packets.map((p) => `${p.type}，${p.packetBytes} 字节`).join('；')}）`,
      };
  if (fullEarly.length && inFirstDatagram) {
    return result(
      'confirmed',
      `Both connections sent application data before any reply from the server, the first one (no ticket) included (${fullEarly.length} packet(s)), ${where.en}; the resumed connection's first byte came after ${resumedTtfb} ms against ${fullTtfb} ms.`,
      `两条连接都在服务器任何回应之前发送了应用数据，包括没有票据的首次连接（${fullEarly.length} 个包），${where.zh}；恢复连接的首字节在 ${resumedTtfb} ms 到达，首次连接为 ${fullTtfb} ms。`,
    );
  }
  const conditions = [
    ...(fullEarly.length ? [] : [{ en: 'only on a resumed connection', zh: '只在恢复的连接上成立' }]),
    ...(inFirstDatagram ? [] : [{ en: 'in the first flight rather than the first packet', zh: '而且是在首轮而不是首包' }]),
  ];
  const firstConnection = fullEarly.length
    ? { en: `The first connection, with no session ticket, also sent ${fullEarly.length} packet(s) of application data before the server replied.`, zh: `没有会话票据的首次连接也在服务器回应之前发送了 ${fullEarly.length} 个应用数据包。` }
    : { en: `The first connection, with no session ticket, sent no application data before the server replied: its request left ${left.first} RTT after its first packet (round trip ${o.rttMs} ms).`, zh: `没有会话票据的首次连接在服务器回应之前没有发送任何应用数据：它的请求在第一个包之后 ${left.first} 个 RTT 才发出（往返时间 ${o.rttMs} ms）。` };
  return result(
    'nuanced',
    `${conditions.map((c) => c.en).join(', and ').replace(/^./, (c) => c.toUpperCase())}. ${firstConnection.en} The resumed one, using the ticket the first received, sent its request as early data in ${early.length} 0-RTT packet(s), ${where.en}, all before any reply (its ClientHello ${extensions.includes(EARLY_DATA) ? 'offering' : 'without'} early_data), and the server answered it before the handshake completed: first byte after ${resumedTtfb} ms against ${fullTtfb} ms for the first connection.`,
    `${conditions.map((c) => c.zh).join('，')}。${firstConnection.zh}恢复连接用首次连接得到的票据，把请求作为早期数据装在 ${early.length} 个 0-RTT 包里发出，${where.zh}，全部早于任何回应（其 ClientHello ${extensions.includes(EARLY_DATA) ? '带有' : '没有'} early_data 扩展），服务器在握手完成之前就作了响应：首字节在 ${resumedTtfb} ms 到达，首次连接为 ${fullTtfb} ms。`,
  );
}

/** The resumed connection and the replay, packet by packet. */
function flightPicture(o: ResumptionObservation): Evidence {
  const shown = o.packets.filter((p) => p.connection !== 'full').slice(0, 16);
  return {
    kind: 'messages',
    title: 'The resumed connection (client port) and the replayed first flight (attacker port), packet by packet',
    parties: ['client / attacker', 'server'],
    messages: shown.map((p) => ({
      atMs: p.timeMs,
      from: p.connection === 'server' ? 1 : 0,
      label: `${p.connection === 'replay' ? 'REPLAY ' : ''}${p.type}${p.tokenLength ? ` token=${p.tokenLength}B` : ''}${p.frames.some((f) => f.tls.length) ? ` [${p.frames.flatMap((f) => f.tls).join(',')}]` : ''}`,
      detail: `datagram ${p.datagram}, port ${p.srcPort} → ${p.dstPort}, ${p.packetBytes} bytes`,
    })),
  };
}

/** When each connection's request left, in round trips after its first packet: the first connection's on stream 0, the resumed one's in 0-RTT packets. */
export function requestDepartures(o: ResumptionObservation) {
  const of = (connection: string) => o.packets.filter((p) => p.connection === connection);
  const inRtts = (ms: number) => Math.round((ms / o.rttMs) * 100) / 100;
  const full = of('full');
  const fullRequest = full.find((p) => p.frames.some((f) => f.type === 'STREAM' && f.stream === 0));
  const resumed = of('resumed');
  const early = resumed.find((p) => p.type === '0-RTT');
  const firstReply = o.packets.find((p) => p.connection === 'server' && p.timeMs > (resumed[0]?.timeMs ?? Infinity));
  return {
    first: fullRequest && full[0] ? inRtts(fullRequest.timeMs - full[0].timeMs) : undefined,
    resumed: early && resumed[0] ? inRtts(early.timeMs - resumed[0].timeMs) : undefined,
    resumedBeforeAnyReply: !!early && (!firstReply || early.timeMs < firstReply.timeMs),
  };
}

export function judgeH3ZeroRtt(o: ResumptionObservation): ClaimResult {
  const full = ttfb(o.full);
  const resumed = ttfb(o.resumed);
  const left = requestDepartures(o);
  const observed = { rttMs: o.rttMs, requestLeftAfterRtts: left, firstConnectionTtfbMs: full, resumedTtfbMs: resumed, used0RTT: o.resumed.used0RTT };
  const evidence: Evidence[] = [{ kind: 'bars', title: `Time to first byte, ms (round trip ${o.rttMs} ms)`, bars: [{ label: 'first connection (1-RTT)', value: full }, { label: 'resumed (0-RTT)', value: resumed }] }];
  if (left.first === undefined || (left.resumed === undefined && o.resumed.used0RTT)) return { ...notObserved('http.h3.zero-rtt', { en: "The capture does not show when one of the two requests left (the first connection's stream 0 or the resumed connection's 0-RTT packets).", zh: '抓包中看不到两个请求之一何时发出（首次连接的流 0 或恢复连接的 0-RTT 包）。' }, observed), evidence };
  const holds = left.first >= 0.5 && left.first < 1.5 && left.resumedBeforeAnyReply && o.resumed.used0RTT;
  return confirmedIf(
    'http.h3.zero-rtt',
    holds,
    {
      en: `With a ${o.rttMs} ms round trip, the first connection's request left ${left.first} RTT after its first packet (after the handshake's round trip, so its response began ${full} ms after dialling), and the resumed connection's left with its first flight, in 0-RTT packets sent before any reply (${left.resumed} RTT; response ${resumed} ms after dialling).`,
      zh: `往返时间为 ${o.rttMs} ms 时，首次连接的请求在其第一个包之后 ${left.first} 个 RTT 发出（握手的一个往返之后，因此响应在拨号后 ${full} ms 才开始）；恢复连接的请求随首轮发出，装在任何回应到来之前发送的 0-RTT 包里（${left.resumed} 个 RTT；响应在拨号后 ${resumed} ms 开始）。`,
    },
    {
      en: `The first connection's request left after ${left.first} RTT; the resumed connection's ${left.resumedBeforeAnyReply ? 'went in 0-RTT' : 'did not go before the server replied'} (0-RTT used: ${o.resumed.used0RTT}).`,
      zh: `首次连接的请求在 ${left.first} 个 RTT 后发出；恢复连接的请求${left.resumedBeforeAnyReply ? '以 0-RTT 发出' : '没有在服务器回应之前发出'}（是否使用 0-RTT：${o.resumed.used0RTT}）。`,
    },
    observed,
    evidence,
  );
}

const replayedRequests = (o: ResumptionObservation) => o.served.filter((r) => portOf(r.remote) === portOf(o.replayedFrom));

export function judgeTlsZeroRtt(o: ResumptionObservation): ClaimResult {
  const resumed = o.packets.filter((p) => p.connection === 'resumed');
  const firstServer = o.packets.find((p) => p.connection === 'server' && p.timeMs > (resumed[0]?.timeMs ?? Infinity));
  const early = resumed.filter((p) => p.type === '0-RTT' && (!firstServer || p.timeMs < firstServer.timeMs));
  if (!early.length) return notObserved('tls.v13.zero-rtt', { en: 'The resumed connection sent no 0-RTT packet before the server replied, so there was no early data to examine.', zh: '恢复连接在服务器回应之前没有发送 0-RTT 包，没有早期数据可供考察。' });
  const replayed = replayedRequests(o);
  const observed = { earlyDataPackets: early.length, replayedDatagrams: o.replayedDatagrams, requestsServedFromReplay: replayed.length, servedInTotal: o.served.length };
  const evidence: Evidence[] = [flightPicture(o), { kind: 'table', title: 'Every request the server answered', columns: ['from', 'path', 'handshake complete when answered'], rows: o.served.map((r) => [r.remote, r.path, String(r.handshakeComplete)]) }];
  if (!replayed.length) {
    return { id: 'tls.v13.zero-rtt', verdict: 'nuanced', summary: `Early data did travel in the first flight (${early.length} 0-RTT packets, before the server's key share existed, so under keys from the resumption secret alone), but the server did not answer the replayed flight: this server rejected the replay.`, summaryZh: `早期数据确实在首轮发送（${early.length} 个 0-RTT 包，早于服务器的密钥共享，因此只使用由恢复密钥导出的密钥），但服务器没有响应被重放的首轮：这个服务器拒绝了重放。`, observed, evidence };
  }
  return {
    id: 'tls.v13.zero-rtt',
    verdict: 'confirmed',
    summary: `The resumed connection sent its request as early data in ${early.length} 0-RTT packet(s) before the server had sent anything, so before the server's key share existed: those packets were protected by keys derived from the resumption secret alone, which is why early data has no forward secrecy. ${REPLAY_AFTER} later the same ${o.replayedDatagrams} datagrams, copied byte for byte and sent from another port, made the server answer GET /hello again (${replayed.length} more time(s), before any handshake completed): it served ${o.served.length} requests for the client's 2.`,
    summaryZh: `恢复连接在服务器发出任何数据之前、也就是在服务器的密钥共享产生之前，就以 ${early.length} 个 0-RTT 包把请求作为早期数据发出：这些包只受由恢复密钥导出的密钥保护，这正是早期数据没有前向安全的原因。${REPLAY_AFTER} 后，把同样的 ${o.replayedDatagrams} 个数据报逐字节复制、从另一个端口发出，服务器再次响应了 GET /hello（又 ${replayed.length} 次，且没有完成任何握手）：客户端只发了 2 个请求，服务器却处理了 ${o.served.length} 个。`,
    observed,
    evidence,
  };
}

export function judgeTokenAntiReplay(o: ResumptionObservation): ClaimResult {
  const resumedInitial = o.packets.find((p) => p.connection === 'resumed' && p.type === 'Initial');
  if (!resumedInitial) return notObserved('quic.token.anti-replay', { en: "The resumed connection's Initial was not captured.", zh: '没有捕获到恢复连接的 Initial 包。' });
  const token = resumedInitial.tokenLength ?? 0;
  const replayed = replayedRequests(o);
  const observed = { resumedInitialTokenBytes: token, requestsServedFromReplay: replayed.length };
  if (token === 0) return notObserved('quic.token.anti-replay', { en: "The resumed connection's Initial carried no token, so this run says nothing about what a token prevents.", zh: '恢复连接的 Initial 没有携带 Token，因此这次运行不能说明 Token 能防止什么。' }, observed);
  return confirmedIf(
    'quic.token.anti-replay',
    replayed.length === 0,
    { en: `The resumed connection's Initial carried the server's ${token}-byte token, and the replay of that flight was not served.`, zh: `恢复连接的 Initial 携带了服务器的 ${token} 字节 Token，重放的首轮没有被处理。` },
    {
      en: `The resumed connection's Initial did carry the ${token}-byte token the server had given in NEW_TOKEN, and the replay, which carried the same token, was served all the same (${replayed.length} request(s)). A token proves that the client can receive at its address, so that the server may skip a Retry round trip; it is not a nonce, and nothing in it stops a copied first flight.`,
      zh: `恢复连接的 Initial 确实携带了服务器此前通过 NEW_TOKEN 给出的 ${token} 字节 Token，而携带同一 Token 的重放照样被处理了（${replayed.length} 个请求）。Token 只证明客户端能在其地址上收到数据，使服务器可以省去一次 Retry 往返；它不是一次性随机数，无法阻止被复制的首轮。`,
    },
    observed,
  );
}

const KEY_SHARE = 51;

export function judgeForwardSecrecy(o: ResumptionObservation): ClaimResult {
  const helloOf = (connection: string, message: string) => o.packets.find((p) => p.connection === connection && p.frames.some((f) => f.tls.includes(message)))?.frames.find((f) => f.tls.includes(message));
  const fullClient = helloOf('full', 'ClientHello');
  const fullServer = o.packets.filter((p) => p.connection === 'server').find((p) => p.frames.some((f) => f.tls.includes('ServerHello')));
  const serverHello = fullServer?.frames.find((f) => f.tls.includes('ServerHello'));
  if (!fullClient || !serverHello) return notObserved('quic.forward-secrecy', { en: "The first connection's ClientHello and ServerHello were not both decoded.", zh: '首次连接的 ClientHello 和 ServerHello 没有都被解码出来。' });
  const ephemeral = fullClient.tlsExtensions.includes(KEY_SHARE) && serverHello.tlsExtensions.includes(KEY_SHARE);
  const resumed = o.packets.filter((p) => p.connection === 'resumed');
  const firstServerAfter = o.packets.find((p) => p.connection === 'server' && p.timeMs > (resumed[0]?.timeMs ?? Infinity));
  const early = resumed.filter((p) => p.type === '0-RTT' && (!firstServerAfter || p.timeMs < firstServerAfter.timeMs)).length;
  const observed = { fullHandshakeKeyShareBothWays: ephemeral, earlyDataPacketsBeforeServerKeyShare: early };
  if (!ephemeral) return { id: 'quic.forward-secrecy', verdict: 'refuted', summary: 'The full handshake exchanged no key_share both ways: no ephemeral key agreement, so no forward secrecy.', summaryZh: '完整握手中双方没有都发送 key_share：没有临时密钥协商，也就没有前向安全。', observed, evidence: [] };
  if (!early) return { id: 'quic.forward-secrecy', verdict: 'confirmed', summary: 'Both hellos carried an ephemeral key_share, and no application data was sent before the key agreement.', summaryZh: '双方的 hello 都带有临时 key_share，并且在密钥协商之前没有发送应用数据。', observed, evidence: [] };
  return {
    id: 'quic.forward-secrecy',
    verdict: 'nuanced',
    summary: `For the full handshake, yes: the ClientHello and ServerHello each carried a key_share, an ephemeral (EC)DHE exchange whose secret is gone after the connection. But not for 0-RTT: the resumed connection sent ${early} 0-RTT packet(s) of application data before the server's key share existed, under keys from the resumption secret alone; whoever later obtains the server's session-ticket key can decrypt them.`,
    summaryZh: `对完整握手而言是的：ClientHello 和 ServerHello 都带有 key_share，这是一次临时的 (EC)DHE 交换，连接结束后其秘密即被丢弃。但 0-RTT 不是：恢复连接在服务器的密钥共享产生之前就发出了 ${early} 个承载应用数据的 0-RTT 包，只使用由恢复密钥导出的密钥；日后拿到服务器会话票据密钥的人就能解密它们。`,
    observed,
    evidence: [],
  };
}

/** A reserved version (RFC 9000 §15: 0x?a?a?a?a), which no server speaks: offering it must draw a Version Negotiation packet. */
export const PROBE_VERSION = '1a2a3a4a';

/** One datagram offering a QUIC version, and what the server answered within 2 s (hex). */
export interface VersionProbe {
  offeredVersion: string;
  /** The header sent: first byte, version, DCID and SCID with their lengths (the rest of the 1200-byte datagram is zeros). */
  sentHeader: string;
  sentBytes: number;
  reply?: string;
  error?: string;
}

/** Sent from the client's namespace by node itself: a long header offering `version`, padded to the 1200 bytes a server requires before it answers. */
const VERSION_PROBE = `
const dgram = require('node:dgram');
const { randomBytes } = require('node:crypto');
const [host, port, version] = process.argv.slice(1);
const dcid = randomBytes(8), scid = randomBytes(8);
const header = Buffer.concat([Buffer.from([0xc0]), Buffer.from(version, 'hex'), Buffer.from([dcid.length]), dcid, Buffer.from([scid.length]), scid]);
const datagram = Buffer.concat([header, Buffer.alloc(1200 - header.length)]);
const socket = dgram.createSocket('udp4');
const done = (reply) => { console.log(JSON.stringify({ offeredVersion: '0x' + version, sentHeader: header.toString('hex'), sentBytes: datagram.length, ...(reply ? { reply: reply.toString('hex') } : {}) })); process.exit(0); };
const timer = setTimeout(() => done(), 2000);
socket.on('message', (reply) => { clearTimeout(timer); done(reply); });
socket.send(datagram, Number(port), host);
`;

async function probeVersion(client: Host, server: string): Promise<VersionProbe> {
  try {
    return JSON.parse(await exec(process.execPath, ['-e', VERSION_PROBE, server, '443', PROBE_VERSION], { netns: client.netns, timeoutMs: 10_000 })) as VersionProbe;
  } catch (e) {
    return { offeredVersion: `0x${PROBE_VERSION}`, sentHeader: '', sentBytes: 0, error: (e as Error).message.split('\n')[0] };
  }
}

/** A Version Negotiation packet (RFC 9000 §17.2.1): the long-header bit, version 0, the two connection IDs echoed, then the versions the server speaks. */
export function parseVersionNegotiation(hex: string): { longHeader: boolean; version: string; dcid: string; scid: string; supportedVersions: string[] } | undefined {
  const b = Buffer.from(hex, 'hex');
  if (b.length < 7) return undefined;
  const dcil = b[5]!;
  const scil = b[6 + dcil];
  if (scil === undefined) return undefined;
  const rest = b.subarray(7 + dcil + scil);
  const supportedVersions = Array.from({ length: Math.floor(rest.length / 4) }, (_, i) => `0x${rest.subarray(i * 4, i * 4 + 4).toString('hex')}`);
  return { longHeader: (b[0]! & 0x80) !== 0, version: `0x${b.subarray(1, 5).toString('hex')}`, dcid: b.subarray(6, 6 + dcil).toString('hex'), scid: b.subarray(7 + dcil, 7 + dcil + scil).toString('hex'), supportedVersions };
}

const HANDSHAKE_MESSAGES = ['ClientHello', 'ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'];

export function judgeLongUsage(o: ResumptionObservation): ClaimResult {
  // The two connections' own packets: the replay, and the server's answers to it, are another matter.
  const replayAt = o.packets.find((p) => p.connection === 'replay')?.timeMs ?? Infinity;
  const own = o.packets.filter((p) => p.connection !== 'replay' && p.timeMs < replayAt);
  const long = own.filter((p) => p.form === 'long');
  if (!long.length) return notObserved('quic.header.long-usage', { en: 'No long-header packet was captured.', zh: '没有捕获到长头部包。' });
  const withHandshake = (form: 'long' | 'short') => own.filter((p) => p.form === form && p.frames.some((f) => f.tls.some((m) => HANDSHAKE_MESSAGES.includes(m))));
  const handshakeLong = withHandshake('long');
  const handshakeShort = withHandshake('short');
  const zeroRtt = own.filter((p) => p.type === '0-RTT');
  const closes = long.filter((p) => p.frames.some((f) => f.type === 'CONNECTION_CLOSE'));
  const closer = closes[0]?.connection;
  const closerStart = own.find((p) => p.connection === closer)?.timeMs ?? 0;
  const beforeClose = own.filter((p) => p.connection === 'server' && p.timeMs > closerStart && p.timeMs < (closes[0]?.timeMs ?? 0));
  const noDoneYet = closes.length > 0 && beforeClose.every((p) => p.decrypted && !p.frames.some((f) => f.type === 'HANDSHAKE_DONE'));
  const restFrames = [...new Set(long.filter((p) => p.type !== '0-RTT' && !handshakeLong.includes(p) && !closes.includes(p)).flatMap((p) => p.frames.map((f) => f.type)))];
  const dataShort = own.filter((p) => p.form === 'short' && p.frames.some((f) => f.type === 'STREAM')).length;
  const shortCount = own.filter((p) => p.form === 'short').length;
  const probe = o.versionProbe;
  const vn = probe?.reply ? parseVersionNegotiation(probe.reply) : undefined;
  const vnSeen = vn && vn.version === '0x00000000';
  const sent = probe?.sentHeader ? parseVersionNegotiation(probe.sentHeader) : undefined;
  const echoed = !!vn && !!sent && vn.dcid === sent.scid && vn.scid === sent.dcid;
  const byType = Object.fromEntries([...new Set(long.map((p) => p.type))].map((t) => [t, long.filter((p) => p.type === t).length]));
  const observed = {
    longPackets: byType,
    longPacketsWithHandshakeMessages: handshakeLong.length,
    shortPacketsWithHandshakeMessages: handshakeShort.length,
    zeroRttPackets: zeroRtt.length,
    longPacketsWithConnectionClose: closes.map((p) => `${p.connection} ${p.type}`),
    shortPacketsWithStreamData: dataShort,
    versionProbe: probe ? { offered: probe.offeredVersion, answered: !!probe.reply, ...(vn ? { replyLongHeader: vn.longHeader, replyVersion: vn.version, supportedVersions: vn.supportedVersions, echoedConnectionIds: echoed } : {}), ...(probe.error ? { error: probe.error } : {}) } : undefined,
  };
  const table: Evidence = {
    kind: 'table',
    title: 'Every long-header packet of the two connections, and the answer to a datagram offering an unknown version',
    columns: ['connection', 'type', 'ms', 'frames'],
    rows: [
      ...long.map((p) => [p.connection, p.type, Math.round(p.timeMs * 10) / 10, p.decrypted ? [...new Set(p.frames.map((f) => (f.tls.length ? `${f.type}[${f.tls.join(',')}]` : f.type)))].join(' ') : '(not decrypted)']),
      ...(vn ? [['version probe', vn.longHeader ? 'Version Negotiation (long header)' : 'short header', '', `version ${vn.version}, lists ${vn.supportedVersions.join(', ')}`]] : []),
    ],
  };
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id: 'quic.header.long-usage', verdict, summary: en, summaryZh: zh, observed, evidence: [table] });
  if (handshakeShort.length || (vnSeen && !vn.longHeader)) {
    return result(
      'refuted',
      `Short headers carried part of what the sheet gives to long ones: ${handshakeShort.length} short-header packets carried TLS handshake messages${vnSeen && !vn.longHeader ? ', and the Version Negotiation reply had its first bit clear' : ''}.`,
      `资料归于长头部的部分场景用了短头部：${handshakeShort.length} 个短头部包携带了 TLS 握手消息${vnSeen && !vn.longHeader ? '，且版本协商应答的首位为 0' : ''}。`,
    );
  }
  const missing = [
    ...(handshakeLong.length ? [] : [{ en: 'no handshake message was decoded', zh: '没有解码出握手消息' }]),
    ...(zeroRtt.length ? [] : [{ en: 'no 0-RTT packet was sent', zh: '没有发送 0-RTT 包' }]),
    ...(vnSeen ? [] : [{ en: probe ? `the datagram offering version ${probe.offeredVersion} ${probe.error ? `could not be sent (${probe.error})` : probe.reply ? 'drew no Version Negotiation packet' : 'drew no answer within 2 s'}` : 'no datagram offering an unknown version was sent (this observation predates that probe)', zh: probe ? `提出版本 ${probe.offeredVersion} 的数据报${probe.error ? `未能发出（${probe.error}）` : probe.reply ? '没有换来版本协商包' : '在 2 秒内没有得到应答'}` : '没有发送提出未知版本的数据报（这份观察早于该探测）' }]),
  ];
  if (missing.length) return notObserved('quic.header.long-usage', { en: `Not every use the sheet lists was seen: ${missing.map((m) => m.en).join('; ')}.`, zh: `资料列出的用途并未全部看到：${missing.map((m) => m.zh).join('；')}。` }, observed);
  return result(
    'confirmed',
    `Long headers carried what the sheet lists. Connection establishment: the TLS handshake messages of both connections travelled in ${handshakeLong.length} long-header packets, none in short ones, among ${Object.entries(byType).filter(([t]) => t !== '0-RTT').map(([t, n]) => `${n} ${t}`).join(' and ')} packets in all (the rest carried ${restFrames.join(', ')}${closes.length ? ', or the close below' : ''}). 0-RTT: the resumed connection's early request went in ${zeroRtt.length} 0-RTT packets, long headers of type 1. Version negotiation: a datagram offering version ${probe!.offeredVersion} drew a Version Negotiation packet with the long-header bit set, version ${vn!.version}${echoed ? ', the probe\'s two connection IDs swapped' : ''} and the versions the server speaks (${vn!.supportedVersions.join(', ')}). Among similar uses: ${closes.length ? `the ${closer} connection's client closed it in ${closes.length} ${[...new Set(closes.map((p) => p.type))].join('/')} packet(s) as well as in 1-RTT ones${noDoneYet ? ', no HANDSHAKE_DONE having reached it yet' : ''}` : 'none'}. The other ${shortCount} packets, the ${dataShort} that carried stream data among them, went with short headers.`,
    `长头部承载了资料所列的场景。连接建立：两条连接的 TLS 握手消息都在 ${handshakeLong.length} 个长头部包中传输，没有一条在短头部包中；长头部包共有 ${Object.entries(byType).filter(([t]) => t !== '0-RTT').map(([t, n]) => `${t} ${n} 个`).join('、')}（其余的承载 ${restFrames.join('、')}${closes.length ? '，或下文的关闭' : ''}）。0-RTT：恢复连接的早期请求装在 ${zeroRtt.length} 个 0-RTT 包里，是类型为 1 的长头部。版本协商：一个提出版本 ${probe!.offeredVersion} 的数据报换来了一个版本协商包，长头部标志位为 1，版本为 ${vn!.version}${echoed ? '，互换了探测包的两个连接 ID' : ''}，并列出服务器支持的版本（${vn!.supportedVersions.join('、')}）。类似的用途：${closes.length ? `${closer} 连接的客户端除了 1-RTT 包，还用 ${closes.length} 个 ${[...new Set(closes.map((p) => p.type))].join('/')} 包发出 CONNECTION_CLOSE 关闭连接${noDoneYet ? '，当时它还没有收到 HANDSHAKE_DONE' : ''}` : '无'}。其余 ${shortCount} 个包，包括 ${dataShort} 个携带流数据的包，都使用短头部。`,
  );
}

export function judgeZeroRttPacket(o: ResumptionObservation): ClaimResult {
  const resumed = o.packets.filter((p) => p.connection === 'resumed');
  const early = resumed.filter((p) => p.type === '0-RTT');
  if (!early.length) return notObserved('quic.header.zero-rtt-packet', { en: 'The resumed connection sent no 0-RTT packet.', zh: '恢复连接没有发送 0-RTT 包。' });
  const replayAt = o.packets.find((p) => p.connection === 'replay')?.timeMs ?? Infinity;
  const server = o.packets.filter((p) => p.connection === 'server' && p.timeMs > resumed[0]!.timeMs && p.timeMs < replayAt);
  const accepted = server.some((p) => p.frames.some((f) => f.tls.includes('EncryptedExtensions') && f.tlsExtensions.includes(EARLY_DATA)));
  const others = resumed.filter((p) => p.type !== '0-RTT');
  const othersOpened = others.filter((p) => p.decrypted);
  const opened = early.filter((p) => p.decrypted);
  const requestElsewhere = othersOpened.filter((p) => p.frames.some((f) => f.type === 'STREAM' && f.stream !== undefined && (f.stream & 0x3) === 0));
  const servedEarly = o.served.filter((r) => portOf(r.remote) === portOf(o.resumed.localAddr) && !r.handshakeComplete);
  const observed = {
    zeroRttPackets: early.length,
    zeroRttBytes: early.map((p) => p.packetBytes),
    zeroRttDecrypted: opened.length,
    otherClientPackets: others.length,
    otherClientPacketsDecrypted: othersOpened.length,
    serverAcceptedEarlyData: accepted,
    requestsServedBeforeHandshakeDone: servedEarly.length,
    requestInOtherPackets: requestElsewhere.map((p) => `${p.type} #${p.packetNumber}`),
  };
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id: 'quic.header.zero-rtt-packet', verdict, summary: en, summaryZh: zh, observed, evidence: [flightPicture(o)] });
  if (opened.length) {
    const data = opened.filter((p) => p.frames.some((f) => f.type === 'STREAM'));
    return data.length
      ? result('confirmed', `tshark opened ${opened.length} of the ${early.length} 0-RTT packets with the logged early traffic secret (the 0-RTT keys), and ${data.length} carried STREAM frames: early application data.`, `tshark 用日志中的早期流量密钥（0-RTT 密钥）解开了 ${early.length} 个 0-RTT 包中的 ${opened.length} 个，其中 ${data.length} 个携带 STREAM 帧，即早期应用数据。`)
      : result('refuted', `tshark opened ${opened.length} 0-RTT packets with the logged early traffic secret, and none carried application data (frames: ${[...new Set(opened.flatMap((p) => p.frames.map((f) => f.type)))].join(', ')}).`, `tshark 用日志中的早期流量密钥解开了 ${opened.length} 个 0-RTT 包，没有一个携带应用数据（帧：${[...new Set(opened.flatMap((p) => p.frames.map((f) => f.type)))].join('、')}）。`);
  }
  if (!servedEarly.length && requestElsewhere.length) {
    return result('refuted', `The 0-RTT packets did not carry the request: it went in ${requestElsewhere.map((p) => `${p.type} #${p.packetNumber}`).join(', ')}, and the server answered nothing of this connection before the handshake completed.`, `0-RTT 包并没有携带请求：请求在 ${requestElsewhere.map((p) => `${p.type} #${p.packetNumber}`).join('、')} 中，服务器在握手完成之前没有响应这条连接的任何请求。`);
  }
  if (!servedEarly.length || requestElsewhere.length || othersOpened.length < others.length || !accepted) {
    return notObserved('quic.header.zero-rtt-packet', { en: `The 0-RTT packets could not be opened (Go's TLS logs no early secret), and the rest does not settle what they held: ${JSON.stringify(observed)}.`, zh: `0-RTT 包无法解开（Go 的 TLS 不记录早期密钥），其余观察也不足以确定其内容：${JSON.stringify(observed)}。` }, observed);
  }
  return result(
    'confirmed',
    `The resumed connection sent ${early.length} 0-RTT packets (long header, type 1; ${early.map((p) => p.packetBytes).join(' and ')} bytes) in its first flight, before any reply. Go's TLS logs no early traffic secret, and tshark, which with the connection's logged handshake and 1-RTT secrets opened all ${others.length} other packets the client sent on it, opened none of them: they were under keys of their own, the 0-RTT keys. What they held shows at the server: its EncryptedExtensions accepted early_data, and it answered GET /hello from this connection before the handshake had completed, while none of the client's other packets carried a request. The request, early application data, travelled in the 0-RTT packets.`,
    `恢复连接在首轮、任何回应之前发出了 ${early.length} 个 0-RTT 包（长头部，类型 1；分别为 ${early.map((p) => p.packetBytes).join('、')} 字节）。Go 的 TLS 不记录早期流量密钥；tshark 用该连接日志中的握手密钥和 1-RTT 密钥解开了客户端在这条连接上发出的其余全部 ${others.length} 个包，却一个 0-RTT 包也解不开：它们用的是另外的密钥，即 0-RTT 密钥。其内容从服务器一侧可以看出：服务器的 EncryptedExtensions 接受了 early_data，并在握手完成之前就响应了这条连接上的 GET /hello，而客户端的其他包都没有携带请求。请求这一早期应用数据，正是装在 0-RTT 包中传输的。`,
  );
}

export default defineLab({
  id: 'quic-resumption',
  title: '0-RTT: a resumed QUIC connection sends its request in the first flight, and a copy of that flight is served again',
  topic: 'quic',
  claims: ['quic.zero-rtt', 'http.h3.zero-rtt', 'tls.v13.zero-rtt', 'quic.token.anti-replay', 'quic.forward-secrecy', 'quic.header.zero-rtt-packet', 'quic.header.long-usage'],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark', 'ping', 'quic'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace 25 ms apart each way (round trip measured with ping); the quic-go peer serving HTTP/3 on UDP 443 and logging every request; tcpdump on the client.',
    does: "A first connection GETs /hello (full handshake, session ticket, token); a resumed connection GETs it in 0-RTT; a second later, that connection's first flight is sent again from another port. Then one datagram offering QUIC version 0x1a2a3a4a, which no server speaks.",
    observes: "Time to first byte of each connection; every packet's type, header form, frames, token and TLS extensions, and which ones tshark could open; every request the server answered, and whether its handshake had completed; the server's answer to the unknown version.",
    zh: {
      title: '0-RTT：恢复的 QUIC 连接在首轮发送请求，而首轮的副本会被再次处理',
      starts: '客户端和服务端两个命名空间，单向各延迟 25 ms（用 ping 测量往返时间）；quic-go 在 UDP 443 上提供 HTTP/3 并记录每个请求；客户端上运行 tcpdump。',
      does: '首次连接 GET /hello（完整握手，获得会话票据和 Token）；恢复连接以 0-RTT 发送同一请求；一秒后，从另一个端口把这条连接的首轮原样再发一次。最后发送一个提出 QUIC 版本 0x1a2a3a4a（任何服务器都不支持）的数据报。',
      observes: '每条连接的首字节时间；每个包的类型、头部形式、帧、Token 和 TLS 扩展，以及 tshark 能否解开；服务器处理的每个请求，以及处理时握手是否已完成；服务器对未知版本的应答。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, server: {} },
      links: [{ a: ['client', `${CLIENT}/24`], b: ['server', `${SERVER}/24`], impair: { a: { delayMs: 25 }, b: { delayMs: 25 } } }],
    },
  },
  async run(ctx) {
    const { client, server } = ctx.hosts;
    recordQuicPeer(ctx.environment);
    ctx.environment.tshark = await toolVersion('tshark');
    const rtt = await measureRoundTrip(client!.netns, SERVER);
    ctx.environment.roundTrip = `${rtt.avgMs} ms (ping, ${rtt.count} probes)`;
    const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: 'resumption', netns: client!.netns, iface: 'eth0', filter: 'udp' });
    const quic = await startQuicServer(ctx.scope, ctx.runId, server!, { port: 443 });
    const keylog = join(ctx.workDir, 'keys.log');
    ctx.step('a full handshake, a resumed connection in 0-RTT, then its first flight replayed');
    const result = await quicClient<{ full: Exchange; resumed: Exchange; replayedFrom: string; replayedDatagrams: number }>(client!, 'resume', [
      '-url', `https://${SERVER}/hello`, '-keylog', keylog, '-replay-to', `${SERVER}:443`, '-replay-after', REPLAY_AFTER,
    ]);
    await capture.stop();
    ctx.step(`one datagram offering QUIC version 0x${PROBE_VERSION}, which the server does not speak`);
    const versionProbe = await probeVersion(client!, SERVER);
    const packets = tagConnections(await decodeQuic(capture.file, { keylog }), portOf(result.full.localAddr), portOf(result.replayedFrom));
    const o: ResumptionObservation = { rttMs: rtt.avgMs, ...result, served: quic.requests, packets, versionProbe };
    const files = [...keptFile(ctx, capture.file, 'capture (pcap)'), ...keptFile(ctx, keylog, 'TLS key log (no early secret: Go does not log it)'), ...keptJson(ctx, 'resumption.json', o, 'timings, requests served and decoded packets (JSON)')];
    return [judgeZeroRtt(o), judgeH3ZeroRtt(o), judgeTlsZeroRtt(o), judgeTokenAntiReplay(o), judgeForwardSecrecy(o), judgeZeroRttPacket(o), judgeLongUsage(o)].map((c) => withEvidence(c, ...files));
  },
});
