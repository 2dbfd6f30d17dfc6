/**
 * Lab: which way the stack and the heap grow, read from a C program's own addresses and its memory
 * map.
 *
 * Starts: a small C program, compiled here with the system's cc.
 *
 * Does: calls a function eight levels deep, each level taking the address of a local array; then
 * allocates eight small blocks (64 bytes) and eight large ones (1 MiB) with malloc, keeping them.
 *
 * Observes: the local array's address at each depth; each block's address; the program's memory
 * map (/proc/self/maps) and which mapping holds each address.
 */
import { readFileSync } from 'node:fs';
import { machine } from 'node:os';
import { defineLab } from '../../src/core/lab.ts';
import { spread, spreadRow } from '../../src/core/stats.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { cpuEnvironment } from '../../src/observers/cpu.ts';
import { exec } from '../../src/resources/process.ts';
import { compileProgram } from '../../src/systems/c-program.ts';

const PROGRAM = String.raw`
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEVELS 8
#define BLOCKS 8
#define ALLOCATIONS 1000000
#define BATCHES 15
static uintptr_t stack[LEVELS];
int initialized = 42;
int uninitialized;

static void __attribute__((noinline)) descend(int depth) {
  volatile char local[64];
  local[0] = (char)depth;
  stack[depth] = (uintptr_t)local;
  if (depth + 1 < LEVELS) descend(depth + 1);
}

static void __attribute__((noinline)) on_stack(void) {
  volatile char block[64];
  block[0] = 1;
}

static void __attribute__((noinline)) on_heap(size_t size) {
  volatile char *block = malloc(size);
  block[0] = 1;
  free((void *)block);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

/* ns per allocation and release: a 64-byte array on the stack, malloc and free of 64 bytes, of 1 MiB. */
static void print_allocation_costs(void) {
  const char *names[3] = {"stack64", "malloc64", "malloc1MiB"};
  for (int kind = 0; kind < 3; kind++) {
    printf("%s\"%s\":[", kind ? "," : "", names[kind]);
    for (int b = 0; b < BATCHES; b++) {
      double start = now();
      for (int i = 0; i < ALLOCATIONS; i++) {
        if (kind == 0) on_stack();
        else on_heap(kind == 1 ? 64 : 1 << 20);
      }
      printf("%s%.2f", b ? "," : "", (now() - start) / ALLOCATIONS);
    }
    printf("]");
  }
}

int main(void) {
  static void *keep[2 * BLOCKS];
  descend(0);
  printf("{\"stack\":[");
  for (int i = 0; i < LEVELS; i++) printf("%s\"0x%lx\"", i ? "," : "", (unsigned long)stack[i]);
  printf("],\"small\":[");
  for (int i = 0; i < BLOCKS; i++) printf("%s\"%p\"", i ? "," : "", keep[i] = malloc(64));
  printf("],\"large\":[");
  for (int i = 0; i < BLOCKS; i++) printf("%s\"%p\"", i ? "," : "", keep[BLOCKS + i] = malloc(1 << 20));
  printf("],\"maps\":[");
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[512];
  int first = 1;
  while (fgets(line, sizeof line, maps)) {
    line[strcspn(line, "\n")] = 0;
    for (char *c = line; *c; c++) if (*c == '"' || *c == '\\') *c = ' ';
    printf("%s\"%s\"", first ? "" : ",", line);
    first = 0;
  }
  printf("],\"places\":{\"text\":\"%p\",\"data\":\"%p\",\"bss\":\"%p\",\"heap\":\"%p\",\"mmap\":\"%p\",\"library\":\"%p\",\"stack\":\"0x%lx\"},\"allocationNs\":{",
         (void *)main, (void *)&initialized, (void *)&uninitialized, keep[0], keep[BLOCKS], (void *)printf, (unsigned long)stack[0]);
  print_allocation_costs();
  printf("}}\n");
  return 0;
}
`;

