/**
 * Runs labs: checks their requirements, builds what they declare (images first, outside the
 * lab's clock), gives each a scope, a work directory, a timeline and a time limit, collects
 * verdicts, and always disposes of what the lab created, after the lab has stopped.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { baseEnvironment } from '../observers/environment.ts';
import { withSignal } from '../resources/cancel.ts';
import { Faults } from '../resources/faults.ts';
import { imageFor } from '../resources/images.ts';
import { buildNetwork, type Host, type Network } from '../resources/netns.ts';
import { Scope } from '../resources/scope.ts';
import { prepareServiceImages, startServices } from '../resources/services.ts';
import { RunResources } from '../resources/shared.ts';
import { Timeline } from '../resources/timeline.ts';
import { missing, probeCapabilities } from './capabilities.ts';
import type { Lab, LabContext } from './lab.ts';
import { VERDICTS, type ClaimResult, type LabResult } from './types.ts';

/** What progress reports name of a lab (a lab imported, or one run elsewhere, as a Job). */
export type LabRef = Pick<Lab, 'id' | 'title' | 'handout'>;

export type RunEvent =
  | { type: 'start'; lab: LabRef }
  | { type: 'step'; lab: LabRef; message: string; elapsedMs: number }
  | { type: 'retry'; lab: LabRef; claims: string[] }
  | { type: 'end'; lab: LabRef; result: LabResult }
  | { type: 'shared-cleanup'; errors: string[] };

export interface RunOptions {
  runId: string;
  jobs: number;
  /** Aborts every running lab (SIGINT, SIGTERM). */
  signal: AbortSignal;
  /** Aborted on a second interrupt: stop waiting for labs to reach their next await, dispose at once. */
  force?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /** Where the HTML report goes; kept files are copied under it. */
  reportDir?: string;
  /** How many more times a lab runs when a claim came out unverifiable for lack of evidence (default 0). */
  retries?: number;
  /** Which unverifiable claims justify running the lab again (default: every one). */
  retryable?: (claim: ClaimResult, result: LabResult) => boolean;
  /** Run-scoped resources the caller already holds (and disposes of); by default the run makes its own. */
  shared?: RunResources;
}

/** How long a cancelled lab gets to reach its next await before its resources are disposed anyway. */
const STOP_GRACE_MS = 3000;

/** Checks that a lab gave exactly one well-formed verdict for each claim it declared. */
export function checkVerdicts(lab: Lab, claims: ClaimResult[]): string | undefined {
  const ids = claims.map((c) => c.id);
  const lacking = lab.claims.filter((id) => !ids.includes(id));
  if (lacking.length) return `no verdict for ${lacking.join(', ')}`;
  const extra = ids.filter((id) => !lab.claims.includes(id));
  if (extra.length) return `verdicts for undeclared claims ${extra.join(', ')}`;
  if (new Set(ids).size !== ids.length) return 'more than one verdict for a claim';
  const bad = claims.find((c) => !VERDICTS.includes(c.verdict) || !c.summary || c.summaryZh === '');
  if (bad) return `claim ${bad.id} has verdict "${bad.verdict}" or no summary`;
  return undefined;
}

const firstLine = (error: unknown) => ((error as Error)?.message ?? String(error)).split('\n')[0]!;

/** Resolves when `promise` settles, after `ms`, or when `cut` aborts, whichever is first. */
function settledWithin(promise: Promise<unknown>, ms: number, cut?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (cut?.aborted) done();
    cut?.addEventListener('abort', done, { once: true });
    promise.then(done, done);
  });
}

