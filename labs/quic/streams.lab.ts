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
 * 13th; the count starts with the handshake).
 *
 * Observes: every read of every response body in the client (time, bytes so far), how many packets
 * the rule dropped, and when the dropped one arrived (tcpdump sees it before iptables drops it).
 */
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { measureRoundTrip } from '../../src/observers/ping.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { impair } from '../../src/resources/impairment.ts';
import { quicClient, recordQuicPeer, startQuicServer } from '../../src/resources/quic-peer.ts';

const CLIENT = '198.18.89.1';
const SERVER = '198.18.89.2';
const TRIALS = 3;
const BODY_BYTES = 200_000;
const DROPPED_PACKET = 12;
/** IP packets of at least this many bytes count towards the drop: segments and datagrams that carry data. */
const LARGE_PACKET = 1000;
const PATHS = ['a', 'b', 'c'].map((q) => `/bytes/${BODY_BYTES}?${q}`);
export type Proto = 'h2' | 'h3';

export interface StreamTimeline {
  path: string;
  reads: [number, number][];
  bytes: number;
  error?: string;
}

export interface Trial {
  proto: Proto;
  dropped: number;
  /** When the dropped packet reached the client's interface (tcpdump sees it before iptables drops it), in ms after the requests went out. */
  droppedAtMs?: number;
  streams: StreamTimeline[];
}

export interface Stall {
  /** The stream whose next read came last after the drop: the one whose data was lost. */
  stream: number;
  fromMs: number;
  toMs: number;
  /** For each other stream still receiving at the drop: bytes it received in the first three quarters of the stall. */
  others: { stream: number; bytesDuring: number }[];
}

const bytesAt = (s: StreamTimeline, ms: number) => s.reads.filter(([t]) => t <= ms).at(-1)?.[1] ?? 0;

/** From the drop to the stalled stream's next read, and what every other stream received meanwhile. */
export function stallAfterDrop(trial: Trial): Stall | undefined {
  const at = trial.droppedAtMs;
  if (at === undefined) return undefined;
  const waiting = trial.streams
    .map((s, i) => ({ i, next: s.reads.find(([t]) => t > at)?.[0] }))
    .filter((w): w is { i: number; next: number } => w.next !== undefined && bytesAt(trial.streams[w.i]!, at) < trial.streams[w.i]!.bytes);
  const stalled = waiting.sort((a, b) => b.next - a.next)[0];
  if (!stalled) return undefined;
  // Data queued behind a retransmission is handed over in one burst; reads in that burst are not progress.
  const burstStart = stalled.next - (stalled.next - at) / 4;
  const others = waiting.filter((w) => w.i !== stalled.i).map((w) => ({ stream: w.i, bytesDuring: bytesAt(trial.streams[w.i]!, burstStart) - bytesAt(trial.streams[w.i]!, at) }));
  return { stream: stalled.i, fromMs: at, toMs: stalled.next, others };
}

export type Outcome = 'others-blocked' | 'others-progressed' | 'no-stall' | 'no-other-active' | 'no-drop';

/** One trial's outcome: the stalled stream must wait at least half a round trip for the wait to be the lost packet's. */
export function outcomeOf(trial: Trial, rttMs: number): { outcome: Outcome; stall?: Stall } {
  if (trial.dropped !== 1 || trial.droppedAtMs === undefined) return { outcome: 'no-drop' };
  const stall = stallAfterDrop(trial);
  if (!stall || stall.toMs - stall.fromMs < rttMs / 2) return { outcome: 'no-stall', stall };
  if (!stall.others.length) return { outcome: 'no-other-active', stall };
  return { outcome: stall.others.every((o) => o.bytesDuring === 0) ? 'others-blocked' : 'others-progressed', stall };
}

function describe(trial: Trial, rttMs: number): string {
  const { outcome, stall } = outcomeOf(trial, rttMs);
  if (!stall) return outcome;
  const gap = Math.round(stall.toMs - stall.fromMs);
  return `dropped at ${Math.round(stall.fromMs)} ms; stream ${stall.stream + 1} read again ${gap} ms later; others meanwhile: ${stall.others.map((o) => `stream ${o.stream + 1} +${o.bytesDuring} B`).join(', ') || 'none still receiving'}`;
}

/** Bytes received against time, per stream, for one trial of each protocol, the stall marked. */
export function deliveryPicture(trials: Trial[], rttMs: number): Evidence[] {
  return (['h2', 'h3'] as const).flatMap((proto) => {
    const trial = trials.find((t) => t.proto === proto && outcomeOf(t, rttMs).stall);
    if (!trial) return [];
    const stall = outcomeOf(trial, rttMs).stall!;
    return [{
      kind: 'series' as const,
      title: `${proto === 'h2' ? 'HTTP/2 over TCP' : 'HTTP/3 over QUIC'}: bytes of each response received over time, one packet dropped`,
      xLabel: 'ms since the three requests went out',
      yLabel: 'bytes received',
      series: trial.streams.map((s, i) => ({ name: `stream ${i + 1}`, points: s.reads.map(([t, b]) => [Math.round(t * 10) / 10, b] as [number, number]) })),
      markers: [{ x: Math.round(stall.fromMs), label: 'packet dropped' }, { x: Math.round(stall.toMs), label: `stream ${stall.stream + 1} reads again` }],
    }];
  });
}

