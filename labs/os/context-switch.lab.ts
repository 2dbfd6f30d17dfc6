/**
 * Lab: what a context switch keeps for a task, what it costs between processes and between threads,
 * and whether a switch between processes flushes the TLB.
 *
 * Starts: a C program compiled here with cc, pinned to one CPU so that every hand-over is a switch.
 *
 * Does: passes one byte back and forth 2 000 times through two pipes between two threads of one
 * process, then between two processes, fifteen times each, alternating; once touching nothing, once
 * with each side writing one byte in each of its own 256 pages before it hands over. Times the same
 * touching with no switch at all, and the cost of one TLB miss (16 384 pages mapped over 4 physical
 * ones, so that every touch misses the TLB but none misses the cache) against a hit. Then blocks two
 * threads in read() and, finally, lets two threads hold a floating-point value while yielding the
 * CPU to each other 20 000 times.
 *
 * Observes: nanoseconds per round trip (two switches) and voluntary switches per round
 * (getrusage); the blocked threads' saved user stack pointer and program counter
 * (/proc/<pid>/task/<tid>/syscall) and kernel stacks (/proc/<pid>/task/<tid>/stack); whether the
 * floating-point values survived; the CPU's model, governor and pcid flag.
 */
import { defineLab } from '../../src/core/lab.ts';
import { spread, spreadRow } from '../../src/core/stats.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { cpuEnvironment } from '../../src/observers/cpu.ts';
import { compileAndRun } from '../../src/systems/c-program.ts';

