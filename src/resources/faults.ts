/**
 * Faults as values, in the manner of Jepsen's nemeses: each says how it is injected and healed,
 * is marked on the timeline when it starts and ends, and is healed when the scope closes whatever
 * happened. Targets are host names: namespace hosts and containers alike; killing, pausing and
 * restarting need a container.
 */
import { z } from 'zod';
import { currentSignal, sleep, uncancellable } from './cancel.ts';
import type { Container } from './container.ts';
import { impair } from './impairment.ts';
import type { Host } from './netns.ts';
import { exec } from './process.ts';
import type { Scope } from './scope.ts';
import type { Timeline } from './timeline.ts';

const target = z.string().min(1);

export const faultSchema = z.discriminatedUnion('kind', [
  /** SIGKILL (or `signal`) to the container; healed by starting it again. */
  z.object({ kind: z.literal('kill'), target, signal: z.string().default('SIGKILL') }),
  /** SIGSTOP for every process of the container (the cgroup freezer); healed by thawing it. */
  z.object({ kind: z.literal('pause'), target }),
  /** Stop and start at once; nothing to heal. */
  z.object({ kind: z.literal('restart'), target }),
  /** Drop traffic between two sets of hosts; with `oneWay`, only what `from` sends to `to`. */
  z.object({ kind: z.literal('partition'), from: z.array(target).min(1), to: z.array(target).min(1), oneWay: z.boolean().default(false) }),
  /** Delay what the target sends. */
  z.object({ kind: z.literal('delay'), target, delayMs: z.number().positive().max(10_000) }),
  /** Drop a share of what arrives at the target. */
  z.object({ kind: z.literal('loss'), target, random: z.number().gt(0).lt(1) }),
]);
export type FaultSpec = z.input<typeof faultSchema>;
type Fault = z.output<typeof faultSchema>;

export interface ActiveFault {
  readonly label: string;
  /** Lifts the fault (once); the scope lifts it otherwise. */
  heal(): Promise<void>;
}

/** A fault scheduled against the workload: at a time after `schedule` was called, or after N completed operations. */
export interface ScheduledFault {
  fault: FaultSpec;
  at: { ms: number } | { ops: number };
  /** Heal after this long; without it the fault lasts until healed by hand or by disposal. */
  forMs?: number;
}

export function describeFault(fault: FaultSpec): string {
  const f = faultSchema.parse(fault);
  switch (f.kind) {
    case 'kill':
      return `kill ${f.target} (${f.signal})`;
    case 'pause':
      return `pause ${f.target}`;
    case 'restart':
      return `restart ${f.target}`;
    case 'partition':
      return `partition ${f.from.join('+')} ${f.oneWay ? '→' : '⇹'} ${f.to.join('+')}`;
    case 'delay':
      return `delay ${f.target} ${f.delayMs} ms`;
    case 'loss':
      return `loss ${f.target} ${Math.round(f.random * 100)}%`;
  }
}

const targetsOf = (f: Fault) => (f.kind === 'partition' ? [...f.from, ...f.to] : [f.target]);
const ipv4Addresses = (host: Host) => host.interfaces.flatMap((i) => i.addresses).filter((a) => !a.includes(':')).map((a) => a.split('/')[0]!);

export class Faults {
  private rule = 0;
  private readonly scope: Scope;
  private readonly runId: string;
  private readonly hosts: Record<string, Host>;
  private readonly timeline: Timeline;

  constructor(scope: Scope, runId: string, hosts: Record<string, Host>, timeline: Timeline) {
    this.scope = scope;
    this.runId = runId;
    this.hosts = hosts;
    this.timeline = timeline;
  }

  private host(name: string): Host {
    const host = this.hosts[name];
    if (!host) throw new Error(`fault target "${name}" is not a host of this lab (hosts: ${Object.keys(this.hosts).join(', ')})`);
    return host;
  }

  private container(name: string): Container {
    const host = this.host(name) as Partial<Container>;
    if (typeof host.kill !== 'function') throw new Error(`fault target "${name}" is a namespace host; kill, pause and restart need a container`);
    return host as Container;
  }

