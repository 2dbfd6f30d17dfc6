/**
 * A real Kubernetes cluster for the Kubernetes labs of a run, from one of three providers
 * (src/resources/kube-provider.ts). `local`: one node built from upstream v1.35.4 (k8s/build/build.sh,
 * cached) and brought up on this host by k8s/local/up.sh in the manner of Kubernetes' own
 * hack/local-up-cluster.sh; taken down by k8s/local/down.sh, which undoes every change on the host.
 * `kind`: a kind cluster of a node image built from the same binaries (k8s/kind), deleted with it.
 * `existing`: the cluster of a kubeconfig context, which the run only adds namespaces to. Started (or
 * reached) once per run and shared; each lab works in namespaces of its own, deleted when it ends.
 * The API is spoken with @kubernetes/client-node.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { cancellable, uncancellable } from '../resources/cancel.ts';
import { ensureImage } from '../resources/images.ts';
import { until } from '../resources/wait.ts';
import { existingKubectl, kubeProvider, reachExisting, type KubeProvider } from '../resources/kube-provider.ts';
import { exec } from '../resources/process.ts';
import { LAB_LABEL, RUN_ID_ENV, RUN_LABEL, stateDir } from '../resources/run-state.ts';
import type { Scope } from '../resources/scope.ts';
import type { SharedResource } from '../resources/shared.ts';
import { recordTeardown } from '../resources/teardown.ts';

const K8S_DIR = fileURLToPath(new URL('../../k8s', import.meta.url));
export const NAMESPACE_LABEL = LAB_LABEL;

export interface KubeCluster {
  /**
   * KEY=value lines up.sh printed: KUBECONFIG, NODE_NAME, NODE_IP, POD_CIDR, SERVICE_CIDR, timings, …
   * (local provider); CONTEXT, KUBECONFIG, NODE_NAME, NODE_IMAGE, POD_CIDR, CREATE_MS, READY_MS (kind);
   * CONTEXT and API_SERVER (existing).
   */
  readonly env: Record<string, string>;
  readonly version: string;
  readonly config: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly discovery: k8s.DiscoveryV1Api;
  readonly batch: k8s.BatchV1Api;
  readonly storage: k8s.StorageV1Api;
  /** Runs the cluster's own kubectl (the local provider's build; kubectl on PATH for an existing cluster). */
  kubectl(args: string[]): Promise<string>;
  /**
   * Puts an image of this project (docker/<name>, or what `build` makes and names) into every node's
   * runtime, once per run; returns its reference (use imagePullPolicy: Never).
   */
  loadImage(name: string, build?: () => Promise<string>): Promise<string>;
  /**
   * Adds worker node `index` (k8s/local/join.sh: its own network namespace, containerd, kubelet and
   * kube-proxy, a VXLAN overlay to the first node), tainted labs.io/worker=true:NoSchedule. It leaves
   * (k8s/local/leave.sh, then its Node object is deleted) when `scope` closes, unless `leave` ran first.
   * `images` (docker/<name>) are in its containerd before its kubelet starts.
   */
  joinWorker(scope: Scope, index: number, options?: { images?: string[] }): Promise<WorkerNode>;
  /** A namespace for one lab, deleted (with everything in it) when `scope` closes. */
  namespace(scope: Scope, name: string): Promise<string>;
}

export interface WorkerNode {
  /** KEY=value lines join.sh printed: WORKER_NAME, WORKER_IP, WORKER_POD_CIDR, WORKER_NETNS, WORKER_UNDERLAY, WORKER_OVERLAY, JOIN_TO_READY_MS, … */
  readonly env: Record<string, string>;
  readonly name: string;
  /** Takes the node away as a machine leaving would go (its processes, pods and links); the Node object stays. */
  leave(): Promise<void>;
}

export const WORKER_TAINT = { key: 'labs.io/worker', value: 'true', effect: 'NoSchedule' } as const;

/** Builds the binaries unless the cache has them (a no-op then); returns the build directory. */
export async function buildKubernetes(): Promise<string> {
  return (await exec('bash', [join(K8S_DIR, 'build/build.sh')], { timeoutMs: 3_600_000 })).trim().split('\n').pop()!;
}

/** What the build's binaries say they are ("Kubernetes v1.35.4"), as both providers that run them report it. */
async function builtVersion(build: string): Promise<string> {
  return (await exec(join(build, 'bin/kube-apiserver'), ['--version'])).trim();
}

function parseEnv(output: string): Record<string, string> {
  return Object.fromEntries(output.split('\n').map((line) => line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]));
}

