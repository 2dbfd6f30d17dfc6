/**
 * Lab: what isolates a Docker container, compared from both sides: namespaces, cgroups and the
 * layered file system.
 *
 * Starts: two containers of the project's Python image (unprivileged, no capability added) and a third
 * with CAP_SYS_ADMIN added (not privileged), which mount(2) needs; one started with --cgroupns=private
 * (and, where Docker's default is already a private cgroup namespace, one with --cgroupns=host); then,
 * one at a time, containers of the same image under a cgroup limit each: 64 MiB of memory,
 * --cpus 0.2, --pids-limit 16, and two that share CPU 0 with cpu shares 1024 and 256.
 *
 * Does: reads each namespace link (/proc/<pid>/ns/*) of the container's process and of this lab's
 * own process; looks at process ids, hostname, interfaces and a System V shared memory segment from
 * inside and outside; reads the user id map and /proc/self/cgroup; lists /sys/fs/cgroup inside a
 * container with and one without a cgroup namespace of its own and compares each hierarchy with the
 * container's cgroup as the host sees it; mounts a tmpfs inside the CAP_SYS_ADMIN container and looks
 * for it in the host's mount table; changes a file that comes from
 * the image and finds where the change landed on the host; allocates past the memory limit; runs a
 * busy loop past its CPU quota, then pauses and resumes it; forks past pids.max; runs two busy
 * loops on one CPU with different cpu shares.
 *
 * Observes: namespace inode numbers, ps/hostname/ip/ipcs output on both sides, /proc/self/cgroup,
 * /proc/self/mountinfo and the inodes and subdirectories of /sys/fs/cgroup/<hierarchy> inside, the
 * container's cgroup directory and its siblings on the host, the host's /proc/self/mountinfo, docker inspect
 * (GraphDriver directories, OOMKilled, exit code, running), files in the overlay directories,
 * uname -r, and from the host each limited container's cgroup files (cpu.stat and cpuacct.usage,
 * pids.current and pids.events, freezer.state or cgroup.events, cpu.shares or cpu.weight).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { basename, dirname } from 'node:path';
import { defineLab } from '../../src/core/lab.ts';
import { confirmedIf, keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { Cancelled, sleep } from '../../src/resources/cancel.ts';
import { startContainer, type Container } from '../../src/resources/container.ts';
import { docker, execIn } from '../../src/resources/docker.ts';
import { ensureImage } from '../../src/resources/images.ts';
import { execOutcome } from '../../src/resources/process.ts';
import { until } from '../../src/resources/wait.ts';

export const NAMESPACES = ['pid', 'net', 'mnt', 'uts', 'ipc', 'user', 'cgroup'] as const;
export type NamespaceLinks = Record<(typeof NAMESPACES)[number], { host: string; container: string }>;

const nsTable = (links: NamespaceLinks): Evidence => ({
  kind: 'table',
  title: 'Namespace links: this lab\'s process against the container\'s (readlink /proc/<pid>/ns/*)',
  columns: ['namespace', 'host', 'container', 'separate'],
  rows: NAMESPACES.map((n) => [n, links[n].host, links[n].container, links[n].host !== links[n].container ? 'yes' : 'no']),
});

/** A uid map that maps every uid to itself: "0 0 4294967295". */
const identityMap = (uidMap: string) => /^0\s+0\s+4294967295$/.test(uidMap.trim());

export function judgeUserNamespace(links: NamespaceLinks, uidMap: string, uid: { inside: string; outside: string }): ClaimResult {
  const separate = links.user.host !== links.user.container;
  const identity = identityMap(uidMap);
  const observed = { separateUserNamespace: separate, uidMap: uidMap.trim().replace(/\s+/g, ' '), uidInside: uid.inside, uidOnHost: uid.outside };
  return {
    id: 'docker.ns.user',
    verdict: separate && !identity ? 'confirmed' : 'refuted',
    summary:
      separate && !identity
        ? `The container has its own user namespace (uid map ${observed.uidMap}).`
        : `Docker did not give the container a user namespace: it shares the host's (${links.user.host}), its uid map is the identity (${observed.uidMap}), and its process of uid ${uid.inside} inside is uid ${uid.outside} on the host (so root inside is root outside). User namespaces need the daemon's userns-remap, which is off by default.`,
    summaryZh:
      separate && !identity
        ? `容器拥有自己的用户命名空间（uid 映射 ${observed.uidMap}）。`
        : `Docker 没有给容器分配用户命名空间：它与宿主机共用同一个（${links.user.host}），uid 映射是恒等映射（${observed.uidMap}），容器内 uid 为 ${uid.inside} 的进程在宿主机上就是 uid ${uid.outside}（所以容器里的 root 就是宿主机上的 root）。用户命名空间需要开启 Docker 守护进程的 userns-remap，而它默认是关闭的。`,
    observed,
    evidence: [nsTable(links)],
  };
}

/** One cgroup hierarchy as a container sees it under /sys/fs/cgroup, and as the host sees the container's cgroup in it. */
export interface CgroupHierarchyView {
  /** Its directory under /sys/fs/cgroup: 'memory', 'pids', 'systemd' (name=systemd), … on cgroup v1; '' for v2's single hierarchy. */
  hierarchy: string;
  /** The container's cgroup in it, from the host's /proc/<pid>/cgroup (e.g. /docker/<id>). */
  hostPath: string;
  /** The inode of that directory on the host (/sys/fs/cgroup/<hierarchy><hostPath>), and of /sys/fs/cgroup/<hierarchy> inside; NaN when unread. */
  inodeOnHost: number;
  inodeInside: number;
  /** The cgroups (subdirectories) /sys/fs/cgroup/<hierarchy> lists inside. */
  dirsInside: string[];
  /** The cgroups below the container's own on the host, and those beside it (its siblings: other containers' cgroups). */
  childrenOnHost: string[];
  siblingsOnHost: string[];
  /** The root of the /sys/fs/cgroup/<hierarchy> mount, from the container's /proc/self/mountinfo ('' when not mounted). */
  mountRoot: string;
}

/** What one container sees of the cgroups, and how it was started. */
export interface CgroupNsView {
  /** 'default': as Docker starts a container on this host; 'private'/'host': started with --cgroupns=private/host. */
  mode: 'default' | 'private' | 'host';
  /** This lab's and the container's cgroup namespace links. */
  namespace: { host: string; container: string };
  /** /proc/self/cgroup inside. */
  procSelfCgroup: string;
  /** `ls /sys/fs/cgroup/memory | head` inside (v2: `ls /sys/fs/cgroup | head`). */
  lsInside: string;
  hierarchies: CgroupHierarchyView[];
}

/** The cgroup view with and without a cgroup namespace of the container's own. */
export interface CgroupViewObservation {
  cgroupVersion: string;
  /** The lab's first container, started as Docker starts one by default (host cgroup namespace on v1, private on v2). */
  default: CgroupNsView;
  /** A container started with --cgroupns=private (HostConfig.CgroupnsMode); `error` when it could not be started or read. */
  private: CgroupNsView | { error: string };
  /** Where the default container has a cgroup namespace of its own (v2), one started with --cgroupns=host: the view without one. */
  host?: CgroupNsView | { error: string };
}

/** The hierarchies of a process's /proc/<pid>/cgroup (read on the host) that the host mounts under /sys/fs/cgroup. */
export function cgroupHierarchies(procCgroup: string, version: string): { hierarchy: string; path: string }[] {
  const lines = procCgroup.split('\n').filter(Boolean).map((l) => l.split(':'));
  const entries = version === 'cgroup v2'
    ? lines.filter((l) => l[0] === '0').map((l) => ({ hierarchy: '', path: l.slice(2).join(':') }))
    : lines.filter((l) => (l[1] ?? '') !== '').map((l) => ({ hierarchy: l[1]!.replace(/^name=/, ''), path: l.slice(2).join(':') }));
  return entries;
}

/** Parses the listing run inside: "H <hierarchy> <inode or ->" then "D <hierarchy> <subdirectory>" lines. */
export function parseCgroupListing(out: string): Map<string, { inode: number; dirs: string[] }> {
  const seen = new Map<string, { inode: number; dirs: string[] }>();
  for (const line of out.split('\n')) {
    const h = line.match(/^H (\S*) (\S+)$/);
    if (h) seen.set(h[1]!, { inode: /^\d+$/.test(h[2]!) ? Number(h[2]) : Number.NaN, dirs: [] });
    const d = line.match(/^D (\S*) (.+)$/);
    if (d) seen.get(d[1]!)?.dirs.push(d[2]!);
  }
  return seen;
}