function tally(trials: Trial[], proto: Proto, rttMs: number) {
  const of = trials.filter((t) => t.proto === proto).map((t) => outcomeOf(t, rttMs).outcome);
  return { trials: of.length, blocked: of.filter((o) => o === 'others-blocked').length, progressed: of.filter((o) => o === 'others-progressed').length, outcomes: of };
}

const trialTable = (trials: Trial[], rttMs: number): Evidence => ({
  kind: 'table',
  title: 'Each trial: when the packet was dropped, how long the stream it carried waited, and what the other streams received meanwhile',
  columns: ['protocol', 'packets dropped', 'outcome', 'detail'],
  rows: trials.map((t) => [t.proto, t.dropped, outcomeOf(t, rttMs).outcome, describe(t, rttMs)]),
});

const NO_TRIAL = { en: 'No trial had both a dropped packet and a stall while another stream was still receiving, so none shows whether the loss blocked the others.', zh: '没有一次试验同时出现丢包和另一流仍在接收时的停顿，无法判断丢包是否阻塞了其他流。' };

export function judgeQuicNoHol(trials: Trial[], rttMs: number): ClaimResult {
  const t = tally(trials, 'h3', rttMs);
  const evidence = [...deliveryPicture(trials, rttMs), trialTable(trials, rttMs)];
  if (t.blocked + t.progressed === 0) return { ...notObserved('quic.streams.no-hol', NO_TRIAL, { rttMs, ...t }), evidence };
  const holds = t.blocked === 0;
  return {
    id: 'quic.streams.no-hol',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `In ${t.progressed} of ${t.trials} HTTP/3 trials the stream whose packet was dropped paused while the other streams still receiving kept receiving: the loss held up only its own stream (round trip ${rttMs} ms).`
      : `In ${t.blocked} of ${t.trials} HTTP/3 trials every other stream still receiving also stopped while the dropped packet was recovered.`,
    summaryZh: holds
      ? `在 ${t.trials} 次 HTTP/3 试验中有 ${t.progressed} 次：被丢包的那个流停顿时，其他仍在接收的流继续收到数据：丢包只阻塞了它自己的流（往返时间 ${rttMs} ms）。`
      : `在 ${t.trials} 次 HTTP/3 试验中有 ${t.blocked} 次：恢复丢包期间其他仍在接收的流也全部停了下来。`,
    observed: { rttMs, ...t },
    evidence,
  };
}

export function judgeH2TcpHol(trials: Trial[], rttMs: number): ClaimResult {
  const t = tally(trials, 'h2', rttMs);
  const evidence = [...deliveryPicture(trials, rttMs), trialTable(trials, rttMs)];
  if (t.blocked + t.progressed === 0) return { ...notObserved('http.h2.tcp-hol', NO_TRIAL, { rttMs, ...t }), evidence };
  const holds = t.progressed === 0;
  return {
    id: 'http.h2.tcp-hol',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The three responses shared one TCP connection as HTTP/2 streams. In ${t.blocked} of ${t.trials} trials, while the dropped segment was retransmitted, every stream still receiving stopped too, though their own data had not been lost: TCP hands bytes over only in order (round trip ${rttMs} ms).`
      : `In ${t.progressed} of ${t.trials} HTTP/2 trials other streams kept receiving while one stream waited for a lost segment.`,
    summaryZh: holds
      ? `三个响应作为 HTTP/2 流共享一条 TCP 连接。在 ${t.trials} 次试验中有 ${t.blocked} 次：重传丢失报文段期间，其他仍在接收的流虽然自己的数据并未丢失，也全部停了下来：TCP 只按顺序交付字节（往返时间 ${rttMs} ms）。`
      : `在 ${t.trials} 次 HTTP/2 试验中有 ${t.progressed} 次：一个流等待丢失的报文段时，其他流仍在继续接收。`,
    observed: { rttMs, ...t },
    evidence,
  };
}

export function judgeH3Quic(trials: Trial[], rttMs: number): ClaimResult {
  const t = tally(trials, 'h3', rttMs);
  if (t.blocked + t.progressed === 0) return notObserved('http.h3.quic', NO_TRIAL, { rttMs, ...t });
  const stalls = trials.filter((x) => x.proto === 'h3').map((x) => outcomeOf(x, rttMs).stall).filter((s): s is Stall => !!s);
  const waits = stalls.map((s) => Math.round(s.toMs - s.fromMs));
  const observed = { rttMs, ...t, ownStreamWaitsMs: waits };
  if (t.blocked > 0) {
    return { id: 'http.h3.quic', verdict: 'refuted', summary: `Over QUIC on UDP, a dropped packet still stalled every stream in ${t.blocked} of ${t.trials} trials.`, summaryZh: `在基于 UDP 的 QUIC 上，${t.trials} 次试验中有 ${t.blocked} 次一个丢包仍让所有流停顿。`, observed, evidence: [trialTable(trials, rttMs)] };
  }
  return {
    id: 'http.h3.quic',
    verdict: 'nuanced',
    summary: `HTTP/3 ran over QUIC on UDP 443, and TCP's cross-stream blocking was gone: in every trial the other streams kept receiving during the loss. "Completely" needs a condition: the stream whose packet was lost still waited ${waits.join(', ')} ms for the retransmission (about ${Math.round((waits.reduce((a, b) => a + b, 0) / waits.length / rttMs) * 10) / 10} round trips) before reading on, since each stream is delivered in order. Head-of-line blocking remains within a stream; it no longer spreads across streams.`,
    summaryZh: `HTTP/3 运行在 UDP 443 上的 QUIC 之上，TCP 那种跨流阻塞消失了：每次试验中丢包期间其他流都继续接收。但“彻底”需要加条件：丢包所在的那个流仍要等待 ${waits.join('、')} ms（约 ${Math.round((waits.reduce((a, b) => a + b, 0) / waits.length / rttMs) * 10) / 10} 个往返）等到重传才能继续读取，因为每个流内部按序交付。队头阻塞仍存在于流内部，只是不再波及其他流。`,
    observed,
    evidence: [trialTable(trials, rttMs)],
  };
}

