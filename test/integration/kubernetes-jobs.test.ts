/**
 * `labs run --on kubernetes`: labs as Kubernetes Jobs in the project's image, with the verdicts of a
 * run on this host and the node of each; on the local provider's cluster (which the run starts) and on
 * a cluster no run started, reached by --context, where an interrupted run must leave nothing behind.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { RunReport } from '../../src/core/types.ts';
import { processStart, stateDir } from '../../src/resources/run-state.ts';
import { until } from '../../src/resources/wait.ts';
import { LABS, labs, leftovers } from '../helpers/cli.ts';
import { outsideCluster, type OutsideCluster } from '../helpers/outside-cluster.ts';
import { BASELINE } from '../helpers/run-lab.ts';

/** A process of another live run on this host, which a pod that shares the node's process ids must not take for a dead run's. */
function anotherRunsProcess(): { alive: () => boolean; stop: () => void } {
  const runId = randomBytes(4).toString('hex');
  const child = spawn('sleep', ['600'], { env: { ...process.env, LABS_RUN_ID: runId }, stdio: 'ignore' });
  const record = join(stateDir(), 'runs', `${runId}.json`);
  writeFileSync(record, JSON.stringify({ runId, pid: child.pid, processStart: processStart(child.pid!) }));
  return {
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () => {
      child.kill('SIGKILL');
      rmSync(record, { force: true });
    },
  };
}

describe('labs run --on kubernetes, on the local provider', () => {
  it('runs a network lab and a Docker lab as Jobs and a Kubernetes lab from the runner, with the verdicts of a host run', async () => {
    const bystander = anotherRunsProcess();
    onTestFinished(bystander.stop);
    const { exitCode, stderr, stdout } = await labs(['run', 'ip-header', 'http-1-1', 'k8s-scheduling', '--on', 'kubernetes', '--parallel', '2', '--json', '--expect', BASELINE], { timeoutMs: 900_000 });
    expect(exitCode, stderr).toBe(0);
    expect(stderr).toContain('verdicts match');
    const report = JSON.parse(stdout) as RunReport;
    const [ip, http, scheduling] = report.labs;
    expect(report.labs.map((l) => [l.id, l.status])).toEqual([['ip-header', 'passed'], ['http-1-1', 'passed'], ['k8s-scheduling', 'passed']]);
    // The run's one node is this host: the pods measured on its kernel, in the project's image.
    const node = `labs-${report.runId}`;
    for (const lab of [ip!, http!]) {
      expect(lab.ranOn).toEqual({ node, kernel: release(), os: expect.any(String), job: `lab-${lab.id}`, pod: expect.stringMatching(new RegExp(`^lab-${lab.id}-[a-z0-9]{5}$`)) });
      expect(lab.environment.kernel).toBe(release());
      expect(stderr).toMatch(new RegExp(`${lab.id}: pod lab-${lab.id}-[a-z0-9]{5} Running on ${node}`));
    }
    // A Kubernetes lab is about the cluster: the runner ran it there itself, not in a pod.
    expect(scheduling!.ranOn).toBeUndefined();
    expect(scheduling!.environment.kubernetes).toBe('Kubernetes v1.35.4');
    // The pod's run took the run's id: what it started on the node's Docker engine carried it, and is gone.
    expect(await leftovers(report.runId)).toEqual({ namespaces: [], processes: [], containers: [], networks: [] });
    // The Docker lab's pod saw this host's processes, and reaped none of another run's.
    expect(bystander.alive()).toBe(true);
  }, 900_000);
});

describe('labs run --on kubernetes --context (a cluster no run started)', () => {
  let cluster: OutsideCluster;
  beforeAll(async () => {
    cluster = await outsideCluster('jobs');
  }, 600_000);
  afterAll(async () => {
    await cluster?.down();
  }, 120_000);

  const runPods = async () => (await cluster.kubectl(['get', 'pods', '-A', '-l', 'io.labs.run-id', '-o', 'jsonpath={range .items[*]}{.metadata.labels.io\\.labs\\.run-id} {.status.phase}{"\\n"}{end}'])).stdout.split('\n').filter(Boolean);

  it("deletes the run's Jobs at an interrupt, after their pods have disposed of what they made", async () => {
    const child = execa(process.execPath, [LABS, 'run', 'http-1-1', 'tcp-lifecycle', '--on', 'kubernetes', '--parallel', '2', '--context', cluster.context], { env: cluster.env, reject: false });
    try {
      let runId = '';
      await until(
        async () => {
          const running = (await runPods()).filter((line) => line.endsWith(' Running'));
          runId = running[0]?.split(' ')[0] ?? '';
          return running.length === 2;
        },
        300_000,
        'both pods to run',
        500,
      );
      // Both labs are under way: containers on the node's engine, namespaces in the other pod.
      await until(async () => (await leftovers(runId)).containers.length > 0, 60_000, 'the Docker lab to start its containers', 200);
      child.kill('SIGINT');
      const { exitCode, stderr } = await child;
      expect(exitCode, stderr).toBe(130);
      expect(stderr).toMatch(/✘ http-1-1 error in .*: interrupted/);
      expect(await runPods()).toEqual([]);
      expect((await cluster.kubectl(['get', 'jobs', '-A', '-l', `io.labs.run-id=${runId}`, '-o', 'name'])).stdout).toBe('');
      expect((await cluster.kubectl(['get', 'namespaces', '-l', `io.labs.run-id=${runId}`, '-o', 'jsonpath={.items[*].status.phase}'])).stdout).not.toContain('Active');
      expect(await leftovers(runId)).toEqual({ namespaces: [], processes: [], containers: [], networks: [] });
    } finally {
      child.kill('SIGKILL');
    }
  }, 600_000);

  it('reports a lab whose pod no node takes as an error with the reason the scheduler gave, not as verdicts', async () => {
    // The kubelet lists a node's images in its status within about 40 s of their import.
    const listed = async () => (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].status.images[*].names}'])).stdout.includes('labs/project:');
    await until(listed, 120_000, "the node's status to list the project's image", 1000);
    const { exitCode, stdout } = await labs(['run', 'ip-header', '--on', 'kubernetes', '--node-selector', 'labs.io/kernel=none', '--context', cluster.context, '--json'], { env: cluster.env, timeoutMs: 300_000 });
    expect(exitCode).toBe(1);
    const [lab] = (JSON.parse(stdout) as RunReport).labs;
    expect(lab!.status).toBe('error');
    expect(lab!.claims).toEqual([]);
    expect(lab!.reason).toMatch(/^not scheduled: 0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/);
    expect(await runPods()).toEqual([]);
    // The node listed the project's image (tagged by content) from the run before: it was loaded once.
    expect(cluster.loads().filter((image) => image.startsWith('labs/project:'))).toHaveLength(1);
  }, 300_000);
});
