import { sleep, throwIfCancelled } from './cancel.ts';

/** Polls `check` until it holds; rejects naming `what` after `timeoutMs`, or when the lab is cancelled. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    throwIfCancelled();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