const isError = (v: CgroupNsView | { error: string } | undefined): v is { error: string } => v !== undefined && 'error' in v;
const readHierarchies = (v: CgroupNsView) => v.hierarchies.filter((h) => finite(h.inodeInside, h.inodeOnHost));
/** /sys/fs/cgroup/<hierarchy> inside is the container's own cgroup directory, with nothing in it that is not below that cgroup. */
const ownOnly = (h: CgroupHierarchyView) => h.inodeInside === h.inodeOnHost && h.dirsInside.every((d) => h.childrenOnHost.includes(d));
const mountPoint = (h: CgroupHierarchyView) => `/sys/fs/cgroup${h.hierarchy ? `/${h.hierarchy}` : ''}`;
const shortIds = (s: string) => s.replace(/[0-9a-f]{64}/g, (id) => `${id.slice(0, 12)}…`);
const firstLine = (s: string) => shortIds(s.trim().split('\n')[0] ?? '');
/** The hierarchy the summary quotes: memory where there is one. */
const example = (hs: CgroupHierarchyView[]) => hs.find((h) => h.hierarchy === 'memory') ?? hs[0];
const strangers = (h: CgroupHierarchyView) => h.dirsInside.filter((d) => !h.childrenOnHost.includes(d));
const viewTable = (views: CgroupNsView[]): Evidence => ({
  kind: 'table',
  title: 'Each container\'s /sys/fs/cgroup/<hierarchy> against its own cgroup as the host sees it',
  columns: ['container', 'cgroup ns (host / container)', 'hierarchy', 'mount root inside', 'inode inside', 'inode of its cgroup on the host', 'cgroups listed inside', 'cgroups beside it on the host'],
  rows: views.flatMap((v) => v.hierarchies.map((h) => [v.mode, `${v.namespace.host} / ${v.namespace.container}`, mountPoint(h), shortIds(h.mountRoot) || '(not mounted)', finite(h.inodeInside) ? h.inodeInside : '?', finite(h.inodeOnHost) ? h.inodeOnHost : '?', h.dirsInside.map(shortIds).join(' ') || '(none)', h.siblingsOnHost.length])),
});
const viewCommands = (v: CgroupNsView, version: string): Evidence[] => [
  { kind: 'command', title: `Inside the ${v.mode} container`, command: 'cat /proc/self/cgroup', output: v.procSelfCgroup },
  { kind: 'command', title: `Inside the ${v.mode} container`, command: version === 'cgroup v2' ? 'ls /sys/fs/cgroup | head' : 'ls /sys/fs/cgroup/memory | head', output: v.lsInside },
];

export function judgeCgroupView(o: CgroupViewObservation): ClaimResult {
  const id = 'docker.cgroup.ns-view';
  const withNs = o.private;
  const withoutNs = o.default.namespace.container === o.default.namespace.host ? o.default : o.host;
  const summarise = (v: CgroupNsView) => ({ mode: v.mode, separateCgroupNamespace: v.namespace.container !== v.namespace.host, procSelfCgroup: firstLine(v.procSelfCgroup), hierarchies: Object.fromEntries(v.hierarchies.map((h) => [h.hierarchy || 'unified', { ownCgroupOnly: finite(h.inodeInside, h.inodeOnHost) ? ownOnly(h) : null, mountRoot: shortIds(h.mountRoot), dirsInside: h.dirsInside.length, siblingsOnHost: h.siblingsOnHost.length }])) });
  const observed = { cgroupVersion: o.cgroupVersion, withNamespace: isError(withNs) ? withNs : summarise(withNs), withoutNamespace: withoutNs === undefined ? null : isError(withoutNs) ? withoutNs : summarise(withoutNs) };
  if (isError(withNs)) {
    return notObserved(id, { en: `No container with a cgroup namespace of its own could be observed on this ${o.cgroupVersion} host: starting one with --cgroupns=private failed (${withNs.error}).`, zh: `在这台 ${o.cgroupVersion} 宿主机上无法观察到拥有自己 cgroup 命名空间的容器：以 --cgroupns=private 启动容器失败（${withNs.error}）。` }, observed);
  }
  if (withNs.namespace.container === withNs.namespace.host) {
    return notObserved(id, { en: `The container started with --cgroupns=private still shared this host's cgroup namespace (${withNs.namespace.host}), so the claim's condition, a cgroup namespace, was never created.`, zh: `以 --cgroupns=private 启动的容器仍与宿主机共用 cgroup 命名空间（${withNs.namespace.host}），命题的前提（使用 cgroup 命名空间）根本没有建立起来。` }, observed);
  }
  const read = readHierarchies(withNs);
  const views = [withNs, ...(withoutNs && !isError(withoutNs) ? [withoutNs] : [])];
  const evidence = [viewTable(views), ...views.flatMap((v) => viewCommands(v, o.cgroupVersion))];
  if (!read.length) {
    return { ...notObserved(id, { en: `In the container with its own cgroup namespace (${withNs.namespace.container}), no hierarchy under /sys/fs/cgroup could be compared with its cgroup on the host (inodes unread).`, zh: `在拥有自己 cgroup 命名空间（${withNs.namespace.container}）的容器中，/sys/fs/cgroup 下没有一个层级能与宿主机上它的 cgroup 对照（inode 未读到）。` }, observed), evidence };
  }
  const own = read.filter(ownOnly);
  const notOwn = read.filter((h) => !ownOnly(h));
  const foreignEn = (h: CgroupHierarchyView) => `${mountPoint(h)} was inode ${h.inodeInside} (its own cgroup ${shortIds(h.hostPath)} is ${h.inodeOnHost} on the host)${strangers(h).length ? ` and listed ${strangers(h).length} cgroups not below its own (${strangers(h).slice(0, 3).map(shortIds).join(', ')})` : ''}`;
  const foreignZh = (h: CgroupHierarchyView) => `${mountPoint(h)} 的 inode 为 ${h.inodeInside}（它自己的 cgroup ${shortIds(h.hostPath)} 在宿主机上是 ${h.inodeOnHost}）${strangers(h).length ? `，并列出了 ${strangers(h).length} 个不在它自己之下的 cgroup（${strangers(h).slice(0, 3).map(shortIds).join('、')}）` : ''}`;
  if (!own.length) {
    return {
      id,
      verdict: 'refuted',
      summary: `With a cgroup namespace of its own (${withNs.namespace.container}; the host's is ${withNs.namespace.host}), /sys/fs/cgroup inside did not show only the container's cgroup: ${notOwn.map(foreignEn).join('; ')}.`,
      summaryZh: `容器拥有自己的 cgroup 命名空间（${withNs.namespace.container}；宿主机的是 ${withNs.namespace.host}），但容器内的 /sys/fs/cgroup 并不只显示它自己的 cgroup：${notOwn.map(foreignZh).join('；')}。`,
      observed,
      evidence,
    };
  }
  const ex = example(own)!;
  const withEn = `With a cgroup namespace of its own (${withNs.namespace.container}; the host's is ${withNs.namespace.host}), a container's /proc/self/cgroup read "${firstLine(withNs.procSelfCgroup)}", and ${own.length} of the ${read.length} hierarchies under /sys/fs/cgroup it was compared in showed only its own cgroup: ${mountPoint(ex)} inside was the host's ${mountPoint(ex)}${shortIds(ex.hostPath)} (inode ${ex.inodeInside} on both sides; mount root ${shortIds(ex.mountRoot) || '?'}), with ${ex.dirsInside.length} cgroups below it, while the host has ${ex.siblingsOnHost.length} other cgroups beside it`;
  const withZh = `容器拥有自己的 cgroup 命名空间（${withNs.namespace.container}；宿主机的是 ${withNs.namespace.host}）时，/proc/self/cgroup 读到的是“${firstLine(withNs.procSelfCgroup)}”，在对照的 ${read.length} 个 /sys/fs/cgroup 层级中有 ${own.length} 个只显示它自己的 cgroup：容器内的 ${mountPoint(ex)} 就是宿主机上的 ${mountPoint(ex)}${shortIds(ex.hostPath)}（两侧 inode 都是 ${ex.inodeInside}；挂载根 ${shortIds(ex.mountRoot) || '?'}），其下有 ${ex.dirsInside.length} 个 cgroup，而宿主机上与它并列的还有 ${ex.siblingsOnHost.length} 个其他 cgroup`;
  if (notOwn.length) {
    return {
      id,
      verdict: 'nuanced',
      summary: `${withEn}. Only partly, though: ${notOwn.map(foreignEn).join('; ')}.`,
      summaryZh: `${withZh}。但这只是部分成立：${notOwn.map(foreignZh).join('；')}。`,
      observed,
      evidence,
    };
  }
  if (withoutNs === undefined || isError(withoutNs) || !readHierarchies(withoutNs).length) {
    const why = withoutNs === undefined ? { en: 'no container without one was started', zh: '没有启动不带该命名空间的容器' } : isError(withoutNs) ? { en: `the container started with --cgroupns=host failed (${withoutNs.error})`, zh: `以 --cgroupns=host 启动的容器失败（${withoutNs.error}）` } : { en: 'its hierarchies could not be read', zh: '其层级没有读到' };
    return {
      id,
      verdict: 'confirmed',
      summary: `${withEn}. (Without a cgroup namespace nothing was compared: ${why.en}.)`,
      summaryZh: `${withZh}。（没有对照不使用 cgroup 命名空间的情形：${why.zh}。）`,
      observed,
      evidence,
    };
  }
  const without = readHierarchies(withoutNs);
  const withoutOwn = without.filter(ownOnly);
  const wx = example(withoutOwn) ?? example(without)!;
  const whoEn = withoutNs.mode === 'host' ? 'a container started with --cgroupns=host' : 'the container Docker started by default';
  const whoZh = withoutNs.mode === 'host' ? '以 --cgroupns=host 启动的容器' : 'Docker 默认方式启动的容器';
  if (withoutOwn.length === without.length) {
    return {
      id,
      verdict: 'nuanced',
      summary: `${withEn}. But the namespace is not what does it: ${whoEn}, in the host's cgroup namespace (${withoutNs.namespace.container}), where /proc/self/cgroup read "${firstLine(withoutNs.procSelfCgroup)}", also saw only its own cgroup in all ${without.length} hierarchies: its ${mountPoint(wx)} is a mount of its own directory (mount root ${shortIds(wx.mountRoot) || '?'}, inode ${wx.inodeInside} on both sides), with ${wx.dirsInside.length} cgroups below it. The namespace changed the paths the container reads (/ instead of ${shortIds(wx.hostPath)}), not what /sys/fs/cgroup shows.`,
      summaryZh: `${withZh}。但起作用的并不是命名空间：${whoZh}与宿主机共用 cgroup 命名空间（${withoutNs.namespace.container}），其 /proc/self/cgroup 读到的是“${firstLine(withoutNs.procSelfCgroup)}”，可它在全部 ${without.length} 个层级中同样只看到自己的 cgroup：它的 ${mountPoint(wx)} 挂载的就是它自己的目录（挂载根 ${shortIds(wx.mountRoot) || '?'}，两侧 inode 都是 ${wx.inodeInside}），其下有 ${wx.dirsInside.length} 个 cgroup。命名空间改变的是容器读到的路径（/ 而不是 ${shortIds(wx.hostPath)}），而不是 /sys/fs/cgroup 显示的内容。`,
      observed,
      evidence,
    };
  }
  const bad = without.find((h) => !ownOnly(h))!;
  return {
    id,
    verdict: 'confirmed',
    summary: `${withEn}. Without one, ${whoEn} (cgroup namespace ${withoutNs.namespace.container}) did not: ${foreignEn(bad)}.`,
    summaryZh: `${withZh}。没有该命名空间时，${whoZh}（cgroup 命名空间 ${withoutNs.namespace.container}）则不是这样：${foreignZh(bad)}。`,
    observed,
    evidence,
  };
}

