/** `labs run`: select labs, run them with clean-up guaranteed, and report. */
import { probeCapabilities } from '../../core/capabilities.ts';
import { drift, expectedVerdict, readBaseline, withExpected, writeBaseline } from '../../core/expect.ts';
import { importLabs, labIndex, selectLabs, UsageError } from '../../core/registry.ts';
import { runLabs, type RunEvent } from '../../core/runner.ts';
import { resultsForRunner } from '../../jobs/job-spec.ts';
import type { LabResult, RunReport, Verdict } from '../../core/types.ts';
import { reportStray } from '../../resources/cancel.ts';
import { NOTHING_REAPED, reapDeadRuns } from '../../resources/reaper.ts';
import { JOB_RUN_ID_ENV, newRunId, registerRun } from '../../resources/run-state.ts';
import { resolveLang, withStatements } from '../../report/lang.ts';
import { progressPrinter, stabilityTable, verdictTable } from '../../report/terminal.ts';
import { writeReports } from '../../report/write.ts';
import type { Flags } from '../flags.ts';
import { unknownTopic } from '../topics.ts';
import { startWorkshop } from '../workshop.ts';

/** A whole number from `min` to `max` for `flag`, `min` when not given. */
function parseCount(flag: string, value: string | undefined, max: number, min = 1): number {
  if (value === undefined) return min;
  const count = Number(value);
  if (!Number.isInteger(count) || count < min || count > max) throw new UsageError(`--${flag} takes a whole number from ${min} to ${max}, not "${value}"`);
  return count;
}

/** `--node-selector K=V[,K=V]` as labels. */
function parseNodeSelector(value: string | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const pairs = value.split(',').map((pair) => pair.match(/^([A-Za-z0-9][-A-Za-z0-9_./]*)=([-A-Za-z0-9_.]*)$/));
  if (pairs.some((pair) => !pair)) throw new UsageError(`--node-selector takes labels as K=V[,K=V], not "${value}"`);
  return Object.fromEntries(pairs.map((pair) => [pair![1]!, pair![2]!]));
}

/** With --on kubernetes: how many Jobs at once and on which nodes; undefined for a run on this host. */
function parseOn(flags: Flags): { parallel: number; nodeSelector?: Record<string, string> } | undefined {
  if (flags.on === undefined) {
    for (const flag of ['parallel', 'node-selector'] as const) if (flags[flag] !== undefined) throw new UsageError(`--${flag} goes with --on kubernetes`);
    return undefined;
  }
  if (flags.on !== 'kubernetes') throw new UsageError(`--on takes kubernetes, not "${flags.on}"`);
  if (flags.workshop) throw new UsageError('--workshop runs a lab in front of the room, on this host; it does not mix with --on');
  const nodeSelector = parseNodeSelector(flags['node-selector']);
  return { parallel: parseCount('parallel', flags.parallel, 64), ...(nodeSelector ? { nodeSelector } : {}) };
}