const PROGRAM = String.raw`
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define ROUNDS 2000
#define WARMUP 200
#define BATCHES 15
#define PAGES 256
#define ALIAS_PAGES 4
#define MISS_PAGES 16384
#define HIT_PAGES 64

static int ab[2], ba[2];
static char *bufA, *bufB;
static int pages;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }

static char *region(size_t n) {
  char *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(p, n * PAGE, MADV_NOHUGEPAGE);
  memset(p, 1, n * PAGE);
  return p;
}

/* n virtual pages over ALIAS_PAGES physical ones: touching them misses the TLB but never the cache. */
static char *aliased(size_t n) {
  int fd = memfd_create("alias", 0);
  ftruncate(fd, ALIAS_PAGES * PAGE);
  char *base = mmap(NULL, n * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (size_t i = 0; i < n; i += ALIAS_PAGES)
    mmap(base + i * PAGE, ALIAS_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
  close(fd);
  return base;
}

static inline void touch(char *p, int n) {
  for (int i = 0; i < n; i++) ((volatile char *)p)[(size_t)i * PAGE + (i * 64) % PAGE]++;
}

static void partner_loop(void) {
  char c;
  for (int r = 0; r < WARMUP + ROUNDS; r++) {
    if (read(ab[0], &c, 1) != 1) exit(1);
    touch(bufB, pages);
    if (write(ba[1], &c, 1) != 1) exit(1);
  }
}
static void *partner_thread(void *arg) { (void)arg; partner_loop(); return NULL; }

/* One timed run: ns per round trip (two switches), and voluntary switches per round of this side. */
static double pingpong(int processes, int n, double *switches) {
  pages = n;
  pipe(ab); pipe(ba);
  pid_t child = 0; pthread_t thread;
  if (processes) { child = fork(); if (child == 0) { partner_loop(); _exit(0); } }
  else pthread_create(&thread, NULL, partner_thread, NULL);
  char c = 'x';
  struct rusage before, after;
  double start = 0;
  for (int r = 0; r < WARMUP + ROUNDS; r++) {
    if (r == WARMUP) { getrusage(RUSAGE_THREAD, &before); start = now(); }
    touch(bufA, pages);
    write(ab[1], &c, 1);
    read(ba[0], &c, 1);
  }
  double ns = (now() - start) / ROUNDS;
  getrusage(RUSAGE_THREAD, &after);
  *switches = (double)(after.ru_nvcsw - before.ru_nvcsw + after.ru_nivcsw - before.ru_nivcsw) / ROUNDS;
  if (processes) waitpid(child, NULL, 0); else pthread_join(thread, NULL);
  close(ab[0]); close(ab[1]); close(ba[0]); close(ba[1]);
  return ns;
}

/* ns per touch of n aliased pages, touched over and over. */
static double touch_cost(char *p, int n) {
  int passes = (1 << 22) / n;
  touch(p, n);
  double start = now();
  for (int i = 0; i < passes; i++) touch(p, n);
  return (now() - start) / ((double)passes * n);
}

/* ns per round of touching both sides' pages with no switch and no system call. */
static double touch_only(int n) {
  touch(bufA, n); touch(bufB, n);
  double start = now();
  for (int r = 0; r < ROUNDS; r++) { touch(bufA, n); touch(bufB, n); }
  return (now() - start) / ROUNDS;
}

static volatile pid_t reader_tid[2];
static void *blocked_reader(void *arg) { char c; reader_tid[(long)arg] = (pid_t)syscall(SYS_gettid); read(ab[0], &c, 1); return NULL; }

static void print_file(const char *name, const char *path) {
  FILE *f = fopen(path, "r");
  char line[256];
  printf("\"%s\":[", name);
  int first = 1;
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    for (char *q = line; *q; q++) if (*q == '"' || *q == '\\') *q = ' ';
    printf("%s\"%s\"", first ? "" : ",", line);
    first = 0;
  }
  if (f) fclose(f);
  printf("]");
}

/* Two threads each keep a value in a floating-point register while yielding the one CPU to each other. */
static volatile int fp_ok[2];
static void *fp_keeper(void *arg) {
  long id = (long)arg;
  double v = 1.0 + id * 0.5, acc = 0;
  for (int i = 0; i < 20000; i++) { acc += v; sched_yield(); }
  fp_ok[id] = acc == 20000 * v;
  return NULL;
}

int main(void) {
  cpu_set_t one; CPU_ZERO(&one); CPU_SET(0, &one);
  sched_setaffinity(0, sizeof one, &one);
  bufA = region(PAGES); bufB = region(PAGES);
  const int sizes[2] = {0, PAGES};
  printf("{\"cpu\":%d,\"rounds\":%d,\"pages\":%d,\"runs\":[", sched_getcpu(), ROUNDS, PAGES);
  int first = 1;
  for (int b = 0; b < BATCHES; b++)
    for (int s = 0; s < 2; s++)
      for (int mode = 0; mode < 2; mode++) {
        double sw, ns = pingpong(mode, sizes[s], &sw);
        printf("%s{\"mode\":\"%s\",\"pages\":%d,\"nsPerRound\":%.1f,\"switchesPerRound\":%.3f}", first ? "" : ",", mode ? "process" : "thread", sizes[s], ns, sw);
        first = 0;
      }
  printf("],\"touchOnly\":[");
  for (int b = 0; b < BATCHES; b++) printf("%s%.1f", b ? "," : "", touch_only(PAGES));
  char *miss = aliased(MISS_PAGES), *hit = aliased(HIT_PAGES);
  printf("],\"tlbMissTouch\":[");
  for (int b = 0; b < BATCHES; b++) printf("%s%.2f", b ? "," : "", touch_cost(miss, MISS_PAGES));
  printf("],\"tlbHitTouch\":[");
  for (int b = 0; b < BATCHES; b++) printf("%s%.2f", b ? "," : "", touch_cost(hit, HIT_PAGES));
  printf("],");
  /* What the kernel keeps of a task blocked in read(): its saved user registers and its kernel stack. */
  pipe(ab);
  pthread_t readers[2];
  for (long i = 0; i < 2; i++) pthread_create(&readers[i], NULL, blocked_reader, (void *)i);
  usleep(200000);
  printf("\"blocked\":[");
  for (int i = 0; i < 2; i++) {
    char path[64];
    printf("%s{\"tid\":%d,", i ? "," : "", reader_tid[i]);
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", reader_tid[i]); print_file("syscall", path);
    printf(",");
    snprintf(path, sizeof path, "/proc/self/task/%d/stack", reader_tid[i]); print_file("kernelStack", path);
    printf("}");
  }
  write(ab[1], "xx", 2);
  for (int i = 0; i < 2; i++) pthread_join(readers[i], NULL);
  pthread_t keepers[2];
  for (long i = 0; i < 2; i++) pthread_create(&keepers[i], NULL, fp_keeper, (void *)i);
  for (int i = 0; i < 2; i++) pthread_join(keepers[i], NULL);
  printf("],\"fpKept\":[%d,%d],\"fpYields\":20000}\n", fp_ok[0], fp_ok[1]);
  return 0;
}
`;

