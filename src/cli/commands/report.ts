/** `labs report`: render the HTML and JUnit reports of an earlier `--json` run. */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../../core/registry.ts';
import type { RunReport } from '../../core/types.ts';
import { resolveLang } from '../../report/lang.ts';
import { writeReports } from '../../report/write.ts';
import type { Flags } from '../flags.ts';

export async function report(args: string[], flags: Flags): Promise<number> {
  const [file] = args;
  if (!file || (!flags.report && !flags.junit)) throw new UsageError('usage: labs report <results.json> --report DIR | --junit FILE');
  let parsed: RunReport;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as RunReport;
  } catch (error) {
    throw new UsageError(`cannot read results ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(parsed.labs)) throw new UsageError(`malformed results ${file}: no "labs" array`);
  if (flags.lang !== undefined || !parsed.lang) parsed.lang = resolveLang(flags.lang);
  writeReports(parsed, { html: flags.report, junit: flags.junit });
  // Kept captures and files sit beside the results they belong to; the new report links to them.
  const artifacts = join(dirname(resolve(file)), 'artifacts');
  if (flags.report && existsSync(artifacts) && resolve(flags.report) !== dirname(resolve(file))) {
    cpSync(artifacts, join(flags.report, 'artifacts'), { recursive: true });
  }
  return 0;
}
