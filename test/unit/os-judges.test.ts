/**
 * The os-processes judges on the processes.json of a real run of the lab (Docker's init as PID 1, Linux 6.18;
 * test/fixtures/os-processes-observation.json.gz), judged as the lab's run() judges it, and on altered copies.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeNamedPipe, judgeOrphan, judgePipeHalfDuplex, judgeStackLimit, judgeZombie, parsePsStat, type ProcessesObservation } from '../../labs/os/processes.lab.ts';

const { real, altered } = realSample<ProcessesObservation>('os-processes-observation.json.gz');
const zombie = (o: ProcessesObservation) => judgeZombie(o.withZombie, o.zombieStatus, o.zombieParent);
const orphan = (o: ProcessesObservation) => judgeOrphan(o.orphanParent, o.orphanAfter ?? undefined, o.init, o.reaped);

describe('process judges', () => {
  it('reads ps -eo pid=,ppid=,stat=,comm= as the lab runs it', () => {
    expect(parsePsStat('      1       0 Ss   docker-init\n     28      27 Z    sleep')).toEqual([{ pid: 1, ppid: 0, stat: 'Ss', comm: 'docker-init' }, { pid: 28, ppid: 27, stat: 'Z', comm: 'sleep' }]);
  });

  it('finds the real zombie (pid 28) under its parent 27, with no resident memory; refuted had it memory, or were it under another parent', () => {
    expect(zombie(real)).toMatchObject({ verdict: 'confirmed', observed: { zombie: { pid: 28, ppid: 27, stat: 'Z' }, statusState: 'Z (zombie)', vmRss: '(none)' } });
    expect(zombie(altered((o) => (o.zombieStatus += '\nVmRSS:\t  512 kB'))).verdict).toBe('refuted');
    expect(zombie(altered((o) => (o.zombieParent = 7))).verdict).toBe('refuted');
  });

  it('the real orphan (66) adopted by PID 1 and reaped confirms; one left unreaped, or adopted by another process, refutes', () => {
    expect(orphan(real)).toMatchObject({ verdict: 'confirmed', observed: { parentBefore: 65, parentAfter: 1, pid1: 'docker-init', reapedWhenItExited: true } });
    expect(orphan(altered((o) => (o.reaped = false))).verdict).toBe('refuted');
    expect(orphan(altered((o) => (o.orphanAfter!.ppid = 43))).verdict).toBe('refuted');
  });

  it('pipe: confirmed by the real run (read end gave the bytes, writing into it failed with EBADF); refuted had the write gone through', () => {
    expect(judgePipeHalfDuplex(real).verdict).toBe('confirmed');
    expect(judgePipeHalfDuplex(altered((o) => (o.pipe = 'read end gave: one way\nwrite to the read end: 5 bytes'))).verdict).toBe('refuted');
  });

  it('named pipe: confirmed by the real run (the reader got the writer\'s line); refuted had it got something else', () => {
    expect(judgeNamedPipe(real)).toMatchObject({ verdict: 'confirmed', observed: { received: 'from an unrelated process' } });
    expect(judgeNamedPipe(altered((o) => (o.fifo = 'sh: 1: cannot open /tmp/fifo: No such file'))).verdict).toBe('refuted');
  });

  it('stack limit: confirmed by the real 8192 KiB; nuanced when unlimited or far beyond a few MB', () => {
    expect(judgeStackLimit(real)).toMatchObject({ verdict: 'confirmed', observed: { ulimitS: '8192' } });
    expect(judgeStackLimit(altered((o) => (o.ulimitS = 'unlimited'))).verdict).toBe('nuanced');
    expect(judgeStackLimit(altered((o) => (o.ulimitS = '1048576'))).verdict).toBe('nuanced');
  });
});
