import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeCheapSwitch, judgeCooperative, judgeOneThread, judgeStacks, type CoroutineObservation } from '../../labs/os/coroutines.lab.ts';

/** A real run of os-coroutines: Go 1.26 with GOMAXPROCS=2, Node 24, C threads on one CPU. */
const { real, altered } = realSample<CoroutineObservation>('os-coroutines-observation.json.gz');
const scaled = (values: number[], by: number) => values.map((v) => v * by);

describe('os-coroutines judges', () => {
  it('a coroutine switch is confirmed far cheaper on the real run, with the kernel hardly involved', () => {
    const result = judgeCheapSwitch(real);
    expect(result.verdict).toBe('confirmed');
    const o = result.observed as { threadOverGoroutine: number; kernelSwitchesDuringGoroutineHandOvers: number; goroutineHandOvers: number };
    expect(o.threadOverGoroutine).toBeGreaterThanOrEqual(3);
    expect(o.kernelSwitchesDuringGoroutineHandOvers).toBeLessThan(o.goroutineHandOvers / 1000);
  });

  it('a coroutine switch is nuanced when only a little cheaper, refuted when dearer or done by the kernel, unverifiable untimed', () => {
    const threadMedian = (judgeCheapSwitch(real).observed as { threadSwitchNs: { median: number } }).threadSwitchNs.median;
    const goMedian = (judgeCheapSwitch(real).observed as { goroutineSwitchNs: { median: number } }).goroutineSwitchNs.median;
    expect(judgeCheapSwitch(altered((o) => (o.go.switchNs = scaled(o.go.switchNs, threadMedian / goMedian / 2)))).verdict).toBe('nuanced');
    expect(judgeCheapSwitch(altered((o) => (o.go.switchNs = scaled(o.go.switchNs, (threadMedian / goMedian) * 2)))).verdict).toBe('refuted');
    expect(judgeCheapSwitch(altered((o) => (o.go.kernelSwitchesDuringPingPong = o.go.kernelSwitchesDuringPingPong.map(() => o.go.switchRounds * 2)))).verdict).toBe('refuted');
    expect(judgeCheapSwitch(altered((o) => (o.js.switchNs = []))).verdict).toBe('unverifiable');
  });

  it('one thread is nuanced on the real run: async functions on one thread, goroutines on several', () => {
    const result = judgeOneThread(real);
    expect(result.verdict).toBe('nuanced');
    expect((result.observed as { goroutineThreads: number[] }).goroutineThreads.length).toBeGreaterThan(1);
    expect((result.observed as { asyncFunctionThreads: number[] }).asyncFunctionThreads).toHaveLength(1);
    const oneGoThread = altered((o) => (o.go.busyGoroutineThreads = o.go.busyGoroutineThreads.map(() => [o.go.busyGoroutineThreads[0]![0]!])));
    expect(judgeOneThread(oneGoThread).verdict).toBe('confirmed');
    expect(judgeOneThread(altered((o) => o.js.asyncFunctionThreads.push(1)))).toMatchObject({ verdict: 'refuted' });
    expect(judgeOneThread(altered((o) => (o.js.asyncFunctionThreads = []))).verdict).toBe('unverifiable');
  });

  it('cooperative scheduling is nuanced on the real run: Node waits for the busy function, Go preempts the spinner', () => {
    const result = judgeCooperative(real);
    expect(result.verdict).toBe('nuanced');
    const o = result.observed as { goSleeperWokeAfterMs: number; goSpinnerRanMs: number; goSleeperWokeWithoutPreemptionMs: number; jsTimerFiredAfterMs: number; jsBusyMs: number };
    expect(o.goSleeperWokeAfterMs).toBeLessThan(o.goSpinnerRanMs / 2);
    expect(o.goSleeperWokeWithoutPreemptionMs).toBeGreaterThan(o.goSpinnerRanMs / 2);
    expect(o.jsTimerFiredAfterMs).toBeGreaterThanOrEqual(o.jsBusyMs - 5);
    expect(judgeCooperative(altered((o) => (o.spin = o.spinWithoutPreemption))).verdict).toBe('confirmed');
    expect(judgeCooperative(altered((o) => (o.js.timerFiredAfterMs = 21))).verdict).toBe('refuted');
    expect(judgeCooperative(altered((o) => (o.js.busyMs = NaN))).verdict).toBe('unverifiable');
  });

  it('single or segmented stacks are refuted on the real run: the goroutine stack moved when it grew', () => {
    const result = judgeStacks(real);
    expect(result.verdict).toBe('refuted');
    expect(result.observed).toMatchObject({ goStackMoved: true });
    expect((result.observed as { goStackBytesPerGoroutine: number }).goStackBytesPerGoroutine).toBeLessThan(16 * 1024);
    expect(judgeStacks(altered((o) => (o.go.stackMoved = [o.go.stackMoved[0]!, o.go.stackMoved[0]!]))).verdict).toBe('confirmed');
    expect(judgeStacks(altered((o) => (o.go.stackMoved = []))).verdict).toBe('unverifiable');
  });
});
