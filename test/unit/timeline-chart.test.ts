import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../src/core/types.ts';
import { faultSpans, operations, timelineChart } from '../../src/report/timeline-chart.ts';

const events: TimelineEvent[] = [
  { type: 'invoke', atMs: 0, process: 'T1', f: 'write', value: 1 },
  { type: 'invoke', atMs: 1, process: 'T2', f: 'write', value: 2 },
  { type: 'fault', atMs: 5, phase: 'start', fault: 'kill broker2 (SIGKILL)', targets: ['broker2'] },
  { type: 'ok', atMs: 10, process: 'T1', f: 'write', value: 1 },
  { type: 'fail', atMs: 12, process: 'T2', f: 'write', value: 2, error: 'refused' },
  { type: 'invoke', atMs: 13, process: 'T1', f: 'read' },
  { type: 'sample', atMs: 14, name: 'isr', value: [1, 3] },
  { type: 'fault', atMs: 20, phase: 'end', fault: 'kill broker2 (SIGKILL)', targets: ['broker2'] },
  { type: 'fault', atMs: 21, phase: 'start', fault: 'partition a ⇹ b', targets: ['a', 'b'] },
  { type: 'info', atMs: 30, process: 'T1', f: 'read', error: 'timed out' },
];

describe('timeline chart', () => {
  it('pairs each invoke with the completion of the same process', () => {
    const ops = operations(events);
    expect([...ops.keys()]).toEqual(['T1', 'T2']);
    expect(ops.get('T1')!.map((o) => [o.from, o.to, o.outcome])).toEqual([[0, 10, 'ok'], [13, 30, 'info']]);
    expect(ops.get('T2')!.map((o) => [o.from, o.to, o.outcome, o.label])).toEqual([[1, 12, 'fail', 'write 2: fail (refused)']]);
  });

  it('turns fault starts and ends into bands, an unhealed one running to the end', () => {
    expect(faultSpans(events, 30)).toEqual([
      { from: 5, to: 20, label: 'kill broker2 (SIGKILL)' },
      { from: 21, to: 30, label: 'partition a ⇹ b' },
    ]);
  });

  it('draws operations by outcome, faults as shaded bands and samples on their own row', () => {
    const svg = timelineChart(events);
    expect(svg.match(/height="14" fill="#2e7d32"/g)).toHaveLength(1);
    expect(svg.match(/height="14" fill="#ef6c00"/g)).toHaveLength(1);
    expect(svg.match(/fill-opacity="0.12"/g)).toHaveLength(2);
    expect(svg).toContain('>samples</text>');
    expect(svg).toContain('<title>kill broker2 (SIGKILL): 5-20 ms</title>');
    expect(svg).toContain('partition a ⇹ b');
  });
});
