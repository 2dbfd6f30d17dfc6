#!/usr/bin/env node
/** The `labs` command line. */
import { parseArgs } from 'node:util';
import { UsageError } from '../core/registry.ts';
import { clean } from './commands/clean.ts';
import { coverage } from './commands/coverage.ts';
import { doctor } from './commands/doctor.ts';
import { list } from './commands/list.ts';
import { report } from './commands/report.ts';
import { run } from './commands/run.ts';

const USAGE = `usage: labs <command> [options]

commands:
  list [--topic T] [--json]          labs and the claims they test
  run <lab-or-claim-id...>           run labs (a claim id runs the lab that covers it)
  run --topic T | --all
      --json                         the results as JSON on stdout (nothing else there)
      --junit FILE                   JUnit XML for CI
      --report DIR                   a self-contained HTML report with the evidence
      --jobs N                       labs run at once (default 1)
      --expect FILE                  fail when a verdict differs from this baseline
      --write-expect FILE            record this run's verdicts as a baseline
  doctor [--json]                    what this machine can do and which labs that enables
  clean                              remove what dead runs left behind
  coverage [--json]                  per topic, how many claims have a lab
  report <results.json> --report DIR | --junit FILE
                                     render the reports of an earlier --json run
options for every command:
  --labs-dir DIR                     where lab files live (default: the labs/ folder)`;

export const OPTIONS = {
  json: { type: 'boolean' },
  junit: { type: 'string' },
  report: { type: 'string' },
  jobs: { type: 'string' },
  topic: { type: 'string' },
  all: { type: 'boolean' },
  expect: { type: 'string' },
  'write-expect': { type: 'string' },
  'labs-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const COMMANDS: Record<string, (args: string[], flags: Flags) => Promise<number>> = { list, run, doctor, clean, coverage, report };

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const [command, ...args] = parsed.positionals;
  if (parsed.values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || parsed.values.help ? 0 : 2;
  }
  const handler = COMMANDS[command];
  if (!handler) throw new UsageError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
  return handler(args, parsed.values);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`labs: ${error.message.split('\n')[0]}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