export interface MemoryObservation {
  /** The local array's address at depth 0 (outermost) to 7. */
  stack: string[];
  small: string[];
  large: string[];
  maps: string[];
  /** One address in each region: main, an initialised global, an uninitialised one, a small and a large block, printf, the outermost local array. */
  places: Record<Region, string>;
  /** ns per allocation and release, per batch. */
  allocationNs: { stack64: number[]; malloc64: number[]; malloc1MiB: number[] };
}

export const REGIONS = ['text', 'data', 'bss', 'heap', 'mmap', 'library', 'stack'] as const;
export type Region = (typeof REGIONS)[number];

/** Three runs of the program: two as the system runs it (address-space layout randomisation on), one under setarch -R (off). */
export interface MemoryRuns {
  runs: MemoryObservation[];
}

const big = (hex: string) => BigInt(hex);

/** The mapping holding an address: its path, [heap] or [stack], 'anonymous' for a mapping without a name. */
export function mappingOf(maps: string[], address: string): string {
  const a = big(address);
  for (const line of maps) {
    const [range, , , , , ...name] = line.trim().split(/\s+/);
    const [lo, hi] = range!.split('-').map((h) => big(`0x${h}`));
    if (a >= lo! && a < hi!) return name.join(' ') || 'anonymous';
  }
  return '(none)';
}

/** +1 when every next address is higher, -1 when every next one is lower, 0 otherwise. */
export function direction(addresses: string[]): 1 | -1 | 0 {
  const steps = addresses.slice(1).map((a, i) => big(a) - big(addresses[i]!));
  if (steps.length && steps.every((s) => s > 0n)) return 1;
  if (steps.length && steps.every((s) => s < 0n)) return -1;
  return 0;
}

export function judgeGrowth(o: MemoryObservation): ClaimResult {
  const [stackDir, smallDir, largeDir] = [direction(o.stack), direction(o.small), direction(o.large)];
  const where = (list: string[]) => [...new Set(list.map((a) => mappingOf(o.maps, a)))];
  const highest = (list: string[]) => list.map(big).reduce((a, b) => (a > b ? a : b), 0n);
  const lowest = (list: string[]) => list.map(big).reduce((a, b) => (a < b ? a : b), highest(list));
  const betweenHeapAndStack = o.large.length > 0 && highest(o.large) < lowest(o.stack) && lowest(o.large) > highest(o.small);
  const observed = { stackDirection: stackDir, smallBlocksDirection: smallDir, largeBlocksDirection: largeDir, stackIn: where(o.stack), smallBlocksIn: where(o.small), largeBlocksIn: where(o.large), largeBlocksBetweenHeapAndStack: betweenHeapAndStack };
  const word = (d: number) => (d > 0 ? 'upwards' : d < 0 ? 'downwards' : 'in no one direction');
  const wordZh = (d: number) => (d > 0 ? '向上' : d < 0 ? '向下' : '没有固定方向');
  const evidence: Evidence[] = [
    { kind: 'table', title: 'Addresses in the order they were taken', columns: ['#', 'local array at depth #', 'malloc(64) #', 'malloc(1 MiB) #'], rows: o.stack.map((s, i) => [i, s, o.small[i] ?? '', o.large[i] ?? '']) },
    { kind: 'command', title: "The program's memory map", command: 'cat /proc/self/maps', output: o.maps.join('\n') },
  ];
  if (o.stack.length < 2 || o.small.length < 2 || o.large.length < 2) return { id: 'os.memory.stack-grows-down', verdict: 'unverifiable', summary: 'The program did not report its addresses.', summaryZh: '程序没有报告它的地址。', observed, evidence };
  if (stackDir !== -1 || smallDir !== 1) return { id: 'os.memory.stack-grows-down', verdict: 'refuted', summary: `The stack grew ${word(stackDir)} (in ${observed.stackIn.join(', ')}) and small heap blocks ${word(smallDir)}.`, summaryZh: `栈${wordZh(stackDir)}增长（位于 ${observed.stackIn.join('、')}），小的堆块${wordZh(smallDir)}增长。`, observed, evidence };
  const stackPartZh = `每深一层调用，局部数组的地址就更低（深度 0 时为 ${o.stack[0]}，深度 ${o.stack.length - 1} 时为 ${o.stack.at(-1)}，位于 ${observed.stackIn.join('、')}），而每次小块 malloc 的地址更高（位于 ${observed.smallBlocksIn.join('、')}）`;
  const stackPart = `Each deeper call's local array sat lower (${o.stack[0]} at depth 0 to ${o.stack.at(-1)} at depth ${o.stack.length - 1}, in ${observed.stackIn.join(', ')}), and each small malloc higher (in ${observed.smallBlocksIn.join(', ')})`;
  if (largeDir === 1) return { id: 'os.memory.stack-grows-down', verdict: 'confirmed', summary: `${stackPart}; large blocks rose too.`, summaryZh: `${stackPartZh}；大块的地址也在升高。`, observed, evidence };
  return {
    id: 'os.memory.stack-grows-down',
    verdict: 'nuanced',
    summary: `${stackPart}. But "the heap" grows upwards only for what malloc takes from the brk area ([heap]): blocks of 1 MiB came from mappings of their own (${observed.largeBlocksIn.join(', ')}), each placed ${word(largeDir)} from the last${betweenHeapAndStack ? ', in the gap between the heap and the stack' : ''}, as glibc serves requests above its mmap threshold (128 KiB by default) with mmap.`,
    summaryZh: `${stackPartZh}。但“堆向上增长”只适用于 malloc 从 brk 区（[heap]）分配的内存：1 MiB 的块来自各自独立的映射（${observed.largeBlocksIn.join('、')}），每块都比上一块${wordZh(largeDir)}${betweenHeapAndStack ? '，位于堆和栈之间的空隙中' : ''}，因为 glibc 用 mmap 满足超过其 mmap 阈值（默认 128 KiB）的请求。`,
    observed,
    evidence,
  };
}

