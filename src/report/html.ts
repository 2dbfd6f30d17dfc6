/** A self-contained HTML report (no external assets): verdicts, measured values and evidence. */
import type { ClaimResult, Evidence, LabResult, RanOn, RunReport, TimelineEvent } from '../core/types.ts';
import { escapeXml as x } from './escape.ts';
import { barChart, choiceStrip } from './bars.ts';
import { byteMap } from './byte-map.ts';
import { ganttChart } from './gantt-chart.ts';
import { lineChart } from './line-chart.ts';
import { pathDiagram } from './path-diagram.ts';
import { stackDiagram } from './stack-diagram.ts';
import { treeDiagram } from './tree-diagram.ts';
import { arrowDiagram, sequenceDiagram } from './sequence-diagram.ts';
import { timelineChart } from './timeline-chart.ts';
import { handoutIn, statementOf, summaryIn, VERDICT_WORDS, WORDS, type Lang } from './lang.ts';

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}.meta{color:#666}.lab{border:1px solid #ddd;border-radius:8px;padding:.6rem 1.2rem;margin:1rem 0}.lab>summary{list-style:none}.lab>summary h2{display:inline;font-size:1.15rem;color:#222}
dl.handout{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.4rem 0}dl.handout dt{color:#607d8b}dl.handout dd{margin:0}
#filters{position:sticky;top:0;background:#fff;padding:.5rem 0;border-bottom:1px solid #eee;z-index:1}#filters label{margin-right:.3rem}#f-search{width:16rem}
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
    case 'stacks':
      return `<h4>${x(item.title)}</h4>${stackDiagram(item.columns)}`;
    case 'messages':
      return `<h4>${x(item.title)}</h4>${arrowDiagram(
        item.parties,
        item.messages.map((m) => ({ atMs: m.atMs, from: m.from, label: m.label, colour: m.from === 0 ? '#1565c0' : '#2e7d32', tip: m.detail ?? m.label })),
      )}`;
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
  const searchable = [result.id, statement?.en, statement?.zh, result.summary, result.summaryZh].join(' ').toLowerCase();
  return `<div class="claim" id="${x(result.id)}" data-verdict="${result.verdict}" data-text="${x(searchable)}"><h3><span class="badge ${result.verdict}">${x(VERDICT_WORDS[lang][result.verdict])}</span> <code>${x(result.id)}</code></h3>
${statement ? `<blockquote class="says"><span class="label">${x(words.says)}</span> ${x(statement[lang])}<br><span class="section">${x(statement.section)}</span></blockquote>` : ''}
<p><span class="label">${x(words.observed)}</span> ${x(summaryIn(result, lang))}</p>
${result.evidence.map(evidence).join('\n')}
<details><summary>${x(words.measured)}</summary><pre>${x(JSON.stringify(result.observed, null, 2))}</pre></details></div>`;
}

function timeline(events: TimelineEvent[], lang: Lang): string {
  const rows = events.map((e) => {
    const what = 'process' in e ? `${e.process} ${e.f}${e.value === undefined ? '' : ` ${JSON.stringify(e.value)}`}${e.error ? ` (${e.error})` : ''}` : e.type === 'fault' ? `${e.fault} on ${e.targets.join(', ')}` : e.type === 'sample' ? `${e.name}: ${JSON.stringify(e.value)}` : e.text;
    return [e.atMs, e.type === 'fault' ? `fault ${e.phase}` : e.type, what];
  });
  return `<h3>${WORDS[lang].timeline}</h3>${timelineChart(events)}<details><summary>${events.length} ${WORDS[lang].events}</summary>${table(['ms', 'event', 'what'], rows)}</details>`;
}

/** A node and what it runs, as a column of the matrix names it. */
function placeOf(ranOn: RanOn): string {
  return [ranOn.node, ranOn.kernel, ranOn.os].filter(Boolean).join(' · ');
}

/**
 * With labs run as Kubernetes Jobs (one run, or several merged by `labs report`): each claim's
 * verdict on each node it ran on, side by side, so that a verdict that depends on its environment shows.
 */
function matrix(report: RunReport, lang: Lang): string {
  if (!report.labs.some((l) => l.ranOn)) return '';
  const words = WORDS[lang];
  const place = (l: LabResult) => (l.ranOn ? placeOf(l.ranOn) : words.runner);
  const places = [...new Set(report.labs.map(place))];
  const cells = new Map<string, Map<string, ClaimResult>>();
  for (const l of report.labs) for (const c of l.claims) (cells.get(c.id) ?? cells.set(c.id, new Map()).get(c.id)!).set(place(l), c);
  const rows = [...cells].map(
    ([id, byPlace]) =>
      `<tr><td><a href="#${x(id)}"><code>${x(id)}</code></a></td>${places.map((p) => {
        const c = byPlace.get(p);
        return `<td>${c ? `<span class="badge ${c.verdict}">${x(VERDICT_WORDS[lang][c.verdict])}</span>` : ''}</td>`;
      }).join('')}</tr>`,
  );
  return `<details open><summary>${x(words.matrix)}</summary><table><tr><th>${x(words.claim)}</th>${places.map((p) => `<th>${x(p)}</th>`).join('')}</tr>${rows.join('')}</table></details>`;
}

/** A lab as a section that opens on its own (all open when the report has one lab). */
function lab(result: LabResult, lang: Lang, open: boolean): string {
  const counts = (['confirmed', 'refuted', 'nuanced', 'unverifiable'] as const).map((v) => [v, result.claims.filter((c) => c.verdict === v).length] as const).filter(([, n]) => n);
  const handout = handoutIn(result, lang);
  const words = WORDS[lang];
  return `<details class="lab" id="lab-${x(result.id)}" data-topic="${x(result.topic)}"${open ? ' open' : ''}><summary><h2><span class="badge ${result.status}">${result.status}</span> ${x(handout?.title ?? result.title)} ${counts.map(([v, n]) => `<span class="badge ${v}">${n} ${x(VERDICT_WORDS[lang][v])}</span>`).join(' ')}</h2></summary>
<p class="meta"><code>${x(result.id)}</code> · ${x(result.topic)} · ${(result.durationMs / 1000).toFixed(1)} s${result.ranOn ? ` · ${x(words.ranOn)} ${x(placeOf(result.ranOn))}${result.ranOn.job ? ` (${x(words.job)} ${x(result.ranOn.job)})` : ''}` : ''}${result.reason ? ` · ${x(result.reason)}` : ''}</p>
${handout ? `<dl class="handout"><dt>${x(words.starts)}</dt><dd>${x(handout.starts)}</dd><dt>${x(words.does)}</dt><dd>${x(handout.does)}</dd><dt>${x(words.observes)}</dt><dd>${x(handout.observes)}</dd></dl>` : ''}
<details><summary>${x(WORDS[lang].environment)}</summary>${table(['what', 'value'], Object.entries(result.environment))}</details>
${result.timeline ? timeline(result.timeline, lang) : ''}
${result.retried ? `<details><summary>${result.retried.length} ${x(words.retried)}</summary>${table(['attempt', 'claim', 'what was missing'], result.retried.flatMap((a) => a.unverifiable.map((c) => [a.attempt, c.id, c.summary])))}</details>` : ''}
${result.claims.map((c) => claim(c, lang)).join('\n')}</details>`;
}

/** The contents: one row per lab, its status and verdict counts, linking to its section. */
function contents(report: RunReport, lang: Lang): string {
  const kinds = ['confirmed', 'refuted', 'nuanced', 'unverifiable'] as const;
  const words = WORDS[lang];
  const rows = report.labs.map((l) => {
    const counts = kinds.map((k) => l.claims.filter((c) => c.verdict === k).length);
    return `<tr data-lab="lab-${x(l.id)}"><td><a href="#lab-${x(l.id)}">${x(l.id)}</a></td><td><span class="badge ${l.status}">${l.status}</span></td>${counts.map((n) => `<td>${n || ''}</td>`).join('')}<td>${(l.durationMs / 1000).toFixed(1)} s</td></tr>`;
  });
  return `<table><tr><th>${x(words.lab)}</th><th>${x(words.status)}</th>${kinds.map((k) => `<th>${x(VERDICT_WORDS[lang][k])}</th>`).join('')}<th>${x(words.time)}</th></tr>${rows.join('')}</table>`;
}

/** Filters over the whole report: topic, verdicts, and a search through claim ids, texts and summaries. */
function filters(report: RunReport, lang: Lang): string {
  const words = WORDS[lang];
  const topics = [...new Set(report.labs.map((l) => l.topic))].sort();
  const verdicts = ['confirmed', 'refuted', 'nuanced', 'unverifiable'] as const;
  return `<div id="filters"><select id="f-topic"><option value="">${x(words.allTopics)}</option>${topics.map((t) => `<option value="${x(t)}">${x(t)}</option>`).join('')}</select>
${verdicts.map((v) => `<label><input type="checkbox" class="f-verdict" value="${v}" checked> <span class="badge ${v}">${x(VERDICT_WORDS[lang][v])}</span></label>`).join(' ')}
<input id="f-search" type="search" placeholder="${x(words.search)}"> <span id="f-count" class="meta"></span></div>`;
}

/** Inline (the report works offline): applies the filters; opens a lab when the index links to it. */
const SCRIPT = `(() => {
  const $ = (q) => document.querySelector(q), $$ = (q) => [...document.querySelectorAll(q)];
  const apply = () => {
    const topic = $('#f-topic').value, words = $('#f-search').value.trim().toLowerCase().split(/\\s+/).filter(Boolean);
    const verdicts = new Set($$('.f-verdict').filter((c) => c.checked).map((c) => c.value));
    let shown = 0;
    for (const lab of $$('.lab')) {
      let visible = 0;
      for (const claim of lab.querySelectorAll('.claim')) {
        const on = (!topic || lab.dataset.topic === topic) && verdicts.has(claim.dataset.verdict) && words.every((w) => claim.dataset.text.includes(w));
        claim.hidden = !on;
        visible += on ? 1 : 0;
      }
      const empty = lab.querySelectorAll('.claim').length === 0 && (!topic || lab.dataset.topic === topic) && !words.length;
      lab.hidden = !visible && !empty;
      const row = document.querySelector('tr[data-lab="' + lab.id + '"]');
      if (row) row.hidden = lab.hidden;
      shown += visible;
    }
    $('#f-count').textContent = shown + ' / ' + $$('.claim').length;
  };
  const openTarget = () => {
    const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    const lab = target && target.closest('.lab');
    if (lab) { lab.open = true; target.scrollIntoView(); }
  };
  $('#f-topic').addEventListener('change', apply);
  $('#f-search').addEventListener('input', apply);
  $$('.f-verdict').forEach((c) => c.addEventListener('change', apply));
  window.addEventListener('hashchange', openTarget);
  apply();
  openTarget();
})();`;

export function toHtml(report: RunReport): string {
  const lang = report.lang ?? 'en';
  const words = WORDS[lang];
  const verdicts = report.labs.flatMap((l) => l.claims.map((c) => c.verdict));
  const counts = (['confirmed', 'refuted', 'nuanced', 'unverifiable'] as const).map((v) => `<span class="badge ${v}">${verdicts.filter((x) => x === v).length} ${x(VERDICT_WORDS[lang][v])}</span>`);
  const many = report.labs.length > 1;
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${x(words.report)} ${x(report.runId)}</title><style>${STYLE}</style></head>
<body><h1>${x(words.report)}</h1><p class="meta">${x(words.run)} ${x(report.runId)} · ${x(words.started)} ${x(report.startedAt)} · ${report.labs.length} ${x(words.labs)}</p>
<p>${counts.join(' ')}</p>
${filters(report, lang)}
${many ? contents(report, lang) : ''}
${matrix(report, lang)}
${report.labs.map((l) => lab(l, lang, !many)).join('\n')}
<script>${SCRIPT}</script>
</body></html>
`;
}
