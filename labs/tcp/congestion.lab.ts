/**
 * Lab: TCP congestion control on a real Linux sender: slow start, congestion avoidance, fast
 * retransmit, fast recovery and the retransmission timeout, per algorithm.
 *
 * Starts: a sender and a receiver namespace on one veth link with offloads off; the receiver's
 * outgoing ACKs are delayed by 40 ms (netem, or NFQUEUE where the kernel has no netem) so the
 * connection has a round trip to count in; tcpdump on the sender; ss sampling of the sender's
 * socket every few milliseconds.
 *
 * Does, one 2 MB transfer per trial, the algorithm set on the sender's route (`ip route … congctl`):
 *   - slow start: reno and cubic, nothing else in the way;
 *   - avoidance: reno and cubic with the route's initial ssthresh set to 20 segments;
 *   - one loss: reno, cubic and bbr with ssthresh 20 (so cwnd changes slowly when the loss comes),
 *     the 300th data segment dropped on arrival (iptables nth);
 *   - timeout: reno, every ACK dropped for 1.6 s once 200 kB have arrived.
 *
 * Observes: data segments per round trip in the capture, duplicate ACKs and retransmissions as
 * tshark's TCP analysis marks them, and cwnd, ssthresh, RTO and the retransmission timer from ss.
 */
import { defineLab, type LabContext } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence, Packet } from '../../src/core/types.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { recordSysctls, toolVersion } from '../../src/observers/environment.ts';
import { sampleTcpInfo, type TcpInfoSample } from '../../src/observers/tcp-info.ts';
import { decodeTcp } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { impair, type ImpairmentSpec } from '../../src/resources/impairment.ts';
import { type Network } from '../../src/resources/netns.ts';
import { exec } from '../../src/resources/process.ts';
import type { Scope } from '../../src/resources/scope.ts';
import { startSocketAgents } from '../../src/resources/socket-agent.ts';

export const RTT_MS = 40;
const BYTES = 2_000_000;
const PORT = 6000;
const SENDER = '198.18.50.1';
const RECEIVER = '198.18.50.2';
export const LOST_SEGMENT = 300;
export const INITIAL_SSTHRESH = 20;

export interface Trial {
  name: string;
  algorithm: string;
  /** Data segments the sender sent, per round trip (bursts separated by idle time). */
  rounds: number[];
  samples: TcpInfoSample[];
  packets: Packet[];
  duplicateAcksBeforeRetransmit: number;
  /** Retransmitted segments, with when each was first sent; times in ms since connect. */
  retransmissions: { atMs: number; seq: number; originalAtMs: number }[];
  lossAtMs?: number;
  impairment: string[];
  /** The capture, kept with the report. */
  pcap?: string;
}

/** Groups the sender's data segments into round trips: a new round starts after a quiet gap. */
export function roundsOf(packets: Packet[], sender: string, gapMs = RTT_MS / 2): number[] {
  const data = packets.filter((p) => p.src === sender && p.len > 0);
  const rounds: number[] = [];
  let last = -Infinity;
  for (const p of data) {
    if (p.timeMs - last > gapMs) rounds.push(0);
    rounds[rounds.length - 1]!++;
    last = p.timeMs;
  }
  return rounds;
}

/** Data segments the sender sent again: their sequence number lies below the highest byte already sent. */
export function retransmissionsOf(packets: Packet[], sender: string): { atMs: number; seq: number; frame: number }[] {
  const data = packets.filter((p) => p.src === sender && p.len > 0);
  const isn = data[0]?.seq ?? 0;
  const rel = (seq: number) => (seq - isn + 2 ** 32) % 2 ** 32;
  let highest = 0;
  const again: { atMs: number; seq: number; frame: number }[] = [];
  for (const p of data) {
    if (rel(p.seq) < highest) again.push({ atMs: p.timeMs, seq: p.seq, frame: p.frame });
    highest = Math.max(highest, rel(p.seq) + p.len);
  }
  return again;
}

/** ACKs that repeat the acknowledgement number of the hole, between the lost segment and its retransmission. */
export function duplicateAcksBefore(packets: Packet[], receiver: string, retransmit: { seq: number; frame: number }): number {
  const acks = packets.filter((p) => p.src === receiver && p.frame < retransmit.frame && p.ack === retransmit.seq);
  return Math.max(0, acks.length - 1);
}

const series = (trial: Trial, field: 'cwnd' | 'ssthresh'): [number, number][] =>
  trial.samples.filter((s) => s[field] !== undefined && s[field]! < 100_000).map((s) => [s.atMs, s[field]!]);

