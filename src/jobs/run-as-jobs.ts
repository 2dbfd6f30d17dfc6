/**
 * `labs run --on kubernetes`: each lab runs as a Kubernetes Job on the run's cluster (any
 * provider), at most `parallel` at once, in a namespace of the run's; its verdicts come back in its
 * pod's log and carry the node it ran on. The Kubernetes labs are about that cluster itself: the
 * runner runs them there after the Jobs, as a host run would. An interrupt, or the end of the run,
 * deletes the Jobs and waits for their pods to dispose of what they made; the namespace goes last,
 * and the reaper deletes it (by the run id it is labelled with) after a crash.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Lab } from '../core/lab.ts';
import type { LabInfo } from '../core/registry.ts';
import { runLabs, withRetries, type RunOptions } from '../core/runner.ts';
import type { LabResult, RanOn } from '../core/types.ts';
import { sleep, withSignal } from '../resources/cancel.ts';
import { ensureProjectImage } from '../resources/project-image.ts';
import { Scope } from '../resources/scope.ts';
import { RunResources } from '../resources/shared.ts';
import { kubernetesCluster, type KubeCluster } from '../systems/kubernetes.ts';
import { jobOrder, labJob, notAJob } from './job-spec.ts';
import { containerEnd, failedCondition, jobFailed, missingHostPath, podOutcome, resultsFromLog } from './pod-outcome.ts';

export interface JobsOptions extends Omit<RunOptions, 'shared'> {
  /** Jobs at once. */
  parallel: number;
  nodeSelector?: Record<string, string>;
  /** Passed on to each pod's `labs run` (e.g. --lang). */
  args?: string[];
  /** Progress that belongs to no lab (the project's image). */
  log: (line: string) => void;
}

const POLL_MS = 1000;
/** How long the scheduler may refuse a pod before that is its lab's error (a node may be joining). */
const UNSCHEDULABLE_MS = 30_000;
/** How long deleted Jobs' pods get to end (their grace is 30 s) before the namespace goes anyway. */
const STOP_WAIT_MS = 60_000;

/** Runs `selected` (in that order of results): `imported` holds the Kubernetes labs, which the runner runs itself. */
export async function runOnKubernetes(selected: LabInfo[], imported: Lab[], options: JobsOptions): Promise<LabResult[]> {
  const shared = new RunResources(options.runId);
  const asJobs = selected.filter((lab) => !notAJob(lab.requires));
  const here = imported.filter((lab) => notAJob(lab.requires));
  for (const lab of here) options.log(`${lab.id} ${notAJob(lab.requires)}`);
  try {
    const jobResults = asJobs.length ? await withSignal(options.signal, () => runJobs(asJobs, shared, options)) : [];
    const hereResults = here.length && !options.signal.aborted ? await runLabs(here, { ...options, shared }) : [];
    const byId = new Map([...jobResults, ...hereResults].map((result) => [result.id, result]));
    return selected.map((lab) => byId.get(lab.id) ?? notRun(lab, 'interrupted before it started'));
  } finally {
    const errors = await shared.dispose();
    if (errors.length) options.onEvent?.({ type: 'shared-cleanup', errors });
  }
}

const firstLine = (error: unknown) => ((error as Error)?.message ?? String(error)).split('\n')[0]!;

function notRun(lab: LabInfo, reason: string, durationMs = 0, ranOn?: RanOn): LabResult {
  return { id: lab.id, title: lab.title, handout: lab.handout, topic: lab.topic, status: 'error', durationMs, reason, environment: {}, claims: [], ...(ranOn ? { ranOn } : {}) };
}

async function runJobs(labs: LabInfo[], shared: RunResources, options: JobsOptions): Promise<LabResult[]> {
  const lease = await shared.acquire(kubernetesCluster);
  const scope = new Scope();
  try {
    const cluster = lease.value;
    const namespace = await cluster.namespace(scope, 'jobs');
    scope.defer(`the Jobs of run ${options.runId}`, () => deleteJobs(cluster, namespace));
    const image = await cluster.loadImage('project', () => ensureProjectImage(options.log));
    options.log(`${image} is on the cluster's nodes; Jobs go to namespace ${namespace}`);
    const nodes = new Map<string, Promise<RanOn>>();
    const nodeOf = (pod: k8s.V1Pod): Promise<RanOn> => {
      const name = pod.spec?.nodeName ?? '';
      if (!nodes.has(name)) nodes.set(name, describeNode(cluster, name));
      return nodes.get(name)!.then((node) => ({ ...node, job: pod.metadata?.labels?.['batch.kubernetes.io/job-name'] ?? '', pod: pod.metadata?.name ?? '' }));
    };
    const results: LabResult[] = [];
    const runOne = async (lab: LabInfo) => {
      options.onEvent?.({ type: 'start', lab });
      const attempt = () =>
        runJob(cluster, namespace, image, lab, nodeOf, options).catch((error: unknown) =>
          notRun(lab, options.signal.aborted ? 'interrupted' : `Kubernetes refused or failed: ${firstLine(error)}`),
        );
      const result = await withRetries(lab, attempt, options);
      results.push(result);
      options.onEvent?.({ type: 'end', lab, result });
    };
    const runChains = async (chains: LabInfo[][], workers: number) => {
      const worker = async () => {
        for (let chain = chains.shift(); chain; chain = chains.shift()) for (const lab of chain) if (!options.signal.aborted) await runOne(lab);
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, chains.length)) }, worker));
    };
    const { together, chains, alone } = jobOrder(labs);
    await runChains(together.map((lab) => [lab]), options.parallel);
    await runChains(chains, 1);
    await runChains(alone.map((lab) => [lab]), 1);
    return results;
  } finally {
    const errors = await scope.dispose();
    lease.release();
    if (errors.length) options.onEvent?.({ type: 'shared-cleanup', errors });
  }
}

