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
      confirmedIf('docker.isolation.three-pillars', kernelInside === release() && separate('pid') && separate('net') && rootFs === 'overlay', `The container ran on the host's own kernel (${kernelInside}) inside separate namespaces, on an ${rootFs} root file system, under cgroup limits: isolation without a kernel of its own.`, `Kernel ${kernelInside}, root ${rootFs}.`, { kernelHost: release(), kernelInside, rootFs }, [ns]),
      confirmedIf('docker.ns.pid', separate('pid') && /^1\s/.test(psInside), `Inside, numbering starts again at 1 (${psInside.split('\n')[0]?.trim()}, Docker's init, then the command); on the host that PID 1 is PID ${pid}.`, `ps inside: ${psInside}.`, { psInside: psInside.split('\n'), hostPidOfContainerPid1: pid }, [ns]),
      confirmedIf('docker.ns.net', separate('net') && /eth0/.test(ipInside), `The container has its own network namespace and interfaces (${ipInside.replace(/\n/g, '; ')}).`, `ip inside: ${ipInside}.`, { ipInside: ipInside.split('\n') }, [ns]),
      confirmedIf('docker.ns.mount', separate('mnt') && rootFs === 'overlay', `The container has its own mount namespace: its / is an overlay mount the host's table does not have as /.`, `Mounts: ${rootFs}.`, { rootFs }, [ns]),
      confirmedIf('docker.ns.uts', separate('uts') && hostnameInside !== uts, `Inside the hostname is ${hostnameInside}; the host's is ${uts}.`, `Hostnames ${hostnameInside} / ${uts}.`, { hostnameInside, hostnameHost: uts }, [ns]),
      confirmedIf('docker.ns.ipc', separate('ipc') && shmId !== '' && ipcsInside.split('\n').some((l) => /^0x/.test(l)) && !shmVisibleOnHost, `A shared memory segment created inside (id ${shmId}) is listed by ipcs inside and not on the host.`, `Segment ${shmId}: visible on host ${shmVisibleOnHost}.`, { segment: shmId, visibleOnHost: shmVisibleOnHost }, [ns]),
      judgeUserNamespace(links, uidMap, uid),
      confirmedIf('docker.cgroup.limits', state.OOMKilled === true && waited.StatusCode === 137, `Allocating 256 MiB under a 64 MiB limit got the process killed by the kernel's OOM killer (OOMKilled=${state.OOMKilled}, exit ${waited.StatusCode}).`, `Under the limit: exit ${waited.StatusCode}, OOMKilled ${state.OOMKilled}.`, { memoryLimitBytes: 64 * 1024 * 1024, exitCode: waited.StatusCode, oomKilled: state.OOMKilled }),
      judgeCgroupView(links, cgroupInside, cgroupVersion),
      confirmedIf('docker.unionfs.layers', graph.Name === 'overlay2' && lowerDirs.length > 1 && sharedLayers === lowerDirs.length, `Each container's root is an overlay of ${lowerDirs.length} read-only image layers, all ${sharedLayers} of them the same directories for both containers, under a writable layer of its own.`, `Layers: ${JSON.stringify({ driver: graph.Name, lowerDirs: lowerDirs.length, sharedLayers })}.`, { driver: graph.Name, imageLayers: lowerDirs.length, layersSharedByTwoContainers: sharedLayers }),
      confirmedIf('docker.unionfs.copy-on-write', copiedUp && originalUntouched && !inB.includes('changed-in-a'), 'Changing /etc/debian_version in one container copied the file up into that container\'s writable layer; the image layer\'s copy, and what the other container sees, stayed as they were.', `Copy-up: ${JSON.stringify({ copiedUp, originalUntouched })}.`, { copiedUpTo: upper, originalUntouched, otherContainerSees: inB }),
    ];
  },
});
