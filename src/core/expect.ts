/** Verdict baselines: a committed map of claim id to verdict, compared against a run. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from './registry.ts';
import { VERDICTS, type LabResult, type Verdict } from './types.ts';

const baselineSchema = z.record(z.string(), z.enum(VERDICTS));
export type Baseline = Record<string, Verdict>;

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

export function baselineOf(results: LabResult[]): Baseline {
  return Object.fromEntries(results.flatMap((lab) => lab.claims.map((c) => [c.id, c.verdict] as const)).sort(([a], [b]) => a.localeCompare(b)));
}

/** Records this run's verdicts, keeping the baseline's entries for claims this run did not cover. */
export function writeBaseline(file: string, results: LabResult[]): void {
  const merged = { ...(existsSync(file) ? readBaseline(file) : {}), ...baselineOf(results) };
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
}

/** The results with each claim's baseline verdict recorded beside its own (null when the baseline lacks the claim). */
export function withExpected(baseline: Baseline, results: LabResult[]): LabResult[] {
  return results.map((lab) => ({ ...lab, claims: lab.claims.map((c) => ({ ...c, expected: baseline[c.id] ?? null })) }));
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
