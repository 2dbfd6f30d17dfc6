/**
 * Child processes, one-shot or long-running, labelled with the run id and stopped with their scope.
 * Built on node:child_process rather than execa: loading execa cost 70 ms of the CLI's fixed cost
 * (measured with Node's compile cache), and these three functions are all the project needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Cancelled, cancellable, currentSignal } from './cancel.ts';
import { RUN_ID_ENV } from './run-state.ts';
import type { Scope } from './scope.ts';

export interface ExecOptions {
  /** Run inside this network namespace (via `ip netns exec`). */
  netns?: string;
  timeoutMs?: number;
  input?: string;
  cwd?: string;
  /** Stops the command when aborted; defaults to the lab's own cancellation. */
  signal?: AbortSignal;
  /** Variables added to this process's environment. */
  env?: Record<string, string>;
}

interface Finished {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Both streams interleaved as they arrived. */
  all: string;
  /** Why it did not exit 0, in a few words; undefined when it did. */
  failure?: string;
}

/** How long a process asked to stop (SIGTERM) gets before SIGKILL. */
const KILL_GRACE_MS = 2000;

function wrap(command: string, args: string[], netns?: string): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, command, ...args]] : [command, args];
}

function stopGently(child: ChildProcess): void {
  child.kill('SIGTERM');
  setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), KILL_GRACE_MS).unref();
}

/** How long output may still arrive after a command exited: a grandchild that keeps its pipes open is not waited for longer. */
const DRAIN_MS = 500;
const live = new Set<ChildProcess>();
let killedOnExit = false;

/** Children die with this process, even when it exits at once (a third Ctrl-C). */
function track(child: ChildProcess): void {
  if (!killedOnExit) {
    killedOnExit = true;
    process.once('exit', () => live.forEach((c) => c.kill('SIGKILL')));
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
}

const withoutFinalNewline = (text: string) => text.replace(/\r?\n$/, '');

/** Runs a command to completion, collecting what it printed; stops it on time-out or cancellation. */
function finish(command: string, args: string[], options: ExecOptions): Promise<Finished> {
  const [file, argv] = wrap(command, args, options.netns);
  const signal = options.signal ?? currentSignal();
  if (signal?.aborted) return Promise.reject(new Cancelled(signal.reason));
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: options.cwd, env: options.env ? { ...process.env, ...options.env } : process.env });
    track(child);
    let stdout = '';
    let stderr = '';
    let all = '';
    let spawnError: Error | undefined;
    let timedOut = false;
    let settled = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), (all += chunk)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), (all += chunk)));
    child.stdin.on('error', () => {}); // a command that exits without reading its input
    if (options.input !== undefined) child.stdin.end(options.input);
    const timer = setTimeout(() => ((timedOut = true), stopGently(child)), timeoutMs);
    const onAbort = () => stopGently(child);
    signal?.addEventListener('abort', onAbort, { once: true });
    let drain: NodeJS.Timeout | undefined;
    const settle = (exitCode: number | null, killedBy: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drain); // else it would hold the process open for DRAIN_MS after the last command
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(new Cancelled(signal.reason));
      const failure = spawnError
        ? spawnError.message
        : timedOut
          ? `timed out after ${timeoutMs} ms`
          : killedBy
            ? `killed by ${killedBy}`
            : exitCode !== 0
              ? `exit code ${exitCode}`
              : undefined;
      resolve({ exitCode: spawnError ? null : exitCode, stdout: withoutFinalNewline(stdout), stderr: withoutFinalNewline(stderr), all, failure });
    };
    child.on('error', (error) => (spawnError = error));
    child.on('exit', (exitCode, killedBy) => {
      drain = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        settle(exitCode, killedBy);
      }, DRAIN_MS);
    });
    child.on('close', settle);
  });
}

/** Runs a command to completion and returns what it printed (both streams, and each) and its exit code. */
export async function execOutcome(
  command: string,
  args: string[],
  options: ExecOptions = {},
): Promise<{ exitCode: number; output: string; stdout: string; stderr: string }> {
  const result = await finish(command, args, options);
  return { exitCode: result.exitCode ?? -1, output: result.all.trim(), stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** Runs a command to completion; throws a one-line error naming the command when it fails. */
export async function exec(command: string, args: string[], options: ExecOptions = {}): Promise<string> {
  const result = await finish(command, args, options);
  if (result.failure) {
    const said = (result.stderr || result.stdout).trim().split('\n')[0];
    const why = result.failure.startsWith('timed out') ? [result.failure, said].filter(Boolean).join(': ') : said || result.failure;
    throw new Error(`${[command, ...args].join(' ')}: ${why}`);
  }
  return result.stdout;
}

export interface LongProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when a line on stdout or stderr matches, or rejects after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Calls `listener` with every later line the process prints on stdout. */
  onStdoutLine(listener: (line: string) => void): void;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a long-running process labelled with `runId`; the scope stops it. */
export function spawnLabelled(
  scope: Scope,
  runId: string,
  command: string,
  args: string[],
  options: { netns?: string } = {},
): LongProcess {
  const [file, argv] = wrap(command, args, options.netns);
  const child = spawn(file, argv, { env: { ...process.env, [RUN_ID_ENV]: runId } });
  track(child);
  child.on('error', () => {}); // a failed spawn leaves pid undefined, checked below
  child.stdin.on('error', () => {});
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  const stdoutListeners: ((line: string) => void)[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        for (const watch of watchers) watch(line);
        if (stream === child.stdout) for (const listen of stdoutListeners) listen(line);
      }
    });
  }
  const terminate = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  const stop = scope.defer(`process ${command}`, () => terminate('SIGTERM'));
  return {
    child,
    pid: child.pid,
    waitForLine(pattern, timeoutMs) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`${command} exited before printing ${pattern}: ${lines.slice(-3).join(' | ')}`));
      return cancellable(new Promise((resolve, reject) => {
        const watch = (line: string) => {
          if (!pattern.test(line)) return;
          done();
          resolve(line);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${command} did not print ${pattern} within ${timeoutMs} ms: ${lines.slice(-3).join(' | ')}`));
        }, timeoutMs).unref();
        const onExit = () => {
          done();
          reject(new Error(`${command} exited before printing ${pattern}: ${lines.slice(-3).join(' | ')}`));
        };
        const done = () => {
          clearTimeout(timer);
          watchers.delete(watch);
          child.off('close', onExit);
        };
        watchers.add(watch);
        child.once('close', onExit);
      }));
    },
    onStdoutLine(listener) {
      stdoutListeners.push(listener);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      await terminate(signal);
      await stop();
    },
  };
}
