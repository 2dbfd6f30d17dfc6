/**
 * docker.cgroup.ns-view ("With a cgroup namespace, /sys/fs/cgroup inside a container shows only its own cgroup") and
 * docker.ns.mount ("Mounts inside a container do not affect the host"), judged on the new observations of
 * docker-isolation: /sys/fs/cgroup listed inside a container started with --cgroupns=private and inside the default
 * one, each hierarchy compared (inode, subdirectories) with the container's cgroup as the host sees it; and a tmpfs
 * mounted inside a container given CAP_SYS_ADMIN, looked for in the host's /proc/self/mountinfo.
 *
 * The sample is the isolation.json of a real run (test/fixtures/docker-isolation-observation.json.gz: a cgroup v1 host,
 * Linux 6.18, its default container 6bb31f9aeeea in the host's cgroup namespace cgroup:[4026531835], reading
 * /proc/self/cgroup as "9:name=systemd:/docker/6bb31f9aeeea…", the --cgroupns=private one 62e2bf572b68 in
 * cgroup:[4026533049]; the tmpfs labs-mount-5d81b9bc absent from the host's table). Altered copies give the other verdicts.
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

const DEFAULT_ID = '6bb31f9aeeea11fd9fbbe5524742508a287d259d8aaba6ae35c9b5eb9316221b';

const { real, altered } = realSample<Kept>('docker-isolation-observation.json.gz');
const view = (o: Kept, which: 'default' | 'private') => o.cgroupView[which] as CgroupNsView;
/** What a fresh cgroup mount in the host's cgroup namespace shows: the hierarchy's root, with the host's top-level cgroups. */
const hostTree = (h: CgroupHierarchyView) => ((h.inodeInside = 1), (h.dirsInside = ['docker', 'system.slice', 'user.slice', 'init.scope']), (h.mountRoot = '/'));

describe('docker.cgroup.ns-view: with a cgroup namespace, /sys/fs/cgroup shows only the container\'s own cgroup', () => {
  it('is nuanced on the real cgroup v1 run: it holds with the namespace, and just as well without it (its own directory is mounted there)', () => {
    const result = judgeCgroupView(real.cgroupView);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({
      cgroupVersion: 'cgroup v1',
      withNamespace: { mode: 'private', separateCgroupNamespace: true, procSelfCgroup: '9:name=systemd:/', hierarchies: { memory: { ownCgroupOnly: true, mountRoot: '/', dirsInside: 0, siblingsOnHost: 3 } } },
      withoutNamespace: { mode: 'default', separateCgroupNamespace: false, procSelfCgroup: '9:name=systemd:/docker/6bb31f9aeeea…', hierarchies: { memory: { ownCgroupOnly: true, mountRoot: '/docker/6bb31f9aeeea…' } } },
    });
    expect(result.summary).toContain('9 of the 9 hierarchies');
    expect(result.summary).toContain('/sys/fs/cgroup/memory inside was the host\'s /sys/fs/cgroup/memory/docker/62e2bf572b68… (inode 492692 on both sides; mount root /)');
    expect(result.summary).toContain('But the namespace is not what does it');
    expect(result.summary).toContain('mount root /docker/6bb31f9aeeea…, inode 492626 on both sides');
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
    expect(result.summary).toContain('/sys/fs/cgroup/memory was inode 1 (its own cgroup /docker/62e2bf572b68… is 492692 on the host)');
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
    expect(cgroupHierarchies(real.cgroupInside, 'cgroup v1').map((h) => h.hierarchy)).toEqual(['systemd', 'pids', 'blkio', 'freezer', 'devices', 'memory', 'cpuset', 'cpuacct', 'cpu']);
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
    expect(result.summary).toContain('A container with CAP_SYS_ADMIN added (not privileged) mounted a tmpfs at /mnt/labs-mount-5d81b9bc');
    expect(result.summary).toContain('(mnt:[4026532253]; the host\'s is mnt:[4026531832])');
    expect(result.summaryZh).toContain('这个挂载只留在容器自己的挂载命名空间');
  });

  it('is refuted when the mount shows up in the host\'s table', () => {
    const leaked = '812 29 0:88 / /var/lib/docker/overlay2/bd19441fc586/merged/mnt/labs-mount-5d81b9bc rw,relatime shared:400 - tmpfs labs-mount-5d81b9bc rw,size=1024k';
    const result = judgeMountNamespace(altered((o) => (o.mount.linesOnHost = [leaked])));
    expect(result.verdict).toBe('refuted');
    expect(result.summary).toContain(leaked);
  });

  it('is unverifiable when no mount could be made, naming the error and the security profile', () => {
    const denied = altered((o) => {
      o.mount.exitCode = 32;
      o.mount.error = 'mount: /mnt/labs-mount-5d81b9bc: permission denied.';
      o.mount.lineInside = '';
      o.mount.appArmorProfile = 'docker-default';
    });
    const result = judgeMountNamespace(denied);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('mount exited 32: mount: /mnt/labs-mount-5d81b9bc: permission denied.');
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
      '812 29 0:88 / /var/lib/docker/overlay2/x/merged/mnt/labs-mount-5d81b9bc rw - tmpfs labs-mount-5d81b9bc rw',
      '813 29 0:89 / /elsewhere rw - tmpfs labs-mount-5d81b9bc rw',
    ].join('\n');
    expect(mountinfoMatches(table, '/mnt/labs-mount-5d81b9bc', 'labs-mount-5d81b9bc')).toHaveLength(2);
    expect(mountinfoMatches(table, '/mnt/other', 'other')).toEqual([]);
  });
});
