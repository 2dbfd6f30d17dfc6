/**
 * Lab: coroutines against threads, in a Go program (goroutines) and in Node (async functions):
 * where they run, who decides when they switch, what their stacks are, and what a switch costs.
 *
 * Starts: a Go program built here with the machine's Go; a script in this project's Node; a small
 * C program compiled with cc for the thread switch to compare with.
 *
 * Does: in Go, parks 10 000 goroutines on a channel, runs four busy goroutines for 200 ms, makes one
 * goroutine's stack grow by 20 000 nested calls, and passes a token between two goroutines 200 000
 * times on one processor (15 times); then, on one processor, sleeps 20 ms while another goroutine
 * spins without calling a function, with Go's asynchronous preemption on and then off
 * (GODEBUG=asyncpreemptoff=1). In Node, passes a token between two async functions 200 000 times
 * (15 times), runs 100 async functions that await in turn, computes for 300 ms while a 20 ms timer is
 * due, and suspends 100 000 async functions on a promise that never settles. In C, passes a byte
 * between two threads on one CPU through pipes 20 000 times (15 times).
 *
 * Observes: the process's threads (/proc/self/task) and the thread each goroutine or async function
 * ran on (gettid, /proc/thread-self); the kernel's context switches during the goroutine hand-overs
 * (/proc/self/task/<tid>/status); when the sleeper woke; a local variable's address before and after
 * the stack grew; stack bytes per goroutine (runtime.MemStats) and heap bytes per suspended async
 * function; ns per hand-over in each of the three.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { spread, spreadRow } from '../../src/core/stats.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { cpuEnvironment } from '../../src/observers/cpu.ts';
import { exec } from '../../src/resources/process.ts';
import { compileAndRun } from '../../src/systems/c-program.ts';
import { buildGoProgram } from '../../src/systems/go-program.ts';

const GO_PROGRAM = String.raw`
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

type Result struct {
	GoVersion                    string    "json:\"goVersion\""
	GOMAXPROCS                   int       "json:\"gomaxprocs\""
	Goroutines                   int       "json:\"goroutines\""
	ThreadsWhileBlocked          int       "json:\"threadsWhileBlocked\""
	BusyGoroutineThreads         [][]int   "json:\"busyGoroutineThreads\""
	StackBytesPerGoroutine       float64   "json:\"stackBytesPerGoroutine\""
	StackMoved                   []string  "json:\"stackMoved\""
	SwitchNs                     []float64 "json:\"switchNs\""
	SwitchRounds                 int       "json:\"switchRounds\""
	KernelSwitchesDuringPingPong []int64   "json:\"kernelSwitchesDuringPingPong\""
	SpinResumeMs                 float64   "json:\"spinResumeMs\""
	SpinLoopMs                   float64   "json:\"spinLoopMs\""
}

var sink int

// kernelSwitches sums voluntary and involuntary context switches over the process's threads.
func kernelSwitches() int64 {
	var total int64
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		data, err := os.ReadFile("/proc/self/task/" + t.Name() + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			// voluntary_ctxt_switches and nonvoluntary_ctxt_switches
			if name, value, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(name, "ctxt_switches") {
				n, _ := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
				total += n
			}
		}
	}
	return total
}

func threads() int {
	tasks, _ := os.ReadDir("/proc/self/task")
	return len(tasks)
}

//go:noinline
func deep(n int, pad [128]byte) byte {
	if n == 0 {
		return pad[0]
	}
	pad[n%128] = byte(n)
	return deep(n-1, pad)
}

func main() {
	r := Result{GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), Goroutines: 10000}
	mode := os.Args[1]

	if mode == "spin" {
		// One P; a goroutine spins with no function call; how long until main, asleep for 20 ms, runs again?
		runtime.GOMAXPROCS(1)
		var loopMs float64
		done := make(chan struct{})
		start := time.Now()
		go func() {
			t := time.Now()
			for i := 0; i < 1<<28; i++ {
				sink += i
			}
			loopMs = float64(time.Since(t).Microseconds()) / 1000
			close(done)
		}()
		time.Sleep(20 * time.Millisecond)
		r.SpinResumeMs = float64(time.Since(start).Microseconds()) / 1000
		<-done
		r.SpinLoopMs = loopMs
		json.NewEncoder(os.Stdout).Encode(r)
		return
	}

	// Many goroutines blocked: how many OS threads carry them?
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	block := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < r.Goroutines; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); <-block }()
	}
	time.Sleep(100 * time.Millisecond)
	runtime.ReadMemStats(&after)
	r.ThreadsWhileBlocked = threads()
	r.StackBytesPerGoroutine = float64(after.StackInuse-before.StackInuse) / float64(r.Goroutines)
	close(block)
	wg.Wait()

	// Busy goroutines: on which threads did each run?
	busy := 4
	r.BusyGoroutineThreads = make([][]int, busy)
	for g := 0; g < busy; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			seen := map[int]bool{}
			end := time.Now().Add(200 * time.Millisecond)
			for time.Now().Before(end) {
				seen[syscall.Gettid()] = true
				for i := 0; i < 100000; i++ {
					sink += i
				}
			}
			for tid := range seen {
				r.BusyGoroutineThreads[g] = append(r.BusyGoroutineThreads[g], tid)
			}
		}(g)
	}
	wg.Wait()

	// A goroutine's stack: the address of one local before and after the stack had to grow.
	moved := make(chan []string)
	go func() {
		var local int
		before := uintptr(unsafe.Pointer(&local))
		var pad [128]byte
		deep(20000, pad)
		moved <- []string{fmt.Sprintf("%#x", before), fmt.Sprintf("%#x", uintptr(unsafe.Pointer(&local)))}
	}()
	r.StackMoved = <-moved

	// Two goroutines handing a token back and forth on one P.
	runtime.GOMAXPROCS(1)
	r.SwitchRounds = 200000
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	for b := 0; b < 15; b++ {
		k0 := kernelSwitches()
		t := time.Now()
		for i := 0; i < r.SwitchRounds; i++ {
			ping <- i
			<-pong
		}
		r.SwitchNs = append(r.SwitchNs, float64(time.Since(t).Nanoseconds())/float64(2*r.SwitchRounds))
		r.KernelSwitchesDuringPingPong = append(r.KernelSwitchesDuringPingPong, kernelSwitches()-k0)
	}
	close(ping)
	json.NewEncoder(os.Stdout).Encode(r)
}
`;

const THREAD_PROGRAM = String.raw`
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20000
#define BATCHES 15

static int ab[2], ba[2];

static void *partner(void *arg) {
  char c;
  (void)arg;
  for (int r = 0; r < ROUNDS; r++) { read(ab[0], &c, 1); write(ba[1], &c, 1); }
  return NULL;
}

int main(void) {
  cpu_set_t one; CPU_ZERO(&one); CPU_SET(0, &one);
  sched_setaffinity(0, sizeof one, &one);
  pthread_attr_t attr; size_t stack;
  pthread_attr_init(&attr); pthread_attr_getstacksize(&attr, &stack);
  printf("{\"rounds\":%d,\"stackBytes\":%zu,\"switchNs\":[", ROUNDS, stack);
  for (int b = 0; b < BATCHES; b++) {
    pipe(ab); pipe(ba);
    pthread_t t; pthread_create(&t, NULL, partner, NULL);
    char c = 'x';
    struct timespec s, e;
    clock_gettime(CLOCK_MONOTONIC, &s);
    for (int r = 0; r < ROUNDS; r++) { write(ab[1], &c, 1); read(ba[0], &c, 1); }
    clock_gettime(CLOCK_MONOTONIC, &e);
    pthread_join(t, NULL);
    close(ab[0]); close(ab[1]); close(ba[0]); close(ba[1]);
    printf("%s%.1f", b ? "," : "", ((e.tv_sec - s.tv_sec) * 1e9 + (e.tv_nsec - s.tv_nsec)) / (2.0 * ROUNDS));
  }
  printf("]}\n");
  return 0;
}
`;

const NODE_SCRIPT = String.raw`
import { readlinkSync } from 'node:fs';
const tid = () => Number(readlinkSync('/proc/thread-self').split('/').pop());
const out = { nodeVersion: process.version };

// Two async functions handing a token back and forth through promises.
const ROUNDS = 200_000;
out.switchRounds = ROUNDS;
out.switchNs = [];
for (let b = 0; b < 15; b++) {
  let wakeA, wakeB;
  const a = async () => { for (let i = 0; i < ROUNDS; i++) { const p = new Promise((r) => (wakeA = r)); wakeB(); await p; } };
  const bSide = async () => { for (let i = 0; i < ROUNDS; i++) { await new Promise((r) => (wakeB = r)); wakeA(); } };
  const start = process.hrtime.bigint();
  const done = bSide();
  await a();
  await done;
  out.switchNs.push(Number(process.hrtime.bigint() - start) / (2 * ROUNDS));
}

// On which threads do concurrently running async functions run?
const tids = new Set();
await Promise.all(Array.from({ length: 100 }, async () => {
  for (let i = 0; i < 10; i++) { tids.add(tid()); await new Promise((r) => setImmediate(r)); }
}));
out.asyncFunctionThreads = [...tids];

// A timer due in 20 ms while an async function computes for 300 ms without awaiting.
const start = performance.now();
const fired = new Promise((r) => setTimeout(() => r(performance.now() - start), 20));
await null;
while (performance.now() - start < 300);
out.busyMs = performance.now() - start;
out.timerFiredAfterMs = await fired;

// Memory per suspended async function: 100 000 of them awaiting a promise that never settles.
const never = new Promise(() => {});
globalThis.gc();
const before = process.memoryUsage().heapUsed;
const pending = Array.from({ length: 100_000 }, async (_, i) => { const local = i; await never; return local; });
globalThis.gc();
out.suspendedFunctions = pending.length;
out.heapBytesPerSuspendedFunction = (process.memoryUsage().heapUsed - before) / pending.length;
console.log(JSON.stringify(out));
`;

export interface GoObservation {
  goVersion: string;
  gomaxprocs: number;
  goroutines: number;
  threadsWhileBlocked: number;
  /** For each busy goroutine, the thread ids it was seen running on. */
  busyGoroutineThreads: number[][];
  stackBytesPerGoroutine: number;
  /** A local variable's address before and after its goroutine's stack grew. */
  stackMoved: string[];
  switchNs: number[];
  switchRounds: number;
  kernelSwitchesDuringPingPong: number[];
}