export interface SwitchRun {
  mode: 'thread' | 'process';
  pages: number;
  nsPerRound: number;
  switchesPerRound: number;
}

export interface ContextSwitchObservation {
  cpu: number;
  rounds: number;
  /** Pages each side touches before it hands over, in the runs that touch. */
  pages: number;
  runs: SwitchRun[];
  /** ns per round of touching both sides' pages with no switch. */
  touchOnly: number[];
  /** ns per touch that misses the TLB (but not the cache), and per touch that hits it. */
  tlbMissTouch: number[];
  tlbHitTouch: number[];
  blocked: { tid: number; syscall: string[]; kernelStack: string[] }[];
  fpKept: number[];
  fpYields: number;
}

const roundsOf = (o: ContextSwitchObservation, mode: SwitchRun['mode'], pages: number) => o.runs.filter((r) => r.mode === mode && r.pages === pages);
const nsPerRound = (o: ContextSwitchObservation, mode: SwitchRun['mode'], pages: number) => spread(roundsOf(o, mode, pages).map((r) => r.nsPerRound));
const switchesPerRound = (o: ContextSwitchObservation) => spread(o.runs.map((r) => r.switchesPerRound), 2).median;

/** The saved user registers of a task blocked in a system call: "nr arg1..arg6 sp pc". */
export function savedRegisters(line: string | undefined): { syscall: number; sp: string; pc: string } | undefined {
  const parts = line?.trim().split(/\s+/) ?? [];
  if (parts.length < 9) return undefined;
  return { syscall: Number(parts[0]), sp: parts.at(-2)!, pc: parts.at(-1)! };
}

function costs(o: ContextSwitchObservation) {
  const thread = nsPerRound(o, 'thread', 0);
  const process = nsPerRound(o, 'process', 0);
  return { thread, process, threadSwitchNs: +(thread.median / 2).toFixed(1), processSwitchNs: +(process.median / 2).toFixed(1) };
}

/** Whether /proc/<pid>/task/<tid>/stack could be read: the saved-state verdict depends on it. */
export const KERNEL_STACKS = 'kernel stacks in /proc';

