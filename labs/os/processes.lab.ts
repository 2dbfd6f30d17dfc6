/**
 * Lab: processes and pipes, observed with ps and /proc in a container of their own.
 *
 * Starts: one container (the project's Python image) whose PID 1 is Docker's init.
 *
 * Does: starts a child that exits while its parent never waits for it; starts a child, then lets
 * its parent exit; writes into the read end of a pipe; sends a line through a named pipe between
 * two processes started separately; reads the stack limit.
 *
 * Observes: ps (pid, parent, state), /proc/<pid>/status, the errors the system calls return, what
 * the reading process printed, and `ulimit -s`.
 */
import { defineLab } from '../../src/core/lab.ts';
import { until } from '../../src/resources/wait.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { execIn } from '../../src/resources/docker.ts';

export interface PsRow {
  pid: number;
  ppid: number;
  stat: string;
  comm: string;
}

/** Parses `ps -eo pid=,ppid=,stat=,comm=`. */
export function parsePsStat(output: string): PsRow[] {
  return output
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[0]!))
    .map(([pid, ppid, stat, ...comm]) => ({ pid: Number(pid), ppid: Number(ppid), stat: stat!, comm: comm.join(' ') }));
}

const psTable = (title: string, rows: PsRow[]): Evidence => ({ kind: 'table', title, columns: ['pid', 'parent', 'state', 'command'], rows: rows.map((r) => [r.pid, r.ppid, r.stat, r.comm]) });

export function judgeZombie(rows: PsRow[], status: string, parentPid: number): ClaimResult {
  // The shell printed no pid for the parent (NaN, or null once kept as JSON): which child to look for is unknown.
  if (!(parentPid > 0)) return notObserved('os.zombie', { en: "The parent's pid was not printed, so its child could not be looked for in ps.", zh: '没有输出父进程的 pid，无法在 ps 中查找它的子进程。' }, { parentPid });
  if (!rows.length) return notObserved('os.zombie', { en: 'ps listed no processes while the parent had not waited.', zh: '父进程尚未 wait 期间，ps 没有列出任何进程。' });
  const zombie = rows.find((r) => r.stat.startsWith('Z') && r.ppid === parentPid);
  if (zombie && !status) return notObserved('os.zombie', { en: `/proc/${zombie.pid}/status of the exited child was not read, so its memory is unknown.`, zh: `没有读到已退出子进程的 /proc/${zombie.pid}/status，无从得知其内存占用。` }, { zombie });
  const rss = status.match(/^VmRSS:\s*(.*)$/m)?.[1];
  const observed = { zombie, statusState: status.match(/^State:\s*(.*)$/m)?.[1], vmRss: rss ?? '(none)' };
  const holds = !!zombie && !rss;
  return {
    id: 'os.zombie',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The exited child (pid ${zombie!.pid}) stayed in the process table in state ${zombie!.stat} (${observed.statusState}) under its parent ${parentPid}, which never called wait(); /proc shows it with no resident memory at all.`
      : `No zombie as described: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `已退出的子进程（pid ${zombie!.pid}）仍留在进程表中，状态为 ${zombie!.stat}（${observed.statusState}），挂在从未调用 wait() 的父进程 ${parentPid} 名下；/proc 显示它完全没有常驻内存。`
      : `没有观察到所述的僵尸进程：${JSON.stringify(observed)}。`,
    observed,
    evidence: [psTable('Processes while the parent has not waited', rows), { kind: 'command', title: `/proc/${zombie?.pid}/status`, command: `cat /proc/${zombie?.pid}/status`, output: status }],
  };
}