/** Shared by every lab of the run: not cancelled with the lab that asked first, forgotten if it fails. */
function once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (!value) {
    const made = uncancellable(make);
    made.catch(() => cache.get(key) === made && cache.delete(key));
    cache.set(key, made);
    value = made;
  }
  return value;
}

type Connection = Pick<KubeCluster, 'env' | 'version' | 'config' | 'kubectl' | 'loadImage' | 'joinWorker'>;

/** The API clients and per-lab namespaces, the same whichever provider made the cluster. */
function connect(runId: string, connection: Connection): KubeCluster {
  const { config } = connection;
  const core = config.makeApiClient(k8s.CoreV1Api);
  return {
    ...connection,
    core,
    apps: config.makeApiClient(k8s.AppsV1Api),
    discovery: config.makeApiClient(k8s.DiscoveryV1Api),
    batch: config.makeApiClient(k8s.BatchV1Api),
    storage: config.makeApiClient(k8s.StorageV1Api),
    async namespace(owner, name) {
      const full = `${name}-${runId}`;
      await cancellable(core.createNamespace({ body: { metadata: { name: full, labels: { [NAMESPACE_LABEL]: name, [RUN_LABEL]: runId } } } }));
      owner.defer(`namespace ${full}`, async () => {
        await core.deleteNamespace({ name: full, gracePeriodSeconds: 0 }).catch(() => undefined);
      });
      return full;
    },
  };
}

async function startLocal(scope: Scope, runId: string): Promise<KubeCluster> {
  const build = await buildKubernetes();
  const dir = join(stateDir(), 'k8s', runId);
  mkdirSync(join(stateDir(), 'k8s'), { recursive: true });
  const down = ['bash', join(K8S_DIR, 'local/down.sh'), runId, dir];
  const forget = recordTeardown(runId, 'kubernetes', down);
  scope.defer(`kubernetes cluster ${runId}`, async () => {
    await exec(down[0]!, down.slice(1), { timeoutMs: 120_000, signal: AbortSignal.timeout(120_000) });
    forget();
  });
  const env = parseEnv(await exec('bash', [join(K8S_DIR, 'local/up.sh'), runId, dir], { timeoutMs: 180_000, env: { K8S_BUILD_DIR: build } }));
  const config = new k8s.KubeConfig();
  config.loadFromFile(env.KUBECONFIG!);
  const kubectl = (args: string[]) => exec(env.KUBECTL!, args, { env: { KUBECONFIG: env.KUBECONFIG!, KUBECACHEDIR: env.KUBECACHEDIR ?? join(dir, 'kubectl-cache') } });
  const version = await builtVersion(build);
  const built = new Map<string, Promise<string>>();
  const imported = new Map<string, Promise<string>>();
  const importImage = (address: string, name: string, build: () => Promise<string>) =>
    once(imported, `${address}\0${name}`, async () => {
      const tag = await once(built, name, build);
      await exec('sh', ['-c', `docker save '${tag}' | ctr --address '${address}' -n k8s.io images import -`], { timeoutMs: 300_000 });
      return tag;
    });
  const containerds = [env.CONTAINERD_ADDRESS!];
  const core = config.makeApiClient(k8s.CoreV1Api);
  return connect(runId, {
    env,
    version,
    config,
    kubectl,
    loadImage(name, build = () => ensureImage(name)) {
      return Promise.all(containerds.map((address) => importImage(address, name, build))).then((tags) => tags[0]!);
    },
    async joinWorker(owner, index, options = {}) {
      const images = options.images ?? [];
      // The archives live only until join.sh has imported them (the state dir may be in memory).
      const archiveDir = mkdtempSync(join(tmpdir(), `labs-${runId}-images-`));
      let workerEnv: Record<string, string>;
      try {
        const archives = await Promise.all(
          images.map(async (name) => {
            const file = join(archiveDir, `${name}.tar`);
            await exec('docker', ['save', '-o', file, await once(built, name, () => ensureImage(name))], { timeoutMs: 300_000 });
            return file;
          }),
        );
        workerEnv = parseEnv(await exec('bash', [join(K8S_DIR, 'local/join.sh'), dir, String(index)], { timeoutMs: 120_000, env: { K8S_WORKER_IMAGES: archives.join(':') } }));
      } finally {
        rmSync(archiveDir, { recursive: true, force: true });
      }
      const name = workerEnv.WORKER_NAME!;
      const address = workerEnv.WORKER_CONTAINERD_ADDRESS!;
      for (const image of images) imported.set(`${address}\0${image}`, built.get(image)!);
      containerds.push(address);
      let left: Promise<void> | undefined;
      const leave = () =>
        (left ??= uncancellable(async () => {
          // No new imports into it; those under way finish (or fail) before its containerd goes.
          containerds.splice(containerds.indexOf(address), 1);
          const ours = [...imported.entries()].filter(([key]) => key.startsWith(`${address}\0`));
          await Promise.allSettled(ours.map(([, image]) => image));
          for (const [key] of ours) imported.delete(key);
          await exec('bash', [join(K8S_DIR, 'local/leave.sh'), dir, String(index)], { timeoutMs: 60_000 });
        }));
      owner.defer(`worker node ${name}`, async () => {
        await leave();
        await core.deleteNode({ name }).catch(() => undefined);
      });
      return { env: workerEnv, name, leave };
    },
  });
}

