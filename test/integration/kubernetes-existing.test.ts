/**
 * The `existing` provider on a real cluster the run did not start: a cluster brought up by the
 * local provider's scripts stands in for a user's, and the run reaches it the way it reaches theirs:
 * a kubeconfig context, kubectl on PATH and a command that loads images (here ctr import into its
 * containerd; on a laptop `kind load docker-image {image}`). Labs that need the node itself are skipped.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/core/types.ts';
import { until } from '../../src/resources/wait.ts';
import { LABS, labs } from '../helpers/cli.ts';
import { outsideCluster, type OutsideCluster } from '../helpers/outside-cluster.ts';
import { BASELINE } from '../helpers/run-lab.ts';

let cluster: OutsideCluster;
let CONTEXT: string;
let userEnv: Record<string, string>;
const kubectl = (args: string[]) => cluster.kubectl(args);

beforeAll(async () => {
  cluster = await outsideCluster('existing');
  ({ context: CONTEXT, env: userEnv } = cluster);
}, 600_000);

afterAll(async () => {
  await cluster?.down();
}, 120_000);

const runJson = async (args: string[]) => {
  const result = await labs(['run', ...args, '--context', CONTEXT, '--json', '--expect', BASELINE], { env: userEnv, timeoutMs: 600_000 });
  return { ...result, report: JSON.parse(result.stdout) as RunReport };
};

/** The phase of each namespace the run made that the cluster still has (deletion returns at once; Terminating lasts until its pods are gone). */
async function namespacePhases(runId: string): Promise<string[]> {
  return (await kubectl(['get', 'namespaces', '-l', `io.labs.run-id=${runId}`, '-o', 'jsonpath={.items[*].status.phase}'])).stdout.split(' ').filter(Boolean);
}

describe('labs run --context (the existing provider)', () => {
  it('doctor names the provider, the context and why it was chosen, and which labs it cannot run', async () => {
    const { capabilities, labs: enabled } = JSON.parse((await labs(['doctor', '--json', '--context', CONTEXT], { env: userEnv })).stdout);
    expect(capabilities.kubernetes.ok, capabilities.kubernetes.detail).toBe(true);
    expect(capabilities.kubernetes.detail).toMatch(new RegExp(`^existing provider \\(asked for, with --context ${CONTEXT}\\): context ${CONTEXT} at https://127\\.0\\.0\\.1:\\d+, Kubernetes v1\\.35\\.4;`));
    expect(capabilities['kubernetes-node']).toEqual({ ok: false, detail: expect.stringMatching(/^the existing provider's nodes are not this host/) });
    expect(enabled).toContainEqual(expect.objectContaining({ id: 'k8s-jobs', runnable: true }));
    expect(enabled).toContainEqual(expect.objectContaining({ id: 'k8s-services', runnable: false }));
  });

  it('runs the labs that need only the API on it, with the verdicts of the local provider', async () => {
    const { exitCode, stderr, report } = await runJson(['k8s-jobs', 'k8s-pods']);
    expect(exitCode, stderr).toBe(0);
    expect(stderr).toContain('verdicts match');
    expect(report.labs.map((l) => [l.id, l.status])).toEqual([['k8s-jobs', 'passed'], ['k8s-pods', 'passed']]);
    expect(report.labs[0]!.environment.kubernetes).toBe('Kubernetes v1.35.4');
    // Its pods ran from the image the load command put on the node: the volume they share was written and read.
    const volume = report.labs[1]!.claims.find((c) => c.id === 'k8s.pod.shared-volumes')!;
    expect(volume.verdict).toBe('confirmed');
    // At the end of the run none of its namespaces is left active; the cluster itself stays.
    expect(await namespacePhases(report.runId)).not.toContain('Active');
    expect((await kubectl(['get', 'nodes', '-o', 'name'])).stdout).toBe(`node/${CONTEXT}`);
  }, 600_000);

  it("deletes a killed run's namespaces when the next labs command reaps, with the kubeconfig and kubectl it recorded", async () => {
    const child = execa(process.execPath, [LABS, 'run', 'k8s-pod-states', '--context', CONTEXT], { env: userEnv, reject: false });
    try {
      let runId = '';
      await until(
        async () => {
          const active = await kubectl(['get', 'namespaces', '-o', 'jsonpath={.items[?(@.status.phase=="Active")].metadata.labels.io\\.labs\\.run-id}']);
          runId = active.stdout.split(' ').filter(Boolean)[0] ?? '';
          return runId !== '';
        },
        300_000,
        'the run to make its namespace',
        500,
      );
      child.kill('SIGKILL');
      await child;
      expect(await namespacePhases(runId)).toEqual(['Active']);
      // Not the user's shell: no KUBECONFIG, no kubectl on PATH.
      expect((await labs(['clean'])).stdout).toContain(`kubernetes-namespaces of ${runId} removed`);
      expect(await namespacePhases(runId)).not.toContain('Active');
    } finally {
      child.kill('SIGKILL');
    }
  }, 600_000);

  it('skips a lab that reads the node itself, saying why', async () => {
    const { exitCode, report } = await runJson(['k8s-services']);
    expect(exitCode).toBe(1);
    expect(report.labs[0]!.status).toBe('skipped');
    expect(report.labs[0]!.reason).toMatch(/^missing requirement: kubernetes-node \(the existing provider's nodes are not this host/);
  });
});