const MB = 1024 * 1024;
const gapMiB = (from: string, to: string) => +(Number(big(to) - big(from)) / MB).toFixed(2);

/** The sheet's drawing, top (high addresses) first. */
const SHEET_DRAWING = ['kernel space', 'stack ↓', '(unused)', 'heap ↑', 'BSS', 'data', 'text (read-only)'];

function observedColumn(o: MemoryObservation, name: string) {
  const at = o.places;
  return {
    name,
    boxes: [
      { label: 'kernel space', note: 'above 0x7fffffffffff: not in the map' },
      { label: 'stack ↓', note: `${at.stack} ${mappingOf(o.maps, at.stack)}` },
      { label: 'mmap area: shared libraries', note: `${at.library} printf in ${mappingOf(o.maps, at.library).split('/').pop()}`, mark: true },
      { label: 'mmap area: 1 MiB blocks', note: `${at.mmap} ${mappingOf(o.maps, at.mmap)}`, mark: true },
      { label: 'heap ↑', note: `${at.heap} ${mappingOf(o.maps, at.heap)}` },
      { label: 'BSS', note: `${at.bss} (${gapMiB(at.bss, at.heap)} MiB below the heap)` },
      { label: 'data', note: at.data },
      { label: 'text', note: at.text },
    ],
  };
}

