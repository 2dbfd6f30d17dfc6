/**
 * A started container as a value: exec, logs, stop/start, kill, pause, restart and readiness waits.
 * Its network namespace is attached under a run-labelled name (`ip netns attach`), so that it is a
 * host like any namespace of the topology: captures, `ss`, impairments and iptables rules take
 * its `netns` exactly as they take a namespace host's. After a start or restart the container has
 * a new namespace, and the name is attached to it again.
 */
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { demuxLog, docker, execIn, unlessGone, type ExecResult } from './docker.ts';
import { cancellable, sleep } from './cancel.ts';
import { exec } from './process.ts';
import { waitUntilReady, type Readiness, type ReadyObservation } from './readiness.ts';
import { RUN_LABEL, resourceName } from './run-state.ts';
import type { Scope } from './scope.ts';
import type { Host } from './netns.ts';

export interface ContainerSpec {
  image: string;
  name: string;
  cmd?: string[];
  env?: Record<string, string>;
  /** Container ports to publish on 127.0.0.1 at a port the engine picks. */
  publish?: number[];
  network?: string;
  /** A fixed address on `network`. */
  ip?: string;
  /** Linux capabilities the lab needs beyond Docker's default set; say why in the lab. */
  capAdd?: string[];
  /** A memory limit (the cgroup's), in bytes. */
  memoryBytes?: number;
  /** A CPU quota in CPUs, as `docker run --cpus` takes it (0.2: 20 ms of CPU time per 100 ms period). */
  cpus?: number;
  /** The most processes and threads the container's cgroup may hold at once (`--pids-limit`, pids.max). */
  pidsLimit?: number;
  /** The container's relative CPU weight (`--cpu-shares`, 1024 by default; cpu.shares on cgroup v1, cpu.weight on v2). */
  cpuShares?: number;
  /** The CPUs the container may run on (`--cpuset-cpus`, e.g. "0"). */
  cpusetCpus?: string;
  /**
   * The container's cgroup namespace (`--cgroupns`): 'private', one of its own; 'host', the host's. Unset, the
   * daemon's default: private on cgroup v2 hosts, the host's on cgroup v1. Needs the engine's API 1.41 or later.
   */
  cgroupnsMode?: 'private' | 'host';
}

/** HostConfig as the engine takes it: @types/dockerode lacks CgroupnsMode (engine API 1.41). */
type HostConfig = Docker.HostConfig & { CgroupnsMode?: 'private' | 'host' };

/** A long-running command inside a container, read line by line as it prints. */
export interface ContainerProcess {
  /** The process's pid on the host. */
  readonly pid: number;
  readonly lines: string[];
  onLine(listener: (line: string) => void): void;
  /** Resolves with the first line (past or future) that matches, or rejects after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Closes its standard input (a polite stop for programs that read it). */
  closeInput(): void;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when its output ends (the process exited). */
  readonly ended: Promise<void>;
}

export interface Container extends Host {
  id: string;
  /** The container's full name (`labs-<runId>-<name>-<nonce>`); `name` is the short one, its alias on the network. */
  containerName: string;
  /** Host port on 127.0.0.1 for each published container port. */
  ports: Record<number, number>;
  exec(cmd: string[], options?: { input?: string; user?: string }): Promise<ExecResult>;
  /** The regular files directly in a directory of the container, with their sizes in bytes. */
  files(dir: string): Promise<{ name: string; size: number }[]>;
  /** Starts a long-running command; `scope` kills it if it is still running when the scope closes. */
  spawn(scope: Scope, cmd: string[]): Promise<ContainerProcess>;
  logs(): Promise<string>;
  /** The main process's pid on the host (0 when not running). */
  pid(): Promise<number>;
  running(): Promise<boolean>;
  stop(timeoutS?: number): Promise<void>;
  start(): Promise<void>;
  kill(signal?: string): Promise<void>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
  restart(): Promise<void>;
  waitUntilReady(readiness: Readiness, timeoutMs: number): Promise<ReadyObservation>;
}

const prefixOf = (network: { IPPrefixLen?: number }) => network.IPPrefixLen ?? 16;

