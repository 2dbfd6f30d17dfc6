/** An SVG of a tree level by level: boxes per node, root on top, with a count of nodes not drawn. */
import { escapeXml as x } from './escape.ts';

const BOX = { w: 112, h: 34, gap: 10, row: 70 };

export function treeDiagram(levels: { nodes: string[]; omitted: number }[]): string {
  const widest = Math.max(...levels.map((l) => l.nodes.length + (l.omitted ? 1 : 0)));
  const width = widest * (BOX.w + BOX.gap) + 20;
  const centres: number[][] = [];
  const rows = levels.map((level, depth) => {
    const cells = level.nodes.length + (level.omitted ? 1 : 0);
    const left = (width - cells * (BOX.w + BOX.gap)) / 2;
    const y = 10 + depth * BOX.row;
    centres[depth] = level.nodes.map((_, i) => left + i * (BOX.w + BOX.gap) + BOX.w / 2);
    const boxes = level.nodes.map((label, i) => {
      const [head, tail] = label.split(': ');
      const bx = left + i * (BOX.w + BOX.gap);
      return `<rect x="${bx}" y="${y}" width="${BOX.w}" height="${BOX.h}" rx="4" fill="${depth === levels.length - 1 ? '#e8f5e9' : '#e3f2fd'}" stroke="#607d8b"/><text x="${bx + BOX.w / 2}" y="${y + 14}" text-anchor="middle" class="h">${x(head ?? '')}</text><text x="${bx + BOX.w / 2}" y="${y + 28}" text-anchor="middle" class="k">${x(tail ?? '')}</text>`;
    });
    const more = level.omitted ? `<text x="${left + level.nodes.length * (BOX.w + BOX.gap) + 8}" y="${y + 22}" class="k">… ${level.omitted} more</text>` : '';
    return boxes.join('') + more;
  });
  const edges = centres.slice(1).flatMap((row, depth) =>
    row.map((cx) => {
      const parent = centres[depth]!;
      const px = parent.reduce((best, c) => (Math.abs(c - cx) < Math.abs(best - cx) ? c : best), parent[0] ?? cx);
      const y1 = 10 + depth * BOX.row + BOX.h;
      return `<line x1="${px}" y1="${y1}" x2="${cx}" y2="${y1 + BOX.row - BOX.h}" stroke="#b0bec5"/>`;
    }),
  );
  const height = levels.length * BOX.row;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">
<style>.h{font:bold 11px monospace;fill:#263238}.k{font:10px monospace;fill:#455a64}</style>
${edges.join('')}${rows.join('\n')}
</svg>`;
}
