/** `labs report`: render the HTML and JUnit reports of an earlier `--json` run. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/registry.ts';
import type { RunReport } from '../../core/types.ts';
import { writeReports } from '../../report/write.ts';
import type { Flags } from '../main.ts';

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
  writeReports(parsed, { html: flags.report, junit: flags.junit });
  return 0;
}