export function judgeSavedState(o: ContextSwitchObservation): ClaimResult {
  const id = 'os.context-switch.saved-state';
  const tasks = o.blocked.map((b) => ({ tid: b.tid, registers: savedRegisters(b.syscall[0]), kernelFrames: b.kernelStack.map((l) => l.replace(/^\[<[0-9a-f]+>\]\s*/, '')) }));
  const { thread, process, threadSwitchNs, processSwitchNs } = costs(o);
    const observed = { tasks, floatingPointKept: o.fpKept.map(Boolean), fpYields: o.fpYields, switchesPerRound: switchesPerRound(o), threadSwitchNs, processSwitchNs };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'What the kernel kept for two threads blocked in read()', columns: ['thread', 'system call', 'saved stack pointer', 'saved program counter', 'kernel stack (innermost first)'], rows: tasks.map((t) => [t.tid, t.registers?.syscall ?? '-', t.registers?.sp ?? '-', t.registers?.pc ?? '-', t.kernelFrames.join(' ← ')]) },
    { kind: 'series', title: 'ns per round trip (two switches) in each of 15 runs, touching nothing: the spread', xLabel: 'run', yLabel: 'ns per round trip', series: ([['thread', 'between two threads'], ['process', 'between two processes']] as const).map(([m, name]) => ({ name, points: roundsOf(o, m, 0).map((r, i) => [i + 1, r.nsPerRound] as [number, number]) })) },
    { kind: 'table', title: 'ns per round trip (two switches) on one CPU, 15 runs of 2 000', columns: ['between', 'p10', 'median', 'p90', 'runs'], rows: [spreadRow('two threads of one process', thread), spreadRow('two processes', process)] },
  ];
  const [a, b] = tasks;
  if (!a?.registers || !b?.registers || !a.kernelFrames.length || !b.kernelFrames.length || o.fpKept.length < 2 || !thread.n || !process.n)
    return { id, verdict: 'unverifiable', summary: 'The blocked threads’ saved registers or kernel stacks could not be read from /proc, or a timing run is missing.', summaryZh: '无法从 /proc 读到阻塞线程保存的寄存器或内核栈，或缺少计时结果。', observed, evidence };
  if (a.registers.sp === b.registers.sp || !o.fpKept.every(Boolean))
    return { id, verdict: 'refuted', summary: `A task's state was not kept apart: saved stack pointers ${a.registers.sp} and ${b.registers.sp}; floating-point values kept: ${o.fpKept.join(', ')}.`, summaryZh: `任务的状态没有各自保存：保存的栈指针为 ${a.registers.sp} 和 ${b.registers.sp}；浮点值是否保持：${o.fpKept.join(', ')}。`, observed, evidence };
  const kept = `Two threads blocked in read() (system call ${a.registers.syscall}) each had their user stack pointer (${a.registers.sp}, ${b.registers.sp}) and program counter (${a.registers.pc}) saved by the kernel, and a kernel stack of their own (${a.kernelFrames.slice(0, 2).join(' ← ')} …); two threads kept their floating-point values through ${o.fpYields} yields of one CPU to each other.`;
  const keptZh = `两个阻塞在 read()（系统调用号 ${a.registers.syscall}）中的线程，内核各自保存了它们的用户态栈指针（${a.registers.sp}、${b.registers.sp}）和程序计数器（${a.registers.pc}），并且各有自己的内核栈（${a.kernelFrames.slice(0, 2).join(' ← ')} …）；两个线程在同一个 CPU 上相互让出 ${o.fpYields} 次后，浮点寄存器里的值仍然完好。`;
  return {
    id,
    verdict: 'nuanced',
    summary: `${kept} But the page-table base is switched only between processes: threads of one process share one address space, so a switch between them keeps it. A switch between two processes took ${processSwitchNs} ns (median), one between two threads ${threadSwitchNs} ns.`,
    summaryZh: `${keptZh}但页表基址只在进程之间切换：同一进程的线程共用一个地址空间，线程之间切换时页表基址保持不变。两个进程之间一次切换耗时 ${processSwitchNs} ns（中位数），两个线程之间为 ${threadSwitchNs} ns。`,
    observed,
    evidence,
  };
}

