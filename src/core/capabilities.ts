/** Probes what this machine can do; labs declare what they need from this list. */
import Docker from 'dockerode';
import type { Capability } from './lab.ts';
import { exec, execOutcome } from '../resources/process.ts';
import { deleteNetns } from '../resources/netns.ts';
import { nfqueueHelper } from '../resources/impairment.ts';
import { SCAPY_PYTHON } from '../resources/scapy.ts';

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
  const docker = new Docker();
  const version = await docker.version();
  return `Docker Engine ${version.Version} (API ${version.ApiVersion}) at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}`;
}

/** A tool's version line; throws when the tool is missing or fails. */
async function version(command: string, args = ['--version']): Promise<string> {
  const { exitCode, stdout, stderr } = await execOutcome(command, args);
  if (exitCode !== 0) throw new Error(`${command}: ${(stderr || stdout).split('\n')[0] || `exit ${exitCode}`}`);
  return stdout || stderr;
}

let cached: Promise<Capabilities> | undefined;

export function probeCapabilities(): Promise<Capabilities> {
  cached ??= (async () => {
    const root: Probe =
      process.getuid?.() === 0
        ? { ok: true, detail: 'running as root' }
        : { ok: false, detail: `running as uid ${process.getuid?.()}; network namespaces and captures need root` };
    const netns = root.ok
      ? await probe(() => inProbeNetns(async () => 'ip netns add/delete works'))
      : { ok: false, detail: 'needs root' };
    const [iptables, netem, tcpdump, tshark, ss, docker, ping, traceroute, scapy, nfqueue] = await Promise.all([
      netns.ok ? probe(() => inProbeNetns((ns) => exec('iptables', ['-V'], { netns: ns }))) : { ok: false, detail: 'needs netns' },
      netns.ok
        ? probe(() =>
            inProbeNetns(async (ns) => {
              await exec('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { netns: ns });
              return 'tc qdisc netem works';
            }),
          )
        : { ok: false, detail: 'needs netns' },
      probe(() => version('tcpdump')),
      probe(() => version('tshark')),
      probe(() => version('ss', ['-V'])),
      probe(probeDocker),
      probe(() => version('ping', ['-V'])),
      probe(() => version('traceroute')),
      probe(async () => `scapy ${await exec(SCAPY_PYTHON, ['-c', 'import scapy; print(scapy.__version__)'])}`),
      netns.ok
        ? probe(() =>
            inProbeNetns(async (ns) => {
              const helper = await nfqueueHelper();
              // The helper binds a queue and says "ready"; `timeout` ends it a second later.
              const { stdout } = await execOutcome('timeout', ['1', helper, '0', '1'], { netns: ns });
              if (!stdout.includes('ready')) throw new Error(`nfq-delay could not bind a queue: ${stdout}`);
              return `${helper} binds a queue (impairment without netem)`;
            }),
          )
        : { ok: false, detail: 'needs netns' },
    ]);
    return { root, netns, iptables, 'tc-netem': netem, nfqueue, tcpdump, tshark, ss, ping, traceroute, scapy, docker };
  })();
  return cached;
}

export function missing(capabilities: Capabilities, needs: readonly Capability[]): string[] {
  return needs.filter((need) => !capabilities[need].ok).map((need) => `${need} (${capabilities[need].detail})`);
}