export default defineLab({
  id: 'quic-streams',
  title: 'Head-of-line blocking: one dropped packet under three concurrent responses, HTTP/2 over TCP against HTTP/3 over QUIC',
  topic: 'quic',
  claims: ['quic.streams.no-hol', 'http.h2.tcp-hol', 'http.h3.quic'],
  requires: ['root', 'netns', 'nfqueue', 'iptables', 'tcpdump', 'tshark', 'ping', 'quic'],
  timeLimitMs: 90_000,
  handout: {
    starts: 'A client and a server namespace 20 ms apart each way, segmentation offload off; the quic-go peer answering over HTTP/2 (TLS, TCP 443) and HTTP/3 (QUIC, UDP 443).',
    does: `Per protocol, ${TRIALS} trials: three GETs of ${BODY_BYTES / 1000} kB at once on one connection while the client's iptables drops one large packet from the server.`,
    observes: 'Every read of every response body in the client (time, bytes so far), and how many packets were dropped.',
    zh: {
      title: '队头阻塞：三个并发响应中丢一个包，TCP 上的 HTTP/2 对比 QUIC 上的 HTTP/3',
      starts: '客户端和服务端两个命名空间，单向各延迟 20 ms，关闭分段卸载；quic-go 同时以 HTTP/2（TLS，TCP 443）和 HTTP/3（QUIC，UDP 443）响应。',
      does: `每种协议 ${TRIALS} 次试验：在一条连接上同时发出三个 ${BODY_BYTES / 1000} kB 的 GET，客户端的 iptables 丢弃服务器发来的一个大包。`,
      observes: '客户端对每个响应体的每次读取（时间、已收字节），以及实际丢弃的包数。',
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
    await startQuicServer(ctx.scope, ctx.runId, server!, { port: 443 });
    const trials: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) {
      for (const proto of ['h2', 'h3'] as const) {
        ctx.step(`${proto}, trial ${i + 1}: three responses at once, one packet dropped`);
        const drop = await impair(ctx.scope, ctx.runId, client!.netns, 'eth0', {
          lossIn: { nth: { every: 1_000_000, packet: DROPPED_PACKET } },
          match: ['-p', proto === 'h2' ? 'tcp' : 'udp', '--sport', '443', '-m', 'length', '--length', `${LARGE_PACKET}:65535`],
        });
        ctx.environment.drop = drop.description;
        const capture = await startCapture(ctx.scope, ctx.runId, { dir: ctx.workDir, name: `${proto}-${i + 1}`, netns: client!.netns, iface: 'eth0', filter: `src host ${SERVER} and src port 443`, snaplen: 96 });
        const result = await quicClient<{ startUnixMs: number; streams: StreamTimeline[] }>(client!, 'streams', ['-proto', proto, '-url', `https://${SERVER}/`, '-paths', PATHS.join(',')]);
        const dropped = await drop.dropped();
        await drop.remove();
        await capture.stop();
        const large = await readFields(capture.file, `ip.len >= ${LARGE_PACKET}`, ['frame.time_epoch']);
        const droppedAt = large[DROPPED_PACKET]?.['frame.time_epoch'];
        trials.push({ proto, dropped, droppedAtMs: droppedAt ? Math.round((Number(droppedAt) * 1000 - result.startUnixMs) * 1000) / 1000 : undefined, streams: result.streams });
      }
    }
    const kept = keptJson(ctx, 'trials.json', { rttMs: rtt.avgMs, trials }, 'every read of every stream, per trial (JSON)');
    return [judgeQuicNoHol(trials, rtt.avgMs), judgeH2TcpHol(trials, rtt.avgMs), judgeH3Quic(trials, rtt.avgMs)].map((c) => withEvidence(c, ...kept));
  },
});
