/**
 * Lab: the sheet's load tools on a load that uses no CPU: what load average counts, which tool
 * shows it, which explains it, and each field of top's summary checked against /proc.
 *
 * Starts: a C program compiled here with cc. It forks four workers at nice 5, each of which vforks
 * a child that never execs or exits, so each worker waits in uninterruptible sleep (state D) using
 * no CPU.
 *
 * Does: samples /proc/loadavg, /proc/stat and the workers' states every 5 s for 60 s while vmstat
 * samples alongside; then runs the sheet's tools once each: top -b, dstat, vmstat, iostat, pidstat,
 * netstat -s, perf stat, strace -c; reads the workers' kernel stacks.
 *
 * Observes: the 1-minute load average against the tasks in D and the CPU time used; vmstat's r and
 * b columns; top's summary lines and its row for a worker, each against /proc (loadavg, the process
 * count, meminfo, the worker's status); what each tool printed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { observeCommand, type Observation } from '../../src/observers/command.ts';
import { cpuEnvironment } from '../../src/observers/cpu.ts';
import { toolVersion } from '../../src/observers/environment.ts';
import { parseTop, parseVmstat, type TopSummary } from '../../src/observers/top.ts';
import { sleep } from '../../src/resources/cancel.ts';
import { exec, spawnLabelled } from '../../src/resources/process.ts';
import { compileProgram } from '../../src/systems/c-program.ts';

export const BLOCKED = 4;
const SAMPLE_MS = 5000;
const SAMPLES = 12;

const PROGRAM = String.raw`
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BLOCKED ${BLOCKED}

/* Stopping the program stops its whole process group: the workers and their children. */
static void stop_all(int sig) { (void)sig; kill(-getpid(), SIGKILL); }

