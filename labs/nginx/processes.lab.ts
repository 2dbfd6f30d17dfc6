/**
 * Lab: nginx's process and event model, observed from inside its container.
 *
 * Starts: nginx (Debian's) with a slow backend and a client container on one Docker network; a
 * second client, built from the backend image, that can hold thousands of connections. The nginx
 * container gets CAP_SYS_PTRACE, so that ss -p and /proc can see the workers' descriptors.
 *
 * Does: lists the processes with `worker_processes auto` and with 3; holds slow requests open and
 * asks ss which processes own the client connections; kills a worker with SIGKILL in the middle of
 * slow requests; reloads a changed configuration under load; adds proxy_cache_paths, fills one
 * with a small max_size over its limit and two others with short-lived and short-inactive entries,
 * and watches their directories; opens 2000 idle connections to a single worker.
 *
 * Observes: ps (pid, parent, user, title), ss -tnp, /proc/<pid>/status and fd links, the file status
 * flags of the single worker's sockets (/proc/<pid>/fdinfo: O_NONBLOCK), the client's
 * HTTP status codes, nginx's error log, and the files in the cache directories over time.
 */
import { defineLab } from '../../src/core/lab.ts';
import { until } from '../../src/resources/wait.ts';
import { sleep } from '../../src/resources/cancel.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { execIn } from '../../src/resources/docker.ts';
import { ensureImage } from '../../src/resources/images.ts';
import { nginxConf, startNginxStack, type NginxStack } from '../../src/systems/nginx-stack.ts';
import { startContainer } from '../../src/resources/container.ts';

export interface Proc {
  pid: number;
  ppid: number;
  user: string;
  title: string;
}

/** Parses `ps -eo pid=,ppid=,user=,args=` output. */
export function parsePs(output: string): Proc[] {
  return output
    .split('\n')
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), user: m[3]!, title: m[4]! }));
}

const nginxProcs = (ps: Proc[]) => ps.filter((p) => p.title.startsWith('nginx:'));
const master = (ps: Proc[]) => ps.find((p) => p.title.startsWith('nginx: master process'));
const workers = (ps: Proc[]) => ps.filter((p) => p.title === 'nginx: worker process');
const psTable = (title: string, ps: Proc[]): Evidence => ({ kind: 'table', title, columns: ['pid', 'parent', 'user', 'process title'], rows: nginxProcs(ps).map((p) => [p.pid, p.ppid, p.user, p.title]) });

