/** `labs list`: the labs, their topics and the claims they test. */
import { labIndex } from '../../core/registry.ts';
import type { Flags } from '../flags.ts';
import { unknownTopic } from '../topics.ts';

export async function list(_args: string[], flags: Flags): Promise<number> {
  const all = await labIndex(flags['labs-dir']);
  const labs = all.filter((l) => !flags.topic || l.topic === flags.topic);
  if (flags.topic && !labs.length) throw unknownTopic(flags.topic, all);
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
