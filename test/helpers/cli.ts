/** Runs the `labs` command line as a user would, and finds what a run left behind. */
import { readdirSync, readFileSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import Docker from 'dockerode';

export const LABS = new URL('../../src/cli/labs.mjs', import.meta.url).pathname;
export const FIXTURE_LABS = new URL('../fixtures/labs', import.meta.url).pathname;

export function labs(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}) {
  return execa(process.execPath, [LABS, ...args], { reject: false, env: options.env, timeout: options.timeoutMs ?? 180_000 });
}

export function startLabs(args: string[]): ResultPromise<{ reject: false }> {
  return execa(process.execPath, [LABS, ...args], { reject: false });
}

/** Resolves with the run id once the fixture lab says its resources are up. */
export function resourcesUp(child: ResultPromise<{ reject: false }>): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = text.match(/resources up in run ([0-9a-f]{8})/);
      if (match) resolve(match[1]!);
    });
    child.then(() => reject(new Error(`labs exited before its resources were up: ${text}`)));
  });
}

export interface Leftovers {
  namespaces: string[];
  processes: number[];
  containers: string[];
  networks: string[];
}

export async function leftovers(runId: string): Promise<Leftovers> {
  const namespaces = (await execa('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`labs-${runId}-`));
  const processes = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(`LABS_RUN_ID=${runId}`);
      } catch {
        return false;
      }
    })
    .map(Number);
  const docker = new Docker();
  const filters = { label: [`io.labs.run-id=${runId}`] };
  const containers = (await docker.listContainers({ all: true, filters })).map((c) => c.Names[0]!);
  const networks = (await docker.listNetworks({ filters })).map((n) => n.Name);
  return { namespaces, processes, containers, networks };
}

export const NOTHING: Leftovers = { namespaces: [], processes: [], containers: [], networks: [] };
