/**
 * Lab: TCP flow control: a receiver that stops reading closes its window, and the sender's data in
 * flight never exceeds min(receive window, congestion window).
 *
 * Starts: a sender and a receiver namespace on one veth link with offloads off; the receiver's
 * ACKs delayed 40 ms (netem, or NFQUEUE without it) so that data in flight can be sampled;
 * tcpdump on the sender; ss sampling of the sender's socket.
 *
 * Does:
 *   - zero window: the receiver accepts but does not read (buffers capped by net.ipv4.tcp_rmem),
 *     the sender writes 100 kB; after 2 s the receiver starts reading;
 *   - receive-window bound: the receiver reads, but its buffer is capped so its window is a few
 *     segments, smaller than the initial congestion window of 10;
 *   - congestion-window bound: the receiver reads with Linux's default buffers, so early in slow
 *     start the congestion window is the smaller one.
 *
 * Observes: the window the receiver advertises in every ACK (tshark, scaled), the sender's segments
 * while the window is zero, and from ss the sender's cwnd, unacked segments, peer window and timer.
 */
import { defineLab, type LabContext } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence, Packet } from '../../src/core/types.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { recordSysctls } from '../../src/observers/environment.ts';
import { sampleTcpInfo, type TcpInfoSample } from '../../src/observers/tcp-info.ts';
import { decodeTcp, readFields } from '../../src/observers/tshark.ts';
import { startCapture } from '../../src/resources/capture.ts';
import { type Network } from '../../src/resources/netns.ts';
import { exec } from '../../src/resources/process.ts';
import { startSocketAgents } from '../../src/resources/socket-agent.ts';
import { sleep } from '../../src/resources/cancel.ts';

const SENDER = '198.18.60.1';
const RECEIVER = '198.18.60.2';
const PORT = 6100;
export const STALL_MS = 2000;
const SMALL_RMEM = '4096 4096 8192';

export interface FlowTrial {
  name: string;
  samples: TcpInfoSample[];
  packets: Packet[];
  /** The receiver's advertised window per ACK, scaled, with tshark's zero-window marks. */
  windows: { atMs: number; window: number; zeroWindow: boolean }[];
  /** When the receiver started reading, in ms since connect (zero-window trial only). */
  resumedAtMs?: number;
  bytesReceived: number;
  bytesSent: number;
}

