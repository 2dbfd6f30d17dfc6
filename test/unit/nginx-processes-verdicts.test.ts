/**
 * The nginx-processes verdicts, on the real processes.json of a run of the nginx-processes lab (nginx 1.22.1, Debian's,
 * 2 CPUs in its container; test/fixtures/nginx-processes-observation.json.gz): the ps listings, connection owners,
 * HTTP statuses and /proc counts the lab read, and altered copies of them for the verdicts the real run did not give.
 * The judges are called as the lab's run() calls them.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';
import {
  judgeCacheManager,
  judgeEpoll,
  judgeMasterWorkers,
  judgeReload,
  judgeSingleThread,
  judgeWorkerCount,
  judgeWorkerCrash,
  type CacheObservation,
  type EventObservation,
  type Proc,
} from '../../labs/nginx/processes.lab.ts';

interface ProcessesObservation {
  autoPs: Proc[];
  connectionPids: number[];
  cpus: number;
  threePs: Proc[];
  beforeKill: Proc[];
  afterKill: Proc[];
  victim: number;
  crashStatuses: string[];
  errorLog: string;
  reloadStatuses: string[];
  duringReload: Proc[];
  afterReload: Proc[];
  withoutCache: Proc[];
  withCache: Proc[];
  /** The cache step: the three caches' settings, their fills and the directory sizes sampled after them. */
  cache: CacheObservation;
  event: EventObservation;
}

const { real, altered } = realSample<ProcessesObservation>('nginx-processes-observation.json.gz');
const workerCount = (o: ProcessesObservation) => judgeWorkerCount(o.autoPs, o.cpus, o.threePs);
const workerCrash = (o: ProcessesObservation) => judgeWorkerCrash(o.beforeKill, o.afterKill, o.victim, o.crashStatuses, o.errorLog);
const reload = (o: ProcessesObservation) => judgeReload(o.reloadStatuses, o.duringReload, o.afterReload);
const cacheManager = (o: ProcessesObservation) => judgeCacheManager(o.withoutCache, o.withCache, o.cache);
const worker = (pid: number, title = 'nginx: worker process'): Proc => ({ pid, ppid: 45, user: 'nobody', title });

describe('the real run', () => {
  it('gives the verdicts the lab reported: master-workers, worker count, reload and single thread confirmed; crash, cache manager and epoll nuanced', () => {
    expect(judgeMasterWorkers(real.autoPs, real.connectionPids).verdict).toBe('confirmed');
    expect(workerCount(real).verdict).toBe('confirmed');
    expect(workerCrash(real).verdict).toBe('nuanced');
    expect(reload(real).verdict).toBe('confirmed');
    expect(cacheManager(real).verdict).toBe('nuanced');
    expect(judgeSingleThread(real.event).verdict).toBe('confirmed');
    expect(judgeEpoll(real.event).verdict).toBe('nuanced');
  });
});

describe('worker count', () => {
  it('is confirmed on the real run: worker_processes auto started 2 workers on the 2 CPUs, worker_processes 3 started 3', () => {
    expect(workerCount(real)).toMatchObject({ verdict: 'confirmed', observed: { cpusInContainer: 2, workersWithAuto: 2, workersWithThree: 3 } });
  });

  it('is refuted when auto started fewer workers than the CPUs nproc counted (4 CPUs, 2 workers)', () => {
    expect(workerCount(altered((o) => (o.cpus = 4)))).toMatchObject({ verdict: 'refuted', observed: { cpusInContainer: 4, workersWithAuto: 2 } });
  });

  it('is refuted when worker_processes 3 started only two', () => {
    const o = altered((c) => (c.threePs = c.threePs.filter((p) => p.pid !== 116)));
    expect(workerCount(o)).toMatchObject({ verdict: 'refuted', observed: { workersWithThree: 2 } });
  });

  it('is unverifiable when nproc gave no number, naming the CPU count', () => {
    expectNotObserved(workerCount(altered((o) => (o.cpus = Number.NaN))), 'CPU count');
  });

  it('is unverifiable when a ps listing came back empty, naming which', () => {
    expectNotObserved(workerCount(altered((o) => (o.autoPs = []))), 'worker_processes auto');
    expectNotObserved(workerCount(altered((o) => (o.threePs = []))), 'worker_processes 3');
  });
});

