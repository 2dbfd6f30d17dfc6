/**
 * docker.cgroup.ns-view ("With a cgroup namespace, /sys/fs/cgroup inside a container shows only its own cgroup") and
 * docker.ns.mount ("Mounts inside a container do not affect the host"), judged on the new observations of
 * docker-isolation: /sys/fs/cgroup listed inside a container started with --cgroupns=private and inside the default
 * one, each hierarchy compared (inode, subdirectories) with the container's cgroup as the host sees it; and a tmpfs
 * mounted inside a container given CAP_SYS_ADMIN, looked for in the host's /proc/self/mountinfo.
 *
 * The base is the isolation.json of a real run (test/fixtures/docker-isolation-observation.json.gz: a cgroup v1 host,
 * Docker 20.10, its default container 7f829c6663dd in the host's cgroup namespace cgroup:[4026531835], reading
 * /proc/self/cgroup as "9:name=systemd:/docker/7f829c…"). That capture predates the two new fields, so this test
 * EXTENDS it with `cgroupView` and `mount`: the default container's view is built from the fixture's own
 * /proc/self/cgroup and namespace links; the numbers (inodes, sibling counts, mount roots, the tmpfs's mountinfo line)
 * are those a manual `docker run --cgroupns=host|private` and `docker run --cap-add SYS_ADMIN … mount -t tmpfs` gave on
 * the same host (the inode of /sys/fs/cgroup/<hierarchy> inside equal to that of the container's directory on the
 * host, no cgroup below it, mount root /docker/<id> without the namespace and / with it; the tmpfs absent from the
 * host's table). The fixture will be recaptured from a real run of the lab. Altered copies give the other verdicts.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import {
  cgroupHierarchies,
  judgeCgroupView,
  judgeMountNamespace,
  mountinfoMatches,
  parseCgroupListing,
  type CgroupHierarchyView,
  type CgroupNsView,
  type IsolationObservation,
} from '../../labs/docker/isolation.lab.ts';

/** The observation as kept by the lab: the judges' observation plus what the cgroup-view judge used to read. */
type Kept = IsolationObservation & { cgroupInside: string; cgroupVersion: string };

const DEFAULT_ID = '7f829c6663dd326cd256d6bb0dd98374e5b35a89da1b2ee991d8609f8cd68b8e';
const PRIVATE_ID = 'cc1190bd733938169ddc4d7a64f8993a9dee639931738eda5b5ec3161ff106ca';
/** Other containers' cgroups beside each container's under /docker on the host (the lab's isob and isomnt among them). */
const SIBLINGS = ['27567b85f2d013c2e39badcb0091b3d2b07b7a401a4b5f5fdf75c6a1e8cd555b', 'cde69b68d1c7204a9eebbacdfd2f73fb95f248df2ee4dc049967152c340f94c7', 'f15de1c97ff5681c5526b7a00be124c318b40808cb7dbe25188f276d6e87ee2b', '43c75ad8f51f1245dee1cf756d2c612b617c5d496343f6947f8a2a4595050575'];
/** The inode of each container's cgroup directory per hierarchy, as stat showed it on both sides. */
const INODES = { default: { systemd: 63633, pids: 114533, blkio: 254521, freezer: 101808, devices: 100259, memory: 449891, cpuset: 229072, cpuacct: 165441, cpu: 178167 }, private: { systemd: 63638, pids: 114542, blkio: 254541, freezer: 101816, devices: 100267, memory: 449924, cpuset: 229090, cpuacct: 165454, cpu: 178181 } } as const;
const LS_MEMORY = 'cgroup.clone_children\ncgroup.event_control\ncgroup.procs\nmemory.failcnt\nmemory.force_empty\nmemory.kmem.failcnt\nmemory.kmem.limit_in_bytes\nmemory.kmem.max_usage_in_bytes\nmemory.kmem.slabinfo\nmemory.kmem.tcp.failcnt';

/** A container's view of its own cgroup in every v1 hierarchy of its host-side /proc/<pid>/cgroup. */
function ownView(procOnHost: string, inodes: Record<string, number>, mountRoot: (path: string) => string, id: string): CgroupHierarchyView[] {
  return cgroupHierarchies(procOnHost, 'cgroup v1').map(({ hierarchy, path }) => ({
    hierarchy,
    hostPath: path,
    inodeOnHost: inodes[hierarchy]!,
    inodeInside: inodes[hierarchy]!,
    dirsInside: [],
    childrenOnHost: [],
    siblingsOnHost: [...SIBLINGS, DEFAULT_ID, PRIVATE_ID].filter((s) => s !== id),
    mountRoot: mountRoot(path),
  }));
}