export function judgeTlbFlush(o: ContextSwitchObservation, environment: Record<string, string>): ClaimResult {
  const id = 'os.context-switch.tlb-flush';
  const touched = (mode: SwitchRun['mode']) => nsPerRound(o, mode, o.pages).median - nsPerRound(o, mode, 0).median;
  const touchOnly = spread(o.touchOnly).median;
  const missNs = +(spread(o.tlbMissTouch, 2).median - spread(o.tlbHitTouch, 2).median).toFixed(2);
  const fullRefillNs = Math.round(2 * o.pages * missNs);
  const refill = (mode: SwitchRun['mode']) => Math.round(touched(mode) - touchOnly);
  const processRefillNs = refill('process');
  const threadRefillNs = refill('thread');
  const share = (ns: number) => +(Math.max(0, ns) / fullRefillNs).toFixed(2);
  const pcid = environment['cpuFlag.pcid'] ?? 'unknown';
  // Threads share one address space, so what touching costs them after a switch (caches, not the TLB) is
  // the floor: only what a process switch adds beyond it can be TLB entries lost.
  const observed = { pagesPerSide: o.pages, tlbMissNs: missNs, fullRefillNs, touchOnlyNs: touchOnly, processRefillNs, threadRefillNs, processRefillShare: share(processRefillNs), threadRefillShare: share(threadRefillNs), processBeyondThreadsShare: share(processRefillNs - threadRefillNs), switchesPerRound: switchesPerRound(o), pcid };
  const evidence: Evidence[] = [
    { kind: 'bars', title: `Extra ns per round trip for touching ${o.pages} pages on each side, beyond the touching itself`, bars: [{ label: 'after a switch between processes', value: processRefillNs }, { label: 'after a switch between threads', value: threadRefillNs }, { label: 'if every switch emptied the TLB', value: fullRefillNs }] },
    { kind: 'table', title: 'ns per round trip, 15 runs of 2 000 each (touching: each side writes one byte in each of its pages before handing over)', columns: ['between', 'p10', 'median', 'p90', 'runs'], rows: (['thread', 'process'] as const).flatMap((m) => [spreadRow(`${m}s, touching nothing`, nsPerRound(o, m, 0)), spreadRow(`${m}s, touching ${o.pages} pages each`, nsPerRound(o, m, o.pages))]) },
    { kind: 'table', title: 'ns per touch', columns: ['touch', 'p10', 'median', 'p90', 'runs'], rows: [spreadRow('missing the TLB (16 384 pages over 4 physical)', spread(o.tlbMissTouch, 2)), spreadRow('hitting the TLB (64 pages)', spread(o.tlbHitTouch, 2))] },
  ];
  const sides = `each side touching its own ${o.pages} pages after every hand-over`;
  const sidesZh = `每次交接后双方各自访问自己的 ${o.pages} 个页`;
  if (![processRefillNs, threadRefillNs, missNs, touchOnly].every(Number.isFinite) || observed.switchesPerRound < 0.9)
    return { id, verdict: 'unverifiable', summary: `The runs did not switch once per round (${observed.switchesPerRound} voluntary switches per round) or a timing is missing.`, summaryZh: `测量没有做到每轮切换一次（每轮自愿切换 ${observed.switchesPerRound} 次），或缺少计时结果。`, observed, evidence };
  if (missNs < 1)
    return { id, verdict: 'unverifiable', summary: `A TLB miss cost only ${missNs} ns more than a hit here, too little to tell a refilled TLB from a kept one; no hardware counter of TLB misses is readable on this machine.`, summaryZh: `在这台机器上一次 TLB 未命中只比命中多花 ${missNs} ns，太小，无法区分 TLB 是被重新填充还是被保留；这里也读不到统计 TLB 未命中的硬件计数器。`, observed, evidence };
  const measured = `With ${sides}, a switch between processes added ${processRefillNs} ns per round trip beyond the touching itself, and one between threads ${threadRefillNs} ns; refilling ${2 * o.pages} TLB entries would cost about ${fullRefillNs} ns (${missNs} ns per miss, measured).`;
  const measuredZh = `${sidesZh}时，进程之间的切换在访问本身之外每轮多花 ${processRefillNs} ns，线程之间的切换多花 ${threadRefillNs} ns；而重新填充 ${2 * o.pages} 个 TLB 项约需 ${fullRefillNs} ns（实测每次未命中 ${missNs} ns）。`;
  if (observed.processRefillShare >= 0.5 && observed.threadRefillShare >= 0.5)
    return { id, verdict: 'confirmed', summary: `${measured} Both paid most of a full refill: the TLB was emptied at every switch, between processes and between threads alike.`, summaryZh: `${measuredZh}两者都付出了接近完整重填的代价：无论进程之间还是线程之间，每次切换时 TLB 都被清空了。`, observed, evidence };
  if (observed.processBeyondThreadsShare >= 0.5)
    return { id, verdict: 'nuanced', summary: `${measured} Only between processes: the process switch paid ${Math.round(observed.processRefillShare * 100)}% of a full refill, its TLB entries gone, while threads, sharing one address space, kept theirs (${Math.round(observed.threadRefillShare * 100)}%).`, summaryZh: `${measuredZh}只在进程之间如此：进程切换付出了完整重填代价的 ${Math.round(observed.processRefillShare * 100)}%，它的 TLB 项已被清掉；而共用一个地址空间的线程保留了自己的 TLB 项（${Math.round(observed.threadRefillShare * 100)}%）。`, observed, evidence };
  if (observed.processBeyondThreadsShare <= 0.2)
    return {
      id,
      verdict: 'refuted',
      summary: `${measured} The process switch paid ${Math.round(observed.processBeyondThreadsShare * 100)}% of that beyond what the switch between threads paid (threads share one address space and keep their entries): the entries survived the switch between processes. This CPU has PCID (pcid: ${pcid}), and Linux tags each address space's TLB entries with an ID and switches the page-table base without flushing them. Read from timing, not from a TLB-miss counter, which this machine does not expose.`,
      summaryZh: `${measuredZh}进程切换比线程切换多付出的只有其中的 ${Math.round(observed.processBeyondThreadsShare * 100)}%（线程共用一个地址空间，保留自己的 TLB 项）：进程之间切换后 TLB 项仍然有效。这颗 CPU 支持 PCID（pcid：${pcid}），Linux 给每个地址空间的 TLB 项打上标识，切换页表基址时不刷新 TLB。结论来自计时，而不是 TLB 未命中计数器（这台机器没有提供）。`,
      observed,
      evidence,
    };
  return { id, verdict: 'nuanced', summary: `${measured} The process switch paid ${Math.round(observed.processBeyondThreadsShare * 100)}% of a full refill beyond what the switch between threads paid: part of the TLB was lost, not all of it.`, summaryZh: `${measuredZh}进程切换比线程切换多付出了完整重填代价的 ${Math.round(observed.processBeyondThreadsShare * 100)}%：TLB 丢失了一部分，而不是全部。`, observed, evidence };
}

