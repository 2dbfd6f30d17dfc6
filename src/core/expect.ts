/**
 * Verdict baselines: a committed map of claim id to verdict, compared against a run. Where a verdict
 * depends on the host, an entry names the environment value it depends on and holds a verdict per
 * value, e.g. `{ "cgroup version": { "v1": "nuanced", "v2": "confirmed" } }`; a run is compared with
 * the verdict for the value its lab recorded.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from './registry.ts';
import { VERDICTS, type LabResult, type Verdict } from './types.ts';

const verdict = z.enum(VERDICTS);
const byCondition = z
  .record(z.string(), z.record(z.string(), verdict))
  .refine((entry) => Object.keys(entry).length === 1, 'a per-condition entry names exactly one environment value');
const baselineSchema = z.record(z.string(), z.union([verdict, byCondition]));
/** One environment value (by its key in a lab's `environment`) and the verdict for each value of it. */
export type ConditionalVerdict = Record<string, Record<string, Verdict>>;
export type Baseline = Record<string, Verdict | ConditionalVerdict>;

export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`baseline not found: ${file}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`malformed baseline ${file}: ${(error as Error).message}`);
  }
  const parsed = baselineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`malformed baseline ${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** A per-condition entry's environment key and its verdict for each value. */
const conditionOf = (entry: ConditionalVerdict) => Object.entries(entry)[0] as [string, Record<string, Verdict>];

/** The verdict a baseline expects of a claim run in `environment`; null when it holds none for it. */
export function expectedVerdict(baseline: Baseline, id: string, environment: Record<string, string>): Verdict | null {
  const entry = baseline[id];
  if (entry === undefined) return null;
  if (typeof entry === 'string') return entry;
  const [key, verdicts] = conditionOf(entry);
  return verdicts[environment[key] ?? ''] ?? null;
}

/** Records this run's verdicts over the baseline's: a per-condition entry gains or changes the verdict for this run's value only. */
export function writeBaseline(file: string, results: LabResult[]): void {
  const merged: Baseline = existsSync(file) ? readBaseline(file) : {};
  for (const lab of results)
    for (const claim of lab.claims) {
      const entry = merged[claim.id];
      if (entry === undefined || typeof entry === 'string') merged[claim.id] = claim.verdict;
      else {
        const [key, verdicts] = conditionOf(entry);
        merged[claim.id] = { [key]: { ...verdicts, [lab.environment[key] ?? '']: claim.verdict } };
      }
    }
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
}

/** The results with each claim's baseline verdict recorded beside its own (null when the baseline lacks the claim). */
export function withExpected(baseline: Baseline, results: LabResult[]): LabResult[] {
  return results.map((lab) => ({ ...lab, claims: lab.claims.map((c) => ({ ...c, expected: expectedVerdict(baseline, c.id, lab.environment) })) }));
}

/** Whether a claim's verdict differs from the baseline's (or the baseline lacks it), when it was run against one. */
export function drifted(claim: { verdict: Verdict; expected?: Verdict | null }): boolean {
  return claim.expected !== undefined && claim.expected !== claim.verdict;
}

/** One line per claim whose verdict differs from the baseline, or that the baseline lacks. */
export function drift(baseline: Baseline, results: LabResult[]): string[] {
  return withExpected(baseline, results)
    .flatMap((lab) => lab.claims.filter(drifted))
    .map((c) => (c.expected === null ? `${c.id}: ${c.verdict} (not in the baseline)` : `${c.id}: expected ${c.expected}, got ${c.verdict}`));
}
