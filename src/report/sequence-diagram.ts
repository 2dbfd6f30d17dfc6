/** SVG sequence diagrams: captured TCP packets, or any messages, between two named parties. */
import type { Packet } from '../core/types.ts';
import { escapeXml as x } from './escape.ts';

const ROW = 34;
const TOP = 40;
const WIDTH = 720;
const LANES = { left: 170, right: 610 };

/** Sequence numbers relative to each sender's first SYN (or first packet), as Wireshark shows them. */
function relativeTo(packets: Packet[]): (p: Packet) => { seq: number; ack: number } {
  const isn = new Map<string, number>();
  for (const p of packets) if (!isn.has(p.src)) isn.set(p.src, p.seq);
  const rel = (value: number, base: number | undefined) => (base === undefined ? value : (value - base + 2 ** 32) % 2 ** 32);
  return (p) => ({ seq: rel(p.seq, isn.get(p.src)), ack: p.flags.includes('ACK') ? rel(p.ack, isn.get(p.dst)) : 0 });
}

/** One arrow: when, from which lane, its label, its colour, and a tooltip. */
export interface Arrow {
  atMs: number;
  from: 0 | 1;
  label: string;
  colour: string;
  tip: string;
}

export function sequenceDiagram(packets: Packet[], endpoints: Record<string, string>): string {
  const names = Object.keys(endpoints);
  const rel = relativeTo(packets);
  const arrows = packets.map((p): Arrow => {
    const { seq, ack } = rel(p);
    return {
      atMs: p.timeMs,
      from: endpoints[names[0]!] === p.src ? 0 : 1,
      colour: p.flags.includes('SYN') ? '#1565c0' : p.flags.includes('FIN') ? '#c62828' : p.flags.includes('RST') ? '#6a1b9a' : p.len > 0 ? '#2e7d32' : '#555',
      label: `${p.flags.join('/')} seq=${seq}${p.flags.includes('ACK') ? ` ack=${ack}` : ''}${p.len ? ` len=${p.len}` : ''}`,
      tip: `frame ${p.frame}: ${p.src}:${p.srcPort} → ${p.dst}:${p.dstPort} raw seq=${p.seq} ack=${p.ack} win=${p.window} hdr=${p.tcpHeaderLength}B options=${p.options.join(',') || 'none'}`,
    };
  });
  return arrowDiagram(names.map((n) => `${n} ${endpoints[n] ?? ''}`) as [string, string], arrows);
}

/** Arrows between two lanes, one row each, with the time of each at the left. */
export function arrowDiagram(lanes: [string, string], arrows: Arrow[]): string {
  const height = TOP + arrows.length * ROW + 20;
  const t0 = arrows[0]?.atMs ?? 0;
  const at = [LANES.left, LANES.right];
  const rows = arrows.map((a, i) => {
    const y = TOP + i * ROW + 10;
    const from = at[a.from]!;
    const to = at[1 - a.from]!;
    return `<g><title>${x(a.tip)}</title>
  <text x="8" y="${y + 14}" class="t">${(a.atMs - t0).toFixed(3)} ms</text>
  <line x1="${from}" y1="${y}" x2="${to}" y2="${y + 14}" stroke="${a.colour}" stroke-width="2" marker-end="url(#arrow)"/>
  <text x="${(from + to) / 2}" y="${y - 2}" text-anchor="middle" class="l" fill="${a.colour}">${x(a.label)}</text></g>`;
  });
  const lane = (name: string, x0: number) =>
    `<text x="${x0}" y="18" text-anchor="middle" class="h">${x(name)}</text><line x1="${x0}" y1="26" x2="${x0}" y2="${height - 6}" stroke="#bbb" stroke-dasharray="4 3"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="seq" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>
<style>.t{font:11px monospace;fill:#777}.l{font:12px monospace}.h{font:bold 13px sans-serif}</style>
${lane(lanes[0], LANES.left)}${lane(lanes[1], LANES.right)}
${rows.join('\n')}
</svg>`;
}
