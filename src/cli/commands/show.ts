/** `labs show`: a lab's handout (in --lang) and its claims in both languages (or a claim and the lab that tests it), without running anything. */
import { CLAIMS, findClaim, type Claim } from '../../catalog/index.ts';
import { didYouMean } from '../../core/nearest.ts';
import { labIndex, UsageError } from '../../core/registry.ts';
import { handoutIn, resolveLang, WORDS } from '../../report/lang.ts';
import type { Flags } from '../flags.ts';

/** show's own words; the handout's labels come from the report's (WORDS). */
const TEXT = {
  en: { needs: 'needs', limits: (needs: string, s: number) => `${needs || 'nothing special'}; stopped after ${s} s`, noLab: 'no lab tests this claim yet', runIt: 'run it: ', label: (word: string) => `${word}:`.padEnd(11) },
  zh: { needs: '需要', limits: (needs: string, s: number) => `${needs || '无特殊要求'}；超过 ${s} 秒即停止`, noLab: '还没有实验检验这条论断', runIt: '运行：', label: (word: string) => `${word}：` },
} as const;

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
  const lang = resolveLang(flags.lang);
  const t = TEXT[lang];
  const out: string[] = [];
  if (lab) {
    const handout = handoutIn(lab, lang)!;
    out.push(`${lab.id}  [${lab.topic}]  ${handout.title}`, '');
    const words = WORDS[lang];
    out.push(`  ${t.label(words.starts)}${handout.starts}`, `  ${t.label(words.does)}${handout.does}`, `  ${t.label(words.observes)}${handout.observes}`);
    out.push(`  ${t.label(t.needs)}${t.limits(lab.requires.join(', '), lab.timeLimitMs / 1000)}`, '');
  } else out.push(`${id}: ${t.noLab}`, '');
  for (const c of claims) out.push(`  ${c.id}  (${c.section})`, `    ${c.en}`, `    ${c.zh}`);
  if (lab) out.push('', `${t.runIt}labs run ${lab.id}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
