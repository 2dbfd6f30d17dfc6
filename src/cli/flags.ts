/** The flags every command accepts, parsed once by main.ts. */
import type { parseArgs } from 'node:util';

export const OPTIONS = {
  json: { type: 'boolean' },
  junit: { type: 'string' },
  report: { type: 'string' },
  jobs: { type: 'string' },
  repeat: { type: 'string' },
  retries: { type: 'string' },
  topic: { type: 'string' },
  all: { type: 'boolean' },
  expect: { type: 'string' },
  'write-expect': { type: 'string' },
  'labs-dir': { type: 'string' },
  lang: { type: 'string' },
  workshop: { type: 'boolean' },
  cluster: { type: 'string' },
  context: { type: 'string' },
  on: { type: 'string' },
  parallel: { type: 'string' },
  'node-selector': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