export interface SpinObservation {
  /** When main, asleep for 20 ms, ran again, counted from just before the spinner started. */
  spinResumeMs: number;
  spinLoopMs: number;
}

export interface CoroutineObservation {
  go: GoObservation;
  spin: SpinObservation;
  spinWithoutPreemption: SpinObservation;
  threads: { rounds: number; stackBytes: number; switchNs: number[] };
  js: { nodeVersion: string; switchRounds: number; switchNs: number[]; asyncFunctionThreads: number[]; busyMs: number; timerFiredAfterMs: number; suspendedFunctions: number; heapBytesPerSuspendedFunction: number };
}

const ms = (v: number) => Math.round(v * 10) / 10;

export function judgeCheapSwitch(o: CoroutineObservation): ClaimResult {
  const id = 'os.coroutine.cheap-switch';
  const [thread, goroutine, js] = [spread(o.threads.switchNs), spread(o.go.switchNs), spread(o.js.switchNs)];
  const kernelSwitches = o.go.kernelSwitchesDuringPingPong.reduce((a, b) => a + b, 0);
  const handOvers = 2 * o.go.switchRounds * o.go.switchNs.length;
  const observed = { threadSwitchNs: thread, goroutineSwitchNs: goroutine, asyncFunctionSwitchNs: js, threadOverGoroutine: +(thread.median / goroutine.median).toFixed(1), threadOverAsyncFunction: +(thread.median / js.median).toFixed(1), kernelSwitchesDuringGoroutineHandOvers: kernelSwitches, goroutineHandOvers: handOvers };
  const evidence: Evidence[] = [
    { kind: 'series', title: 'ns per hand-over in each of 15 runs: the spread of each kind', xLabel: 'run', yLabel: 'ns per hand-over', series: [{ name: 'threads, through pipes', values: o.threads.switchNs }, { name: 'goroutines, through a channel', values: o.go.switchNs }, { name: 'async functions, through promises', values: o.js.switchNs }].map(({ name, values }) => ({ name, points: values.map((v, i) => [i + 1, +v.toFixed(1)] as [number, number]) })) },
    { kind: 'bars', title: 'ns per hand-over (median of 15 runs)', bars: [{ label: 'two threads, through pipes (kernel switch)', value: thread.median }, { label: 'two goroutines, through a channel', value: goroutine.median }, { label: 'two async functions, through promises', value: js.median }] },
    { kind: 'table', title: 'ns per hand-over, 15 runs each', columns: ['between', 'p10', 'median', 'p90', 'runs'], rows: [spreadRow('threads (C, one CPU)', thread), spreadRow(`goroutines (${o.go.goVersion}, one P)`, goroutine), spreadRow(`async functions (Node ${o.js.nodeVersion})`, js)] },
  ];
  if (!thread.n || !goroutine.n || !js.n) return { id, verdict: 'unverifiable', summary: 'A hand-over timing is missing.', summaryZh: '缺少某项交接计时。', observed, evidence };
  const kernel = `the kernel switched the Go process's threads ${kernelSwitches} times during ${handOvers} goroutine hand-overs`;
  const kernelZh = `在 ${handOvers} 次 goroutine 交接期间，内核只切换了 Go 进程的线程 ${kernelSwitches} 次`;
  if (goroutine.median >= thread.median || kernelSwitches >= handOvers / 2)
    return { id, verdict: 'refuted', summary: `A goroutine hand-over took ${goroutine.median} ns against ${thread.median} ns between threads, and ${kernel}.`, summaryZh: `一次 goroutine 交接耗时 ${goroutine.median} ns，线程之间为 ${thread.median} ns；${kernelZh}。`, observed, evidence };
  const measured = `Handing a token between two threads through pipes took ${thread.median} ns (median), between two goroutines through a channel ${goroutine.median} ns (${observed.threadOverGoroutine}× less) and between two async functions through promises ${js.median} ns (${observed.threadOverAsyncFunction}× less); ${kernel}: the coroutine switches happened in user space.`;
  const measuredZh = `两个线程通过管道交接一次耗时 ${thread.median} ns（中位数），两个 goroutine 通过 channel 交接 ${goroutine.median} ns（是前者的 1/${observed.threadOverGoroutine}），两个 async 函数通过 Promise 交接 ${js.median} ns（是前者的 1/${observed.threadOverAsyncFunction}）；${kernelZh}：协程切换发生在用户态。`;
  if (observed.threadOverGoroutine >= 3 && observed.threadOverAsyncFunction >= 3) return { id, verdict: 'confirmed', summary: measured, summaryZh: measuredZh, observed, evidence };
  return { id, verdict: 'nuanced', summary: `${measured} Cheaper, but not by far: less than three times.`, summaryZh: `${measuredZh}确实更便宜，但差距不到三倍，谈不上“远小于”。`, observed, evidence };
}