export function judgeZeroWindow(trial: FlowTrial): ClaimResult {
  if (!trial.packets.length || !trial.windows.length) return notObserved('tcp.flow.window', { en: `The capture of the stalled transfer holds no ${trial.packets.length ? 'window advertised by the receiver' : 'packets'}.`, zh: `停止读取的那次传输的抓包中没有${trial.packets.length ? '接收端通告的窗口' : '任何报文'}。` });
  const firstZero = trial.windows.find((w) => w.zeroWindow || w.window === 0);
  const stalled = trial.packets.filter((p) => p.src === SENDER && firstZero && p.timeMs > firstZero.atMs && p.timeMs < (trial.resumedAtMs ?? Infinity));
  const dataWhileZero = stalled.filter((p) => p.len > 1);
  const probes = stalled.filter((p) => p.len <= 1);
  const gaps = probes.slice(1).map((p, i) => Math.round(p.timeMs - probes[i]!.timeMs));
  const persist = trial.samples.filter((s) => s.timer?.startsWith('persist'));
  const observed = {
    zeroWindowAtMs: firstZero ? Math.round(firstZero.atMs) : undefined,
    smallestWindowsBeforeZero: trial.windows.filter((w) => !firstZero || w.atMs <= firstZero.atMs).slice(-6).map((w) => w.window),
    dataSegmentsWhileZero: dataWhileZero.length,
    probesWhileZero: probes.length,
    probeGapsMs: gaps,
    senderTimerWhileZero: persist[0]?.timer,
    peerWindowSeenBySender: persist[0]?.sndWnd,
    bytesReceived: trial.bytesReceived,
    bytesSent: trial.bytesSent,
  };
  const evidence: Evidence[] = [
    { kind: 'series', title: 'Window advertised by the receiver (bytes) while it does not read, then reads', xLabel: 'ms since connect', yLabel: 'bytes', series: [{ name: 'advertised window', points: trial.windows.map((w) => [Math.round(w.atMs), w.window]) }], markers: [...(firstZero ? [{ x: Math.round(firstZero.atMs), label: 'zero window' }] : []), ...(trial.resumedAtMs ? [{ x: trial.resumedAtMs, label: 'receiver reads' }] : [])] },
    { kind: 'table', title: 'What the sender sent while the window was zero', columns: ['ms since connect', 'flags', 'seq', 'len'], rows: stalled.slice(0, 12).map((p) => [Math.round(p.timeMs), p.flags.join('/'), p.seq, p.len]) },
  ];
  const holds = !!firstZero && dataWhileZero.length === 0 && probes.length >= 2 && trial.bytesReceived === trial.bytesSent;
  return {
    id: 'tcp.flow.window',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The receiver's window shrank (${observed.smallestWindowsBeforeZero.join(', ')} bytes) to zero ${observed.zeroWindowAtMs} ms in; the sender then sent no data, only ${probes.length} window probes${gaps.length ? ` (${gaps.join(', ')} ms apart)` : ''}${persist.length ? `, paced by its persist timer (ss: ${persist[0]!.timer})` : ''}, and finished all ${trial.bytesReceived} bytes once the receiver read again.`
      : `The sender did not stop and probe: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `接收端的窗口不断缩小（${observed.smallestWindowsBeforeZero.join(', ')} 字节），在第 ${observed.zeroWindowAtMs} ms 降为零；此后发送端不再发送数据，只发出了 ${probes.length} 个窗口探测报文${gaps.length ? `（间隔 ${gaps.join(', ')} ms）` : ''}${persist.length ? `，由其坚持定时器控制节奏（ss：${persist[0]!.timer}）` : ''}；接收端重新开始读取后，全部 ${trial.bytesReceived} 字节传输完成。`
      : `发送端没有停止发送并进行窗口探测：${JSON.stringify(observed)}。`,
    observed,
    evidence,
  };
}

/** In-flight segments against each limit, per ss sample. */
function limits(samples: TcpInfoSample[]) {
  return samples
    .filter((s) => s.mss > 0 && s.unacked > 0)
    .map((s) => ({ atMs: s.atMs, unacked: s.unacked, cwnd: s.cwnd, rwndSegments: Math.ceil(s.sndWnd / s.mss), limit: Math.min(s.cwnd, Math.ceil(s.sndWnd / s.mss)) }));
}

export function judgeSendWindow(rwndBound: FlowTrial, cwndBound: FlowTrial): ClaimResult {
  const a = limits(rwndBound.samples);
  const b = limits(cwndBound.samples);
  const unsampled = [!a.length && rwndBound.name, !b.length && cwndBound.name].filter((n) => n !== false);
  if (unsampled.length) return notObserved('tcp.window.send-min', { en: `ss took no sample with data in flight during "${unsampled.join('" or "')}".`, zh: `在“${unsampled.join('”或“')}”期间，ss 没有采样到有在途数据的时刻。` });
  const over = [...a, ...b].filter((l) => l.unacked > l.limit + 1);
  // A window "binds" in a sample where it is the smaller one and the data in flight fills it.
  const rwndFull = a.filter((l) => l.rwndSegments < l.cwnd && l.unacked >= l.rwndSegments - 1);
  const cwndFull = b.filter((l) => l.cwnd < l.rwndSegments && l.unacked >= l.cwnd - 1);
  const [pa, pb] = [rwndFull.at(-1), cwndFull.at(-1)];
  const observed = {
    samples: a.length + b.length,
    samplesOverMin: over.length,
    samplesFillingTheReceiveWindow: rwndFull.length,
    samplesFillingCwnd: cwndFull.length,
    receiveWindowBound: pa && { unacked: pa.unacked, cwnd: pa.cwnd, receiveWindowSegments: pa.rwndSegments },
    congestionWindowBound: pb && { unacked: pb.unacked, cwnd: pb.cwnd, receiveWindowSegments: pb.rwndSegments },
  };
  const evidence: Evidence[] = [
    { kind: 'series', title: 'Receive window smaller than cwnd: in flight follows the receive window', xLabel: 'ms since connect', yLabel: 'segments', series: [{ name: 'in flight (unacked)', points: a.map((l) => [l.atMs, l.unacked]) }, { name: 'cwnd', points: a.map((l) => [l.atMs, l.cwnd]) }, { name: 'receive window', points: a.map((l) => [l.atMs, l.rwndSegments]) }] },
    { kind: 'series', title: 'cwnd smaller than the receive window: in flight follows cwnd', xLabel: 'ms since connect', yLabel: 'segments', series: [{ name: 'in flight (unacked)', points: b.map((l) => [l.atMs, l.unacked]) }, { name: 'cwnd', points: b.map((l) => [l.atMs, l.cwnd]) }, { name: 'receive window', points: b.map((l) => [l.atMs, Math.min(l.rwndSegments, 200)]) }] },
  ];
  if (!over.length && (!rwndFull.length || !cwndFull.length)) {
    const unseen = [!rwndFull.length && 'the receive window', !cwndFull.length && 'cwnd'].filter(Boolean).join(' and ');
    const unseenZh = [!rwndFull.length && '接收窗口', !cwndFull.length && 'cwnd'].filter(Boolean).join('和');
    return notObserved('tcp.window.send-min', { en: `In ${observed.samples} samples the data in flight never exceeded min(receive window, cwnd), but no sample caught it filling ${unseen} while that was the smaller window, so which window bound the sender was not seen.`, zh: `在 ${observed.samples} 个采样中，在途数据从未超过 min(接收窗口, cwnd)，但没有一个采样赶上它在${unseenZh}较小时把它填满，因此没有看到是哪个窗口限制了发送端。` }, observed);
  }
  const holds = over.length === 0;
  return {
    id: 'tcp.window.send-min',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `In ${observed.samples} samples the data in flight never exceeded min(receive window, cwnd); it filled the receive window when that was smaller (e.g. ${pa!.unacked} segments in flight, receive window ${pa!.rwndSegments}, cwnd ${pa!.cwnd}) and cwnd when that was smaller (e.g. ${pb!.unacked} in flight, cwnd ${pb!.cwnd}, receive window ${pb!.rwndSegments}).`
      : `In flight against the two windows: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `在 ${observed.samples} 个采样中，在途数据从未超过 min(接收窗口, cwnd)；接收窗口较小时，在途数据填满接收窗口（例如在途 ${pa!.unacked} 个报文段，接收窗口 ${pa!.rwndSegments}，cwnd ${pa!.cwnd}），cwnd 较小时则填满 cwnd（例如在途 ${pb!.unacked} 个，cwnd ${pb!.cwnd}，接收窗口 ${pb!.rwndSegments}）。`
      : `在途数据与两个窗口的对比：${JSON.stringify(observed)}。`,
    observed,
    evidence,
  };
}