const { real: captured } = realSample<Kept>('docker-isolation-observation.json.gz');
const privateProcOnHost = captured.cgroupInside.replaceAll(DEFAULT_ID, PRIVATE_ID);
/** The fixture, extended with the two new fields (see the comment at the top). */
const real: Kept = {
  ...captured,
  cgroupView: {
    cgroupVersion: captured.cgroupVersion,
    default: {
      mode: 'default',
      namespace: captured.links.cgroup,
      procSelfCgroup: captured.cgroupInside,
      lsInside: LS_MEMORY,
      hierarchies: ownView(captured.cgroupInside, INODES.default, (path) => path, DEFAULT_ID),
    },
    private: {
      mode: 'private',
      namespace: { host: captured.links.cgroup.host, container: 'cgroup:[4026532708]' },
      procSelfCgroup: captured.cgroupInside.replace(/:\/docker\/[0-9a-f]{64}/g, ':/'),
      lsInside: LS_MEMORY,
      hierarchies: ownView(privateProcOnHost, INODES.private, () => '/', PRIVATE_ID),
    },
  },
  mount: {
    capAdd: ['SYS_ADMIN'],
    appArmorProfile: '',
    securityOpt: [],
    namespace: { host: captured.links.mnt.host, container: 'mnt:[4026532323]' },
    target: '/mnt/labs-mount-cb3d0fd8',
    source: 'labs-mount-cb3d0fd8',
    exitCode: 0,
    error: '',
    lineInside: '151 223 0:88 / /mnt/labs-mount-cb3d0fd8 rw,relatime - tmpfs labs-mount-cb3d0fd8 rw,size=1024k',
    linesOnHost: [],
  },
};
const altered = (change: (copy: Kept) => void): Kept => {
  const copy = structuredClone(real);
  change(copy);
  return copy;
};
const view = (o: Kept, which: 'default' | 'private') => o.cgroupView[which] as CgroupNsView;
/** What a fresh cgroup mount in the host's cgroup namespace shows: the hierarchy's root, with the host's top-level cgroups. */
const hostTree = (h: CgroupHierarchyView) => ((h.inodeInside = 1), (h.dirsInside = ['docker', 'system.slice', 'user.slice', 'init.scope']), (h.mountRoot = '/'));

describe('docker.cgroup.ns-view: with a cgroup namespace, /sys/fs/cgroup shows only the container\'s own cgroup', () => {
  it('is nuanced on the real cgroup v1 run: it holds with the namespace, and just as well without it (its own directory is mounted there)', () => {
    const result = judgeCgroupView(real.cgroupView);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({
      cgroupVersion: 'cgroup v1',
      withNamespace: { mode: 'private', separateCgroupNamespace: true, procSelfCgroup: '9:name=systemd:/', hierarchies: { memory: { ownCgroupOnly: true, mountRoot: '/', dirsInside: 0, siblingsOnHost: 5 } } },
      withoutNamespace: { mode: 'default', separateCgroupNamespace: false, procSelfCgroup: '9:name=systemd:/docker/7f829c6663dd…', hierarchies: { memory: { ownCgroupOnly: true, mountRoot: '/docker/7f829c6663dd…' } } },
    });
    expect(result.summary).toContain('9 of the 9 hierarchies');
    expect(result.summary).toContain('/sys/fs/cgroup/memory inside was the host\'s /sys/fs/cgroup/memory/docker/cc1190bd7339… (inode 449924 on both sides; mount root /)');
    expect(result.summary).toContain('But the namespace is not what does it');
    expect(result.summary).toContain('mount root /docker/7f829c6663dd…, inode 449891 on both sides');
    expect(result.summaryZh).toContain('起作用的并不是命名空间');
    expect(result.evidence.find((e) => e.kind === 'table')).toBeDefined();
  });

  it('is confirmed when, without the namespace, /sys/fs/cgroup shows the host\'s tree (as a fresh cgroup2 mount does under --cgroupns=host)', () => {
    const result = judgeCgroupView(altered((o) => view(o, 'default').hierarchies.forEach(hostTree)).cgroupView);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('Without one, the container Docker started by default');
    expect(result.summary).toContain('listed 4 cgroups not below its own (docker, system.slice, user.slice)');
  });

  it('is confirmed, saying nothing was compared, where the default is private (v2) and the --cgroupns=host container failed', () => {
    const o = altered((c) => {
      view(c, 'default').namespace.container = 'cgroup:[4026532800]';
      c.cgroupView.host = { error: 'cgroup namespaces are not supported' };
    });
    const result = judgeCgroupView(o.cgroupView);
    expect(result.verdict).toBe('confirmed');
    expect(result.summary).toContain('the container started with --cgroupns=host failed (cgroup namespaces are not supported)');
  });

  it('is refuted when, with the namespace, /sys/fs/cgroup shows cgroups beside its own', () => {
    const result = judgeCgroupView(altered((o) => view(o, 'private').hierarchies.forEach(hostTree)).cgroupView);
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain('/sys/fs/cgroup/memory was inode 1 (its own cgroup /docker/cc1190bd7339… is 449924 on the host)');
  });

  it('is nuanced when only some hierarchies show only its own cgroup', () => {
    const result = judgeCgroupView(altered((o) => hostTree(view(o, 'private').hierarchies.find((h) => h.hierarchy === 'pids')!)).cgroupView);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('8 of the 9 hierarchies');
    expect(result.summary).toContain('Only partly, though: /sys/fs/cgroup/pids was inode 1');
  });

  it('is unverifiable when no container with a cgroup namespace of its own was observed, naming why', () => {
    const failed = judgeCgroupView(altered((o) => (o.cgroupView.private = { error: '(HTTP code 400) unexpected - invalid cgroupns mode' })).cgroupView);
    expect(failed.verdict).toBe('unverifiable');
    expect(failed.summary).toContain('starting one with --cgroupns=private failed ((HTTP code 400) unexpected - invalid cgroupns mode)');
    const notCreated = judgeCgroupView(altered((o) => (view(o, 'private').namespace.container = view(o, 'private').namespace.host)).cgroupView);
    expect(notCreated.verdict).toBe('unverifiable');
    expect(notCreated.summary).toContain('was never created');
    // NaN in the lab, null once kept as JSON.
    const unread = judgeCgroupView(altered((o) => view(o, 'private').hierarchies.forEach((h) => (h.inodeInside = null as unknown as number))).cgroupView);
    expect(unread.verdict).toBe('unverifiable');
    expect(unread.summary).toContain('inodes unread');
  });

  it('reads the hierarchies of /proc/<pid>/cgroup (v1: one per controller line, v2: the 0:: line) and the listing run inside', () => {
    expect(cgroupHierarchies(captured.cgroupInside, 'cgroup v1').map((h) => h.hierarchy)).toEqual(['systemd', 'pids', 'blkio', 'freezer', 'devices', 'memory', 'cpuset', 'cpuacct', 'cpu']);
    expect(cgroupHierarchies(`0::/system.slice/docker-${DEFAULT_ID}.scope\n`, 'cgroup v2')).toEqual([{ hierarchy: '', path: `/system.slice/docker-${DEFAULT_ID}.scope` }]);
    const listing = parseCgroupListing('H memory 449924\nH pids -\nH  812\nD  init.scope\nD  system.slice\n');
    expect(listing.get('memory')).toEqual({ inode: 449924, dirs: [] });
    expect(listing.get('pids')?.inode).toBeNaN();
    expect(listing.get('')).toEqual({ inode: 812, dirs: ['init.scope', 'system.slice'] });
  });
});

