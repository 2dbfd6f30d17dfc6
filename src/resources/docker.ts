/** Containers and networks through the Docker Engine API, labelled with the run id. */
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import { DOCKER_LABEL, resourceName } from './run-state.ts';
import type { Scope } from './scope.ts';

let client: Docker | undefined;

export function docker(): Docker {
  client ??= new Docker();
  return client;
}

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
}

export interface StartedContainer {
  id: string;
  name: string;
  /** Host port on 127.0.0.1 for each published container port. */
  ports: Record<number, number>;
  /** The container's address on its network. */
  address: string;
}

/** Ignores the engine's answer that an object is gone (404) or already being removed (409). */
export function unlessGone(error: { statusCode?: number }): void {
  if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
}

export async function startContainer(scope: Scope, runId: string, spec: ContainerSpec): Promise<StartedContainer> {
  const name = resourceName(runId, spec.name);
  const container = await docker().createContainer({
    name,
    Image: spec.image,
    Cmd: spec.cmd,
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { [DOCKER_LABEL]: runId },
    ExposedPorts: Object.fromEntries((spec.publish ?? []).map((p) => [`${p}/tcp`, {}])),
    HostConfig: {
      PortBindings: Object.fromEntries((spec.publish ?? []).map((p) => [`${p}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]])),
      NetworkMode: spec.network,
      CapAdd: spec.capAdd,
      Memory: spec.memoryBytes,
      Init: true,
    },
    // Other containers on the network reach this one by its short name (e.g. "nginx").
    NetworkingConfig: spec.network
      ? { EndpointsConfig: { [spec.network]: { Aliases: [spec.name], ...(spec.ip ? { IPAMConfig: { IPv4Address: spec.ip } } : {}) } } }
      : undefined,
  });
  scope.defer(`container ${name}`, async () => {
    await container.remove({ force: true, v: true }).catch(unlessGone);
  });
  await container.start();
  const info = await container.inspect();
  const ports: Record<number, number> = {};
  for (const port of spec.publish ?? []) {
    const binding = info.NetworkSettings.Ports[`${port}/tcp`]?.[0];
    if (binding) ports[port] = Number(binding.HostPort);
  }
  const address = info.NetworkSettings.Networks[spec.network ?? 'bridge']?.IPAddress;
  return { id: info.Id, name, ports, address: address ?? '' };
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in a running container, optionally feeding it standard input, as the image's user or `user`. */
export async function execIn(containerId: string, cmd: string[], input?: string, user?: string): Promise<ExecResult> {
  const exec = await docker().getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: input !== undefined, ...(user ? { User: user } : {}) });
  const stream = await exec.start({ hijack: true, stdin: input !== undefined });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const collect = (into: Buffer[]) => new Writable({ write: (chunk, _encoding, done) => (into.push(chunk), done()) });
  docker().modem.demuxStream(stream, collect(out), collect(err));
  if (input !== undefined) stream.end(input);
  await new Promise((resolve) => stream.on('end', resolve));
  const { ExitCode } = await exec.inspect();
  return { exitCode: ExitCode ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** A bridge network for one run; with `subnet`, containers may be given fixed addresses in it. */
export async function createNetwork(scope: Scope, runId: string, name: string, subnet?: string): Promise<string> {
  const fullName = resourceName(runId, name);
  const network = await docker().createNetwork({
    Name: fullName,
    Labels: { [DOCKER_LABEL]: runId },
    ...(subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] } } : {}),
  });
  scope.defer(`network ${fullName}`, async () => {
    await network.remove().catch(unlessGone);
  });
  return fullName;
}

/** Containers and networks carrying the run label, grouped by run id. */
export async function labelledDockerObjects(): Promise<{ containers: { id: string; runId: string }[]; networks: { id: string; runId: string }[] }> {
  const filters = { label: [DOCKER_LABEL] };
  const [containers, networks] = await Promise.all([
    docker().listContainers({ all: true, filters }),
    docker().listNetworks({ filters }),
  ]);
  return {
    containers: containers.map((c) => ({ id: c.Id, runId: c.Labels[DOCKER_LABEL]! })),
    networks: networks.map((n) => ({ id: n.Id, runId: n.Labels?.[DOCKER_LABEL] ?? '' })),
  };
}
