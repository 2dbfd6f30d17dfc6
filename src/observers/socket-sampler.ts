/** Samples the connection sockets (not listeners) on a port over time, keeping every sample as evidence. */
import type { SocketSample, SocketState } from '../core/types.ts';
import { sampleSockets } from './ss.ts';
import { sleep } from '../resources/cancel.ts';

const connectionsOn = (port: number) => (s: SocketState) =>
  s.state !== 'LISTEN' && (s.local.endsWith(`:${port}`) || s.peer.endsWith(`:${port}`));

export class SocketSampler {
  readonly samples: SocketSample[] = [];
  private readonly t0 = performance.now();

  private async read(netns: string, port: number): Promise<SocketState[]> {
    return (await sampleSockets(netns)).filter(connectionsOn(port));
  }

  private record(host: string, note: string, sockets: SocketState[]): void {
    this.samples.push({ atMs: Math.round(performance.now() - this.t0), host, note, sockets });
  }

  /** Takes one sample of the connections on `port` in `netns`, recorded under `host`. */
  async take(host: string, netns: string, port: number, note: string): Promise<SocketState[]> {
    const sockets = await this.read(netns, port);
    this.record(host, note, sockets);
    return sockets;
  }

  /** Samples until a connection on `port` passes `test`; records that sample as `note`. */
  async until(host: string, netns: string, port: number, note: string, test: (s: SocketState) => boolean, timeoutMs: number): Promise<SocketState> {
    const deadline = performance.now() + timeoutMs;
    let seen: SocketState[] = [];
    while (performance.now() < deadline) {
      seen = await this.read(netns, port);
      const match = seen.find(test);
      if (match) {
        this.record(host, note, seen);
        return match;
      }
      await sleep(10);
    }
    const states = seen.map((s) => `${s.state} Recv-Q=${s.recvQ}`).join(', ') || 'no connection';
    throw new Error(`${host}: "${note}" not seen on port ${port} within ${timeoutMs} ms (last: ${states})`);
  }

  /** Samples until a connection on `port` is in `state` (as ss names it, e.g. SYN-SENT). */
  untilState(host: string, netns: string, port: number, state: string, timeoutMs: number): Promise<SocketState> {
    return this.until(host, netns, port, `${state} reached`, (s) => s.state === state, timeoutMs);
  }
}
