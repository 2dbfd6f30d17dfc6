import { describe, expect, it } from 'vitest';
import { judgeOrphan, judgeZombie, parsePsStat } from '../../labs/os/processes.lab.ts';

// `ps -eo pid=,ppid=,stat=,comm=` in the lab's container while the parent has not waited.
const PS = `      1       0 Ss   docker-init
      7       1 S    sleep
     28       0 S    sleep
     29      28 Z    sleep`;
const ZOMBIE_STATUS = 'Name:\tsleep\nState:\tZ (zombie)\nTgid:\t29\nPid:\t29\nPPid:\t28\nThreads:\t1';

describe('process judges', () => {
  it('finds the zombie under its parent, with no resident memory', () => {
    const rows = parsePsStat(PS);
    expect(rows[3]).toEqual({ pid: 29, ppid: 28, stat: 'Z', comm: 'sleep' });
    expect(judgeZombie(rows, ZOMBIE_STATUS, 28).verdict).toBe('confirmed');
    expect(judgeZombie(rows, `${ZOMBIE_STATUS}\nVmRSS:\t  512 kB`, 28).verdict).toBe('refuted');
    expect(judgeZombie(rows, ZOMBIE_STATUS, 7).verdict).toBe('refuted');
  });

  it('an orphan adopted and reaped by PID 1 confirms; one left unreaped refutes', () => {
    const adopted = { pid: 51, ppid: 1, stat: 'S', comm: 'sleep' };
    expect(judgeOrphan(50, adopted, 'docker-init', true).verdict).toBe('confirmed');
    expect(judgeOrphan(50, adopted, 'docker-init', false).verdict).toBe('refuted');
    expect(judgeOrphan(50, { ...adopted, ppid: 40 }, 'docker-init', true).verdict).toBe('refuted');
  });
});