export default defineLab({
  id: 'os-context-switch',
  title: 'Context switches: what is kept, what they cost, and whether the TLB is flushed',
  topic: 'os',
  claims: ['os.context-switch.saved-state', 'os.context-switch.tlb-flush'],
  requires: ['cc'],
  timeLimitMs: 60_000,
  alone: true,
  handout: {
    starts: 'A C program compiled here with cc, pinned to one CPU.',
    does: 'Passes a byte back and forth through pipes between two threads, then two processes, touching nothing or 256 pages per side before each hand-over; times a TLB miss against a hit; blocks two threads in read(); yields the CPU 20 000 times between two threads holding floating-point values.',
    observes: 'ns per round trip and voluntary switches (getrusage); saved stack pointer and program counter and the kernel stack of each blocked thread (/proc/<pid>/task/<tid>/syscall, stack); the CPU model and its pcid flag.',
    zh: {
      title: '上下文切换：保存了什么、代价多少、TLB 是否被刷新',
      starts: '一个在本机用 cc 编译的 C 程序，绑定在一个 CPU 上。',
      does: '通过管道在两个线程之间、再在两个进程之间来回传递一个字节，每次交接前什么都不访问，或每方各访问 256 个页；测量一次 TLB 未命中与命中的耗时；让两个线程阻塞在 read() 中；让两个持有浮点值的线程相互让出 CPU 20 000 次。',
      observes: '每次往返的纳秒数和自愿切换次数（getrusage）；每个阻塞线程保存的栈指针、程序计数器和内核栈（/proc/<pid>/task/<tid>/syscall、stack）；CPU 型号及其 pcid 标志。',
    },
  },
  async run(ctx) {
    Object.assign(ctx.environment, cpuEnvironment(['pcid', 'invpcid']));
    ctx.step('compiling and running the ping-pong program');
    const observation = JSON.parse(await compileAndRun(ctx, { name: 'switch', source: PROGRAM, flags: ['-O2'], libs: ['-lpthread'], timeoutMs: 40_000 })) as ContextSwitchObservation;
    // The kernel shows a task's kernel stack only to CAP_SYS_ADMIN (root on a host; not an unprivileged container).
    ctx.environment[KERNEL_STACKS] = observation.blocked.every((b) => b.kernelStack.length) ? 'readable' : 'unreadable (needs CAP_SYS_ADMIN)';
    const kept = keptJson(ctx, 'context-switch.json', observation, 'timings, saved registers and kernel stacks (JSON)');
    return [withEvidence(judgeSavedState(observation), ...kept), judgeTlbFlush(observation, ctx.environment)];
  },
});
