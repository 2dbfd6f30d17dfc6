import { describe, expect, it } from 'vitest';
import { connectionOwners, judgeCacheManager, judgeMasterWorkers, parsePs } from '../../labs/nginx/processes.lab.ts';

// Captured from `ps -eo pid=,ppid=,user=,args=` and `ss -tnpH` in the lab's nginx container.
const PS = `      1       0 root     /sbin/docker-init -- sleep infinity
      7       1 root     sleep infinity
     42       1 root     nginx: master process nginx
     43      42 nobody   nginx: worker process
     44      42 nobody   nginx: worker process
     90       0 root     ps -eo pid=,ppid=,user=,args=`;
const SS = `0      0      198.19.64.10:8080 198.19.64.101:51334 users:(("nginx",pid=43,fd=3))
0      0      198.19.64.10:8080 198.19.64.101:51346 users:(("nginx",pid=44,fd=5))`;

describe('nginx process observations', () => {
  it('parses ps and finds who owns connections', () => {
    const ps = parsePs(PS);
    expect(ps).toHaveLength(6);
    expect(ps[2]).toEqual({ pid: 42, ppid: 1, user: 'root', title: 'nginx: master process nginx' });
    expect(connectionOwners(SS)).toEqual([43, 44]);
  });

  it('master-workers: confirmed when workers own the connections, refuted when the master does', () => {
    const ps = parsePs(PS);
    expect(judgeMasterWorkers(ps, [43, 44]).verdict).toBe('confirmed');
    expect(judgeMasterWorkers(ps, [42, 43]).verdict).toBe('refuted');
  });

  it('cache manager: refuted when it never appears; a process alone, with no cache directory read, decides nothing about what it does', () => {
    const withManager = parsePs(`${PS}\n     50      42 nobody   nginx: cache manager process`);
    expect(judgeCacheManager(parsePs(PS), withManager).verdict).toBe('unverifiable');
    expect(judgeCacheManager(parsePs(PS), parsePs(PS)).verdict).toBe('refuted');
  });
});
