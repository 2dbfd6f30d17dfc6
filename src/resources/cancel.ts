/**
 * The lab's cancellation, carried with its asynchronous work: the runner runs each lab inside
 * `withSignal`, and every exec, container call, wait and agent request started from it (however
 * deep) reads the signal here, so a lab that times out stops at its next await without each lab
 * passing the signal by hand.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as delay } from 'node:timers/promises';

interface Frame {
  signal: AbortSignal;
  /** Receives errors that escaped this frame's work (an emitter's error, a stray rejection). */
  onStray?: (error: unknown) => void;
}

const ambient = new AsyncLocalStorage<Frame>();

export class Cancelled extends Error {
  constructor(reason: unknown) {
    super(`cancelled: ${reason instanceof Error ? reason.message : String(reason ?? 'aborted')}`);
  }
}

export function withSignal<T>(signal: AbortSignal, fn: () => T, onStray?: (error: unknown) => void): T {
  return ambient.run({ signal, ...(onStray ? { onStray } : {}) }, fn);
}

/** Runs `fn` outside any lab's frame: clean-up must finish even when the lab was cancelled. */
export function uncancellable<T>(fn: () => T): T {
  return ambient.exit(fn);
}

/** The signal of the lab this code runs for, if any. */
export function currentSignal(): AbortSignal | undefined {
  return ambient.getStore()?.signal;
}

/**
 * Hands an error that escaped (process 'uncaughtException' / 'unhandledRejection', which Node
 * calls in the context where the error arose) to the lab it came from; false when it came from none.
 */
export function reportStray(error: unknown): boolean {
  const onStray = ambient.getStore()?.onStray;
  onStray?.(error);
  return onStray !== undefined;
}

export function throwIfCancelled(signal = currentSignal()): void {
  if (signal?.aborted) throw new Cancelled(signal.reason);
}

/** Waits `ms`, or rejects with Cancelled as soon as the lab is cancelled. */
export async function sleep(ms: number, signal = currentSignal()): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw new Cancelled(signal.reason);
    throw error;
  }
}

/** Settles like `promise`, or rejects with Cancelled when the lab is cancelled first. */
export function cancellable<T>(promise: Promise<T>, signal = currentSignal()): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new Cancelled(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Cancelled(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}