export function judgeLayout(o: MemoryRuns): ClaimResult {
  const id = 'os.memory.layout';
  const [first, second, fixed] = o.runs;
  const evidenceOf = (): Evidence[] =>
    first && fixed
      ? [
          { kind: 'stacks', title: 'The sheet’s drawing beside this process’s memory, high addresses at the top (orange: regions the drawing lacks)', columns: [{ name: 'the sheet', boxes: SHEET_DRAWING.map((label) => ({ label })) }, observedColumn(first, 'observed, randomisation on'), observedColumn(fixed, 'observed, setarch -R (off)')] },
          { kind: 'table', title: 'One address in each region, per run', columns: ['region', 'run 1', 'run 2', 'randomisation off'], rows: REGIONS.map((r) => [r, ...o.runs.map((run) => run.places[r])]) },
        ]
      : [];
  const evidence = evidenceOf();
  if (!first || !second || !fixed || !REGIONS.every((r) => o.runs.every((run) => run.places?.[r]))) return { id, verdict: 'unverifiable', summary: 'The program did not report an address in every region for all three runs.', summaryZh: '程序没有在三次运行中都报告出每个区域的地址。', observed: {}, evidence };
  const at = (run: MemoryObservation, r: Region) => big(run.places[r]);
  const ordered = (run: MemoryObservation) => at(run, 'text') < at(run, 'data') && at(run, 'data') < at(run, 'bss') && at(run, 'bss') < at(run, 'heap') && at(run, 'heap') < at(run, 'stack');
  const mmapBetween = (run: MemoryObservation) => (['mmap', 'library'] as const).every((r) => at(run, 'heap') < at(run, r) && at(run, r) < at(run, 'stack'));
  const moved = REGIONS.filter((r) => first.places[r] !== second.places[r]);
  const observed = { orderedInEveryRun: o.runs.every(ordered), mmapAreaBetweenHeapAndStack: o.runs.every(mmapBetween), regionsThatMovedBetweenRuns: moved, heapGapAfterBssMiB: o.runs.map((run) => gapMiB(run.places.bss, run.places.heap)), vsyscallPage: first.maps.some((l) => l.includes('[vsyscall]')) };
  if (!observed.orderedInEveryRun) return { id, verdict: 'refuted', summary: `The regions were not in the drawing's order: ${REGIONS.map((r) => `${r} ${first.places[r]}`).join(', ')}.`, summaryZh: `各区域并不符合图中的顺序：${REGIONS.map((r) => `${r} ${first.places[r]}`).join('，')}。`, observed, evidence };
  const order = `From low to high the program's text (${first.places.text}), data (${first.places.data}), BSS (${first.places.bss}), heap (${first.places.heap}) and stack (${first.places.stack}) came in the drawing's order in all three runs.`;
  const orderZh = `三次运行中，程序的代码段（${first.places.text}）、数据段（${first.places.data}）、BSS（${first.places.bss}）、堆（${first.places.heap}）和栈（${first.places.stack}）都按图中的顺序从低到高排列。`;
  if (!observed.mmapAreaBetweenHeapAndStack) return { id, verdict: 'confirmed', summary: order, summaryZh: orderZh, observed, evidence };
  return {
    id,
    verdict: 'nuanced',
    summary: `${order} But the "unused" space between heap and stack holds the mmap area, which the drawing leaves out: the C library (printf at ${first.places.library}) and every 1 MiB block (${first.places.mmap}) lay there. And the gaps are not fixed: with randomisation on, ${moved.length} of ${REGIONS.length} regions moved between two runs (${moved.join(', ')}), and the heap began ${observed.heapGapAfterBssMiB[0]} and ${observed.heapGapAfterBssMiB[1]} MiB above the BSS; under setarch -R ${observed.heapGapAfterBssMiB[2]} MiB.`,
    summaryZh: `${orderZh}但图中堆和栈之间的“未使用区域”其实是 mmap 区，图里没有画出：C 库（printf 位于 ${first.places.library}）和每个 1 MiB 的块（${first.places.mmap}）都在那里。而且各区域之间的间隔并不固定：开启地址空间随机化时，两次运行之间 ${REGIONS.length} 个区域中有 ${moved.length} 个换了位置（${moved.join('、')}），堆的起点分别在 BSS 之上 ${observed.heapGapAfterBssMiB[0]} MiB 和 ${observed.heapGapAfterBssMiB[1]} MiB 处；用 setarch -R 关闭随机化后为 ${observed.heapGapAfterBssMiB[2]} MiB。`,
    observed,
    evidence,
  };
}

