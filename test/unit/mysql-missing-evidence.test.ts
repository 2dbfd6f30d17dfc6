/** The deadlock judge without the variants it needs: unverifiable instead of throwing or deciding. */
import { describe, expect, it } from 'vitest';
import { judgeDeadlock, type VariantResult } from '../../labs/mysql/deadlock.lab.ts';

const variant = (condition: string, deadlocks: number, rounds = 20): VariantResult => ({ name: condition, condition, rounds, deadlocks, lockWaitErrors: 0, completed: rounds - deadlocks });
const broken = ['mutual exclusion', 'hold and wait', 'circular wait', 'preemption'].map((c) => variant(c, 0));

describe('deadlock four conditions without the variants it needs', () => {
  it('is unverifiable when the variant with all four conditions did not run, or ran no round', () => {
    expect(judgeDeadlock([], '')).toMatchObject({ verdict: 'unverifiable', summary: 'The variant with all four conditions did not run.' });
    expect(judgeDeadlock(broken, '').verdict).toBe('unverifiable');
    expect(judgeDeadlock([variant('all four', 0, 0), ...broken], '').verdict).toBe('unverifiable');
  });

  it('is unverifiable when no variant with a condition removed ran; a full variant that did not always deadlock still refutes', () => {
    const alone = judgeDeadlock([variant('all four', 20)], '');
    expect(alone).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('No variant with a condition removed ran') });
    expect(alone.summaryZh).not.toBe('');
    expect(judgeDeadlock([variant('all four', 20), ...broken.slice(0, 3), variant('preemption', 0, 0)], '').summary).toContain('preemption had no rounds');
    expect(judgeDeadlock([variant('all four', 12)], '').verdict).toBe('refuted');
  });
});
