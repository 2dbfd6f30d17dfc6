/**
 * Benchmarks of the runner itself, each a ratio against a baseline measured in the same run:
 *  - overhead: the tcp-lifecycle experiment through the runner and through the CLI, against the
 *    same experiment called bare (its topology built and its run function called by hand);
 *  - parallelism: two labs with --jobs 2 against --jobs 1;
 *  - memory: the runner's peak resident set against the same process before it ran anything;
 *  - clusters, from cached images and binaries: three Kafka brokers until an acks=all write to a
 *    topic with three replicas succeeds, and a Kubernetes node until it is Ready and usable, each
 *    against one plain container's start, with the brokers' peak memory; the kind provider's node
 *    (kind create, the CNI configuration, Ready) against the local provider's up.sh;
 *  - going through Kubernetes: the catalog (BENCH_ON_KUBERNETES: `all`, the default, or lab ids
 *    separated by commas) as Jobs on the local cluster with --parallel 2, against the same labs
 *    with --jobs 2 on this host, one after the other; both must pass with the baseline's verdicts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import lab from '../../labs/tcp/lifecycle.lab.ts';
import { runLabs } from '../../src/core/runner.ts';
import { startContainer } from '../../src/resources/container.ts';
import { Faults } from '../../src/resources/faults.ts';
import { imageFor } from '../../src/resources/images.ts';
import { buildNetwork } from '../../src/resources/netns.ts';
import { newRunId, registerRun } from '../../src/resources/run-state.ts';
import { Scope } from '../../src/resources/scope.ts';
import { Timeline } from '../../src/resources/timeline.ts';
import { kafkaCluster } from '../../src/systems/kafka.ts';
import { buildKubernetes, kindNodeImage, kubernetesCluster } from '../../src/systems/kubernetes.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLI = new URL('../../src/cli/labs.mjs', import.meta.url).pathname;
const BASELINE = new URL('../../labs/expected-verdicts.json', import.meta.url).pathname;
const runId = newRunId();
const unregister = registerRun(runId);
const rssBaselineKb = process.resourceUsage().maxRSS;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function median(name: string, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) samples.push(await time(fn));
  samples.sort((a, b) => a - b);
  const m = samples[Math.floor(samples.length / 2)]!;
  process.stderr.write(`${name.padEnd(28)} median ${(m / 1000).toFixed(2)} s of ${samples.map((s) => (s / 1000).toFixed(2)).join(', ')}\n`);
  return m;
}

async function bare(): Promise<void> {
  const scope = new Scope();
  const workDir = mkdtempSync(join(tmpdir(), 'labs-bench-'));
  try {
    const hosts = await buildNetwork(scope, runId, lab.needs!.topology!);
    const timeline = new Timeline();
    const faults = new Faults(scope, runId, hosts, timeline);
    const signal = new AbortController().signal;
    const background = <T>(name: string, task: (s: AbortSignal) => Promise<T>) => scope.background(name, task);
    await lab.run({ runId, scope, signal, workDir, environment: {}, hosts, services: {}, shared: {}, timeline, faults, background, step: () => {}, keep: () => undefined });
  } finally {
    await scope.dispose();
    rmSync(workDir, { recursive: true, force: true });
  }
}

const inRunner = (labs: (typeof lab)[], jobs: number) => async () => {
  const results = await runLabs(labs, { runId, jobs, signal: new AbortController().signal });
  const failed = results.find((r) => r.status !== 'passed');
  if (failed) throw new Error(`${failed.id}: ${failed.reason}`);
};

/** Starts one plain container and removes it again: the unit the cluster figures are measured in. */
async function oneContainer(): Promise<void> {
  const scope = new Scope();
  try {
    await startContainer(scope, runId, { image: await imageFor('base'), name: 'bench', cmd: ['true'] });
  } finally {
    await scope.dispose();
  }
}

/** The highest memory a container's cgroup has used (cgroup v1, or v2's memory.peak). */
function peakMemoryBytes(containerId: string): number {
  for (const file of [`/sys/fs/cgroup/memory/docker/${containerId}/memory.max_usage_in_bytes`, `/sys/fs/cgroup/system.slice/docker-${containerId}.scope/memory.peak`]) {
    try {
      return Number(readFileSync(file, 'utf8'));
    } catch {
      // the other cgroup layout
    }
  }
  return 0;
}

