/** Controls a socket agent (src/agents/socket-agent.ts) running inside a network namespace. */
import { fileURLToPath } from 'node:url';
import { cancellable } from './cancel.ts';
import { EventLog } from './event-log.ts';
import type { Host } from './netns.ts';
import { spawnLabelled } from './process.ts';
import type { Scope } from './scope.ts';

const AGENT = fileURLToPath(new URL('../agents/socket-agent.ts', import.meta.url));

export interface AgentEvent {
  event: string;
  conn?: string;
  at: number;
  bytes?: number;
  [key: string]: unknown;
}

export interface SocketAgent {
  readonly host: string;
  readonly events: AgentEvent[];
  request<T = Record<string, unknown>>(op: string, args?: Record<string, unknown>): Promise<T>;
  /** Resolves with the first event (past or future) matching the predicate. */
  waitFor(predicate: (event: AgentEvent) => boolean, timeoutMs: number, what: string): Promise<AgentEvent>;
}

export async function startSocketAgent(scope: Scope, runId: string, host: string, netns: string): Promise<SocketAgent> {
  const agent = spawnLabelled(scope, runId, process.execPath, [AGENT], { netns });
  const log = new EventLog<AgentEvent>();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  agent.onStdoutLine((line) => {
    const message = JSON.parse(line) as AgentEvent & { id?: number; ok?: boolean; result?: unknown; error?: string };
    if (message.id !== undefined) {
      const call = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) call?.resolve(message.result);
      else call?.reject(new Error(`${host}: ${message.error}`));
    } else log.push(message);
  });
  const waitFor: SocketAgent['waitFor'] = (predicate, timeoutMs, what) => log.waitFor(predicate, timeoutMs, () => new Error(`${host}: no "${what}" within ${timeoutMs} ms`));
  await waitFor((e) => e.event === 'ready', 10_000, 'agent ready');
  return {
    host,
    events: log.events,
    waitFor,
    request(op, args = {}) {
      const id = nextId++;
      return cancellable(new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        agent.child.stdin?.write(`${JSON.stringify({ id, op, ...args })}\n`);
      }));
    },
  };
}

/** One agent in each of the hosts, started together; each is named after its host. */
export function startSocketAgents(scope: Scope, runId: string, ...hosts: Host[]): Promise<SocketAgent[]> {
  return Promise.all(hosts.map((host) => startSocketAgent(scope, runId, host.name, host.netns)));
}