describe('worker crash', () => {
  it('is nuanced on the real run: master 45 replaced the killed worker 166 with 206, but the 7 requests 166 held failed (000), 9 of 16 succeeded', () => {
    expect(workerCrash(real)).toMatchObject({ verdict: 'nuanced', observed: { killedWorker: 166, masterBefore: 45, masterAfter: 45, replacementWorkers: [206], requests: 16, failedRequests: 7 } });
  });

  it('is confirmed when the killed worker held none of the requests and all 16 succeeded', () => {
    expect(workerCrash(altered((o) => (o.crashStatuses = o.crashStatuses.map(() => '200'))))).toMatchObject({ verdict: 'confirmed', observed: { failedRequests: 0 } });
  });

  it('is refuted when no worker replaced the killed one (only 167 left)', () => {
    const o = altered((c) => (c.afterKill = c.afterKill.filter((p) => p.pid !== 206)));
    expect(workerCrash(o)).toMatchObject({ verdict: 'refuted', observed: { replacementWorkers: [], workersAfter: [167] } });
  });
});

describe('reload', () => {
  it('is confirmed on the real run: 24 of 24 requests succeeded, old workers 167 and 206 were shutting down, then gone', () => {
    expect(reload(real)).toMatchObject({ verdict: 'confirmed', observed: { requests: 24, failedRequests: 0, oldWorkersShuttingDown: [167, 206], oldWorkersGoneAfter: true } });
  });

  it('is refuted when a request under the reload failed (502 from a worker cut off mid-request)', () => {
    const o = altered((c) => (c.reloadStatuses[5] = '502'));
    expect(reload(o)).toMatchObject({ verdict: 'refuted', observed: { failedRequests: 1 } });
  });

  it('is refuted when an old worker was still there after the reload', () => {
    const o = altered((c) => c.afterReload.push(worker(206, 'nginx: worker process is shutting down')));
    expect(reload(o)).toMatchObject({ verdict: 'refuted', observed: { oldWorkersGoneAfter: false } });
  });

  it('is refuted when the old workers were killed at once rather than left to finish (none shutting down during the reload)', () => {
    const o = altered((c) => (c.duringReload = c.duringReload.filter((p) => !p.title.includes('shutting down'))));
    expect(reload(o)).toMatchObject({ verdict: 'refuted', observed: { oldWorkersShuttingDown: [] } });
  });
});

