/**
 * The QUIC and HTTP/3 peer (src/agents/quic-peer, quic-go), built once by set-up and cached by source
 * hash: a server that answers HTTP/3 on UDP and HTTP/2 over TLS on TCP at one port, and clients that
 * print what they measured as JSON.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Environment } from '../core/types.ts';
import type { Host } from './netns.ts';
import { exec, execOutcome, spawnLabelled } from './process.ts';
import type { Scope } from './scope.ts';

const BUILD = fileURLToPath(new URL('../agents/quic-peer/build.sh', import.meta.url));
const GO_MOD = fileURLToPath(new URL('../agents/quic-peer/go.mod', import.meta.url));
export const QUIC_IMPLEMENTATION = 'quic-go v0.65.0';

let built: Promise<string> | undefined;

/**
 * The built binary, looked up once per process; never builds (set-up does): a machine without it is
 * told how. LABS_QUIC_PEER names it where there is no Go to hash the build by (the project's image).
 */
export function quicPeerBinary(): Promise<string> {
  if (process.env.LABS_QUIC_PEER) return Promise.resolve(process.env.LABS_QUIC_PEER);
  built ??= execOutcome('bash', [BUILD, '--check']).then((check) => {
    if (check.exitCode !== 0) {
      built = undefined;
      throw new Error(check.stderr.trim().split('\n')[0]);
    }
    return check.stdout.trim();
  });
  return built;
}

/** The quic-go version the peer is built on, read from its go.mod. */
export function quicPeerVersion(): string {
  const version = /github\.com\/quic-go\/quic-go (v\S+)/.exec(readFileSync(GO_MOD, 'utf8'))?.[1];
  if (!version) throw new Error(`${GO_MOD} names no quic-go version`);
  return `quic-go ${version}`;
}

/** The port of an address as Go prints it ("198.18.0.1:443", "[::]:40165"). */
export const portOf = (address: string): number => Number(address.split(':').pop());

export interface ServedRequest {
  proto: string;
  path: string;
  remote: string;
  handshakeComplete: boolean;
  atUnixMs: number;
}

export interface QuicServer {
  /** Every request served so far, in order. */
  readonly requests: ServedRequest[];
}

export async function startQuicServer(scope: Scope, runId: string, host: Host, options: { port: number }): Promise<QuicServer> {
  const binary = await quicPeerBinary();
  const args = ['serve', '-listen', `${host.address}:${options.port}`];
  const server = spawnLabelled(scope, runId, binary, args, { netns: host.netns });
  const requests: ServedRequest[] = [];
  server.onStdoutLine((line) => {
    if (line.startsWith('{')) requests.push(JSON.parse(line) as ServedRequest);
  });
  await server.waitForLine(/^ready$/, 10_000);
  return { requests };
}

/** Runs one client role in the host's namespace and returns the JSON it printed. */
export async function quicClient<T>(host: Host, role: 'get' | 'resume' | 'streams' | 'migrate' | 'echo', args: string[]): Promise<T> {
  const output = await exec(await quicPeerBinary(), [role, ...args], { netns: host.netns, timeoutMs: 30_000 });
  const json = output.split('\n').find((line) => line.startsWith('{'));
  if (!json) throw new Error(`quic-peer ${role} printed no result: ${output.slice(0, 200)}`);
  return JSON.parse(json) as T;
}

/** Records the implementation in the lab's environment. */
export function recordQuicPeer(environment: Environment): void {
  environment.quic = quicPeerVersion();
}
