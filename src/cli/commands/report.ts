/**
 * `labs report`: render the HTML and JUnit reports of earlier `--json` runs. Several runs (the same
 * catalog on several clusters, or a room's learners) make one report, each lab once per run, with
 * the matrix of each claim across the nodes they ran on.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../../core/registry.ts';
import type { RunReport } from '../../core/types.ts';
import { resolveLang } from '../../report/lang.ts';
import { writeReports } from '../../report/write.ts';
import type { Flags } from '../flags.ts';

function readResults(file: string): RunReport {
  let parsed: RunReport;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as RunReport;
  } catch (error) {
    throw new UsageError(`cannot read results ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(parsed?.labs)) throw new UsageError(`malformed results ${file}: no "labs" array`);
  return parsed;
}

/** One report of several runs: their labs in the order given, under the run ids joined. */
export function mergeRuns(runs: RunReport[]): RunReport {
  if (runs.length === 1) return runs[0]!;
  return { runId: runs.map((r) => r.runId).join('+'), startedAt: runs.map((r) => r.startedAt).sort()[0]!, ...(runs[0]!.lang ? { lang: runs[0]!.lang } : {}), labs: runs.flatMap((r) => r.labs) };
}

export async function report(args: string[], flags: Flags): Promise<number> {
  if (!args.length || (!flags.report && !flags.junit)) throw new UsageError('usage: labs report <results.json...> --report DIR | --junit FILE');
  const merged = mergeRuns(args.map(readResults));
  if (flags.lang !== undefined || !merged.lang) merged.lang = resolveLang(flags.lang);
  writeReports(merged, { html: flags.report, junit: flags.junit });
  // Kept captures and files sit beside the results they belong to; the new report links to them.
  for (const file of args) {
    const artifacts = join(dirname(resolve(file)), 'artifacts');
    if (flags.report && existsSync(artifacts) && resolve(flags.report) !== dirname(resolve(file))) {
      cpSync(artifacts, join(flags.report, 'artifacts'), { recursive: true });
    }
  }
  return 0;
}
