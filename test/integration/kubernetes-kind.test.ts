/**
 * The `kind` provider: the run starts a kind cluster of the project's own node image (k8s/kind, made
 * from the upstream binaries of k8s/build, nothing pulled), runs the labs that need only the API on
 * it, and deletes it, with its Docker network, when it ends; the reaper deletes a killed run's.
 */
import { existsSync } from 'node:fs';
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

  it("runs the labs that need only the API on a kind node, with the local provider's verdicts, then deletes the cluster and its network", async () => {
    const seen = new Set<string>();
    let running = true;
    const watching = (async () => {
      while (running) {
        for (const cluster of await kindClusters()) seen.add(cluster);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
    const result = await labs(['run', 'k8s-jobs', 'k8s-pods', '--cluster', 'kind', '--json', '--expect', BASELINE], { timeoutMs: 600_000 });
    running = false;
    await watching;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('verdicts match');
    const report = JSON.parse(result.stdout) as RunReport;
    expect(report.labs.map((l) => [l.id, l.status])).toEqual([['k8s-jobs', 'passed'], ['k8s-pods', 'passed']]);
    expect(report.labs[0]!.environment.kubernetes).toBe('Kubernetes v1.35.4');
    // The pods ran on the kind node from images `kind load` put there: the volume they share was written and read.
    expect(report.labs[1]!.claims.find((c) => c.id === 'k8s.pod.shared-volumes')!.verdict).toBe('confirmed');
    const cluster = `labs-${report.runId}`;
    expect([...seen]).toContain(cluster);
    expect(await kindClusters()).not.toContain(cluster);
    expect(await networkExists(cluster)).toBe(false);
  }, 600_000);

  it("deletes a killed run's cluster, network and kubeconfig when the next labs command reaps", async () => {
    const before = new Set(await kindClusters());
    const child = execa(process.execPath, [LABS, 'run', 'k8s-pod-states', '--cluster', 'kind'], { reject: false });
    try {
      let cluster = '';
      // Killed once the cluster is up and the lab is at work in it (its namespace exists).
      await until(
        async () => {
          cluster = (await kindClusters()).find((name) => !before.has(name)) ?? '';
          if (!cluster) return false;
          const kubeconfig = join(stateDir(), 'kind', cluster.replace(/^labs-/, ''), 'kubeconfig');
          if (!existsSync(kubeconfig)) return false;
          const namespaces = await execa('docker', ['exec', `${cluster}-control-plane`, 'kubectl', '--kubeconfig=/etc/kubernetes/admin.conf', 'get', 'namespaces', '-o', 'name'], { reject: false });
          return namespaces.stdout.includes('namespace/pod-states-');
        },
        300_000,
        'the run to start its kind cluster and its lab',
        1000,
      );
      child.kill('SIGKILL');
      await child;
      const runId = cluster.replace(/^labs-/, '');
      expect(await kindClusters()).toContain(cluster);
      expect((await labs(['clean'])).stdout).toContain(`kind of ${runId} removed`);
      expect(await kindClusters()).not.toContain(cluster);
      expect(await networkExists(cluster)).toBe(false);
      expect(existsSync(join(stateDir(), 'kind', runId))).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  }, 600_000);

  it('skips a lab that reads the node itself, saying why, without starting a cluster', async () => {
    const result = await labs(['run', 'k8s-services', '--cluster', 'kind', '--json']);
    expect(result.exitCode).toBe(1);
    const lab = (JSON.parse(result.stdout) as RunReport).labs[0]!;
    expect(lab.status).toBe('skipped');
    expect(lab.reason).toMatch(/^missing requirement: kubernetes-node \(the kind provider's nodes are not this host/);
  });
});
