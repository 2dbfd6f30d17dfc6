/** `labs coverage`: per topic, how many of the sheet's claims have a lab. */
import { CLAIMS, topics } from '../../catalog/index.ts';
import { labIndex } from '../../core/registry.ts';
import type { Flags } from '../flags.ts';

export async function coverage(_args: string[], flags: Flags): Promise<number> {
  const covered = new Set((await labIndex(flags['labs-dir'])).flatMap((l) => l.claims));
  const rows = topics().map((topic) => {
    const claims = CLAIMS.filter((c) => c.topic === topic);
    return { topic, claims: claims.length, withLab: claims.filter((c) => covered.has(c.id)).length, without: claims.filter((c) => !covered.has(c.id)).map((c) => c.id) };
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ topics: rows }, null, 2)}\n`);
    return 0;
  }
  const total = rows.reduce((a, r) => a + r.claims, 0);
  const withLab = rows.reduce((a, r) => a + r.withLab, 0);
  process.stdout.write(`${'topic'.padEnd(10)} ${'claims'.padStart(6)} ${'with lab'.padStart(8)}\n`);
  for (const r of rows) process.stdout.write(`${r.topic.padEnd(10)} ${String(r.claims).padStart(6)} ${String(r.withLab).padStart(8)}  ${'█'.repeat(Math.round((10 * r.withLab) / r.claims)).padEnd(10, '·')}\n`);
  process.stdout.write(`${'all'.padEnd(10)} ${String(total).padStart(6)} ${String(withLab).padStart(8)}\n`);
  return 0;
}
