/** An SVG of a path through the network: one box per hop, left to right. */
import { escapeXml as x } from './escape.ts';

const BOX = { w: 132, h: 46, gap: 34 };

export function pathDiagram(hops: { address: string; note: string }[]): string {
  const width = hops.length * (BOX.w + BOX.gap) - BOX.gap + 20;
  const boxes = hops.map((hop, i) => {
    const left = 10 + i * (BOX.w + BOX.gap);
    const arrow = i ? `<line x1="${left - BOX.gap + 2}" y1="33" x2="${left - 4}" y2="33" stroke="#555" stroke-width="2" marker-end="url(#hop)"/>` : '';
    return `${arrow}<rect x="${left}" y="10" width="${BOX.w}" height="${BOX.h}" rx="6" fill="#e3f2fd" stroke="#1565c0"/>
<text x="${left + BOX.w / 2}" y="29" text-anchor="middle" class="a">${x(hop.address)}</text><text x="${left + BOX.w / 2}" y="46" text-anchor="middle" class="n">${x(hop.note)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} 66" width="${width}" height="66" role="img">
<defs><marker id="hop" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>
<style>.a{font:bold 12px monospace;fill:#0d47a1}.n{font:11px sans-serif;fill:#555}</style>
${boxes.join('\n')}
</svg>`;
}