async function runOne(lab: Lab, options: RunOptions, shared: RunResources): Promise<LabResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const environment = baseEnvironment();
  const timeline = new Timeline();
  const result = (status: LabResult['status'], claims: ClaimResult[], reason?: string): LabResult => ({
    id: lab.id,
    title: lab.title,
    handout: lab.handout,
    topic: lab.topic,
    status,
    durationMs: elapsed(),
    ...(reason ? { reason } : {}),
    environment,
    claims,
    ...(timeline.events.length ? { timeline: timeline.events } : {}),
  });
  const step = (message: string) => options.onEvent?.({ type: 'step', lab, message, elapsedMs: elapsed() });

  const lacking = missing(await probeCapabilities(lab.requires), lab.requires);
  if (lacking.length) return result('skipped', [], `missing requirement: ${lacking.join('; ')}`);
  if (options.signal.aborted) return result('error', [], 'interrupted before it started');

  // Images and run-scoped resources come before the lab's clock starts.
  const needs = lab.needs ?? {};
  const leases: ((how?: { abandoned: boolean }) => void)[] = [];
  const sharedValues: Record<string, unknown> = {};
  const sharedHosts: Record<string, Host> = {};
  let images: Record<string, string> = {};
  try {
    // An interrupt stops an image build (and a debootstrap) as it stops a lab.
    await withSignal(options.signal, async () => {
      images = await prepareServiceImages(needs.services ?? {}, (line) => step(`images: ${line}`));
      for (const [name, resource] of Object.entries(needs.shared ?? {})) {
        for (const image of resource.images ?? []) await imageFor(image, (line) => step(`images: ${line}`));
        step(`waiting for ${resource.describe}`);
        const lease = await shared.acquire(resource);
        leases.push(lease.release);
        sharedValues[name] = lease.value;
        Object.assign(sharedHosts, resource.hostsOf?.(lease.value));
      }
    });
  } catch (error) {
    for (const release of leases) release();
    return result('error', [], `set-up failed: ${firstLine(error)}`);
  }

  const scope = new Scope();
  const workDir = mkdtempSync(join(tmpdir(), `labs-${options.runId}-${lab.id}-`));
  scope.defer('work directory', () => rmSync(workDir, { recursive: true, force: true }));
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const timer = setTimeout(() => stop.abort(new Error(`timed out after ${lab.timeLimitMs} ms`)), lab.timeLimitMs);
  // An error that escaped the lab's own work (an emitter's, a stray promise's) fails this lab only.
  const onStray = (error: unknown) => stop.abort(new Error(`stray error: ${firstLine(error)}`));

  const running = withSignal(
    signal,
    async () => {
      const network: Network = needs.topology ? await buildNetwork(scope, options.runId, needs.topology) : {};
      const services = needs.services ? await startServices(scope, options.runId, needs.services, images, 'lab') : undefined;
      for (const [name, seen] of Object.entries(services?.ready ?? {})) timeline.sample(`${name} ready`, seen);
      const hosts = { ...sharedHosts, ...network, ...services?.containers };
      const ctx: LabContext = {
        runId: options.runId,
        scope,
        signal,
        workDir,
        environment,
        hosts,
        services: services?.containers ?? {},
        shared: sharedValues as LabContext['shared'],
        timeline,
        faults: new Faults(scope, options.runId, hosts, timeline),
        background: (name, task) => scope.background(name, task, signal),
        step,
        keep: (file) => {
          if (!options.reportDir) return undefined;
          const relative = join('artifacts', lab.id, basename(file));
          mkdirSync(join(options.reportDir, 'artifacts', lab.id), { recursive: true });
          copyFileSync(file, join(options.reportDir, relative));
          return relative;
        },
      };
      return lab.run(ctx);
    },
    onStray,
  );
  let settled = false;
  running.then(
    () => (settled = true),
    () => (settled = true),
  );
  const cancelled = new Promise<never>((_, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'interrupted')));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  cancelled.catch(() => undefined);

  let outcome: LabResult;
  try {
    const claims = await Promise.race([running, cancelled]);
    const problem = checkVerdicts(lab, claims) ?? (scope.failures.length ? `background task failed: ${scope.failures[0]}` : undefined);
    outcome = problem ? result('error', claims, `lab error: ${problem}`) : result('passed', claims);
  } catch (error) {
    // A failed background task (a sampler) is usually why the lab then waited in vain: say so first.
    outcome = result('error', [], scope.failures.length ? `background task failed: ${scope.failures[0]}` : firstLine(signal.aborted ? signal.reason : error));
    // The lab stops at its next await; its resources are disposed only after that.
    await settledWithin(running, STOP_GRACE_MS, options.force);
  } finally {
    clearTimeout(timer);
  }
  stop.abort(new Error('the lab has ended'));
  const cleanupErrors = await scope.dispose();
  // A lab that never reached an await may still be calling a shared cluster: the next lab gets a new one.
  for (const release of leases) release({ abandoned: !settled });
  if (cleanupErrors.length) {
    outcome = { ...outcome, status: 'error', reason: [outcome.reason, `clean-up failed: ${cleanupErrors.join('; ')}`].filter(Boolean).join('; ') };
  }
  return { ...outcome, durationMs: elapsed(), ...(timeline.events.length ? { timeline: timeline.events } : {}) };
}

/**
 * Runs a lab (`attempt`: here, or as a Kubernetes Job), and again (up to `options.retries` more
 * times) while a claim comes out unverifiable: missing evidence is often a race with the experiment,
 * not a fact about the system. The attempts set aside stay in the result.
 */
export async function withRetries(lab: LabRef, attempt: () => Promise<LabResult>, options: Pick<RunOptions, 'retries' | 'retryable' | 'signal' | 'onEvent'>): Promise<LabResult> {
  let result = await attempt();
  const retried: NonNullable<LabResult['retried']> = [];
  for (let n = 1; n <= (options.retries ?? 0) && !options.signal.aborted; n++) {
    const lacking = result.claims.filter((c) => c.verdict === 'unverifiable' && (options.retryable?.(c, result) ?? true));
    if (!lacking.length) break;
    retried.push({ attempt: n, unverifiable: lacking.map((c) => ({ id: c.id, summary: c.summary })) });
    options.onEvent?.({ type: 'retry', lab, claims: lacking.map((c) => c.id) });
    result = await attempt();
  }
  return retried.length ? { ...result, retried } : result;
}

/**
 * Runs labs with at most `jobs` at once; results come back in the order the labs were given. Labs
 * marked `alone` run after the others, one at a time.
 */
export async function runLabs(labs: Lab[], options: RunOptions): Promise<LabResult[]> {
  const results: LabResult[] = new Array(labs.length);
  const shared = options.shared ?? new RunResources(options.runId);
  const indices = labs.map((_, i) => i);
  const phases = [indices.filter((i) => !labs[i]!.alone), indices.filter((i) => labs[i]!.alone)];
  const runPhase = async (queue: number[], workers: number) => {
    const worker = async () => {
      for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
        const lab = labs[index]!;
        options.onEvent?.({ type: 'start', lab });
        const result = await withRetries(lab, () => runOne(lab, options, shared), options);
        results[index] = result;
        options.onEvent?.({ type: 'end', lab, result });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, queue.length)) }, worker));
  };
  try {
    await runPhase(phases[0]!, options.jobs);
    await runPhase(phases[1]!, 1);
  } finally {
    if (!options.shared) {
      const errors = await shared.dispose();
      if (errors.length) options.onEvent?.({ type: 'shared-cleanup', errors });
    }
  }
  return results;
}