/**
 * The cluster of a kubeconfig context. The run adds only namespaces (labelled with the run id; the
 * reaper deletes a dead run's); images go in with the user's own command (kind load, minikube image load).
 */
async function startExisting(scope: Scope, runId: string, provider: Extract<KubeProvider, { name: 'existing' }>): Promise<KubeCluster> {
  const reached = await reachExisting(provider);
  // Pinned to the context reached, whatever the kubeconfig's current context becomes during the run.
  const kubectl = existingKubectl(reached.kubectl, reached.context);
  // Deletes whatever namespaces of the run are left: at the end of the run, or by the reaper after a crash.
  const cleanup = ['env', `KUBECONFIG=${reached.kubeconfig}`, reached.kubectl, '--context', reached.context, '--request-timeout=10s', 'delete', 'namespaces', '-l', `${RUN_LABEL}=${runId}`, '--ignore-not-found', '--wait=false'];
  const forget = recordTeardown(runId, 'kubernetes-namespaces', cleanup);
  scope.defer(`namespaces of run ${runId} on ${reached.context}`, async () => {
    await exec(cleanup[0]!, cleanup.slice(1), { timeoutMs: 30_000, signal: AbortSignal.timeout(30_000) });
    forget();
  });
  const config = new k8s.KubeConfig();
  config.loadFromDefault();
  config.setCurrentContext(reached.context);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const loaded = new Map<string, Promise<string>>();
  return connect(runId, {
    env: { CONTEXT: reached.context, API_SERVER: reached.server },
    version: reached.version,
    config,
    kubectl,
    loadImage: (name, build = () => ensureImage(name)) =>
      once(loaded, name, async () => {
        const tag = await build();
        // The tag is a hash of the content: an image every node already lists need not be loaded again.
        if (!onEveryNode((await core.listNode()).items, tag)) await exec('sh', ['-c', provider.loadImage!.replaceAll('{image}', `'${tag}'`)], { timeoutMs: 600_000 });
        return tag;
      }),
    joinWorker: () => Promise.reject(new Error(`the existing provider cannot add nodes to ${reached.context}: use --cluster local`)),
  });
}

/** Whether every node's status lists the image (as the runtime names it: docker.io/ before a bare name). */
export function onEveryNode(nodes: k8s.V1Node[], tag: string): boolean {
  const names = [tag, `docker.io/${tag}`];
  return nodes.length > 0 && nodes.every((node) => node.status?.images?.some((image) => image.names?.some((n) => names.includes(n))));
}

/** The node image of the kind provider (k8s/kind/node-image.sh: built once, from the binaries of `build`). */
export async function kindNodeImage(build: string): Promise<string> {
  return (await exec('bash', [join(K8S_DIR, 'kind/node-image.sh'), build], { timeoutMs: 1_200_000 })).trim().split('\n').pop()!;
}

/** The bridge CNI configuration of a kind node: its pod subnet, otherwise the local provider's (k8s/local/up.sh). */
function kindNodeCni(podCidr: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'labs-kind',
    plugins: [
      { type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: true, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet: podCidr }]], routes: [{ dst: '0.0.0.0/0' }] } },
      { type: 'portmap', capabilities: { portMappings: true }, externalSetMarkChain: 'KUBE-MARK-MASQ' },
      { type: 'firewall' },
    ],
  });
}

/**
 * A kind cluster of one node, of the project's own node image (the same upstream binaries as the
 * local provider's, no registry needed). Deleted with `kind delete cluster` when the run ends, or by
 * the reaper after a crash. Its node is a container: labs that read or change a node refuse here.
 */
