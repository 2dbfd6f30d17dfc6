/**
 * Lab: what threads of one process share and what a forked process does not, and what a crash
 * takes down, read from /proc.
 *
 * Starts: one container with Python (the project's image).
 *
 * Does: in one Python process, starts two threads: one writes a shared variable, opens a file and
 * changes directory, then both block; forks a child that writes the same variable, opens a file and
 * crashes on a null pointer; finally runs a second process in which one thread crashes the same way
 * while the main thread sleeps.
 *
 * Observes: the variable as each side reads it, and its virtual address in each process; the open
 * files and working directory of each task (/proc/<pid>/task/<tid>/fd, cwd); each task's memory
 * map; each blocked thread's stack and instruction pointers (/proc/<pid>/task/<tid>/syscall, the
 * main thread's read by another thread while it sleeps) and the mapping its stack pointer is in;
 * how each crashed process ended.
 */
import { defineLab } from '../../src/core/lab.ts';
import { keptJson, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { execIn } from '../../src/resources/docker.ts';

const PROGRAM = String.raw`
import ctypes, json, os, subprocess, sys, threading, time

def mapping_of(address):
    with open('/proc/self/maps') as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split('-'))
            if lo <= address < hi:
                return {'mapping': parts[5] if len(parts) > 5 else 'anonymous', 'range': parts[0]}
    return {'mapping': None, 'range': None}

def registers(tid):
    # "nr arg1..arg6 sp pc" while the task is blocked in a system call
    with open(f'/proc/self/task/{tid}/syscall') as f:
        parts = f.read().split()
    if len(parts) < 3:
        return {'state': ' '.join(parts)}
    return {'sp': parts[-2], 'pc': parts[-1], **mapping_of(int(parts[-2], 16))}

def safe_readlink(path):
    try:
        return os.readlink(path)
    except OSError:
        return None

out = {}
marker = ctypes.c_long(1)
address = ctypes.addressof(marker)
main_tid = threading.get_native_id()
start_cwd = os.getcwd()

# Threads
seen, ready, go = {}, threading.Barrier(3), threading.Event()
def worker(name, write):
    seen[name] = {'tid': threading.get_native_id()}
    if write:
        marker.value = 2
        seen[name]['fd'] = os.open('/etc/hostname', os.O_RDONLY)
        os.chdir('/tmp')
    ready.wait()
    go.wait()
threads = [threading.Thread(target=worker, args=(n, n == 'writer')) for n in ('writer', 'idle')]
for t in threads: t.start()
ready.wait()
time.sleep(0.2)
# The main thread's registers, read by another thread while the main one sleeps in a system call.
main_registers = {}
reader = threading.Thread(target=lambda: (time.sleep(0.1), main_registers.update(registers(main_tid))))
reader.start()
time.sleep(0.3)
reader.join()
tids = {'main': main_tid, **{n: s['tid'] for n, s in seen.items()}}
def task_maps(tid):
    with open(f'/proc/self/task/{tid}/maps') as f:
        return f.read()
fd = seen['writer']['fd']
out['threads'] = {
    'markerWrittenByThread': 2,
    'markerSeenByMain': marker.value,
    'fdOpenedByThread': fd,
    'fdInMainTaskTable': os.readlink(f'/proc/self/task/{main_tid}/fd/{fd}') if os.path.exists(f'/proc/self/task/{main_tid}/fd/{fd}') else None,
    'cwdBefore': start_cwd,
    'cwdOfMainTask': os.readlink(f'/proc/self/task/{main_tid}/cwd'),
    'mapsIdentical': len({task_maps(t) for t in tids.values()}) == 1,
    'registers': {'main': main_registers, **{n: registers(seen[n]['tid']) for n in ('writer', 'idle')}},
}
go.set()
for t in threads: t.join()
os.close(fd)
os.chdir(start_cwd)

# A forked process
marker.value = 1
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    marker.value = 3
    child_fd = os.open('/etc/hostname', os.O_RDONLY)
    os.write(w, json.dumps({'markerInChild': marker.value, 'address': ctypes.addressof(marker), 'fd': child_fd, 'file': os.readlink(f'/proc/self/fd/{child_fd}')}).encode())
    os.close(w)
    ctypes.string_at(0)  # a null-pointer read: SIGSEGV
    os._exit(0)
os.close(w)
child = json.loads(os.read(r, 65536))
_, status = os.waitpid(pid, 0)
out['process'] = {
    'markerInChild': child['markerInChild'],
    'markerInParent': marker.value,
    'sameVirtualAddress': child['address'] == address,
    'address': hex(address),
    'childFd': child['fd'],
    'childFile': child['file'],
    'childFileInParent': any(safe_readlink(f'/proc/self/fd/{x}') == '/etc/hostname' for x in os.listdir('/proc/self/fd')),
    'childEndedBySignal': os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    'childExitCode': os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
    'parentAfter': 'still running, reporting',
}

# A thread crashing in another process
crash = subprocess.run([sys.executable, '-c', '''
import ctypes, threading, time
threading.Thread(target=lambda: (time.sleep(0.2), ctypes.string_at(0))).start()
time.sleep(1)
print("main thread survived", flush=True)
'''], capture_output=True, text=True)
out['threadCrash'] = {'returncode': crash.returncode, 'stdout': crash.stdout.strip()}
print(json.dumps(out))
`;

export interface ThreadsObservation {
  threads: {
    markerWrittenByThread: number;
    markerSeenByMain: number;
    fdOpenedByThread: number;
    fdInMainTaskTable: string | null;
    cwdBefore: string;
    cwdOfMainTask: string;
    mapsIdentical: boolean;
    /** Each blocked thread's stack and instruction pointers, and the mapping its stack pointer is in. */
    registers: Record<string, { sp?: string; pc?: string; mapping?: string | null; range?: string | null; state?: string }>;
  };
  process: { markerInChild: number; markerInParent: number; sameVirtualAddress: boolean; address: string; childFd: number; childFile: string; childFileInParent: boolean; childEndedBySignal: number | null; childExitCode: number | null; parentAfter: string };
  threadCrash: { returncode: number; stdout: string };
}

const SIGSEGV = 11;

export function judgeProcessIsolation(o: ThreadsObservation): ClaimResult {
  const p = o.process;
  const observed = { ...p, threadCrashReturncode: o.threadCrash.returncode };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'A variable at one virtual address, written after fork', columns: ['', 'parent', 'child'], rows: [['address of the variable', p.address, p.sameVirtualAddress ? p.address : 'another'], ['value read', p.markerInParent, p.markerInChild], [`${p.childFile} (opened by the child as fd ${p.childFd})`, p.childFileInParent ? 'open' : 'not open', 'open'], ['ended', p.parentAfter, p.childEndedBySignal === null ? `exit ${p.childExitCode}` : `signal ${p.childEndedBySignal}`]] },
  ];
  if (p.childEndedBySignal !== SIGSEGV) return { id: 'os.process.isolation', verdict: 'unverifiable', summary: `The child did not crash as meant (it ended ${p.childEndedBySignal === null ? `with exit code ${p.childExitCode}` : `by signal ${p.childEndedBySignal}`}), so a crash's reach could not be seen.`, summaryZh: `子进程没有按预期崩溃（它${p.childEndedBySignal === null ? `以退出码 ${p.childExitCode} 结束` : `被信号 ${p.childEndedBySignal} 终止`}），因此无法观察一次崩溃会波及到哪里。`, observed, evidence };
  if (p.markerInParent !== 1 || p.childFileInParent)
    return { id: 'os.process.isolation', verdict: 'refuted', summary: `The forked child's changes reached the parent: it read ${p.markerInParent} after the child wrote ${p.markerInChild}${p.childFileInParent ? `, and the file the child opened (${p.childFile}) was open in it` : ''}.`, summaryZh: `fork 出的子进程所做的修改影响到了父进程：子进程写入 ${p.markerInChild} 之后，父进程读到的是 ${p.markerInParent}${p.childFileInParent ? `，而且子进程打开的文件（${p.childFile}）在父进程中也处于打开状态` : ''}。`, observed, evidence };
  return {
    id: 'os.process.isolation',
    verdict: 'confirmed',
    summary: `After fork the variable ${p.sameVirtualAddress ? `sat at the same virtual address (${p.address}) in both processes` : `sat at ${p.address} in the parent and elsewhere in the child`}, yet the child's write of ${p.markerInChild} left the parent reading ${p.markerInParent}${p.sameVirtualAddress ? ': one address, two address spaces' : ''}. The file the child opened (${p.childFile}, fd ${p.childFd}) was not open in the parent, and the child's null-pointer read killed only the child (signal ${p.childEndedBySignal}, SIGSEGV) while the parent ran on and collected its status.`,
    summaryZh: `fork 之后，这个变量${p.sameVirtualAddress ? `在两个进程中位于同一个虚拟地址（${p.address}）` : `在父进程中位于 ${p.address}，在子进程中位于别处`}，但子进程写入 ${p.markerInChild} 后，父进程读到的仍是 ${p.markerInParent}${p.sameVirtualAddress ? '：同一个地址，两个地址空间' : ''}。子进程打开的文件（${p.childFile}，fd ${p.childFd}）在父进程中并没有打开；子进程读取空指针只杀死了它自己（信号 ${p.childEndedBySignal}，SIGSEGV），父进程照常运行，并收集了它的退出状态。`,
    observed,
    evidence,
  };
}