function chart(title: string, trials: Trial[], withSsthresh = false): Evidence {
  return {
    kind: 'series',
    title,
    xLabel: 'ms since connect',
    yLabel: 'segments',
    series: trials.flatMap((t) => [{ name: `${t.algorithm} cwnd`, points: series(t, 'cwnd') }, ...(withSsthresh ? [{ name: `${t.algorithm} ssthresh`, points: series(t, 'ssthresh') }] : [])]),
    markers: trials.flatMap((t) => (t.lossAtMs === undefined ? [] : [{ x: t.lossAtMs, label: `${t.algorithm}: loss` }])),
  };
}

const trialsTable = (trials: Trial[]): Evidence => ({
  kind: 'table',
  title: 'Trials, impairments and captures',
  columns: ['trial', 'impairment', 'capture'],
  rows: trials.map((t) => [t.name, t.impairment.join('; '), t.pcap ?? '']),
});

const roundsTable = (title: string, trials: Trial[], count: number): Evidence => ({
  kind: 'table',
  title,
  columns: ['algorithm', ...Array.from({ length: count }, (_, i) => `RTT ${i + 1}`)],
  rows: trials.map((t) => [t.algorithm, ...Array.from({ length: count }, (_, i) => t.rounds[i] ?? '')]),
});

export function judgeSlowStart(trials: Trial[]): ClaimResult {
  const empty = trials.filter((t) => !t.rounds.length).map((t) => t.algorithm);
  if (!trials.length || empty.length) {
    const which = empty.length ? ` (${empty.join(', ')})` : '';
    return notObserved('tcp.congestion.slow-start', { en: `No data segments of a slow-start transfer were captured${which}, so there are no round trips to count.`, zh: `没有捕获到慢启动传输的数据报文段${which}，无法统计每个往返的报文段数。` });
  }
  // The first three rounds (10, 20, 40 segments) fit in the receiver's initial window; later ones may not.
  const per = trials.map((t) => ({ algorithm: t.algorithm, initialWindow: t.rounds[0] ?? 0, firstSampledCwnd: t.samples[0]?.cwnd ?? 0, growthPerRound: t.rounds.slice(1, 3).map((r, i) => +(r / t.rounds[i]!).toFixed(2)) }));
  const observed = { trials: per };
  const evidence = [roundsTable('Data segments sent per round trip', trials, 6), chart('cwnd during slow start (ss)', trials), trialsTable(trials)];
  const oneMss = per.every((p) => p.initialWindow === 1);
  const doubling = per.every((p) => p.growthPerRound.every((g) => g >= 1.6 && g <= 2.4));
  if (oneMss && doubling) return { id: 'tcp.congestion.slow-start', verdict: 'confirmed', summary: 'The first round carried one segment and each round doubled.', summaryZh: '第一轮只发送了一个报文段，此后每轮翻倍。', observed, evidence };
  const iw = [...new Set(per.map((p) => p.initialWindow))].join('/');
  return {
    id: 'tcp.congestion.slow-start',
    verdict: 'refuted',
    summary: doubling
      ? `Slow start began with ${iw} segments, not 1 MSS (Linux uses the initial window of RFC 6928), and the window doubled per round trip (${per.map((p) => `${p.algorithm}: ×${p.growthPerRound.join(', ×')}`).join('; ')}), one segment per segment acknowledged: not a doubling on every ACK.`
      : `Slow start began with ${iw} segments and grew ${JSON.stringify(per.map((p) => p.growthPerRound))} per round trip.`,
    summaryZh: doubling
      ? `慢启动从 ${iw} 个报文段开始，而不是 1 个 MSS（Linux 采用 RFC 6928 的初始窗口）；窗口每个往返翻一倍（${per.map((p) => `${p.algorithm}：×${p.growthPerRound.join(', ×')}`).join('；')}），即每确认一个报文段就增加一个报文段，而不是每收到一个 ACK 就翻倍。`
      : `慢启动从 ${iw} 个报文段开始，每个往返的增长倍数为 ${JSON.stringify(per.map((p) => p.growthPerRound))}。`,
    observed,
    evidence,
  };
}

