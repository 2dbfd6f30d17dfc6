/** Decodes a pcap file into typed TCP packets with tshark's field output (raw sequence numbers). */
import type { Packet } from '../core/types.ts';
import { exec, execOutcome } from '../resources/process.ts';
import { until } from '../resources/wait.ts';

export const TSHARK_FIELDS = [
  'frame.number',
  'frame.time_relative',
  'ip.src',
  'ip.dst',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.len',
  'tcp.window_size_value',
  'ip.len',
  'ip.hdr_len',
  'tcp.hdr_len',
  'tcp.option_kind',
] as const;

const FLAG_BITS: [number, string][] = [
  [0x02, 'SYN'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
  [0x10, 'ACK'],
  [0x20, 'URG'],
  [0x40, 'ECE'],
  [0x80, 'CWR'],
];

/** IANA TCP option kinds that Linux uses. */
const OPTION_NAMES: Record<string, string> = {
  '0': 'EOL',
  '1': 'NOP',
  '2': 'MSS',
  '3': 'WS',
  '4': 'SACK_PERM',
  '5': 'SACK',
  '8': 'TS',
  '30': 'MPTCP',
  '34': 'TFO',
};

export function flagNames(hex: string): string[] {
  const bits = Number.parseInt(hex, 16);
  if (Number.isNaN(bits)) throw new Error(`tshark: unreadable tcp.flags "${hex}"`);
  return FLAG_BITS.filter(([bit]) => bits & bit).map(([, name]) => name);
}

/** Parses `tshark -T fields` output (tab separated, `,` aggregator) for TSHARK_FIELDS. */
export function parseTsharkFields(output: string): Packet[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const f = line.split('\t');
      if (f.length < TSHARK_FIELDS.length - 1) throw new Error(`tshark: expected ${TSHARK_FIELDS.length} fields, got "${line}"`);
      const n = (i: number) => Number(f[i] || 0);
      return {
        frame: n(0),
        timeMs: Math.round(n(1) * 1e6) / 1e3,
        src: f[2]!,
        dst: f[3]!,
        srcPort: n(4),
        dstPort: n(5),
        flags: flagNames(f[6]!),
        seq: n(7),
        ack: n(8),
        len: n(9),
        window: n(10),
        ipTotalLength: n(11),
        ipHeaderLength: n(12),
        tcpHeaderLength: n(13),
        options: (f[14] ?? '').split(',').filter(Boolean).map((k) => OPTION_NAMES[k] ?? `kind-${k}`),
      };
    });
}

function fieldArgs(pcap: string, displayFilter: string, fields: readonly string[]): string[] {
  const args = ['-r', pcap, '-Y', displayFilter, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,'];
  for (const field of fields) args.push('-e', field);
  return args;
}

export async function decodeTcp(pcap: string, displayFilter = 'tcp'): Promise<Packet[]> {
  return parseTsharkFields(await exec('tshark', fieldArgs(pcap, displayFilter, TSHARK_FIELDS), { timeoutMs: 60_000 }));
}

/** The first of a field's occurrences (an ICMP error, say, repeats IP fields for the packet it quotes). */
export const firstValue = (value: string): string => value.split(',')[0] ?? '';

/** Splits tshark field output into one record per packet, keyed by field name; repeated fields are joined by ','. */
export function parseFieldRows(output: string, fields: readonly string[]): Record<string, string>[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const values = line.split('\t');
      return Object.fromEntries(fields.map((field, i) => [field, values[i] ?? '']));
    });
}

/**
 * Any tshark fields of the packets matching a display filter; `preferences` are tshark `-o`
 * settings, `decodeAs` its `-d` rules (e.g. `tcp.port==8080,http2` for cleartext HTTP/2).
 */
export async function readFields(pcap: string, displayFilter: string, fields: readonly string[], preferences: string[] = [], decodeAs: string[] = []): Promise<Record<string, string>[]> {
  const args = [...preferences.flatMap((p) => ['-o', p]), ...decodeAs.flatMap((d) => ['-d', d]), ...fieldArgs(pcap, displayFilter, fields)];
  return parseFieldRows(await exec('tshark', args, { timeoutMs: 60_000 }), fields);
}

/**
 * Waits until a capture still running holds `count` packets matching `displayFilter`, so a capture
 * is stopped on the event the lab waits for rather than after a delay. Returns how many it holds:
 * fewer than `count` when `timeoutMs` ran out (the judge then names what is missing).
 */
export async function waitForPackets(pcap: string, displayFilter: string, count: number, timeoutMs = 3000): Promise<number> {
  let seen = 0;
  const enough = async () => {
    // A file tcpdump is writing can end in a partial packet; tshark then reports an error after the whole ones.
    const listed = await execOutcome('tshark', ['-r', pcap, '-Y', displayFilter, '-T', 'fields', '-e', 'frame.number'], { timeoutMs: 10_000 });
    seen = listed.stdout.split('\n').filter(Boolean).length;
    return seen >= count;
  };
  await until(enough, timeoutMs, `${count} packets matching ${displayFilter}`, 100).catch(() => undefined);
  return seen;
}
