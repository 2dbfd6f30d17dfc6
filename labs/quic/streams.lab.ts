/**
 * Lab: head-of-line blocking. Three responses at once on one connection, one packet dropped: HTTP/2
 * over TCP against HTTP/3 over QUIC.
 *
 * Starts: a client and a server namespace 20 ms apart each way, segmentation offload off (so that one
 * dropped packet is one MTU-sized segment or datagram); the labs' quic-go peer, which answers the
 * same handler over HTTP/2 (TLS on TCP 443) and HTTP/3 (QUIC on UDP 443).
 *
 * Does: per protocol, three trials: one request to open the connection, then three GETs of 200 kB at
 * once on it, while an iptables rule at the client drops one large packet from the server (the
 * 41st; the count starts with the handshake).
 *
 * Then, without HTTP: 100 numbered 200-byte messages, one every 10 ms, echoed by the server over UDP
 * and over TCP, one packet dropped on the way back.
 *
 * Observes: every read of every response body in the client (time, bytes so far), how many packets
 * the rule dropped, and when the dropped one arrived (tcpdump sees it before iptables drops it); the
 * round trip of every echoed message.
 */
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { quantile } from '../../src/core/stats.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { confirmedIf, keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { measureRoundTrip } from '../../src/observers/ping.ts';
import { decodeQuic, type QuicPacket } from '../../src/observers/quic.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { impair } from '../../src/resources/impairment.ts';
import { quicClient, recordQuicPeer, startQuicServer, type ServedRequest } from '../../src/resources/quic-peer.ts';

const CLIENT = '198.18.89.1';
const SERVER = '198.18.89.2';
const TRIALS = 3;
const BODY_BYTES = 200_000;
const DROPPED_PACKET = 40;
/** IP packets of at least this many bytes count towards the drop: segments and datagrams that carry data. */
const LARGE_PACKET = 1000;
const PATHS = ['a', 'b', 'c'].map((q) => `/bytes/${BODY_BYTES}?${q}`);
const ECHO_MESSAGES = 100;
export type Proto = 'h2' | 'h3';

export interface StreamTimeline {
  path: string;
  reads: [number, number][];
  bytes: number;
  error?: string;
}

/** How QUIC recovered the dropped packet, read from the decrypted capture (HTTP/3 trials). */
export interface Recovery {
  lostPacketNumber: number;
  lostStreamFrames: { stream: number; offset: number; length: number }[];
  /** The first later server packet that carried the lost stream data again. */
  retransmittedInPacket?: number;
  retransmittedAfterMs?: number;
  /** The client's ACK frames between the drop and the retransmission that acknowledged a packet sent after the lost one. */
  acksBefore: { largestAcknowledged: number; ackRanges: number }[];
}

export interface Trial {
  proto: Proto;
  dropped: number;
  recovery?: Recovery;
  /** When the dropped packet reached the client's interface (tcpdump sees it before iptables drops it), in ms after the requests went out. */
  droppedAtMs?: number;
  /** When each later large packet from the server reached the client's interface, up to two round trips after the drop (same clock). */
  arrivedAfterDropMs: number[];
  streams: StreamTimeline[];
}

/** What happened in the window right after the drop, before any retransmission could have arrived. */
export interface AfterDrop {
  fromMs: number;
  toMs: number;
  packetsArrived: number;
  /** Bytes handed to each stream in the window (only streams that still had bytes to receive). */
  bytesByStream: { stream: number; bytes: number }[];
}

const bytesAt = (s: StreamTimeline, ms: number) => s.reads.filter(([t]) => t <= ms).at(-1)?.[1] ?? 0;

/**
 * The window is three quarters of a round trip after the drop: a retransmission cannot arrive sooner
 * (the loss must first be signalled by ACKs of later packets), so whatever reached the application
 * then came from packets behind the hole.
 */
export function afterDrop(trial: Trial, rttMs: number): AfterDrop | undefined {
  const at = trial.droppedAtMs;
  if (at === undefined) return undefined;
  const to = at + (rttMs * 3) / 4;
  return {
    fromMs: at,
    toMs: to,
    packetsArrived: trial.arrivedAfterDropMs.filter((t) => t > at && t <= to).length,
    bytesByStream: trial.streams.flatMap((s, i) => (bytesAt(s, at) < s.bytes ? [{ stream: i, bytes: bytesAt(s, to) - bytesAt(s, at) }] : [])),
  };
}

export type Outcome = 'all-streams-waited' | 'streams-kept-receiving' | 'lost-packet-carried-every-stream' | 'nothing-arrived' | 'no-drop';

export function outcomeOf(trial: Trial, rttMs: number): { outcome: Outcome; window?: AfterDrop } {
  const window = trial.dropped === 1 ? afterDrop(trial, rttMs) : undefined;
  if (!window) return { outcome: 'no-drop' };
  if (window.packetsArrived === 0) return { outcome: 'nothing-arrived', window };
  // A QUIC packet can carry frames of several streams; one that carried all of them blocks all of them, and says nothing about the rest.
  const hitStreams = new Set(trial.recovery?.lostStreamFrames.map((f) => f.stream)).size;
  if (hitStreams > 0 && hitStreams >= window.bytesByStream.length) return { outcome: 'lost-packet-carried-every-stream', window };
  return { outcome: window.bytesByStream.some((s) => s.bytes > 0) ? 'streams-kept-receiving' : 'all-streams-waited', window };
}

