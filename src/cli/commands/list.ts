/** `labs list`: the labs, their topics and the claims they test. */
import { loadLabs } from '../../core/registry.ts';
import type { Flags } from '../main.ts';

export async function list(_args: string[], flags: Flags): Promise<number> {
  const labs = (await loadLabs(flags['labs-dir'])).filter((l) => !flags.topic || l.topic === flags.topic);
  if (flags.json) {
    const rows = labs.map(({ id, title, topic, claims, requires }) => ({ id, title, topic, claims, requires }));
    process.stdout.write(`${JSON.stringify({ labs: rows }, null, 2)}\n`);
    return 0;
  }
  for (const lab of labs) {
    process.stdout.write(`${lab.id}  [${lab.topic}]  ${lab.title}\n`);
    for (const claim of lab.claims) process.stdout.write(`    ${claim}\n`);
  }
  return 0;
}
