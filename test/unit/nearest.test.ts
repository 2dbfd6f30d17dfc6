import { describe, expect, it } from 'vitest';
import { editDistance, nearest } from '../../src/core/nearest.ts';

describe('nearest name', () => {
  it('counts edits, a swap of neighbours as one', () => {
    expect(editDistance('tcp-lifecyle', 'tcp-lifecycle')).toBe(1);
    expect(editDistance('jsno', 'json')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the closest candidate, a completion of a prefix, and nothing for a stranger', () => {
    expect(nearest('k8z', ['kafka', 'k8s', 'tcp'])).toBe('k8s');
    expect(nearest('k8s-node', ['k8s-nodes', 'k8s-pods'])).toBe('k8s-nodes');
    expect(nearest('rocket', ['rocketmq', 'kafka'])).toBe('rocketmq');
    expect(nearest('frobnicate', ['list', 'run', 'show'])).toBeUndefined();
  });
});