export async function startContainer(scope: Scope, runId: string, spec: ContainerSpec): Promise<Container> {
  const containerName = resourceName(runId, spec.name);
  const handle = await (await docker()).createContainer({
    name: containerName,
    Image: spec.image,
    Cmd: spec.cmd,
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { [RUN_LABEL]: runId },
    ExposedPorts: Object.fromEntries((spec.publish ?? []).map((p) => [`${p}/tcp`, {}])),
    HostConfig: {
      PortBindings: Object.fromEntries((spec.publish ?? []).map((p) => [`${p}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]])),
      NetworkMode: spec.network,
      CapAdd: spec.capAdd,
      Memory: spec.memoryBytes,
      NanoCpus: spec.cpus === undefined ? undefined : Math.round(spec.cpus * 1e9),
      PidsLimit: spec.pidsLimit,
      CpuShares: spec.cpuShares,
      CpusetCpus: spec.cpusetCpus,
      ...(spec.cgroupnsMode ? { CgroupnsMode: spec.cgroupnsMode } : {}),
      Init: true,
    } satisfies HostConfig as Docker.HostConfig,
    // Other containers on the network reach this one by its short name (e.g. "nginx").
    NetworkingConfig: spec.network
      ? { EndpointsConfig: { [spec.network]: { Aliases: [spec.name], ...(spec.ip ? { IPAMConfig: { IPv4Address: spec.ip } } : {}) } } }
      : undefined,
  });
  scope.defer(`container ${containerName}`, async () => {
    await handle.remove({ force: true, v: true }).catch(unlessGone);
  });
  const netns = resourceName(runId, spec.name);
  const inspect = () => cancellable(handle.inspect());
  const pid = async () => (await inspect()).State.Pid ?? 0;
  // The attached name points at the namespace of the current process; detaching never kills anything.
  const detach = () => exec('ip', ['netns', 'delete', netns]).then(() => undefined, () => undefined);
  // A container that has already exited (a one-shot command) has no namespace to attach.
  const attach = async () => {
    await detach();
    const current = await pid();
    if (current === 0) return;
    await exec('ip', ['netns', 'attach', netns, String(current)]).catch((error: Error) => {
      // The process ended between the engine's answer and the attach: nothing is left to attach.
      if (existsSync(`/proc/${current}/ns/net`)) throw error;
    });
  };
  await cancellable(handle.start());
  scope.defer(`netns ${netns}`, detach);
  await attach();

  const info = await inspect();
  const ports: Record<number, number> = {};
  for (const port of spec.publish ?? []) {
    const binding = info.NetworkSettings.Ports[`${port}/tcp`]?.[0];
    if (binding) ports[port] = Number(binding.HostPort);
  }
  const network = info.NetworkSettings.Networks[spec.network ?? 'bridge'];
  const address = network?.IPAddress ?? '';
  const container: Container = {
    id: info.Id,
    name: spec.name,
    containerName,
    netns,
    address,
    interfaces: [{ name: 'eth0', addresses: address ? [`${address}/${prefixOf(network ?? {})}`] : [] }],
    impairments: [],
    ports,
    exec: (cmd, options = {}) => execIn(info.Id, cmd, options.input, options.user),
    spawn: (owner, cmd) => spawnIn(owner, info.Id, cmd),
    async files(dir) {
      const out = await execIn(info.Id, ['find', dir, '-maxdepth', '1', '-type', 'f', '-printf', '%f %s\n']);
      return out.stdout.split('\n').filter(Boolean).map((line) => ({ name: line.split(' ')[0]!, size: Number(line.split(' ')[1]) }));
    },
    logs: async () => demuxLog(await cancellable(handle.logs({ stdout: true, stderr: true, follow: false }))),
    pid,
    running: async () => (await inspect()).State.Running === true,
    async stop(timeoutS = 10) {
      await cancellable(handle.stop({ t: timeoutS })).catch(notModified);
    },
    async start() {
      await cancellable(handle.start()).catch(notModified);
      await attach();
    },
    async kill(signal = 'SIGKILL') {
      await cancellable(handle.kill({ signal }));
    },
    pause: () => cancellable(handle.pause()).then(() => undefined),
    unpause: () => cancellable(handle.unpause()).then(() => undefined),
    async restart() {
      await cancellable(handle.restart({ t: 5 }));
      await attach();
    },
    waitUntilReady: (readiness, timeoutMs) =>
      waitUntilReady(spec.name, readiness, {
        logs: container.logs,
        netns: () => netns,
        address: () => address,
        run: (cmd) => execIn(info.Id, cmd),
        gone: async () => {
          const state = (await inspect()).State;
          return state.Running ? undefined : `the container exited with code ${state.ExitCode}`;
        },
      }, timeoutMs),
  };
  return container;
}

async function spawnIn(scope: Scope, containerId: string, cmd: string[]): Promise<ContainerProcess> {
  const engine = await docker();
  const exec = await cancellable(engine.getContainer(containerId).exec({ Cmd: cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true }));
  const stream = await cancellable(exec.start({ hijack: true, stdin: true }));
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  // One splitter per stream: a stderr frame must not land in the middle of a stdout line.
  const splitter = () => {
    let rest = '';
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        const parts = (rest + chunk.toString('utf8')).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          for (const listen of listeners) listen(line);
        }
        done();
      },
    });
  };
  engine.modem.demuxStream(stream, splitter(), splitter());
  const ended = new Promise<void>((resolve) => {
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', () => resolve());
  });
  let pid = 0;
  let finished = false;
  void ended.then(() => (finished = true));
  // Never signal pid 0 (the engine reports 0 for an exec that has ended: that would be our own
  // process group) nor a pid after its process ended (it may belong to another process by then).
  const kill = (signal: NodeJS.Signals = 'SIGKILL') => {
    if (finished || !(pid > 0)) return;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  };
  scope.defer(`process ${cmd[0]} in ${containerId.slice(0, 12)}`, async () => {
    kill('SIGKILL');
    stream.destroy();
    await ended;
  });
  // The engine may answer before the process has started (Pid 0): ask again until it has a pid or has ended.
  for (let tries = 0; tries < 100; tries++) {
    const state = await cancellable(exec.inspect());
    pid = state.Pid;
    if (pid > 0 || (!state.Running && state.ExitCode !== null)) break;
    await sleep(20);
  }
  return {
    pid,
    lines,
    ended,
    onLine: (listener) => void listeners.push(listener),
    waitForLine: (pattern, timeoutMs) =>
      cancellable(
        new Promise<string>((resolve, reject) => {
          const seen = lines.find((l) => pattern.test(l));
          if (seen !== undefined) return resolve(seen);
          const timer = setTimeout(() => reject(new Error(`${cmd[0]} did not print ${pattern} within ${timeoutMs} ms: ${lines.slice(-3).join(' | ')}`)), timeoutMs).unref();
          listeners.push((line) => {
            if (!pattern.test(line)) return;
            clearTimeout(timer);
            resolve(line);
          });
          void ended.then(() => {
            clearTimeout(timer);
            reject(new Error(`${cmd[0]} exited before printing ${pattern}: ${lines.slice(-3).join(' | ')}`));
          });
        }),
      ),
    closeInput: () => stream.end(),
    kill,
  };
}

/** The engine answers 304 when the container is already in the asked state. */
function notModified(error: { statusCode?: number }): void {
  if (error.statusCode !== 304) throw error;
}