export function judgeAvoidance(trials: Trial[]): ClaimResult {
  const per = trials.map((t) => {
    const start = t.rounds.findIndex((r) => r >= INITIAL_SSTHRESH);
    const roundsAfterSsthresh = start < 0 ? [] : t.rounds.slice(start, start + 8);
    // Growth per round trip from the kernel's own cwnd and smoothed RTT, over the avoidance phase:
    // unlike counting bursts in the capture, it does not depend on how evenly ACKs were released.
    const phase = t.samples.filter((s) => s.cwnd >= INITIAL_SSTHRESH && s.ssthresh === INITIAL_SSTHRESH && s.rttMs > 0);
    const [a, b] = [phase[0], phase.at(-1)];
    const rtt = phase.reduce((sum, s) => sum + s.rttMs, 0) / (phase.length || 1);
    const roundTrips = a && b ? (b.atMs - a.atMs) / rtt : 0;
    const perRoundTrip = a && b && roundTrips >= 4 ? +((b.cwnd - a.cwnd) / roundTrips).toFixed(2) : NaN;
    return { algorithm: t.algorithm, roundsAfterSsthresh, cwndFrom: a?.cwnd, cwndTo: b?.cwnd, roundTrips: +roundTrips.toFixed(1), segmentsPerRoundTrip: perRoundTrip };
  });
  const observed = { initialSsthresh: INITIAL_SSTHRESH, trials: per };
  const evidence = [roundsTable(`Segments per round trip with the route's ssthresh at ${INITIAL_SSTHRESH}`, trials, 12), chart('cwnd with ssthresh 20 (ss)', trials, true), trialsTable(trials)];
  const linear = (p: (typeof per)[number]) => p.segmentsPerRoundTrip >= 0.6 && p.segmentsPerRoundTrip <= 1.4;
  const reno = per.find((p) => p.algorithm === 'reno');
  const others = per.filter((p) => p.algorithm !== 'reno');
  if (!reno) return notObserved('tcp.congestion.avoidance', { en: 'No reno transfer with the route\'s ssthresh was observed, so there is no reference growth above ssthresh.', zh: '没有观察到设置了路由 ssthresh 的 reno 传输，缺少超过 ssthresh 后增长的参照。' }, observed);
  const unmeasured = per.filter((p) => Number.isNaN(p.segmentsPerRoundTrip)).map((p) => p.algorithm);
  if (unmeasured.length) {
    return notObserved('tcp.congestion.avoidance', { en: `ss did not sample cwnd above ssthresh ${INITIAL_SSTHRESH} over at least 4 round trips for ${unmeasured.join(', ')}, so its growth per round trip is unknown.`, zh: `ss 没有在至少 4 个往返内采样到 ${unmeasured.join('、')} 超过 ssthresh ${INITIAL_SSTHRESH} 后的 cwnd，无法得知其每个往返的增长量。` }, observed);
  }
  if (!linear(reno)) {
    return { id: 'tcp.congestion.avoidance', verdict: 'refuted', summary: `Above ssthresh reno grew by ${reno?.segmentsPerRoundTrip} segments per round trip, not one.`, summaryZh: `超过 ssthresh 后，reno 每个往返增长 ${reno?.segmentsPerRoundTrip} 个报文段，而不是 1 个。`, observed, evidence };
  }
  const allLinear = others.every(linear);
  return {
    id: 'tcp.congestion.avoidance',
    verdict: allLinear ? 'confirmed' : 'nuanced',
    summary: allLinear
      ? `Above ssthresh every algorithm grew by about one segment per round trip (${per.map((p) => `${p.algorithm}: cwnd ${p.cwndFrom} → ${p.cwndTo} in ${p.roundTrips} round trips, +${p.segmentsPerRoundTrip}`).join('; ')}).`
      : `Reno grew by ${reno.segmentsPerRoundTrip} segment per round trip above ssthresh, as stated; ${others.map((p) => `${p.algorithm} by ${p.segmentsPerRoundTrip}`).join('; ')}: its growth follows its own function, not one MSS per RTT.`,
    summaryZh: allLinear
      ? `超过 ssthresh 后，每种算法每个往返都增长约一个报文段（${per.map((p) => `${p.algorithm}：cwnd 在 ${p.roundTrips} 个往返内从 ${p.cwndFrom} 增至 ${p.cwndTo}，每个往返 +${p.segmentsPerRoundTrip}`).join('；')}）。`
      : `超过 ssthresh 后，Reno 每个往返增长 ${reno.segmentsPerRoundTrip} 个报文段，与学习资料所述一致；${others.map((p) => `${p.algorithm} 增长 ${p.segmentsPerRoundTrip} 个`).join('；')}：它按自己的增长函数变化，而不是每个 RTT 增加一个 MSS。`,
    observed,
    evidence,
  };
}