async function transfer(ctx: LabContext, net: Network, name: string, options: { rmem?: string; bytes: number; stallMs?: number }): Promise<FlowTrial> {
  const scope = ctx.scope.child(name);
  try {
    ctx.step(name);
    const { sender, receiver } = net as Required<Network>;
    const rmem = options.rmem ?? ctx.environment['sysctl net.ipv4.tcp_rmem (receiver default)']!;
    await exec('sysctl', ['-q', '-w', `net.ipv4.tcp_rmem=${rmem}`], { netns: receiver!.netns });
    const capture = await startCapture(scope, ctx.runId, { dir: ctx.workDir, name: name.replace(/\W+/g, '-'), netns: sender!.netns, iface: 'eth0', filter: `tcp port ${PORT}`, snaplen: 128 });
    const [out, sink] = await startSocketAgents(scope, ctx.runId, sender!, receiver!);
    await sink.request('listen', { port: PORT, pauseOnConnect: options.stallMs !== undefined });
    const t0 = performance.now();
    await out.request('connect', { host: RECEIVER, port: PORT, conn: 'bulk' });
    const localPort = Number((await out.waitFor((e) => e.event === 'connected', 5000, 'connected')).localPort);
    const accepted = (await sink.waitFor((e) => e.event === 'accepted', 5000, 'accepted')).conn!;
    const sampling = sampleTcpInfo(scope, sender!.netns, localPort, t0);
    const writing = out.request('write', { conn: 'bulk', bytes: options.bytes });
    let resumedAtMs: number | undefined;
    if (options.stallMs !== undefined) {
      await sleep(options.stallMs);
      resumedAtMs = Math.round(performance.now() - t0);
      await sink.request('resume', { conn: accepted });
    }
    const received = () => sink.events.filter((e) => e.event === 'data').reduce((a, e) => a + (e.bytes ?? 0), 0);
    await writing;
    await sink.waitFor(() => received() >= options.bytes, 30_000, 'the whole transfer');
    await sampling.stop();
    await out.request('destroy', { conn: 'bulk' });
    await capture.stop();
    const packets = await decodeTcp(capture.file);
    const t = packets[0]?.timeMs ?? 0;
    const windows = (await readFields(capture.file, `ip.src == ${RECEIVER}`, ['frame.time_relative', 'tcp.window_size', 'tcp.analysis.zero_window'])).map((r) => ({
      atMs: Number(r['frame.time_relative']) * 1000 - t,
      window: Number(r['tcp.window_size']),
      zeroWindow: r['tcp.analysis.zero_window'] !== '',
    }));
    ctx.keep(capture.file);
    return { name, samples: sampling.samples, packets: packets.map((p) => ({ ...p, timeMs: p.timeMs - t })), windows, resumedAtMs, bytesReceived: received(), bytesSent: options.bytes };
  } finally {
    await scope.close();
  }
}