export function judgeOneThread(o: CoroutineObservation): ClaimResult {
  const id = 'os.coroutine.one-thread';
  const goThreads = [...new Set(o.go.busyGoroutineThreads.flat())];
  const migrated = o.go.busyGoroutineThreads.filter((tids) => tids.length > 1).length;
  const observed = { gomaxprocs: o.go.gomaxprocs, goroutineThreads: goThreads, goroutinesThatChangedThread: migrated, processThreadsWith10000Goroutines: o.go.threadsWhileBlocked, asyncFunctionThreads: o.js.asyncFunctionThreads };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Threads each coroutine was seen running on', columns: ['coroutines', 'threads seen', 'read from'], rows: [...o.go.busyGoroutineThreads.map((tids, i) => [`busy goroutine ${i + 1}`, tids.join(', '), 'gettid']), ['10 000 goroutines parked on a channel', `${o.go.threadsWhileBlocked} threads in the process`, '/proc/self/task'], ['100 async functions awaiting in turn', o.js.asyncFunctionThreads.join(', '), '/proc/thread-self']] }];
  if (!goThreads.length || !o.js.asyncFunctionThreads.length) return { id, verdict: 'unverifiable', summary: 'No thread ids were recorded.', summaryZh: '没有记录到线程 ID。', observed, evidence };
  if (o.js.asyncFunctionThreads.length > 1) return { id, verdict: 'refuted', summary: `Node's async functions ran on ${o.js.asyncFunctionThreads.length} threads (${o.js.asyncFunctionThreads.join(', ')}).`, summaryZh: `Node 的 async 函数运行在 ${o.js.asyncFunctionThreads.length} 个线程上（${o.js.asyncFunctionThreads.join(', ')}）。`, observed, evidence };
  const js = `All 100 of Node's async functions ran on one thread (${o.js.asyncFunctionThreads[0]})`;
  const jsZh = `Node 的 100 个 async 函数全部运行在同一个线程上（${o.js.asyncFunctionThreads[0]}）`;
  if (goThreads.length === 1) return { id, verdict: 'confirmed', summary: `${js}, and so did Go's busy goroutines (${goThreads[0]}) with GOMAXPROCS=${o.go.gomaxprocs}.`, summaryZh: `${jsZh}；在 GOMAXPROCS=${o.go.gomaxprocs} 时，Go 的忙碌 goroutine 也都在同一个线程上（${goThreads[0]}）。`, observed, evidence };
  return {
    id,
    verdict: 'nuanced',
    summary: `${js}. Goroutines do not: four busy goroutines ran on ${goThreads.length} threads (${goThreads.join(', ')}; GOMAXPROCS=${o.go.gomaxprocs}, one per CPU), ${migrated} of them moving from one thread to another, and 10 000 parked goroutines were carried by ${o.go.threadsWhileBlocked} threads. Go multiplexes many goroutines onto several threads (M:N); "one thread" holds for single-threaded runtimes such as JavaScript's.`,
    summaryZh: `${jsZh}。goroutine 则不然：四个忙碌的 goroutine 运行在 ${goThreads.length} 个线程上（${goThreads.join(', ')}；GOMAXPROCS=${o.go.gomaxprocs}，每个 CPU 一个），其中 ${migrated} 个还从一个线程换到了另一个线程；10 000 个挂起的 goroutine 由 ${o.go.threadsWhileBlocked} 个线程承载。Go 把大量 goroutine 复用到多个线程上（M:N 模型）；“在一个线程内执行”只对 JavaScript 这类单线程运行时成立。`,
    observed,
    evidence,
  };
}

