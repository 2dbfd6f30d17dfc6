/**
 * Removes what dead runs left behind (after a SIGKILL, a crash, a power cut): namespaces,
 * processes, containers and networks, found by the run id they carry, never by a guessed name.
 * Resources of runs that are still alive are never touched.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { docker, labelledDockerObjects, unlessGone } from './docker.ts';
import { exec } from './process.ts';
import { deleteNetns } from './netns.ts';
import { recordedTeardowns, runTeardown } from './teardown.ts';
import { forgetRun, isRunDead, processStart, recordedRuns, RUN_ID_ENV } from './run-state.ts';

export interface Reaped {
  runs: string[];
  namespaces: string[];
  processes: number[];
  containers: string[];
  networks: string[];
  teardowns: string[];
}

export const NOTHING_REAPED: Reaped = { runs: [], namespaces: [], processes: [], containers: [], networks: [], teardowns: [] };

/** The run id in a resource name `labs-<runId>-...`, or the pid in `labs-probe-<pid>-...`. */
function ownerOf(name: string): { runId?: string; probePid?: number } | undefined {
  const probe = name.match(/^labs-probe-(\d+)-/);
  if (probe) return { probePid: Number(probe[1]) };
  const run = name.match(/^labs-([0-9a-f]{8})-/);
  return run ? { runId: run[1] } : undefined;
}

function labelledProcesses(): { pid: number; runId: string }[] {
  const found: { pid: number; runId: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      const label = env.find((kv) => kv.startsWith(`${RUN_ID_ENV}=`))?.slice(RUN_ID_ENV.length + 1);
      if (label) found.push({ pid: Number(entry), runId: label });
    } catch {
      // the process ended or is not ours to read
    }
  }
  return found;
}

/**
 * `everything`: also ask Docker for labelled objects whatever the run records say (`labs clean`).
 * Without it (the start of `labs run`) Docker is asked only when a recorded run has died: a run
 * unregisters only after disposing of what it made, so otherwise there is nothing there to find,
 * and the CLI does not pay for loading Docker's client.
 */
export async function reapDeadRuns(options: { everything?: boolean } = {}): Promise<Reaped> {
  // Liveness is decided per resource, at the moment of removing it: a run that starts while this
  // reaper works has registered before it created the resource, and is seen alive.
  const isDead = isRunDead;
  const reaped: Reaped = structuredClone(NOTHING_REAPED);

  // Only run ids are reaped here; a capability probe's helper lives in a probe namespace, reaped below.
  for (const { pid, runId } of labelledProcesses()) {
    if (/^[0-9a-f]{8}$/.test(runId) && isDead(runId)) {
      try {
        process.kill(pid, 'SIGKILL');
        reaped.processes.push(pid);
      } catch {
        // gone already
      }
    }
  }

  // After the processes are gone: what they left on the host (mounts, chains) goes by its recorded teardown.
  for (const teardown of recordedTeardowns()) {
    if (!isDead(teardown.runId)) continue;
    // One teardown that fails (a busy mount) must not keep every later run from reaping the rest.
    const outcome = await runTeardown(teardown).then(() => 'removed', (error: Error) => `failed: ${error.message.split('\n')[0]}`);
    reaped.teardowns.push(`${teardown.name} of ${teardown.runId} ${outcome}`);
  }

  const namespaces = (await exec('ip', ['netns', 'list']).catch(() => ''))
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
  for (const name of namespaces) {
    const owner = ownerOf(name);
    if (!owner) continue;
    const dead = owner.runId ? isDead(owner.runId) : processStart(owner.probePid!) === undefined;
    if (dead) {
      await deleteNetns(name);
      reaped.namespaces.push(name);
    }
  }

  // Per-namespace /etc files (iproute2's /etc/netns/<name>/) of dead runs.
  for (const name of existsSync('/etc/netns') ? readdirSync('/etc/netns') : []) {
    const owner = ownerOf(name);
    if (owner?.runId && isDead(owner.runId)) rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  }

  const askDocker = options.everything || recordedRuns().some((runId) => isRunDead(runId));
  const objects = askDocker ? await labelledDockerObjects().catch(() => undefined) : undefined;
  for (const container of objects?.containers ?? []) {
    if (!isDead(container.runId)) continue;
    await (await docker()).getContainer(container.id).remove({ force: true, v: true }).catch(unlessGone);
    reaped.containers.push(container.id.slice(0, 12));
  }
  for (const network of objects?.networks ?? []) {
    if (!isDead(network.runId)) continue;
    await (await docker()).getNetwork(network.id).remove().catch(unlessGone);
    reaped.networks.push(network.id.slice(0, 12));
  }

  for (const runId of recordedRuns()) {
    if (!isRunDead(runId)) continue;
    forgetRun(runId);
    reaped.runs.push(runId);
  }
  return reaped;
}
