import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { direction, judgeContiguity, judgeGrowth, judgeLayout, judgeStackFaster, mappingOf, type MemoryRuns } from '../../labs/os/memory.lab.ts';

/** A real run of os-memory: a C program's addresses, /proc/self/maps and allocation timings (x86-64, glibc), twice with ASLR on, once under setarch -R. */
const sample = realSample<MemoryRuns>('os-memory-runs.json.gz');
const real = sample.real.runs[0]!;
const altered = (change: (run: MemoryRuns['runs'][number]) => void) => sample.altered((o) => change(o.runs[0]!)).runs[0]!;

describe('os-memory judge', () => {
  it('finds each address in its mapping and the way a list of addresses runs', () => {
    expect(mappingOf(real.maps, real.stack[0]!)).toBe('[stack]');
    expect(mappingOf(real.maps, real.small[0]!)).toBe('[heap]');
    expect(mappingOf(real.maps, '0x1')).toBe('(none)');
    expect(direction(['0x10', '0x20'])).toBe(1);
    expect(direction(['0x20', '0x10'])).toBe(-1);
    expect(direction(['0x10', '0x20', '0x18'])).toBe(0);
  });

  it('is nuanced on the real run: the stack down, small blocks up, large blocks from mmap going down', () => {
    const result = judgeGrowth(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ stackDirection: -1, smallBlocksDirection: 1, largeBlocksDirection: -1, stackIn: ['[stack]'], smallBlocksIn: ['[heap]'], largeBlocksBetweenHeapAndStack: true });
  });

  it('confirms when large blocks rise too, refutes a stack that grows up, unverifiable without addresses', () => {
    expect(judgeGrowth({ ...real, large: [...real.large].reverse() }).verdict).toBe('confirmed');
    expect(judgeGrowth({ ...real, stack: [...real.stack].reverse() }).verdict).toBe('refuted');
    expect(judgeGrowth({ ...real, stack: [] }).verdict).toBe('unverifiable');
  });

  it('layout is nuanced on the real runs: the drawing order holds, with the mmap area between heap and stack and random gaps', () => {
    const result = judgeLayout(sample.real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ orderedInEveryRun: true, mmapAreaBetweenHeapAndStack: true, vsyscallPage: true });
    const gaps = (result.observed as { heapGapAfterBssMiB: number[] }).heapGapAfterBssMiB;
    expect(gaps[2]).toBeLessThan(1);
    expect((result.observed as { regionsThatMovedBetweenRuns: string[] }).regionsThatMovedBetweenRuns).toContain('stack');
  });

  it('layout is confirmed without an mmap area in the gap, refuted out of order, unverifiable without addresses', () => {
    const withoutMmap = sample.altered((o) => o.runs.forEach((run) => (run.places.mmap = run.places.library = run.places.text)));
    expect(judgeLayout(withoutMmap).verdict).toBe('confirmed');
    const outOfOrder = sample.altered((o) => ([o.runs[1]!.places.heap, o.runs[1]!.places.stack] = [o.runs[1]!.places.stack, o.runs[1]!.places.heap]));
    expect(judgeLayout(outOfOrder).verdict).toBe('refuted');
    expect(judgeLayout({ runs: sample.real.runs.slice(0, 2) }).verdict).toBe('unverifiable');
  });

  it('stack allocation is confirmed faster on the real run; nuanced when barely, refuted when not, unverifiable untimed', () => {
    const result = judgeStackFaster(real);
    expect(result.verdict).toBe('confirmed');
    expect((result.observed as { mallocOverStack: number }).mallocOverStack).toBeGreaterThanOrEqual(2);
    const stackTimes = (factor: number) => altered((run) => (run.allocationNs.stack64 = run.allocationNs.malloc64.map((v) => v * factor)));
    expect(judgeStackFaster(stackTimes(0.7)).verdict).toBe('nuanced');
    expect(judgeStackFaster(stackTimes(1.2)).verdict).toBe('refuted');
    expect(judgeStackFaster(altered((run) => (run.allocationNs.stack64 = []))).verdict).toBe('unverifiable');
  });

  it('contiguity is confirmed on the real run: one [stack] mapping, heap blocks in separate regions; nuanced or refuted otherwise', () => {
    expect(judgeContiguity(real)).toMatchObject({ verdict: 'confirmed', observed: { stackMappings: ['[stack]'], smallBlocksIn: ['[heap]'] } });
    expect(judgeContiguity(altered((run) => (run.large = [...run.small]))).verdict).toBe('nuanced');
    expect(judgeContiguity(altered((run) => (run.stack[3] = run.small[0]!))).verdict).toBe('refuted');
    expect(judgeContiguity(altered((run) => (run.stack = []))).verdict).toBe('unverifiable');
  });
});
