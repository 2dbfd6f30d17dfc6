/**
 * docker.cgroup.limits and docker.isolation.three-pillars as the sheet states them: cgroups limit, prioritise,
 * account, pause/resume "or kill processes that exceed a resource limit", and the three mechanisms give "a high
 * degree of isolation and security". No captured isolation.json is among the fixtures yet, so the observation
 * below is written out by hand in the shape the lab's run() records (a cgroup v1 host, Docker 20.10, the lab's
 * uid map and namespace links); the cpu, pids, priority and user fields are the ones this change adds. Altered
 * copies give the other verdicts. The cgroup file parsers are tested on the files' real formats.
 */
import { describe, expect, it } from 'vitest';
import { cgroupDir, judgeMemoryLimit, judgeThreePillars, NAMESPACES, parseCpuStat, type IsolationObservation, type NamespaceLinks } from '../../labs/docker/isolation.lab.ts';

// Namespace links as the lab reads them on a Docker host without userns-remap: user and cgroup shared.
const links = Object.fromEntries(
  NAMESPACES.map((n, i) => [n, { host: `${n}:[40265318${30 + i}]`, container: n === 'user' || n === 'cgroup' ? `${n}:[40265318${30 + i}]` : `${n}:[40265329${10 + i}]` }]),
) as NamespaceLinks;

const observation: IsolationObservation = {
  links,
  containerPid: 81234,
  kernel: { host: '6.18.44-fc-v657', inside: '6.18.44-fc-v657' },
  rootFs: 'overlay',
  psInside: '1 docker-init\n7 sleep',
  hostname: { host: 'lab-host', inside: '3f2a1c9d0b7e' },
  ipInside: 'lo UNKNOWN 127.0.0.1/8\neth0@if12 UP 172.17.0.3/16',
  shm: { id: '0', ipcsInside: '0x1b2c3d4e 0 root 644 4096 0', visibleOnHost: false },
  memory: { limitBytes: 64 * 1024 * 1024, exitCode: 137, oomKilled: true },
  layers: { driver: 'overlay2', lowerDirs: 9, sharedWithOtherContainer: 9 },
  copyOnWrite: { upper: '/var/lib/docker/overlay2/abc/diff/etc/debian_version', copiedUp: true, originalUntouched: true, otherContainerSees: '12.5' },
  user: { uidMap: '         0          0 4294967295', uidInside: '0', uidOnHost: '0' },
  cpu: {
    cpus: 0.2,
    ranMs: 3004,
    running: true,
    usageUsec: 600_412,
    nrPeriods: 30,
    nrThrottled: 29,
    throttledUsec: 2_381_551,
    paused: { state: 'FROZEN', usageDeltaUsec: 0, overMs: 1001 },
    resumed: { running: true, usageDeltaUsec: 200_117, overMs: 1002 },
  },
  pids: { limit: 16, output: 'forked 14 failed 26 error EAGAIN', forked: 14, failed: 26, error: 'EAGAIN', running: true, current: 16, maxEvents: 26 },
  priority: { heavy: { shares: 1024, setting: 'cpu.shares=1024', usageDeltaUsec: 2_398_004 }, light: { shares: 256, setting: 'cpu.shares=256', usageDeltaUsec: 601_220 }, overMs: 3001 },
};
const altered = (change: (o: IsolationObservation) => void) => {
  const copy = structuredClone(observation);
  change(copy);
  return copy;
};

