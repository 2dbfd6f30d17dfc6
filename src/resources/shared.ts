/**
 * Run-scoped resources: something several labs declare (a Kubernetes cluster, a broker cluster)
 * is started once per run, lent to one lab at a time (reset to a clean state between labs), and
 * disposed when the run ends. Its names carry the run id, so the reaper removes it after a crash.
 */
import type { Host } from './netns.ts';
import { Scope } from './scope.ts';

export interface SharedResource<T> {
  /** One instance per key and run. */
  key: string;
  /** What it is, for `labs list` and `labs doctor`. */
  describe: string;
  /** Images of this project it needs (folders under docker/), built before any lab's clock starts. */
  images?: readonly string[];
  start(scope: Scope, runId: string): Promise<T>;
  /** Brings it back to a clean state before a later lab uses it. */
  reset?(value: T): Promise<void>;
  /** Its hosts (containers, namespaces), which become hosts of the lab that uses it: faults and captures take them. */
  hostsOf?(value: T): Record<string, Host>;
}

interface Entry {
  /** The current instance; undefined once it was abandoned, until the next lab asks for it. */
  value: Promise<unknown> | undefined;
  /** What disposes the current instance. */
  scope: (Scope & { close(): Promise<void> }) | undefined;
  used: boolean;
  /** The tail of the queue of labs waiting for it. */
  lock: Promise<void>;
}

export class RunResources {
  private readonly scope = new Scope();
  private readonly entries = new Map<string, Entry>();
  private readonly closing = new Set<Promise<void>>();
  private readonly runId: string;

  constructor(runId: string) {
    this.runId = runId;
  }

  /**
   * Waits for the resource to be free, starts it the first time, resets it after; returns it and
   * its release. A lab that is still running when it gives the resource back (cancelled, and past
   * its grace) may still be using it: `release({ abandoned: true })` disposes that instance, and the
   * next lab that asks starts a new one (under its own cancellation).
   */
  async acquire<T>(resource: SharedResource<T>): Promise<{ value: T; release: (how?: { abandoned: boolean }) => void }> {
    let entry = this.entries.get(resource.key);
    if (!entry) {
      entry = { value: undefined, scope: undefined, used: false, lock: Promise.resolve() };
      this.entries.set(resource.key, entry);
    }
    const previous = entry.lock;
    let unlock!: () => void;
    entry.lock = new Promise<void>((resolve) => (unlock = resolve));
    await previous;
    const held = entry;
    const release = (how?: { abandoned: boolean }) => {
      if (how?.abandoned && held.scope) {
        // Its clean-up errors come back when the run disposes of everything (close reports them again).
        const closing = held.scope.close().catch(() => undefined);
        this.closing.add(closing);
        Object.assign(held, { value: undefined, scope: undefined, used: false });
      }
      unlock();
    };
    try {
      if (!entry.value) {
        await Promise.all(this.closing);
        entry.scope = this.scope.child(`shared ${resource.key}`);
        entry.value = resource.start(entry.scope, this.runId);
        entry.used = false;
      }
      const value = (await entry.value) as T;
      if (entry.used && resource.reset) await resource.reset(value);
      entry.used = true;
      return { value, release };
    } catch (error) {
      // A failed start or reset is not lent on: the next lab that asks starts a new one.
      await entry.scope?.close().catch(() => undefined);
      Object.assign(entry, { value: undefined, scope: undefined, used: false });
      unlock();
      throw error;
    }
  }

  async dispose(): Promise<string[]> {
    await Promise.all(this.closing);
    return this.scope.dispose();
  }
}