describe('docker.ns.mount: mounts inside a container do not affect the host', () => {
  it('is confirmed on the real run: the tmpfs is in the container\'s mountinfo and not in the host\'s', () => {
    const result = judgeMountNamespace(real);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ capAdd: ['SYS_ADMIN'], mountExitCode: 0, linesOnHost: [], separateMountNamespace: true, rootFs: 'overlay' });
    expect(result.summary).toContain('A container with CAP_SYS_ADMIN added (not privileged) mounted a tmpfs at /mnt/labs-mount-cb3d0fd8');
    expect(result.summary).toContain('(mnt:[4026532323]; the host\'s is mnt:[4026531832])');
    expect(result.summaryZh).toContain('这个挂载只留在容器自己的挂载命名空间');
  });

  it('is refuted when the mount shows up in the host\'s table', () => {
    const leaked = '812 29 0:88 / /var/lib/docker/overlay2/bd19441fc586/merged/mnt/labs-mount-cb3d0fd8 rw,relatime shared:400 - tmpfs labs-mount-cb3d0fd8 rw,size=1024k';
    const result = judgeMountNamespace(altered((o) => (o.mount.linesOnHost = [leaked])));
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain(leaked);
  });

  it('is unverifiable when no mount could be made, naming the error and the security profile', () => {
    const denied = altered((o) => {
      o.mount.exitCode = 32;
      o.mount.error = 'mount: /mnt/labs-mount-cb3d0fd8: permission denied.';
      o.mount.lineInside = '';
      o.mount.appArmorProfile = 'docker-default';
    });
    const result = judgeMountNamespace(denied);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('mount exited 32: mount: /mnt/labs-mount-cb3d0fd8: permission denied.');
    expect(result.summary).toContain('AppArmor profile docker-default');
    expect(result.summary).toContain("security options none (Docker's default seccomp profile)");
    expect(judgeMountNamespace(altered((o) => (o.mount.lineInside = ''))).summary).toContain('mount exited 0 but no line');
  });

  it('is unverifiable when the container shared the host\'s mount namespace yet the host\'s table lacked the mount', () => {
    expect(judgeMountNamespace(altered((o) => (o.mount.namespace.container = o.mount.namespace.host))).verdict).toBe('unverifiable');
  });

  it('finds a mount in a mountinfo table by its mount point (also under the container\'s merged root) or its source', () => {
    const table = [
      '29 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
      '812 29 0:88 / /var/lib/docker/overlay2/x/merged/mnt/labs-mount-cb3d0fd8 rw - tmpfs labs-mount-cb3d0fd8 rw',
      '813 29 0:89 / /elsewhere rw - tmpfs labs-mount-cb3d0fd8 rw',
    ].join('\n');
    expect(mountinfoMatches(table, '/mnt/labs-mount-cb3d0fd8', 'labs-mount-cb3d0fd8')).toHaveLength(2);
    expect(mountinfoMatches(table, '/mnt/other', 'other')).toEqual([]);
  });
});
