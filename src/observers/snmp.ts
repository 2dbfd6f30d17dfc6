/** Reads the kernel's protocol counters (/proc/net/snmp and /proc/net/snmp6) inside a namespace. */
import { exec } from '../resources/process.ts';

/** /proc/net/snmp pairs a header line and a value line per protocol: "Udp: InDatagrams …" / "Udp: 12 …". */
export function parseSnmp(text: string): Record<string, number> {
  const counters: Record<string, number> = {};
  const lines = text.trim().split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [proto, ...names] = lines[i]!.split(/\s+/);
    const [, ...values] = lines[i + 1]!.split(/\s+/);
    names.forEach((name, j) => (counters[`${proto!.replace(':', '')}.${name}`] = Number(values[j])));
  }
  return counters;
}

/** /proc/net/snmp6 has one "Name value" pair a line. */
export function parseSnmp6(text: string): Record<string, number> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .map(([name, value]) => [name!, Number(value)]),
  );
}

export async function readCounters(netns: string): Promise<Record<string, number>> {
  const [v4, v6] = await Promise.all([exec('cat', ['/proc/net/snmp'], { netns }), exec('cat', ['/proc/net/snmp6'], { netns })]);
  return { ...parseSnmp(v4), ...parseSnmp6(v6) };
}

/** What changed between two readings, for the counters named. */
export function counterDelta(before: Record<string, number>, after: Record<string, number>, names: string[]): Record<string, number> {
  return Object.fromEntries(names.map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)]));
}
