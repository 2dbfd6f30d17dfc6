import { describe, expect, it } from 'vitest';
import { judgeDeadlock, judgeMutualExclusion, type VariantResult } from '../../labs/mysql/deadlock.lab.ts';

const variant = (condition: string, deadlocks: number): VariantResult => ({ name: condition, condition, rounds: 20, deadlocks, lockWaitErrors: 0, completed: 20 - deadlocks });
const conditions = ['mutual exclusion', 'hold and wait', 'circular wait', 'preemption'];

describe('deadlock judge', () => {
  it('confirms when all four deadlock every time and each broken condition never does', () => {
    expect(judgeDeadlock([variant('all four', 20), ...conditions.map((c) => variant(c, 0))], '').verdict).toBe('confirmed');
  });

  it('refutes when a variant without one condition still deadlocks, or the full one does not', () => {
    expect(judgeDeadlock([variant('all four', 20), ...conditions.map((c, i) => variant(c, i === 2 ? 3 : 0))], '').verdict).toBe('refuted');
    expect(judgeDeadlock([variant('all four', 12), ...conditions.map((c) => variant(c, 0))], '').verdict).toBe('refuted');
  });

  it('mutual exclusion: nuanced when shared locks never deadlock, confirmed when they still do, unverifiable without the variant', () => {
    const variants = [variant('all four', 20), ...conditions.map((c) => variant(c, 0))];
    expect(judgeMutualExclusion(variants).verdict).toBe('nuanced');
    expect(judgeMutualExclusion([variant('all four', 20), variant('mutual exclusion', 4)]).verdict).toBe('confirmed');
    expect(judgeMutualExclusion([variant('all four', 20)]).verdict).toBe('unverifiable');
  });
});
