/**
 * Runs labs: checks their requirements, gives each a scope, a work directory and a time limit,
 * collects verdicts, and always disposes of what the lab created, whatever happened.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { baseEnvironment } from '../observers/environment.ts';
import { Scope } from '../resources/scope.ts';
import { missing, probeCapabilities } from './capabilities.ts';
import type { Lab, LabContext } from './lab.ts';
import { VERDICTS, type ClaimResult, type LabResult } from './types.ts';

export type RunEvent =
  | { type: 'start'; lab: Lab }
  | { type: 'step'; lab: Lab; message: string; elapsedMs: number }
  | { type: 'end'; lab: Lab; result: LabResult };

export interface RunOptions {
  runId: string;
  jobs: number;
  /** Aborts every running lab (SIGINT, SIGTERM). */
  signal: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /** Where the HTML report goes; kept files are copied under it. */
  reportDir?: string;
}

class LabTimeout extends Error {}

/** Checks that a lab gave exactly one well-formed verdict for each claim it declared. */
export function checkVerdicts(lab: Lab, claims: ClaimResult[]): string | undefined {
  const ids = claims.map((c) => c.id);
  const lacking = lab.claims.filter((id) => !ids.includes(id));
  if (lacking.length) return `no verdict for ${lacking.join(', ')}`;
  const extra = ids.filter((id) => !lab.claims.includes(id));
  if (extra.length) return `verdicts for undeclared claims ${extra.join(', ')}`;
  if (new Set(ids).size !== ids.length) return 'more than one verdict for a claim';
  const bad = claims.find((c) => !VERDICTS.includes(c.verdict) || !c.summary);
  if (bad) return `claim ${bad.id} has verdict "${bad.verdict}" or no summary`;
  return undefined;
}

async function runOne(lab: Lab, options: RunOptions): Promise<LabResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const environment = baseEnvironment();
  const result = (status: LabResult['status'], claims: ClaimResult[], reason?: string): LabResult => ({
    id: lab.id,
    title: lab.title,
    topic: lab.topic,
    status,
    durationMs: elapsed(),
    ...(reason ? { reason } : {}),
    environment,
    claims,
  });

  const lacking = missing(await probeCapabilities(lab.requires), lab.requires);
  if (lacking.length) return result('skipped', [], `missing requirement: ${lacking.join('; ')}`);
  if (options.signal.aborted) return result('error', [], 'interrupted before it started');

  const scope = new Scope();
  const workDir = mkdtempSync(join(tmpdir(), `labs-${options.runId}-${lab.id}-`));
  scope.defer('work directory', () => rmSync(workDir, { recursive: true, force: true }));
  const timeout = new AbortController();
  const signal = AbortSignal.any([options.signal, timeout.signal]);
  const ctx: LabContext = {
    runId: options.runId,
    scope,
    signal,
    workDir,
    environment,
    step: (message) => options.onEvent?.({ type: 'step', lab, message, elapsedMs: elapsed() }),
    keep: (file) => {
      if (!options.reportDir) return undefined;
      const relative = join('artifacts', lab.id, basename(file));
      mkdirSync(join(options.reportDir, 'artifacts', lab.id), { recursive: true });
      copyFileSync(file, join(options.reportDir, relative));
      return relative;
    },
  };

  let outcome: LabResult;
  let timer: NodeJS.Timeout | undefined;
  try {
    const aborted = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timeout.abort();
        reject(new LabTimeout(`timed out after ${lab.timeLimitMs} ms`));
      }, lab.timeLimitMs);
      options.signal.addEventListener('abort', () => reject(new Error(String(options.signal.reason ?? 'interrupted'))), { once: true });
    });
    const running = lab.run(ctx);
    running.catch(() => undefined); // after a timeout the lab's own failure is no longer news
    const claims = await Promise.race([running, aborted]);
    const problem = checkVerdicts(lab, claims);
    outcome = problem ? result('error', claims, `lab error: ${problem}`) : result('passed', claims);
  } catch (error) {
    outcome = result('error', [], (error as Error).message.split('\n')[0]);
  } finally {
    clearTimeout(timer);
  }
  const cleanupErrors = await scope.dispose();
  if (cleanupErrors.length) {
    outcome = { ...outcome, status: 'error', reason: [outcome.reason, `clean-up failed: ${cleanupErrors.join('; ')}`].filter(Boolean).join('; ') };
  }
  return { ...outcome, durationMs: elapsed() };
}

/** Runs labs with at most `jobs` at once; results come back in the order the labs were given. */
export async function runLabs(labs: Lab[], options: RunOptions): Promise<LabResult[]> {
  const results: LabResult[] = new Array(labs.length);
  let next = 0;
  const worker = async () => {
    while (next < labs.length) {
      const index = next++;
      const lab = labs[index]!;
      options.onEvent?.({ type: 'start', lab });
      const result = await runOne(lab, options);
      results[index] = result;
      options.onEvent?.({ type: 'end', lab, result });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, labs.length)) }, worker));
  return results;
}
