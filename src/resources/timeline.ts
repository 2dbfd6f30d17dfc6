/** The lab's history: operations, faults and samples on one clock (see TimelineEvent). */
import type { TimelineEvent } from '../core/types.ts';
import { Cancelled } from './cancel.ts';

/** Thrown by an operation that certainly did not take effect (a refused write): recorded as `fail`. */
export class Failed extends Error {}

export type Outcome<T> = { type: 'ok'; value: T } | { type: 'fail' | 'info'; error: string };

type Listener = (event: TimelineEvent) => void;

export class Timeline {
  readonly events: TimelineEvent[] = [];
  private readonly t0: number;
  private readonly listeners = new Set<Listener>();

  constructor(t0 = performance.now()) {
    this.t0 = t0;
  }

  now(): number {
    return Math.round((performance.now() - this.t0) * 10) / 10;
  }

  private push(event: TimelineEvent): void {
    this.events.push(event);
    for (const listen of this.listeners) listen(event);
  }

  /** Calls `listener` with every later event; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs one operation of `process`: records `invoke`, then `ok` with what `fn` returned, `fail`
   * when it threw Failed, or `info` for any other error (the operation may or may not have happened).
   * Cancellation is not an outcome: it propagates.
   */
  async op<T>(process: string, f: string, fn: () => Promise<T>, value?: unknown): Promise<Outcome<T>> {
    this.push({ type: 'invoke', atMs: this.now(), process, f, ...(value === undefined ? {} : { value }) });
    try {
      const result = await fn();
      this.push({ type: 'ok', atMs: this.now(), process, f, ...(result === undefined ? {} : { value: result }) });
      return { type: 'ok', value: result };
    } catch (error) {
      if (error instanceof Cancelled) throw error;
      const type = error instanceof Failed ? 'fail' : 'info';
      const message = (error as Error)?.message ?? String(error);
      this.push({ type, atMs: this.now(), process, f, ...(value === undefined ? {} : { value }), error: message });
      return { type, error: message };
    }
  }

  /**
   * Records the invoke of an operation whose steps interleave with others' (two transactions, say);
   * the returned handle records its completion.
   */
  invoke(process: string, f: string, value?: unknown): { ok(result?: unknown): void; fail(error: string): void; info(error: string): void } {
    this.push({ type: 'invoke', atMs: this.now(), process, f, ...(value === undefined ? {} : { value }) });
    const complete = (type: 'ok' | 'fail' | 'info', extra: { value?: unknown; error?: string }) => this.push({ type, atMs: this.now(), process, f, ...extra });
    return {
      ok: (result) => complete('ok', result === undefined ? {} : { value: result }),
      fail: (error) => complete('fail', { error }),
      info: (error) => complete('info', { error }),
    };
  }

  fault(phase: 'start' | 'end', fault: string, targets: string[]): void {
    this.push({ type: 'fault', atMs: this.now(), phase, fault, targets });
  }

  sample(name: string, value: unknown): void {
    this.push({ type: 'sample', atMs: this.now(), name, value });
  }

  note(text: string): void {
    this.push({ type: 'note', atMs: this.now(), text });
  }

  /** Operations that have completed (ok, fail or info) so far. */
  completedOps(): number {
    return this.events.filter((e) => e.type === 'ok' || e.type === 'fail' || e.type === 'info').length;
  }
}