async function startKind(scope: Scope, runId: string): Promise<KubeCluster> {
  const build = await buildKubernetes();
  const image = await kindNodeImage(build);
  const kind = join(build, 'bin/kind');
  const name = `labs-${runId}`;
  const dir = join(stateDir(), 'kind', runId);
  mkdirSync(dir, { recursive: true });
  const kubeconfig = join(dir, 'kubeconfig');
  const remove = ['bash', join(K8S_DIR, 'kind/down.sh'), kind, name, dir];
  const forget = recordTeardown(runId, 'kind', remove);
  scope.defer(`kind cluster ${name}`, async () => {
    await exec(remove[0]!, remove.slice(1), { timeoutMs: 120_000, signal: AbortSignal.timeout(120_000) });
    forget();
  });
  const etcd = readFileSync(join(build, 'versions'), 'utf8').match(/^etcd=(.*)$/m)![1]!;
  const config = join(dir, 'cluster.yaml');
  writeFileSync(config, readFileSync(join(K8S_DIR, 'kind/cluster.yaml'), 'utf8').replaceAll('{etcd}', etcd));
  const started = Date.now();
  // A Docker network of its own (kind's is shared by every kind cluster and outlives them).
  // Labelled with the run id, as the reaper kills a dead run's processes before its teardowns.
  await exec(kind, ['create', 'cluster', '--name', name, '--image', image, '--config', config, '--kubeconfig', kubeconfig], { timeoutMs: 600_000, env: { KIND_EXPERIMENTAL_DOCKER_NETWORK: name, [RUN_ID_ENV]: runId } });
  const created = Date.now();
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const node = `${name}-control-plane`;
  // The controller manager gives the node its pod subnet a moment after it registers.
  let podCidr = '';
  await until(async () => Boolean((podCidr = (await core.readNode({ name: node })).spec?.podCIDR ?? '')), 60_000, `a pod subnet for node ${node}`, 200);
  await exec('docker', ['exec', '-i', node, 'sh', '-c', 'cat > /etc/cni/net.d/10-labs-kind.conflist'], { input: kindNodeCni(podCidr) });
  await until(async () => isNodeReady(await core.readNode({ name: node })), 120_000, `node ${node} Ready`, 500);
  const kubectl = (args: string[]) => exec(join(build, 'bin/kubectl'), args, { env: { KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'kubectl-cache') } });
  const loaded = new Map<string, Promise<string>>();
  return connect(runId, {
    env: { CONTEXT: `kind-${name}`, KUBECONFIG: kubeconfig, NODE_NAME: node, NODE_IMAGE: image, POD_CIDR: podCidr, CREATE_MS: String(created - started), READY_MS: String(Date.now() - started) },
    version: await builtVersion(build),
    config: kubeConfig,
    kubectl,
    loadImage: (imageName, make = () => ensureImage(imageName)) =>
      once(loaded, imageName, async () => {
        const tag = await make();
        await exec(kind, ['load', 'docker-image', tag, '--name', name], { timeoutMs: 600_000 });
        return tag;
      }),
    joinWorker: () => Promise.reject(new Error(`the kind provider's cluster has one node and adds none: worker nodes need --cluster local`)),
  });
}

async function startCluster(scope: Scope, runId: string): Promise<KubeCluster> {
  const provider = kubeProvider();
  if (provider.name === 'local') return startLocal(scope, runId);
  if (provider.name === 'kind') return startKind(scope, runId);
  return startExisting(scope, runId, provider);
}

/** The run's Kubernetes cluster, started (or reached) by its first Kubernetes lab: the local provider's, a kind cluster, or an existing one. */
export const kubernetesCluster: SharedResource<KubeCluster> = {
  key: 'kubernetes',
  // The same whichever provider: `labs list` keeps it in its index; `labs doctor` names the provider.
  describe: "the run's Kubernetes cluster (local provider: one v1.35 node built from upstream; a kind cluster of the same binaries with --cluster kind; or a kubeconfig's with --cluster existing)",
  start: startCluster,
};

const ready = (conditions: { type: string; status: string }[] | undefined) => conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Whether a node's Ready condition is True. */
function isNodeReady(node: k8s.V1Node): boolean {
  return ready(node.status?.conditions);
}

/** Whether a pod's Ready condition is True (its readiness probe, if any, passes). */
export function isPodReady(pod: k8s.V1Pod): boolean {
  return ready(pod.status?.conditions);
}

/** The apiserver's refusal carried by a failed call: HTTP status, reason and message (rethrows anything else). */
export function apiRefusal(error: unknown): { code: number; reason: string; message: string } {
  if (!(error instanceof k8s.ApiException)) throw error;
  const body = typeof error.body === 'string' ? JSON.parse(error.body || '{}') : (error.body ?? {});
  return { code: error.code, reason: body.reason ?? '', message: body.message ?? '' };
}

/** The values an apiserver's "Unsupported value" refusal lists as supported (none when it lists none). */
export function supportedValues(message: string): string[] {
  const list = message.match(/supported values: (.*)$/m)?.[1] ?? '';
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}