export function judgeThreadsShared(o: ThreadsObservation): ClaimResult {
  const t = o.threads;
  const regs = Object.entries(t.registers);
  const sps = regs.map(([, r]) => r.sp);
  const ranges = regs.map(([, r]) => r.range);
  const ownStacks = ranges.every(Boolean) && new Set(ranges).size === ranges.length && t.registers.main?.mapping === '[stack]';
  const ownRegisters = new Set(sps).size === sps.length;
  const observed = { markerSeenByMain: t.markerSeenByMain, fdInMainTaskTable: t.fdInMainTaskTable, cwdOfMainTask: t.cwdOfMainTask, mapsIdentical: t.mapsIdentical, registers: t.registers, threadCrash: o.threadCrash };
  const evidence: Evidence[] = [
    { kind: 'table', title: 'Three threads of one process, each blocked in a system call (/proc/<pid>/task/<tid>/syscall, maps)', columns: ['thread', 'stack pointer', 'in mapping', 'mapping range', 'instruction pointer'], rows: regs.map(([n, r]) => [n, r.sp ?? r.state ?? '?', r.mapping ?? '?', r.range ?? '?', r.pc ?? '?']) },
    { kind: 'table', title: 'What one thread changed, as the main thread sees it', columns: ['the writer thread', 'the main thread sees'], rows: [[`wrote ${t.markerWrittenByThread} to a variable`, t.markerSeenByMain], [`opened fd ${t.fdOpenedByThread}`, t.fdInMainTaskTable ?? 'not open'], [`changed directory from ${t.cwdBefore} to /tmp`, t.cwdOfMainTask], ['its memory map', t.mapsIdentical ? 'the same map' : 'a different map']] },
  ];
  if (!sps.every(Boolean) || regs.length < 3) return { id: 'os.thread.shared', verdict: 'unverifiable', summary: `A thread was not blocked in a system call when read (${JSON.stringify(t.registers)}), so its registers could not be read.`, summaryZh: `读取时有线程没有阻塞在系统调用中（${JSON.stringify(t.registers)}），因此读不到它的寄存器。`, observed, evidence };
  const shares = t.markerSeenByMain === t.markerWrittenByThread && t.fdInMainTaskTable !== null && t.mapsIdentical;
  if (!shares || !ownStacks || !ownRegisters) return { id: 'os.thread.shared', verdict: 'refuted', summary: `Not as stated: shared memory, files and map ${shares ? 'yes' : 'no'}, own stacks ${ownStacks ? 'yes' : 'no'}, own registers ${ownRegisters ? 'yes' : 'no'}.`, summaryZh: `与所述不符：共享内存、文件和内存映射：${shares ? '是' : '否'}；各有自己的栈：${ownStacks ? '是' : '否'}；各有自己的寄存器：${ownRegisters ? '是' : '否'}。`, observed, evidence };
  const crash = o.threadCrash.returncode === -SIGSEGV && !o.threadCrash.stdout.includes('survived') ? ` Sharing cuts both ways: in another process one thread's null-pointer read killed the whole process (signal ${-o.threadCrash.returncode}) before its main thread could print.` : '';
  const crashZh = o.threadCrash.returncode === -SIGSEGV && !o.threadCrash.stdout.includes('survived') ? `共享也有代价：在另一个进程中，一个线程读取空指针就让整个进程被杀死（信号 ${-o.threadCrash.returncode}），主线程还没来得及打印。` : '';
  return {
    id: 'os.thread.shared',
    verdict: 'confirmed',
    summary: `The main thread read the ${t.markerWrittenByThread} another thread wrote, found that thread's file open as its own fd ${t.fdOpenedByThread} (${t.fdInMainTaskTable}), and its working directory moved to ${t.cwdOfMainTask} (it belongs to the process, which the sheet does not mention); all three tasks have one memory map. Each has its own stack pointer (${sps.join(', ')}), each in a stack of its own: the main thread's in [stack], the others' in separate anonymous mappings (${ranges.slice(1).join(', ')}).${crash}`,
    summaryZh: `主线程读到了另一个线程写入的 ${t.markerWrittenByThread}，发现那个线程打开的文件在自己这里同样是 fd ${t.fdOpenedByThread}（${t.fdInMainTaskTable}），而且自己的工作目录也变成了 ${t.cwdOfMainTask}（工作目录属于进程，学习资料没有提到这一点）；三个 task 共用同一份内存映射。每个线程都有自己的栈指针（${sps.join(', ')}），各自位于独立的栈中：主线程的在 [stack] 中，其他线程的在各自独立的匿名映射中（${ranges.slice(1).join(', ')}）。${crashZh}`,
    observed,
    evidence,
  };
}