/** Finds the dropped datagram's QUIC packet, the packet that carried its stream data again, and the client's ACKs in between. */
export function recoveryOf(packets: QuicPacket[], droppedDatagram: number, server: string): Recovery | undefined {
  const lost = packets.find((p) => p.datagram === droppedDatagram && p.src === server && p.packetNumber !== undefined);
  if (!lost) return undefined;
  const frames = lost.frames.filter((f) => f.type === 'STREAM').map((f) => ({ stream: f.stream!, offset: f.offset!, length: f.length! }));
  const again = packets.find(
    (p) => p.src === server && p.timeMs > lost.timeMs && p.frames.some((f) => f.type === 'STREAM' && frames.some((l) => l.stream === f.stream && f.offset! <= l.offset && l.offset < f.offset! + f.length!)),
  );
  const until = again?.timeMs ?? Infinity;
  const acksBefore = packets
    .filter((p) => p.src !== server && p.timeMs > lost.timeMs && p.timeMs < until)
    .flatMap((p) => p.frames.filter((f) => f.type === 'ACK' && f.largestAcknowledged! > lost.packetNumber!).map((f) => ({ largestAcknowledged: f.largestAcknowledged!, ackRanges: f.ackRanges ?? 0 })));
  return {
    lostPacketNumber: lost.packetNumber!,
    lostStreamFrames: frames,
    retransmittedInPacket: again?.packetNumber,
    retransmittedAfterMs: again ? Math.round((again.timeMs - lost.timeMs) * 10) / 10 : undefined,
    acksBefore,
  };
}

function describe(trial: Trial, rttMs: number): string {
  const { window } = outcomeOf(trial, rttMs);
  if (!window) return 'the rule dropped no packet, or the capture did not show which';
  return `dropped at ${Math.round(window.fromMs)} ms; in the next ${Math.round(window.toMs - window.fromMs)} ms ${window.packetsArrived} large packets arrived and the streams received ${window.bytesByStream.map((b) => `${b.stream + 1}: ${b.bytes} B`).join(', ') || 'nothing (none had bytes left)'}`;
}

/** Bytes received against time, per stream, for one trial of each protocol, the drop and the window after it marked. */
export function deliveryPicture(trials: Trial[], rttMs: number): Evidence[] {
  return (['h2', 'h3'] as const).flatMap((proto) => {
    const trial = trials.find((t) => t.proto === proto && outcomeOf(t, rttMs).window);
    if (!trial) return [];
    const window = outcomeOf(trial, rttMs).window!;
    return [{
      kind: 'series' as const,
      title: `${proto === 'h2' ? 'HTTP/2 over TCP' : 'HTTP/3 over QUIC'}: bytes of each response received over time, one packet dropped`,
      xLabel: 'ms since the three requests went out',
      yLabel: 'bytes received',
      series: trial.streams.map((s, i) => ({ name: `stream ${i + 1}`, points: s.reads.map(([t, b]) => [Math.round(t * 10) / 10, b] as [number, number]) })),
      markers: [{ x: Math.round(window.fromMs), label: 'packet dropped' }, { x: Math.round(window.toMs), label: '¾ round trip later' }],
    }];
  });
}

function tally(trials: Trial[], proto: Proto, rttMs: number) {
  const of = trials.filter((t) => t.proto === proto).map((t) => outcomeOf(t, rttMs).outcome);
  return { trials: of.length, blocked: of.filter((o) => o === 'all-streams-waited').length, progressed: of.filter((o) => o === 'streams-kept-receiving').length, outcomes: of };
}

const trialTable = (trials: Trial[], rttMs: number): Evidence => ({
  kind: 'table',
  title: 'Each trial: the packets that arrived in the ¾ round trip after the drop, and what each stream still receiving got from them',
  columns: ['protocol', 'packets dropped', 'outcome', 'detail'],
  rows: trials.map((t) => [t.proto, t.dropped, outcomeOf(t, rttMs).outcome, describe(t, rttMs)]),
});

const NO_TRIAL = { en: 'No trial had a dropped packet followed by more packets before the retransmission could arrive, so none shows whether the loss held the other data back.', zh: '没有一次试验在丢包之后、重传可能到达之前还收到更多的包，无法判断丢包是否拖住了其他数据。' };

const recoveries = (trials: Trial[]) => trials.flatMap((t) => (t.recovery ? [t.recovery] : []));

/** Bytes the application received from packets behind the hole, per trial of a protocol. */
const deliveredBehindHole = (trials: Trial[], proto: Proto, rttMs: number) =>
  trials.filter((t) => t.proto === proto).map((t) => outcomeOf(t, rttMs).window).filter((w): w is AfterDrop => !!w && w.packetsArrived > 0).map((w) => ({ packets: w.packetsArrived, bytes: w.bytesByStream.reduce((n, b) => n + b.bytes, 0) }));

