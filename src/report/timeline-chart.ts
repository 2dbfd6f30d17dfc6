/**
 * The lab's timeline as a picture, after Jepsen's: one row per process with each operation drawn
 * from its invoke to its completion (ok green, fail red, info orange), faults as shaded bands
 * across every row, samples and notes as ticks on a row of their own.
 */
import type { TimelineEvent } from '../core/types.ts';
import { escapeXml as x } from './escape.ts';

const OUTCOME_COLOUR = { ok: '#2e7d32', fail: '#c62828', info: '#ef6c00' } as const;
const WIDTH = 900;
const GUTTER = 120;
const ROW = 22;

interface Span {
  from: number;
  to: number;
  label: string;
}

type Op = Extract<TimelineEvent, { process: string }>;

/** Operations per process, each an invoke paired with the completion that follows it. */
export function operations(events: TimelineEvent[]): Map<string, (Span & { outcome: keyof typeof OUTCOME_COLOUR | 'open' })[]> {
  const rows = new Map<string, (Span & { outcome: keyof typeof OUTCOME_COLOUR | 'open' })[]>();
  const open = new Map<string, Op>();
  for (const event of events) {
    if (!('process' in event)) continue;
    const row = rows.get(event.process) ?? [];
    rows.set(event.process, row);
    if (event.type === 'invoke') {
      open.set(event.process, event);
      continue;
    }
    const invoke = open.get(event.process);
    open.delete(event.process);
    const value = event.value === undefined ? '' : ` ${JSON.stringify(event.value)}`;
    row.push({ from: invoke?.atMs ?? event.atMs, to: event.atMs, outcome: event.type, label: `${event.f}${value}: ${event.type}${event.error ? ` (${event.error})` : ''}` });
  }
  for (const [process, invoke] of open) rows.get(process)!.push({ from: invoke.atMs, to: Number.NaN, outcome: 'open', label: `${invoke.f}: no outcome` });
  return rows;
}

/** Faults as spans from start to end (an unended fault runs to the end of the timeline). */
export function faultSpans(events: TimelineEvent[], endMs: number): Span[] {
  const spans: Span[] = [];
  const started = new Map<string, number[]>();
  for (const event of events) {
    if (event.type !== 'fault') continue;
    if (event.phase === 'start') started.set(event.fault, [...(started.get(event.fault) ?? []), event.atMs]);
    else {
      const from = started.get(event.fault)?.shift();
      if (from !== undefined) spans.push({ from, to: event.atMs, label: event.fault });
    }
  }
  for (const [label, froms] of started) for (const from of froms) spans.push({ from, to: endMs, label });
  return spans.sort((a, b) => a.from - b.from);
}

export function timelineChart(events: TimelineEvent[]): string {
  const startMs = Math.min(...events.map((e) => e.atMs));
  const endMs = Math.max(startMs + 1, ...events.map((e) => e.atMs));
  const ops = operations(events);
  const ticks = events.filter((e) => e.type === 'sample' || e.type === 'note');
  const rows = [...ops.keys(), ...(ticks.length ? ['samples'] : [])];
  const faults = faultSpans(events, endMs);
  const top = faults.length ? 20 : 6;
  const axisY = top + rows.length * ROW + 14;
  const height = axisY + 22 + faults.length * 16;
  const px = (ms: number) => GUTTER + ((ms - startMs) / (endMs - startMs)) * (WIDTH - GUTTER - 10);
  // Faults are numbered on their bands and named in full below the chart, where long names fit.
  const bands = faults.map((f, i) => {
    const w = Math.max(2, px(f.to) - px(f.from));
    return `<rect x="${px(f.from)}" y="${top - 4}" width="${w}" height="${rows.length * ROW + 4}" fill="#c62828" fill-opacity="0.12"><title>${x(f.label)}: ${f.from}-${f.to} ms</title></rect>
<text x="${px(f.from) + 2}" y="${top - 7}" class="f">${i + 1}</text>`;
  });
  const names = faults.map((f, i) => `<text x="${GUTTER}" y="${axisY + 34 + i * 16}" class="f">${i + 1}: ${x(f.label)} (${f.from}-${f.to} ms)</text>`);
  const lines = rows.map((name, i) => {
    const y = top + i * ROW;
    const label = `<text x="${GUTTER - 6}" y="${y + 14}" text-anchor="end" class="l">${x(name)}</text><line x1="${GUTTER}" x2="${WIDTH - 10}" y1="${y + ROW - 2}" y2="${y + ROW - 2}" stroke="#eee"/>`;
    if (name === 'samples' && !ops.has('samples')) {
      return label + ticks.map((t) => `<rect x="${px(t.atMs) - 1}" y="${y + 3}" width="3" height="14" fill="#1565c0"><title>${t.atMs} ms ${x(t.type === 'note' ? t.text : `${t.name}: ${JSON.stringify(t.value)}`)}</title></rect>`).join('');
    }
    return label + ops.get(name)!.map((op) => {
      const to = Number.isNaN(op.to) ? endMs : op.to;
      const colour = op.outcome === 'open' ? '#9e9e9e' : OUTCOME_COLOUR[op.outcome];
      return `<rect x="${px(op.from)}" y="${y + 3}" width="${Math.max(2, px(to) - px(op.from))}" height="14" fill="${colour}"><title>${op.from}-${Number.isNaN(op.to) ? '…' : op.to} ms ${x(op.label)}</title></rect>`;
    }).join('');
  });
  const axis = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const ms = startMs + f * (endMs - startMs);
    return `<text x="${px(ms)}" y="${axisY}" text-anchor="middle" class="a">${(ms / 1000).toFixed(endMs - startMs < 5000 ? 2 : 1)} s</text>`;
  });
  const legend = `<text x="${GUTTER}" y="${axisY + 17}" class="a"><tspan fill="${OUTCOME_COLOUR.ok}">■</tspan> ok  <tspan fill="${OUTCOME_COLOUR.fail}">■</tspan> fail  <tspan fill="${OUTCOME_COLOUR.info}">■</tspan> info (outcome unknown)${faults.length ? '  <tspan fill="#c62828" fill-opacity="0.3">■</tspan> fault' : ''}${ticks.length ? '  <tspan fill="#1565c0">■</tspan> sample' : ''}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="timeline">
<style>.l{font:12px monospace;fill:#333}.a{font:11px sans-serif;fill:#666}.f{font:11px sans-serif;fill:#b71c1c}</style>
${bands.join('\n')}
${lines.join('\n')}
${axis.join('')}
${legend}
${names.join('\n')}
</svg>`;
}