/** Everything the lab saw from both sides of the container, as the judges read it. */
export interface IsolationObservation {
  links: NamespaceLinks;
  containerPid: number;
  kernel: { host: string; inside: string };
  rootFs: string;
  psInside: string;
  hostname: { host: string; inside: string };
  ipInside: string;
  shm: { id: string; ipcsInside: string; visibleOnHost: boolean };
  memory: { limitBytes: number; exitCode: number; oomKilled: boolean };
  layers: { driver: string; lowerDirs: number; sharedWithOtherContainer: number };
  /** layersReadable: whether the engine's layer directories are on this machine's filesystem (not in a VM's, nor only on a node's). */
  copyOnWrite: { upper: string; copiedUp: boolean; originalUntouched: boolean; otherContainerSees: string; layersReadable?: boolean };
  /** Who the container's process is on either side: /proc/self/uid_map inside, the uid inside, the uid on the host ('?' when unread). */
  user: { uidMap: string; uidInside: string; uidOnHost: string };
  /**
   * A busy loop under a CPU quota (`--cpus`), read from the host after `ranMs`: its cgroup's cpu.stat (usage
   * from cpuacct.usage on cgroup v1), all in microseconds (NaN when unread). Then `docker pause`: the freezer's
   * state (v1 freezer.state, v2 cgroup.events) and the CPU time used while paused and after `docker unpause`.
   */
  cpu: {
    cpus: number;
    ranMs: number;
    running: boolean;
    usageUsec: number;
    nrPeriods: number;
    nrThrottled: number;
    throttledUsec: number;
    paused: { state: string; usageDeltaUsec: number; overMs: number };
    resumed: { running: boolean; usageDeltaUsec: number; overMs: number };
  };
  /** A fork loop under `--pids-limit`: what it printed (forks made, forks failed, the errno), pids.current and pids.events' max count, and whether it still ran. */
  pids: { limit: number; output: string; forked: number; failed: number; error: string; running: boolean; current: number; maxEvents: number };
  /** Two busy loops pinned to CPU 0 with different cpu shares: the setting as the cgroup shows it, and the CPU time each got over `overMs`. */
  priority: { heavy: { shares: number; setting: string; usageDeltaUsec: number }; light: { shares: number; setting: string; usageDeltaUsec: number }; overMs: number };
  /** /proc/self/cgroup and /sys/fs/cgroup inside containers with and without a cgroup namespace of their own, against the host's view. */
  cgroupView: CgroupViewObservation;
  /** A tmpfs mounted inside a container given CAP_SYS_ADMIN, looked for in its mount table and the host's. */
  mount: MountObservation;
}

/**
 * The directory of `controller` for a process, as the host mounts it, from the process's /proc/<pid>/cgroup
 * read on the host: cgroup v1 has one hierarchy per controller (/sys/fs/cgroup/<controller><path>), v2 one
 * for all (/sys/fs/cgroup<path>, the "0::" line).
 */
export function cgroupDir(procCgroup: string, version: string, controller: string): string | undefined {
  const lines = procCgroup.split('\n').filter(Boolean).map((l) => l.split(':'));
  const pathOf = (l: string[] | undefined) => (l === undefined ? undefined : l.slice(2).join(':').replace(/^\/$/, ''));
  if (version === 'cgroup v2') {
    const path = pathOf(lines.find((l) => l[0] === '0'));
    return path === undefined ? undefined : `/sys/fs/cgroup${path}`;
  }
  const path = pathOf(lines.find((l) => (l[1] ?? '').split(',').includes(controller)));
  return path === undefined ? undefined : `/sys/fs/cgroup/${controller}${path}`;
}

const statField = (text: string, name: string) => Number(text.match(new RegExp(`^${name} (\\d+)$`, 'm'))?.[1] ?? Number.NaN);

/** A cgroup's CPU accounting in microseconds: cpu.stat on v2; cpu.stat (throttled_time in ns) and cpuacct.usage (ns) on v1. NaN for what is missing. */
export function parseCpuStat(version: string, cpuStat: string, cpuacctUsage = ''): { usageUsec: number; nrPeriods: number; nrThrottled: number; throttledUsec: number } {
  const counts = { nrPeriods: statField(cpuStat, 'nr_periods'), nrThrottled: statField(cpuStat, 'nr_throttled') };
  if (version === 'cgroup v2') return { usageUsec: statField(cpuStat, 'usage_usec'), ...counts, throttledUsec: statField(cpuStat, 'throttled_usec') };
  const usageNs = /^\d+$/.test(cpuacctUsage.trim()) ? Number(cpuacctUsage.trim()) : Number.NaN;
  return { usageUsec: Math.round(usageNs / 1000), ...counts, throttledUsec: Math.round(statField(cpuStat, 'throttled_time') / 1000) };
}

/** The freezer reports a frozen group: v1 freezer.state "FROZEN", v2 cgroup.events "frozen 1". */
const frozenState = (state: string) => /^FROZEN$|^frozen 1$/m.test(state.trim());
/** CPU time a frozen group may still show over its pause (none of its tasks may run; this only absorbs a read racing the freeze). */
export const FROZEN_TOLERANCE_USEC = 1000;
const finite = (...xs: number[]) => xs.every((x) => typeof x === 'number' && Number.isFinite(x));
const ms = (usec: number) => Math.round(usec / 1000);

const separateIn = (o: IsolationObservation, n: (typeof NAMESPACES)[number]) => o.links[n].host !== o.links[n].container;

export function judgeThreePillars(o: IsolationObservation): ClaimResult {
  const { kernel, rootFs, memory, user } = o;
  const pillars = kernel.inside === kernel.host && separateIn(o, 'pid') && separateIn(o, 'net') && rootFs === 'overlay' && memory.oomKilled;
  const observed = { kernelHost: kernel.host, kernelInside: kernel.inside, rootFs, memoryLimitEnforced: memory.oomKilled, separateUserNamespace: separateIn(o, 'user'), uidMap: user.uidMap.trim().replace(/\s+/g, ' '), uidInside: user.uidInside, uidOnHost: user.uidOnHost };
  const evidence = [nsTable(o.links)];
  if (!pillars) {
    return {
      id: 'docker.isolation.three-pillars',
      verdict: 'refuted',
      summary: `Kernel inside ${kernel.inside} (host ${kernel.host}), pid/net namespaces separate: ${separateIn(o, 'pid')}/${separateIn(o, 'net')}, root ${rootFs}, memory limit enforced: ${memory.oomKilled}.`,
      summaryZh: `容器内内核 ${kernel.inside}（宿主机 ${kernel.host}），pid/net 命名空间独立：${separateIn(o, 'pid')}/${separateIn(o, 'net')}，根文件系统 ${rootFs}，内存限制生效：${memory.oomKilled}。`,
      observed,
      evidence,
    };
  }
  if (!user.uidMap.trim() || user.uidOnHost === '?' || !user.uidInside) {
    return notObserved('docker.isolation.three-pillars', { en: `The container's uid map (${user.uidMap.trim() || 'unread'}) or the uid of its process on the host (${user.uidOnHost || 'unread'}) was not read, so what its root is on the host, and with it the claimed security, is unknown.`, zh: `没有读到容器的 uid 映射（${user.uidMap.trim() || '未读到'}）或其进程在宿主机上的 uid（${user.uidOnHost || '未读到'}），无从得知容器里的 root 在宿主机上是谁，也就无法判断所说的安全性。` }, observed);
  }
  const pillarsEn = `The three mechanisms were all at work: the container ran on the host's own kernel (${kernel.inside}) inside separate namespaces, on an ${rootFs} root file system, under a cgroup memory limit the kernel enforced (OOMKilled).`;
  const pillarsZh = `三种机制都在起作用：容器直接运行在宿主机自己的内核（${kernel.inside}）上，处于独立的命名空间中，根文件系统为 ${rootFs}，内核强制执行了它的 cgroup 内存限制（OOMKilled）。`;
  const remapped = separateIn(o, 'user') && !identityMap(user.uidMap) && user.uidInside !== user.uidOnHost;
  if (remapped) {
    return {
      id: 'docker.isolation.three-pillars',
      verdict: 'confirmed',
      summary: `${pillarsEn} The container also had a user namespace of its own (uid map ${observed.uidMap}): its process of uid ${user.uidInside} inside was uid ${user.uidOnHost} on the host.`,
      summaryZh: `${pillarsZh}容器还拥有自己的用户命名空间（uid 映射 ${observed.uidMap}）：容器内 uid 为 ${user.uidInside} 的进程在宿主机上是 uid ${user.uidOnHost}。`,
      observed,
      evidence,
    };
  }
  return {
    id: 'docker.isolation.three-pillars',
    verdict: 'nuanced',
    summary: `${pillarsEn} But the security the sheet claims is limited: the container had no user namespace of its own (it shares the host's, ${o.links.user.host}), its uid map is ${observed.uidMap}${identityMap(user.uidMap) ? ' (the identity)' : ''}, and its process of uid ${user.uidInside} inside was uid ${user.uidOnHost} on the host${user.uidInside === '0' && user.uidOnHost === '0' ? ': root inside is root on the host' : ''}; and its system calls went to the host's own kernel (${kernel.inside}): one kernel under both.`,
    summaryZh: `${pillarsZh}但学习资料所说的安全性是有限的：容器没有自己的用户命名空间（与宿主机共用 ${o.links.user.host}），uid 映射为 ${observed.uidMap}${identityMap(user.uidMap) ? '（恒等映射）' : ''}，容器内 uid 为 ${user.uidInside} 的进程在宿主机上就是 uid ${user.uidOnHost}${user.uidInside === '0' && user.uidOnHost === '0' ? '：容器里的 root 就是宿主机上的 root' : ''}；而且它的系统调用进入的就是宿主机自己的内核（${kernel.inside}）：两者之下是同一个内核。`,
    observed,
    evidence,
  };
}