export function judgeQuicNoHol(trials: Trial[], rttMs: number): ClaimResult {
  const t = tally(trials, 'h3', rttMs);
  const evidence = [...deliveryPicture(trials, rttMs), trialTable(trials, rttMs)];
  if (t.blocked + t.progressed === 0) return { ...notObserved('quic.streams.no-hol', NO_TRIAL, { rttMs, ...t }), evidence };
  const behind = deliveredBehindHole(trials, 'h3', rttMs);
  const holds = t.blocked === 0;
  return {
    id: 'quic.streams.no-hol',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `In all ${t.progressed} HTTP/3 trials, in the ¾ round trip after the drop, before the lost packet could be sent again, the packets behind it (${behind.map((b) => b.packets).join(', ')}) reached the streams at once: ${behind.map((b) => b.bytes).join(', ')} bytes. Only the stream whose data was lost had to wait (round trip ${rttMs} ms).`
      : `In ${t.blocked} of ${t.trials} HTTP/3 trials packets arrived after the drop but no stream received any of their bytes before the retransmission.`,
    summaryZh: holds
      ? `在全部 ${t.progressed} 次 HTTP/3 试验中，丢包之后的 ¾ 个往返内、丢失的包还不可能被重发之前，排在它后面的包（${behind.map((b) => b.packets).join('、')} 个）立即交付给了各个流：${behind.map((b) => b.bytes).join('、')} 字节。只有数据丢失的那个流需要等待（往返时间 ${rttMs} ms）。`
      : `在 ${t.trials} 次 HTTP/3 试验中有 ${t.blocked} 次：丢包之后有包到达，但在重传之前没有任何流收到这些包里的字节。`,
    observed: { rttMs, ...t, behindTheHole: behind },
    evidence,
  };
}

export function judgeH2TcpHol(trials: Trial[], rttMs: number): ClaimResult {
  const t = tally(trials, 'h2', rttMs);
  const evidence = [...deliveryPicture(trials, rttMs), trialTable(trials, rttMs)];
  if (t.blocked + t.progressed === 0) return { ...notObserved('http.h2.tcp-hol', NO_TRIAL, { rttMs, ...t }), evidence };
  const behind = deliveredBehindHole(trials, 'h2', rttMs);
  const holds = t.progressed === 0;
  return {
    id: 'http.h2.tcp-hol',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The three responses shared one TCP connection as HTTP/2 streams. In all ${t.blocked} trials, ${behind.map((b) => b.packets).join(', ')} segments arrived in the ¾ round trip after the dropped one, yet no stream received a single byte until the retransmission: TCP hands bytes to the application only in order, so the data of every stream waited behind the hole (round trip ${rttMs} ms).`
      : `In ${t.progressed} of ${t.trials} HTTP/2 trials the streams received bytes (${behind.map((b) => b.bytes).join(', ')}) from segments that arrived after the dropped one, before it was retransmitted.`,
    summaryZh: holds
      ? `三个响应作为 HTTP/2 流共享一条 TCP 连接。在全部 ${t.blocked} 次试验中，被丢报文段之后的 ¾ 个往返内又到达了 ${behind.map((b) => b.packets).join('、')} 个报文段，但在重传之前没有任何流收到哪怕一个字节：TCP 只按顺序把字节交给应用，所以每个流的数据都排在空洞后面等待（往返时间 ${rttMs} ms）。`
      : `在 ${t.trials} 次 HTTP/2 试验中有 ${t.progressed} 次，各流在重传之前就从被丢报文段之后到达的报文段中收到了字节（${behind.map((b) => b.bytes).join('、')}）。`,
    observed: { rttMs, ...t, behindTheHole: behind },
    evidence,
  };
}

export function judgeH3Quic(trials: Trial[], rttMs: number): ClaimResult {
  const t = tally(trials, 'h3', rttMs);
  if (t.blocked + t.progressed === 0) return notObserved('http.h3.quic', NO_TRIAL, { rttMs, ...t });
  const waits = recoveries(trials).flatMap((r) => (r.retransmittedAfterMs === undefined ? [] : [r.retransmittedAfterMs]));
  const observed = { rttMs, ...t, lostStreamWaitedMs: waits };
  if (t.blocked > 0) {
    return { id: 'http.h3.quic', verdict: 'refuted', summary: `Over QUIC on UDP, a dropped packet still held back the data of every stream in ${t.blocked} of ${t.trials} trials.`, summaryZh: `在基于 UDP 的 QUIC 上，${t.trials} 次试验中有 ${t.blocked} 次一个丢包仍拖住了所有流的数据。`, observed, evidence: [trialTable(trials, rttMs)] };
  }
  if (!waits.length) return notObserved('http.h3.quic', { en: 'The decrypted capture did not show the lost data being sent again, so how long its own stream waited is unknown.', zh: '解密后的捕获中没有看到丢失的数据被重发，无法得知其所在流等待了多久。' }, observed);
  const meanWait = waits.reduce((a, b) => a + b, 0) / waits.length;
  return {
    id: 'http.h3.quic',
    verdict: 'nuanced',
    summary: `HTTP/3 ran over QUIC on UDP 443, and TCP's blocking across streams was gone: in every trial the other streams kept receiving during the loss. "Completely" needs a condition: the data of the stream whose packet was lost arrived again only ${waits.join(', ')} ms after the drop (about ${Math.round((meanWait / rttMs) * 10) / 10} round trips), and that stream could not read past the hole meanwhile, since each stream is delivered in order. Head-of-line blocking remains within a stream; it no longer spreads across streams.`,
    summaryZh: `HTTP/3 运行在 UDP 443 上的 QUIC 之上，TCP 那种跨流阻塞消失了：每次试验中丢包期间其他流都继续接收。但“彻底”需要加条件：丢包所在流的数据直到丢包后 ${waits.join('、')} ms（约 ${Math.round((meanWait / rttMs) * 10) / 10} 个往返）才重新到达，在此之前该流无法越过空洞继续读取，因为每个流内部按序交付。队头阻塞仍存在于流内部，只是不再波及其他流。`,
    observed,
    evidence: [trialTable(trials, rttMs)],
  };
}

