/** The terminal view: progress lines while labs run, then a verdict table. */
import type { RunEvent } from '../core/runner.ts';
import type { LabResult, Verdict } from '../core/types.ts';
import { handoutIn, statementOf, summaryIn, VERDICT_WORDS, WORDS, type Lang } from './lang.ts';

const color = (code: number) => (text: string) => (process.stderr.isTTY && !process.env.NO_COLOR ? `\x1b[${code}m${text}\x1b[0m` : text);
const green = color(32);
const red = color(31);
const yellow = color(33);
const cyan = color(36);
const dim = color(2);

const VERDICT_COLOR: Record<Verdict, (s: string) => string> = { confirmed: green, refuted: red, nuanced: yellow, unverifiable: cyan };
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function progressPrinter(write: (line: string) => void, lang: Lang = 'en'): (event: RunEvent) => void {
  return (event) => {
    if (event.type === 'start') write(`${cyan('▶')} ${event.lab.id} ${dim(handoutIn(event.lab, lang)?.title ?? event.lab.title)}`);
    if (event.type === 'step') write(`  ${dim(`[${seconds(event.elapsedMs).padStart(6)}]`)} ${event.lab.id}: ${event.message}`);
    if (event.type === 'end') {
      const { status, durationMs, reason } = event.result;
      const mark = status === 'passed' ? green('✔') : status === 'skipped' ? yellow('–') : red('✘');
      write(`${mark} ${event.lab.id} ${status} in ${seconds(durationMs)}${reason ? `: ${reason}` : ''}`);
    }
    if (event.type === 'retry') write(`${yellow('↻')} ${event.lab.id} again: ${event.claims.join(', ')} lacked evidence`);
    if (event.type === 'shared-cleanup') write(`${red('✘')} clean-up of run-scoped resources failed: ${event.errors.join('; ')}`);
  };
}

/**
 * The verdicts: per claim its lab, id and verdict, the claim as the sheet says it (in `lang`), and
 * below it what the lab observed.
 */
export function verdictTable(results: LabResult[], lang: Lang = 'en'): string {
  const words = WORDS[lang];
  const rows: { cells: string[]; verdict: string; says: string; observed: string }[] = [];
  for (const lab of results) {
    if (lab.claims.length === 0) rows.push({ cells: [lab.id, '-'], verdict: lab.status, says: lab.reason ?? '', observed: '' });
    for (const claim of lab.claims) rows.push({ cells: [lab.id, claim.id], verdict: claim.verdict, says: statementOf(claim)?.[lang] ?? '', observed: summaryIn(claim, lang) });
  }
  const label = (verdict: string) => (VERDICT_WORDS[lang] as Record<string, string>)[verdict] ?? verdict;
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r.cells[i]!.length), 5));
  const verdictWidth = Math.max(...rows.map((r) => displayWidth(label(r.verdict))), displayWidth(words.verdict));
  const indent = ' '.repeat(widths[0]! + widths[1]! + verdictWidth + 6);
  const lines = rows.map((r) => {
    const text = label(r.verdict);
    const padded = text + ' '.repeat(verdictWidth - displayWidth(text));
    const painted = (VERDICT_COLOR as Record<string, (s: string) => string>)[r.verdict]?.(padded) ?? red(padded);
    const first = `${r.cells[0]!.padEnd(widths[0]!)}  ${r.cells[1]!.padEnd(widths[1]!)}  ${painted}  ${r.says}`;
    return r.observed ? `${first}\n${indent}${dim('→')} ${r.observed}` : first;
  });
  const header = `${words.lab.padEnd(widths[0]! - displayWidth(words.lab) + words.lab.length)}  ${words.claim.padEnd(widths[1]! - displayWidth(words.claim) + words.claim.length)}  ${words.verdict + ' '.repeat(verdictWidth - displayWidth(words.verdict))}  ${words.says} / → ${words.observed}`;
  return [header, ...lines].join('\n');
}

/** With --repeat: per claim, the verdicts seen over the runs (each with how often), steady claims first and flips last. */
export function stabilityTable(repeats: { runs: number; verdicts: Record<string, Verdict[]> }, lang: Lang = 'en'): string {
  const label = (verdict: Verdict) => VERDICT_WORDS[lang][verdict];
  const rows = Object.entries(repeats.verdicts).map(([id, seen]) => {
    const counts = [...new Set(seen)].map((v) => `${label(v)} ×${seen.filter((x) => x === v).length}`).join(', ');
    return { id, counts, flipped: new Set(seen).size > 1 };
  });
  const width = Math.max(5, ...rows.map((r) => r.id.length));
  const steady = rows.filter((r) => !r.flipped);
  const flips = rows.filter((r) => r.flipped);
  const words = STABILITY[lang];
  return [
    words.heading(repeats.runs),
    ...steady.map((r) => `  ${r.id.padEnd(width)}  ${r.counts}`),
    ...flips.map((r) => `  ${r.id.padEnd(width)}  ${red(`${r.counts}  ${words.flip}`)}`),
    flips.length ? red(words.flips(flips.length)) : green(words.none),
  ].join('\n');
}

const STABILITY = {
  en: { heading: (n: number) => `verdicts over ${n} runs:`, flip: 'FLIPPED', flips: (n: number) => `${n} claim(s) flipped between runs`, none: 'no verdict flipped' },
  zh: { heading: (n: number) => `${n} 次运行中的结论：`, flip: '结论翻转', flips: (n: number) => `${n} 个论断在多次运行之间结论发生了翻转`, none: '没有结论发生翻转' },
} satisfies Record<Lang, unknown>;

/** Columns a string takes in a terminal: CJK characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return width;
}
