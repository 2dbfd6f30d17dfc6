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
 * connection's first flight, byte for byte, from another UDP port.
 *
 * Observes: each connection's time to first byte; every packet's type (0-RTT packets cannot be
 * decrypted: Go's TLS does not log the early secret), token length and TLS extensions; every request
 * the server answered, and whether its handshake had completed.
 */
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { confirmedIf, keptFile, keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { measureRoundTrip } from '../../src/observers/ping.ts';
import { decodeQuic, type QuicPacket } from '../../src/observers/quic.ts';
import { startCapture } from '../../src/resources/capture.ts';
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

export default defineLab({
  id: 'quic-resumption',
  title: '0-RTT: a resumed QUIC connection sends its request in the first flight, and a copy of that flight is served again',
  topic: 'quic',
  claims: ['quic.zero-rtt', 'http.h3.zero-rtt', 'tls.v13.zero-rtt', 'quic.token.anti-replay', 'quic.forward-secrecy'],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark', 'ping', 'quic'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A client and a server namespace 25 ms apart each way (round trip measured with ping); the quic-go peer serving HTTP/3 on UDP 443 and logging every request; tcpdump on the client.',
    does: "A first connection GETs /hello (full handshake, session ticket, token); a resumed connection GETs it in 0-RTT; a second later, that connection's first flight is sent again from another port.",
    observes: "Time to first byte of each connection; every packet's type, token and TLS extensions; every request the server answered, and whether its handshake had completed.",
    zh: {
      title: '0-RTT：恢复的 QUIC 连接在首轮发送请求，而首轮的副本会被再次处理',
      starts: '客户端和服务端两个命名空间，单向各延迟 25 ms（用 ping 测量往返时间）；quic-go 在 UDP 443 上提供 HTTP/3 并记录每个请求；客户端上运行 tcpdump。',
      does: '首次连接 GET /hello（完整握手，获得会话票据和 Token）；恢复连接以 0-RTT 发送同一请求；一秒后，从另一个端口把这条连接的首轮原样再发一次。',
      observes: '每条连接的首字节时间；每个包的类型、Token 和 TLS 扩展；服务器处理的每个请求，以及处理时握手是否已完成。',
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
    const packets = tagConnections(await decodeQuic(capture.file, { keylog }), portOf(result.full.localAddr), portOf(result.replayedFrom));
    const o: ResumptionObservation = { rttMs: rtt.avgMs, ...result, served: quic.requests, packets };
    const files = [...keptFile(ctx, capture.file, 'capture (pcap)'), ...keptFile(ctx, keylog, 'TLS key log (no early secret: Go does not log it)'), ...keptJson(ctx, 'resumption.json', o, 'timings, requests served and decoded packets (JSON)')];
    return [judgeZeroRtt(o), judgeH3ZeroRtt(o), judgeTlsZeroRtt(o), judgeTokenAntiReplay(o), judgeForwardSecrecy(o)].map((c) => withEvidence(c, ...files));
  },
});