export function judgeFastRetransmit(trials: Trial[]): ClaimResult {
  const per = trials.map((t) => {
    const retransmit = t.retransmissions[0];
    const rto = t.samples.filter((s) => s.atMs <= (t.lossAtMs ?? 0)).at(-1)?.rtoMs ?? t.samples[0]?.rtoMs ?? 0;
    const afterMs = retransmit ? Math.round(retransmit.atMs - retransmit.originalAtMs) : undefined;
    return { algorithm: t.algorithm, duplicateAcks: t.duplicateAcksBeforeRetransmit, retransmittedAfterMs: afterMs, rtoMs: rto };
  });
  const observed = { lostSegment: LOST_SEGMENT, trials: per };
  const noRto = per.filter((p) => !(p.rtoMs > 0)).map((p) => p.algorithm);
  if (!per.length || noRto.length) {
    const which = noRto.length ? ` (${noRto.join(', ')})` : '';
    return notObserved('tcp.congestion.fast-retransmit', { en: `ss reported no RTO for the one-loss transfer${which}, so the retransmission cannot be compared with the timeout.`, zh: `ss 没有报告单次丢包传输的 RTO${which}，无法把重传时间与超时时间比较。` }, observed);
  }
  const beforeTimeout = per.every((p) => p.retransmittedAfterMs !== undefined && p.retransmittedAfterMs < p.rtoMs && p.duplicateAcks > 0);
  const evidence: Evidence[] = [
    { kind: 'table', title: `The ${LOST_SEGMENT}th data segment dropped on arrival`, columns: ['algorithm', 'duplicate ACKs before the retransmission', 'retransmitted after (ms)', 'RTO (ms)'], rows: per.map((p) => [p.algorithm, p.duplicateAcks, p.retransmittedAfterMs ?? 'never', p.rtoMs]) },
    ...trials.slice(0, 1).map((t) => lossWindow(t)),
    trialsTable(trials),
  ];
  if (!beforeTimeout) {
    return { id: 'tcp.congestion.fast-retransmit', verdict: 'refuted', summary: `The lost segment waited for the timeout: ${JSON.stringify(per)}.`, summaryZh: `丢失的报文段一直等到超时才被重传：${JSON.stringify(per)}。`, observed, evidence };
  }
  const dupacks = [...new Set(per.map((p) => p.duplicateAcks))].join('/');
  return {
    id: 'tcp.congestion.fast-retransmit',
    verdict: 'confirmed',
    summary: `The dropped segment was resent ${per.map((p) => `${p.retransmittedAfterMs} ms`).join(', ')} after it was first sent (about one round trip), well inside the RTO (${per[0]?.rtoMs} ms), after ${dupacks} duplicate ACKs (${per.map((p) => p.algorithm).join('/')}); each carried SACK blocks, so Linux could mark the hole lost without waiting for three.`,
    summaryZh: `被丢弃的报文段在首次发送后 ${per.map((p) => `${p.retransmittedAfterMs} ms`).join(', ')} 被重传（约一个往返），远早于 RTO（${per[0]?.rtoMs} ms），此前收到了 ${dupacks} 个重复 ACK（${per.map((p) => p.algorithm).join('/')}）；这些 ACK 都带有 SACK 块，因此 Linux 不必等满三个重复 ACK 就能把这个空洞标记为丢失。`,
    observed,
    evidence,
  };
}

/** The packets around the loss, for a sequence diagram of the fast retransmit. */
function lossWindow(trial: Trial): Evidence {
  const retransmit = trial.retransmissions[0];
  const at = retransmit ? trial.packets.findIndex((p) => p.timeMs >= retransmit.atMs) : 0;
  return { kind: 'packets', title: `${trial.algorithm}: duplicate ACKs and the fast retransmit`, endpoints: { sender: SENDER, receiver: RECEIVER }, packets: trial.packets.slice(Math.max(0, at - 8), at + 3) };
}

