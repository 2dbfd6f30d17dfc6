/** `labs list`: the labs, their topics and the claims they test. */
import { labIndex } from '../../core/registry.ts';
import type { Flags } from '../flags.ts';

export async function list(_args: string[], flags: Flags): Promise<number> {
  const labs = (await labIndex(flags['labs-dir'])).filter((l) => !flags.topic || l.topic === flags.topic);
  if (flags.json) {
    const rows = labs.map((lab) => ({ id: lab.id, title: lab.title, topic: lab.topic, claims: lab.claims, requires: lab.requires, timeLimitMs: lab.timeLimitMs, starts: lab.starts }));
    process.stdout.write(`${JSON.stringify({ labs: rows }, null, 2)}\n`);
    return 0;
  }
  for (const lab of labs) {
    process.stdout.write(`${lab.id}  [${lab.topic}]  ${lab.title}\n`);
    for (const claim of lab.claims) process.stdout.write(`    ${claim}\n`);
  }
  return 0;
}
