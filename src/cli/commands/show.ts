/** `labs show`: a lab's handout and its claims in full (or a claim and the lab that tests it), without running anything. */
import { CLAIMS, findClaim, type Claim } from '../../catalog/index.ts';
import { didYouMean } from '../../core/nearest.ts';
import { labIndex, UsageError } from '../../core/registry.ts';
import type { Flags } from '../flags.ts';

export async function show(args: string[], flags: Flags): Promise<number> {
  if (args.length !== 1) throw new UsageError('show takes one lab or claim id, e.g. `labs show tcp-lifecycle`');
  const id = args[0]!;
  const labs = await labIndex(flags['labs-dir']);
  const lab = labs.find((l) => l.id === id) ?? labs.find((l) => l.claims.includes(id));
  const claim = findClaim(id);
  if (!lab && !claim) throw new UsageError(`unknown lab or claim "${id}"${didYouMean(id, [...labs.map((l) => l.id), ...CLAIMS.map((c) => c.id)], ' (see `labs list`)')}`);
  const claims = (lab ? lab.claims.map((c) => findClaim(c)!) : [claim!]) as Claim[];
  if (flags.json) {
    const about = lab ? { id: lab.id, title: lab.title, topic: lab.topic, handout: lab.handout, requires: lab.requires, timeLimitMs: lab.timeLimitMs, starts: lab.starts } : null;
    process.stdout.write(`${JSON.stringify({ lab: about, claims }, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  if (lab) {
    out.push(`${lab.id}  [${lab.topic}]  ${lab.title}`, '');
    out.push(`  starts:    ${lab.handout.starts}`, `  does:      ${lab.handout.does}`, `  observes:  ${lab.handout.observes}`);
    out.push(`  needs:     ${lab.requires.join(', ') || 'nothing special'}; stopped after ${lab.timeLimitMs / 1000} s`, '');
  } else out.push(`${id}: no lab tests this claim yet`, '');
  for (const c of claims) out.push(`  ${c.id}  (${c.section})`, `    ${c.en}`, `    ${c.zh}`);
  if (lab) out.push('', `run it: labs run ${lab.id}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