export function judgeFastRecovery(trials: Trial[]): ClaimResult {
  const unsampled = trials.filter((t) => !t.samples.length).map((t) => t.algorithm);
  if (unsampled.length) return notObserved('tcp.congestion.fast-recovery', { en: `ss took no samples of cwnd and ssthresh during the one-loss transfer (${unsampled.join(', ')}).`, zh: `ss 没有在单次丢包传输期间采样到 cwnd 和 ssthresh（${unsampled.join('、')}）。` });
  if (!trials.some((t) => t.algorithm === 'reno')) return notObserved('tcp.congestion.fast-recovery', { en: 'No reno transfer with a loss was observed, so there is no window to see halved.', zh: '没有观察到发生丢包的 reno 传输，无从看到窗口是否减半。' });
  const per = trials.map((t) => {
    // Recovery starts where the kernel changes ssthresh; the sample before shows the window it had.
    const entry = t.samples.findIndex((s, i) => i > 0 && s.ssthresh !== t.samples[0]!.ssthresh);
    const cwndBefore = entry > 0 ? t.samples[entry - 1]!.cwnd : Math.max(0, ...t.samples.filter((s) => s.atMs < (t.lossAtMs ?? 0)).map((s) => s.cwnd));
    const after = entry > 0 ? t.samples[entry] : undefined;
    const recovered = t.samples.filter((s) => t.lossAtMs !== undefined && s.atMs > t.lossAtMs + 3 * RTT_MS);
    return {
      algorithm: t.algorithm,
      cwndBeforeLoss: cwndBefore,
      ssthreshAfterLoss: after?.ssthresh,
      ratio: after?.ssthresh !== undefined && cwndBefore ? +(after.ssthresh / cwndBefore).toFixed(2) : undefined,
      cwndAfterRecovery: recovered[0]?.cwnd,
    };
  });
  const observed = { trials: per };
  const evidence = [
    { kind: 'table' as const, title: 'cwnd and ssthresh around the loss (ss)', columns: ['algorithm', 'cwnd before', 'ssthresh after', 'ssthresh / cwnd', 'cwnd after recovery'], rows: per.map((p) => [p.algorithm, p.cwndBeforeLoss, p.ssthreshAfterLoss ?? 'not set', p.ratio ?? '-', p.cwndAfterRecovery ?? '-']) },
    // Window-based algorithms share one chart; bbr's model-driven window would flatten their lines.
    chart('cwnd and ssthresh around the loss (ss)', trials.filter((t) => t.algorithm !== 'bbr'), true),
    ...trials.filter((t) => t.algorithm === 'bbr').map((t) => chart('bbr: cwnd around the loss (ss)', [t])),
    trialsTable(trials),
  ];
  const reno = per.find((p) => p.algorithm === 'reno');
  const renoTrial = trials.find((t) => t.algorithm === 'reno')!;
  if (reno?.ssthreshAfterLoss === undefined && !renoTrial.samples.some((s) => renoTrial.lossAtMs !== undefined && s.atMs > renoTrial.lossAtMs)) {
    return notObserved('tcp.congestion.fast-recovery', { en: 'ss took no sample of the reno transfer after its loss, so its ssthresh after the loss is unknown.', zh: 'ss 没有在 reno 传输丢包之后采样，无从得知丢包后的 ssthresh。' }, observed);
  }
  if (!reno || reno.ratio === undefined || Math.abs(reno.ratio - 0.5) > 0.1) {
    return { id: 'tcp.congestion.fast-recovery', verdict: 'refuted', summary: `Reno did not halve: ${JSON.stringify(reno)}.`, summaryZh: `Reno 没有减半：${JSON.stringify(reno)}。`, observed, evidence };
  }
  const others = per.filter((p) => p.algorithm !== 'reno');
  const allHalve = others.every((p) => p.ratio !== undefined && Math.abs(p.ratio - 0.5) <= 0.1);
  return {
    id: 'tcp.congestion.fast-recovery',
    verdict: allHalve ? 'confirmed' : 'nuanced',
    summary: allHalve
      ? `Every algorithm set ssthresh to half the window at the loss (${per.map((p) => `${p.algorithm} ×${p.ratio}`).join(', ')}).`
      : `Reno halved (cwnd ${reno.cwndBeforeLoss} → ssthresh ${reno.ssthreshAfterLoss}), as stated; ${others.map((p) => (p.ratio === undefined ? `${p.algorithm} set no ssthresh at all (it paces from its bandwidth model)` : `${p.algorithm} kept ×${p.ratio} (${p.cwndBeforeLoss} → ${p.ssthreshAfterLoss})`)).join('; ')}.`,
    summaryZh: allHalve
      ? `每种算法都在丢包时把 ssthresh 设为当时窗口的一半（${per.map((p) => `${p.algorithm} ×${p.ratio}`).join(', ')}）。`
      : `Reno 减半了（cwnd ${reno.cwndBeforeLoss} → ssthresh ${reno.ssthreshAfterLoss}），与学习资料所述一致；${others.map((p) => (p.ratio === undefined ? `${p.algorithm} 根本没有设置 ssthresh（它依据自己的带宽模型控制发送速率）` : `${p.algorithm} 保留为原窗口的 ×${p.ratio}（${p.cwndBeforeLoss} → ${p.ssthreshAfterLoss}）`)).join('；')}。`,
    observed,
    evidence,
  };
}