const recoveryTable = (trials: Trial[]): Evidence => ({
  kind: 'table',
  title: 'HTTP/3 trials: the dropped packet, the packet that carried its data again, and the client ACK frames in between',
  columns: ['lost packet', 'lost stream data', 'sent again in packet', 'after (ms)', 'client ACKs before it (largest acknowledged / extra ranges)'],
  rows: recoveries(trials).map((r) => [r.lostPacketNumber, r.lostStreamFrames.map((f) => `stream ${f.stream} @${f.offset}+${f.length}`).join(', '), r.retransmittedInPacket ?? 'not seen', r.retransmittedAfterMs ?? '', r.acksBefore.map((a) => `${a.largestAcknowledged}/${a.ackRanges}`).join(' ')]),
});

export function judgeFastRetransmit(trials: Trial[], rttMs: number): ClaimResult {
  const resent = recoveries(trials).filter((r) => r.retransmittedInPacket !== undefined && r.lostStreamFrames.length > 0);
  if (!resent.length) return notObserved('quic.loss.fast-retransmit', { en: 'No HTTP/3 trial showed the dropped stream data being sent again in the decrypted capture.', zh: '解密后的捕获中，没有一次 HTTP/3 试验看到被丢弃的流数据被重新发送。' });
  const ackedLater = resent.filter((r) => r.acksBefore.some((a) => a.largestAcknowledged > r.lostPacketNumber));
  const duplicates = resent.reduce((n, r) => n + r.acksBefore.filter((a, i) => i > 0 && a.largestAcknowledged === r.acksBefore[i - 1]!.largestAcknowledged).length, 0);
  const after = resent.map((r) => r.retransmittedAfterMs!);
  const observed = { rttMs, trials: resent.length, retransmittedAfterMs: after, newPacketNumbers: resent.every((r) => r.retransmittedInPacket! > r.lostPacketNumber), acknowledgedLaterFirst: ackedLater.length, repeatedLargestAcknowledged: duplicates };
  const evidence = [recoveryTable(trials)];
  if (ackedLater.length < resent.length) {
    return { id: 'quic.loss.fast-retransmit', verdict: 'nuanced', summary: `In ${resent.length - ackedLater.length} of ${resent.length} trials the lost data went out again (after ${after.join(', ')} ms) before any ACK of a later packet: a timer, not acknowledgements, triggered it; duplicate ACKs played no part.`, summaryZh: `${resent.length} 次试验中有 ${resent.length - ackedLater.length} 次，丢失的数据在收到任何更晚包的 ACK 之前就被重发（${after.join('、')} ms 后）：触发它的是定时器而非确认；重复 ACK 没有起作用。`, observed, evidence };
  }
  return {
    id: 'quic.loss.fast-retransmit',
    verdict: 'refuted',
    summary: `Quick, yes: the lost stream data went out again ${after.join(', ')} ms after the drop (round trip ${rttMs} ms), in a packet with a new, higher number (QUIC never sends a packet number twice). But not on duplicate ACKs: before it came ${resent.map((r) => r.acksBefore.length).join(', ')} client ACK frames acknowledging packets sent after the lost one, ${duplicates ? `${duplicates} of them repeating the previous largest acknowledged number` : 'each acknowledging a larger number than the last'}, and the sender declared the packet lost because later packets were acknowledged (RFC 9002's packet and time thresholds). QUIC has no duplicate ACKs to count.`,
    summaryZh: `快是真的：丢失的流数据在丢包后 ${after.join('、')} ms 被重新发出（往返时间 ${rttMs} ms），放在一个编号更大的新包中（QUIC 从不重复使用包号）。但并非基于重复确认：重发之前，客户端先发来了 ${resent.map((r) => r.acksBefore.length).join('、')} 个确认丢失包之后所发之包的 ACK 帧，${duplicates ? `其中 ${duplicates} 个与前一个的最大确认号相同` : '每个的最大确认号都比前一个大'}，发送方是因为更晚的包已被确认才判定该包丢失（RFC 9002 的包数阈值与时间阈值）。QUIC 根本没有可供计数的重复 ACK。`,
    observed,
    evidence,
  };
}