export default defineLab({
  id: 'tcp-flow-control',
  title: 'TCP flow control: the zero window, window probes, and the send window as min(rwnd, cwnd)',
  topic: 'tcp',
  claims: ['tcp.flow.window', 'tcp.window.send-min'],
  requires: ['root', 'netns', 'nfqueue', 'tcpdump', 'tshark', 'ss'],
  timeLimitMs: 90_000,
  handout: {
    starts: 'A sender and a receiver namespace; the receiver\'s ACKs delayed 40 ms; tcpdump and ss sampling on the sender.',
    does: 'A receiver that does not read for 2 s; a receiver whose window is smaller than cwnd; a receiver whose window is larger than cwnd.',
    observes: 'Advertised windows and zero-window marks from tshark; the sender\'s cwnd, unacked segments, peer window and persist timer from ss.',
    zh: {
      title: 'TCP 流量控制：零窗口、窗口探测，以及发送窗口 = min(rwnd, cwnd)',
      starts: '发送端和接收端两个命名空间；接收端的 ACK 延迟 40 ms；在发送端运行 tcpdump 并用 ss 采样。',
      does: '三种接收端：2 s 内不读取数据；接收窗口小于 cwnd；接收窗口大于 cwnd。',
      observes: '从 tshark 得到的通告窗口和零窗口标记；从 ss 得到的发送端 cwnd、未确认报文段、对端窗口和坚持定时器（persist timer）。',
    },
  },
  needs: {
    topology: {
      hosts: { sender: {}, receiver: {} },
      links: [{ a: ['sender', `${SENDER}/24`], b: ['receiver', `${RECEIVER}/24`], offload: false, impair: { b: { delayMs: 40 } } }],
    },
  },
  async run(ctx) {
    const net = ctx.hosts;
    await recordSysctls(ctx.environment, ['net.ipv4.tcp_rmem'], net.receiver!.netns, ' (receiver default)');
    ctx.environment.impairment = net.receiver!.impairments.map((i) => i.description).join('; ');
    const stalled = await transfer(ctx, net, 'receiver stops reading', { rmem: SMALL_RMEM, bytes: 100_000, stallMs: STALL_MS });
    const rwndBound = await transfer(ctx, net, 'receive window smaller than cwnd', { rmem: SMALL_RMEM, bytes: 100_000 });
    const cwndBound = await transfer(ctx, net, 'cwnd smaller than the receive window', { bytes: 300_000 });
    const kept = keptJson(ctx, 'trials.json', { stalled, rwndBound, cwndBound }, 'each transfer: packets, advertised windows and tcp_info samples (JSON)');
    return [withEvidence(judgeZeroWindow(stalled), ...kept), judgeSendWindow(rwndBound, cwndBound)];
  },
});
