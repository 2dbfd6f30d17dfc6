/** Events a process reports, kept in order, with waits for the first (past or future) that matches. */
import { cancellable } from './cancel.ts';

export class EventLog<T> {
  readonly events: T[] = [];
  private readonly listeners: ((event: T) => void)[] = [];
  private readonly waiters = new Set<() => void>();

  push(event: T): void {
    this.events.push(event);
    for (const listen of this.listeners) listen(event);
    for (const wake of this.waiters) wake();
  }

  /** Calls `listener` with every later event. */
  onEvent(listener: (event: T) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves with the first event that matches; rejects with `timeoutError()` after `timeoutMs`, or when the lab is cancelled. */
  waitFor(predicate: (event: T) => boolean, timeoutMs: number, timeoutError: () => Error): Promise<T> {
    return cancellable(
      new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = this.events.find(predicate);
          if (found === undefined) return;
          done();
          resolve(found);
        };
        // Unref'd: a wait that was given up on (cancelled) must not keep the process alive.
        const timer = setTimeout(() => {
          done();
          reject(timeoutError());
        }, timeoutMs).unref();
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(check);
        };
        this.waiters.add(check);
        check();
      }),
    );
  }
}
