/** SVG bar charts of counts, and strips showing an ordered run of choices. */
import { escapeXml as x } from './escape.ts';

const PALETTE = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#c62828', '#00838f', '#5d4037', '#455a64'];

export function barChart(bars: { label: string; value: number }[]): string {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowHeight = 26;
  // Labels are 12px monospace, about 7.3px a character: room for the longest, within reason.
  const labelWidth = Math.min(360, Math.max(60, Math.ceil(Math.max(...bars.map((b) => [...b.label].length)) * 7.3)));
  const barsWidth = 440;
  const width = labelWidth + 8 + barsWidth + 80;
  const rows = bars.map((b, i) => {
    const w = Math.round((b.value / max) * barsWidth);
    return `<text x="${labelWidth}" y="${i * rowHeight + 18}" text-anchor="end" class="l">${x(b.label)}</text>
<rect x="${labelWidth + 8}" y="${i * rowHeight + 5}" width="${w}" height="17" fill="${PALETTE[i % PALETTE.length]}"/>
<text x="${labelWidth + 14 + w}" y="${i * rowHeight + 18}" class="v">${b.value}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${bars.length * rowHeight + 8}" width="${width}" height="${bars.length * rowHeight + 8}" role="img">
<style>.l{font:12px monospace;fill:#333}.v{font:12px sans-serif;fill:#555}</style>
${rows.join('\n')}
</svg>`;
}

export function choiceStrip(choices: string[]): string {
  const kinds = [...new Set(choices)].sort();
  const cell = 18;
  const perRow = 36;
  const rows = Math.ceil(choices.length / perRow);
  const cells = choices.map((choice, i) => {
    const colour = PALETTE[kinds.indexOf(choice) % PALETTE.length];
    return `<rect x="${(i % perRow) * cell}" y="${Math.floor(i / perRow) * cell}" width="${cell - 2}" height="${cell - 2}" fill="${colour}"><title>${i + 1}: ${x(choice)}</title></rect>`;
  });
  const legend = kinds.map((k, i) => `<tspan fill="${PALETTE[i % PALETTE.length]}">■ ${x(k)}</tspan>`).join('  ');
  const height = rows * cell + 22;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${perRow * cell} ${height}" width="${perRow * cell}" height="${height}" role="img">
<style>.k{font:12px monospace}</style>
${cells.join('\n')}
<text x="0" y="${height - 6}" class="k">${legend}</text>
</svg>`;
}