describe('docker.cgroup.limits: limit, prioritise, account, pause/resume, or kill', () => {
  it('is nuanced when only the memory limit kills: the throttled busy loop and the fork loop at pids.max stay alive', () => {
    const result = judgeMemoryLimit(observation);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ cpu: { nrThrottled: 29, stillRunning: true }, pids: { failed: 26, error: 'EAGAIN', stillRunning: true }, memory: { oomKilled: true, exitCode: 137 } });
    expect(result.summary).toContain('only the memory limit killed');
    expect(result.summary).toContain('29 of 30 periods');
    expect(result.summaryZh).toContain('只有内存限制杀掉了进程');
  });

  it('is confirmed only if every limit exceeded killed its process', () => {
    const allKill = altered((o) => ((o.cpu.running = false), (o.pids.running = false)));
    expect(judgeMemoryLimit(allKill).verdict).toBe('confirmed');
  });

  it('is refuted when no limit killed, even the memory limit', () => {
    const noneKill = altered((o) => ((o.memory.oomKilled = false), (o.memory.exitCode = 0)));
    expect(judgeMemoryLimit(noneKill).verdict).toBe('refuted');
  });

  it('is refuted when a claimed function failed: no throttling, no failed fork, shares without effect, no freeze', () => {
    expect(judgeMemoryLimit(altered((o) => (o.cpu.nrThrottled = 0))).summary).toContain('never throttled');
    expect(judgeMemoryLimit(altered((o) => ((o.pids.failed = 0), (o.pids.forked = 40)))).verdict).toBe('refuted');
    expect(judgeMemoryLimit(altered((o) => (o.priority.light.usageDeltaUsec = 1_500_000))).verdict).toBe('refuted');
    expect(judgeMemoryLimit(altered((o) => ((o.cpu.paused.state = 'THAWED'), (o.cpu.paused.usageDeltaUsec = 199_000)))).verdict).toBe('refuted');
  });

  it('is unverifiable when a cgroup file was not read (NaN in the lab, null once kept as JSON)', () => {
    const unread = altered((o) => (o.cpu.nrThrottled = Number.NaN));
    expect(judgeMemoryLimit(unread)).toMatchObject({ verdict: 'unverifiable' });
    expect(judgeMemoryLimit(unread).summary).toContain('cpu.stat');
    const noFork = altered((o) => ((o.pids.forked = null as unknown as number), (o.pids.failed = null as unknown as number)));
    expect(judgeMemoryLimit(noFork).summary).toContain("fork loop's report");
  });
});

describe('docker.isolation.three-pillars: a high degree of isolation and security', () => {
  it('is nuanced with no user namespace and an identity uid map: root inside is root on the host, on the same kernel', () => {
    const result = judgeThreePillars(observation);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ separateUserNamespace: false, uidMap: '0 0 4294967295', uidInside: '0', uidOnHost: '0', kernelInside: '6.18.44-fc-v657' });
    expect(result.summary).toContain('root inside is root on the host');
    expect(result.summaryZh).toContain('容器里的 root 就是宿主机上的 root');
  });

  it('is confirmed with a user namespace of its own that maps root inside to an unprivileged uid', () => {
    const remapped = altered((o) => {
      o.links.user.container = 'user:[4026532999]';
      o.user = { uidMap: '0 100000 65536', uidInside: '0', uidOnHost: '100000' };
    });
    expect(judgeThreePillars(remapped).verdict).toBe('confirmed');
  });

  it('is refuted when a mechanism is missing (no overlay root), and unverifiable when the uid on the host was not read', () => {
    expect(judgeThreePillars(altered((o) => (o.rootFs = 'ext4'))).verdict).toBe('refuted');
    expect(judgeThreePillars(altered((o) => (o.user.uidOnHost = '?'))).verdict).toBe('unverifiable');
  });
});

describe('reading a container\'s cgroup from the host', () => {
  const v1 = '9:name=systemd:/docker/e6086a1ab1fc\n8:pids:/docker/e6086a1ab1fc\n6:freezer:/docker/e6086a1ab1fc\n2:cpuacct:/docker/e6086a1ab1fc\n1:cpu:/docker/e6086a1ab1fc\n0::/docker/e6086a1ab1fc\n';
  it('finds each controller\'s directory on cgroup v1 and the one directory on v2', () => {
    expect(cgroupDir(v1, 'cgroup v1', 'cpu')).toBe('/sys/fs/cgroup/cpu/docker/e6086a1ab1fc');
    expect(cgroupDir(v1, 'cgroup v1', 'freezer')).toBe('/sys/fs/cgroup/freezer/docker/e6086a1ab1fc');
    expect(cgroupDir('0::/system.slice/docker-e6086a1ab1fc.scope\n', 'cgroup v2', 'pids')).toBe('/sys/fs/cgroup/system.slice/docker-e6086a1ab1fc.scope');
    expect(cgroupDir('', 'cgroup v1', 'cpu')).toBeUndefined();
  });

  it('normalises cpu.stat to microseconds: v1 throttled_time and cpuacct.usage are in ns', () => {
    expect(parseCpuStat('cgroup v1', 'nr_periods 30\nnr_throttled 29\nthrottled_time 2381551000\nnr_bursts 0\nburst_time 0\n', '600412345\n')).toEqual({ usageUsec: 600_412, nrPeriods: 30, nrThrottled: 29, throttledUsec: 2_381_551 });
    expect(parseCpuStat('cgroup v2', 'usage_usec 600412\nuser_usec 600000\nsystem_usec 412\nnr_periods 30\nnr_throttled 29\nthrottled_usec 2381551\n')).toEqual({ usageUsec: 600_412, nrPeriods: 30, nrThrottled: 29, throttledUsec: 2_381_551 });
    expect(parseCpuStat('cgroup v1', '', '').nrThrottled).toBeNaN();
  });
});
