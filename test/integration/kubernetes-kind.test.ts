/**
 * The `kind` provider: the run starts a kind cluster of the project's own node image (k8s/kind, made
 * from the upstream binaries of k8s/build, nothing pulled), runs the labs that need only the API on
 * it and others as Jobs on its node (--on kubernetes), and deletes it, with its Docker network, when
 * it ends; the reaper deletes a killed run's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/core/types.ts';
import { stateDir } from '../../src/resources/run-state.ts';
import { until } from '../../src/resources/wait.ts';
import { LABS, labs } from '../helpers/cli.ts';
import { BASELINE } from '../helpers/run-lab.ts';

const KIND_LABEL = 'io.x-k8s.kind.cluster';

/** The kind clusters that have node containers now (running or not). */
async function kindClusters(): Promise<string[]> {
  const { stdout } = await execa('docker', ['ps', '-a', '--filter', `label=${KIND_LABEL}`, '--format', `{{.Label "${KIND_LABEL}"}}`]);
  return [...new Set(stdout.split('\n').filter(Boolean))];
}

const networkExists = async (name: string) => (await execa('docker', ['network', 'inspect', name], { reject: false })).exitCode === 0;

describe('labs run --cluster kind', () => {
  it('doctor names the provider, and the labs that need the node itself are not runnable', async () => {
    const { capabilities, labs: enabled } = JSON.parse((await labs(['doctor', '--json', '--cluster', 'kind'])).stdout);
    expect(capabilities.kubernetes.ok, capabilities.kubernetes.detail).toBe(true);
    expect(capabilities.kubernetes.detail).toMatch(/^kind provider \(asked for with --cluster kind\): one node, a container of the node image k8s\/kind builds from Kubernetes v1\.35\.4 built from upstream/);
    expect(capabilities['kubernetes-node']).toEqual({ ok: false, detail: expect.stringMatching(/^the kind provider's nodes are not this host/) });
    expect(enabled).toContainEqual(expect.objectContaining({ id: 'k8s-pods', runnable: true }));
    expect(enabled).toContainEqual(expect.objectContaining({ id: 'k8s-probes', runnable: false }));
  });

  it("runs the labs that need only the API on a kind cluster and others as Jobs on its node, with the local provider's verdicts, then deletes the cluster and its network", async () => {
    const seen = new Set<string>();
    let running = true;
    const watching = (async () => {
      while (running) {
        for (const cluster of await kindClusters()) seen.add(cluster);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
    const result = await labs(['run', 'k8s-jobs', 'k8s-pods', 'ip-header', 'http-1-1', '--on', 'kubernetes', '--cluster', 'kind', '--json'], { timeoutMs: 900_000 });
    running = false;
    await watching;
    const report = JSON.parse(result.stdout) as RunReport;
    const lab = (id: string) => report.labs.find((l) => l.id === id)!;
    const node = `labs-${report.runId}-control-plane`;
    expect(report.labs.map((l) => [l.id, l.status, l.ranOn?.node]), result.stderr).toEqual([
      ['k8s-jobs', 'passed', undefined],
      ['k8s-pods', 'passed', undefined],
      ['ip-header', 'passed', node],
      ['http-1-1', 'error', node],
    ]);
    const baseline = JSON.parse(readFileSync(BASELINE, 'utf8')) as Record<string, unknown>;
    for (const claim of ['k8s-jobs', 'k8s-pods', 'ip-header'].flatMap((id) => lab(id).claims)) expect([claim.id, claim.verdict]).toEqual([claim.id, baseline[claim.id]]);
    expect(lab('k8s-jobs').environment.kubernetes).toBe('Kubernetes v1.35.4');
    // The kubelet reports each failed mount in an event of its own; the first seen ends the Job.
    expect(lab('http-1-1').reason).toMatch(/^its node lacks what it mounts from the node: .*(\/var\/lib\/docker is not a directory|\/var\/run\/docker\.sock is not a socket file)/);
    const cluster = `labs-${report.runId}`;
    expect([...seen]).toContain(cluster);
    expect(await kindClusters()).not.toContain(cluster);
    expect(await networkExists(cluster)).toBe(false);
  }, 900_000);

  /** Whether the cluster's node has the lab's namespace: the run is at work in its cluster. */
  const labAtWork = async (cluster: string) =>
    (await execa('docker', ['exec', `${cluster}-control-plane`, 'kubectl', '--kubeconfig=/etc/kubernetes/admin.conf', 'get', 'namespaces', '-o', 'name'], { reject: false })).stdout.includes('namespace/pod-states-');
  /** Whether `kind create` is still at work: its node container runs, and it has not written the kubeconfig yet. */
  const kindCreating = async (cluster: string) =>
    !existsSync(join(stateDir(), 'kind', cluster.replace(/^labs-/, ''), 'kubeconfig')) &&
    (await execa('docker', ['inspect', '-f', '{{.State.Running}}', `${cluster}-control-plane`], { reject: false })).stdout === 'true';

  it.each([
    ['while kind create is still at work (it is killed too)', kindCreating],
    ['with the lab at work in the cluster', labAtWork],
  ])("deletes a run's cluster, network and kubeconfig when the next labs command reaps, the run killed %s", async (_, moment) => {
    const before = new Set(await kindClusters());
    const child = execa(process.execPath, [LABS, 'run', 'k8s-pod-states', '--cluster', 'kind'], { reject: false });
    try {
      let cluster = '';
      await until(
        async () => {
          cluster = (await kindClusters()).find((name) => !before.has(name)) ?? '';
          return cluster !== '' && (await moment(cluster));
        },
        300_000,
        'the moment to kill the run',
        250,
      );
      child.kill('SIGKILL');
      await child;
      const runId = cluster.replace(/^labs-/, '');
      expect(await kindClusters()).toContain(cluster);
      expect((await labs(['clean'])).stdout).toContain(`kind of ${runId} removed`);
      expect((await execa('pgrep', ['-f', `kind create cluster --name ${cluster}`], { reject: false })).stdout).toBe('');
      expect(await kindClusters()).not.toContain(cluster);
      expect(await networkExists(cluster)).toBe(false);
      expect(existsSync(join(stateDir(), 'kind', runId))).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  }, 600_000);

  it('skips a lab that reads the node itself, saying why', async () => {
    const result = await labs(['run', 'k8s-services', '--cluster', 'kind', '--json']);
    expect(result.exitCode).toBe(1);
    const lab = (JSON.parse(result.stdout) as RunReport).labs[0]!;
    expect(lab.status).toBe('skipped');
    expect(lab.reason).toMatch(/^missing requirement: kubernetes-node \(the kind provider's nodes are not this host/);
  });
});
