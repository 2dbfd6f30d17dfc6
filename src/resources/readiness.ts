/**
 * Readiness as values (after Testcontainers' wait strategies): a log line, a listening port, a
 * command that succeeds, an HTTP answer, or all of them. A wait polls until the condition holds or
 * its time runs out, and returns what it saw, which the lab keeps as evidence.
 */
import { z } from 'zod';
import { exec } from './process.ts';
import { sleep, throwIfCancelled } from './cancel.ts';

export type Readiness =
  | { log: RegExp }
  | { port: number }
  | { command: string[] }
  | { http: { port: number; path?: string; status?: number } }
  | { all: Readiness[] };

export const readinessSchema: z.ZodType<Readiness> = z.lazy(() =>
  z.union([
    z.object({ log: z.instanceof(RegExp) }).strict(),
    z.object({ port: z.number().int().min(1).max(65535) }).strict(),
    z.object({ command: z.array(z.string()).min(1) }).strict(),
    z.object({ http: z.object({ port: z.number().int().min(1).max(65535), path: z.string().optional(), status: z.number().int().optional() }) }).strict(),
    z.object({ all: z.array(readinessSchema).min(1) }).strict(),
  ]),
);

/** What a wait saw when the condition first held. */
export interface ReadyObservation {
  condition: string;
  waitedMs: number;
  saw: string;
}

/** How a readiness condition is checked against one target (a container). */
export interface ReadinessProbe {
  logs(): Promise<string>;
  netns(): string;
  address(): string;
  run(cmd: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Why waiting is pointless (the container exited), or undefined while it may still become ready. */
  gone(): Promise<string | undefined>;
}

export function describeReadiness(r: Readiness): string {
  if ('log' in r) return `log line ${r.log}`;
  if ('port' in r) return `listening on port ${r.port}`;
  if ('command' in r) return `\`${r.command.join(' ')}\` succeeds`;
  if ('http' in r) return `HTTP ${r.http.status ?? 200} from :${r.http.port}${r.http.path ?? '/'}`;
  return r.all.map(describeReadiness).join(' and ');
}

/** One check: what was seen when the condition holds, undefined while it does not. */
async function check(r: Readiness, probe: ReadinessProbe): Promise<string | undefined> {
  if ('log' in r) return (await probe.logs()).split('\n').find((line) => r.log.test(line));
  if ('port' in r) {
    const listening = await exec('ss', ['-Htln', `sport = :${r.port}`], { netns: probe.netns() }).catch(() => '');
    return listening.trim() ? listening.trim().split('\n')[0] : undefined;
  }
  if ('command' in r) {
    const result = await probe.run(r.command);
    return result.exitCode === 0 ? (result.stdout.trim().split('\n')[0] || 'exit 0') : undefined;
  }
  if ('http' in r) {
    const url = `http://${probe.address()}:${r.http.port}${r.http.path ?? '/'}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    return response?.status === (r.http.status ?? 200) ? `${url} → ${response.status}` : undefined;
  }
  const seen: string[] = [];
  for (const part of r.all) {
    const saw = await check(part, probe);
    if (saw === undefined) return undefined;
    seen.push(saw);
  }
  return seen.join('; ');
}

/** Polls until `readiness` holds; rejects after `timeoutMs` (or when the target is gone) with the last log lines. */
export async function waitUntilReady(name: string, readiness: Readiness, probe: ReadinessProbe, timeoutMs: number): Promise<ReadyObservation> {
  const started = performance.now();
  const condition = describeReadiness(readiness);
  for (;;) {
    throwIfCancelled();
    const saw = await check(readiness, probe);
    if (saw !== undefined) return { condition, waitedMs: Math.round(performance.now() - started), saw };
    const gone = await probe.gone();
    if (gone || performance.now() - started > timeoutMs) {
      const tail = (await probe.logs().catch(() => '')).trim().split('\n').slice(-3).join(' | ');
      throw new Error(`${name} not ready (${condition}) ${gone ? `: ${gone}` : `within ${timeoutMs} ms`}; last log lines: ${tail || '(none)'}`);
    }
    await sleep(100);
  }
}