export function judgeTimeout(trial: Trial): ClaimResult {
  const timeouts = trial.retransmissions;
  const gaps = timeouts.slice(1).map((r, i) => r.atMs - timeouts[i]!.atMs);
  const during = trial.samples.filter((s) => s.timer?.startsWith('on') && s.atMs >= (trial.lossAtMs ?? 0));
  const cwndAfterTimeout = Math.min(...during.map((s) => s.cwnd));
  const rtos = [...new Set(during.map((s) => s.rtoMs))];
  const observed = { retransmissions: timeouts.length, gapsMs: gaps.map(Math.round), backoff: gaps.slice(1).map((g, i) => +(g / gaps[i]!).toFixed(2)), cwndAfterTimeout, rtoValuesMs: rtos };
  if (!trial.packets.length) return notObserved('tcp.retransmit.timeout', { en: 'No packets of the transfer were captured, so its retransmissions are unknown.', zh: '没有捕获到这次传输的报文，无从得知其重传情况。' });
  if (!during.length) return notObserved('tcp.retransmit.timeout', { en: 'ss took no sample with the retransmission timer running after the ACKs stopped, so cwnd after the timeout is unknown.', zh: 'ACK 中断之后，ss 没有在重传定时器运行时采样到任何数据，无从得知超时后的 cwnd。' }, { retransmissions: timeouts.length, gapsMs: observed.gapsMs });
  const evidence = [
    chart('cwnd while every ACK is lost (ss)', [trial], true),
    { kind: 'table' as const, title: 'Retransmissions while every ACK was dropped', columns: ['ms since connect', 'gap since previous (ms)'], rows: timeouts.map((t, i) => [Math.round(t.atMs), i ? Math.round(gaps[i - 1]!) : '-']) },
    trialsTable([trial]),
  ];
  const holds = timeouts.length >= 1 && cwndAfterTimeout === 1;
  return {
    id: 'tcp.retransmit.timeout',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `With every ACK lost the sender retransmitted on its timer ${timeouts.length} time(s)${gaps.length ? `, ${observed.gapsMs.join(', ')} ms apart` : ''}${observed.backoff.length ? ` (each wait about ${observed.backoff.join(', ')} times the previous: exponential back-off)` : ''}, and cwnd fell to 1 segment.`
      : `After the ACKs stopped: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `所有 ACK 都丢失时，发送端由重传定时器触发重传了 ${timeouts.length} 次${gaps.length ? `，间隔依次为 ${observed.gapsMs.join(', ')} ms` : ''}${observed.backoff.length ? `（每次等待约为前一次的 ${observed.backoff.join(', ')} 倍：指数退避）` : ''}，cwnd 降到 1 个报文段。`
      : `ACK 中断之后：${JSON.stringify(observed)}。`,
    observed,
    evidence,
  };
}

interface TrialSpec {
  name: string;
  algorithm: string;
  ssthresh?: number;
  /** Impairment at the receiver (loss of arriving data). */
  receiverLoss?: ImpairmentSpec;
  /** Drop every ACK arriving at the sender for this long once this many bytes have arrived. */
  blackout?: { afterBytes: number; forMs: number };
}

async function runTrial(ctx: LabContext, net: Network, spec: TrialSpec): Promise<Trial> {
  const scope = ctx.scope.child(spec.name);
  try {
    return await trial(ctx, scope, net, spec);
  } finally {
    await scope.close();
  }
}

async function trial(ctx: LabContext, scope: Scope, net: Network, spec: TrialSpec): Promise<Trial> {
  const { runId } = ctx;
  ctx.step(spec.name);
  const sender = net.sender!;
  const receiver = net.receiver!;
  // The algorithm is set on the route (congctl): outside the initial namespace Linux only lets the
  // namespace default be one of the host's tcp_allowed_congestion_control, but a route may name any.
  // An initial ssthresh comes from the route only when the kernel is told to use saved metrics;
  // the metrics cache is flushed so that no trial inherits the ssthresh of the one before.
  const route = ['route', 'replace', '198.18.50.0/24', 'dev', 'eth0', 'congctl', spec.algorithm, ...(spec.ssthresh ? ['ssthresh', 'lock', String(spec.ssthresh)] : [])];
  await exec('ip', route, { netns: sender.netns });
  await exec('sysctl', ['-q', '-w', `net.ipv4.tcp_no_ssthresh_metrics_save=${spec.ssthresh ? 0 : 1}`], { netns: sender.netns });
  await exec('ip', ['tcp_metrics', 'flush', 'all'], { netns: sender.netns });
  const impairments = [...receiver.impairments.map((i) => `receiver ${i.description}`)];
  const loss = spec.receiverLoss ? await impair(scope, runId, receiver.netns, 'eth0', spec.receiverLoss) : undefined;
  if (loss) {
    impairments.push(`receiver ${loss.description}`);
    ctx.timeline.fault('start', `${spec.name}: segment ${LOST_SEGMENT} dropped`, ['receiver']);
  }
  const capture = await startCapture(scope, runId, { dir: ctx.workDir, name: spec.name.replace(/\W+/g, '-'), netns: sender.netns, iface: 'eth0', filter: `tcp port ${PORT}`, snaplen: 128 });
  const [out, sink] = await startSocketAgents(scope, runId, sender, receiver);
  await sink.request('listen', { port: PORT });
  if (spec.ssthresh) {
    // The kernel applies a route's ssthresh through its metrics cache, whose entry the first
    // connection to a destination creates: a short warm-up connection makes it.
    await out.request('connect', { host: RECEIVER, port: PORT, conn: 'warm-up' });
    await out.waitFor((e) => e.event === 'connected' && e.conn === 'warm-up', 5000, 'warm-up connected');
    await out.request('end', { conn: 'warm-up' });
    await out.waitFor((e) => e.event === 'close' && e.conn === 'warm-up', 5000, 'warm-up closed');
  }
  const t0 = performance.now();
  await out.request('connect', { host: RECEIVER, port: PORT, conn: 'bulk' });
  const localPort = Number((await out.waitFor((e) => e.event === 'connected' && e.conn === 'bulk', 5000, 'connected')).localPort);
  const sampling = sampleTcpInfo(scope, sender.netns, localPort, t0);
  const bulk = (await sink.waitFor((e) => e.event === 'accepted' && e.remotePort === localPort, 5000, 'accepted')).conn;
  const received = () => sink.events.filter((e) => e.event === 'data' && e.conn === bulk).reduce((a, e) => a + (e.bytes ?? 0), 0);
  const transfer = ctx.timeline.invoke('sender', spec.name, BYTES);
  const writing = out.request('write', { conn: 'bulk', bytes: BYTES });
  let lossAtMs: number | undefined;
  if (spec.blackout) {
    await sink.waitFor(() => received() >= spec.blackout!.afterBytes, 10_000, 'data before the blackout');
    const blackout = await impair(scope, runId, sender.netns, 'eth0', { lossIn: { nth: { every: 1, packet: 0 } }, match: ['-p', 'tcp', '--sport', String(PORT)] });
    lossAtMs = Math.round(performance.now() - t0);
    impairments.push(`sender ${blackout.description} for ${spec.blackout.forMs} ms`);
    ctx.timeline.fault('start', `${spec.name}: every ACK dropped`, ['sender']);
    await sleep(spec.blackout.forMs);
    await blackout.remove();
    ctx.timeline.fault('end', `${spec.name}: every ACK dropped`, ['sender']);
  }
  await writing;
  await sink.waitFor(() => received() >= BYTES, 30_000, 'the whole transfer');
  transfer.ok(`${received()} bytes received`);
  await sampling.stop();
  await out.request('destroy', { conn: 'bulk' });
  await capture.stop();
  if (loss) {
    await loss.remove();
    ctx.timeline.fault('end', `${spec.name}: segment ${LOST_SEGMENT} dropped`, ['receiver']);
  }

  const packets = (await decodeTcp(capture.file)).filter((p) => p.srcPort === localPort || p.dstPort === localPort);
  const kept = ctx.keep(capture.file);
  const all = retransmissionsOf(packets, SENDER);
  // With a dropped segment, the retransmission that matters is that segment's: under load the
  // sender may also resend something else (a tail-loss probe, say), which must not stand in for it.
  const lostSeq = spec.receiverLoss ? packets.filter((p) => p.src === SENDER && p.len > 0)[LOST_SEGMENT - 1]?.seq : undefined;
  const ofLost = all.filter((r) => r.seq === lostSeq);
  const retransmissions = [...ofLost, ...all.filter((r) => r.seq !== lostSeq)];
  const firstRetransmit = retransmissions[0];
  const connectAt = packets[0]?.timeMs ?? 0;
  // Capture times start at the SYN; ss sample times at connect(): both are "ms since connect".
  const since = (ms: number) => Math.round(ms - connectAt);
  const retransmitted = retransmissions.map((r) => ({ atMs: since(r.atMs), seq: r.seq, originalAtMs: since(packets.find((p) => p.seq === r.seq && p.len > 0)?.timeMs ?? r.atMs) }));
  lossAtMs ??= retransmitted[0]?.originalAtMs;
  return {
    name: spec.name,
    algorithm: spec.algorithm,
    rounds: roundsOf(packets, SENDER),
    samples: sampling.samples,
    packets,
    duplicateAcksBeforeRetransmit: firstRetransmit ? duplicateAcksBefore(packets, RECEIVER, firstRetransmit) : 0,
    retransmissions: retransmitted,
    lossAtMs,
    impairment: impairments,
    pcap: kept,
  };
}

export default defineLab({
  id: 'tcp-congestion',
  title: 'TCP congestion control per algorithm: slow start, avoidance, fast retransmit, fast recovery, timeout',
  topic: 'tcp',
  claims: ['tcp.congestion.slow-start', 'tcp.congestion.avoidance', 'tcp.congestion.fast-retransmit', 'tcp.congestion.fast-recovery', 'tcp.retransmit.timeout'],
  requires: ['root', 'netns', 'iptables', 'nfqueue', 'tcpdump', 'tshark', 'ss'],
  timeLimitMs: 180_000,
  handout: {
    starts: 'A sender and a receiver namespace; the receiver\'s ACKs delayed 40 ms; tcpdump and ss sampling on the sender.',
    does: '2 MB transfers with reno, cubic and bbr: plain, with an initial ssthresh of 20, with the 300th segment dropped, and with every ACK dropped for 1.6 s.',
    observes: 'Segments per round trip, duplicate ACKs and retransmissions from tshark; cwnd, ssthresh, RTO and timers from ss.',
    zh: {
      title: '按算法看 TCP 拥塞控制：慢启动、拥塞避免、快速重传、快速恢复、超时',
      starts: '发送端和接收端两个命名空间；接收端的 ACK 延迟 40 ms；在发送端运行 tcpdump 并用 ss 采样。',
      does: '分别用 reno、cubic 和 bbr 传输 2 MB 数据：正常传输、初始 ssthresh 设为 20、丢弃第 300 个报文段、在 1.6 s 内丢弃所有 ACK。',
      observes: '从 tshark 得到的每个往返的报文段数、重复 ACK 和重传；从 ss 得到的 cwnd、ssthresh、RTO 和各定时器。',
    },
  },
  needs: {
    topology: {
      hosts: { sender: {}, receiver: {} },
      links: [{ a: ['sender', `${SENDER}/24`], b: ['receiver', `${RECEIVER}/24`], offload: false, impair: { b: { delayMs: RTT_MS } } }],
    },
  },
  async run(ctx) {
    const net = ctx.hosts;
    ctx.environment.tshark = await toolVersion('tshark');
    await recordSysctls(ctx.environment, ['net.ipv4.tcp_congestion_control', 'net.ipv4.tcp_available_congestion_control', 'net.ipv4.tcp_sack', 'net.ipv4.tcp_recovery', 'net.ipv4.tcp_reordering'], net.sender!.netns, ' (namespace default)');
    ctx.environment.impairment = net.receiver!.impairments.map((i) => i.description).join('; ');
    const defaultAlgorithm = ctx.environment['sysctl net.ipv4.tcp_congestion_control (namespace default)'] ?? 'cubic';
    const lossAlgorithms = [...new Set(['reno', 'cubic', 'bbr', defaultAlgorithm])];

    const dropData = { lossIn: { nth: { every: 1_000_000, packet: LOST_SEGMENT - 1 } }, match: ['-p', 'tcp', '--dport', String(PORT), '-m', 'length', '--length', '1000:65535'] };
    const slowStart = [];
    for (const algorithm of ['reno', 'cubic']) slowStart.push(await runTrial(ctx, net, { name: `slow start, ${algorithm}`, algorithm }));
    const avoidance = [];
    for (const algorithm of ['reno', 'cubic']) avoidance.push(await runTrial(ctx, net, { name: `avoidance, ${algorithm}`, algorithm, ssthresh: INITIAL_SSTHRESH }));
    const lossTrials = [];
    for (const algorithm of lossAlgorithms) lossTrials.push(await runTrial(ctx, net, { name: `one loss, ${algorithm}`, algorithm, ssthresh: INITIAL_SSTHRESH, receiverLoss: dropData }));
    const timeout = await runTrial(ctx, net, { name: 'timeout, reno', algorithm: 'reno', blackout: { afterBytes: 200_000, forMs: 1600 } });

    const kept = keptJson(ctx, 'trials.json', { slowStart, avoidance, lossTrials, timeout }, 'each trial: rounds, tcp_info samples, packets and retransmissions (JSON)');
    return [withEvidence(judgeSlowStart(slowStart), ...kept), judgeAvoidance(avoidance), judgeFastRetransmit(lossTrials), judgeFastRecovery(lossTrials), judgeTimeout(timeout)];
  },
});