int main(void) {
  setpgid(0, 0);
  signal(SIGTERM, stop_all);
  pid_t workers[BLOCKED];
  for (int i = 0; i < BLOCKED; i++) {
    if ((workers[i] = fork()) == 0) {
      setpriority(PRIO_PROCESS, 0, 5);
      /* The parent of a vfork waits, uninterruptibly, until its child execs or exits: this one never does. */
      if (vfork() == 0) { syscall(SYS_pause); _exit(0); }
      _exit(0);
    }
  }
  printf("ready");
  for (int i = 0; i < BLOCKED; i++) printf(" %d", workers[i]);
  printf("\n");
  fflush(stdout);
  for (;;) pause();
}
`;

export interface LoadSample {
  atMs: number;
  load: number[];
  /** Share of all CPUs' time spent not idle since the previous sample (0..1). */
  cpuBusy: number;
  workerStates: string[];
}

export interface LoadObservation {
  cpus: number;
  workers: number[];
  samples: LoadSample[];
  vmstat: Record<string, number>[];
  top: { output: string; loadBefore: number[]; loadAfter: number[]; /** Processes in /proc just before and just after top ran. */ processes: number[]; memTotalKiB: number; worker: { pid: number; vmRssKiB: number; vmSizeKiB: number; nice: number; state: string } };
  kernelStack: string[];
  tools: Record<string, Observation>;
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).slice(0, 3).map(Number);
const cpuTimes = () => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
/** /proc/<pid>/stat's fields after the command name: [0] the state, [16] the nice value. */
const statFields = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)\s+/, '').split(' ');
const stateOf = (pid: number) => statFields(pid)[0] ?? '?';
const statusField = (pid: number, name: string) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN);

/** Waits (up to 5 s) until the processes have exited: gone from /proc, or zombies waiting to be reaped. */
async function gone(pids: number[]): Promise<void> {
  const alive = () =>
    pids.filter((pid) => {
      try {
        return stateOf(pid) !== 'Z';
      } catch {
        return false; // gone between listing and reading
      }
    });
  for (let i = 0; i < 50 && alive().length; i++) await sleep(100);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export function judgeLoadTools(o: LoadObservation): ClaimResult {
  const id = 'linux.load.tools';
  const first = o.samples[0];
  const last = o.samples.at(-1);
  const blockedSeen = Math.min(...o.samples.map((s) => s.workerStates.filter((x) => x === 'D').length));
  const during = o.vmstat.slice(1);
  const elapsedS = last && first ? (last.atMs - first.atMs) / 1000 : 0;
  // The 1-minute load average is an exponential average: L(t) = L(0)·d + n·(1 − d), d = e^(−t/60 s), n the tasks it counted meanwhile.
  const decay = Math.exp(-elapsedS / 60);
  const countedTasks = last && first ? +((last.load[0]! - first.load[0]! * decay) / (1 - decay)).toFixed(2) : NaN;
  const perfOutput = o.tools.perf?.output ?? '';
  const perfHardware = /\bcycles\b/.test(perfOutput) && !/<not (supported|counted)>\s+cycles/.test(perfOutput);
  const observed = {
    tasksInD: blockedSeen,
    load1Start: first?.load[0],
    load1End: last?.load[0],
    tasksCountedByLoadAverage: countedTasks,
    cpuBusyMedian: +median(o.samples.slice(1).map((s) => s.cpuBusy)).toFixed(2),
    vmstatBlockedMedian: median(during.map((v) => v.b!)),
    vmstatRunnableMedian: median(during.map((v) => v.r!)),
    perfCountsCycles: perfHardware,
    workerKernelStack: o.kernelStack,
  };
  const evidence: Evidence[] = [
    { kind: 'series', title: `While ${BLOCKED} tasks sat in uninterruptible sleep (D)`, xLabel: 's', yLabel: 'tasks / load / CPUs busy', series: [{ name: 'load average, 1 min', points: o.samples.map((s) => [s.atMs / 1000, s.load[0]!]) }, { name: 'workers in D', points: o.samples.map((s) => [s.atMs / 1000, s.workerStates.filter((x) => x === 'D').length]) }, { name: 'CPUs busy (all tasks)', points: o.samples.slice(1).map((s) => [s.atMs / 1000, +(s.cpuBusy * o.cpus).toFixed(2)]) }] },
    { kind: 'table', title: `vmstat ${SAMPLE_MS / 1000} (r: runnable, b: uninterruptible)`, columns: ['sample', 'r', 'b', 'us', 'sy', 'id', 'wa'], rows: o.vmstat.map((v, i) => [i, v.r!, v.b!, v.us!, v.sy!, v.id!, v.wa!]) },
    { kind: 'command', title: 'A worker’s kernel stack: where it waits', command: `cat /proc/${o.workers[0]}/stack`, output: o.kernelStack.join('\n') },
    ...Object.values(o.tools).map((t) => t.evidence),
  ];
  if (!first || !last || o.vmstat.length < 2 || !Object.keys(o.tools).length) return { id, verdict: 'unverifiable', summary: 'The load samples, vmstat or the tools’ outputs are missing.', summaryZh: '缺少负载采样、vmstat 或各工具的输出。', observed, evidence };
  const failedTools = Object.entries(o.tools).filter(([, t]) => t.exitCode !== 0).map(([name]) => name);
  if (failedTools.length) return { id, verdict: 'unverifiable', summary: `These tools did not run here: ${failedTools.join(', ')}.`, summaryZh: `以下工具无法在这里运行：${failedTools.join('、')}。`, observed, evidence };
  if (blockedSeen < BLOCKED) return { id, verdict: 'unverifiable', summary: `Only ${blockedSeen} of the ${BLOCKED} workers stayed in uninterruptible sleep, so the workload was not what the lab set up.`, summaryZh: `${BLOCKED} 个工作进程中只有 ${blockedSeen} 个一直处于不可中断睡眠，工作负载与实验设定不符。`, observed, evidence };
  const topRowsInD = parseTop(o.top.output).rows.filter((r) => o.workers.includes(Number(r.PID)) && r.S === 'D').length;
  const overview = `With ${BLOCKED} tasks in uninterruptible sleep and the CPUs ${Math.round(observed.cpuBusyMedian * 100)}% busy, the overview's load average (top, uptime, /proc/loadavg) went from ${observed.load1Start} to ${observed.load1End} in ${Math.round(elapsedS)} s, an average over ${countedTasks} tasks: it counts tasks waiting in D, not only those on a CPU.`;
  const overviewZh = `在 ${BLOCKED} 个任务处于不可中断睡眠、CPU 忙碌 ${Math.round(observed.cpuBusyMedian * 100)}% 的情况下，概览工具的负载平均值（top、uptime、/proc/loadavg）在 ${Math.round(elapsedS)} s 内从 ${observed.load1Start} 变为 ${observed.load1End}，相当于平均计入了 ${countedTasks} 个任务：它统计等待在 D 状态的任务，而不只是在 CPU 上运行的任务。`;
  if (!(countedTasks >= BLOCKED * 0.75))
    return { id, verdict: 'refuted', summary: `The overview did not show the blocked tasks: load average went from ${observed.load1Start} to ${observed.load1End}, an average over ${countedTasks} tasks, while ${blockedSeen} were in D.`, summaryZh: `概览工具没有反映出被阻塞的任务：负载从 ${observed.load1Start} 变为 ${observed.load1End}，相当于平均只计入了 ${countedTasks} 个任务，而当时有 ${blockedSeen} 个任务处于 D 状态。`, observed, evidence };
  const exceptions: { en: string; zh: string }[] = [];
  if (observed.vmstatBlockedMedian < BLOCKED)
    exceptions.push({
      en: `vmstat, a "detail" tool, did not explain it: its b column held ${observed.vmstatBlockedMedian} and r ${observed.vmstatRunnableMedian}, because b counts only tasks waiting for I/O (procs_blocked in /proc/stat), and these waited on a vfork; top's own task list did (S = D for ${topRowsInD} workers), and the kernel stacks showed where (${o.kernelStack[0] ?? '?'})`,
      zh: `作为“深度”工具的 vmstat 没能解释它：b 列为 ${observed.vmstatBlockedMedian}，r 列为 ${observed.vmstatRunnableMedian}，因为 b 只统计等待 I/O 的任务（/proc/stat 中的 procs_blocked），而这些任务在等待 vfork；反倒是 top 自己的任务列表说明了原因（${topRowsInD} 个工作进程的 S 为 D），内核栈则显示了它们在哪里等待（${o.kernelStack[0] ?? '?'}）`,
    });
  if (!perfHardware) exceptions.push({ en: 'perf, a "specialised" tool, counted software events but not CPU cycles: this virtual machine exposes no hardware performance counters', zh: '作为“专项”工具的 perf 只能统计软件事件，无法统计 CPU 周期：这台虚拟机没有暴露硬件性能计数器' });
  if (!exceptions.length)
    return { id, verdict: 'confirmed', summary: `${overview} vmstat's b column explained it (${observed.vmstatBlockedMedian} blocked), perf counted CPU cycles and strace system calls.`, summaryZh: `${overviewZh}vmstat 的 b 列解释了原因（${observed.vmstatBlockedMedian} 个被阻塞），perf 统计了 CPU 周期，strace 统计了系统调用。`, observed, evidence };
  return {
    id,
    verdict: 'nuanced',
    summary: `${overview} The tiers are a rough guide, not a rule: ${exceptions.map((e) => e.en).join('; ')}. (htop has no batch mode, so it was not run.)`,
    summaryZh: `${overviewZh}这三个层次只是粗略的指引，并非定律：${exceptions.map((e) => e.zh).join('；')}。（htop 没有批处理模式，因此没有运行。）`,
    observed,
    evidence,
  };
}

