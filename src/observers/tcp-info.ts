/**
 * Samples one connection's TCP state (cwnd, ssthresh, in-flight segments, peer window, RTO,
 * retransmissions, timer) from `ss -tanoi` in a loop, while an experiment runs.
 */
import type { SocketState } from '../core/types.ts';
import { sleep } from '../resources/cancel.ts';
import type { Scope } from '../resources/scope.ts';
import { sampleSockets } from './ss.ts';

export interface TcpInfoSample {
  atMs: number;
  state: string;
  cwnd: number;
  /** Absent until the kernel has set one (ss prints no ssthresh before the first reduction or route metric). */
  ssthresh?: number;
  unacked: number;
  mss: number;
  /** The peer's advertised window in bytes, as the sender sees it. */
  sndWnd: number;
  rtoMs: number;
  /** Smoothed round-trip time. */
  rttMs: number;
  retransmits: number;
  timer?: string;
}

/** Reads the numbers a congestion experiment needs from one parsed ss socket. */
export function tcpInfo(socket: SocketState, atMs: number): TcpInfoSample {
  const num = (key: string) => (socket.info[key] === undefined ? undefined : Number(socket.info[key]));
  return {
    atMs,
    state: socket.state,
    cwnd: num('cwnd') ?? 0,
    ssthresh: num('ssthresh'),
    unacked: num('unacked') ?? 0,
    mss: num('mss') ?? 0,
    sndWnd: num('snd_wnd') ?? 0,
    rtoMs: num('rto') ?? 0,
    rttMs: Number((socket.info.rtt ?? '0/0').split('/')[0]),
    retransmits: Number((socket.info.retrans ?? '0/0').split('/')[1] ?? 0),
    timer: socket.timer ? `${socket.timer.name} ${socket.timer.remainingMs} ms, ${socket.timer.retransmits} retransmits` : undefined,
  };
}

export interface TcpInfoSampling {
  readonly samples: TcpInfoSample[];
  stop(): Promise<TcpInfoSample[]>;
}

/**
 * Samples the connection whose local port is `localPort`, as often as ss allows (bounded by
 * `intervalMs`), as a background task of `scope`: it cannot outlive the lab.
 */
export function sampleTcpInfo(scope: Scope, netns: string, localPort: number, t0: number, intervalMs = 5): TcpInfoSampling {
  const samples: TcpInfoSample[] = [];
  const task = scope.background(`tcp_info sampler on :${localPort}`, async (signal) => {
    while (!signal.aborted) {
      const at = performance.now();
      const socket = (await sampleSockets(netns)).find((s) => s.local.endsWith(`:${localPort}`) && s.state !== 'LISTEN');
      if (socket) samples.push(tcpInfo(socket, Math.round(at - t0)));
      const rest = intervalMs - (performance.now() - at);
      if (rest > 0) await sleep(rest, signal).catch(() => undefined);
    }
  });
  return {
    samples,
    async stop() {
      await task.stop();
      return samples;
    },
  };
}
