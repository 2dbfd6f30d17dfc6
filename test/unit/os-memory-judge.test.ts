import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { direction, judgeGrowth, mappingOf, type MemoryObservation } from '../../labs/os/memory.lab.ts';

/** A real run of os-memory: a C program's addresses and its /proc/self/maps (x86-64, glibc, ASLR on). */
const { real } = realSample<MemoryObservation>('os-memory-observation.json.gz');

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
});
