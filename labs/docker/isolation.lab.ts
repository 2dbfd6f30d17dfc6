/**
 * Lab: what isolates a Docker container, compared from both sides: namespaces, cgroups and the
 * layered file system.
 *
 * Starts: two containers of the project's Python image (unprivileged, no capability added), one of
 * them with a 64 MiB memory limit.
 *
 * Does: reads each namespace link (/proc/<pid>/ns/*) of the container's process and of this lab's
 * own process; looks at process ids, hostname, interfaces and a System V shared memory segment from
 * inside and outside; reads the user id map and /proc/self/cgroup; changes a file that comes from
 * the image and finds where the change landed on the host; allocates past the memory limit.
 *
 * Observes: namespace inode numbers, ps/hostname/ip/ipcs output on both sides, docker inspect
 * (GraphDriver directories, OOMKilled, exit code), files in the overlay directories, uname -r.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { defineLab } from '../../src/core/lab.ts';
import { confirmedIf } from '../../src/core/verdict.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { startContainer } from '../../src/resources/container.ts';
import { docker, execIn } from '../../src/resources/docker.ts';
import { ensureImage } from '../../src/resources/images.ts';
import { execOutcome } from '../../src/resources/process.ts';

export const NAMESPACES = ['pid', 'net', 'mnt', 'uts', 'ipc', 'user', 'cgroup'] as const;
export type NamespaceLinks = Record<(typeof NAMESPACES)[number], { host: string; container: string }>;

const nsTable = (links: NamespaceLinks): Evidence => ({
  kind: 'table',
  title: 'Namespace links: this lab\'s process against the container\'s (readlink /proc/<pid>/ns/*)',
  columns: ['namespace', 'host', 'container', 'separate'],
  rows: NAMESPACES.map((n) => [n, links[n].host, links[n].container, links[n].host !== links[n].container ? 'yes' : 'no']),
});

export function judgeUserNamespace(links: NamespaceLinks, uidMap: string, uid: { inside: string; outside: string }): ClaimResult {
  const separate = links.user.host !== links.user.container;
  const identity = /^0\s+0\s+4294967295$/.test(uidMap.trim());
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

export function judgeCgroupView(links: NamespaceLinks, cgroupInside: string, cgroupVersion: string): ClaimResult {
  const separate = links.cgroup.host !== links.cgroup.container;
  const showsHostPath = /docker[/-]/.test(cgroupInside);
  const observed = { cgroupVersion, separateCgroupNamespace: separate, procSelfCgroup: cgroupInside.split('\n').slice(0, 4) };
  return {
    id: 'docker.cgroup.ns-view',
    verdict: separate && !showsHostPath ? 'confirmed' : 'nuanced',
    summary:
      separate && !showsHostPath
        ? 'The container has its own cgroup namespace and sees its own cgroup as the root (/).'
        : `On this ${cgroupVersion} host the container shares the host's cgroup namespace and /proc/self/cgroup shows its place in the host's tree (${observed.procSelfCgroup[0]}); Docker makes the cgroup namespace private by default only on cgroup v2 hosts.`,
    summaryZh:
      separate && !showsHostPath
        ? '容器拥有自己的 cgroup 命名空间，并把自己所在的 cgroup 视为根（/）。'
        : `在这台 ${cgroupVersion} 宿主机上，容器与宿主机共用 cgroup 命名空间，/proc/self/cgroup 显示的是它在宿主机 cgroup 树中的位置（${observed.procSelfCgroup[0]}）；Docker 只在 cgroup v2 宿主机上才默认让容器使用私有的 cgroup 命名空间。`,
    observed,
    evidence: [nsTable(links), { kind: 'command', title: 'Inside the container', command: 'cat /proc/self/cgroup', output: cgroupInside }],
  };
}

export default defineLab({
  id: 'docker-isolation',
  title: 'Container isolation from both sides: namespaces, cgroups, the layered file system',
  topic: 'docker',
  claims: ['docker.isolation.three-pillars', 'docker.ns.pid', 'docker.ns.net', 'docker.ns.mount', 'docker.ns.uts', 'docker.ns.ipc', 'docker.ns.user', 'docker.cgroup.limits', 'docker.cgroup.ns-view', 'docker.unionfs.layers', 'docker.unionfs.copy-on-write'],
  requires: ['root', 'docker'],
  timeLimitMs: 90_000,
  handout: {
    starts: 'Two unprivileged containers of the Python image, one limited to 64 MiB of memory.',
    does: 'Compares namespaces, processes, hostname, interfaces and shared memory inside and out; changes an image file; allocates past the memory limit.',
    observes: '/proc/<pid>/ns links, ps, hostname, ip, ipcs, uid_map, /proc/self/cgroup, docker inspect, the overlay directories, uname -r.',
    zh: {
      title: '从容器内外两侧看隔离：命名空间、cgroups、分层文件系统',
      starts: '两个基于 Python 镜像的非特权容器，其中一个内存限制为 64 MiB。',
      does: '在容器内外分别对比命名空间、进程、主机名、网络接口和共享内存；修改镜像中的一个文件；分配超出内存上限的内存。',
      observes: '/proc/<pid>/ns 链接、ps、hostname、ip、ipcs、uid_map、/proc/self/cgroup、docker inspect、overlay 目录、uname -r。',
    },
  },
  needs: {
    services: {
      isoa: { image: 'backend', cmd: ['sleep', 'infinity'] },
      isob: { image: 'backend', cmd: ['sleep', 'infinity'] },
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
    const separate = (n: (typeof NAMESPACES)[number]) => links[n].host !== links[n].container;
    const ns = nsTable(links);

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

    const uts = hostname();
    return [
      confirmedIf('docker.isolation.three-pillars', kernelInside === release() && separate('pid') && separate('net') && rootFs === 'overlay', { en: `The container ran on the host's own kernel (${kernelInside}) inside separate namespaces, on an ${rootFs} root file system, under cgroup limits: isolation without a kernel of its own.`, zh: `容器直接运行在宿主机自己的内核（${kernelInside}）上，处于独立的命名空间中，根文件系统为 ${rootFs}，并受 cgroup 限制：实现隔离并不需要自己的内核。` }, { en: `Kernel ${kernelInside}, root ${rootFs}.`, zh: `内核 ${kernelInside}，根文件系统 ${rootFs}。` }, { kernelHost: release(), kernelInside, rootFs }, [ns]),
      confirmedIf('docker.ns.pid', separate('pid') && /^1\s/.test(psInside), { en: `Inside, numbering starts again at 1 (${psInside.split('\n')[0]?.trim()}, Docker's init, then the command); on the host that PID 1 is PID ${pid}.`, zh: `容器内的进程编号从 1 重新开始（${psInside.split('\n')[0]?.trim()}，先是 Docker 的 init，然后才是命令本身）；这个 PID 1 在宿主机上是 PID ${pid}。` }, { en: `ps inside: ${psInside}.`, zh: `容器内的 ps：${psInside}。` }, { psInside: psInside.split('\n'), hostPidOfContainerPid1: pid }, [ns]),
      confirmedIf('docker.ns.net', separate('net') && /eth0/.test(ipInside), { en: `The container has its own network namespace and interfaces (${ipInside.replace(/\n/g, '; ')}).`, zh: `容器拥有自己的网络命名空间和网络接口（${ipInside.replace(/\n/g, '; ')}）。` }, { en: `ip inside: ${ipInside}.`, zh: `容器内的 ip：${ipInside}。` }, { ipInside: ipInside.split('\n') }, [ns]),
      confirmedIf('docker.ns.mount', separate('mnt') && rootFs === 'overlay', { en: `The container has its own mount namespace: its / is an overlay mount the host's table does not have as /.`, zh: `容器拥有自己的挂载命名空间：它的 / 是一个 overlay 挂载，而宿主机挂载表中的 / 并不是它。` }, { en: `Mounts: ${rootFs}.`, zh: `挂载：${rootFs}。` }, { rootFs }, [ns]),
      confirmedIf('docker.ns.uts', separate('uts') && hostnameInside !== uts, { en: `Inside the hostname is ${hostnameInside}; the host's is ${uts}.`, zh: `容器内的主机名是 ${hostnameInside}；宿主机的是 ${uts}。` }, { en: `Hostnames ${hostnameInside} / ${uts}.`, zh: `主机名 ${hostnameInside} / ${uts}。` }, { hostnameInside, hostnameHost: uts }, [ns]),
      confirmedIf('docker.ns.ipc', separate('ipc') && shmId !== '' && ipcsInside.split('\n').some((l) => /^0x/.test(l)) && !shmVisibleOnHost, { en: `A shared memory segment created inside (id ${shmId}) is listed by ipcs inside and not on the host.`, zh: `在容器内创建的共享内存段（id ${shmId}）在容器内能被 ipcs 列出，在宿主机上则看不到。` }, { en: `Segment ${shmId}: visible on host ${shmVisibleOnHost}.`, zh: `共享内存段 ${shmId}：在宿主机上可见为 ${shmVisibleOnHost}。` }, { segment: shmId, visibleOnHost: shmVisibleOnHost }, [ns]),
      judgeUserNamespace(links, uidMap, uid),
      confirmedIf('docker.cgroup.limits', state.OOMKilled === true && waited.StatusCode === 137, { en: `Allocating 256 MiB under a 64 MiB limit got the process killed by the kernel's OOM killer (OOMKilled=${state.OOMKilled}, exit ${waited.StatusCode}).`, zh: `在 64 MiB 的内存限制下分配 256 MiB，进程被内核的 OOM killer 杀掉了（OOMKilled=${state.OOMKilled}，退出码 ${waited.StatusCode}）。` }, { en: `Under the limit: exit ${waited.StatusCode}, OOMKilled ${state.OOMKilled}.`, zh: `受限运行的结果：退出码 ${waited.StatusCode}，OOMKilled ${state.OOMKilled}。` }, { memoryLimitBytes: 64 * 1024 * 1024, exitCode: waited.StatusCode, oomKilled: state.OOMKilled }),
      judgeCgroupView(links, cgroupInside, cgroupVersion),
      confirmedIf('docker.unionfs.layers', graph.Name === 'overlay2' && lowerDirs.length > 1 && sharedLayers === lowerDirs.length, { en: `Each container's root is an overlay of ${lowerDirs.length} read-only image layers, all ${sharedLayers} of them the same directories for both containers, under a writable layer of its own.`, zh: `每个容器的根文件系统都是由 ${lowerDirs.length} 个只读镜像层叠加而成的 overlay，这 ${sharedLayers} 层在两个容器中是完全相同的目录，最上面再各自有一个独立的可写层。` }, { en: `Layers: ${JSON.stringify({ driver: graph.Name, lowerDirs: lowerDirs.length, sharedLayers })}.`, zh: `分层情况：${JSON.stringify({ driver: graph.Name, lowerDirs: lowerDirs.length, sharedLayers })}。` }, { driver: graph.Name, imageLayers: lowerDirs.length, layersSharedByTwoContainers: sharedLayers }),
      confirmedIf('docker.unionfs.copy-on-write', copiedUp && originalUntouched && !inB.includes('changed-in-a'), { en: 'Changing /etc/debian_version in one container copied the file up into that container\'s writable layer; the image layer\'s copy, and what the other container sees, stayed as they were.', zh: '在一个容器中修改 /etc/debian_version 时，该文件先被复制到这个容器的可写层（copy-up）；镜像层中的原文件以及另一个容器看到的内容都保持不变。' }, { en: `Copy-up: ${JSON.stringify({ copiedUp, originalUntouched })}.`, zh: `Copy-up 情况：${JSON.stringify({ copiedUp, originalUntouched })}。` }, { copiedUpTo: upper, originalUntouched, otherContainerSees: inB }),
    ];
  },
});
