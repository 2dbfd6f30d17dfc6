/** Runs os-threads (in a container) and os-memory (a C program on the host) and checks what /proc showed. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let threads: LabRun;
let memory: LabRun;
beforeAll(async () => {
  threads = await runLab('os-threads');
  memory = await runLab('os-memory');
}, 180_000);

describe('labs run os-threads, os-memory', () => {
  it('pass and match the baseline', () => {
    for (const run of [threads, memory]) {
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stderr).toContain('verdicts match');
    }
  });

  it('sees a forked child write its own copy at the same address and crash alone', () => {
    expect(threads.claim('os.process.isolation').observed).toMatchObject({ markerInChild: 3, markerInParent: 1, sameVirtualAddress: true, childFile: '/etc/hostname', childFileInParent: false, childEndedBySignal: 11 });
  });

  it('sees threads share memory, files and the map, each with its own stack and stack pointer, and a thread crash kill the process', () => {
    const o = threads.claim('os.thread.shared').observed as { markerSeenByMain: number; mapsIdentical: boolean; registers: Record<string, { sp: string; mapping: string; range: string }>; threadCrash: { returncode: number; stdout: string } };
    expect(o.markerSeenByMain).toBe(2);
    expect(o.mapsIdentical).toBe(true);
    expect(Object.values(o.registers).map((r) => r.mapping)).toEqual(['[stack]', 'anonymous', 'anonymous']);
    expect(new Set(Object.values(o.registers).map((r) => r.range)).size).toBe(3);
    expect(o.threadCrash).toEqual({ returncode: -11, stdout: '' });
  });

  it('sees the stack grow down, small blocks up in [heap], large blocks down from mmap', () => {
    expect(memory.claim('os.memory.stack-grows-down').observed).toMatchObject({ stackDirection: -1, smallBlocksDirection: 1, largeBlocksDirection: -1, stackIn: ['[stack]'], smallBlocksIn: ['[heap]'] });
  });

  it("sees the drawing's regions in order in every run, the mmap area between heap and stack, and randomisation move them", () => {
    const o = memory.claim('os.memory.layout').observed as { orderedInEveryRun: boolean; mmapAreaBetweenHeapAndStack: boolean; regionsThatMovedBetweenRuns: string[]; heapGapAfterBssMiB: number[] };
    expect(o.orderedInEveryRun).toBe(true);
    expect(o.mmapAreaBetweenHeapAndStack).toBe(true);
    expect(o.regionsThatMovedBetweenRuns).toEqual(expect.arrayContaining(['heap', 'stack', 'library']));
    expect(o.heapGapAfterBssMiB[2]).toBeLessThan(1);
    expect(memory.lab.environment.randomizeVaSpace).toBe('2');
  });

  it('finds the stack in one mapping and the heap blocks in separate ones', () => {
    expect(memory.claim('os.memory.contiguity')).toMatchObject({ verdict: 'confirmed', observed: { stackMappings: ['[stack]'] } });
  });

  it('times an array on the stack well below a malloc and free', () => {
    expect((memory.claim('os.memory.stack-faster').observed as { mallocOverStack: number }).mallocOverStack).toBeGreaterThanOrEqual(2);
  });

  it('leave nothing behind', async () => {
    expect(await leftovers(threads.report.runId)).toEqual(NOTHING);
  });
});
