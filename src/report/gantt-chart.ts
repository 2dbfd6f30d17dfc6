/**
 * Who held what when: one row per held thing (a partition), each span coloured by its holder (a
 * consumer), white where nobody held it, with vertical marks at moments such as a member joining.
 */
import { escapeXml as x } from './escape.ts';

const PALETTE = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#5d4037', '#c62828', '#455a64'];
const WIDTH = 900;
const ROW = 20;

export interface GanttRow {
  name: string;
  spans: { from: number; to: number; label: string }[];
}

export function ganttChart(rows: GanttRow[], marks: { at: number; label: string }[] = []): string {
  const times = [...rows.flatMap((r) => r.spans.flatMap((s) => [s.from, s.to])), ...marks.map((m) => m.at)];
  const start = Math.min(...times);
  const end = Math.max(start + 1, ...times);
  // Room for the longest row name in a 12 px monospace font.
  const GUTTER = Math.max(90, 12 + 7.3 * Math.max(...rows.map((r) => r.name.length)));
  const px = (ms: number) => GUTTER + ((ms - start) / (end - start)) * (WIDTH - GUTTER - 10);
  const holders = [...new Set(rows.flatMap((r) => r.spans.map((s) => s.label)))].sort();
  const colour = (label: string) => PALETTE[holders.indexOf(label) % PALETTE.length];
  const top = 8 + marks.length * 14;
  const axisY = top + rows.length * ROW + 14;
  const height = axisY + 20;
  const lines = rows.map((row, i) => {
    const y = top + i * ROW;
    const spans = row.spans.map((s) => `<rect x="${px(s.from)}" y="${y + 2}" width="${Math.max(1.5, px(s.to) - px(s.from))}" height="${ROW - 5}" fill="${colour(s.label)}"><title>${x(row.name)}: ${x(s.label)} ${s.from}-${s.to} ms</title></rect>`);
    return `<text x="${GUTTER - 6}" y="${y + 13}" text-anchor="end" class="l">${x(row.name)}</text>${spans.join('')}`;
  });
  const markLines = marks.map((m, i) => `<line x1="${px(m.at)}" x2="${px(m.at)}" y1="${top - 4}" y2="${top + rows.length * ROW}" stroke="#b71c1c" stroke-dasharray="3,2"/><text x="${px(m.at) + 3}" y="${8 + i * 14}" class="m">${x(m.label)}</text>`);
  const axis = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const ms = start + f * (end - start);
    return `<text x="${px(ms)}" y="${axisY}" text-anchor="middle" class="a">${((ms - start) / 1000).toFixed(1)} s</text>`;
  });
  const legend = holders.map((h) => `<tspan fill="${colour(h)}">■</tspan> ${x(h)}`).join('   ');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${WIDTH} ${height + 16}" width="${WIDTH}" height="${height + 16}" role="img" aria-label="gantt">
<style>.l{font:12px monospace;fill:#333}.a{font:11px sans-serif;fill:#666}.m{font:11px sans-serif;fill:#b71c1c}</style>
${lines.join('\n')}
${markLines.join('\n')}
${axis.join('')}
<text x="${GUTTER}" y="${height + 10}" class="a">${legend}   (white: held by nobody)</text>
</svg>`;
}
