/** Writes the file reports a run asked for. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunReport } from '../core/types.ts';
import { toHtml } from './html.ts';
import { toJunit } from './junit.ts';

export function writeReports(report: RunReport, targets: { html?: string; junit?: string }): void {
  if (targets.junit) {
    mkdirSync(dirname(targets.junit), { recursive: true });
    writeFileSync(targets.junit, toJunit(report));
  }
  if (targets.html) {
    mkdirSync(targets.html, { recursive: true });
    writeFileSync(join(targets.html, 'index.html'), toHtml(report));
    writeFileSync(join(targets.html, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  }
}
