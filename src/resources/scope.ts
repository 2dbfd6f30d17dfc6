import { Cancelled, uncancellable } from './cancel.ts';

/** A loop that runs beside the lab (a sampler, a workload generator) and cannot outlive its scope. */
export interface BackgroundTask<T> {
  /** Settles with the task's own result (rejects with Cancelled if it was stopped first). */
  readonly done: Promise<T>;
  /** Aborts the task's signal and waits for it to end. */
  stop(): Promise<void>;
}

/**
 * A scope owns every resource a lab creates. Disposal runs in reverse order of creation,
 * runs each clean-up once, and carries on past failures so one broken clean-up cannot leak the rest.
 */
export class Scope implements AsyncDisposable {
  private readonly cleanups: { name: string; fn: () => Promise<void> | void }[] = [];
  private disposing: Promise<string[]> | undefined;
  /** Failures of background tasks, which the runner turns into the lab's error. */
  readonly failures: string[] = [];

  /** Registers a clean-up; returns a function that runs it early (once). */
  defer(name: string, fn: () => Promise<void> | void): () => Promise<void> {
    let done = false;
    // A clean-up runs to its end even when the lab that calls it early has been cancelled.
    const once = async () => {
      if (done) return;
      done = true;
      await uncancellable(fn);
    };
    if (this.disposing) {
      // Something was made after its owner closed (a lab still running past its time): undo it at once.
      void once().catch(() => undefined);
      throw new Error(`scope is closed: cannot add "${name}"`);
    }
    this.cleanups.push({ name, fn: once });
    return once;
  }

  /**
   * Runs `task` beside the lab with a signal of its own, aborted when `stop()` is called, when
   * `parent` aborts, or when the scope is disposed (which waits for the task to end). A failure
   * other than cancellation is recorded in `failures` instead of escaping as an unhandled rejection.
   */
  background<T>(name: string, task: (signal: AbortSignal) => Promise<T>, parent?: AbortSignal): BackgroundTask<T> {
    const controller = new AbortController();
    const signal = parent ? AbortSignal.any([controller.signal, parent]) : controller.signal;
    let settled: Promise<void> = Promise.resolve();
    const stop = this.defer(`background ${name}`, async () => {
      controller.abort(`${name} stopped`);
      await settled;
    });
    const done = Promise.resolve().then(() => task(signal));
    settled = done.then(
      () => undefined,
      (error: unknown) => {
        if (!signal.aborted || !(error instanceof Cancelled || (error as Error)?.name === 'AbortError')) {
          this.failures.push(`${name}: ${(error as Error)?.message ?? String(error)}`);
        }
      },
    );
    return { done, stop };
  }

  /**
   * A scope for one part of an experiment (a trial), closed by `close()` when that part ends;
   * this scope closes it too if the whole lab ends first.
   */
  child(name: string): Scope & { close(): Promise<void> } {
    const child = new Scope() as Scope & { close(): Promise<void> };
    child.close = async () => {
      const errors = await child.dispose();
      if (errors.length) throw new Error(`clean-up of ${name} failed: ${errors.join('; ')}`);
    };
    this.defer(name, child.close);
    return child;
  }

  /** Runs every clean-up, newest first; resolves to the errors met (empty when clean). */
  dispose(): Promise<string[]> {
    this.disposing ??= (async () => {
      const errors: string[] = [];
      for (const { name, fn } of this.cleanups.reverse()) {
        try {
          await fn();
        } catch (error) {
          errors.push(`${name}: ${(error as Error).message}`);
        }
      }
      return errors;
    })();
    return this.disposing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
