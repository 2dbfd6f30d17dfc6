/**
 * `labs run --on kubernetes`, the parts that need no cluster: the Job a lab becomes (from the labs'
 * real declarations), and how a pod's state, events and log, captured from real pods of the local
 * and kind providers (test/fixtures/jobs), become a result or an error.
 */
import { readFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { labIndex } from '../../src/core/registry.ts';
import { jobName, jobOrder, labJob, notAJob, podPrivileges, RESULTS_MARKER, resultsForRunner } from '../../src/jobs/job-spec.ts';
import { containerEnd, jobFailed, missingHostPath, podOutcome, resultsFromLog } from '../../src/jobs/pod-outcome.ts';
import { productionPackages } from '../../src/resources/project-image.ts';
import { onEveryNode } from '../../src/systems/kubernetes.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/jobs/${name}`, import.meta.url), 'utf8');
const pod = (name: string) => JSON.parse(fixture(name)) as k8s.V1Pod;
const labs = await labIndex();
const lab = (id: string) => labs.find((l) => l.id === id)!;

describe('a lab as a Job', () => {
  it('gives a network-namespace lab a privileged container and nothing of the node', () => {
    const job = labJob({ lab: lab('ip-header'), runId: '0123abcd', namespace: 'jobs-0123abcd', image: 'labs/project:abc' });
    const spec = job.spec!.template.spec!;
    expect(spec.containers[0]!.securityContext).toEqual({ privileged: true });
    expect(spec.hostNetwork).toBeUndefined();
    expect(spec.hostPID).toBeUndefined();
    // Only a /dev/shm as big as a host's would be (a container's is 64 MiB).
    expect(spec.volumes).toEqual([{ name: 'dev-shm', emptyDir: { medium: 'Memory', sizeLimit: '512Mi' } }]);
    expect(spec.containers[0]!.volumeMounts).toEqual([{ name: 'dev-shm', mountPath: '/dev/shm' }]);
    expect(spec.automountServiceAccountToken).toBe(false);
  });

  it("gives a Docker lab the node's engine and what the engine makes on the node: its network, process ids, layers and cgroups", () => {
    expect(podPrivileges(lab('http-1-1').requires)).toEqual({ privileged: true, hostDocker: true });
    const spec = labJob({ lab: lab('docker-isolation'), runId: '0123abcd', namespace: 'n', image: 'i' }).spec!.template.spec!;
    expect([spec.hostNetwork, spec.hostPID]).toEqual([true, true]);
    expect(spec.volumes!.slice(1)).toEqual([
      { name: 'docker', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } },
      { name: 'docker-root', hostPath: { path: '/var/lib/docker', type: 'Directory' } },
      { name: 'cgroups', hostPath: { path: '/sys/fs/cgroup', type: 'Directory' } },
    ]);
    expect(spec.containers[0]!.volumeMounts!.slice(1)).toEqual([
      { name: 'docker', mountPath: '/var/run/docker.sock' },
      { name: 'docker-root', mountPath: '/var/lib/docker', readOnly: true },
      { name: 'cgroups', mountPath: '/sys/fs/cgroup', readOnly: true },
    ]);
    expect(spec.containers[0]!.securityContext).toEqual({ privileged: true });
  });

  it('gives a lab that needs only a compiler neither', () => {
    const needsOnlyCc = labs.find((l) => l.requires.length === 1 && l.requires[0] === 'cc')!;
    expect(podPrivileges(needsOnlyCc.requires)).toEqual({ privileged: false, hostDocker: false });
  });

  it('keeps the Kubernetes labs out of Jobs, and every other lab in', () => {
    const kubernetes = labs.filter((l) => l.topic === 'k8s');
    expect(kubernetes.length).toBeGreaterThan(10);
    for (const l of kubernetes) expect(notAJob(l.requires), l.id).toMatch(/^needs kubernetes/);
    for (const l of labs.filter((l) => l.topic !== 'k8s')) expect(notAJob(l.requires), l.id).toBeUndefined();
  });

  it("labels the Job and its pod with the run and the lab, hands the pod the run's id, and never retries it", () => {
    const job = labJob({ lab: lab('tcp-lifecycle'), runId: '0123abcd', namespace: 'n', image: 'labs/project:abc', nodeSelector: { 'kubernetes.io/os': 'linux' }, args: ['--lang', 'zh'] });
    const labels = { 'io.labs.run-id': '0123abcd', 'io.labs.lab': 'tcp-lifecycle' };
    expect(job.metadata).toEqual({ name: 'lab-tcp-lifecycle', namespace: 'n', labels });
    expect(job.spec!.template.metadata!.labels).toEqual(labels);
    expect(job.spec!.backoffLimit).toBe(0);
    expect(job.spec!.activeDeadlineSeconds).toBe(Math.ceil(lab('tcp-lifecycle').timeLimitMs / 1000) + 600);
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container.env).toEqual([{ name: 'LABS_JOB_RUN_ID', value: '0123abcd' }]);
    expect(container.imagePullPolicy).toBe('Never');
    // No shell: the run itself gets the runtime's SIGTERM.
    expect(container.command).toEqual(['node', 'src/cli/labs.mjs', 'run', 'tcp-lifecycle', '--json', '--lang', 'zh']);
    expect(job.spec!.template.spec!.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
  });

  it('runs the labs that share a cluster on a host one after another with no Job beside them, and the labs marked alone last, one at a time', () => {
    const { together, chains, alone } = jobOrder(labs);
    const kafka = labs.filter((l) => l.topic === 'kafka');
    expect(kafka.length).toBeGreaterThan(3);
    expect(chains.filter((chain) => chain.some((l) => l.topic === 'kafka'))).toEqual([kafka]);
    expect(together.filter((l) => l.topic === 'kafka')).toEqual([]);
    expect(alone.map((l) => l.id)).toEqual(labs.filter((l) => l.alone).map((l) => l.id));
    expect(alone.map((l) => l.id)).toContain('os-coroutines');
    expect(together.length + chains.flat().length + alone.length).toBe(labs.length);
    expect(together.length).toBeGreaterThan(20);
  });

  it('names a Job within the 63 characters of a DNS label', () => {
    expect(jobName('a'.repeat(80))).toHaveLength(63);
    expect(jobName(`${'a'.repeat(58)}-b`)).toBe(`lab-${'a'.repeat(58)}`);
  });
});