export function judgeCooperative(o: CoroutineObservation): ClaimResult {
  const id = 'os.coroutine.cooperative';
  const preempted = o.spin.spinResumeMs < o.spin.spinLoopMs / 2;
  const waitedWithoutPreemption = o.spinWithoutPreemption.spinResumeMs >= o.spinWithoutPreemption.spinLoopMs;
  const jsWaited = o.js.timerFiredAfterMs >= o.js.busyMs - 5;
  const observed = { goSleeperWokeAfterMs: ms(o.spin.spinResumeMs), goSpinnerRanMs: ms(o.spin.spinLoopMs), goSleeperWokeWithoutPreemptionMs: ms(o.spinWithoutPreemption.spinResumeMs), goSpinnerRanWithoutPreemptionMs: ms(o.spinWithoutPreemption.spinLoopMs), jsTimerFiredAfterMs: ms(o.js.timerFiredAfterMs), jsBusyMs: ms(o.js.busyMs) };
  const evidence: Evidence[] = [{ kind: 'bars', title: 'When a task due after 20 ms ran, while another computed without yielding (ms)', bars: [{ label: 'Go, goroutine spinning (preemption on)', value: observed.goSleeperWokeAfterMs }, { label: 'Go, GODEBUG=asyncpreemptoff=1', value: observed.goSleeperWokeWithoutPreemptionMs }, { label: 'Node, async function computing 300 ms', value: observed.jsTimerFiredAfterMs }] }];
  if (![o.spin.spinResumeMs, o.spin.spinLoopMs, o.js.timerFiredAfterMs, o.js.busyMs].every((v) => Number.isFinite(v) && v > 0)) return { id, verdict: 'unverifiable', summary: 'A timing of the sleeper or the timer is missing.', summaryZh: '缺少休眠方或定时器的计时。', observed, evidence };
  if (!jsWaited) return { id, verdict: 'refuted', summary: `Node's timer fired after ${observed.jsTimerFiredAfterMs} ms, while the async function was still computing (${observed.jsBusyMs} ms).`, summaryZh: `Node 的定时器在 ${observed.jsTimerFiredAfterMs} ms 时就触发了，而当时 async 函数仍在计算（共 ${observed.jsBusyMs} ms）。`, observed, evidence };
  const js = `In Node a timer due after 20 ms fired only after ${observed.jsTimerFiredAfterMs} ms, when the async function computing for ${observed.jsBusyMs} ms had finished: nothing else ran until it gave up the thread.`;
  const jsZh = `在 Node 中，一个 20 ms 后到期的定时器直到 ${observed.jsTimerFiredAfterMs} ms 才触发，也就是那个计算了 ${observed.jsBusyMs} ms 的 async 函数结束之后：它不让出线程，别的任务就无法运行。`;
  if (!preempted) return { id, verdict: 'confirmed', summary: `${js} Go behaved the same: the goroutine asleep for 20 ms woke after ${observed.goSleeperWokeAfterMs} ms, when the spinning one finished.`, summaryZh: `${jsZh}Go 的表现相同：休眠 20 ms 的 goroutine 直到 ${observed.goSleeperWokeAfterMs} ms 才醒来，那时自旋的 goroutine 已经结束。`, observed, evidence };
  const off = waitedWithoutPreemption ? ` With asynchronous preemption turned off (GODEBUG=asyncpreemptoff=1) it woke only after ${observed.goSleeperWokeWithoutPreemptionMs} ms, when the spinner had finished, as goroutines did before Go 1.14.` : '';
  const offZh = waitedWithoutPreemption ? `关闭异步抢占（GODEBUG=asyncpreemptoff=1）后，它直到 ${observed.goSleeperWokeWithoutPreemptionMs} ms 自旋结束才醒来，这正是 Go 1.14 之前 goroutine 的行为。` : '';
  return {
    id,
    verdict: 'nuanced',
    summary: `${js} Go does not wait: on one processor, a goroutine asleep for 20 ms woke after ${observed.goSleeperWokeAfterMs} ms although another goroutine was spinning for ${observed.goSpinnerRanMs} ms without a single function call; the runtime preempted the spinner with a signal.${off} Cooperative scheduling holds for async/await, not for goroutines.`,
    summaryZh: `${jsZh}Go 并不等待：只有一个处理器（P）时，休眠 20 ms 的 goroutine 在 ${observed.goSleeperWokeAfterMs} ms 就醒来了，尽管另一个 goroutine 正在不调用任何函数地自旋 ${observed.goSpinnerRanMs} ms；运行时用信号抢占了自旋的 goroutine。${offZh}协作式调度对 async/await 成立，对 goroutine 不成立。`,
    observed,
    evidence,
  };
}