/** The pids that `ss -tnp` names as owners of established connections. */
export function connectionOwners(ssOutput: string): number[] {
  return [...ssOutput.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

export function judgeMasterWorkers(ps: Proc[], owners: number[]): ClaimResult {
  const m = master(ps);
  const ws = workers(ps);
  const observed = {
    master: m && { pid: m.pid, user: m.user },
    workers: ws.map((w) => ({ pid: w.pid, user: w.user, parent: w.ppid })),
    connectionOwners: [...new Set(owners)],
    connectionsOwnedByMaster: owners.filter((p) => p === m?.pid).length,
    connectionsOwnedByWorkers: owners.filter((p) => ws.some((w) => w.pid === p)).length,
  };
  const holds = !!m && ws.length > 0 && ws.every((w) => w.ppid === m.pid) && observed.connectionsOwnedByMaster === 0 && observed.connectionsOwnedByWorkers > 0;
  return {
    id: 'nginx.process.master-workers',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `One master (pid ${m!.pid}, ${m!.user}) and ${ws.length} workers (${ws[0]!.user}) whose parent it is; of the ${owners.length} client connections in flight, the workers owned every one and the master none.`
      : `The process tree or the connection owners differ: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `一个 master（pid ${m!.pid}，用户 ${m!.user}）和 ${ws.length} 个以它为父进程的 worker（用户 ${ws[0]!.user}）；正在处理的 ${owners.length} 个客户端连接全部归 worker 所有，master 一个也没有。`
      : `进程树或连接的归属与预期不同：${JSON.stringify(observed)}。`,
    observed,
    evidence: [psTable('nginx processes', ps)],
  };
}

export function judgeWorkerCount(auto: Proc[], cpus: number, three: Proc[]): ClaimResult {
  const missing = !(cpus >= 1) ? [`a CPU count (nproc gave ${cpus})`, `CPU 核数（nproc 给出的是 ${cpus}）`] : !auto.length ? ['process list under worker_processes auto', 'worker_processes auto 下的进程列表'] : !three.length ? ['process list under worker_processes 3', 'worker_processes 3 下的进程列表'] : undefined;
  if (missing) return notObserved('nginx.process.worker-count', { en: `No ${missing[0]} was recorded.`, zh: `没有记录到${missing[1]}。` }, { cpusInContainer: cpus, processesWithAuto: auto.length, processesWithThree: three.length });
  const observed = { cpusInContainer: cpus, workersWithAuto: workers(auto).length, workersWithThree: workers(three).length };
  const holds = observed.workersWithAuto === cpus && observed.workersWithThree === 3;
  return {
    id: 'nginx.process.worker-count',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `worker_processes auto started ${cpus} workers on this ${cpus}-CPU machine; worker_processes 3 started 3.`
      : `Workers: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `在这台 ${cpus} 核 CPU 的机器上，worker_processes auto 启动了 ${cpus} 个 worker；worker_processes 3 启动了 3 个。`
      : `worker 数量：${JSON.stringify(observed)}。`,
    observed,
    evidence: [psTable('worker_processes auto', auto), psTable('worker_processes 3', three)],
  };
}

export function judgeWorkerCrash(before: Proc[], after: Proc[], killed: number, statuses: string[], errorLog: string): ClaimResult {
  if (!master(before)) return notObserved('nginx.process.worker-crash', { en: 'ps showed no nginx master before the kill.', zh: '杀掉 worker 之前，ps 中没有看到 nginx master。' });
  if (!after.length) return notObserved('nginx.process.worker-crash', { en: 'ps listed no processes after the kill.', zh: '杀掉 worker 之后，ps 没有列出任何进程。' });
  const failed = statuses.filter((s) => s !== '200');
  const replacement = workers(after).filter((w) => !workers(before).some((b) => b.pid === w.pid));
  const observed = {
    killedWorker: killed,
    masterBefore: master(before)?.pid,
    masterAfter: master(after)?.pid,
    workersAfter: workers(after).map((w) => w.pid),
    replacementWorkers: replacement.map((w) => w.pid),
    requests: statuses.length,
    failedRequests: failed.length,
    errorLog: errorLog.split('\n').filter((l) => /exited on signal|start worker/.test(l)).slice(-3),
  };
  const survived = observed.masterAfter === observed.masterBefore && replacement.length >= 1 && !observed.workersAfter.includes(killed);
  const evidence: Evidence[] = [psTable('Before the kill', before), psTable('After the kill', after), { kind: 'bars', title: 'Requests in flight during the kill, by outcome', bars: Object.entries(statuses.reduce<Record<string, number>>((m, s) => ((m[s] = (m[s] ?? 0) + 1), m), {})).map(([label, value]) => ({ label: label === '200' ? '200 OK' : `failed (${label})`, value })) }, { kind: 'command', title: 'nginx error log', command: 'tail /var/log/nginx/error.log', output: errorLog }];
  if (!survived) return { id: 'nginx.process.worker-crash', verdict: 'refuted', summary: `The master or the other workers did not carry on: ${JSON.stringify(observed)}.`, summaryZh: `master 或其余 worker 没有继续正常工作：${JSON.stringify(observed)}。`, observed, evidence };
  if (!statuses.length) return notObserved('nginx.process.worker-crash', { en: 'No status was recorded for the requests in flight during the kill.', zh: '没有记录到杀掉 worker 期间正在处理的请求的状态。' }, observed);
  return {
    id: 'nginx.process.worker-crash',
    verdict: failed.length ? 'nuanced' : 'confirmed',
    summary: failed.length
      ? `After SIGKILL of worker ${killed} the master (pid ${observed.masterAfter}) started worker ${replacement[0]!.pid} and the other workers went on serving; but the ${failed.length === 1 ? 'request' : `${failed.length} requests`} the dead worker held failed (${statuses.length - failed.length} of ${statuses.length} succeeded): independent processes, not invisible crashes.`
      : `After SIGKILL of worker ${killed} the master started worker ${replacement[0]!.pid}, and all ${statuses.length} requests succeeded.`,
    summaryZh: failed.length
      ? `worker ${killed} 被 SIGKILL 后，master（pid ${observed.masterAfter}）启动了新的 worker ${replacement[0]!.pid}，其余 worker 照常提供服务；但被杀掉的 worker 手上的${failed.length === 1 ? '那个请求' : ` ${failed.length} 个请求`}失败了（${statuses.length} 个中成功 ${statuses.length - failed.length} 个）：各进程相互独立，但崩溃并不是对客户端毫无影响。`
      : `worker ${killed} 被 SIGKILL 后，master 启动了新的 worker ${replacement[0]!.pid}，全部 ${statuses.length} 个请求都成功了。`,
    observed,
    evidence,
  };
}

export function judgeReload(statuses: string[], during: Proc[], after: Proc[]): ClaimResult {
  const missing = !statuses.length ? ['status for the requests under the reload', '重载期间请求的状态'] : !during.length ? ['process list during the reload', '重载期间的进程列表'] : !after.length ? ['process list after the reload', '重载之后的进程列表'] : undefined;
  if (missing) return notObserved('nginx.process.reload', { en: `No ${missing[0]} was recorded.`, zh: `没有记录到${missing[1]}。` });
  const failed = statuses.filter((s) => s !== '200');
  const shuttingDown = nginxProcs(during).filter((p) => p.title.includes('shutting down'));
  const observed = { requests: statuses.length, failedRequests: failed.length, oldWorkersShuttingDown: shuttingDown.map((p) => p.pid), workersAfter: workers(after).map((w) => w.pid), oldWorkersGoneAfter: shuttingDown.every((p) => !after.some((a) => a.pid === p.pid)) };
  const holds = failed.length === 0 && shuttingDown.length > 0 && observed.oldWorkersGoneAfter;
  return {
    id: 'nginx.process.reload',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `A reload under load lost none of ${statuses.length} requests: the old workers (${observed.oldWorkersShuttingDown.join(', ')}) showed "is shutting down" while they finished their slow requests, then exited.`
      : `The reload: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `在负载下 reload，${statuses.length} 个请求一个也没有丢失：旧 worker（${observed.oldWorkersShuttingDown.join(', ')}）在处理完手上的慢请求期间显示为 "is shutting down"，随后退出。`
      : `reload 的情况：${JSON.stringify(observed)}。`,
    observed,
    evidence: [psTable('During the reload', during), psTable('After it', after)],
  };
}

export interface CacheDir {
  /** Cache files in the directory. */
  files: number;
  /** Disk space of those files, KiB (find -printf %k, summed). */
  kib: number;
}
export type CacheName = 'limited' | 'stale' | 'idle';

/**
 * Three caches filled through nginx and their directories watched afterwards: `limited` has a small
 * max_size and gets more distinct URLs than fit; `stale` keeps responses valid for a second, with a
 * long `inactive`; `idle` keeps them valid for minutes, with a short `inactive`.
 */
export interface CacheObservation {
  limitedMaxKiB: number;
  staleValidSeconds: number;
  staleInactiveSeconds: number;
  idleValidSeconds: number;
  idleInactiveSeconds: number;
  /** Distinct URLs requested into each cache, their HTTP statuses, and when that fill ended (seconds after the end of the limited cache's fill). */
  fills: Record<CacheName, { urls: number; statuses: string[]; endedAt: number }>;
  /** The three directories, sampled about once a second from the end of the limited cache's fill (t = 0, seconds). */
  samples: { t: number; dirs: Record<CacheName, CacheDir> }[];
}

const NAMES: CacheName[] = ['limited', 'stale', 'idle'];

/** `cache`: the cache step's fills and directory samples (missing when that step was not observed). */
export function judgeCacheManager(without: Proc[], withCache: Proc[], cache?: CacheObservation): ClaimResult {
  const id = 'nginx.process.cache-manager';
  if (!without.length || !withCache.length) {
    const [en, zh] = !without.length ? ['without proxy_cache_path', '没有 proxy_cache_path 时'] : ['with proxy_cache_path', '配置 proxy_cache_path 之后'];
    return notObserved(id, { en: `No process list ${en} was recorded.`, zh: `没有记录到${zh}的进程列表。` });
  }
  const manager = (ps: Proc[]) => nginxProcs(ps).filter((p) => p.title.includes('cache manager'));
  const processes = { cacheManagerWithoutCache: manager(without).length, cacheManagerWithProxyCachePath: manager(withCache).length };
  const evidence: Evidence[] = [psTable('Without proxy_cache_path', without), psTable('With proxy_cache_path', withCache)];
  if (processes.cacheManagerWithProxyCachePath !== 1) return { id, verdict: 'refuted', summary: `No single cache manager appeared with proxy_cache_path: ${JSON.stringify(processes)}.`, summaryZh: `配置 proxy_cache_path 之后没有出现唯一的 cache manager：${JSON.stringify(processes)}。`, observed: processes, evidence };

  const samples = cache?.samples ?? [];
  const unread = samples.some((s) => NAMES.some((n) => !Number.isFinite(s.dirs[n]?.files) || !Number.isFinite(s.dirs[n]?.kib)) || !Number.isFinite(s.t));
  if (!cache || !samples.length || unread) return notObserved(id, { en: 'The cache directories were not read after the caches were filled.', zh: '缓存填充之后没有读到缓存目录。' }, processes);
  const peak = (n: CacheName) => Math.max(...samples.map((s) => s.dirs[n].files));
  const empty = NAMES.filter((n) => peak(n) === 0);
  if (empty.length) return notObserved(id, { en: `No response was cached in the ${empty.join(', ')} cache, so nothing was there for the cache manager to remove.`, zh: `${empty.join('、')} 缓存中没有缓存下任何响应，cache manager 无从清理。` }, { ...processes, cacheFilesAtPeak: Object.fromEntries(NAMES.map((n) => [n, peak(n)])) });
  const last = samples.at(-1)!;
  const limitedPeak = samples.reduce((a, s) => (s.dirs.limited.kib > a.dirs.limited.kib ? s : a));
  const observed = {
    ...processes,
    limitedMaxKiB: cache.limitedMaxKiB,
    limitedUrls: cache.fills.limited.urls,
    limitedPeak: { t: limitedPeak.t, ...limitedPeak.dirs.limited },
    limitedLast: { t: last.t, ...last.dirs.limited },
    staleValidSeconds: cache.staleValidSeconds,
    staleFiles: { peak: peak('stale'), last: last.dirs.stale.files },
    idleInactiveSeconds: cache.idleInactiveSeconds,
    idleFiles: { peak: peak('idle'), last: last.dirs.idle.files },
    watchedSeconds: last.t,
  };
  evidence.push({ kind: 'table', title: 'The cache directories after the fills (t: seconds after the size-limited cache was filled)', columns: ['t (s)', 'limited: files', 'limited: KiB', 'stale: files', 'idle: files'], rows: samples.map((s) => [s.t, s.dirs.limited.files, s.dirs.limited.kib, s.dirs.stale.files, s.dirs.idle.files]) });
  if (limitedPeak.dirs.limited.kib <= cache.limitedMaxKiB)
    return notObserved(id, { en: `The size-limited cache was never seen over its max_size of ${cache.limitedMaxKiB} KiB (at most ${limitedPeak.dirs.limited.kib} KiB after ${cache.fills.limited.urls} URLs), so keeping it within the limit was not exercised.`, zh: `限制大小的缓存从未被观察到超过 max_size ${cache.limitedMaxKiB} KiB（${cache.fills.limited.urls} 个 URL 之后最多 ${limitedPeak.dirs.limited.kib} KiB），因此没有考验到把缓存控制在限制之内。` }, observed);
  const expiredBy = last.t - cache.fills.stale.endedAt;
  if (expiredBy <= cache.staleValidSeconds)
    return notObserved(id, { en: `The directories were watched only ${expiredBy.toFixed(1)} s after the ${cache.staleValidSeconds}-second responses were cached: they had not yet expired.`, zh: `有效期 ${cache.staleValidSeconds} 秒的响应缓存之后，只观察了 ${expiredBy.toFixed(1)} 秒：它们还没有过期。` }, observed);

  const withinLimit = last.dirs.limited.kib <= cache.limitedMaxKiB;
  const expiredRemoved = last.dirs.stale.files < peak('stale');
  const idleRemoved = last.dirs.idle.files < peak('idle');
  const onlyWithCache = processes.cacheManagerWithoutCache === 0;
  const processEn = onlyWithCache ? 'A cache manager process ran only once a cache was configured (none without proxy_cache_path, one with it).' : 'A cache manager process ran, with and without proxy_cache_path.';
  const processZh = onlyWithCache ? '只有配置了缓存才有 cache manager 进程（没有 proxy_cache_path 时一个也没有，配置之后出现一个）。' : '无论有没有 proxy_cache_path，都有一个 cache manager 进程在运行。';
  const sizeEn = `${cache.fills.limited.urls} distinct URLs filled a cache with max_size ${cache.limitedMaxKiB} KiB to ${limitedPeak.dirs.limited.kib} KiB (${limitedPeak.dirs.limited.files} files); ${last.t} s after the fill it held ${last.dirs.limited.kib} KiB (${last.dirs.limited.files} files)`;
  const sizeZh = `${cache.fills.limited.urls} 个不同的 URL 把 max_size 为 ${cache.limitedMaxKiB} KiB 的缓存填到了 ${limitedPeak.dirs.limited.kib} KiB（${limitedPeak.dirs.limited.files} 个文件）；填充结束 ${last.t} 秒后，它占 ${last.dirs.limited.kib} KiB（${last.dirs.limited.files} 个文件）`;
  const staleEn = `of ${peak('stale')} responses valid for ${cache.staleValidSeconds} s (inactive=${cache.staleInactiveSeconds} s), ${last.dirs.stale.files} were still on disk ${expiredBy.toFixed(1)} s after they were cached`;
  const staleZh = `${peak('stale')} 个有效期为 ${cache.staleValidSeconds} 秒（inactive=${cache.staleInactiveSeconds} 秒）的响应，缓存 ${expiredBy.toFixed(1)} 秒后仍有 ${last.dirs.stale.files} 个留在磁盘上`;
  const idleEn = `of ${peak('idle')} responses still valid (${cache.idleValidSeconds} s) but not requested again within inactive=${cache.idleInactiveSeconds} s, ${last.dirs.idle.files} were left`;
  const idleZh = `${peak('idle')} 个仍在有效期内（${cache.idleValidSeconds} 秒）、但在 inactive=${cache.idleInactiveSeconds} 秒内没有再被请求的响应，还剩 ${last.dirs.idle.files} 个`;
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id, verdict, summary: en, summaryZh: zh, observed, evidence });
  if (!withinLimit)
    return result('refuted', `${processEn} It did not keep the cache within its size limit: ${sizeEn}, still over the limit.`, `${processZh}它没有把缓存控制在大小限制之内：${sizeZh}，仍然超出限制。`);
  if (!expiredRemoved && !idleRemoved)
    return result('refuted', `${processEn} It kept the cache within its size limit (${sizeEn}), but removed no entry, expired or idle, in the ${last.t} s watched: ${staleEn}; ${idleEn}.`, `${processZh}它把缓存控制在了大小限制之内（${sizeZh}），但在观察的 ${last.t} 秒内没有清理任何条目，无论是过期的还是闲置的：${staleZh}；${idleZh}。`);
  if (!expiredRemoved)
    return result('nuanced', `${processEn} It kept the cache within its size limit: ${sizeEn}. But it does not remove entries because they expired: ${staleEn}, while ${idleEn}. It removes entries not requested for the cache's inactive time, expired or not.`, `${processZh}它把缓存控制在了大小限制之内：${sizeZh}。但它并不是因为条目过期而清理它们：${staleZh}；而${idleZh}。它清理的是在缓存的 inactive 时间内没有被请求过的条目，不管是否过期。`);
  return result(onlyWithCache ? 'nuanced' : 'confirmed', `${processEn} It kept the cache within its size limit (${sizeEn}) and removed expired entries: ${staleEn}; ${idleEn}.`, `${processZh}它把缓存控制在了大小限制之内（${sizeZh}），并清理了过期的条目：${staleZh}；${idleZh}。`);
}

export interface EventObservation {
  connections: number;
  worker: number;
  threads: number;
  fds: number;
  eventpollFds: number;
  epollWatched: number;
  /**
   * The worker's socket descriptors while it held the connections, by their file status flags as
   * /proc/<worker>/fdinfo/<fd> prints them ("flags:", octal): how many there were, how many had O_NONBLOCK
   * (04000), how many of each flags value, and the first descriptors without it. Absent from runs made
   * before the lab read them.
   */
  sockets?: SocketFlags;
}

export interface SocketFlags {
  count: number;
  nonBlocking: number;
  byFlags: Record<string, number>;
  blockingFds: number[];
}

/** O_NONBLOCK in the octal "flags:" of /proc/<pid>/fdinfo (asm-generic fcntl.h). */
export const O_NONBLOCK = 0o4000;

/** An awk program that prints "<fd> <flags>" for each /proc/<pid>/fdinfo/<fd> file named on its command line. */
const FDINFO_FLAGS = 'BEGIN { for (i = 1; i < ARGC; i++) { f = ARGV[i]; while ((getline line < f) > 0) if (line ~ /^flags:/) { n = split(f, p, "/"); split(line, q, /[ \\t]+/); print p[n], q[2]; break } close(f) } }';

/**
 * The flags of a process's sockets, from `ls -l /proc/<pid>/fd` ("… 12 -> socket:[345]") and lines "<fd> <octal
 * flags>" taken from /proc/<pid>/fdinfo/<fd>; descriptors that are not sockets are left out.
 */
export function socketFlags(fdListing: string, fdinfoFlags: string): SocketFlags {
  const sockets = new Set([...fdListing.matchAll(/\s(\d+) -> socket:\[\d+\]$/gm)].map((m) => Number(m[1])));
  const flags = new Map([...fdinfoFlags.matchAll(/^(\d+) ([0-7]+)$/gm)].map((m) => [Number(m[1]), m[2]!] as const));
  const read = [...sockets].filter((fd) => flags.has(fd)).sort((a, b) => a - b);
  const byFlags: Record<string, number> = {};
  for (const fd of read) byFlags[flags.get(fd)!] = (byFlags[flags.get(fd)!] ?? 0) + 1;
  const blocking = read.filter((fd) => (parseInt(flags.get(fd)!, 8) & O_NONBLOCK) === 0);
  return { count: read.length, nonBlocking: read.length - blocking.length, byFlags, blockingFds: blocking.slice(0, 10) };
}

const procUnread = (o: EventObservation) => !(o.threads >= 1) || !(o.fds > 0);
const PROC_UNREAD = (o: EventObservation) => ({ en: `/proc/${o.worker}/status and /proc/${o.worker}/fd of the worker were not read (threads ${o.threads}, descriptors ${o.fds}).`, zh: `没有读到该 worker 的 /proc/${o.worker}/status 和 /proc/${o.worker}/fd（线程 ${o.threads}，描述符 ${o.fds}）。` });

export function judgeSingleThread(o: EventObservation): ClaimResult {
  const id = 'nginx.event.single-thread-many-connections';
  if (procUnread(o)) return notObserved(id, PROC_UNREAD(o), { ...o });
  if (!o.connections) return notObserved(id, { en: 'ss counted no established connection to nginx while the idle connections were held.', zh: '保持空闲连接期间，ss 没有统计到任何与 nginx 建立的连接。' }, { ...o });
  const { sockets, ...counts } = o;
  const evidence: Evidence[] = [{ kind: 'table', title: 'The worker under 2000 idle connections (/proc)', columns: ['measure', 'value'], rows: Object.entries(counts) }];
  if (sockets) evidence.push({ kind: 'table', title: `The worker's socket descriptors by file status flags (/proc/${o.worker}/fdinfo, octal; O_NONBLOCK is 04000)`, columns: ['flags', 'O_NONBLOCK', 'sockets'], rows: Object.entries(sockets.byFlags).map(([flags, n]) => [flags, (parseInt(flags, 8) & O_NONBLOCK) !== 0 ? 'set' : 'not set', n]) });
  const manyOnOne = o.connections >= 1000 && o.threads === 1 && o.eventpollFds >= 1;
  if (!manyOnOne) {
    return {
      id,
      verdict: 'refuted',
      summary: `The worker did not hold many connections on one thread with an event mechanism: ${JSON.stringify(counts)}.`,
      summaryZh: `该 worker 并没有借助事件机制在单个线程上维持大量连接：${JSON.stringify(counts)}。`,
      observed: { ...o },
      evidence,
    };
  }
  const eventEn = `One worker (pid ${o.worker}) held ${o.connections} open connections with ${o.threads} thread and ${o.fds} file descriptors, one of them an epoll instance watching ${o.epollWatched} descriptors`;
  const eventZh = `一个 worker（pid ${o.worker}）以 ${o.threads} 个线程、${o.fds} 个文件描述符维持着 ${o.connections} 个打开的连接，其中一个描述符是 epoll 实例，监视着 ${o.epollWatched} 个描述符`;
  if (!sockets || !(sockets.count > 0)) {
    return notObserved(id, { en: `${eventEn}; but the file status flags of its sockets (/proc/${o.worker}/fdinfo) were not read, so whether its I/O on them is non-blocking is unknown.`, zh: `${eventZh}；但没有读到它的 socket 的文件状态标志（/proc/${o.worker}/fdinfo），无从得知它在这些 socket 上的 I/O 是否为非阻塞。` }, { ...o });
  }
  const flagsList = Object.keys(sockets.byFlags).join(', ');
  const verdict = sockets.nonBlocking === sockets.count ? 'confirmed' : sockets.nonBlocking === 0 ? 'refuted' : 'nuanced';
  const said = {
    confirmed: {
      en: `${eventEn}; all ${sockets.count} of its sockets had O_NONBLOCK set (fdinfo flags ${flagsList}), so its reads and writes on them return at once instead of waiting, and epoll tells it which connection is ready.`,
      zh: `${eventZh}；它的全部 ${sockets.count} 个 socket 都设置了 O_NONBLOCK（fdinfo 标志 ${flagsList}），所以它在这些 socket 上的读写都会立即返回而不会等待，由 epoll 告诉它哪个连接已就绪。`,
    },
    nuanced: {
      en: `${eventEn}; but only ${sockets.nonBlocking} of its ${sockets.count} sockets had O_NONBLOCK set (fdinfo flags ${flagsList}); descriptors ${sockets.blockingFds.join(', ')} were blocking.`,
      zh: `${eventZh}；但它的 ${sockets.count} 个 socket 中只有 ${sockets.nonBlocking} 个设置了 O_NONBLOCK（fdinfo 标志 ${flagsList}）；描述符 ${sockets.blockingFds.join(', ')} 是阻塞的。`,
    },
    refuted: {
      en: `${eventEn}; but none of its ${sockets.count} sockets had O_NONBLOCK set (fdinfo flags ${flagsList}): its I/O on them blocks.`,
      zh: `${eventZh}；但它的 ${sockets.count} 个 socket 没有一个设置了 O_NONBLOCK（fdinfo 标志 ${flagsList}）：它在这些 socket 上的 I/O 是阻塞的。`,
    },
  }[verdict];
  return { id, verdict, summary: said.en, summaryZh: said.zh, observed: { ...o }, evidence };
}

export function judgeEpoll(o: EventObservation): ClaimResult {
  if (!(o.fds > 0)) return notObserved('nginx.event.epoll', PROC_UNREAD(o), { eventpollDescriptors: o.eventpollFds, watched: o.epollWatched });
  return {
    id: 'nginx.event.epoll',
    verdict: o.eventpollFds >= 1 ? 'nuanced' : 'refuted',
    summary:
      o.eventpollFds >= 1
        ? `On Linux the worker waits on epoll (an anon_inode:[eventpoll] descriptor watching ${o.epollWatched} descriptors); kqueue on BSD and select elsewhere cannot be observed on this Linux machine.`
        : 'The worker had no epoll descriptor.',
    summaryZh:
      o.eventpollFds >= 1
        ? `在 Linux 上，worker 在 epoll 上等待事件（一个 anon_inode:[eventpoll] 描述符，监视着 ${o.epollWatched} 个描述符）；BSD 上的 kqueue 以及其他平台上的 select 无法在这台 Linux 机器上观察到。`
        : 'worker 没有 epoll 描述符。',
    observed: { eventpollDescriptors: o.eventpollFds, watched: o.epollWatched },
    evidence: [],
  };
}

async function ps(stack: NginxStack): Promise<Proc[]> {
  return parsePs((await execIn(stack.nginx.id, ['ps', '-eo', 'pid=,ppid=,user=,args='])).stdout);
}

/** `count` slow requests, `parallel` at a time, each reported by HTTP status (000 when it failed). */
function statuses(stack: NginxStack, count: number, parallel: number): Promise<string[]> {
  const script = `seq ${count} | xargs -P ${parallel} -I{} curl -s -o /dev/null -w '%{http_code}\\n' http://nginx:8080/slow?n={}`;
  return execIn(stack.clients.c0!.id, ['sh', '-c', script]).then((r) => r.stdout.split('\n').filter(Boolean));
}

/** The caches of the cache-manager step (see CacheObservation): sizes in KiB, times in seconds. */
const CACHES = { limitedMaxKiB: 64, limitedUrls: 64, staleValidSeconds: 1, staleInactiveSeconds: 600, staleUrls: 4, idleValidSeconds: 600, idleInactiveSeconds: 4, idleUrls: 4 };
const cacheDir = (name: CacheName) => `/var/lib/nginx/labs-cache-${name}`;

/** Three proxy_cache_paths and a server on :8081 with one location per cache, all proxying to the slow backend. */
function cacheHttp(): string {
  const c = CACHES;
  return `proxy_cache_path ${cacheDir('limited')} keys_zone=limited:1m max_size=${c.limitedMaxKiB}k;
  proxy_cache_path ${cacheDir('stale')} keys_zone=stale:1m inactive=${c.staleInactiveSeconds}s;
  proxy_cache_path ${cacheDir('idle')} keys_zone=idle:1m inactive=${c.idleInactiveSeconds}s;
  server {
    listen 8081;
    location /limited/ { proxy_cache limited; proxy_cache_valid 200 10m; proxy_pass http://app; }
    location /stale/ { proxy_cache stale; proxy_cache_valid 200 ${c.staleValidSeconds}s; proxy_pass http://app; }
    location /idle/ { proxy_cache idle; proxy_cache_valid 200 ${c.idleValidSeconds}s; proxy_pass http://app; }
  }`;
}

/** Files and KiB in each cache directory, read inside the nginx container. */
async function cacheDirs(stack: NginxStack): Promise<Record<CacheName, CacheDir>> {
  const script = NAMES.map((n) => `echo ${n} $(find ${cacheDir(n)} -type f 2>/dev/null | wc -l) $(find ${cacheDir(n)} -type f -printf '%k\\n' 2>/dev/null | awk '{s+=$1} END {print s+0}')`).join('; ');
  const lines = (await execIn(stack.nginx.id, ['sh', '-c', script])).stdout.split('\n');
  const read = (n: CacheName): CacheDir => {
    const fields = lines.find((l) => l.startsWith(`${n} `))?.split(/\s+/) ?? [];
    return { files: Number(fields[1]), kib: Number(fields[2]) };
  };
  return { limited: read('limited'), stale: read('stale'), idle: read('idle') };
}

/**
 * Fills the size-limited cache with more distinct URLs than fit, then the stale and idle caches, and
 * samples the three directories about once a second until the limited cache is back within its limit
 * and the idle entries are gone (at least 5 s, at most 20 s).
 */
async function fillAndWatchCaches(stack: NginxStack): Promise<CacheObservation> {
  const fill = async (name: CacheName, urls: number) => {
    const script = `seq ${urls} | xargs -P 32 -I{} curl -s -o /dev/null -w '%{http_code}\\n' http://nginx:8081/${name}/?n={}`;
    return (await execIn(stack.clients.c0!.id, ['sh', '-c', script])).stdout.split('\n').filter(Boolean);
  };
  const limited = await fill('limited', CACHES.limitedUrls);
  const zero = Date.now();
  const since = () => +((Date.now() - zero) / 1000).toFixed(1);
  const samples: CacheObservation['samples'] = [{ t: 0, dirs: await cacheDirs(stack) }];
  const [stale, idle] = await Promise.all([fill('stale', CACHES.staleUrls), fill('idle', CACHES.idleUrls)]);
  const othersEnded = since();
  for (;;) {
    const sample = { t: since(), dirs: await cacheDirs(stack) };
    samples.push(sample);
    const settled = sample.t - othersEnded >= 5 && sample.dirs.limited.kib <= CACHES.limitedMaxKiB && sample.dirs.idle.files === 0;
    if (settled || sample.t - othersEnded >= 20) break;
    await sleep(1000);
  }
  const c = CACHES;
  return {
    limitedMaxKiB: c.limitedMaxKiB,
    staleValidSeconds: c.staleValidSeconds,
    staleInactiveSeconds: c.staleInactiveSeconds,
    idleValidSeconds: c.idleValidSeconds,
    idleInactiveSeconds: c.idleInactiveSeconds,
    fills: { limited: { urls: c.limitedUrls, statuses: limited, endedAt: 0 }, stale: { urls: c.staleUrls, statuses: stale, endedAt: othersEnded }, idle: { urls: c.idleUrls, statuses: idle, endedAt: othersEnded } },
    samples,
  };
}

export default defineLab({
  id: 'nginx-processes',
  title: 'nginx processes and events: master and workers, crashes, reloads, the cache manager, one thread for many connections',
  topic: 'nginx',
  claims: ['nginx.process.master-workers', 'nginx.process.worker-count', 'nginx.process.worker-crash', 'nginx.process.reload', 'nginx.process.cache-manager', 'nginx.event.single-thread-many-connections', 'nginx.event.epoll'],
  requires: ['docker'],
  timeLimitMs: 210_000,
  handout: {
    starts: 'nginx with a slow backend (1 s per request) and clients, on one Docker network.',
    does: 'Lists processes under several worker_processes settings; holds slow requests and asks ss who owns them; SIGKILLs a worker; reloads under load; adds caches, fills one over its max_size and others with expiring and idle entries; opens 2000 connections to one worker.',
    observes: 'ps, ss -tnp and /proc inside the nginx container (among it the O_NONBLOCK flag of a worker\'s sockets), HTTP status codes at the client, the error log, the cache directories over time.',
    zh: {
      title: 'nginx 的进程与事件模型：master 与 worker、崩溃、reload、cache manager、单线程处理大量连接',
      starts: '同一 Docker 网络上的 nginx、一个慢后端（每个请求 1 s）和若干客户端。',
      does: '在几种 worker_processes 设置下列出进程；挂起若干慢请求，用 ss 查看连接归哪个进程所有；SIGKILL 一个 worker；在负载下 reload；加上缓存，把一个缓存填到超出 max_size，另外两个分别填入很快过期和很快闲置的条目；向单个 worker 建立 2000 个连接。',
      observes: 'nginx 容器内的 ps、ss -tnp 和 /proc（包括 worker 各 socket 的 O_NONBLOCK 标志），客户端收到的 HTTP 状态码、错误日志，以及缓存目录随时间的变化。',
    },
  },
  async run(ctx) {
    ctx.step('starting nginx');
    const upstream = (addresses: Record<string, string>) => `server ${addresses.slow}:8000;`;
    let addresses: Record<string, string> = {};
    const conf = (extra: { workers?: number | 'auto'; extraHttp?: string } = {}) => nginxConf(upstream(addresses), { workers: 'auto', ...extra });
    const stack = await startNginxStack(ctx.scope, ctx.runId, {
      backends: [{ name: 'slow', delayMs: 1000 }],
      clients: { c0: 0 },
      conf: (a) => ((addresses = a), nginxConf(upstream(a), { workers: 'auto' })),
      // SYS_PTRACE: the workers run as another user, and `ss -p` and /proc/<worker>/fd need it to
      // see which process owns a connection and what a worker's descriptors are.
      capAdd: ['SYS_PTRACE'],
    });
    ctx.environment.nginx = stack.version;
    const cpus = Number((await execIn(stack.nginx.id, ['nproc'])).stdout.trim());
    ctx.environment['CPUs in the nginx container'] = String(cpus);

    /** The pids owning the client connections nginx holds now. */
    const owners = async () => connectionOwners((await execIn(stack.nginx.id, ['ss', '-tnpH', 'state', 'established', '( sport = :8080 )'])).stdout);

    ctx.step('who owns the connections');
    const inFlight = statuses(stack, 8, 8);
    await until(async () => (await owners()).length >= 8, 5000, 'eight connections in flight');
    const connectionPids = await owners();
    const autoPs = await ps(stack);
    await inFlight;

    ctx.step('worker_processes 3');
    await stack.configure(conf({ workers: 3 }));
    const threePs = await ps(stack);
    await stack.configure(conf({ workers: 2 }));

    ctx.step('kill a worker under load');
    const beforeKill = await ps(stack);
    const victim = workers(beforeKill)[0]!.pid;
    const load = ctx.timeline.op('client', '16 slow GETs, 8 at a time', async () => {
      const codes = await statuses(stack, 16, 8);
      return codes.join(' ');
    });
    await until(async () => (await owners()).includes(victim), 5000, 'the victim to hold a connection');
    const kill = `SIGKILL worker ${victim}`;
    ctx.timeline.fault('start', kill, ['nginx']);
    await execIn(stack.nginx.id, ['kill', '-9', String(victim)]);
    const loaded = await load;
    const crashStatuses = loaded.type === 'ok' ? loaded.value.split(' ') : [];
    await until(async () => workers(await ps(stack)).length === 2, 5000, 'a replacement worker');
    ctx.timeline.fault('end', kill, ['nginx']);
    const afterKill = await ps(stack);
    const errorLog = (await execIn(stack.nginx.id, ['tail', '-n', '20', '/var/log/nginx/error.log'])).stdout;

    ctx.step('reload under load');
    const reloadLoad = statuses(stack, 24, 8);
    await until(async () => (await owners()).length > 0, 5000, 'requests in flight before the reload');
    await execIn(stack.nginx.id, ['sh', '-c', `sed -i 's/worker_connections 8192/worker_connections 8191/' /etc/nginx/nginx.conf && nginx -s reload`]);
    await until(async () => nginxProcs(await ps(stack)).some((p) => p.title.includes('shutting down')), 3000, 'old workers shutting down');
    const duringReload = await ps(stack);
    const reloadStatuses = await reloadLoad;
    await until(async () => !nginxProcs(await ps(stack)).some((p) => p.title.includes('shutting down')), 10_000, 'old workers to exit');
    const afterReload = await ps(stack);

    ctx.step('cache manager: a cache filled over its size limit, expired and idle entries');
    const withoutCache = await ps(stack);
    await stack.configure(conf({ workers: 2, extraHttp: cacheHttp() }));
    const withCache = await ps(stack);
    const cache = await fillAndWatchCaches(stack);

    ctx.step('2000 idle connections to one worker');
    await stack.configure(conf({ workers: 1 }));
    const holder = await startContainer(ctx.scope, ctx.runId, { image: await ensureImage('backend'), name: 'holder', network: stack.network, cmd: ['sleep', 'infinity'] });
    const hold = `import socket, time
s = [socket.create_connection(("nginx", 8080)) for _ in range(2000)]
print("open", flush=True)
time.sleep(10)`;
    const holding = execIn(holder.id, ['python3', '-c', hold]);
    const worker = workers(await ps(stack))[0]!.pid;
    const established = async () => Number((await execIn(stack.nginx.id, ['sh', '-c', `ss -tnH state established '( sport = :8080 )' | wc -l`])).stdout.trim());
    await until(async () => (await established()) >= 2000, 15_000, '2000 connections');
    const proc = (await execIn(stack.nginx.id, ['sh', '-c', `grep Threads /proc/${worker}/status; ls -l /proc/${worker}/fd | wc -l; ls -l /proc/${worker}/fd | grep -c eventpoll; for f in /proc/${worker}/fd/*; do if [ "$(readlink $f)" = "anon_inode:[eventpoll]" ]; then grep -c '^tfd' /proc/${worker}/fdinfo/$(basename $f); fi; done`])).stdout.split('\n');
    const event: EventObservation = {
      connections: await established(),
      worker,
      threads: Number(proc[0]?.split(/\s+/)[1]),
      fds: Number(proc[1]) - 1,
      eventpollFds: Number(proc[2]),
      epollWatched: Number(proc[3]),
      // The file status flags of every socket the worker holds (O_NONBLOCK: 04000): one awk over all its fdinfo
      // files, reading each with getline so that a descriptor closed in the meantime is skipped, not fatal.
      sockets: socketFlags(
        (await execIn(stack.nginx.id, ['ls', '-l', `/proc/${worker}/fd`])).stdout,
        (await execIn(stack.nginx.id, ['sh', '-c', `awk '${FDINFO_FLAGS}' /proc/${worker}/fdinfo/*`])).stdout,
      ),
    };
    await holding;

    const observation = { autoPs, connectionPids, cpus, threePs, beforeKill, afterKill, victim, crashStatuses, errorLog, reloadStatuses, duringReload, afterReload, withoutCache, withCache, cache, event };
    const kept = keptJson(ctx, 'processes.json', observation, 'every process list, status code and count the lab read (JSON)');
    return [
      withEvidence(judgeMasterWorkers(autoPs, connectionPids), ...kept),
      judgeWorkerCount(autoPs, cpus, threePs),
      judgeWorkerCrash(beforeKill, afterKill, victim, crashStatuses, errorLog),
      judgeReload(reloadStatuses, duringReload, afterReload),
      judgeCacheManager(withoutCache, withCache, cache),
      judgeSingleThread(event),
      judgeEpoll(event),
    ];
  },
});