export function judgeTopSummary(o: LoadObservation): ClaimResult {
  const id = 'linux.top.summary';
  const top: TopSummary = parseTop(o.top.output);
  const row = top.rows.find((r) => Number(r.PID) === o.top.worker.pid);
  const memUnitKiB = { KiB: 1, MiB: 1024, GiB: 1024 * 1024 }[top.memoryUnit] ?? NaN;
  const expectedCpu = ['us', 'sy', 'ni', 'id', 'wa', 'hi', 'si', 'st'];
  const expectedColumns = ['PID', 'USER', 'PR', 'NI', 'VIRT', 'RES', 'SHR', 'S', '%CPU', '%MEM', 'TIME+', 'COMMAND'];
  const within = (a: number, b: number, tolerance: number) => Math.abs(a - b) <= tolerance;
  const loadMatches = top.load.length === 3 && top.load.every((v, i) => within(v, o.top.loadBefore[i]!, 0.3) || within(v, o.top.loadAfter[i]!, 0.3));
  const checks: [string, string, boolean][] = [
    ['load average matches /proc/loadavg', '负载平均值与 /proc/loadavg 一致', loadMatches],
    ['task count matches the processes in /proc', '任务总数与 /proc 中的进程数一致', (top.tasks.total ?? NaN) >= Math.min(...o.top.processes) - 3 && (top.tasks.total ?? NaN) <= Math.max(...o.top.processes) + 3],
    ['task states: running, sleeping, stopped, zombie', '任务状态：running、sleeping、stopped、zombie', ['running', 'sleeping', 'stopped', 'zombie'].every((k) => k in top.tasks)],
    ['CPU split us sy ni id wa hi si st', 'CPU 占比 us sy ni id wa hi si st', expectedCpu.every((k) => k in top.cpu)],
    ['total memory matches /proc/meminfo', '内存总量与 /proc/meminfo 一致', within((top.memory.total ?? NaN) * memUnitKiB, o.top.memTotalKiB, memUnitKiB)],
    ['columns PID … COMMAND', '列 PID … COMMAND', expectedColumns.every((c) => top.columns.includes(c))],
    [`the worker's NI is its nice (${o.top.worker.nice}) and PR 20 + nice`, `工作进程的 NI 等于其 nice 值（${o.top.worker.nice}），PR 等于 20 + nice`, Number(row?.NI) === o.top.worker.nice && Number(row?.PR) === 20 + o.top.worker.nice],
    [`the worker's S is its state (${o.top.worker.state})`, `工作进程的 S 列等于其状态（${o.top.worker.state}）`, row?.S === o.top.worker.state],
    ["the worker's RES and VIRT match VmRSS and VmSize", '工作进程的 RES、VIRT 与 VmRSS、VmSize 一致', within(Number(row?.RES), o.top.worker.vmRssKiB, 8) && within(Number(row?.VIRT), o.top.worker.vmSizeKiB, 8)],
  ];
  const failed = checks.filter(([, , ok]) => !ok);
  const observed = { load: top.load, procLoadBefore: o.top.loadBefore, tasks: top.tasks, processesInProc: o.top.processes, cpu: top.cpu, memoryUnit: top.memoryUnit, memory: top.memory, memTotalKiB: o.top.memTotalKiB, columns: top.columns, workerRow: row, workerProc: o.top.worker, failedChecks: failed.map(([en]) => en) };
  const evidence: Evidence[] = [
    { kind: 'command', title: "top's summary and the worker's row", command: 'top -b -n 1 -w 512', output: [...o.top.output.split('\n').slice(0, 7), ...o.top.output.split('\n').filter((l) => l.trim().startsWith(`${o.top.worker.pid} `))].join('\n') },
    { kind: 'table', title: "Each field of top's output against /proc", columns: ['check', 'holds'], rows: checks.map(([en, , ok]) => [en, ok ? 'yes' : 'no']) },
  ];
  if (!top.columns.length || !top.load.length) return { id, verdict: 'unverifiable', summary: "top's output could not be read.", summaryZh: '无法解析 top 的输出。', observed, evidence };
  if (failed.length) return { id, verdict: 'refuted', summary: `Not as described: ${failed.map(([en]) => en).join('; ')}.`, summaryZh: `与描述不符：${failed.map(([, zh]) => zh).join('；')}。`, observed, evidence };
  return {
    id,
    verdict: 'confirmed',
    summary: `top -b showed load average ${top.load.join(', ')} (/proc/loadavg: ${o.top.loadBefore.join(', ')}), ${top.tasks.total} tasks (${o.top.processes.join(' and ')} processes in /proc just before and after), the CPU split ${expectedCpu.join(' ')}, memory in ${top.memoryUnit} (total ${top.memory.total}, /proc/meminfo ${o.top.memTotalKiB} KiB), then ${top.columns.join(' ')}; for a worker at nice ${o.top.worker.nice} it showed PR ${row?.PR}, NI ${row?.NI}, S ${row?.S}, RES ${row?.RES} and VIRT ${row?.VIRT}, as its /proc status says.`,
    summaryZh: `top -b 显示负载 ${top.load.join(', ')}（/proc/loadavg：${o.top.loadBefore.join(', ')}），任务 ${top.tasks.total} 个（运行 top 前后 /proc 中分别有 ${o.top.processes.join(' 和 ')} 个进程），CPU 占比 ${expectedCpu.join(' ')}，内存单位 ${top.memoryUnit}（总量 ${top.memory.total}，/proc/meminfo 为 ${o.top.memTotalKiB} KiB），然后是 ${top.columns.join(' ')} 各列；对 nice 为 ${o.top.worker.nice} 的工作进程，显示 PR ${row?.PR}、NI ${row?.NI}、S ${row?.S}、RES ${row?.RES}、VIRT ${row?.VIRT}，与其 /proc status 一致。`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'linux-load',
  title: 'Load tools on a load that uses no CPU: load average, vmstat, top’s fields against /proc',
  topic: 'linux',
  claims: ['linux.load.tools', 'linux.top.summary'],
  // root: to read a worker's kernel stack (/proc/<pid>/stack).
  requires: ['root', 'cc'],
  timeLimitMs: 150_000,
  handout: {
    starts: `A C program compiled with cc: ${BLOCKED} workers at nice 5, each stuck in uninterruptible sleep (the parent of a vfork whose child never execs).`,
    does: 'Samples /proc/loadavg, /proc/stat and the workers’ states every 5 s for 60 s with vmstat alongside; then runs top -b, dstat, vmstat, iostat, pidstat, netstat -s, perf stat and strace -c once each.',
    observes: 'Load average against tasks in D and CPU use; vmstat’s r and b; every field of top’s summary and a worker’s row against /proc; what each tool printed.',
    zh: {
      title: '在不占用 CPU 的负载下检验负载工具：负载平均值、vmstat，以及 top 各字段与 /proc 的对照',
      starts: `一个用 cc 编译的 C 程序：${BLOCKED} 个 nice 为 5 的工作进程，每个都卡在不可中断睡眠中（它们 vfork 出的子进程永远不 exec）。`,
      does: '每 5 s 采样一次 /proc/loadavg、/proc/stat 和工作进程的状态，持续 60 s，同时运行 vmstat；然后各运行一次 top -b、dstat、vmstat、iostat、pidstat、netstat -s、perf stat 和 strace -c。',
      observes: '负载平均值与 D 状态任务数和 CPU 使用的对比；vmstat 的 r 和 b 列；top 汇总区每个字段及某个工作进程的行与 /proc 的对照；每个工具的输出。',
    },
  },
  async run(ctx) {
    Object.assign(ctx.environment, cpuEnvironment());
    for (const tool of ['top', 'vmstat']) ctx.environment[tool] = await toolVersion(tool, ['-V']);
    ctx.step('starting workers that wait in uninterruptible sleep');
    const binary = await compileProgram(ctx, { name: 'blocked', source: PROGRAM, flags: ['-O2'] });
    const program = spawnLabelled(ctx.scope, ctx.runId, binary, []);
    const workers = (await program.waitForLine(/^ready /, 5000)).split(' ').slice(1).map(Number);

    ctx.step(`sampling load for ${(SAMPLE_MS * SAMPLES) / 1000} s`);
    const vmstatRun = exec('vmstat', [String(SAMPLE_MS / 1000), String(SAMPLES + 1)], { timeoutMs: SAMPLE_MS * (SAMPLES + 3) });
    const started = Date.now();
    const samples: LoadSample[] = [];
    let previous = cpuTimes();
    for (let i = 0; i <= SAMPLES; i++) {
      if (i) await sleep(SAMPLE_MS);
      const now = cpuTimes();
      const total = now.reduce((a, b) => a + b, 0) - previous.reduce((a, b) => a + b, 0);
      const idle = now[3]! + now[4]! - previous[3]! - previous[4]!;
      previous = now;
      samples.push({ atMs: Date.now() - started, load: loadavg(), cpuBusy: total > 0 ? 1 - idle / total : 0, workerStates: workers.map(stateOf) });
    }
    const vmstat = parseVmstat(await vmstatRun);

    ctx.step('top, and the same fields read from /proc');
    const processCount = () => readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
    const [loadBefore, processesBefore] = [loadavg(), processCount()];
    const topOutput = await exec('top', ['-b', '-n', '1', '-w', '512']);
    const [loadAfter, processes] = [loadavg(), [processesBefore, processCount()]];
    const memTotalKiB = Number(readFileSync('/proc/meminfo', 'utf8').match(/^MemTotal:\s+(\d+)/m)?.[1]);
    const pid = workers[0]!;
    const worker = { pid, vmRssKiB: statusField(pid, 'VmRSS'), vmSizeKiB: statusField(pid, 'VmSize'), nice: Number(statFields(pid)[16]), state: stateOf(pid) };
    const kernelStack = readFileSync(`/proc/${pid}/stack`, 'utf8').trim().split('\n').map((l) => l.replace(/^\[<[0-9a-f]+>\]\s*/, ''));

    ctx.step("the sheet's other tools, once each");
    const tools: Record<string, Observation> = {
      dstat: await observeCommand('dstat (overview): CPU, disk, network, paging, system', 'dstat', ['--nocolor', '1', '2']),
      iostat: await observeCommand('iostat (detail): per-device I/O', 'iostat', ['-x', '1', '1']),
      pidstat: await observeCommand('pidstat (detail): a worker’s CPU use', 'pidstat', ['-p', String(pid), '1', '1']),
      netstat: await observeCommand('netstat -s (detail): protocol counters', 'sh', ['-c', 'netstat -s | head -20']),
      perf: await observeCommand('perf stat (specialised): counters over a short command', 'perf', ['stat', '-e', 'task-clock,context-switches,cycles', '--', 'sleep', '0.2']),
      strace: await observeCommand('strace -c (specialised): system calls of a short command', 'strace', ['-c', '-f', '--', 'ls', '/']),
    };
    await program.stop();
    await gone(workers);
    const observation: LoadObservation = { cpus: cpus().length, workers, samples, vmstat, top: { output: topOutput, loadBefore, loadAfter, processes, memTotalKiB, worker }, kernelStack, tools };
    const kept = keptJson(ctx, 'load.json', observation, 'load samples, vmstat, top and every tool’s output (JSON)');
    return [withEvidence(judgeLoadTools(observation), ...kept), judgeTopSummary(observation)];
  },
});
