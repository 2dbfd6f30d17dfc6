import { section } from '../claim.ts';

export const linuxClaims = [
  ...section('Linux 命令行工具 › wc 命令', [
    ['linux.wc.lines', '`wc -l file` prints the number of lines (newline characters) in the file.', '`wc -l file` 输出文件的行数（换行符个数）。'],
    ['linux.wc.words', '`wc -w file` prints the number of words in the file.', '`wc -w file` 输出文件的单词数。'],
    ['linux.wc.chars', 'wc counts a document\'s words and characters.', 'wc 可以计算文档的单词数和字符数。'],
    ['linux.wc.integrity', 'wc verifies a text file\'s integrity by checking its byte or line count.', 'wc 可以通过检查字节数或行数来验证文本文件的完整性。'],
  ]),
  ...section('Linux 命令行工具 › top 命令', [
    ['linux.top.summary', 'top shows load average, task counts, CPU split (us, sy, ni, id, wa, hi, si, st) and memory, then per-process PR, NI, VIRT, RES, SHR, S, %CPU, %MEM, TIME+.', 'top 显示负载、任务数、CPU 各项占比与内存，以及每个进程的 PR、NI、VIRT、RES、SHR、S、%CPU、%MEM、TIME+。'],
    ['linux.top.header-lines', 'top\'s first line shows the current time, the uptime (up 10 days, 2:15), the number of users (3 users) and three load averages; its MiB Swap line shows total, free and used swap and avail Mem; its process list also has PID, USER and COMMAND columns.', 'top 输出首行为当前时间、运行时长（up 10 days, 2:15）、用户数（3 users）和 load average 三个值；MiB Swap 行为 total、free、used 和 avail Mem；进程列表还有 PID、USER、COMMAND 列。'],
  ]),
  ...section('Linux 命令行工具 › tail 命令', [
    ['linux.tail.default-ten', '`tail file` prints the last 10 lines.', '`tail file` 默认输出最后 10 行。'],
    ['linux.tail.follow', '`tail -f file` keeps printing lines as they are appended.', '`tail -f file` 在文件追加新行时持续输出。'],
  ]),
  ...section('Linux 命令行工具 › sed 命令', [
    ['linux.sed.filter-ip', "`sed -n '/192\\.168\\.1\\.1/p' access.log` prints only the lines containing that IP.", "`sed -n '/192\\.168\\.1\\.1/p' access.log` 只输出包含该 IP 的行。"],
    ['linux.sed.in-place-backup', "`sed -i.bak 's/^server_port=.*/server_port=8080/' *.conf` edits the files in place and keeps .bak copies.", "`sed -i.bak 's/^server_port=.*/server_port=8080/' *.conf` 原地修改文件并保留 .bak 备份。"],
    ['linux.sed.strip-quotes', '`sed \'s/"//g\' data.csv` removes the quotes in the CSV file.', '`sed \'s/"//g\' data.csv` 移除 CSV 文件中的引号。'],
  ]),
  ...section('Linux 命令行工具 › curl 命令', [
    ['linux.curl.get', '`curl URL` sends a GET request and prints the body.', '`curl URL` 发送 GET 请求并输出响应体。'],
    ['linux.curl.download', '`curl -O URL` saves the body under the URL\'s file name.', '`curl -O URL` 以 URL 中的文件名保存内容。'],
    ['linux.curl.post', '`curl -X POST URL` sends a POST request.', '`curl -X POST URL` 发送 POST 请求。'],
    ['linux.curl.protocols', 'curl supports many protocols: HTTP, HTTPS, FTP, SMTP and more.', 'curl 支持多种协议（HTTP、HTTPS、FTP、SMTP 等）。'],
  ]),
  ...section('Linux 命令行工具 › awk 命令', [
    ['linux.awk.first-field', "`awk '{print $1}' log.txt` extracts all the IP addresses in the file.", "`awk '{print $1}' log.txt` 提取文件中所有 IP 地址。"],
    ['linux.awk.sum', "`awk '{sum += $1} END {print sum}' numbers.txt` computes the sum of all the numbers in the file.", "`awk '{sum += $1} END {print sum}' numbers.txt` 计算文件中所有数字的总和。"],
    ['linux.awk.pattern', "`awk '/pattern/ {print $0}' log.txt` filters out the lines containing a specific string.", "`awk '/pattern/ {print $0}' log.txt` 过滤出包含特定字符串的行。"],
  ]),
  ...section('Linux 负载相关命令', [
    ['linux.load.tools', 'top, htop, dstat give an overview; vmstat, iostat, netstat detail; perf, strace, tcpdump diagnose specific problems.', 'top、htop、dstat 概览；vmstat、iostat、netstat 深入；perf、strace、tcpdump 专项诊断。'],
  ]),
];

