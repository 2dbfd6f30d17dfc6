/** Probes what this machine can do; labs declare what they need from this list. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CAPABILITIES, type Capability } from './lab.ts';
import { debianPackageVersion, goCommand, toolVersion } from '../observers/environment.ts';
import { exec, execOutcome, spawnLabelled } from '../resources/process.ts';
import { Scope } from '../resources/scope.ts';
import { deleteNetns } from '../resources/netns.ts';
import { docker } from '../resources/docker.ts';
import { DEBIAN_IMAGE } from '../resources/images.ts';
import { nfqueueHelper } from '../resources/impairment.ts';
import { SCAPY_PYTHON } from '../resources/scapy.ts';
import { quicPeerBinary, quicPeerVersion } from '../resources/quic-peer.ts';
import { kubeProvider, LOAD_IMAGE_VARIABLE, reachExisting } from '../resources/kube-provider.ts';

export interface Probe {
  ok: boolean;
  detail: string;
}

export type Capabilities = Record<Capability, Probe>;

const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';

async function probe(fn: () => Promise<string>): Promise<Probe> {
  try {
    return { ok: true, detail: firstLine(await fn()) };
  } catch (error) {
    return { ok: false, detail: firstLine((error as Error).message) };
  }
}

/** Runs `fn` inside a throw-away network namespace. */
async function inProbeNetns<T>(fn: (netns: string) => Promise<T>): Promise<T> {
  const netns = `labs-probe-${process.pid}-${Date.now() % 100000}`;
  await exec('ip', ['netns', 'add', netns]);
  try {
    return await fn(netns);
  } finally {
    await deleteNetns(netns);
  }
}

async function probeDocker(): Promise<string> {
  const version = await (await docker()).version();
  return `Docker Engine ${version.Version} (API ${version.ApiVersion}) at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}`;
}

/** Kubernetes built from upstream (k8s/build, cached). Probing never builds: a machine that has not built it is told how. */
async function probeKubernetesBuild(): Promise<string> {
  const check = await execOutcome('bash', [fileURLToPath(new URL('../../k8s/build/build.sh', import.meta.url)), '--check']);
  if (check.exitCode !== 0) throw new Error(check.stderr.split('\n')[0]);
  const build = check.stdout.trim();
  return `${(await exec(`${build}/bin/kube-apiserver`, ['--version'])).trim()} built from upstream in ${build}`;
}

/** The run's cluster: the `local` provider's (the build, root, a containerd and runc to run it, the CNI plugins) or an existing one. */
async function probeKubernetes(): Promise<string> {
  const provider = kubeProvider();
  if (provider.name === 'existing') {
    const cluster = await reachExisting(provider);
    return `existing provider (${provider.why}): context ${cluster.context} at ${cluster.server}, ${cluster.version}; images go in with ${LOAD_IMAGE_VARIABLE}; labs that read or change a node itself are skipped`;
  }
  if (provider.name === 'kind') return probeKind(provider.why);
  for (const need of ['root', 'kubernetes-build'] as const) {
    const probed = await probeOne(need);
    if (!probed.ok) throw new Error(`local provider: ${need}: ${probed.detail}`);
  }
  for (const tool of ['containerd', 'runc', 'ctr']) await exec('sh', ['-c', `command -v ${tool}`]).catch(() => Promise.reject(new Error(`${tool} is missing (Debian package containerd / runc)`)));
  if (!existsSync('/usr/lib/cni/bridge')) throw new Error('the CNI plugins are missing (Debian package containernetworking-plugins)');
  return `local provider (${provider.why}): one node on this host plus worker nodes on demand, ${(await probeOne('kubernetes-build')).detail}; ${firstLine(await exec('containerd', ['--version']))}`;
}

/** kind runs its nodes as privileged containers of the Docker engine, from the node image built from the upstream binaries. */
async function probeKind(why: string): Promise<string> {
  for (const need of ['docker', 'kubernetes-build'] as const) {
    const probed = await probeOne(need);
    if (!probed.ok) throw new Error(`kind provider: ${need}: ${probed.detail}`);
  }
  const privileged = await execOutcome('docker', ['run', '--rm', '--privileged', '--pull', 'never', '--network', 'none', DEBIAN_IMAGE, 'true']);
  if (privileged.exitCode !== 0) {
    throw new Error(`kind provider: this Docker engine cannot start a privileged container, as kind's nodes are (on a host that withholds capabilities, an engine that make setup starts can): ${firstLine(privileged.stderr.replace(/^docker: /, ''))}`);
  }
  return `kind provider (${why}): one node, a container of the node image k8s/kind builds from ${(await probeOne('kubernetes-build')).detail}`;
}