export function judgeStackFaster(o: MemoryObservation): ClaimResult {
  const id = 'os.memory.stack-faster';
  const [stack, small, large] = [spread(o.allocationNs?.stack64 ?? [], 2), spread(o.allocationNs?.malloc64 ?? [], 2), spread(o.allocationNs?.malloc1MiB ?? [], 2)];
  const ratio = +(small.median / stack.median).toFixed(1);
  const observed = { stackNs: stack, malloc64Ns: small, malloc1MiBNs: large, mallocOverStack: ratio };
  const evidence: Evidence[] = [
    { kind: 'bars', title: 'ns per allocation and release (median of 15 batches of 1 000 000)', bars: [{ label: '64-byte array on the stack', value: stack.median }, { label: 'malloc and free, 64 bytes', value: small.median }, { label: 'malloc and free, 1 MiB', value: large.median }] },
    { kind: 'table', title: 'ns per allocation and release', columns: ['allocation', 'p10', 'median', 'p90', 'batches'], rows: [spreadRow('stack, 64 bytes', stack), spreadRow('malloc, 64 bytes', small), spreadRow('malloc, 1 MiB', large)] },
  ];
  if (!stack.n || !small.n || !(stack.median > 0)) return { id, verdict: 'unverifiable', summary: 'The allocation timings are missing.', summaryZh: '缺少分配耗时的测量结果。', observed, evidence };
  const measured = `A 64-byte array on the stack cost ${stack.median} ns to get and give back (a call that moves the stack pointer), malloc and free of 64 bytes ${small.median} ns (${ratio}×), and of 1 MiB ${large.median} ns, too quick for an mmap and munmap per call: once a mapped block is freed, glibc raises its mmap threshold (mallopt(3)) and serves the next ones from the heap.`;
  const measuredZh = `在栈上分配并释放一个 64 字节的数组耗时 ${stack.median} ns（一次调用，只是移动栈指针），用 malloc/free 分配释放 64 字节耗时 ${small.median} ns（${ratio} 倍），1 MiB 耗时 ${large.median} ns，快到不可能每次都调用 mmap 和 munmap：一旦有映射出来的块被释放，glibc 就会提高 mmap 阈值（见 mallopt(3)），之后的块改由堆提供。`;
  if (small.median <= stack.median) return { id, verdict: 'refuted', summary: measured, summaryZh: measuredZh, observed, evidence };
  if (ratio < 2) return { id, verdict: 'nuanced', summary: `${measured} Faster, but by less than twice.`, summaryZh: `${measuredZh}确实更快，但不到两倍。`, observed, evidence };
  return { id, verdict: 'confirmed', summary: measured, summaryZh: measuredZh, observed, evidence };
}

