import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { BLOCKED, judgeLoadTools, judgeTopSummary, type LoadObservation } from '../../labs/linux/load.lab.ts';
import { parseTop, parseVmstat } from '../../src/observers/top.ts';

/** A real run of linux-load: four workers in D for 60 s on a 2-CPU VM without hardware counters, procps-ng top and vmstat. */
const { real, altered } = realSample<LoadObservation>('linux-load-observation.json.gz');

describe('top and vmstat parsers', () => {
  it("reads top's summary lines and its task rows", () => {
    const top = parseTop(real.top.output);
    expect(top.load).toHaveLength(3);
    expect(Object.keys(top.tasks)).toEqual(['total', 'running', 'sleeping', 'stopped', 'zombie']);
    expect(Object.keys(top.cpu)).toEqual(['us', 'sy', 'ni', 'id', 'wa', 'hi', 'si', 'st']);
    expect(top.memoryUnit).toBe('MiB');
    expect(top.rows.find((r) => Number(r.PID) === real.workers[0])).toMatchObject({ NI: '5', PR: '25', S: 'D' });
  });

  it("reads vmstat's samples by column name", () => {
    expect(parseVmstat('procs -----------memory----------\n r  b   swpd\n 1  0      0\n 2  3      0\n')).toEqual([{ r: 1, b: 0, swpd: 0 }, { r: 2, b: 3, swpd: 0 }]);
    expect(real.vmstat.every((v) => 'b' in v && 'wa' in v)).toBe(true);
  });
});

describe('linux-load judges', () => {
  it('load tools are nuanced on the real run: load average counted the D tasks, vmstat b did not, perf had no cycles', () => {
    const result = judgeLoadTools(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ tasksInD: BLOCKED, vmstatBlockedMedian: 0, perfCountsCycles: false });
    expect((result.observed as { tasksCountedByLoadAverage: number }).tasksCountedByLoadAverage).toBeGreaterThanOrEqual(BLOCKED * 0.75);
  });

  it('load tools are confirmed when vmstat counts the blocked tasks and perf counts cycles; refuted when load does not rise; unverifiable otherwise', () => {
    const explained = altered((o) => {
      o.vmstat.forEach((v) => (v.b = BLOCKED));
      o.tools.perf!.output = o.tools.perf!.output.replace('<not supported>      cycles', '1,234,567      cycles');
    });
    expect(judgeLoadTools(explained).verdict).toBe('confirmed');
    expect(judgeLoadTools(altered((o) => (o.samples.at(-1)!.load = o.samples[0]!.load.map((l) => l * 0.37)))).verdict).toBe('refuted');
    expect(judgeLoadTools(altered((o) => (o.samples[3]!.workerStates[0] = 'S'))).verdict).toBe('unverifiable');
    expect(judgeLoadTools(altered((o) => (o.tools.dstat!.exitCode = 127))).summary).toContain('dstat');
  });

  it("top's summary is confirmed on the real run, refuted when a field disagrees with /proc, unverifiable without output", () => {
    expect(judgeTopSummary(real).verdict).toBe('confirmed');
    const wrongNice = altered((o) => (o.top.worker.nice = 0));
    expect(judgeTopSummary(wrongNice)).toMatchObject({ verdict: 'refuted' });
    const wrongMemory = altered((o) => (o.top.memTotalKiB *= 2));
    expect((judgeTopSummary(wrongMemory).observed as { failedChecks: string[] }).failedChecks).toEqual(['total memory matches /proc/meminfo']);
    expect(judgeTopSummary(altered((o) => (o.top.output = ''))).verdict).toBe('unverifiable');
  });
});