/** Whether the cluster's node is this host, as labs that read its iptables, containerd, etcd or audit log, or add nodes, need. */
async function probeKubernetesNode(): Promise<string> {
  const provider = kubeProvider().name;
  if (provider !== 'local') throw new Error(`the ${provider} provider's nodes are not this host: this lab reads or changes a node itself (use --cluster local)`);
  return "the local provider's node is this host";
}

/** The helper binds a queue and prints "ready"; it is stopped as soon as it has. */
async function probeNfqueue(ns: string): Promise<string> {
  const helper = await nfqueueHelper();
  const scope = new Scope();
  try {
    await spawnLabelled(scope, 'probe', helper, ['0', '1'], { netns: ns }).waitForLine(/^ready$/, 5000);
  } finally {
    await scope.dispose();
  }
  return `${helper} binds a queue (impairment without netem)`;
}

/** How each capability is probed, and which capability it needs first. */
const PROBES: Record<Capability, { needs?: Capability; run: () => Promise<string> }> = {
  root: {
    run: async () => {
      if (process.getuid?.() !== 0) throw new Error(`running as uid ${process.getuid?.()}; network namespaces and captures need root`);
      return 'running as root';
    },
  },
  netns: { needs: 'root', run: () => inProbeNetns(async () => 'ip netns add/delete works') },
  iptables: { needs: 'netns', run: () => inProbeNetns((ns) => exec('iptables', ['-V'], { netns: ns })) },
  'tc-netem': {
    needs: 'netns',
    run: () =>
      inProbeNetns(async (ns) => {
        await exec('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { netns: ns });
        return 'tc qdisc netem works';
      }),
  },
  nfqueue: { needs: 'netns', run: () => inProbeNetns(probeNfqueue) },
  tcpdump: { run: () => toolVersion('tcpdump') },
  tshark: { run: () => toolVersion('tshark') },
  ss: { run: () => toolVersion('ss', ['-V']) },
  ping: { run: () => toolVersion('ping', ['-V']) },
  traceroute: { run: () => toolVersion('traceroute') },
  cc: { run: () => toolVersion('cc', ['--version']) },
  go: { run: () => toolVersion(goCommand(), ['version']) },
  scapy: { run: async () => `scapy ${await exec(SCAPY_PYTHON, ['-c', 'import scapy; print(scapy.__version__)'])}` },
  named: { run: () => toolVersion('named', ['-v']) },
  unbound: { run: () => toolVersion('unbound', ['-V']) },
  docker: { run: probeDocker },
  'kubernetes-build': { run: probeKubernetesBuild },
  kubernetes: { run: probeKubernetes },
  'kubernetes-node': { needs: 'kubernetes', run: probeKubernetesNode },
  quic: { run: async () => `${quicPeerVersion()} peer at ${await quicPeerBinary()}` },
  ngtcp2: {
    run: async () => {
      for (const tool of ['gtlsclient', 'gtlsserver']) await exec('sh', ['-c', `command -v ${tool}`]).catch(() => Promise.reject(new Error(`${tool} is missing (Debian packages ngtcp2-client, ngtcp2-server)`)));
      return `ngtcp2 ${await debianPackageVersion('ngtcp2-client')} example client and server`;
    },
  },
};

const cache = new Map<Capability, Promise<Probe>>();

function probeOne(name: Capability): Promise<Probe> {
  let result = cache.get(name);
  if (!result) {
    const { needs, run } = PROBES[name];
    result = (async () => {
      if (needs && !(await probeOne(needs)).ok) return { ok: false, detail: `needs ${needs}` };
      return probe(run);
    })();
    cache.set(name, result);
  }
  return result;
}

/** Probes the capabilities named (all by default), each at most once per process. */
export async function probeCapabilities(names: readonly Capability[] = CAPABILITIES): Promise<Partial<Capabilities>> {
  const probes = await Promise.all(names.map(probeOne));
  return Object.fromEntries(names.map((name, i) => [name, probes[i]!]));
}

export function missing(capabilities: Partial<Capabilities>, needs: readonly Capability[]): string[] {
  return needs.filter((need) => !capabilities[need]?.ok).map((need) => `${need} (${capabilities[need]?.detail ?? 'not probed'})`);
}
