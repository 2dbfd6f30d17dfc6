/** Child processes, one-shot or long-running, labelled with the run id and stopped with their scope. */
import { execa, type ResultPromise } from 'execa';
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

function wrap(command: string, args: string[], netns?: string): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, command, ...args]] : [command, args];
}

/** Runs a command to completion and returns what it printed (both streams, and each) and its exit code. */
export async function execOutcome(
  command: string,
  args: string[],
  options: ExecOptions = {},
): Promise<{ exitCode: number; output: string; stdout: string; stderr: string }> {
  const [file, argv] = wrap(command, args, options.netns);
  const signal = options.signal ?? currentSignal();
  const result = await execa(file, argv, { reject: false, all: true, timeout: options.timeoutMs ?? 30_000, input: options.input, cwd: options.cwd, env: options.env, cancelSignal: signal });
  if (result.isCanceled) throw new Cancelled(signal?.reason);
  return { exitCode: result.exitCode ?? -1, output: String(result.all ?? '').trim(), stdout: String(result.stdout).trim(), stderr: String(result.stderr).trim() };
}

/** Runs a command to completion; throws a one-line error naming the command when it fails. */
export async function exec(command: string, args: string[], options: ExecOptions = {}): Promise<string> {
  const [file, argv] = wrap(command, args, options.netns);
  const signal = options.signal ?? currentSignal();
  const result = await execa(file, argv, {
    reject: false,
    timeout: options.timeoutMs ?? 30_000,
    input: options.input,
    env: options.env,
    cancelSignal: signal,
  });
  if (result.isCanceled) throw new Cancelled(signal?.reason);
  if (result.failed) {
    const why = String(result.stderr || result.stdout || result.shortMessage).trim().split('\n')[0];
    throw new Error(`${[command, ...args].join(' ')}: ${why}`);
  }
  return result.stdout;
}

type LongOptions = { env: Record<string, string>; buffer: false; reject: false; stdin: 'pipe' };

export interface LongProcess {
  readonly child: ResultPromise<LongOptions>;
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
  const longOptions: LongOptions = { env: { [RUN_ID_ENV]: runId }, buffer: false, reject: false, stdin: 'pipe' };
  const child = execa(file, argv, longOptions);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const exited = child.then(() => undefined);
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
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
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
          child.off('exit', onExit);
        };
        watchers.add(watch);
        child.once('exit', onExit);
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
