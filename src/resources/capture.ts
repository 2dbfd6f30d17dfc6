/** Packet capture with tcpdump into a pcap file; stopped (and flushed) with its scope. */
import { join } from 'node:path';
import { spawnLabelled } from './process.ts';
import type { Scope } from './scope.ts';

export interface Capture {
  readonly file: string;
  /** Stops tcpdump and waits until the pcap file is complete. */
  stop(): Promise<void>;
}

export async function startCapture(
  scope: Scope,
  runId: string,
  options: { dir: string; name: string; netns?: string; iface: string; filter: string; /** Bytes kept per packet (headers only when small). */ snaplen?: number },
): Promise<Capture> {
  const file = join(options.dir, `${options.name}.pcap`);
  const tcpdump = spawnLabelled(
    scope,
    runId,
    'tcpdump',
    ['-i', options.iface, '-n', '-U', '--immediate-mode', ...(options.snaplen ? ['-s', String(options.snaplen)] : []), '-w', file, options.filter],
    { netns: options.netns },
  );
  await tcpdump.waitForLine(/listening on/, 10_000);
  return { file, stop: () => tcpdump.stop('SIGINT') };
}
