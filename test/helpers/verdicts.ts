/** Assertions on verdicts shared by the judges' unit tests. */
import { expect } from 'vitest';
import type { ClaimResult } from '../../src/core/types.ts';

/** Unverifiable, with a summary that names what was missing (`word`) and a Chinese one beside it. */
export function expectNotObserved(result: ClaimResult, word: string): void {
  expect(result.verdict).toBe('unverifiable');
  expect(result.summary).toContain(word);
  expect(result.summaryZh).toMatch(/[\u4e00-\u9fff]/);
}