export function judgeOrphan(parentBefore: number, after: PsRow | undefined, init: string, reaped: boolean): ClaimResult {
  if (!after) return notObserved('os.orphan', { en: `The child was not found in ps after its parent (pid ${parentBefore}) exited, so its new parent is unknown.`, zh: `父进程（pid ${parentBefore}）退出后，ps 中没有找到该子进程，无从得知它的新父进程。` }, { parentBefore, pid1: init });
  const observed = { parentBefore, parentAfter: after?.ppid, pid1: init, stillRunning: !!after, reapedWhenItExited: reaped };
  const holds = !!after && after.ppid === 1 && reaped;
  return {
    id: 'os.orphan',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `When its parent (pid ${parentBefore}) exited, the child kept running and its parent became PID 1 (${init}); when it exited in turn, PID 1 reaped it: no zombie was left.`
      : `The orphan: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `父进程（pid ${parentBefore}）退出后，子进程继续运行，它的父进程变成了 PID 1（${init}）；之后子进程退出时由 PID 1 回收，没有留下僵尸进程。`
      : `孤儿进程的观察结果：${JSON.stringify(observed)}。`,
    observed,
    evidence: [],
  };
}

/** The Python run on a pipe: write into the write end, read from the read end, then write into the read end. */
export const PIPE_SCRIPT = `
import os
r, w = os.pipe()
os.write(w, b'one way')
print('read end gave:', os.read(r, 7).decode())
try:
    os.write(r, b'back')
except OSError as e:
    print('write to the read end:', e.strerror, e.errno)
`;

/** A reader started in the background, a writer started separately; they share only the path /tmp/fifo. The output is what the reader received. */
export const FIFO_LINE = 'mkfifo /tmp/fifo && (cat /tmp/fifo > /tmp/received &) && sleep 0.2 && echo "from an unrelated process" > /tmp/fifo && sleep 0.2 && cat /tmp/received';

/** Everything the lab saw in its container, as the judges take it (stdout of each command, trimmed). */
export interface ProcessesObservation {
  /** The command of PID 1 in ps. */
  init: string;
  /** The shell that started a child, then became `sleep 5` without waiting (NaN, kept as null, when no pid was printed). */
  zombieParent: number;
  /** ps once the child had exited (or after 3 s). */
  withZombie: PsRow[];
  /** /proc/<zombie>/status ('' when no zombie was found). */
  zombieStatus: string;
  /** The shell that started `sleep 1.5` in the background and exited. */
  orphanParent: number;
  orphanPid: number;
  /** The orphan's row in ps just after its parent exited (null: not in ps). */
  orphanAfter: PsRow | null;
  /** Whether the orphan left ps within 4 s of that (reaped, not left a zombie). */
  reaped: boolean;
  /** What PIPE_SCRIPT printed. */
  pipe: string;
  /** What FIFO_LINE printed: the line the reader received. */
  fifo: string;
  /** What `ulimit -s` printed. */
  ulimitS: string;
}

/** The sheet: a pipe is half-duplex, data flows one way. */
export function judgePipeHalfDuplex({ pipe }: ProcessesObservation): ClaimResult {
  const id = 'os.ipc.pipe-half-duplex';
  const evidence: Evidence[] = [{ kind: 'command', title: 'os.pipe() in Python', command: 'python3 -c "…os.pipe()…"', output: pipe }];
  // The script prints this line first; without it, Python did not get as far as reading the pipe.
  if (!pipe.includes('read end gave:')) return { ...notObserved(id, { en: 'The Python script on os.pipe() printed nothing about its read end, so the pipe was not observed.', zh: 'os.pipe() 的 Python 脚本没有输出读端的任何内容，无从观察这个管道。' }, { output: pipe.split('\n') }), evidence };
  const holds = pipe.includes('read end gave: one way') && /Bad file descriptor 9/.test(pipe);
  return {
    id,
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? 'Bytes written to the write end came out of the read end; writing into the read end failed with EBADF: a pipe carries one direction only.' : `The pipe: ${pipe}`,
    summaryZh: holds ? '写入写端的字节从读端读了出来；向读端写入则失败，返回 EBADF：管道只能单向传输。' : `管道的输出：${pipe}`,
    observed: { output: pipe.split('\n') },
    evidence,
  };
}

/** The sheet: a named pipe (FIFO) lets unrelated processes communicate. */
export function judgeNamedPipe({ fifo }: ProcessesObservation): ClaimResult {
  const id = 'os.ipc.named-pipe';
  const evidence: Evidence[] = [{ kind: 'command', title: 'a FIFO between a reader and a writer started separately', command: FIFO_LINE, output: fifo }];
  // A writer whose line never reached a reader would block on the FIFO, not return: nothing printed means the commands failed before.
  if (!fifo) return { ...notObserved(id, { en: 'The commands around /tmp/fifo printed nothing, so what the reader received was not observed.', zh: '围绕 /tmp/fifo 的命令没有任何输出，无从观察读进程收到了什么。' }, { received: fifo }), evidence };
  const holds = fifo === 'from an unrelated process';
  return {
    id,
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds ? 'A reader and a writer started separately, sharing nothing but the path /tmp/fifo, passed a line through it.' : `The FIFO delivered: ${fifo}`,
    summaryZh: holds ? '分别启动的读进程和写进程，除了路径 /tmp/fifo 之外没有任何共享，却通过它传递了一行文本。' : `FIFO 传递的内容：${fifo}`,
    observed: { received: fifo },
    evidence,
  };
}

/** The sheet: the stack is limited, usually a few MB. */
export function judgeStackLimit({ ulimitS: stack }: ProcessesObservation): ClaimResult {
  const id = 'os.memory.stack-limit';
  const evidence: Evidence[] = [{ kind: 'command', title: 'the stack limit', command: 'ulimit -s', output: stack }];
  // ulimit -s prints a number of KiB or "unlimited"; anything else (nothing, when it failed) is no limit read.
  if (!/^\d+$/.test(stack) && stack !== 'unlimited') return { ...notObserved(id, { en: `ulimit -s printed ${JSON.stringify(stack)}, neither a size in KiB nor "unlimited", so the stack limit was not read.`, zh: `ulimit -s 输出的是 ${JSON.stringify(stack)}，既不是以 KiB 为单位的大小，也不是 "unlimited"，因此没有读到栈大小限制。` }, { ulimitS: stack }), evidence };
  const stackKb = Number(stack);
  const fewMb = Number.isFinite(stackKb) && stackKb >= 1024 && stackKb <= 65536;
  return {
    id,
    verdict: fewMb ? 'confirmed' : 'nuanced',
    summary: !Number.isFinite(stackKb) ? `The stack limit is ${stack}: set by ulimit, not fixed.` : fewMb ? `The main thread's stack limit here is ${stackKb} KiB (${stackKb / 1024} MiB, ulimit -s): a few MB.` : `The main thread's stack limit here is ${stackKb} KiB (${stackKb / 1024} MiB, ulimit -s).`,
    summaryZh: !Number.isFinite(stackKb) ? `栈大小限制为 ${stack}：由 ulimit 设定，并非固定不变。` : fewMb ? `这里主线程的栈大小限制为 ${stackKb} KiB（${stackKb / 1024} MiB，ulimit -s）：只有几 MB。` : `这里主线程的栈大小限制为 ${stackKb} KiB（${stackKb / 1024} MiB，ulimit -s）。`,
    observed: { ulimitS: stack },
    evidence,
  };
}

export default defineLab({
  id: 'os-processes',
  title: 'Zombies, orphans, pipes and the stack limit, observed with ps and /proc',
  topic: 'os',
  claims: ['os.zombie', 'os.orphan', 'os.ipc.pipe-half-duplex', 'os.ipc.named-pipe', 'os.memory.stack-limit'],
  requires: ['docker'],
  timeLimitMs: 60_000,
  handout: {
    starts: "One container with Docker's init as PID 1 and Python.",
    does: 'Leaves a child unwaited, orphans another, writes into a pipe\'s read end, passes a line through a FIFO between separate processes, reads ulimit -s.',
    observes: 'ps and /proc/<pid>/status, system call errors, what the reader printed, the stack limit.',
    zh: {
      title: '用 ps 和 /proc 观察僵尸进程、孤儿进程、管道和栈大小限制',
      starts: '一个装有 Python 的容器，以 Docker 的 init 作为 PID 1。',
      does: '创建一个子进程但不 wait 它，再让另一个子进程成为孤儿；向管道的读端写入；在两个独立进程之间通过 FIFO 传递一行文本；读取 ulimit -s。',
      observes: 'ps 和 /proc/<pid>/status、系统调用错误、读取方打印的内容、栈大小限制。',
    },
  },
  needs: { services: { os: { image: 'backend', cmd: ['sleep', 'infinity'] } } },
  async run(ctx) {
    const box = ctx.services.os;
    const sh = async (script: string) => (await execIn(box.id, ['sh', '-c', script])).stdout.trim();
    const ps = async () => parsePsStat(await sh('ps -eo pid=,ppid=,stat=,comm='));
    ctx.environment.kernel_in_container = await sh('uname -r');
    const init = (await ps()).find((p) => p.pid === 1)?.comm ?? 'unknown';

    ctx.step('a child its parent never waits for');
    // The shell starts `sleep 0.1` in the background, then becomes `sleep 5` (exec), which never waits.
    const parent = Number(await sh("sh -c 'sleep 0.1 & exec sleep 5' >/dev/null 2>&1 & echo $!"));
    await until(async () => (await ps()).some((p) => p.ppid === parent && p.stat.startsWith('Z')), 3000, 'the child to exit').catch(() => undefined);
    const withZombie = await ps();
    const zombiePid = withZombie.find((p) => p.stat.startsWith('Z') && p.ppid === parent)?.pid;
    const zombieStatus = zombiePid ? await sh(`cat /proc/${zombiePid}/status`) : '';

    ctx.step('a child whose parent exits');
    // The shell prints its own pid and its background child's, then exits 0.2 s later.
    const [shellPid, orphanPid] = (await sh("sh -c 'sleep 1.5 >/dev/null 2>&1 & echo $$ $!; sleep 0.2'")).split(' ').map(Number);
    const after = (await ps()).find((p) => p.pid === orphanPid);
    // The orphan sleeps 1.5 s; once it has exited, PID 1 either reaps it or it lingers as a zombie.
    const gone = async () => !(await ps()).some((p) => p.pid === orphanPid);
    const reaped = await until(gone, 4000, 'the orphan to be reaped').then(() => true, () => false);

    ctx.step('pipes');
    const pipe = await sh(`python3 -c "${PIPE_SCRIPT}"`);
    const fifo = await sh(FIFO_LINE);
    const stack = await sh('ulimit -s');

    const observation: ProcessesObservation = { init, zombieParent: parent, withZombie, zombieStatus, orphanParent: shellPid!, orphanPid: orphanPid!, orphanAfter: after ?? null, reaped, pipe, fifo, ulimitS: stack };
    const kept = keptJson(ctx, 'processes.json', observation, 'ps, /proc status, pipe, FIFO and ulimit -s outputs (JSON)');
    return [
      withEvidence(judgeZombie(observation.withZombie, observation.zombieStatus, observation.zombieParent), ...kept),
      judgeOrphan(observation.orphanParent, observation.orphanAfter ?? undefined, observation.init, observation.reaped),
      judgePipeHalfDuplex(observation),
      judgeNamedPipe(observation),
      judgeStackLimit(observation),
    ];
  },
});