async function describeNode(cluster: KubeCluster, name: string): Promise<RanOn> {
  const info = (await cluster.core.readNode({ name })).status?.nodeInfo;
  return { node: name, ...(info ? { kernel: info.kernelVersion, os: info.osImage } : {}) };
}

async function runJob(cluster: KubeCluster, namespace: string, image: string, lab: LabInfo, nodeOf: (pod: k8s.V1Pod) => Promise<RanOn>, options: JobsOptions): Promise<LabResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const step = (message: string) => options.onEvent?.({ type: 'step', lab, message, elapsedMs: elapsed() });
  const job = labJob({ lab, runId: options.runId, namespace, image, nodeSelector: options.nodeSelector, args: options.args });
  const name = job.metadata!.name!;
  await cluster.batch.createNamespacedJob({ namespace, body: job });
  step(`Job ${name} created`);
  try {
    let seen = '';
    for (;;) {
      const pod = (await cluster.core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${name}` })).items[0];
      if (!pod) {
        // The Job controller deletes the pod of a Job past its deadline.
        const failed = jobFailed(await readJob(cluster, namespace, name));
        if (failed) return notRun(lab, failed, elapsed());
      } else {
        const now = `${pod.status?.phase ?? 'Pending'}${pod.spec?.nodeName ? ` on ${pod.spec.nodeName}` : ''}`;
        if (now !== seen) step(`pod ${pod.metadata?.name} ${(seen = now)}`);
        const outcome = podOutcome(pod, Date.now(), UNSCHEDULABLE_MS);
        if (outcome.state === 'failed') return notRun(lab, outcome.reason, elapsed(), pod.spec?.nodeName ? await nodeOf(pod) : undefined);
        if (outcome.state === 'finished') return await resultOf(cluster, namespace, pod, lab, await nodeOf(pod), elapsed);
        if (pod.status?.phase === 'Pending' && pod.spec?.nodeName) {
          const events = await cluster.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod.metadata!.name}` });
          const missing = missingHostPath(events.items);
          if (missing) return notRun(lab, missing, elapsed(), await nodeOf(pod));
        }
      }
      await sleep(POLL_MS);
    }
  } finally {
    // Read (or given up): a --repeat makes a Job of the same name again.
    await cluster.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }).catch(() => undefined);
  }
}

async function resultOf(cluster: KubeCluster, namespace: string, pod: k8s.V1Pod, lab: LabInfo, ranOn: RanOn, elapsed: () => number): Promise<LabResult> {
  const log = await cluster.core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace, container: 'lab' });
  const parsed = resultsFromLog(log);
  if ('missing' in parsed) {
    // A Job past its deadline has its pod killed: the Job says so better than the log. (With no
    // retries, its other failure, BackoffLimitExceeded, says only that the pod failed.)
    const job = await readJob(cluster, namespace, ranOn.job!);
    const ended = containerEnd(pod);
    return notRun(lab, failedCondition(job)?.reason === 'DeadlineExceeded' ? jobFailed(job)! : `${parsed.missing}${ended ? ` (its container: ${ended})` : ''}`, elapsed(), ranOn);
  }
  const result = parsed.report.labs.find((l) => l.id === lab.id);
  return result ? { ...result, ranOn } : notRun(lab, `the pod's results hold no lab ${lab.id}`, elapsed(), ranOn);
}

function readJob(cluster: KubeCluster, namespace: string, name: string): Promise<k8s.V1Job> {
  return cluster.batch.readNamespacedJobStatus({ name, namespace });
}

/** Deletes the namespace's Jobs; their pods get SIGTERM and their grace to clean up, which this waits for. */
async function deleteJobs(cluster: KubeCluster, namespace: string): Promise<void> {
  await cluster.batch.deleteCollectionNamespacedJob({ namespace, propagationPolicy: 'Background' });
  const deadline = Date.now() + STOP_WAIT_MS;
  while ((await cluster.core.listNamespacedPod({ namespace })).items.length && Date.now() < deadline) await sleep(POLL_MS);
}
