import { describe, expect, it } from 'vitest';
import { exec } from '../../src/resources/process.ts';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('exec', () => {
  it('returns once the command exits, even while a process it left behind holds its output open', async () => {
    const pid = Number(await exec('sh', ['-c', 'sleep 30 & echo $!'], { timeoutMs: 20_000 }));
    try {
      expect(pid).toBeGreaterThan(1);
      expect(() => process.kill(pid, 0)).not.toThrow(); // still running, and exec did not wait for it
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  }, 10_000);

  it('leaves no timer behind once a command has finished (a pending one would hold the CLI open)', async () => {
    const before = timers();
    await exec('true', []);
    expect(timers()).toBe(before);
  });
});