  /** Drops, in each receiving host, what arrives from the sending hosts' addresses. */
  private async partition(from: string[], to: string[], oneWay: boolean): Promise<() => Promise<void>> {
    const comment = `labs-${this.runId}-partition-${++this.rule}`;
    const rules: { netns: string; args: string[] }[] = [];
    const inserted: typeof rules = [];
    const block = (receivers: string[], senders: string[]) => {
      const sources = senders.flatMap((s) => ipv4Addresses(this.host(s)));
      for (const r of receivers) rules.push({ netns: this.host(r).netns, args: ['INPUT', '-s', sources.join(','), '-m', 'comment', '--comment', comment, '-j', 'DROP'] });
    };
    block(to, from);
    if (!oneWay) block(from, to);
    const undo = async () => {
      for (const { netns, args } of inserted.splice(0)) await exec('iptables', ['-D', ...args], { netns }).catch(() => undefined);
    };
    try {
      for (const rule of rules) {
        await exec('iptables', ['-I', ...rule.args], { netns: rule.netns });
        inserted.push(rule);
      }
    } catch (error) {
      await uncancellable(undo);
      throw error;
    }
    return undo;
  }

  private async apply(f: Fault): Promise<() => Promise<void>> {
    switch (f.kind) {
      case 'kill': {
        const c = this.container(f.target);
        await c.kill(f.signal);
        return () => c.start();
      }
      case 'pause': {
        const c = this.container(f.target);
        await c.pause();
        return () => c.unpause();
      }
      case 'restart':
        await this.container(f.target).restart();
        return async () => {};
      case 'partition':
        return this.partition(f.from, f.to, f.oneWay);
      case 'delay': {
        const host = this.host(f.target);
        const applied = await impair(this.scope, this.runId, host.netns, host.interfaces[0]!.name, { delayMs: f.delayMs });
        return applied.remove;
      }
      case 'loss': {
        const host = this.host(f.target);
        const applied = await impair(this.scope, this.runId, host.netns, host.interfaces[0]!.name, { lossIn: { random: f.random } });
        return applied.remove;
      }
    }
  }

  /** Injects a fault now; it is on the timeline from here until healed. */
  async inject(spec: FaultSpec): Promise<ActiveFault> {
    const fault = faultSchema.parse(spec);
    const label = describeFault(fault);
    const targets = targetsOf(fault);
    for (const name of targets) this.host(name);
    if (fault.kind === 'kill' || fault.kind === 'pause' || fault.kind === 'restart') this.container(fault.target);
    this.timeline.fault('start', label, targets);
    let undo: () => Promise<void>;
    try {
      undo = await this.apply(fault);
    } catch (error) {
      this.timeline.fault('end', label, targets);
      throw error;
    }
    const heal = this.scope.defer(`fault ${label}`, async () => {
      await undo();
      this.timeline.fault('end', label, targets);
    });
    return { label, heal };
  }

  /** Injects, holds for `ms`, heals. */
  async during(spec: FaultSpec, ms: number): Promise<void> {
    const active = await this.inject(spec);
    try {
      await sleep(ms);
    } finally {
      await active.heal();
    }
  }

  /**
   * Runs the plan beside the workload: each fault waits for its moment (a time, or a number of
   * completed operations on the timeline), is injected, and is healed after `forMs`.
   * Resolves when every fault of the plan has been injected (and healed where it has a duration).
   */
  schedule(plan: ScheduledFault[]): Promise<void> {
    const started = performance.now();
    const tasks = plan.map((item, index) =>
      this.scope.background(`fault plan ${index + 1}`, async (signal) => {
        if ('ms' in item.at) await sleep(Math.max(0, item.at.ms - (performance.now() - started)), signal);
        else {
          const ops = item.at.ops;
          while (this.timeline.completedOps() < ops) await sleep(10, signal);
        }
        const active = await this.inject(item.fault);
        if (item.forMs !== undefined) {
          await sleep(item.forMs, signal);
          await active.heal();
        }
      }, currentSignal()).done,
    );
    return Promise.all(tasks).then(() => undefined);
  }
}
