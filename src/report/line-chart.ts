/** An SVG line chart of one or more series, with vertical markers (e.g. where a loss happened). */
import { escapeXml as x } from './escape.ts';

const W = 720;
const H = 300;
const M = { left: 56, right: 16, top: 16, bottom: 40 };
const COLOURS = ['#1565c0', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a'];

function ticks(max: number): number[] {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
}

export function lineChart(chart: { xLabel: string; yLabel: string; series: { name: string; points: [number, number][] }[]; markers?: { x: number; label: string }[] }): string {
  const all = chart.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]), ...(chart.markers ?? []).map((m) => m.x));
  const yMax = Math.max(1, ...all.map((p) => p[1])) * 1.1;
  const px = (v: number) => M.left + (v / xMax) * (W - M.left - M.right);
  const py = (v: number) => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const grid = [
    ...ticks(yMax).map((t) => `<line x1="${M.left}" x2="${W - M.right}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/><text x="${M.left - 6}" y="${py(t) + 4}" text-anchor="end" class="a">${t}</text>`),
    ...ticks(xMax).map((t) => `<text x="${px(t)}" y="${H - M.bottom + 16}" text-anchor="middle" class="a">${t}</text>`),
  ];
  const lines = chart.series.map((s, i) => {
    const path = s.points.map((p, j) => `${j ? 'L' : 'M'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join('');
    return `<path d="${path}" fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2"/>`;
  });
  const markers = (chart.markers ?? []).map(
    (m) => `<line x1="${px(m.x)}" x2="${px(m.x)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#c62828" stroke-dasharray="5 3"/><text x="${px(m.x) + 4}" y="${M.top + 12}" class="m">${x(m.label)}</text>`,
  );
  const legend = chart.series.map((s, i) => `<tspan fill="${COLOURS[i % COLOURS.length]}">■ ${x(s.name)}</tspan>`).join('  ');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${H + 18}" width="${W}" height="${H + 18}" role="img">
<style>.a{font:11px sans-serif;fill:#666}.m{font:11px sans-serif;fill:#c62828}.t{font:12px sans-serif;fill:#333}</style>
${grid.join('')}
<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#999"/><line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#999"/>
${lines.join('\n')}${markers.join('')}
<text x="${(W + M.left) / 2}" y="${H - 6}" text-anchor="middle" class="t">${x(chart.xLabel)}</text>
<text x="14" y="${(H - M.bottom) / 2}" transform="rotate(-90 14 ${(H - M.bottom) / 2})" text-anchor="middle" class="t">${x(chart.yLabel)}</text>
<text x="${M.left}" y="${H + 14}" class="t">${legend}</text>
</svg>`;
}