export function judgePidNamespace(o: IsolationObservation): ClaimResult {
  const first = o.psInside.split('\n')[0]?.trim();
  return confirmedIf(
    'docker.ns.pid',
    separateIn(o, 'pid') && /^1\s/.test(o.psInside),
    { en: `Inside, numbering starts again at 1 (${first}, Docker's init, then the command); on the host that PID 1 is PID ${o.containerPid}.`, zh: `容器内的进程编号从 1 重新开始（${first}，先是 Docker 的 init，然后才是命令本身）；这个 PID 1 在宿主机上是 PID ${o.containerPid}。` },
    { en: `ps inside: ${o.psInside}; pid namespace separate: ${separateIn(o, 'pid')}.`, zh: `容器内的 ps：${o.psInside}；pid 命名空间独立：${separateIn(o, 'pid')}。` },
    { psInside: o.psInside.split('\n'), hostPidOfContainerPid1: o.containerPid },
    [nsTable(o.links)],
  );
}

export function judgeNetNamespace(o: IsolationObservation): ClaimResult {
  const interfaces = o.ipInside.replace(/\n/g, '; ');
  return confirmedIf(
    'docker.ns.net',
    separateIn(o, 'net') && /eth0/.test(o.ipInside),
    { en: `The container has its own network namespace and interfaces (${interfaces}).`, zh: `容器拥有自己的网络命名空间和网络接口（${interfaces}）。` },
    { en: `ip inside: ${interfaces}; net namespace separate: ${separateIn(o, 'net')}.`, zh: `容器内的 ip：${interfaces}；net 命名空间独立：${separateIn(o, 'net')}。` },
    { ipInside: o.ipInside.split('\n') },
    [nsTable(o.links)],
  );
}

/** A tmpfs mounted inside a container given CAP_SYS_ADMIN, looked for on both sides. */
export interface MountObservation {
  /** Capabilities the mounting container had beyond Docker's default set. */
  capAdd: string[];
  /** Its AppArmor profile ('' when the host has no AppArmor) and security options (none: Docker's default seccomp profile). */
  appArmorProfile: string;
  securityOpt: string[];
  /** This lab's and the mounting container's mount namespace links. */
  namespace: { host: string; container: string };
  /** The fresh directory mounted on inside, and the tmpfs's source name, unique to the run. */
  target: string;
  source: string;
  /** `mount -t tmpfs`: its exit code and what it printed on stderr. */
  exitCode: number;
  error: string;
  /** The tmpfs's line in the container's /proc/self/mountinfo ('' when there is none). */
  lineInside: string;
  /** The lines of the host's /proc/self/mountinfo (this lab's process) with that mount point or source, read after the mount. */
  linesOnHost: string[];
}

/** The lines of a mountinfo table whose mount point ends with `target` or whose source is `source`. */
export function mountinfoMatches(mountinfo: string, target: string, source: string): string[] {
  return mountinfo.split('\n').filter((line) => {
    const [before, after] = line.split(' - ');
    if (after === undefined) return false;
    const point = before!.split(' ')[4] ?? '';
    return point === target || point.endsWith(target) || after.split(' ')[1] === source;
  });
}

export function judgeMountNamespace(o: IsolationObservation): ClaimResult {
  const m = o.mount;
  const id = 'docker.ns.mount';
  const caps = m.capAdd.length ? m.capAdd.map((c) => `CAP_${c}`).join(', ') : 'no capability';
  const security = `AppArmor profile ${m.appArmorProfile || 'none'}; security options ${m.securityOpt.length ? m.securityOpt.join(', ') : "none (Docker's default seccomp profile)"}`;
  const securityZh = `AppArmor 配置 ${m.appArmorProfile || '无'}；安全选项 ${m.securityOpt.length ? m.securityOpt.join('、') : '无（Docker 默认的 seccomp 配置）'}`;
  const separate = m.namespace.container !== m.namespace.host;
  const observed = { capAdd: m.capAdd, target: m.target, source: m.source, mountExitCode: m.exitCode, mountError: m.error.trim(), lineInside: m.lineInside, linesOnHost: m.linesOnHost, separateMountNamespace: separate, rootFs: o.rootFs };
  const evidence: Evidence[] = [
    { kind: 'command', title: `Inside the container (${caps} added, not privileged)`, command: `mount -t tmpfs -o size=1m ${m.source} ${m.target}; grep ${m.target} /proc/self/mountinfo`, output: [m.error.trim() && `mount exited ${m.exitCode}: ${m.error.trim()}`, m.lineInside || '(no such line)'].filter(Boolean).join('\n') },
    { kind: 'command', title: 'On the host, after the mount', command: `grep -e '${m.target} ' -e ' ${m.source} ' /proc/self/mountinfo`, output: m.linesOnHost.join('\n') || '(no such line)' },
    { kind: 'table', title: 'Mount namespace links', columns: ['host (this lab)', 'mounting container', 'separate'], rows: [[m.namespace.host, m.namespace.container, separate ? 'yes' : 'no']] },
  ];
  if (m.exitCode !== 0 || !m.lineInside) {
    const failure = m.exitCode !== 0 ? `mount exited ${m.exitCode}${m.error.trim() ? `: ${m.error.trim()}` : ''}` : `mount exited 0 but no line for ${m.target} is in the container's /proc/self/mountinfo`;
    const failureZh = m.exitCode !== 0 ? `mount 退出码 ${m.exitCode}${m.error.trim() ? `：${m.error.trim()}` : ''}` : `mount 退出码为 0，但容器的 /proc/self/mountinfo 中没有 ${m.target} 这一行`;
    return { ...notObserved(id, { en: `No mount could be made inside the container (${caps} added, not privileged; ${security}): ${failure}. With nothing mounted, whether a mount affects the host was not observed.`, zh: `无法在容器内（添加了 ${caps}，非特权；${securityZh}）进行挂载：${failureZh}。没有挂载成功，也就无从观察挂载是否影响宿主机。` }, observed), evidence };
  }
  if (m.linesOnHost.length) {
    return {
      id,
      verdict: 'refuted',
      summary: `A tmpfs mounted inside the container at ${m.target} also appeared in the host's mount table: ${m.linesOnHost[0]}.`,
      summaryZh: `在容器内挂载到 ${m.target} 的 tmpfs 也出现在了宿主机的挂载表中：${m.linesOnHost[0]}。`,
      observed,
      evidence,
    };
  }
  if (!separate) {
    return { ...notObserved(id, { en: `The container shared this lab's mount namespace (${m.namespace.host}), yet the tmpfs it mounted at ${m.target} was not found in the host's /proc/self/mountinfo: the host's table was not read where the mount would be.`, zh: `容器与本实验进程共用挂载命名空间（${m.namespace.host}），但它挂载到 ${m.target} 的 tmpfs 却不在宿主机的 /proc/self/mountinfo 中：宿主机的挂载表没有在该挂载所在之处读取。` }, observed), evidence };
  }
  return {
    id,
    verdict: 'confirmed',
    summary: `A container with ${caps} added (not privileged) mounted a tmpfs at ${m.target}; its /proc/self/mountinfo showed it ("${m.lineInside}"), and the host's /proc/self/mountinfo, read afterwards, had no line with that mount point or the source ${m.source}: the mount stayed in the container's own mount namespace (${m.namespace.container}; the host's is ${m.namespace.host}).`,
    summaryZh: `添加了 ${caps}（非特权）的容器在 ${m.target} 挂载了一个 tmpfs；容器的 /proc/self/mountinfo 中有这一挂载（“${m.lineInside}”），而随后读取的宿主机 /proc/self/mountinfo 中没有任何一行带有该挂载点或来源名 ${m.source}：这个挂载只留在容器自己的挂载命名空间（${m.namespace.container}；宿主机的是 ${m.namespace.host}）中。`,
    observed,
    evidence,
  };
}