describe('cache manager', () => {
  it('is nuanced on the real run: a manager only with proxy_cache_path; the 64 KiB cache filled to 256 KiB and trimmed to 60 KiB 7.7 s later; idle entries removed, expired ones kept', () => {
    const result = cacheManager(real);
    expect(result).toMatchObject({
      verdict: 'nuanced',
      observed: { cacheManagerWithoutCache: 0, cacheManagerWithProxyCachePath: 1, limitedPeak: { kib: 256 }, limitedLast: { t: 7.7, kib: 60 }, staleFiles: { peak: 4, last: 4 }, idleFiles: { peak: 4, last: 0 } },
    });
    expect(result.summary).toContain('inactive');
  });

  it('is nuanced when the expired entries were removed too, because the cache manager runs only once a cache is configured', () => {
    const o = altered((c) => (c.cache.samples.at(-1)!.dirs.stale = { files: 0, kib: 0 }));
    const result = cacheManager(o);
    expect(result).toMatchObject({ verdict: 'nuanced', observed: { cacheManagerWithoutCache: 0, staleFiles: { last: 0 } } });
    expect(result.summary).toContain('only once a cache was configured');
  });

  it('is confirmed when a cache manager ran before proxy_cache_path was added too, kept the cache within max_size and removed the expired entries', () => {
    const o = altered((c) => {
      c.withoutCache.push(worker(250, 'nginx: cache manager process'));
      c.cache.samples.at(-1)!.dirs.stale = { files: 0, kib: 0 };
    });
    expect(cacheManager(o)).toMatchObject({ verdict: 'confirmed', observed: { cacheManagerWithoutCache: 1, cacheManagerWithProxyCachePath: 1 } });
  });

  it('is refuted when no cache manager appeared with proxy_cache_path', () => {
    const o = altered((c) => (c.withCache = c.withCache.filter((p) => !p.title.includes('cache manager'))));
    expect(cacheManager(o)).toMatchObject({ verdict: 'refuted', observed: { cacheManagerWithProxyCachePath: 0 } });
  });

  it('is refuted when the cache stayed over its max_size until the watch ended (64 files, 256 KiB of 64)', () => {
    const o = altered((c) => c.cache.samples.forEach((s) => (s.dirs.limited = { files: 64, kib: 256 })));
    expect(cacheManager(o)).toMatchObject({ verdict: 'refuted', observed: { limitedLast: { kib: 256 } } });
  });

  it('is refuted when neither the expired nor the idle entries were removed in the seconds watched', () => {
    const o = altered((c) => c.cache.samples.slice(1).forEach((s) => (s.dirs.idle = { files: 4, kib: 16 })));
    expect(cacheManager(o)).toMatchObject({ verdict: 'refuted', observed: { staleFiles: { last: 4 }, idleFiles: { last: 4 } } });
  });

  it('is unverifiable when no process list was recorded, naming it', () => {
    expectNotObserved(judgeCacheManager([], [], real.cache), 'process list');
    expectNotObserved(cacheManager(altered((c) => (c.withCache = []))), 'with proxy_cache_path');
  });

  it('is unverifiable when the cache directories were not read, or a cache got nothing', () => {
    expectNotObserved(cacheManager(altered((c) => (c.cache.samples = []))), 'cache directories');
    expectNotObserved(cacheManager(altered((c) => c.cache.samples.forEach((s) => (s.dirs.limited.files = Number.NaN)))), 'cache directories');
    expectNotObserved(cacheManager(altered((c) => c.cache.samples.forEach((s) => (s.dirs.stale = { files: 0, kib: 0 })))), 'stale');
  });

  it('is unverifiable when the size-limited cache was never seen over its max_size (trimmed before the first sample)', () => {
    const o = altered((c) => c.cache.samples.forEach((s) => (s.dirs.limited = { files: 15, kib: 60 })));
    expectNotObserved(cacheManager(o), 'never seen over its max_size');
  });

  it('is unverifiable when the watch ended before the 1-second responses had expired', () => {
    const o = altered((c) => (c.cache.samples = c.cache.samples.slice(0, 2)));
    expectNotObserved(cacheManager(o), 'not yet expired');
  });
});

describe('single thread, many connections', () => {
  it('is confirmed on the real run: worker 555 held 2000 connections on 1 thread, with one eventpoll descriptor watching 2003, all 2002 sockets non-blocking', () => {
    expect(judgeSingleThread(real.event)).toMatchObject({ verdict: 'confirmed', observed: { connections: 2000, worker: 555, threads: 1, eventpollFds: 1, sockets: { count: 2002, nonBlocking: 2002 } } });
  });

  it('is refuted when the worker ran a thread pool beside its event loop (33 threads, as with aio threads)', () => {
    const o = altered((c) => (c.event.threads = 33));
    expect(judgeSingleThread(o.event)).toMatchObject({ verdict: 'refuted', observed: { threads: 33 } });
  });

  it('is refuted when only 512 connections were held (worker_connections 512), not thousands', () => {
    const o = altered((c) => ((c.event.connections = 512), (c.event.fds = 521), (c.event.epollWatched = 515)));
    expect(judgeSingleThread(o.event).verdict).toBe('refuted');
  });
});

describe('epoll', () => {
  it('is nuanced on the real run: one anon_inode:[eventpoll] descriptor watching 2003 descriptors; kqueue and select cannot be seen on Linux', () => {
    const result = judgeEpoll(real.event);
    expect(result).toMatchObject({ verdict: 'nuanced', observed: { eventpollDescriptors: 1, watched: 2003 } });
    expect(result.summary).toContain('kqueue');
  });

  it('is refuted when the worker\'s 2009 descriptors held no eventpoll (use poll; in the events block)', () => {
    const o = altered((c) => ((c.event.eventpollFds = 0), (c.event.epollWatched = 0)));
    expect(judgeEpoll(o.event)).toMatchObject({ verdict: 'refuted', observed: { eventpollDescriptors: 0 } });
  });
});
