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
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { compileAndRun } from '../../src/systems/c-program.ts';

const PROGRAM = String.raw`
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEVELS 8
#define BLOCKS 8
static uintptr_t stack[LEVELS];

static void __attribute__((noinline)) descend(int depth) {
  volatile char local[64];
  local[0] = (char)depth;
  stack[depth] = (uintptr_t)local;
  if (depth + 1 < LEVELS) descend(depth + 1);
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
  printf("]}\n");
  return 0;
}
`;

export interface MemoryObservation {
  /** The local array's address at depth 0 (outermost) to 7. */
  stack: string[];
  small: string[];
  large: string[];
  maps: string[];
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
  const evidence: Evidence[] = [
    { kind: 'table', title: 'Addresses in the order they were taken', columns: ['#', 'local array at depth #', 'malloc(64) #', 'malloc(1 MiB) #'], rows: o.stack.map((s, i) => [i, s, o.small[i] ?? '', o.large[i] ?? '']) },
    { kind: 'command', title: "The program's memory map", command: 'cat /proc/self/maps', output: o.maps.join('\n') },
  ];
  if (o.stack.length < 2 || o.small.length < 2 || o.large.length < 2) return { id: 'os.memory.stack-grows-down', verdict: 'unverifiable', summary: 'The program did not report its addresses.', observed, evidence };
  if (stackDir !== -1 || smallDir !== 1) return { id: 'os.memory.stack-grows-down', verdict: 'refuted', summary: `The stack grew ${word(stackDir)} (in ${observed.stackIn.join(', ')}) and small heap blocks ${word(smallDir)}.`, observed, evidence };
  const stackPart = `Each deeper call's local array sat lower (${o.stack[0]} at depth 0 to ${o.stack.at(-1)} at depth ${o.stack.length - 1}, in ${observed.stackIn.join(', ')}), and each small malloc higher (in ${observed.smallBlocksIn.join(', ')})`;
  if (largeDir === 1) return { id: 'os.memory.stack-grows-down', verdict: 'confirmed', summary: `${stackPart}; large blocks rose too.`, observed, evidence };
  return {
    id: 'os.memory.stack-grows-down',
    verdict: 'nuanced',
    summary: `${stackPart}. But "the heap" grows upwards only for what malloc takes from the brk area ([heap]): blocks of 1 MiB came from mappings of their own (${observed.largeBlocksIn.join(', ')}), each placed ${word(largeDir)} from the last${betweenHeapAndStack ? ', in the gap between the heap and the stack' : ''}, as glibc serves requests above its mmap threshold (128 KiB by default) with mmap.`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'os-memory',
  title: 'Which way the stack and the heap grow, from a program’s own addresses',
  topic: 'os',
  claims: ['os.memory.stack-grows-down'],
  requires: ['cc'],
  timeLimitMs: 30_000,
  handout: {
    starts: 'A small C program compiled here with cc.',
    does: 'Calls a function eight levels deep, taking a local array’s address at each level; mallocs eight 64-byte and eight 1 MiB blocks.',
    observes: 'Every address, and the program’s /proc/self/maps with the mapping each address falls in.',
    zh: {
      title: '栈和堆朝哪个方向增长：看程序自己的地址',
      starts: '一个在本机用 cc 编译的小 C 程序。',
      does: '函数递归调用八层，每层取一个局部数组的地址；再用 malloc 分配八个 64 字节的块和八个 1 MiB 的块。',
      observes: '每个地址，以及程序的 /proc/self/maps 和每个地址所在的映射。',
    },
  },
  async run(ctx) {
    ctx.step('compiling and running the program');
    const observation = JSON.parse(await compileAndRun(ctx, { name: 'grow', source: PROGRAM, flags: ['-O0'] })) as MemoryObservation;
    const kept = keptJson(ctx, 'memory.json', observation, 'addresses and the memory map (JSON)');
    return [withEvidence(judgeGrowth(observation), ...kept)];
  },
});
