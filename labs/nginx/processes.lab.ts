/**
 * Lab: nginx's process and event model, observed from inside its container.
 *
 * Starts: nginx (Debian's) with a slow backend and a client container on one Docker network; a
 * second client, built from the backend image, that can hold thousands of connections. The nginx
 * container gets CAP_SYS_PTRACE, so that ss -p and /proc can see the workers' descriptors.
 *
 * Does: lists the processes with `worker_processes auto` and with 3; holds slow requests open and
 * asks ss which processes own the client connections; kills a worker with SIGKILL in the middle of
 * slow requests; reloads a changed configuration under load; adds a proxy_cache_path; opens 2000
 * idle connections to a single worker.
 *
 * Observes: ps (pid, parent, user, title), ss -tnp, /proc/<pid>/status and fd links, the client's
 * HTTP status codes, and nginx's error log.
 */
import { defineLab } from '../../src/core/lab.ts';
import { until } from '../../src/resources/wait.ts';
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

export function judgeCacheManager(without: Proc[], withCache: Proc[]): ClaimResult {
  const manager = (ps: Proc[]) => nginxProcs(ps).filter((p) => p.title.includes('cache manager'));
  const observed = { cacheManagerWithoutCache: manager(without).length, cacheManagerWithProxyCachePath: manager(withCache).length };
  const holds = observed.cacheManagerWithProxyCachePath === 1;
  return {
    id: 'nginx.process.cache-manager',
    verdict: holds ? (observed.cacheManagerWithoutCache ? 'confirmed' : 'nuanced') : 'refuted',
    summary: holds
      ? observed.cacheManagerWithoutCache
        ? 'A cache manager process runs.'
        : 'There is a cache manager process only when a cache is configured: none without proxy_cache_path, one (beside a short-lived cache loader) with it.'
      : `No cache manager appeared: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? observed.cacheManagerWithoutCache
        ? '有一个 cache manager 进程在运行。'
        : '只有配置了缓存才会有 cache manager 进程：没有 proxy_cache_path 时一个也没有，配置之后出现一个（旁边还有一个短暂存在的 cache loader）。'
      : `没有出现 cache manager：${JSON.stringify(observed)}。`,
    observed,
    evidence: [psTable('Without proxy_cache_path', without), psTable('With proxy_cache_path', withCache)],
  };
}

export interface EventObservation {
  connections: number;
  worker: number;
  threads: number;
  fds: number;
  eventpollFds: number;
  epollWatched: number;
}

const procUnread = (o: EventObservation) => !(o.threads >= 1) || !(o.fds > 0);
const PROC_UNREAD = (o: EventObservation) => ({ en: `/proc/${o.worker}/status and /proc/${o.worker}/fd of the worker were not read (threads ${o.threads}, descriptors ${o.fds}).`, zh: `没有读到该 worker 的 /proc/${o.worker}/status 和 /proc/${o.worker}/fd（线程 ${o.threads}，描述符 ${o.fds}）。` });

export function judgeSingleThread(o: EventObservation): ClaimResult {
  if (procUnread(o)) return notObserved('nginx.event.single-thread-many-connections', PROC_UNREAD(o), { ...o });
  if (!o.connections) return notObserved('nginx.event.single-thread-many-connections', { en: 'ss counted no established connection to nginx while the idle connections were held.', zh: '保持空闲连接期间，ss 没有统计到任何与 nginx 建立的连接。' }, { ...o });
  const holds = o.connections >= 1000 && o.threads === 1 && o.eventpollFds >= 1;
  return {
    id: 'nginx.event.single-thread-many-connections',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `One worker (pid ${o.worker}) held ${o.connections} open connections with ${o.threads} thread and ${o.fds} file descriptors, one of them an epoll instance watching ${o.epollWatched} descriptors.`
      : `The worker did not hold many connections on one thread: ${JSON.stringify(o)}.`,
    summaryZh: holds
      ? `一个 worker（pid ${o.worker}）以 ${o.threads} 个线程、${o.fds} 个文件描述符维持着 ${o.connections} 个打开的连接，其中一个描述符是 epoll 实例，监视着 ${o.epollWatched} 个描述符。`
      : `该 worker 并没有在单个线程上维持大量连接：${JSON.stringify(o)}。`,
    observed: { ...o },
    evidence: [{ kind: 'table', title: 'The worker under 2000 idle connections (/proc)', columns: ['measure', 'value'], rows: Object.entries(o) }],
  };
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

export default defineLab({
  id: 'nginx-processes',
  title: 'nginx processes and events: master and workers, crashes, reloads, the cache manager, one thread for many connections',
  topic: 'nginx',
  claims: ['nginx.process.master-workers', 'nginx.process.worker-count', 'nginx.process.worker-crash', 'nginx.process.reload', 'nginx.process.cache-manager', 'nginx.event.single-thread-many-connections', 'nginx.event.epoll'],
  requires: ['docker'],
  timeLimitMs: 180_000,
  handout: {
    starts: 'nginx with a slow backend (1 s per request) and clients, on one Docker network.',
    does: 'Lists processes under several worker_processes settings; holds slow requests and asks ss who owns them; SIGKILLs a worker; reloads under load; adds a cache; opens 2000 connections to one worker.',
    observes: 'ps, ss -tnp and /proc inside the nginx container, HTTP status codes at the client, the error log.',
    zh: {
      title: 'nginx 的进程与事件模型：master 与 worker、崩溃、reload、cache manager、单线程处理大量连接',
      starts: '同一 Docker 网络上的 nginx、一个慢后端（每个请求 1 s）和若干客户端。',
      does: '在几种 worker_processes 设置下列出进程；挂起若干慢请求，用 ss 查看连接归哪个进程所有；SIGKILL 一个 worker；在负载下 reload；加上缓存；向单个 worker 建立 2000 个连接。',
      observes: 'nginx 容器内的 ps、ss -tnp 和 /proc，客户端收到的 HTTP 状态码，以及错误日志。',
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

    ctx.step('cache manager');
    const withoutCache = await ps(stack);
    await stack.configure(conf({ workers: 2, extraHttp: 'proxy_cache_path /var/lib/nginx/labs-cache keys_zone=labs:1m max_size=10m;' }));
    const withCache = await ps(stack);

    ctx.step('2000 idle connections to one worker');
    await stack.configure(conf({ workers: 1 }));
    const holder = await startContainer(ctx.scope, ctx.runId, { image: await ensureImage('backend'), name: 'holder', network: stack.network, cmd: ['sleep', 'infinity'] });
    const hold = `import socket, time
s = [socket.create_connection(("nginx", 8080)) for _ in range(2000)]
print("open", flush=True)
time.sleep(6)`;
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
    };
    await holding;

    const observation = { autoPs, connectionPids, cpus, threePs, beforeKill, afterKill, victim, crashStatuses, errorLog, reloadStatuses, duringReload, afterReload, withoutCache, withCache, event };
    const kept = keptJson(ctx, 'processes.json', observation, 'every process list, status code and count the lab read (JSON)');
    return [
      withEvidence(judgeMasterWorkers(autoPs, connectionPids), ...kept),
      judgeWorkerCount(autoPs, cpus, threePs),
      judgeWorkerCrash(beforeKill, afterKill, victim, crashStatuses, errorLog),
      judgeReload(reloadStatuses, duringReload, afterReload),
      judgeCacheManager(withoutCache, withCache),
      judgeSingleThread(event),
      judgeEpoll(event),
    ];
  },
});