export default defineLab({
  id: 'os-threads',
  title: 'Threads against processes: what is shared, what is not, what a crash takes down',
  topic: 'os',
  claims: ['os.process.isolation', 'os.thread.shared'],
  requires: ['docker'],
  timeLimitMs: 60_000,
  handout: {
    starts: 'One container with Python.',
    does: 'Two threads of one process: one writes a variable, opens a file and changes directory, then both block; a forked child writes the same variable, opens a file and reads a null pointer; in another process one thread reads a null pointer.',
    observes: "The variable from each side and its address; each task's open files, working directory and memory map; each blocked thread's stack and instruction pointers and the mapping of its stack (/proc/<pid>/task/<tid>); how each crashed process ended.",
    zh: {
      title: '线程与进程对比：哪些共享、哪些不共享，一次崩溃会波及什么',
      starts: '一个装有 Python 的容器。',
      does: '同一进程中的两个线程：一个写入变量、打开文件并切换工作目录，然后两个线程都阻塞；fork 出的子进程写同一个变量、打开文件并读取空指针；在另一个进程中，让一个线程读取空指针。',
      observes: '双方读到的变量值及其地址；每个 task 打开的文件、工作目录和内存映射；每个阻塞线程的栈指针、指令指针以及栈所在的映射（/proc/<pid>/task/<tid>）；每个崩溃进程的结束方式。',
    },
  },
  needs: { services: { os: { image: 'backend', cmd: ['sleep', 'infinity'] } } },
  async run(ctx) {
    const box = ctx.services.os;
    ctx.step('threads and a forked process, read from /proc');
    const result = await execIn(box.id, ['python3', '-c', PROGRAM]);
    const line = result.stdout.trim().split('\n').at(-1) ?? '';
    if (!line.startsWith('{')) throw new Error(`the program printed no observation: ${result.stderr.trim().split('\n').at(-1) ?? ''}`);
    const observation = JSON.parse(line) as ThreadsObservation;
    const kept = keptJson(ctx, 'threads.json', observation, 'what each thread and process saw (JSON)');
    return [withEvidence(judgeProcessIsolation(observation), ...kept), judgeThreadsShared(observation)];
  },
});
