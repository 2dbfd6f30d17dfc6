/** A self-contained HTML report (no external assets): verdicts, measured values and evidence. */
import type { ClaimResult, Evidence, LabResult, RunReport, TimelineEvent } from '../core/types.ts';
import { escapeXml as x } from './escape.ts';
import { barChart, choiceStrip } from './bars.ts';
import { byteMap } from './byte-map.ts';
import { ganttChart } from './gantt-chart.ts';
import { lineChart } from './line-chart.ts';
import { pathDiagram } from './path-diagram.ts';
import { treeDiagram } from './tree-diagram.ts';
import { sequenceDiagram } from './sequence-diagram.ts';
import { timelineChart } from './timeline-chart.ts';
import { statementOf, VERDICT_WORDS, WORDS, type Lang } from './lang.ts';

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}.meta{color:#666}.lab{border:1px solid #ddd;border-radius:8px;padding:1rem 1.2rem;margin:1.5rem 0}
.badge{display:inline-block;border-radius:4px;padding:0 .5rem;font-weight:600;color:#fff;font-size:.85rem}
.confirmed{background:#2e7d32}.refuted{background:#c62828}.nuanced{background:#ef6c00}.unverifiable{background:#546e7a}
.passed{background:#2e7d32}.error{background:#c62828}.skipped{background:#8d6e63}
.claim{border-top:1px solid #eee;padding:.8rem 0}.claim h3{margin:.2rem 0;font-size:1rem}.says{margin:.4rem 0;padding:.3rem .7rem;border-left:3px solid #90a4ae;background:#f5f7f8}.label{font-size:.8rem;color:#607d8b;margin-right:.3rem}.section{font-size:.8rem;color:#90a4ae}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.8rem}details{margin:.4rem 0}summary{cursor:pointer;color:#1565c0}
.seq,.chart{max-width:100%;height:auto;background:#fcfcfc;border:1px solid #eee}`;

function table(columns: string[], rows: unknown[][]): string {
  return `<table><tr>${columns.map((c) => `<th>${x(c)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map((v) => `<td>${x(v)}</td>`).join('')}</tr>`)
    .join('')}</table>`;
}

function evidence(item: Evidence): string {
  switch (item.kind) {
    case 'packets':
      return `<h4>${x(item.title)}</h4>${sequenceDiagram(item.packets, item.endpoints)}${item.pcap ? `<p><a href="${x(item.pcap)}">capture (pcap)</a></p>` : ''}<details><summary>${item.packets.length} packets</summary>${table(
        ['#', 'ms', 'from', 'to', 'flags', 'seq (raw)', 'ack (raw)', 'len', 'win', 'TCP hdr', 'options'],
        item.packets.map((p) => [p.frame, p.timeMs, `${p.src}:${p.srcPort}`, `${p.dst}:${p.dstPort}`, p.flags.join('/'), p.seq, p.ack, p.len, p.window, p.tcpHeaderLength, p.options.join(' ')]),
      )}</details>`;
    case 'socket-states':
      return `<h4>${x(item.title)}</h4>${table(
        ['ms', 'host', 'moment', 'state', 'local', 'peer', 'Recv-Q', 'timer'],
        item.samples.flatMap((s) =>
          (s.sockets.length ? s.sockets : [undefined]).map((k) => [
            s.atMs,
            s.host,
            s.note,
            k?.state ?? '(no socket)',
            k?.local ?? '',
            k?.peer ?? '',
            k?.recvQ ?? '',
            k?.timer ? `${k.timer.name} ${k.timer.remainingMs / 1000}s` : '',
          ]),
        ),
      )}`;
    case 'table':
      return `<h4>${x(item.title)}</h4>${table(item.columns, item.rows)}`;
    case 'series':
      return `<h4>${x(item.title)}</h4>${lineChart(item)}`;
    case 'bars':
      return `<h4>${x(item.title)}</h4>${barChart(item.bars)}`;
    case 'choices':
      return `<h4>${x(item.title)}</h4>${choiceStrip(item.choices)}`;
    case 'tree':
      return `<h4>${x(item.title)}</h4>${treeDiagram(item.levels)}`;
    case 'path':
      return `<h4>${x(item.title)}</h4>${pathDiagram(item.hops)}`;
    case 'bytes':
      return `<h4>${x(item.title)}</h4>${byteMap(item.fields)}`;
    case 'gantt':
      return `<h4>${x(item.title)}</h4>${ganttChart(item.rows, item.marks)}`;
    case 'file':
      return `<p><a href="${x(item.path)}">${x(item.title)}</a></p>`;
    case 'command':
      return `<h4>${x(item.title)}</h4><pre>$ ${x(item.command)}\n${x(item.output)}</pre>`;
  }
}

function claim(result: ClaimResult, lang: Lang): string {
  const statement = statementOf(result);
  const words = WORDS[lang];
  return `<div class="claim" id="${x(result.id)}"><h3><span class="badge ${result.verdict}">${x(VERDICT_WORDS[lang][result.verdict])}</span> <code>${x(result.id)}</code></h3>
${statement ? `<blockquote class="says"><span class="label">${x(words.says)}</span> ${x(statement[lang])}<br><span class="section">${x(statement.section)}</span></blockquote>` : ''}
<p><span class="label">${x(words.observed)}</span> ${x(result.summary)}</p>
<details><summary>${x(words.measured)}</summary><pre>${x(JSON.stringify(result.observed, null, 2))}</pre></details>
${result.evidence.map(evidence).join('\n')}</div>`;
}

function timeline(events: TimelineEvent[], lang: Lang): string {
  const rows = events.map((e) => {
    const what = 'process' in e ? `${e.process} ${e.f}${e.value === undefined ? '' : ` ${JSON.stringify(e.value)}`}${e.error ? ` (${e.error})` : ''}` : e.type === 'fault' ? `${e.fault} on ${e.targets.join(', ')}` : e.type === 'sample' ? `${e.name}: ${JSON.stringify(e.value)}` : e.text;
    return [e.atMs, e.type === 'fault' ? `fault ${e.phase}` : e.type, what];
  });
  return `<h3>${WORDS[lang].timeline}</h3>${timelineChart(events)}<details><summary>${events.length} ${WORDS[lang].events}</summary>${table(['ms', 'event', 'what'], rows)}</details>`;
}

function lab(result: LabResult, lang: Lang): string {
  return `<section class="lab" id="lab-${x(result.id)}"><h2><span class="badge ${result.status}">${result.status}</span> ${x(result.title)}</h2>
<p class="meta"><code>${x(result.id)}</code> · ${x(result.topic)} · ${(result.durationMs / 1000).toFixed(1)} s${result.reason ? ` · ${x(result.reason)}` : ''}</p>
<details><summary>${x(WORDS[lang].environment)}</summary>${table(['what', 'value'], Object.entries(result.environment))}</details>
${result.timeline ? timeline(result.timeline, lang) : ''}
${result.claims.map((c) => claim(c, lang)).join('\n')}</section>`;
}

/** The contents: one row per lab, its status and verdict counts, linking to its section. */
function contents(report: RunReport, lang: Lang): string {
  const kinds = ['confirmed', 'refuted', 'nuanced', 'unverifiable'] as const;
  const words = WORDS[lang];
  const rows = report.labs.map((l) => {
    const counts = kinds.map((k) => l.claims.filter((c) => c.verdict === k).length);
    return `<tr><td><a href="#lab-${x(l.id)}">${x(l.id)}</a></td><td><span class="badge ${l.status}">${l.status}</span></td>${counts.map((n) => `<td>${n || ''}</td>`).join('')}<td>${(l.durationMs / 1000).toFixed(1)} s</td></tr>`;
  });
  return `<table><tr><th>${x(words.lab)}</th><th>${x(words.status)}</th>${kinds.map((k) => `<th>${x(VERDICT_WORDS[lang][k])}</th>`).join('')}<th>${x(words.time)}</th></tr>${rows.join('')}</table>`;
}

export function toHtml(report: RunReport): string {
  const lang = report.lang ?? 'en';
  const words = WORDS[lang];
  const verdicts = report.labs.flatMap((l) => l.claims.map((c) => c.verdict));
  const counts = (['confirmed', 'refuted', 'nuanced', 'unverifiable'] as const).map((v) => `<span class="badge ${v}">${verdicts.filter((x) => x === v).length} ${x(VERDICT_WORDS[lang][v])}</span>`);
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${x(words.report)} ${x(report.runId)}</title><style>${STYLE}</style></head>
<body><h1>${x(words.report)}</h1><p class="meta">${x(words.run)} ${x(report.runId)} · ${x(words.started)} ${x(report.startedAt)} · ${report.labs.length} ${x(words.labs)}</p>
<p>${counts.join(' ')}</p>
${report.labs.length > 1 ? contents(report, lang) : ''}
${report.labs.map((l) => lab(l, lang)).join('\n')}
</body></html>
`;
}