async function kafkaFigures(): Promise<{ readyMs: number; peakMb: number }> {
  const scope = new Scope();
  try {
    const started = performance.now();
    const kafka = await kafkaCluster.start(scope, runId);
    await kafka.createTopic('bench', { partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
    const events = await kafka.call(scope, 'produce', { topic: 'bench', count: 1, acks: 'all' });
    if (!events.some((e) => e.e === 'ack')) throw new Error(`no acknowledged write: ${JSON.stringify(events)}`);
    const readyMs = performance.now() - started;
    await kafka.call(scope, 'produce', { topic: 'bench', count: 20_000, acks: 'all' }, 120_000);
    const peak = Object.values(kafka.brokers).reduce((sum, b) => sum + peakMemoryBytes(b.id), 0);
    return { readyMs, peakMb: Math.round(peak / 1024 / 1024) };
  } finally {
    await scope.dispose();
  }
}

interface KubernetesFigures {
  upMs: number;
  startToReadyMs: number;
  etcdToReadyMs: number;
  etcdToUsableMs: number;
  /** join.sh of a worker node, without images: to Ready, and the whole call. */
  workerReadyMs: number;
  workerJoinMs: number;
}

async function kubernetesFigures(): Promise<KubernetesFigures> {
  const scope = new Scope();
  try {
    const started = performance.now();
    const kube = await kubernetesCluster.start(scope, runId);
    const upMs = performance.now() - started;
    const joining = performance.now();
    const worker = await kube.joinWorker(scope, 1);
    const workerJoinMs = performance.now() - joining;
    const env = (key: string) => Number(kube.env[key]);
    return { upMs, startToReadyMs: env('START_TO_READY_MS'), etcdToReadyMs: env('ETCD_TO_READY_MS'), etcdToUsableMs: env('ETCD_TO_USABLE_MS'), workerReadyMs: Number(worker.env.JOIN_TO_READY_MS), workerJoinMs };
  } finally {
    await scope.dispose();
  }
}

/** The kind provider's cluster, its node image already built: to a Ready node, and kind create alone. */
async function kindFigures(): Promise<{ upMs: number; createMs: number }> {
  await kindNodeImage(await buildKubernetes());
  process.env.LABS_CLUSTER = 'kind';
  const scope = new Scope();
  try {
    const started = performance.now();
    const kube = await kubernetesCluster.start(scope, runId);
    return { upMs: performance.now() - started, createMs: Number(kube.env.CREATE_MS) };
  } finally {
    delete process.env.LABS_CLUSTER;
    await scope.dispose();
  }
}

/** Wall time of one `labs run` of the selection; it must exit 0, every verdict the baseline's. Its progress goes to out/bench-<name>.log. */
async function cliRun(name: string, selection: string[], extra: string[]): Promise<number> {
  return time(async () => {
    const run = await execa(process.execPath, [CLI, 'run', ...selection, ...extra, '--json', '--expect', BASELINE], { reject: false });
    writeFileSync(`out/bench-${name}.log`, run.stderr);
    if (run.exitCode !== 0) throw new Error(`labs run ${[...selection, ...extra].join(' ')} exited ${run.exitCode}: see out/bench-${name}.log`);
  });
}

async function onKubernetesFigures(): Promise<{ hostMs: number; jobsMs: number; labs: string }> {
  const chosen = process.env.BENCH_ON_KUBERNETES ?? 'all';
  const selection = chosen === 'all' ? ['--all'] : chosen.split(',');
  mkdirSync('out', { recursive: true });
  const hostMs = await cliRun('host', selection, ['--jobs', '2']);
  process.stderr.write(`${chosen} on this host, --jobs 2: ${(hostMs / 1000).toFixed(0)} s\n`);
  const jobsMs = await cliRun('jobs', selection, ['--on', 'kubernetes', '--parallel', '2']);
  process.stderr.write(`${chosen} as Jobs, --parallel 2: ${(jobsMs / 1000).toFixed(0)} s\n`);
  return { hostMs, jobsMs, labs: chosen };
}

try {
  const bareMs = await median('bare experiment', bare);
  const runnerMs = await median('through the runner', inRunner([lab], 1));
  const cliMs = await median('through the CLI process', () => execa(process.execPath, [CLI, 'run', lab.id, '--json']));
  const jobs1Ms = await median('two labs, --jobs 1', inRunner([lab, lab], 1));
  const jobs2Ms = await median('two labs, --jobs 2', inRunner([lab, lab], 2));
  const peakKb = process.resourceUsage().maxRSS;
  const containerMs = await median('one plain container', oneContainer);
  const kafka = await kafkaFigures();
  process.stderr.write(`kafka: three brokers to an acks=all write ${(kafka.readyMs / 1000).toFixed(2)} s, brokers' peak memory ${kafka.peakMb} MB\n`);
  const kube = await kubernetesFigures();
  const kind = await kindFigures();
  const onKubernetes = await onKubernetesFigures();
  process.stderr.write(`kubernetes: up.sh ${(kube.upMs / 1000).toFixed(2)} s, start to Ready ${kube.startToReadyMs} ms, etcd to Ready ${kube.etcdToReadyMs} ms, to usable ${kube.etcdToUsableMs} ms; a worker Ready ${kube.workerReadyMs} ms after join.sh started\n`);
  const figures = {
    rounds: ROUNDS,
    runnerOverBare: +(runnerMs / bareMs).toFixed(3),
    cliOverBare: +(cliMs / bareMs).toFixed(3),
    jobs2SpeedUp: +(jobs1Ms / jobs2Ms).toFixed(3),
    peakRssOverIdle: +(peakKb / rssBaselineKb).toFixed(3),
    kafkaReadyOverOneContainer: +(kafka.readyMs / containerMs).toFixed(2),
    kubernetesUpOverOneContainer: +(kube.upMs / containerMs).toFixed(2),
    kindUpOverLocalUp: +(kind.upMs / kube.upMs).toFixed(2),
    jobsOverHost: +(onKubernetes.jobsMs / onKubernetes.hostMs).toFixed(3),
    jobsOverHostLabs: onKubernetes.labs,
    absolute: { bareMs: Math.round(bareMs), runnerMs: Math.round(runnerMs), cliMs: Math.round(cliMs), jobs1Ms: Math.round(jobs1Ms), jobs2Ms: Math.round(jobs2Ms), idleRssMb: Math.round(rssBaselineKb / 1024), peakRssMb: Math.round(peakKb / 1024), oneContainerMs: Math.round(containerMs), kafkaReadyMs: Math.round(kafka.readyMs), kafkaBrokersPeakMb: kafka.peakMb, kubernetesUpMs: Math.round(kube.upMs), kubernetesStartToReadyMs: kube.startToReadyMs, kubernetesEtcdToReadyMs: kube.etcdToReadyMs, kubernetesEtcdToUsableMs: kube.etcdToUsableMs, kubernetesWorkerReadyMs: kube.workerReadyMs, kubernetesWorkerJoinMs: Math.round(kube.workerJoinMs), kindUpMs: Math.round(kind.upMs), kindCreateMs: kind.createMs, hostJobs2Ms: Math.round(onKubernetes.hostMs), onKubernetesParallel2Ms: Math.round(onKubernetes.jobsMs) },
  };
  process.stdout.write(`runner / bare experiment:     ${figures.runnerOverBare}\n`);
  process.stdout.write(`CLI process / bare experiment: ${figures.cliOverBare}\n`);
  process.stdout.write(`--jobs 2 speed-up over 1:      ${figures.jobs2SpeedUp}\n`);
  process.stdout.write(`peak RSS / idle RSS:           ${figures.peakRssOverIdle} (${figures.absolute.peakRssMb} MB / ${figures.absolute.idleRssMb} MB)\n`);
  process.stdout.write(`Kafka, 3 brokers to acks=all / one container: ${figures.kafkaReadyOverOneContainer} (${(kafka.readyMs / 1000).toFixed(1)} s; brokers' peak ${kafka.peakMb} MB)\n`);
  process.stdout.write(`Kubernetes node up / one container: ${figures.kubernetesUpOverOneContainer} (${(kube.upMs / 1000).toFixed(1)} s; Ready ${kube.startToReadyMs} ms after up.sh started; a worker Ready ${kube.workerReadyMs} ms after join.sh started)\n`);
  process.stdout.write(`kind node up / local node up:  ${figures.kindUpOverLocalUp} (${(kind.upMs / 1000).toFixed(1)} s; kind create ${(kind.createMs / 1000).toFixed(1)} s)\n`);
  process.stdout.write(`${onKubernetes.labs} as Jobs / on this host:  ${figures.jobsOverHost} (--parallel 2 ${(onKubernetes.jobsMs / 1000).toFixed(0)} s, --jobs 2 ${(onKubernetes.hostMs / 1000).toFixed(0)} s)\n`);
  mkdirSync('out', { recursive: true });
  writeFileSync('out/bench.json', `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  unregister();
}
