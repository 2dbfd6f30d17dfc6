/**
 * Teardown commands recorded on disk for resources that the reaper cannot find by a label alone (a
 * Kubernetes cluster's mounts, iptables chains and host files): written before the resource is made,
 * removed once it has been taken down. The reaper runs the ones of dead runs.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './process.ts';
import { stateDir } from './run-state.ts';

const dir = () => join(stateDir(), 'teardown');

export interface Teardown {
  runId: string;
  name: string;
  argv: string[];
}

export function recordTeardown(runId: string, name: string, argv: string[]): () => void {
  mkdirSync(dir(), { recursive: true });
  const file = join(dir(), `${runId}-${name}.json`);
  writeFileSync(file, JSON.stringify({ runId, name, argv } satisfies Teardown));
  return () => rmSync(file, { force: true });
}

export function recordedTeardowns(): (Teardown & { file: string })[] {
  let files: string[];
  try {
    files = readdirSync(dir()).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    try {
      return [{ ...(JSON.parse(readFileSync(join(dir(), f), 'utf8')) as Teardown), file: join(dir(), f) }];
    } catch {
      return [];
    }
  });
}

/** Runs a recorded teardown and forgets it. */
export async function runTeardown(teardown: Teardown & { file: string }): Promise<void> {
  const [command, ...args] = teardown.argv;
  await exec(command!, args, { timeoutMs: 180_000, signal: AbortSignal.timeout(180_000) });
  rmSync(teardown.file, { force: true });
}
