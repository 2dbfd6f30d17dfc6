/**
 * A cluster no run started, standing in for a user's: brought up by the local provider's scripts and
 * reached the way a user's is, through a kubeconfig context, kubectl on PATH and a command that loads
 * images (here ctr import into its containerd; on a laptop `kind load docker-image {image}`). The
 * kubeconfig's current context is an unreachable decoy: a run must keep to --context.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

const K8S = new URL('../../k8s', import.meta.url).pathname;

export interface OutsideCluster {
  context: string;
  /** The user's environment: KUBECONFIG, PATH with kubectl, LABS_CLUSTER_LOAD_IMAGE. */
  env: Record<string, string>;
  kubectl(args: string[]): Promise<{ stdout: string }>;
  /** The images the load command was run for, in order. */
  loads(): string[];
  down(): Promise<void>;
}

/** `name` is not a run id the reaper knows (eight hex digits): this cluster is nobody's run, as a user's is not. */
export async function outsideCluster(name: string): Promise<OutsideCluster> {
  const clusterId = `${name}-${process.pid}`;
  const context = `labs-${clusterId}`;
  const work = mkdtempSync(join(tmpdir(), `labs-${name}-`));
  const stateDir = join(work, 'cluster');
  const build = (await execa('bash', [join(K8S, 'build/build.sh')])).stdout.trim().split('\n').pop()!;
  const up = (await execa('bash', [join(K8S, 'local/up.sh'), clusterId, stateDir], { env: { K8S_BUILD_DIR: build } })).stdout;
  const cluster = Object.fromEntries(up.split('\n').map((l) => l.match(/^([A-Z_]+)=(.*)$/)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]));
  const kubeconfig = join(work, 'kubeconfig');
  const loaded = join(work, 'loaded');
  copyFileSync(cluster.KUBECONFIG!, kubeconfig);
  const env = {
    KUBECONFIG: kubeconfig,
    PATH: `${dirname(cluster.KUBECTL!)}:${process.env.PATH}`,
    LABS_CLUSTER_LOAD_IMAGE: `echo {image} >> ${loaded} && docker save {image} | ctr --address ${cluster.CONTAINERD_ADDRESS} -n k8s.io images import -`,
  };
  await execa('kubectl', ['config', 'set-cluster', 'decoy', '--server=https://127.0.0.1:9'], { env });
  await execa('kubectl', ['config', 'set-context', 'decoy', '--cluster=decoy', '--user=admin'], { env });
  await execa('kubectl', ['config', 'use-context', 'decoy'], { env });
  return {
    context,
    env,
    loads: () => (existsSync(loaded) ? readFileSync(loaded, 'utf8').split('\n').filter(Boolean) : []),
    kubectl: async (args) => ({ stdout: (await execa('kubectl', ['--context', context, ...args], { env })).stdout }),
    down: async () => {
      await execa('bash', [join(K8S, 'local/down.sh'), clusterId, stateDir], { reject: false });
    },
  };
}
