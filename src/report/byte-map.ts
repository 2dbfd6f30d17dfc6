/**
 * The bytes of a structure (a record batch, a page) as a picture: 16 bytes a row in hex, each field
 * a run of cells in its own colour, its name and decoded value in the legend beside it.
 */
import { escapeXml as x } from './escape.ts';

export interface ByteField {
  name: string;
  offset: number;
  length: number;
  hex: string;
  value: string;
}

const PALETTE = ['#bbdefb', '#c8e6c9', '#ffe0b2', '#e1bee7', '#ffcdd2', '#b2ebf2', '#d7ccc8', '#cfd8dc', '#fff9c4', '#f8bbd0'];
const PER_ROW = 16;
const CELL_W = 26;
const CELL_H = 22;
const OFFSET_W = 44;
const LEGEND_X = OFFSET_W + PER_ROW * CELL_W + 16;

export function byteMap(fields: ByteField[]): string {
  const cells: string[] = [];
  const legend: string[] = [];
  const end = Math.max(0, ...fields.map((f) => f.offset + f.length));
  const rows = Math.ceil(end / PER_ROW);
  for (let r = 0; r < rows; r++) cells.push(`<text x="${OFFSET_W - 6}" y="${r * CELL_H + 15}" text-anchor="end" class="o">${(r * PER_ROW).toString(16).padStart(4, '0')}</text>`);
  fields.forEach((field, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const bytes = field.hex.replace(/\s+/g, '').match(/../g) ?? [];
    for (let b = 0; b < field.length; b++) {
      const at = field.offset + b;
      const cx = OFFSET_W + (at % PER_ROW) * CELL_W;
      const cy = Math.floor(at / PER_ROW) * CELL_H;
      cells.push(`<g><title>${x(field.name)}: ${x(field.value)}</title><rect x="${cx}" y="${cy}" width="${CELL_W - 1}" height="${CELL_H - 1}" fill="${colour}"/><text x="${cx + CELL_W / 2}" y="${cy + 15}" text-anchor="middle" class="b">${x(bytes[b] ?? '··')}</text></g>`);
    }
    legend.push(`<rect x="${LEGEND_X}" y="${i * CELL_H + 4}" width="14" height="14" fill="${colour}"/><text x="${LEGEND_X + 20}" y="${i * CELL_H + 16}" class="l">${x(`${field.offset}+${field.length}  ${field.name} = ${field.value.length > 48 ? `${field.value.slice(0, 45)}…` : field.value}`)}</text>`);
  });
  const width = LEGEND_X + 460;
  const height = Math.max(rows, fields.length) * CELL_H + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">
<style>.b{font:11px monospace;fill:#222}.o{font:11px monospace;fill:#888}.l{font:12px monospace;fill:#333}</style>
${cells.join('\n')}
${legend.join('\n')}
</svg>`;
}
