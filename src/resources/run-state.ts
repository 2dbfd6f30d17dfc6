/**
 * Each run records who it is (pid and process start time) in a state directory, so that a later
 * run can tell the leftovers of a dead run (after SIGKILL) from those of a run still going.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_ID_ENV = 'LABS_RUN_ID';
/** The label every object a run makes carries (containers, networks, Kubernetes namespaces and Jobs): its run id. */
export const RUN_LABEL = 'io.labs.run-id';
/** The label naming the lab a Kubernetes object is for (a lab's namespace, a lab's Job). */
export const LAB_LABEL = 'io.labs.lab';

/** One directory for every run on the machine: a reaper treats a run it has no record of as dead. */
export function stateDir(): string {
  const dir = process.getuid?.() === 0 ? '/run/labs' : join(tmpdir(), `labs-${process.getuid?.() ?? 'user'}`);
  mkdirSync(join(dir, 'runs'), { recursive: true });
  return dir;
}

export interface RunRecord {
  runId: string;
  pid: number;
  processStart: string;
}

/** The kernel's start time of a process (field 22 of /proc/PID/stat), or undefined when it is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Set on a lab's Kubernetes Job (labs run --on kubernetes): the pod's run takes the id of the run
 * that made the Job, so what it starts on a node's engine carries the id of a run that is alive there.
 */
export const JOB_RUN_ID_ENV = 'LABS_JOB_RUN_ID';

export function newRunId(): string {
  const job = process.env[JOB_RUN_ID_ENV];
  return job && /^[0-9a-f]{8}$/.test(job) ? job : randomBytes(4).toString('hex');
}

/**
 * The name of a resource a run creates: `labs-<runId>-<name>-<nonce>`. The run id is how the
 * reaper knows the owner; the nonce keeps two labs of one run (--jobs) from choosing the same name.
 */
export function resourceName(runId: string, name: string): string {
  return `labs-${runId}-${name}-${randomBytes(2).toString('hex')}`;
}

/** Records this process as the owner of `runId`, before the run creates anything; returns the unregister. */
export function registerRun(runId: string): () => void {
  const file = join(stateDir(), 'runs', `${runId}.json`);
  const record: RunRecord = { runId, pid: process.pid, processStart: processStart(process.pid) ?? '' };
  // Written whole and renamed into place: a reaper in another process never reads half a record.
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(record));
  renameSync(`${file}.${process.pid}.tmp`, file);
  return () => rmSync(file, { force: true });
}

export function isRunAlive(record: RunRecord): boolean {
  return processStart(record.pid) === record.processStart;
}

/**
 * Whether a run is dead, decided from its record as it is now: a run that has no record is dead
 * (runs register before they create anything, and unregister after disposing of everything).
 */
export function isRunDead(runId: string): boolean {
  let text: string;
  try {
    text = readFileSync(join(stateDir(), 'runs', `${runId}.json`), 'utf8');
  } catch {
    return true;
  }
  try {
    return !isRunAlive(JSON.parse(text) as RunRecord);
  } catch {
    return false; // unreadable: never reap on a guess
  }
}

/** The run ids that have a record in the state directory. */
export function recordedRuns(): string[] {
  return readdirSync(join(stateDir(), 'runs'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''));
}

export function forgetRun(runId: string): void {
  rmSync(join(stateDir(), 'runs', `${runId}.json`), { force: true });
}