export function judgeContiguity(o: MemoryObservation): ClaimResult {
  const id = 'os.memory.contiguity';
  const stackMappings = [...new Set(o.stack.map((a) => mappingOf(o.maps, a)))];
  const blockMappings = (list: string[]) => list.map((a) => o.maps.find((l) => mappingOf([l], a) !== '(none)')?.split(' ')[0] ?? '(none)');
  const heapRegions = [...new Set([...blockMappings(o.small), ...blockMappings(o.large)])];
  const observed = { stackMappings, heapBlockRegions: heapRegions, smallBlocksIn: [...new Set(o.small.map((a) => mappingOf(o.maps, a)))], largeBlocksIn: [...new Set(o.large.map((a) => mappingOf(o.maps, a)))] };
  const evidence: Evidence[] = [{ kind: 'table', title: 'Where the stack frames and the heap blocks lay', columns: ['what', 'mappings (address ranges in /proc/self/maps)'], rows: [['local arrays, eight calls deep', stackMappings.join(', ')], ['sixteen malloc blocks', heapRegions.join(', ')]] }];
  if (!o.stack.length || !o.small.length || !o.large.length) return { id, verdict: 'unverifiable', summary: 'The program did not report its addresses.', summaryZh: '程序没有报告它的地址。', observed, evidence };
  if (stackMappings.length !== 1 || stackMappings[0] !== '[stack]') return { id, verdict: 'refuted', summary: `The stack frames lay in ${stackMappings.join(', ')}, not in one contiguous stack mapping.`, summaryZh: `栈帧分布在 ${stackMappings.join('、')}，而不是在一个连续的栈映射中。`, observed, evidence };
  if (heapRegions.length === 1) return { id, verdict: 'nuanced', summary: 'The stack frames lay in one contiguous [stack] mapping, but every heap block too came from one region: the heap was contiguous here.', summaryZh: '栈帧位于一个连续的 [stack] 映射中，但所有堆块也都来自同一个区域：这里的堆是连续的。', observed, evidence };
  return {
    id,
    verdict: 'confirmed',
    summary: `Eight nested calls' frames lay in one contiguous mapping, [stack]; sixteen malloc blocks came from ${heapRegions.length} separate regions (${heapRegions.join(', ')}): ${observed.smallBlocksIn.join(', ')} for the 64-byte ones, ${observed.largeBlocksIn.join(', ')} mmap memory for the 1 MiB ones. The heap is not one contiguous area.`,
    summaryZh: `八层嵌套调用的栈帧位于同一个连续的映射 [stack] 中；十六个 malloc 块来自 ${heapRegions.length} 个互不相连的区域（${heapRegions.join('、')}）：64 字节的块在 ${observed.smallBlocksIn.join('、')}，1 MiB 的块在 ${observed.largeBlocksIn.join('、')} 的 mmap 内存中。堆并不是一整块连续的内存。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'os-memory',
  title: 'A process’s memory: which way the stack and the heap grow, where each region lies, what an allocation costs',
  topic: 'os',
  claims: ['os.memory.stack-grows-down', 'os.memory.layout', 'os.memory.stack-faster', 'os.memory.contiguity'],
  requires: ['cc'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'A small C program compiled here with cc.',
    does: 'Calls a function eight levels deep, taking a local array’s address at each level; mallocs eight 64-byte and eight 1 MiB blocks; takes the address of its code, an initialised and an uninitialised global and printf; times a 64-byte array on the stack against malloc and free. Runs three times: twice as the system runs programs, once with address randomisation off (setarch -R).',
    observes: 'Every address, and the program’s /proc/self/maps with the mapping each address falls in; ns per allocation.',
    zh: {
      title: '进程的内存：栈和堆朝哪个方向增长、各区域位于何处、分配代价多少',
      starts: '一个在本机用 cc 编译的小 C 程序。',
      does: '函数递归调用八层，每层取一个局部数组的地址；用 malloc 分配八个 64 字节的块和八个 1 MiB 的块；取代码、已初始化和未初始化的全局变量以及 printf 的地址；比较在栈上分配 64 字节数组与 malloc/free 的耗时。共运行三次：两次按系统默认方式运行，一次关闭地址随机化（setarch -R）。',
      observes: '每个地址，以及程序的 /proc/self/maps 和每个地址所在的映射；每次分配的纳秒数。',
    },
  },
  async run(ctx) {
    Object.assign(ctx.environment, cpuEnvironment());
    ctx.step('compiling the program');
    const binary = await compileProgram(ctx, { name: 'memory', source: PROGRAM, flags: ['-O0'] });
    ctx.step('running it twice, then once with address randomisation off');
    const runs: MemoryObservation[] = [];
    for (const command of [[binary], [binary], ['setarch', machine(), '-R', binary]]) runs.push(JSON.parse(await exec(command[0]!, command.slice(1), { timeoutMs: 20_000 })) as MemoryObservation);
    ctx.environment.randomizeVaSpace = readFileSync('/proc/sys/kernel/randomize_va_space', 'utf8').trim();
    const kept = keptJson(ctx, 'memory.json', { runs }, 'addresses, memory maps and allocation timings of the three runs (JSON)');
    return [withEvidence(judgeGrowth(runs[0]!), ...kept), judgeLayout({ runs }), judgeStackFaster(runs[0]!), judgeContiguity(runs[0]!)];
  },
});
