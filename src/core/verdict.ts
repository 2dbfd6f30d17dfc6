/** Small builders of claim results shared by the labs. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabContext } from './lab.ts';
import type { ClaimResult, Evidence } from './types.ts';

/** A summary in English and Chinese. */
export interface Said {
  en: string;
  zh: string;
}

/** A claim that is confirmed when `holds`, refuted otherwise, with the summary for each case. */
export function confirmedIf(id: string, holds: boolean, yes: Said, no: Said, observed: Record<string, unknown>, evidence: Evidence[] = []): ClaimResult {
  const said = holds ? yes : no;
  return { id, verdict: holds ? 'confirmed' : 'refuted', summary: said.en, summaryZh: said.zh, observed, evidence };
}

/** The same result with more evidence after its own. */
export function withEvidence(result: ClaimResult, ...evidence: Evidence[]): ClaimResult {
  return { ...result, evidence: [...result.evidence, ...evidence] };
}

/** Writes everything a lab observed as JSON to its work directory and keeps it with the report: the raw data behind the verdicts. */
export function keptJson(ctx: LabContext, name: string, value: unknown, title: string): Evidence[] {
  const file = join(ctx.workDir, name);
  writeFileSync(file, JSON.stringify(value, null, 1));
  return keptFile(ctx, file, title);
}

/** Keeps a file with the report and returns the evidence that links to it (none when no report is written). */
export function keptFile(ctx: LabContext, file: string, title: string): Evidence[] {
  const path = ctx.keep(file);
  return path ? [{ kind: 'file', title, path }] : [];
}

/** A claim the lab could not decide because an observation it needs is missing; the summary names what. */
export function notObserved(id: string, missing: Said, observed: Record<string, unknown> = {}): ClaimResult {
  return { id, verdict: 'unverifiable', summary: missing.en, summaryZh: missing.zh, observed, evidence: [] };
}