export function judgeAckRanges(trials: Trial[]): ClaimResult {
  const seen = recoveries(trials).filter((r) => r.acksBefore.length > 0);
  if (!seen.length) return notObserved('quic.ack.ranges', { en: 'No client ACK frame was captured between a drop and its retransmission.', zh: '在丢包与重传之间没有捕获到客户端的 ACK 帧。' });
  const withGap = seen.flatMap((r) => r.acksBefore.filter((a) => a.ackRanges > 0));
  const resent = seen.filter((r) => r.retransmittedInPacket !== undefined);
  const observed = { trials: seen.length, ackFramesBeforeRetransmission: seen.reduce((n, r) => n + r.acksBefore.length, 0), ackFramesWithGaps: withGap.length };
  if (!withGap.length) return { id: 'quic.ack.ranges', verdict: 'refuted', summary: `No ACK frame after a drop carried more than one range: nothing was acknowledged selectively around the lost packet.`, summaryZh: '丢包之后没有任何 ACK 帧带有多于一个区间：丢失包周围没有被选择性确认。', observed, evidence: [recoveryTable(trials)] };
  return {
    id: 'quic.ack.ranges',
    verdict: 'nuanced',
    summary: `Selective, yes: after each drop the client's ACK frames listed ranges with a gap where the lost packet number was (${withGap.length} frames had extra ranges). But they acknowledge packets, not data: a range names packet numbers${resent.length ? `, and the lost data went again in packet${resent.length > 1 ? 's' : ''} ${resent.map((r) => `${r.retransmittedInPacket} (not ${r.lostPacketNumber})`).join(', ')}, so it is acknowledged by acknowledging a different packet` : ''}. And there is no cumulative point as in TCP: a frame lists ranges down from its largest packet number, each after a gap.`,
    summaryZh: `选择性确认是有的：每次丢包后，客户端的 ACK 帧都列出了在丢失包号处留有空缺的多个区间（${withGap.length} 个帧带有额外区间）。但它确认的是包而不是数据：区间列的是包号${resent.length ? `，而丢失的数据是放在 ${resent.map((r) => `${r.retransmittedInPacket} 号包（而不是 ${r.lostPacketNumber} 号）`).join('、')}中重发的，所以确认它就是确认另一个包` : ''}。而且不像 TCP 那样有累计确认点：一个帧从最大包号向下列出各个区间，区间之间隔着空缺。`,
    observed,
    evidence: [recoveryTable(trials)],
  };
}

/**
 * One HTTP/3 trial read for order within a stream and independence across streams: between the drop
 * and the arrival of the lost data sent again, which streams still receiving got nothing (waited),
 * and how much a waiting stream got at once when the hole was filled (data that had arrived behind
 * it, held back). Reads in the first millisecond after the drop are of data that arrived before it.
 */
export function holdBack(trial: Trial) {
  const r = trial.recovery;
  if (trial.proto !== 'h3' || trial.dropped !== 1 || trial.droppedAtMs === undefined || r?.retransmittedAfterMs === undefined) return undefined;
  const from = trial.droppedAtMs + 1;
  const filled = trial.droppedAtMs + r.retransmittedAfterMs;
  const streams = trial.streams.flatMap((s, i) => {
    if (bytesAt(s, from) >= s.bytes) return [];
    const during = bytesAt(s, filled) - bytesAt(s, from);
    const next = s.reads.find(([t]) => t > filled);
    const atOnce = next ? bytesAt(s, next[0] + 1) - bytesAt(s, filled) : 0;
    return [{ stream: i, receivedDuringHole: during, receivedAtOnceWhenFilled: atOnce }];
  });
  const lostBytes = r.lostStreamFrames.reduce((n, f) => n + f.length, 0);
  const hit = new Set(r.lostStreamFrames.map((f) => f.stream)).size;
  const waited = streams.filter((s) => s.receivedDuringHole === 0);
  const outcome =
    !waited.length ? 'no-stream-waited'
    : waited.length === streams.length ? 'all-streams-waited'
    : waited.length !== hit ? 'waited-unlike-the-loss'
    : waited.every((s) => s.receivedAtOnceWhenFilled > lostBytes) ? 'ordered-and-independent'
    : 'nothing-held-behind-the-hole';
  return { holeMs: Math.round((filled - trial.droppedAtMs) * 10) / 10, lostStreams: [...new Set(r.lostStreamFrames.map((f) => f.stream))], lostBytes, streams, outcome };
}

export function judgeOrderedIndependent(trials: Trial[], rttMs: number): ClaimResult {
  const seen = trials.flatMap((t) => { const h = holdBack(t); return h ? [h] : []; });
  const observed = { rttMs, trials: seen };
  const evidence = [...deliveryPicture(trials, rttMs).filter((e) => e.title.startsWith('HTTP/3')), recoveryTable(trials)];
  if (!seen.length) return { ...notObserved('quic.streams.ordered-independent', { en: 'No HTTP/3 trial had one packet dropped and its data seen sent again, so the time the hole lasted is unknown.', zh: '没有一次 HTTP/3 试验恰好丢一个包并看到其数据被重发，无法得知空洞持续了多久。' }, observed), evidence };
  const against = seen.filter((s) => s.outcome === 'no-stream-waited' || s.outcome === 'all-streams-waited' || s.outcome === 'waited-unlike-the-loss');
  const shown = seen.filter((s) => s.outcome === 'ordered-and-independent');
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id: 'quic.streams.ordered-independent', verdict, summary: en, summaryZh: zh, observed, evidence });
  if (against.length) {
    return result(
      'refuted',
      `In ${against.length} of ${seen.length} HTTP/3 trials the streams did not behave as ordered and independent: ${against.map((s) => `${s.outcome} (lost data of QUIC stream ${s.lostStreams.join(', ')}; bytes received during the ${s.holeMs} ms hole: ${s.streams.map((x) => x.receivedDuringHole).join(', ')})`).join('; ')}.`,
      `${seen.length} 次 HTTP/3 试验中有 ${against.length} 次各流并未表现为有序且相互独立：${against.map((s) => `${s.outcome}（丢失的是 QUIC 流 ${s.lostStreams.join('、')} 的数据；${s.holeMs} ms 空洞期间各流收到的字节：${s.streams.map((x) => x.receivedDuringHole).join('、')}）`).join('；')}。`,
    );
  }
  if (!shown.length) return { ...notObserved('quic.streams.ordered-independent', { en: 'The stream whose data was lost had nothing queued behind the hole in any trial, so its order of delivery was not put to the test.', zh: '每次试验中，丢失数据的那个流在空洞之后都没有排队的数据，其按序交付没有受到检验。' }, observed), evidence };
  const other = (s: (typeof shown)[number]) => s.streams.filter((x) => x.receivedDuringHole > 0);
  const waiting = (s: (typeof shown)[number]) => s.streams.filter((x) => x.receivedDuringHole === 0);
  return result(
    'confirmed',
    `In ${shown.length === seen.length ? 'all' : `${shown.length} of`} ${seen.length} HTTP/3 trials one packet of one stream was lost (QUIC stream ${shown.map((s) => s.lostStreams.join('/')).join(', ')}; ${shown.map((s) => s.lostBytes).join(', ')} bytes). That stream received nothing until the lost data came again ${shown.map((s) => s.holeMs).join(', ')} ms later (round trip ${rttMs} ms), then at once ${shown.map((s) => waiting(s).map((x) => x.receivedAtOnceWhenFilled).join('/')).join(', ')} bytes: data that had arrived behind the hole and was held until it was filled, so each stream is delivered in order. Meanwhile the other streams went on receiving (${shown.map((s) => other(s).map((x) => x.receivedDuringHole).join(' and ')).join('; ')} bytes during the hole): one stream's loss did not hold the others.`,
    `在${shown.length === seen.length ? '全部' : ''} ${seen.length} 次 HTTP/3 试验中${shown.length === seen.length ? '' : `有 ${shown.length} 次`}，某个流的一个包丢失（QUIC 流 ${shown.map((s) => s.lostStreams.join('/')).join('、')}；${shown.map((s) => s.lostBytes).join('、')} 字节）。该流在丢失的数据于 ${shown.map((s) => s.holeMs).join('、')} ms 后重新到达之前什么也没收到（往返时间 ${rttMs} ms），随后一次性收到 ${shown.map((s) => waiting(s).map((x) => x.receivedAtOnceWhenFilled).join('/')).join('、')} 字节：这些数据早已在空洞之后到达，一直被扣住直到空洞被填上，所以每个流都按序交付。与此同时其他流继续接收（空洞期间分别收到 ${shown.map((s) => other(s).map((x) => x.receivedDuringHole).join('、')).join('；')} 字节）：一个流的丢包没有拖住其他流。`,
  );
}

