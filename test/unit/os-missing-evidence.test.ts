/** The os-processes judges given empty ps output or a missing /proc read: unverifiable, naming what is missing. */
import { describe, expect, it } from 'vitest';
import { judgeOrphan, judgeZombie, parsePsStat } from '../../labs/os/processes.lab.ts';

const PS = `      1       0 Ss   docker-init
     28       0 S    sleep
     29      28 Z    sleep`;

describe('os-processes without the observations it needs', () => {
  it('zombie: unverifiable when ps listed nothing, or the zombie\'s /proc status was not read', () => {
    expect(judgeZombie([], '', 28)).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('ps listed no processes') });
    const unread = judgeZombie(parsePsStat(PS), '', 28);
    expect(unread).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('/proc/29/status') });
    expect(unread.summaryZh).toContain('/proc/29/status');
  });

  it('orphan: unverifiable when the child was not found after its parent exited', () => {
    const result = judgeOrphan(50, undefined, 'docker-init', true);
    expect(result).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('not found in ps') });
    expect(result.summaryZh).not.toBe('');
  });
});