export function judgeStacks(o: CoroutineObservation): ClaimResult {
  const id = 'os.coroutine.stacks';
  const [before, after] = o.go.stackMoved;
  const moved = before !== undefined && after !== undefined && before !== after;
  const observed = { goLocalBefore: before, goLocalAfterGrowth: after, goStackMoved: moved, goStackBytesPerGoroutine: Math.round(o.go.stackBytesPerGoroutine), asyncFunctionHeapBytes: Math.round(o.js.heapBytesPerSuspendedFunction), threadStackBytes: o.threads.stackBytes };
  const evidence: Evidence[] = [
    { kind: 'bars', title: 'Memory per parked coroutine against a thread’s default stack (bytes)', bars: [{ label: 'goroutine stack (runtime.MemStats, 10 000 parked)', value: observed.goStackBytesPerGoroutine }, { label: 'suspended async function (V8 heap, 100 000)', value: observed.asyncFunctionHeapBytes }, { label: 'thread stack reserved by default (pthread)', value: o.threads.stackBytes }] },
    { kind: 'table', title: 'One local variable of a goroutine, before and after 20 000 nested calls', columns: ['when', 'address'], rows: [['before', before ?? '-'], ['after the stack grew', after ?? '-']] },
  ];
  if (!before || !after || !(o.go.stackBytesPerGoroutine > 0) || !(o.js.heapBytesPerSuspendedFunction > 0)) return { id, verdict: 'unverifiable', summary: 'The stack addresses or the memory per coroutine were not recorded.', summaryZh: '没有记录到栈地址或每个协程的内存占用。', observed, evidence };
  const memory = `Memory is low indeed: ${observed.goStackBytesPerGoroutine} bytes of stack per parked goroutine and ${observed.asyncFunctionHeapBytes} bytes of heap per suspended async function, against ${o.threads.stackBytes} bytes reserved for a thread's stack.`;
  const memoryZh = `内存占用确实很低：每个挂起的 goroutine 占 ${observed.goStackBytesPerGoroutine} 字节栈，每个挂起的 async 函数占 ${observed.asyncFunctionHeapBytes} 字节堆，而一个线程默认预留 ${o.threads.stackBytes} 字节的栈。`;
  if (!moved) return { id, verdict: 'confirmed', summary: `A goroutine's local stayed at ${before} while its stack grew by 20 000 calls: the stack grew in place or by segments. ${memory}`, summaryZh: `goroutine 的局部变量在栈因 20 000 层调用而增长时仍位于 ${before}：栈是原地或分段增长的。${memoryZh}`, observed, evidence };
  return {
    id,
    verdict: 'refuted',
    summary: `Neither of the sheet's own examples uses a single or segmented stack. A goroutine has a contiguous stack of its own that starts small and is copied whole to a larger one when it overflows: one local variable was at ${before} before 20 000 nested calls and at ${after} after (Go replaced segmented stacks with copying in 1.3). A suspended async function has no stack at all: its locals live in a heap object (${observed.asyncFunctionHeapBytes} bytes each in V8). ${memory}`,
    summaryZh: `学习资料自己举的例子都不用单栈或分段栈。每个 goroutine 有自己的一段连续栈，初始很小，溢出时整体复制到更大的栈上：同一个局部变量在 20 000 层嵌套调用前位于 ${before}，之后位于 ${after}（Go 在 1.3 版用栈复制取代了分段栈）。挂起的 async 函数根本没有栈：它的局部变量保存在堆对象里（V8 中每个 ${observed.asyncFunctionHeapBytes} 字节）。${memoryZh}`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'os-coroutines',
  title: 'Coroutines against threads: goroutines and async functions, where they run and what a switch costs',
  topic: 'os',
  claims: ['os.coroutine.cheap-switch', 'os.coroutine.one-thread', 'os.coroutine.cooperative', 'os.coroutine.stacks'],
  requires: ['cc', 'go'],
  timeLimitMs: 240_000,
  alone: true,
  handout: {
    starts: 'A Go program built here with Go, a Node script, and a small C program compiled with cc.',
    does: 'Parks 10 000 goroutines, runs four busy ones, grows one goroutine’s stack, hands a token between two goroutines, two async functions and two threads; lets a goroutine spin while another sleeps 20 ms (preemption on and off) and computes 300 ms in Node while a 20 ms timer is due; suspends 100 000 async functions.',
    observes: 'Threads in /proc/self/task and the thread each coroutine ran on; kernel context switches during the goroutine hand-overs; when the sleeper and the timer ran; a local’s address before and after its stack grew; memory per coroutine; ns per hand-over.',
    zh: {
      title: '协程与线程对比：goroutine 和 async 函数运行在哪里、切换代价多少',
      starts: '一个在本机用 Go 构建的程序、一段 Node 脚本，以及一个用 cc 编译的小 C 程序。',
      does: '挂起 10 000 个 goroutine，运行四个忙碌的 goroutine，让一个 goroutine 的栈增长；分别在两个 goroutine、两个 async 函数、两个线程之间来回传递令牌；让一个 goroutine 自旋、另一个休眠 20 ms（开启和关闭抢占各一次）；在 Node 中计算 300 ms，同时有一个 20 ms 的定时器到期；挂起 100 000 个 async 函数。',
      observes: '/proc/self/task 中的线程数，以及每个协程运行所在的线程；goroutine 交接期间内核的上下文切换次数；休眠方和定时器何时运行；栈增长前后某个局部变量的地址；每个协程的内存占用；每次交接的纳秒数。',
    },
  },
  async run(ctx) {
    Object.assign(ctx.environment, cpuEnvironment());
    ctx.step('building the Go program');
    const binary = await buildGoProgram(ctx, { name: 'coroutines', source: GO_PROGRAM });
    ctx.step('goroutines: threads, stacks and hand-overs');
    const go = JSON.parse(await exec(binary, ['all'], { timeoutMs: 120_000 })) as GoObservation;
    ctx.step('a goroutine spinning while another sleeps, with preemption on and off');
    const spin = JSON.parse(await exec(binary, ['spin'], { timeoutMs: 30_000 })) as SpinObservation;
    const spinWithoutPreemption = JSON.parse(await exec(binary, ['spin'], { timeoutMs: 30_000, env: { GODEBUG: 'asyncpreemptoff=1' } })) as SpinObservation;
    ctx.step('threads handing a byte through pipes');
    const threads = JSON.parse(await compileAndRun(ctx, { name: 'threads', source: THREAD_PROGRAM, flags: ['-O2'], libs: ['-lpthread'], timeoutMs: 60_000 })) as CoroutineObservation['threads'];
    ctx.step('async functions in Node');
    const script = join(ctx.workDir, 'async.mjs');
    writeFileSync(script, NODE_SCRIPT);
    const js = JSON.parse(await exec(process.execPath, ['--expose-gc', script], { timeoutMs: 60_000 })) as CoroutineObservation['js'];
    const observation: CoroutineObservation = { go, spin, spinWithoutPreemption, threads, js };
    const kept = keptJson(ctx, 'coroutines.json', observation, 'threads, timings, addresses and memory (JSON)');
    return [withEvidence(judgeCheapSwitch(observation), ...kept), judgeOneThread(observation), judgeCooperative(observation), judgeStacks(observation)];
  },
});