export function judgeUtsNamespace(o: IsolationObservation): ClaimResult {
  const { host, inside } = o.hostname;
  return confirmedIf(
    'docker.ns.uts',
    separateIn(o, 'uts') && inside !== host,
    { en: `Inside the hostname is ${inside}; the host's is ${host}.`, zh: `容器内的主机名是 ${inside}；宿主机的是 ${host}。` },
    { en: `Hostnames ${inside} / ${host}; uts namespace separate: ${separateIn(o, 'uts')}.`, zh: `主机名 ${inside} / ${host}；uts 命名空间独立：${separateIn(o, 'uts')}。` },
    { hostnameInside: inside, hostnameHost: host },
    [nsTable(o.links)],
  );
}

export function judgeIpcNamespace(o: IsolationObservation): ClaimResult {
  const { id, ipcsInside, visibleOnHost } = o.shm;
  return confirmedIf(
    'docker.ns.ipc',
    separateIn(o, 'ipc') && id !== '' && ipcsInside.split('\n').some((l) => /^0x/.test(l)) && !visibleOnHost,
    { en: `A shared memory segment created inside (id ${id}) is listed by ipcs inside and not on the host.`, zh: `在容器内创建的共享内存段（id ${id}）在容器内能被 ipcs 列出，在宿主机上则看不到。` },
    { en: `Segment ${id || '(none created)'}: visible on the host: ${visibleOnHost}; ipc namespace separate: ${separateIn(o, 'ipc')}.`, zh: `共享内存段 ${id || '（未创建）'}：在宿主机上可见：${visibleOnHost}；ipc 命名空间独立：${separateIn(o, 'ipc')}。` },
    { segment: id, visibleOnHost },
    [nsTable(o.links)],
  );
}

export function judgeMemoryLimit(o: IsolationObservation): ClaimResult {
  const { memory, cpu, pids, priority } = o;
  const mib = memory.limitBytes / 1024 / 1024;
  const seconds = (cpu.ranMs / 1000).toFixed(1);
  const ratio = priority.heavy.usageDeltaUsec / priority.light.usageDeltaUsec;
  const observed = {
    memory: { limitBytes: memory.limitBytes, exitCode: memory.exitCode, oomKilled: memory.oomKilled },
    cpu: { cpus: cpu.cpus, ranMs: cpu.ranMs, stillRunning: cpu.running, nrPeriods: cpu.nrPeriods, nrThrottled: cpu.nrThrottled, throttledUsec: cpu.throttledUsec, usageUsec: cpu.usageUsec },
    pause: { freezer: cpu.paused.state, usageWhilePausedUsec: cpu.paused.usageDeltaUsec, pausedMs: cpu.paused.overMs, usageAfterResumeUsec: cpu.resumed.usageDeltaUsec, resumedMs: cpu.resumed.overMs, runningAfterResume: cpu.resumed.running },
    pids: { limit: pids.limit, forked: pids.forked, failed: pids.failed, error: pids.error, current: pids.current, maxEvents: pids.maxEvents, stillRunning: pids.running },
    priority: { heavy: priority.heavy, light: priority.light, overMs: priority.overMs, ratio: Number.isFinite(ratio) ? Number(ratio.toFixed(2)) : null },
  };
  const evidence: Evidence[] = [
    {
      kind: 'table',
      title: 'Each limit exceeded, and what became of the process',
      columns: ['limit', 'how it was exceeded', 'what the cgroup did', 'process afterwards'],
      rows: [
        [`memory ${mib} MiB`, 'allocate 256 MiB', `OOMKilled=${memory.oomKilled}`, `exit ${memory.exitCode}`],
        [`--cpus ${cpu.cpus}`, `busy loop for ${seconds} s`, `throttled in ${cpu.nrThrottled} of ${cpu.nrPeriods} periods (${ms(cpu.throttledUsec)} ms)`, cpu.running ? 'running' : 'gone'],
        [`pids.max ${pids.limit}`, 'fork 40 children', `${pids.failed} forks failed (${pids.error || 'no error'}), pids.events max ${pids.maxEvents}`, pids.running ? 'running' : 'gone'],
      ],
    },
    { kind: 'bars', title: `CPU time on one CPU over ${priority.overMs} ms, by cpu shares (ms)`, bars: [{ label: `shares ${priority.heavy.shares} (${priority.heavy.setting})`, value: ms(priority.heavy.usageDeltaUsec) }, { label: `shares ${priority.light.shares} (${priority.light.setting})`, value: ms(priority.light.usageDeltaUsec) }] },
    { kind: 'command', title: 'The fork loop under pids.max', command: 'docker logs', output: pids.output },
  ];
  const unread = [
    !finite(cpu.usageUsec, cpu.nrPeriods, cpu.nrThrottled, cpu.throttledUsec) && { en: 'the cpu.stat of the --cpus container', zh: '--cpus 容器的 cpu.stat' },
    (!cpu.paused.state || !finite(cpu.paused.usageDeltaUsec, cpu.resumed.usageDeltaUsec)) && { en: 'its freezer state and CPU time across docker pause and unpause', zh: '它在 docker pause/unpause 前后的冻结状态和 CPU 时间' },
    !finite(pids.forked, pids.failed, pids.current, pids.maxEvents) && { en: "the fork loop's report and the pids cgroup's files", zh: 'fork 循环的输出和 pids cgroup 的文件' },
    !finite(priority.heavy.usageDeltaUsec, priority.light.usageDeltaUsec) && { en: 'the CPU time of the two containers with different cpu shares', zh: '两个 cpu shares 不同的容器各自的 CPU 时间' },
  ].filter((x) => x !== false);
  if (unread.length) {
    return { ...notObserved('docker.cgroup.limits', { en: `Not read: ${unread.map((u) => u.en).join('; ')}.`, zh: `没有读到：${unread.map((u) => u.zh).join('；')}。` }, observed), evidence };
  }
  const killedByMemory = memory.oomKilled && memory.exitCode === 137;
  const frozen = frozenState(cpu.paused.state) && cpu.paused.usageDeltaUsec <= FROZEN_TOLERANCE_USEC && cpu.resumed.usageDeltaUsec > 0 && cpu.resumed.running;
  const prioritised = priority.heavy.usageDeltaUsec > 0 && priority.heavy.usageDeltaUsec >= 2 * priority.light.usageDeltaUsec;
  const accounted = cpu.usageUsec > 0 && pids.current > 0;
  const failures = [
    !(cpu.nrThrottled > 0) && { en: `the busy loop under --cpus ${cpu.cpus} was never throttled (${cpu.nrThrottled} of ${cpu.nrPeriods} periods)`, zh: `--cpus ${cpu.cpus} 下的忙循环从未被限流（${cpu.nrPeriods} 个周期中 ${cpu.nrThrottled} 个）` },
    !(pids.failed > 0) && { en: `no fork failed under pids.max ${pids.limit} (${pids.forked} made)`, zh: `pids.max ${pids.limit} 下没有一次 fork 失败（成功 ${pids.forked} 次）` },
    !prioritised && { en: `cpu shares ${priority.heavy.shares} against ${priority.light.shares} on one CPU gave ${ms(priority.heavy.usageDeltaUsec)} ms against ${ms(priority.light.usageDeltaUsec)} ms, not at least twice as much`, zh: `同一个 CPU 上 cpu shares ${priority.heavy.shares} 对 ${priority.light.shares} 分到的 CPU 时间为 ${ms(priority.heavy.usageDeltaUsec)} ms 对 ${ms(priority.light.usageDeltaUsec)} ms，不到两倍` },
    !frozen && { en: `docker pause did not freeze the group and unpause resume it (freezer "${cpu.paused.state}", ${cpu.paused.usageDeltaUsec} µs of CPU while paused, ${cpu.resumed.usageDeltaUsec} µs after unpause)`, zh: `docker pause 没有冻结该进程组、unpause 也没有让它恢复（冻结状态 "${cpu.paused.state}"，暂停期间 CPU ${cpu.paused.usageDeltaUsec} µs，恢复后 ${cpu.resumed.usageDeltaUsec} µs）` },
    !accounted && { en: `the cgroup did not account the usage (cpu ${cpu.usageUsec} µs, pids.current ${pids.current})`, zh: `cgroup 没有统计到资源用量（CPU ${cpu.usageUsec} µs，pids.current ${pids.current}）` },
  ].filter((x) => x !== false);
  if (failures.length) {
    return { id: 'docker.cgroup.limits', verdict: 'refuted', summary: `Not as claimed: ${failures.map((f) => f.en).join('; ')}.`, summaryZh: `与所述不符：${failures.map((f) => f.zh).join('；')}。`, observed, evidence };
  }
  const limitsEn = `cgroups limited, prioritised, accounted and froze the containers' processes: on one CPU, cpu shares ${priority.heavy.shares} against ${priority.light.shares} got ${ms(priority.heavy.usageDeltaUsec)} ms against ${ms(priority.light.usageDeltaUsec)} ms of CPU in ${priority.overMs} ms (${ratio.toFixed(1)}×); cpu.stat accounted ${ms(cpu.usageUsec)} ms of CPU to a busy loop and pids.current ${pids.current} processes to the fork loop; docker pause froze the busy loop's group (${cpu.paused.state.trim()}, ${cpu.paused.usageDeltaUsec} µs of CPU in ${cpu.paused.overMs} ms) and unpause let it run again (${ms(cpu.resumed.usageDeltaUsec)} ms in ${cpu.resumed.overMs} ms).`;
  const limitsZh = `cgroup 对容器进程做到了限制、分配优先级、统计和冻结：在同一个 CPU 上，cpu shares ${priority.heavy.shares} 对 ${priority.light.shares} 在 ${priority.overMs} ms 内分到 ${ms(priority.heavy.usageDeltaUsec)} ms 对 ${ms(priority.light.usageDeltaUsec)} ms 的 CPU 时间（${ratio.toFixed(1)} 倍）；cpu.stat 为忙循环统计了 ${ms(cpu.usageUsec)} ms 的 CPU 时间，pids.current 为 fork 循环统计了 ${pids.current} 个进程；docker pause 冻结了忙循环所在的进程组（${cpu.paused.state.trim()}，${cpu.paused.overMs} ms 内 CPU ${cpu.paused.usageDeltaUsec} µs），unpause 后它又继续运行（${cpu.resumed.overMs} ms 内 ${ms(cpu.resumed.usageDeltaUsec)} ms）。`;
  const memoryEn = killedByMemory ? `allocating 256 MiB under a ${mib} MiB memory limit got the process killed by the kernel's OOM killer (OOMKilled=true, exit ${memory.exitCode})` : `allocating 256 MiB under a ${mib} MiB memory limit did not get the process killed (OOMKilled=${memory.oomKilled}, exit ${memory.exitCode})`;
  const memoryZh = killedByMemory ? `在 ${mib} MiB 的内存限制下分配 256 MiB，进程被内核的 OOM killer 杀掉了（OOMKilled=true，退出码 ${memory.exitCode}）` : `在 ${mib} MiB 的内存限制下分配 256 MiB，进程没有被杀掉（OOMKilled=${memory.oomKilled}，退出码 ${memory.exitCode}）`;
  const cpuEn = `a busy loop over its --cpus ${cpu.cpus} quota was throttled in ${cpu.nrThrottled} of ${cpu.nrPeriods} periods (${ms(cpu.throttledUsec)} ms held back) and was ${cpu.running ? 'still running' : 'gone'} after ${seconds} s`;
  const cpuZh = `超出 --cpus ${cpu.cpus} 配额的忙循环在 ${cpu.nrPeriods} 个周期中有 ${cpu.nrThrottled} 个被限流（共被压住 ${ms(cpu.throttledUsec)} ms），${seconds} s 后${cpu.running ? '仍在运行' : '已不在'}`;
  const pidsEn = `a fork loop at pids.max ${pids.limit} had ${pids.failed} of its forks fail with ${pids.error || 'an error'} (${pids.forked} made; pids.events max ${pids.maxEvents}) and was ${pids.running ? 'still running' : 'gone'}`;
  const pidsZh = `达到 pids.max ${pids.limit} 的 fork 循环有 ${pids.failed} 次 fork 以 ${pids.error || '错误'} 失败（成功 ${pids.forked} 次；pids.events max ${pids.maxEvents}），之后${pids.running ? '仍在运行' : '已不在'}`;
  const limits = [
    { killed: killedByMemory, en: 'the memory limit', zh: '内存限制', spared: { en: 'the process over its memory limit stayed alive', zh: '超出内存限制的进程仍然存活' } },
    { killed: !cpu.running, en: 'the CPU quota', zh: 'CPU 配额', spared: { en: 'the CPU quota only throttled', zh: 'CPU 配额只是限流' } },
    { killed: !pids.running, en: 'the pids limit', zh: 'pids 限制', spared: { en: 'the pids limit only made fork() fail', zh: 'pids 限制只是让 fork() 失败' } },
  ];
  const killers = limits.filter((l) => l.killed);
  const spared = limits.filter((l) => !l.killed);
  const verdict = spared.length === 0 ? 'confirmed' : killers.length === 0 ? 'refuted' : 'nuanced';
  const closingEn = verdict === 'confirmed' ? 'Every limit exceeded killed its process.' : verdict === 'refuted' ? 'No limit exceeded killed its process.' : `Exceeding a limit does not in general kill: only ${killers.map((l) => l.en).join(' and ')} killed; ${spared.map((l) => l.spared.en).join(', and ')}, leaving the process running.`;
  const closingZh = verdict === 'confirmed' ? '每一种被超出的限制都杀掉了进程。' : verdict === 'refuted' ? '没有一种被超出的限制杀掉进程。' : `超出资源限制并不一般地导致进程被终止：只有${killers.map((l) => l.zh).join('和')}杀掉了进程；${spared.map((l) => l.spared.zh).join('，')}，进程照常运行。`;
  return {
    id: 'docker.cgroup.limits',
    verdict,
    summary: `${limitsEn} On exceeding a limit: ${memoryEn}; ${cpuEn}; ${pidsEn}. ${closingEn}`,
    summaryZh: `${limitsZh}超出限制时：${memoryZh}；${cpuZh}；${pidsZh}。${closingZh}`,
    observed,
    evidence,
  };
}