export async function run(ids: string[], flags: Flags): Promise<number> {
  const labs = await labIndex(flags['labs-dir']);
  let selected;
  if (flags.all) selected = labs;
  else if (flags.topic) {
    selected = labs.filter((l) => l.topic === flags.topic);
    if (!selected.length) throw unknownTopic(flags.topic, labs);
  } else if (ids.length) selected = selectLabs(labs, ids);
  else throw new UsageError('nothing to run: give lab or claim ids, --topic T or --all');
  const jobs = parseCount('jobs', flags.jobs, 64);
  const repeat = parseCount('repeat', flags.repeat, 100);
  const retries = parseCount('retries', flags.retries, 5, 0);
  const lang = resolveLang(flags.lang);
  const onCluster = parseOn(flags);
  // This run is a lab's Kubernetes Job (labs run --on kubernetes made it).
  const asJob = Boolean(process.env[JOB_RUN_ID_ENV]);
  if (flags.workshop && flags.json) throw new UsageError('--workshop talks to the room on stdout; it does not mix with --json');
  if (flags.workshop && repeat > 1) throw new UsageError('--workshop runs each claim once; it does not mix with --repeat');
  const workshop = flags.workshop ? await startWorkshop(selected, lang) : undefined;
  const baseline = flags.expect ? readBaseline(flags.expect) : undefined;
  // Against a baseline, a claim it expects to be unverifiable here is no reason to run its lab again.
  const retryable = baseline && ((claim: { id: string }, result: LabResult) => expectedVerdict(baseline, claim.id, result.environment) !== 'unverifiable');

  const human = (line: string) => process.stderr.write(`${line}\n`);
  // Independent start-up work overlaps: the reaper, the selected labs' imports, their capability probes (cached for the runner).
  const [reaped, labsToRun, capabilities] = await Promise.all([
    // A Job's pod may see its node's processes (a Docker lab's pod shares their ids) but keeps no
    // record of the node's runs: it would take them all for dead. The node's own runs reap there.
    asJob ? NOTHING_REAPED : reapDeadRuns(),
    importLabs(selected, flags['labs-dir']),
    probeCapabilities([...new Set([...selected.flatMap((l) => l.requires), ...(onCluster ? (['kubernetes'] as const) : [])])]),
  ]);
  if (onCluster && !capabilities.kubernetes?.ok) throw new UsageError(`--on kubernetes needs a cluster: ${capabilities.kubernetes?.detail}`);
  await workshop?.ready();
  const leftovers = reaped.namespaces.length + reaped.processes.length + reaped.containers.length + reaped.networks.length + reaped.teardowns.length;
  if (leftovers) human(`removed ${leftovers} leftover(s) of dead runs ${reaped.runs.join(', ')}`);

  const runId = newRunId();
  const unregister = registerRun(runId);
  const controller = new AbortController();
  const force = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  // First signal: labs stop at their next await and are cleaned up. Second: stop waiting for them
  // and clean up at once. Third: exit now; the next run's reaper removes what is left.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
    signals++;
    if (signals === 1) {
      human(`${signal}: stopping labs and cleaning up… (again to stop waiting for them)`);
      controller.abort('interrupted');
    } else if (signals === 2) {
      human(`${signal}: cleaning up now (again to exit at once)`);
      force.abort('interrupted twice');
    } else {
      human(`${signal}: exiting; \`labs clean\` (or the next run) removes what is left`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
  };
  // An error that escaped a lab (an emitter's, a stray promise's) fails that lab (Node reports it
  // in the lab's async context); one from anywhere else stops the run like an interrupt.
  const onFatal = (error: unknown) => {
    if (reportStray(error)) return;
    human(`internal error: ${(error as Error)?.message ?? String(error)}`);
    controller.abort(`internal error: ${(error as Error)?.message ?? String(error)}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  const startedAt = new Date().toISOString();
  const printer = progressPrinter(human, lang);
  let sharedCleanupFailed = false;
  const onEvent = (event: RunEvent) => {
    if (event.type === 'shared-cleanup') sharedCleanupFailed = true;
    printer(event);
  };
  let results: LabResult[] | undefined;
  const runs: LabResult[][] = [];
  try {
    for (let i = 1; i <= repeat && !controller.signal.aborted; i++) {
      if (repeat > 1) human(`run ${i} of ${repeat}`);
      const options = { runId, jobs, signal: controller.signal, force: force.signal, onEvent, reportDir: flags.report, retries, retryable };
      // Loaded only for such a run: it brings the Kubernetes client.
      results = onCluster
        ? await (await import('../../jobs/run-as-jobs.ts')).runOnKubernetes(selected, labsToRun, { ...options, ...onCluster, args: flags.lang ? ['--lang', lang] : [], log: human })
        : await runLabs(labsToRun, options);
      runs.push(results);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
    // A run whose clean-up failed keeps its record: once this process has exited the record reads
    // as dead, and the next run's reaper asks Docker for what was left.
    const leftSomething = sharedCleanupFailed || !results || results.some((r) => r.reason?.includes('clean-up failed'));
    if (!leftSomething) unregister();
  }
  if (!results) return interrupted === 'SIGINT' ? 130 : 143;
  results = baseline ? withExpected(baseline, results) : results;
  const report: RunReport = { runId, startedAt, lang, labs: withStatements(results), ...(repeat > 1 ? { repeats: verdictsOver(runs) } : {}) };

  // A Job's run prints them as its runner reads them from the pod's log.
  if (flags.json) process.stdout.write(asJob ? resultsForRunner(JSON.stringify(report)) : `${JSON.stringify(report, null, 2)}\n`);
  else if (workshop) await workshop.reveal(report.labs);
  else process.stdout.write(`\n${verdictTable(results, lang)}\n${report.repeats ? `\n${stabilityTable(report.repeats, lang)}\n` : ''}`);
  writeReports(report, { html: flags.report, junit: flags.junit });
  if (flags['write-expect']) writeBaseline(flags['write-expect'], results);

  const flipped = report.repeats && Object.values(report.repeats.verdicts).some((seen) => new Set(seen).size > 1);
  let code = runs.flat().every((r) => r.status === 'passed') && !sharedCleanupFailed && !flipped ? 0 : 1;
  if (baseline) {
    const changes = [...new Set(runs.flatMap((run) => drift(baseline, run)))];
    if (changes.length) {
      human(`verdicts differ from ${flags.expect}:\n  ${changes.join('\n  ')}`);
      code = 1;
    } else human(`verdicts match ${flags.expect}`);
  }
  if (interrupted) return interrupted === 'SIGINT' ? 130 : 143;
  return code;
}

/** Every claim's verdict in each run, in order. */
function verdictsOver(runs: LabResult[][]): { runs: number; verdicts: Record<string, Verdict[]> } {
  const verdicts: Record<string, Verdict[]> = {};
  for (const run of runs) for (const lab of run) for (const claim of lab.claims) (verdicts[claim.id] ??= []).push(claim.verdict);
  return { runs: runs.length, verdicts };
}