describe("a lab's pod", () => {
  it('is finished when it has succeeded: its results are in its log', () => {
    expect(podOutcome(pod('pod-succeeded.json'), Date.now(), 30_000)).toEqual({ state: 'finished' });
    expect(containerEnd(pod('pod-succeeded.json'))).toBe('Completed, exit code 0');
    expect(containerEnd(pod('pod-unschedulable.json'))).toBeUndefined();
  });

  it('is an error, with the scheduler\'s reason, once it has been unschedulable for the grace period; waiting before', () => {
    const unschedulable = pod('pod-unschedulable.json');
    const since = new Date(unschedulable.status!.conditions![0]!.lastTransitionTime!).getTime();
    expect(podOutcome(unschedulable, since + 29_000, 30_000)).toEqual({ state: 'waiting' });
    expect(podOutcome(unschedulable, since + 30_000, 30_000)).toEqual({
      state: 'failed',
      reason: expect.stringMatching(/^not scheduled: 0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/),
    });
  });

  it('is an error when its image is not on the node', () => {
    expect(podOutcome(pod('pod-image-never-pull.json'), Date.now(), 30_000)).toEqual({ state: 'failed', reason: 'ErrImageNeverPull: Container image "labs/project:missing" is not present with pull policy of Never' });
  });

  it("is an error when its node lacks a path it mounts (a Docker lab on a kind node), not while its mounts succeed", () => {
    const events = (name: string) => JSON.parse(fixture(name)) as k8s.CoreV1Event[];
    expect(missingHostPath(events('events-docker-lab-on-kind-node.json'))).toBe(
      'its node lacks what it mounts from the node: /var/lib/docker is not a directory; /var/run/docker.sock is not a socket file',
    );
    expect(missingHostPath(events('events-network-lab-on-kind-node.json'))).toBeUndefined();
    // A volume that fails to mount for another reason (a ConfigMap not made yet) may still succeed.
    expect(missingHostPath(events('events-configmap-missing.json'))).toBeUndefined();
  });

  it('is an error when the kubelet evicted it', () => {
    const evicted = pod('pod-succeeded.json');
    evicted.status = { ...evicted.status, phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' };
    expect(podOutcome(evicted, Date.now(), 30_000)).toEqual({ state: 'failed', reason: 'pod evicted: The node was low on resource: memory.' });
  });

  it("prints the run's results after the marker, below the run's progress", () => {
    const log = fixture('pod-log-ip-header.txt');
    const parsed = resultsFromLog(log);
    if (!('report' in parsed)) throw new Error(parsed.missing);
    expect(parsed.report.runId).toBe('0123abcd');
    expect(parsed.report.labs.map((l) => [l.id, l.status, l.claims.map((c) => c.verdict)])).toEqual([['ip-header', 'passed', ['nuanced', 'confirmed', 'confirmed']]]);
  });

  it("finds the results where the log interleaved a late line of the run's stderr, and reads what resultsForRunner wrote", () => {
    const log = fixture('pod-log-ip-header.txt');
    const at = log.indexOf(RESULTS_MARKER) + RESULTS_MARKER.length + 1;
    const interleaved = `${log.slice(0, at)}✔ a late line of progress\n${log.slice(at)}`;
    expect('report' in resultsFromLog(interleaved)).toBe(true);
    const report = { runId: 'r', startedAt: 's', labs: [] };
    expect(resultsFromLog(`progress\n${resultsForRunner(JSON.stringify(report))}`)).toEqual({ report });
  });

  it('says how its log ends when it was stopped before its run printed results', () => {
    const log = fixture('pod-log-ip-header.txt');
    expect(resultsFromLog(log.slice(0, log.indexOf(RESULTS_MARKER)))).toEqual({ missing: 'the pod ended before its run did; its log ends: ✔ ip-header passed in 1.0s' });
    expect(resultsFromLog(`${log.slice(0, log.indexOf(RESULTS_MARKER))}${RESULTS_MARKER}\n`)).toEqual({ missing: "the pod's run printed no results; its log ends: ✔ ip-header passed in 1.0s" });
  });

  it('of a Job past its deadline: the Job says why', () => {
    expect(jobFailed(JSON.parse(fixture('job-deadline-exceeded.json')))).toBe('Job failed: DeadlineExceeded: Job was active longer than specified deadline');
    expect(jobFailed({ status: { active: 1 } })).toBeUndefined();
  });
});

describe("the project's image", () => {
  it('takes the production packages and the pinned runtime, once each, and no development tool', () => {
    const packages = productionPackages(readFileSync(new URL('../../node_modules/.package-lock.json', import.meta.url), 'utf8'));
    for (const name of ['node_modules/node', 'node_modules/@kubernetes/client-node', 'node_modules/dockerode', 'node_modules/mysql2', 'node_modules/zod']) expect(packages).toContain(name);
    for (const name of ['node_modules/typescript', 'node_modules/vitest', 'node_modules/playwright-core', 'node_modules/execa']) expect(packages).not.toContain(name);
    expect(packages.filter((p) => packages.some((outer) => p.startsWith(`${outer}/`)))).toEqual([]);
  });
});

describe('an image already on an existing cluster', () => {
  it('is not loaded again when every node lists its content tag, as the runtime names it', () => {
    const nodes = (JSON.parse(fixture('node-list.json')) as k8s.V1NodeList).items;
    expect(onEveryNode(nodes, 'labs/project:d8740cfa0058')).toBe(true);
    expect(onEveryNode(nodes, 'labs/project:000000000000')).toBe(false);
    expect(onEveryNode([...nodes, { metadata: { name: 'another' }, status: { images: [] } }], 'labs/project:d8740cfa0058')).toBe(false);
    expect(onEveryNode([], 'labs/project:d8740cfa0058')).toBe(false);
  });
});
