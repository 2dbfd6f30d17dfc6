/**
 * docker.cgroup.limits and docker.isolation.three-pillars as the sheet states them: cgroups limit, prioritise,
 * account, pause/resume "or kill processes that exceed a resource limit", and the three mechanisms give "a high
 * degree of isolation and security". On the isolation.json of a real run of docker-isolation (a cgroup v1 host,
 * Linux 6.18, Docker without userns-remap; test/fixtures/docker-isolation-observation.json.gz): the namespace links
 * of both sides, the identity uid map, the container's process as uid 65534 on both sides, the memory limit's
 * OOM kill, the --cpus 0.2 busy loop throttled in 30 of 32 periods, the fork loop at pids.max 16 with 26 failed
 * forks, cpu shares 1024 against 256, and docker pause/unpause. Altered copies give the other verdicts. The cgroup
 * file parsers are tested on the files' real formats.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { cgroupDir, judgeMemoryLimit, judgeThreePillars, parseCpuStat, type IsolationObservation } from '../../labs/docker/isolation.lab.ts';

const { real: observation, altered } = realSample<IsolationObservation>('docker-isolation-observation.json.gz');

describe('docker.cgroup.limits: limit, prioritise, account, pause/resume, or kill', () => {
  it('is nuanced when only the memory limit kills: the throttled busy loop and the fork loop at pids.max stay alive', () => {
    const result = judgeMemoryLimit(observation);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ cpu: { nrThrottled: 30, stillRunning: true }, pids: { failed: 26, error: 'EAGAIN', stillRunning: true }, memory: { oomKilled: true, exitCode: 137 }, priority: { ratio: 3.99 } });
    expect(result.summary).toContain('only the memory limit killed');
    expect(result.summary).toContain('30 of 32 periods');
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
  it('is nuanced with no user namespace and an identity uid map: uid 65534 inside is uid 65534 on the host, on the same kernel', () => {
    const result = judgeThreePillars(observation);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ separateUserNamespace: false, uidMap: '0 0 4294967295', uidInside: '65534', uidOnHost: '65534', kernelInside: '6.18.44-fc-v657' });
    expect(result.summary).toContain('its process of uid 65534 inside was uid 65534 on the host');
    expect(result.summary).not.toContain('root inside is root on the host');
  });

  it('names root inside as root on the host when the process runs as root (Docker\'s default user), still nuanced', () => {
    const asRoot = judgeThreePillars(altered((o) => ((o.user.uidInside = '0'), (o.user.uidOnHost = '0'))));
    expect(asRoot.verdict).toBe('nuanced');
    expect(asRoot.summary).toContain('root inside is root on the host');
    expect(asRoot.summaryZh).toContain('容器里的 root 就是宿主机上的 root');
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