export interface EchoTrial {
  proto: 'udp' | 'tcp';
  dropped: number;
  messages: { seq: number; sentMs: number; rttMs: number | null }[];
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** What one dropped packet did to a steady run of echoed messages: lost ones, and which came back late (over 1.5 times the usual round trip). */
export function echoEffect(trial: EchoTrial) {
  const times = trial.messages.flatMap((m) => (m.rttMs === null ? [] : [m.rttMs]));
  const usual = quantile(times, 0.5);
  const late = trial.messages.filter((m) => m.rttMs !== null && m.rttMs > 1.5 * usual);
  return { usualMs: round(usual), lost: trial.messages.filter((m) => m.rttMs === null).map((m) => m.seq), late: late.map((m) => m.seq), worstMs: round(Math.max(...times)) };
}

/** Messages sent after a lost one that a retransmitting transport would hold (10 ms apart: 100 ms). */
export const BEHIND_LOSS = 10;

export function judgeUdpRealtime(echoes: EchoTrial[]): ClaimResult {
  const udp = echoes.find((e) => e.proto === 'udp');
  const tcp = echoes.find((e) => e.proto === 'tcp');
  if (!udp || !tcp || udp.dropped !== 1 || tcp.dropped !== 1) return notObserved('udp.realtime', { en: 'The rule did not drop exactly one packet of each echo run.', zh: '规则没有在每次回显中恰好丢弃一个包。' }, { udpDropped: udp?.dropped, tcpDropped: tcp?.dropped });
  const u = echoEffect(udp);
  const t = echoEffect(tcp);
  // Held behind the loss: late among the messages sent in the BEHIND_LOSS after a lost one (TCP's
  // retransmission holds about 7 of them). A UDP message late elsewhere is the scheduler's jitter on a
  // loaded machine, not a wait for anything, and is reported but does not decide.
  const behind = u.late.filter((seq) => u.lost.some((lost) => seq > lost && seq <= lost + BEHIND_LOSS));
  const jitter = u.late.filter((seq) => !behind.includes(seq));
  const observed = { udp: u, tcp: t, messages: udp.messages.length, udpLateBehindLoss: behind };
  const evidence: Evidence[] = [{
    kind: 'series',
    title: 'Round trip of each echoed message, one packet dropped (ms; a lost message has no point)',
    xLabel: 'message',
    yLabel: 'round trip (ms)',
    series: echoes.map((e) => ({ name: e.proto.toUpperCase(), points: e.messages.flatMap((m) => (m.rttMs === null ? [] : [[m.seq, round(m.rttMs)] as [number, number]])) })),
  }];
  const holds = u.lost.length > 0 && behind.length === 0 && t.late.length > 1;
  return confirmedIf(
    'udp.realtime',
    holds,
    {
      en: `${udp.messages.length} messages of 200 bytes every 10 ms, echoed, one packet dropped on the way back. Over UDP message ${u.lost.join(', ')} never returned and the ${BEHIND_LOSS} sent after it came back in the usual ${u.usualMs} ms or so${jitter.length ? ` (${jitter.length} elsewhere, ${jitter.join(', ')}, late by the scheduler on a loaded machine, none near the loss)` : ` (worst of all ${u.worstMs} ms)`}: no retransmission, so nothing waited. Over TCP no message was lost, but ${t.late.length} messages (${t.late.slice(0, 6).join(', ')}${t.late.length > 6 ? ', …' : ''}) came back late, up to ${t.worstMs} ms against the usual ${t.usualMs}: the lost segment's retransmission, and every message behind it held until then. UDP avoids the delay by giving the lost message up.`,
      zh: `每 10 ms 发送一条 200 字节的消息并回显，共 ${udp.messages.length} 条，回程中丢弃一个包。UDP 上第 ${u.lost.join('、')} 条消息再也没有回来，其后发送的 ${BEHIND_LOSS} 条都在通常的约 ${u.usualMs} ms 内返回${jitter.length ? `（别处有 ${jitter.length} 条，即 ${jitter.join('、')}，因机器负载被调度推迟，都不在丢包附近）` : `（全部中最慢 ${u.worstMs} ms）`}：没有重传，所以没有任何消息需要等待。TCP 上没有丢失消息，但有 ${t.late.length} 条（${t.late.slice(0, 6).join('、')}${t.late.length > 6 ? '、…' : ''}）回来得晚，最长 ${t.worstMs} ms，而通常为 ${t.usualMs} ms：这是丢失报文段的重传时间，其后的每条消息都被压到重传完成。UDP 避免延迟的代价是放弃那条丢失的消息。`,
    },
    {
      en: `UDP: lost ${u.lost.join(', ') || 'none'}, late behind the loss ${behind.join(', ') || 'none'}, late elsewhere ${jitter.join(', ') || 'none'} (usual ${u.usualMs} ms, worst ${u.worstMs}); TCP: late ${t.late.join(', ') || 'none'} (usual ${t.usualMs} ms, worst ${t.worstMs}).`,
      zh: `UDP：丢失 ${u.lost.join('、') || '无'}，丢包之后延迟的 ${behind.join('、') || '无'}，别处延迟的 ${jitter.join('、') || '无'}（通常 ${u.usualMs} ms，最慢 ${u.worstMs}）；TCP：延迟 ${t.late.join('、') || '无'}（通常 ${t.usualMs} ms，最慢 ${t.worstMs}）。`,
    },
    observed,
    evidence,
  );
}

export function judgeHttpTransport(served: ServedRequest[]): ClaimResult {
  const count = (proto: string) => served.filter((r) => r.proto === proto).length;
  const observed = { http2OverTlsTcp: count('HTTP/2.0'), http3OverQuicUdp: count('HTTP/3.0') };
  if (!observed.http2OverTlsTcp || !observed.http3OverQuicUdp) return notObserved('http.stateless', { en: 'The server did not answer both HTTP/2 and HTTP/3 requests.', zh: '服务器没有同时响应 HTTP/2 和 HTTP/3 请求。' }, observed);
  return {
    id: 'http.stateless',
    verdict: 'nuanced',
    summary: `Request-response, yes: the same handler answered ${observed.http2OverTlsTcp} HTTP/2 requests that came over TLS on TCP 443 and ${observed.http3OverQuicUdp} HTTP/3 requests that came over QUIC on UDP 443, one response to each. "Over TCP or TLS" holds up to HTTP/2 only: HTTP/3 carries the same methods, paths and status codes over QUIC, with TLS 1.3 inside QUIC rather than under HTTP. Stateless describes the messages (each request stands alone); the connections of HTTP/2 and HTTP/3 do keep state, their header-compression tables (see http.h2.hpack).`,
    summaryZh: `请求-响应是对的：同一个处理程序响应了经 TCP 443 上的 TLS 到来的 ${observed.http2OverTlsTcp} 个 HTTP/2 请求，以及经 UDP 443 上的 QUIC 到来的 ${observed.http3OverQuicUdp} 个 HTTP/3 请求，每个请求一个响应。“运行在 TCP 或 TLS 之上”只到 HTTP/2 为止：HTTP/3 以同样的方法、路径和状态码运行在 QUIC 之上，TLS 1.3 在 QUIC 内部，而不在 HTTP 之下。无状态说的是消息（每个请求自成一体）；HTTP/2 和 HTTP/3 的连接本身是有状态的，即它们的首部压缩表（见 http.h2.hpack）。`,
    observed,
    evidence: [],
  };
}

export default defineLab({
  id: 'quic-streams',
  title: 'Head-of-line blocking: one dropped packet under three concurrent responses, HTTP/2 over TCP against HTTP/3 over QUIC',
  topic: 'quic',
  claims: ['quic.streams.no-hol', 'http.h2.tcp-hol', 'http.h3.quic', 'quic.loss.fast-retransmit', 'quic.ack.ranges', 'udp.realtime', 'http.stateless', 'quic.streams.ordered-independent'],
  requires: ['root', 'netns', 'nfqueue', 'iptables', 'tcpdump', 'tshark', 'ping', 'quic'],
  timeLimitMs: 90_000,
  alone: true,
  handout: {
    starts: 'A client and a server namespace 20 ms apart each way, segmentation offload off; the quic-go peer answering over HTTP/2 (TLS, TCP 443) and HTTP/3 (QUIC, UDP 443).',
    does: `Per protocol, ${TRIALS} trials: three GETs of ${BODY_BYTES / 1000} kB at once on one connection while the client's iptables drops one large packet from the server. Then ${ECHO_MESSAGES} messages echoed over UDP and over TCP, one packet dropped.`,
    observes: 'Every read of every response body in the client (time, bytes so far), how many packets were dropped and when, and, from the decrypted HTTP/3 capture, which stream lost data and when it came again; the round trip of every echoed message.',
    zh: {
      title: '队头阻塞：三个并发响应中丢一个包，TCP 上的 HTTP/2 对比 QUIC 上的 HTTP/3',
      starts: '客户端和服务端两个命名空间，单向各延迟 20 ms，关闭分段卸载；quic-go 同时以 HTTP/2（TLS，TCP 443）和 HTTP/3（QUIC，UDP 443）响应。',
      does: `每种协议 ${TRIALS} 次试验：在一条连接上同时发出三个 ${BODY_BYTES / 1000} kB 的 GET，客户端的 iptables 丢弃服务器发来的一个大包。然后分别经 UDP 和 TCP 回显 ${ECHO_MESSAGES} 条消息，丢弃一个包。`,
      observes: '客户端对每个响应体的每次读取（时间、已收字节），丢弃的包数及时刻，以及从解密的 HTTP/3 抓包中看到哪个流丢了数据、何时重新到达；每条回显消息的往返时间。',
    },
  },
  needs: {
    topology: {
      hosts: { client: {}, server: {} },
      links: [{ a: ['client', `${CLIENT}/24`], b: ['server', `${SERVER}/24`], offload: false, impair: { a: { delayMs: 20 }, b: { delayMs: 20 } } }],
    },
  },
  async run(ctx) {
    const { client, server } = ctx.hosts;
    recordQuicPeer(ctx.environment);
    const rtt = await measureRoundTrip(client!.netns, SERVER);
    ctx.environment.roundTrip = `${rtt.avgMs} ms (ping, ${rtt.count} probes)`;
    const quic = await startQuicServer(ctx.scope, ctx.runId, server!, { port: 443 });
    const trials: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) {
      for (const proto of ['h2', 'h3'] as const) {
        ctx.step(`${proto}, trial ${i + 1}: three responses at once, one packet dropped`);
        const drop = await impair(ctx.scope, ctx.runId, client!.netns, 'eth0', {
          lossIn: { nth: { every: 1_000_000, packet: DROPPED_PACKET } },
          match: ['-p', proto === 'h2' ? 'tcp' : 'udp', '--sport', '443', '-m', 'length', '--length', `${LARGE_PACKET}:65535`],
        });
        ctx.environment.drop = drop.description;
        const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: `${proto}-${i + 1}`, netns: client!.netns, iface: 'eth0', filter: 'port 443' });
        const keylog = join(ctx.workDir, `${proto}-${i + 1}.keys`);
        const result = await quicClient<{ startUnixMs: number; streams: StreamTimeline[] }>(client!, 'streams', ['-proto', proto, '-url', `https://${SERVER}/`, '-paths', PATHS.join(','), '-keylog', keylog]);
        const dropped = await drop.dropped();
        await drop.remove();
        await capture.stop();
        const fromServer = await readFields(capture.file, `ip.src == ${SERVER}`, ['frame.number', 'frame.time_epoch', 'ip.len']);
        const droppedPacket = fromServer.filter((r) => Number(r['ip.len']) >= LARGE_PACKET)[DROPPED_PACKET];
        const relative = (r: Record<string, string>) => Math.round((Number(r['frame.time_epoch']) * 1000 - result.startUnixMs) * 1000) / 1000;
        const recovery = proto === 'h3' && droppedPacket ? recoveryOf(await decodeQuic(capture.file, { keylog }), Number(droppedPacket['frame.number']), SERVER) : undefined;
        const droppedAtMs = droppedPacket ? relative(droppedPacket) : undefined;
        const arrivedAfterDropMs = droppedAtMs === undefined ? [] : fromServer.filter((r) => Number(r['ip.len']) >= LARGE_PACKET).map(relative).filter((t) => t > droppedAtMs && t < droppedAtMs + 2 * rtt.avgMs);
        trials.push({ proto, dropped, droppedAtMs, arrivedAfterDropMs, recovery, streams: result.streams });
      }
    }
    const echoes: EchoTrial[] = [];
    for (const proto of ['udp', 'tcp'] as const) {
      ctx.step(`${proto}: ${ECHO_MESSAGES} messages echoed, one packet dropped on the way back`);
      const drop = await impair(ctx.scope, ctx.runId, client!.netns, 'eth0', { lossIn: { nth: { every: 1_000_000, packet: DROPPED_PACKET } }, match: ['-p', proto, '--sport', '7'] });
      const result = await quicClient<{ messages: EchoTrial['messages'] }>(client!, 'echo', ['-proto', proto, '-to', `${SERVER}:7`, '-count', String(ECHO_MESSAGES), '-interval', '10ms']);
      echoes.push({ proto, dropped: await drop.dropped(), messages: result.messages });
      await drop.remove();
    }
    const kept = keptJson(ctx, 'trials.json', { rttMs: rtt.avgMs, trials, echoes, served: quic.requests }, 'every read of every stream per trial, every echoed message, every request served (JSON)');
    return [judgeQuicNoHol(trials, rtt.avgMs), judgeH2TcpHol(trials, rtt.avgMs), judgeH3Quic(trials, rtt.avgMs), judgeFastRetransmit(trials, rtt.avgMs), judgeAckRanges(trials), judgeUdpRealtime(echoes), judgeHttpTransport(quic.requests), judgeOrderedIndependent(trials, rtt.avgMs)].map((c) => withEvidence(c, ...kept));
  },
});
