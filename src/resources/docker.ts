/** Containers and networks through the Docker Engine API, labelled with the run id. */
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { RUN_LABEL, resourceName } from './run-state.ts';
import { cancellable } from './cancel.ts';
import type { Scope } from './scope.ts';

let client: Promise<Docker> | undefined;

/** The Engine API client, loaded on first use: most commands and labs never need it. */
export function docker(): Promise<Docker> {
  client ??= import('dockerode').then(({ default: Docker }) => new Docker());
  return client;
}

/** Ignores the engine's answer that an object is gone (404) or already being removed (409). */
export function unlessGone(error: { statusCode?: number }): void {
  if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
}

/** The text of a non-TTY container's log, which the engine sends as frames: 8-byte header (stream, 0, 0, 0, length), then the bytes. */
export function demuxLog(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buffer.length && buffer[at]! <= 2 && buffer.readUIntBE(at + 1, 3) === 0) {
    const length = buffer.readUInt32BE(at + 4);
    parts.push(buffer.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return at === 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in a running container, optionally feeding it standard input, as the image's user
 * or `user`. The lab's cancellation stops waiting for it and closes its stream (the command itself
 * ends with its container).
 */
export async function execIn(containerId: string, cmd: string[], input?: string, user?: string): Promise<ExecResult> {
  const exec = await cancellable((await docker()).getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: input !== undefined, ...(user ? { User: user } : {}) }));
  const stream = await cancellable(exec.start({ hijack: true, stdin: input !== undefined }));
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const collect = (into: Buffer[]) => new Writable({ write: (chunk, _encoding, done) => (into.push(chunk), done()) });
  (await docker()).modem.demuxStream(stream, collect(out), collect(err));
  if (input !== undefined) stream.end(input);
  await cancellable(new Promise((resolve) => stream.on('end', resolve))).catch((error: unknown) => {
    stream.destroy();
    throw error;
  });
  const { ExitCode } = await exec.inspect();
  return { exitCode: ExitCode ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** A bridge network for one run; with `subnet`, containers may be given fixed addresses in it. */
export async function createNetwork(scope: Scope, runId: string, name: string, subnet?: string): Promise<string> {
  const fullName = resourceName(runId, name);
  const network = await (await docker()).createNetwork({
    Name: fullName,
    Labels: { [RUN_LABEL]: runId },
    ...(subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] } } : {}),
  });
  scope.defer(`network ${fullName}`, async () => {
    await network.remove().catch(unlessGone);
  });
  return fullName;
}

/**
 * A network of the run on a subnet of its own, so that its containers can keep fixed addresses
 * (a restarted container then comes back at the same one). `subnet()` proposes a subnet; one that
 * overlaps a network already there (another run's) is replaced by another proposal. Returns the
 * network's name and the subnet it got.
 */
export async function createSubnetNetwork(scope: Scope, runId: string, name: string, subnet: () => string): Promise<{ network: string; subnet: string }> {
  for (let attempt = 0; ; attempt++) {
    const proposed = subnet();
    try {
      return { network: await createNetwork(scope, runId, name, proposed), subnet: proposed };
    } catch (error) {
      if (attempt >= 8 || !/overlap/i.test((error as Error).message)) throw error;
    }
  }
}

/** Containers and networks carrying the run label, grouped by run id. */
export async function labelledDockerObjects(): Promise<{ containers: { id: string; runId: string }[]; networks: { id: string; runId: string }[] }> {
  const filters = { label: [RUN_LABEL] };
  const [containers, networks] = await Promise.all([
    (await docker()).listContainers({ all: true, filters }),
    (await docker()).listNetworks({ filters }),
  ]);
  return {
    containers: containers.map((c) => ({ id: c.Id, runId: c.Labels[RUN_LABEL]! })),
    networks: networks.map((n) => ({ id: n.Id, runId: n.Labels?.[RUN_LABEL] ?? '' })),
  };
}