export function judgeLayers(o: IsolationObservation): ClaimResult {
  const { driver, lowerDirs, sharedWithOtherContainer: shared } = o.layers;
  return confirmedIf(
    'docker.unionfs.layers',
    driver === 'overlay2' && lowerDirs > 1 && shared === lowerDirs,
    { en: `Each container's root is an overlay of ${lowerDirs} read-only image layers, all ${shared} of them the same directories for both containers, under a writable layer of its own.`, zh: `每个容器的根文件系统都是由 ${lowerDirs} 个只读镜像层叠加而成的 overlay，这 ${shared} 层在两个容器中是完全相同的目录，最上面再各自有一个独立的可写层。` },
    { en: `Storage driver ${driver}: ${lowerDirs} lower directories, ${shared} of them shared with the other container.`, zh: `存储驱动 ${driver}：${lowerDirs} 个下层目录，其中 ${shared} 个与另一个容器共用。` },
    { driver, imageLayers: lowerDirs, layersSharedByTwoContainers: shared },
  );
}

export function judgeCopyOnWrite(o: IsolationObservation): ClaimResult {
  const { upper, copiedUp, originalUntouched, otherContainerSees, layersReadable } = o.copyOnWrite;
  if (layersReadable === false) {
    const observed = { copiedUpTo: upper, otherContainerSees };
    return { id: 'docker.unionfs.copy-on-write', verdict: 'unverifiable', summary: `The engine's layer directories (${upper}) are not on this machine's filesystem, so neither the copy-up nor the image layer's copy could be read; the other container sees "${otherContainerSees}".`, summaryZh: `引擎的镜像层目录（${upper}）不在本机文件系统上，既读不到复制到可写层的文件，也读不到镜像层中的原文件；另一个容器看到的是“${otherContainerSees}”。`, observed, evidence: [] };
  }
  return confirmedIf(
    'docker.unionfs.copy-on-write',
    copiedUp && originalUntouched && !otherContainerSees.includes('changed-in-a'),
    { en: "Changing /etc/debian_version in one container copied the file up into that container's writable layer; the image layer's copy, and what the other container sees, stayed as they were.", zh: '在一个容器中修改 /etc/debian_version 时，该文件先被复制到这个容器的可写层（copy-up）；镜像层中的原文件以及另一个容器看到的内容都保持不变。' },
    { en: `After the change: copied up into the writable layer: ${copiedUp}; image layer's copy untouched: ${originalUntouched}; the other container sees "${otherContainerSees}".`, zh: `修改之后：复制到可写层：${copiedUp}；镜像层中的原文件未变：${originalUntouched}；另一个容器看到的是“${otherContainerSees}”。` },
    { copiedUpTo: upper, originalUntouched, otherContainerSees },
  );
}

/** The CPU quota of the busy loop, in CPUs (`--cpus`), how long it runs before its cpu.stat is read, and how long it stays paused and then resumed. */
const CPU_QUOTA = 0.2;
const CPU_RUN_MS = 3000;
const PAUSE_MS = 1000;
/** pids.max of the fork loop's container (docker-init and python count among them). */
const PIDS_LIMIT = 16;
/** The cpu shares of the two busy loops pinned to CPU 0, and how long their CPU time is compared. */
const SHARES = { heavy: 1024, light: 256 } as const;
const PRIORITY_MS = 3000;
const BUSY_LOOP = ['python3', '-c', 'while True: pass'];
/** Forks 40 children that sleep; counts the forks that fail and the errno's name; prints once, then stays alive. */
const FORK_LOOP = `import errno, os, time
forked, failed, error = 0, 0, ''
for _ in range(40):
    try:
        pid = os.fork()
    except OSError as e:
        failed += 1
        error = errno.errorcode.get(e.errno, str(e.errno))
        continue
    if pid == 0:
        time.sleep(120)
        os._exit(0)
    forked += 1
print(f'forked {forked} failed {failed} error {error}', flush=True)
time.sleep(120)`;

