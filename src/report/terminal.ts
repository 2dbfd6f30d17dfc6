/** The terminal view: progress lines while labs run, then a verdict table. */
import type { RunEvent } from '../core/runner.ts';
import type { LabResult, Verdict } from '../core/types.ts';

const color = (code: number) => (text: string) => (process.stderr.isTTY && !process.env.NO_COLOR ? `\x1b[${code}m${text}\x1b[0m` : text);
const green = color(32);
const red = color(31);
const yellow = color(33);
const cyan = color(36);
const dim = color(2);

const VERDICT_COLOR: Record<Verdict, (s: string) => string> = { confirmed: green, refuted: red, nuanced: yellow, unverifiable: cyan };
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function progressPrinter(write: (line: string) => void): (event: RunEvent) => void {
  return (event) => {
    if (event.type === 'start') write(`${cyan('▶')} ${event.lab.id} ${dim(event.lab.title)}`);
    if (event.type === 'step') write(`  ${dim(`[${seconds(event.elapsedMs).padStart(6)}]`)} ${event.lab.id}: ${event.message}`);
    if (event.type === 'end') {
      const { status, durationMs, reason } = event.result;
      const mark = status === 'passed' ? green('✔') : status === 'skipped' ? yellow('–') : red('✘');
      write(`${mark} ${event.lab.id} ${status} in ${seconds(durationMs)}${reason ? `: ${reason}` : ''}`);
    }
    if (event.type === 'shared-cleanup') write(`${red('✘')} clean-up of run-scoped resources failed: ${event.errors.join('; ')}`);
  };
}

export function verdictTable(results: LabResult[]): string {
  const rows: string[][] = [];
  for (const lab of results) {
    if (lab.claims.length === 0) rows.push([lab.id, '-', lab.status, lab.reason ?? '']);
    for (const claim of lab.claims) rows.push([lab.id, claim.id, claim.verdict, claim.summary]);
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 5));
  const lines = rows.map((r) => {
    const verdict = r[2]!.padEnd(widths[2]!);
    const painted = (VERDICT_COLOR as Record<string, (s: string) => string>)[r[2]!]?.(verdict) ?? red(verdict);
    return `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${painted}  ${r[3]}`;
  });
  const header = `${'lab'.padEnd(widths[0]!)}  ${'claim'.padEnd(widths[1]!)}  ${'verdict'.padEnd(widths[2]!)}  summary`;
  return [header, ...lines].join('\n');
}
