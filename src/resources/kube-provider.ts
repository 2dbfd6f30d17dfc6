/**
 * Which Kubernetes cluster a run's Kubernetes labs use. `local` (the default): a cluster built from
 * upstream and started on this host, so that labs can read and break its node. `kind`: a kind
 * cluster of the project's own node image, made from the same upstream binaries; its node is a
 * container, not this host. `existing`: the cluster a kubeconfig context points to (a laptop's kind
 * or minikube, a test cluster). Labs that need the node itself refuse on both. Chosen with
 * `--cluster` and `--context`, which the command line turns into LABS_CLUSTER and
 * LABS_CLUSTER_CONTEXT so that every process of the run sees the same.
 */
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { exec } from './process.ts';

export const PROVIDERS = ['local', 'kind', 'existing'] as const;
export const PROVIDER_CHOICES = `${PROVIDERS.slice(0, -1).join(', ')} or ${PROVIDERS.at(-1)}`;

/** The command, run by `sh -c` with {image} replaced, that puts a local image into every node of an existing cluster. */
export const LOAD_IMAGE_VARIABLE = 'LABS_CLUSTER_LOAD_IMAGE';

export type KubeProvider = { name: 'local'; why: string } | { name: 'kind'; why: string } | { name: 'existing'; why: string; context: string | undefined; loadImage: string | undefined };

export function kubeProvider(env: NodeJS.ProcessEnv = process.env): KubeProvider {
  const context = env.LABS_CLUSTER_CONTEXT || undefined;
  const name = env.LABS_CLUSTER || (context ? 'existing' : 'local');
  if (name === 'local') return { name, why: "the default; --cluster kind, --cluster existing or --context NAME uses another cluster" };
  if (name === 'kind') return { name, why: 'asked for with --cluster kind' };
  if (name !== 'existing') throw new Error(`LABS_CLUSTER is "${name}"; it takes ${PROVIDER_CHOICES}`);
  return { name, why: context ? `asked for, with --context ${context}` : 'asked for (--cluster existing), with the kubeconfig\'s current context', context, loadImage: env[LOAD_IMAGE_VARIABLE] || undefined };
}

/** kubectl for an existing cluster, pinned to one context (the kubeconfig as the user has it). */
export function existingKubectl(kubectl: string, context: string | undefined): (args: string[], options?: { timeoutMs?: number }) => Promise<string> {
  const flag = context ? ['--context', context] : [];
  return (args, options) => exec(kubectl, [...flag, ...args], { timeoutMs: options?.timeoutMs });
}

export interface ExistingCluster {
  context: string;
  server: string;
  version: string;
  /** kubectl's absolute path and the kubeconfig files as absolute paths: what a reaper in another shell needs. */
  kubectl: string;
  kubeconfig: string;
}

/** The kubeconfig files kubectl reads (KUBECONFIG, else ~/.kube/config), as absolute paths. */
function kubeconfigFiles(): string {
  const files = process.env.KUBECONFIG ? process.env.KUBECONFIG.split(delimiter).filter(Boolean) : [join(homedir(), '.kube', 'config')];
  return files.map((file) => resolve(file)).join(delimiter);
}

const reached = new Map<string, Promise<ExistingCluster>>();

/** Reaches the existing cluster (once per process: the capability probe and the run ask alike): its context, API server and version, or an error saying what is missing. */
export function reachExisting(provider: Extract<KubeProvider, { name: 'existing' }>): Promise<ExistingCluster> {
  const key = JSON.stringify(provider);
  let reaching = reached.get(key);
  if (!reaching) reached.set(key, (reaching = reachCluster(provider)));
  return reaching;
}

async function reachCluster(provider: Extract<KubeProvider, { name: 'existing' }>): Promise<ExistingCluster> {
  if (!provider.loadImage?.includes('{image}')) {
    throw new Error(`the existing provider needs ${LOAD_IMAGE_VARIABLE}, a command that puts a local image {image} into every node (kind: "kind load docker-image {image} --name NAME"; minikube: "minikube image load {image}"; k3d: "k3d image import {image} -c NAME")`);
  }
  const path = (await exec('sh', ['-c', 'command -v kubectl']).catch(() => Promise.reject(new Error('the existing provider needs kubectl on PATH')))).trim();
  const kubectl = existingKubectl(path, provider.context);
  const reach = async (args: string[], what: string) => {
    try {
      return await kubectl(args, { timeoutMs: 15_000 });
    } catch (error) {
      throw new Error(`kubectl cannot ${what}${provider.context ? ` of context ${provider.context}` : ''}: ${(error as Error).message.split('\n').at(-1)}`);
    }
  };
  const view = JSON.parse(await reach(['config', 'view', '--minify', '-o', 'json'], 'read the kubeconfig')) as { 'current-context'?: string; clusters?: { cluster?: { server?: string } }[] };
  const version = JSON.parse(await reach(['version', '-o', 'json', '--request-timeout=5s'], 'reach the API server')) as { serverVersion?: { gitVersion?: string } };
  return {
    context: provider.context ?? view['current-context'] ?? '',
    server: view.clusters?.[0]?.cluster?.server ?? '',
    version: `Kubernetes ${version.serverVersion?.gitVersion ?? 'unknown'}`,
    kubectl: path,
    kubeconfig: kubeconfigFiles(),
  };
}
