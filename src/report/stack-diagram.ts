/** An SVG of columns of stacked boxes, top to bottom, side by side (e.g. a process's memory map beside the sheet's drawing); marked boxes are the ones the other column lacks. */
import { escapeXml as x } from './escape.ts';

const BOX = { w: 300, h: 34, gap: 40, head: 24 };

export function stackDiagram(columns: { name: string; boxes: { label: string; note?: string; mark?: boolean }[] }[]): string {
  const rows = Math.max(...columns.map((c) => c.boxes.length), 1);
  const width = columns.length * (BOX.w + BOX.gap) - BOX.gap + 20;
  const height = BOX.head + rows * BOX.h + 20;
  const drawn = columns.map((column, i) => {
    const left = 10 + i * (BOX.w + BOX.gap);
    const boxes = column.boxes.map((box, j) => {
      const top = BOX.head + 10 + j * BOX.h;
      const fill = box.mark ? '#fff3e0' : '#e3f2fd';
      const stroke = box.mark ? '#e65100' : '#1565c0';
      return `<rect x="${left}" y="${top}" width="${BOX.w}" height="${BOX.h}" fill="${fill}" stroke="${stroke}"/>
<text x="${left + 8}" y="${top + 15}" class="l">${x(box.label)}</text>${box.note ? `<text x="${left + 8}" y="${top + 28}" class="n">${x(box.note)}</text>` : ''}`;
    });
    return `<text x="${left + BOX.w / 2}" y="${BOX.head}" text-anchor="middle" class="h">${x(column.name)}</text>\n${boxes.join('\n')}`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">
<style>.h{font:bold 13px sans-serif;fill:#333}.l{font:bold 12px sans-serif;fill:#0d47a1}.n{font:11px monospace;fill:#555}</style>
${drawn.join('\n')}
</svg>`;
}