export const osClaims = [
  ...section('上下文切换', [
    ['os.context-switch.saved-state', 'A context switch saves and restores registers, the program counter, stack pointer, page-table base and kernel stack.', '上下文切换保存并恢复寄存器、程序计数器、栈指针、页表基址和内核栈。'],
    ['os.context-switch.tlb-flush', 'At a context switch, from one process or thread to another, the TLB must be flushed.', '上下文切换（从一个进程或线程切换到另一个进程或线程）时需要刷新 TLB。'],
    ['os.context-switch.register-set', 'The CPU register state a context switch saves is the general registers, such as EAX, EBX, ECX, EDX (x86) or R0-R15 (ARM), the program counter (PC/IP), the stack pointer (SP), the frame pointer (FP/BP), the status register (EFLAGS) and the segment registers, CS (code segment), DS (data segment), SS (stack segment) and so on; the page-table base register is, for example, CR3 (x86), pointing to the process\'s page table.', '上下文切换保存的 CPU 寄存器状态：通用寄存器（如 EAX, EBX, ECX, EDX（x86）或 R0-R15（ARM））、程序计数器（PC/IP）、栈指针（SP）、帧指针（FP/BP）、状态寄存器（EFLAGS）、段寄存器（CS（代码段）、DS（数据段）、SS（栈段）等）；页表基址寄存器如 CR3（x86），指向进程的页表。'],
    ['os.kernel-stack.per-task', 'Every process/thread has its own kernel stack, which holds system-call arguments, return addresses and so on.', '每个进程/线程都有独立的内核栈，保存系统调用参数、返回地址等。'],
    ['os.context-switch.extended-state', 'A context switch also saves other state: the FPU (floating-point unit) state, the SIMD registers (e.g. SSE, AVX), the debug registers and the performance counters.', '上下文切换保存的其他状态：FPU（浮点运算单元）状态、SIMD 寄存器（如 SSE、AVX）、调试寄存器、性能计数器。'],
  ]),
  ...section('死锁产生的四个条件', [
    ['os.deadlock.four-conditions', 'A deadlock needs mutual exclusion, hold-and-wait, no preemption and circular wait at once; breaking any one prevents it.', '死锁需要同时满足互斥、持有并等待、不可剥夺、循环等待，破坏任一条件即可避免。'],
    ['os.deadlock.mutual-exclusion-unbreakable', 'Mutual exclusion is a property of the resource itself and usually cannot be broken.', '互斥是资源本身的特性，通常无法破坏。'],
    ['os.deadlock.no-forced-unlock', 'A lock held by one process cannot be forcibly unlocked by another process (the sheet\'s example of no preemption).', '某进程持有的锁不能被其他进程强制解锁（不可剥夺条件的例子）。'],
  ]),
  ...section('进程间的通讯方式', [
    ['os.ipc.pipe-half-duplex', 'A pipe is half-duplex: data flows in one direction.', '管道是半双工的，数据只能单向流动。'],
    ['os.ipc.named-pipe', 'A named pipe (FIFO) lets unrelated processes communicate.', '命名管道允许不相关的进程通信。'],
    ['os.ipc.signal', 'Signals notify processes of events, system-defined or user-defined.', '信号用于进程间事件通知，可为系统定义或用户定义。'],
    ['os.ipc.message-queue', 'Message queues carry messages asynchronously between processes.', '消息队列实现进程间异步通信。'],
    ['os.ipc.shared-memory', 'Shared memory lets processes access the same memory directly, the fastest exchange.', '共享内存让多个进程直接访问同一块内存，速度最快。'],
    ['os.ipc.semaphore', 'Semaphores synchronise processes and provide mutual exclusion.', '信号量用于进程间同步和互斥。'],
  ]),
  ...section('进程、线程、协程', [
    ['os.process.isolation', 'Processes have separate address spaces: one crashing does not affect the others.', '进程拥有独立地址空间，一个进程崩溃不影响其他进程。'],
    ['os.process.resource-unit', 'The process is the basic unit of resource allocation, the independent unit by which the operating system allocates resources and schedules.', '进程是资源分配的基本单位，是操作系统进行资源分配和调度的独立单位。'],
    ['os.thread.shared', 'Threads of a process share its address space and file handles but have their own stacks and registers.', '同一进程的线程共享地址空间和文件句柄，但各有自己的栈和寄存器。'],
    ['os.thread.scheduling-unit', 'The thread is the basic unit of CPU scheduling, an execution unit within a process.', '线程是 CPU 调度的基本单位，是进程中的一个执行单元。'],
    ['os.coroutine.cheap-switch', 'Coroutine switches happen in user space without the kernel and cost far less than thread switches.', '协程切换在用户态完成，无需内核参与，开销远小于线程切换。'],
    ['os.coroutine.one-thread', 'Coroutines run inside one thread.', '协程在一个线程内执行。'],
    ['os.coroutine.cooperative', 'Coroutines are scheduled by giving up the CPU themselves (cooperative scheduling): a running coroutine yields control to the others.', '协程通过主动让出 CPU 来实现调度（协作式调度），当前协程运行时主动 yield，将控制权交给其他协程。'],
    ['os.coroutine.stacks', 'Coroutines are usually implemented with a single stack or segmented stacks, using very little memory; Go (goroutines), Python and JavaScript (async/await) have them built in.', '协程通常使用单栈或分段栈实现，内存占用极低；Go（goroutine）、Python 和 JavaScript（async/await）都内置了协程支持。'],
  ]),
  ...section('僵尸进程与孤儿进程', [
    ['os.zombie', 'A child that exited before its parent called wait() stays as a zombie in state Z, holding a process-table entry but no memory.', '子进程退出而父进程未调用 wait() 时成为僵尸进程（状态 Z），占用进程表项但不占内存。'],
    ['os.orphan', 'An orphan is adopted by init (PID 1) or systemd, which reaps it.', '孤儿进程被 init（PID 1）或 systemd 收养并回收。'],
    ['os.orphan.runs-normally', 'An orphan is a normal process and keeps running normally.', '孤儿进程是正常的进程，能正常运行。'],
  ]),
  ...section('栈和堆的区别', [
    ['os.memory.stack-grows-down', 'The stack grows from high addresses to low ones; the heap from low to high.', '栈由高地址向低地址增长，堆由低地址向高地址增长。'],
    ['os.memory.stack-limit', 'The stack is limited, usually a few MB.', '栈空间有限，通常为几 MB。'],
    ['os.memory.stack-faster', 'Stack allocation is faster than heap allocation.', '栈上分配比堆上分配快。'],
    ['os.memory.contiguity', 'The stack is a contiguous memory area; the heap follows no particular structure and its memory may be non-contiguous.', '栈是连续的内存空间；堆不遵循特定的数据结构，内存可能不连续。'],
    ['os.memory.heap-size', 'The heap is large, limited by virtual memory.', '堆的空间大（受限于虚拟内存）。'],
    ['os.memory.layout', "A process's memory from low addresses to high: text (read-only code), data, BSS, the heap growing up, unused space, the stack growing down, then kernel space.", '进程内存从低地址到高地址依次为：代码段（Text，只读）、数据段（Data）、BSS 段、向上增长的堆、未使用区域、向下增长的栈，最上面是内核空间。'],
    ['os.memory.stack-automatic', 'The stack is a memory area allocated and freed automatically by the compiler.', '栈是由编译器自动分配和释放的内存区域。'],
    ['os.memory.stack-contents', 'The stack stores local variables, function arguments, return addresses and so on, and follows the last-in, first-out (LIFO) data structure.', '栈用于存储局部变量、函数参数、返回地址等，遵循后进先出（LIFO）的数据结构。'],
    ['os.memory.heap-lifetime', 'The heap is a memory area allocated and freed manually by the programmer (or managed by a garbage collector); it is used for dynamic memory allocation, and its lifetime is controlled by the program.', '堆是由程序员手动分配和释放（或由垃圾回收器管理）的内存区域，用于动态分配内存，生命周期由程序控制。'],
    ['os.memory.bss-data', 'The BSS segment holds uninitialised global variables, the Data segment initialised global variables, and the Text segment is the code segment (read-only).', 'BSS 段存放未初始化的全局变量，Data 段存放已初始化的全局变量，Text 段为代码段（只读）。'],
  ]),
];
