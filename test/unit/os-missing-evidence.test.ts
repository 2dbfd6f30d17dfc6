/** The os-processes judges given empty ps output or a missing /proc read: unverifiable, naming what is missing. */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeNamedPipe, judgeOrphan, judgePipeHalfDuplex, judgeStackLimit, judgeZombie, parsePsStat, type ProcessesObservation } from '../../labs/os/processes.lab.ts';

/** A real run's observation (test/fixtures/os-processes-observation.json.gz), with one output taken away at a time. */
const { altered } = realSample<ProcessesObservation>('os-processes-observation.json.gz');

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

  it('pipe, named pipe and stack limit: unverifiable when the command printed nothing (or not a limit)', () => {
    expect(judgePipeHalfDuplex(altered((o) => (o.pipe = '')))).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('printed nothing about its read end') });
    expect(judgeNamedPipe(altered((o) => (o.fifo = '')))).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('printed nothing') });
    expect(judgeStackLimit(altered((o) => (o.ulimitS = '')))).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('not read') });
  });
});
