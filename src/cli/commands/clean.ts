/** `labs clean`: remove what dead runs left behind; live runs are never touched. */
import { reapDeadRuns } from '../../resources/reaper.ts';
import type { Flags } from '../flags.ts';

export async function clean(_args: string[], flags: Flags): Promise<number> {
  const reaped = await reapDeadRuns({ everything: true });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(reaped, null, 2)}\n`);
    return 0;
  }
  const parts = Object.entries(reaped)
    .filter(([, items]) => items.length)
    .map(([kind, items]) => `${items.length} ${kind} (${items.join(', ')})`);
  process.stdout.write(parts.length ? `removed ${parts.join('; ')}\n` : 'nothing left behind by dead runs\n');
  return 0;
}