/** A file of a container's cgroup read on the host ('' when it cannot be read). */
function readCgroupFile(dir: string | undefined, file: string): string {
  if (!dir) return '';
  try {
    return readFileSync(`${dir}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** The container's cgroup as the host sees it: CPU accounting, any file of a controller. */
async function cgroupOf(container: Container, version: string) {
  let procCgroup = '';
  try {
    procCgroup = readFileSync(`/proc/${await container.pid()}/cgroup`, 'utf8');
  } catch {
    // The process has gone: every read below comes back empty.
  }
  const dir = (controller: string) => cgroupDir(procCgroup, version, controller);
  return {
    cpu: () => parseCpuStat(version, readCgroupFile(dir('cpu'), 'cpu.stat'), version === 'cgroup v2' ? '' : readCgroupFile(dir('cpuacct'), 'cpuacct.usage')),
    read: (controller: string, file: string) => readCgroupFile(dir(controller), file).trim(),
    freezer: () => (version === 'cgroup v2' ? (readCgroupFile(dir(''), 'cgroup.events').match(/^frozen \d$/m)?.[0] ?? '') : readCgroupFile(dir('freezer'), 'freezer.state').trim()),
  };
}

/** The subdirectories of a host directory ([] when it cannot be read). */
function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

const inodeOf = (path: string) => {
  try {
    return statSync(path).ino;
  } catch {
    return Number.NaN;
  }
};

/** What `container` sees of the cgroups under /sys/fs/cgroup, against its own cgroup as the host sees it. */
async function viewCgroups(container: Container, mode: CgroupNsView['mode'], version: string): Promise<CgroupNsView> {
  const pid = await container.pid();
  const procCgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  const inside = async (script: string) => (await execIn(container.id, ['sh', '-c', script])).stdout;
  const hierarchies = cgroupHierarchies(procCgroup, version).filter((h) => existsSync(`/sys/fs/cgroup/${h.hierarchy}`));
  const at = (hierarchy: string) => `/sys/fs/cgroup${hierarchy ? `/${hierarchy}` : ''}`;
  // Per hierarchy: the inode of /sys/fs/cgroup/<hierarchy> inside, then the cgroups (subdirectories) it lists.
  const listing = parseCgroupListing(await inside(hierarchies.map(({ hierarchy: h }) => `d=${at(h)}; if [ -d "$d" ]; then echo "H ${h} $(stat -c %i "$d")"; find "$d" -mindepth 1 -maxdepth 1 -type d -printf 'D ${h} %f\\n'; else echo "H ${h} -"; fi`).join('\n')));
  // mountinfo: "id parent major:minor root mount-point …": the root of each cgroup mount inside.
  const roots = new Map((await inside('cat /proc/self/mountinfo')).split('\n').map((l) => l.split(' ')).filter((f) => f.length > 4).map((f) => [f[4]!, f[3]!] as const));
  return {
    mode,
    namespace: { host: readlinkSync('/proc/self/ns/cgroup'), container: readlinkSync(`/proc/${pid}/ns/cgroup`) },
    procSelfCgroup: (await inside('cat /proc/self/cgroup')).trim(),
    lsInside: (await inside(version === 'cgroup v2' ? 'ls /sys/fs/cgroup | head' : 'ls /sys/fs/cgroup/memory | head')).trim(),
    hierarchies: hierarchies.map(({ hierarchy, path }) => {
      const hostDir = `${at(hierarchy)}${path === '/' ? '' : path}`;
      const seen = listing.get(hierarchy);
      return {
        hierarchy,
        hostPath: path,
        inodeOnHost: inodeOf(hostDir),
        inodeInside: seen?.inode ?? Number.NaN,
        dirsInside: seen?.dirs ?? [],
        childrenOnHost: subdirs(hostDir),
        siblingsOnHost: path === '/' ? [] : subdirs(dirname(hostDir)).filter((d) => d !== basename(hostDir)),
        mountRoot: roots.get(at(hierarchy)) ?? '',
      };
    }),
  };
}

export default defineLab({
  id: 'docker-isolation',
  title: 'Container isolation from both sides: namespaces, cgroups, the layered file system',
  topic: 'docker',
  claims: ['docker.isolation.three-pillars', 'docker.ns.pid', 'docker.ns.net', 'docker.ns.mount', 'docker.ns.uts', 'docker.ns.ipc', 'docker.ns.user', 'docker.cgroup.limits', 'docker.cgroup.ns-view', 'docker.unionfs.layers', 'docker.unionfs.copy-on-write'],
  requires: ['root', 'docker'],
  timeLimitMs: 150_000,
  handout: {
    starts: 'Two unprivileged containers of the Python image; one with CAP_SYS_ADMIN added (not privileged), which mount(2) needs to make the mount the lab looks for on the host; one started with --cgroupns=private (and, where that is Docker\'s default, one with --cgroupns=host); then containers limited to 64 MiB of memory, to --cpus 0.2, to --pids-limit 16, and two on CPU 0 with cpu shares 1024 and 256.',
    does: 'Compares namespaces, processes, hostname, interfaces and shared memory inside and out; lists /sys/fs/cgroup with and without a cgroup namespace and compares it with the container\'s cgroup on the host; mounts a tmpfs inside the CAP_SYS_ADMIN container and looks for it on the host; changes an image file; allocates past the memory limit; runs a busy loop past its CPU quota, pauses and resumes it; forks past pids.max; runs two busy loops with different shares on one CPU.',
    observes: "/proc/<pid>/ns links, ps, hostname, ip, ipcs, uid_map, /proc/self/cgroup, /sys/fs/cgroup's inodes and subdirectories inside and on the host, /proc/self/mountinfo inside and on the host, docker inspect, the overlay directories, uname -r, and each limited container's cgroup files from the host (cpu.stat, cpuacct.usage, pids.current, pids.events, the freezer state, cpu shares).",
    zh: {
      title: '从容器内外两侧看隔离：命名空间、cgroups、分层文件系统',
      starts: '两个基于 Python 镜像的非特权容器；一个添加了 CAP_SYS_ADMIN（非特权）的容器，mount(2) 需要这一能力，才能做出实验要在宿主机上查找的挂载；一个以 --cgroupns=private 启动的容器（若这已是 Docker 的默认方式，再加一个以 --cgroupns=host 启动的）；随后是分别限制为 64 MiB 内存、--cpus 0.2、--pids-limit 16 的容器，以及两个在 CPU 0 上、cpu shares 分别为 1024 和 256 的容器。',
      does: '在容器内外分别对比命名空间、进程、主机名、网络接口和共享内存；在有和没有 cgroup 命名空间的容器中列出 /sys/fs/cgroup，并与宿主机上该容器的 cgroup 对照；在 CAP_SYS_ADMIN 容器内挂载一个 tmpfs，并在宿主机上查找它；修改镜像中的一个文件；分配超出内存上限的内存；运行超出 CPU 配额的忙循环，并暂停、恢复它；fork 超过 pids.max；在同一个 CPU 上运行两个 shares 不同的忙循环。',
      observes: '/proc/<pid>/ns 链接、ps、hostname、ip、ipcs、uid_map、/proc/self/cgroup、容器内外 /sys/fs/cgroup 的 inode 和子目录、容器内外的 /proc/self/mountinfo、docker inspect、overlay 目录、uname -r，以及从宿主机读取的各受限容器的 cgroup 文件（cpu.stat、cpuacct.usage、pids.current、pids.events、冻结状态、cpu shares）。',
    },
  },
  needs: {
    services: {
      isoa: { image: 'backend', cmd: ['sleep', 'infinity'] },
      isob: { image: 'backend', cmd: ['sleep', 'infinity'] },
      // CAP_SYS_ADMIN (and no more; not --privileged): mount(2) needs it, and without a mount made inside
      // there is nothing to look for on the host. Docker's default seccomp profile allows mount with it.
      isomnt: { image: 'backend', cmd: ['sleep', 'infinity'], capAdd: ['SYS_ADMIN'] },
    },
  },
  async run(ctx) {
    const image = await ensureImage('backend');
    const { isoa: a, isob: b } = ctx.services;
    const inspectA = await (await docker()).getContainer(a.id).inspect();
    const inspectB = await (await docker()).getContainer(b.id).inspect();
    const pid = inspectA.State.Pid;
    const inA = async (script: string) => (await execIn(a.id, ['sh', '-c', script])).stdout.trim();
    const links = Object.fromEntries(NAMESPACES.map((n) => [n, { host: readlinkSync(`/proc/self/ns/${n}`), container: readlinkSync(`/proc/${pid}/ns/${n}`) }])) as NamespaceLinks;

    ctx.step('looking from inside and outside');
    const psInside = await inA('ps -eo pid=,comm= | head -3');
    const hostnameInside = await inA('hostname');
    const ipInside = await inA('ip -brief address');
    const hostSegments = async () => (await execOutcome('ipcs', ['-m'])).stdout.split('\n').filter((l) => /^0x/.test(l)).length;
    const hostBefore = await hostSegments();
    const shm = await inA('ipcmk -M 4096');
    const shmId = shm.match(/(\d+)/)?.[1] ?? '';
    const ipcsInside = await inA('ipcs -m');
    const shmVisibleOnHost = (await hostSegments()) > hostBefore;
    const uidMap = await inA('cat /proc/self/uid_map');
    const uid = { inside: await inA('id -u'), outside: readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s*(\d+)/m)?.[1] ?? '?' };
    const cgroupInside = await inA('cat /proc/self/cgroup');
    const cgroupVersion = existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'cgroup v2' : 'cgroup v1';
    ctx.environment.cgroups = cgroupVersion;

    ctx.step('the cgroup view with and without a cgroup namespace');
    /** A container started with --cgroupns=<mode>, as it sees /sys/fs/cgroup; what went wrong if it could not be started or read. */
    const cgroupnsView = async (mode: 'private' | 'host'): Promise<CgroupNsView | { error: string }> => {
      try {
        const started = await startContainer(ctx.scope, ctx.runId, { image, name: `iso-cgns-${mode}`, cmd: ['sleep', 'infinity'], cgroupnsMode: mode });
        const view = await viewCgroups(started, mode, cgroupVersion);
        await started.kill().catch(() => undefined);
        return view;
      } catch (error) {
        if (error instanceof Cancelled) throw error;
        return { error: String((error as Error).message ?? error).split('\n')[0]! };
      }
    };
    const cgroupView: CgroupViewObservation = { cgroupVersion, default: await viewCgroups(a, 'default', cgroupVersion), private: await cgroupnsView('private') };
    // Where Docker's default already gives a container its own cgroup namespace (cgroup v2), the view without one needs --cgroupns=host.
    if (cgroupView.default.namespace.container !== cgroupView.default.namespace.host) cgroupView.host = await cgroupnsView('host');

    ctx.step('mounting a tmpfs inside a container with CAP_SYS_ADMIN');
    const mounter = await (await docker()).getContainer(ctx.services.isomnt.id).inspect();
    const mountTag = `labs-mount-${ctx.runId}`.replace(/[^A-Za-z0-9-]/g, '-');
    const mountTarget = `/mnt/${mountTag}`;
    const mounted = await execIn(mounter.Id, ['sh', '-c', `mkdir -p ${mountTarget} && mount -t tmpfs -o size=1m ${mountTag} ${mountTarget}`], undefined, 'root');
    const mountinfoInside = (await execIn(mounter.Id, ['cat', '/proc/self/mountinfo'])).stdout;
    const mount: MountObservation = {
      capAdd: (mounter.HostConfig.CapAdd as string[] | null) ?? [],
      appArmorProfile: mounter.AppArmorProfile ?? '',
      securityOpt: (mounter.HostConfig.SecurityOpt as string[] | null) ?? [],
      namespace: { host: readlinkSync('/proc/self/ns/mnt'), container: readlinkSync(`/proc/${mounter.State.Pid}/ns/mnt`) },
      target: mountTarget,
      source: mountTag,
      exitCode: mounted.exitCode,
      error: mounted.stderr.trim(),
      lineInside: mountinfoMatches(mountinfoInside, mountTarget, mountTag)[0] ?? '',
      // Read after the mount: the host's table, as this lab's process (in the host's mount namespace) sees it.
      linesOnHost: mountinfoMatches(readFileSync('/proc/self/mountinfo', 'utf8'), mountTarget, mountTag),
    };
    const kernelInside = await inA('uname -r');
    const rootFs = await inA("awk '$2 == \"/\" {print $3}' /proc/mounts");

    ctx.step('changing a file from the image');
    const graph = inspectA.GraphDriver as { Name: string; Data: Record<string, string> };
    const graphB = inspectB.GraphDriver as { Name: string; Data: Record<string, string> };
    await execIn(a.id, ['sh', '-c', 'echo changed-in-a >> /etc/debian_version'], undefined, 'root');
    const upper = `${graph.Data.UpperDir}/etc/debian_version`;
    // The first lower directory is the container's own "-init" layer (its /etc/hosts and the like).
    const lowerDirs = (graph.Data.LowerDir ?? '').split(':').filter((d) => !d.includes('-init/'));
    const original = lowerDirs.map((d) => `${d}/etc/debian_version`).find(existsSync);
    const copiedUp = existsSync(upper) && readFileSync(upper, 'utf8').includes('changed-in-a');
    const originalUntouched = !!original && !readFileSync(original, 'utf8').includes('changed-in-a');
    const inB = (await execIn(b.id, ['cat', '/etc/debian_version'])).stdout.trim();
    const sharedLayers = lowerDirs.filter((d) => (graphB.Data.LowerDir ?? '').split(':').includes(d)).length;

    ctx.step('allocating past a 64 MiB memory limit');
    const limited = await startContainer(ctx.scope, ctx.runId, { image, name: 'iso-mem', cmd: ['python3', '-c', "b = bytearray(256 * 1024 * 1024); print('allocated')"], memoryBytes: 64 * 1024 * 1024 });
    const waited = (await (await docker()).getContainer(limited.id).wait()) as { StatusCode: number };
    const state = (await (await docker()).getContainer(limited.id).inspect()).State;

    ctx.step(`a busy loop under --cpus ${CPU_QUOTA}, then paused and resumed`);
    const busy = await startContainer(ctx.scope, ctx.runId, { image, name: 'iso-cpu', cmd: BUSY_LOOP, cpus: CPU_QUOTA });
    const busyCgroup = await cgroupOf(busy, cgroupVersion);
    const ranFrom = performance.now();
    await sleep(CPU_RUN_MS);
    const throttled = busyCgroup.cpu();
    const ranMs = Math.round(performance.now() - ranFrom);
    const busyRunning = await busy.running();
    await busy.pause();
    const freezer = busyCgroup.freezer();
    const pausedFrom = { usec: busyCgroup.cpu().usageUsec, at: performance.now() };
    await sleep(PAUSE_MS);
    const pausedTo = { usec: busyCgroup.cpu().usageUsec, at: performance.now() };
    await busy.unpause();
    const resumedFrom = { usec: busyCgroup.cpu().usageUsec, at: performance.now() };
    await sleep(PAUSE_MS);
    const resumedTo = { usec: busyCgroup.cpu().usageUsec, at: performance.now() };
    const resumedRunning = await busy.running();
    await busy.kill().catch(() => undefined);

    ctx.step(`a fork loop under --pids-limit ${PIDS_LIMIT}`);
    const forker = await startContainer(ctx.scope, ctx.runId, { image, name: 'iso-pids', cmd: ['python3', '-c', FORK_LOOP], pidsLimit: PIDS_LIMIT });
    await until(async () => /forked \d+/.test(await forker.logs()), 20_000, 'the fork loop to report').catch(() => undefined);
    const forkOutput = (await forker.logs()).trim();
    const forkReport = forkOutput.match(/forked (\d+) failed (\d+) error (\w*)/);
    const forkerCgroup = await cgroupOf(forker, cgroupVersion);
    const pidsCurrent = Number(forkerCgroup.read('pids', 'pids.current') || Number.NaN);
    const pidsMaxEvents = Number(forkerCgroup.read('pids', 'pids.events').match(/^max (\d+)$/m)?.[1] ?? Number.NaN);
    const forkerRunning = await forker.running();
    await forker.kill().catch(() => undefined);

    ctx.step(`two busy loops on CPU 0 with cpu shares ${SHARES.heavy} and ${SHARES.light}`);
    const heavy = await startContainer(ctx.scope, ctx.runId, { image, name: 'iso-heavy', cmd: BUSY_LOOP, cpuShares: SHARES.heavy, cpusetCpus: '0' });
    const light = await startContainer(ctx.scope, ctx.runId, { image, name: 'iso-light', cmd: BUSY_LOOP, cpuShares: SHARES.light, cpusetCpus: '0' });
    const heavyCgroup = await cgroupOf(heavy, cgroupVersion);
    const lightCgroup = await cgroupOf(light, cgroupVersion);
    const sharesFile = cgroupVersion === 'cgroup v2' ? 'cpu.weight' : 'cpu.shares';
    const sharesDir = cgroupVersion === 'cgroup v2' ? '' : 'cpu';
    const comparedFrom = { heavy: heavyCgroup.cpu().usageUsec, light: lightCgroup.cpu().usageUsec, at: performance.now() };
    await sleep(PRIORITY_MS);
    const comparedTo = { heavy: heavyCgroup.cpu().usageUsec, light: lightCgroup.cpu().usageUsec, at: performance.now() };
    const priority: IsolationObservation['priority'] = {
      heavy: { shares: SHARES.heavy, setting: `${sharesFile}=${heavyCgroup.read(sharesDir, sharesFile)}`, usageDeltaUsec: comparedTo.heavy - comparedFrom.heavy },
      light: { shares: SHARES.light, setting: `${sharesFile}=${lightCgroup.read(sharesDir, sharesFile)}`, usageDeltaUsec: comparedTo.light - comparedFrom.light },
      overMs: Math.round(comparedTo.at - comparedFrom.at),
    };
    await heavy.kill().catch(() => undefined);
    await light.kill().catch(() => undefined);

    const observation: IsolationObservation = {
      links,
      containerPid: pid,
      kernel: { host: release(), inside: kernelInside },
      rootFs,
      psInside,
      hostname: { host: hostname(), inside: hostnameInside },
      ipInside,
      shm: { id: shmId, ipcsInside, visibleOnHost: shmVisibleOnHost },
      memory: { limitBytes: 64 * 1024 * 1024, exitCode: waited.StatusCode, oomKilled: state.OOMKilled === true },
      layers: { driver: graph.Name, lowerDirs: lowerDirs.length, sharedWithOtherContainer: sharedLayers },
      copyOnWrite: { upper, copiedUp, originalUntouched, otherContainerSees: inB, layersReadable: existsSync(graph.Data.UpperDir ?? '') },
      user: { uidMap, uidInside: uid.inside, uidOnHost: uid.outside },
      cpu: {
        cpus: CPU_QUOTA,
        ranMs,
        running: busyRunning,
        ...throttled,
        paused: { state: freezer, usageDeltaUsec: pausedTo.usec - pausedFrom.usec, overMs: Math.round(pausedTo.at - pausedFrom.at) },
        resumed: { running: resumedRunning, usageDeltaUsec: resumedTo.usec - resumedFrom.usec, overMs: Math.round(resumedTo.at - resumedFrom.at) },
      },
      pids: {
        limit: PIDS_LIMIT,
        output: forkOutput,
        forked: Number(forkReport?.[1] ?? Number.NaN),
        failed: Number(forkReport?.[2] ?? Number.NaN),
        error: forkReport?.[3] ?? '',
        running: forkerRunning,
        current: pidsCurrent,
        maxEvents: pidsMaxEvents,
      },
      priority,
      cgroupView,
      mount,
    };
    const kept = keptJson(ctx, 'isolation.json', { ...observation, uidMap, uid, cgroupInside, cgroupVersion }, 'both sides of the container: namespace links, commands\' output, the memory limit, the layers (JSON)');
    return [
      withEvidence(judgeThreePillars(observation), ...kept),
      judgePidNamespace(observation),
      judgeNetNamespace(observation),
      judgeMountNamespace(observation),
      judgeUtsNamespace(observation),
      judgeIpcNamespace(observation),
      judgeUserNamespace(links, uidMap, uid),
      judgeMemoryLimit(observation),
      judgeCgroupView(cgroupView),
      judgeLayers(observation),
      judgeCopyOnWrite(observation),
    ];
  },
});
