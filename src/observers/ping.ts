/** The round trip ping measures: its summary line "rtt min/avg/max/mdev = a/b/c/d ms". */
import { exec } from '../resources/process.ts';

export interface RoundTrip {
  minMs: number;
  avgMs: number;
  maxMs: number;
  count: number;
}

export function parsePingSummary(output: string): RoundTrip {
  const m = /rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(output);
  const count = Number(/(\d+) received/.exec(output)?.[1] ?? 0);
  if (!m || count === 0) throw new Error(`ping measured no round trip: ${output.trim().split('\n').pop()}`);
  return { minMs: Number(m[1]), avgMs: Number(m[2]), maxMs: Number(m[3]), count };
}

/** Pings `address` from a namespace a few times. */
export async function measureRoundTrip(netns: string, address: string, count = 5): Promise<RoundTrip> {
  return parsePingSummary(await exec('ping', ['-n', '-c', String(count), '-i', '0.2', address], { netns, timeoutMs: 30_000 }));
}
