/** Pure logic of the load-balancing verdicts: cycles, chi-square, and verdicts that can go either way. */
import { describe, expect, it } from 'vitest';
import { chiSquare, judgeRandom, judgeRoundRobin, judgeUrlHash, judgeWeighted, period } from '../../labs/nginx/load-balancing.lab.ts';

// The order nginx 1.22 produced for weights 5/1/1 in a run of the lab.
const SMOOTH = ['b1', 'b1', 'b2', 'b1', 'b3', 'b1', 'b1'];

describe('load-balancing judges', () => {
  it('finds the repeating block of a sequence', () => {
    expect(period(['a', 'b', 'c', 'a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(period([...SMOOTH, ...SMOOTH, ...SMOOTH])).toEqual(SMOOTH);
    expect(period(['a', 'b', 'a', 'a'])).toEqual(['a', 'b', 'a', 'a']);
  });

  it('round robin: a rotation is confirmed, anything else refuted', () => {
    expect(judgeRoundRobin(['b1', 'b2', 'b3', 'b1', 'b2', 'b3']).verdict).toBe('confirmed');
    expect(judgeRoundRobin(['b1', 'b1', 'b2', 'b3', 'b2', 'b3']).verdict).toBe('refuted');
  });

  it('weights: proportional per cycle is confirmed, other shares refuted', () => {
    const weights = { b1: 5, b2: 1, b3: 1 };
    expect(judgeWeighted([...SMOOTH, ...SMOOTH], weights).verdict).toBe('confirmed');
    expect(judgeWeighted(['b1', 'b2', 'b3', 'b1', 'b2', 'b3'], weights).verdict).toBe('refuted');
  });

  it('chi-square: 0 for a perfect spread, large for a lopsided one', () => {
    expect(chiSquare([300, 300, 300])).toBe(0);
    expect(chiSquare([607, 593, 0])).toBeGreaterThan(13.8);
    expect(judgeRandom(Array.from({ length: 900 }, (_, i) => ['b1', 'b2'][i % 2]!), [], 'b3').verdict).toBe('refuted');
  });

  it('url hash: a URL that changes backend between identical passes refutes', () => {
    const first = ['b1', 'b2', 'b3', 'b4'];
    const base = { first, afterRemoval: { plain: first, consistent: first }, consistentBefore: first, removed: 'b4' };
    expect(judgeUrlHash({ ...base, repeat: first }).verdict).toBe('confirmed');
    expect(judgeUrlHash({ ...base, repeat: ['b1', 'b2', 'b3', 'b1'] }).verdict).toBe('refuted');
  });
});
