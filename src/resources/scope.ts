/**
 * A scope owns every resource a lab creates. Disposal runs in reverse order of creation,
 * runs each clean-up once, and carries on past failures so one broken clean-up cannot leak the rest.
 */
export class Scope implements AsyncDisposable {
  private readonly cleanups: { name: string; fn: () => Promise<void> | void }[] = [];
  private disposing: Promise<string[]> | undefined;

  /** Registers a clean-up; returns a function that runs it early (once). */
  defer(name: string, fn: () => Promise<void> | void): () => Promise<void> {
    if (this.disposing) throw new Error(`scope is closed: cannot add "${name}"`);
    let done = false;
    const once = async () => {
      if (done) return;
      done = true;
      await fn();
    };
    this.cleanups.push({ name, fn: once });
    return once;
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
