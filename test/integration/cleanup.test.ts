/** A lab that fails, times out or is interrupted leaves nothing behind; a SIGKILLed run is reaped later. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_LABS, labs, leftovers, NOTHING, resourcesUp, startLabs } from '../helpers/cli.ts';

const cleanupLabs = join(FIXTURE_LABS, 'cleanup');
const runIdOf = (stderr: string) => stderr.match(/resources up in run ([0-9a-f]{8})/)?.[1];

describe('clean-up', () => {
  it('removes namespaces, processes and containers of a lab that throws', async () => {
    const result = await labs(['run', 'throws', '--labs-dir', cleanupLabs, '--json']);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.labs[0]).toMatchObject({ id: 'throws', status: 'error', reason: 'the experiment failed on purpose' });
    const runId = runIdOf(result.stderr)!;
    expect(runId).toBeDefined();
    expect(await leftovers(runId)).toEqual(NOTHING);
  });

  it('removes everything of a lab that outlives its time limit', async () => {
    const result = await labs(['run', 'times-out', '--labs-dir', cleanupLabs, '--json']);
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout).labs[0]).toMatchObject({ status: 'error', reason: 'timed out after 3000 ms' });
    expect(await leftovers(runIdOf(result.stderr)!)).toEqual(NOTHING);
  });

  it('fails a lab whose broker never becomes ready, in bounded time, with its last log lines, and leaves nothing', async () => {
    const started = Date.now();
    const result = await labs(['run', 'broker-never-ready', '--labs-dir', cleanupLabs, '--json']);
    expect(result.exitCode).toBe(1);
    const lab = JSON.parse(result.stdout).labs[0];
    expect(lab.status).toBe('error');
    expect(lab.reason).toMatch(/^broker not ready \(log .*Kafka Server started.*\) .*; last log lines: .*\S/);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await leftovers(JSON.parse(result.stdout).runId)).toEqual(NOTHING);
  }, 120_000);

  it('stops and cleans up when an error escapes the experiment', async () => {
    const result = await labs(['run', 'stray', '--labs-dir', cleanupLabs, '--json']);
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout).labs[0]).toMatchObject({ status: 'error', reason: 'stray error: stray error from a timer' });
    expect(result.stderr).not.toContain('internal error');
    expect(await leftovers(runIdOf(result.stderr)!)).toEqual(NOTHING);
  });

  it('stops a timed-out lab and its background sampler before disposing; the next lab still runs', async () => {
    const marks = join(mkdtempSync(join(tmpdir(), 'labs-test-')), 'marks');
    const result = await labs(['run', 'samples-until-timeout', 'passes', '--labs-dir', cleanupLabs, '--json'], { env: { LABS_TEST_MARKS: marks } });
    expect(result.exitCode).toBe(1);
    const [timedOut, next] = JSON.parse(result.stdout).labs;
    expect(timedOut).toMatchObject({ id: 'samples-until-timeout', status: 'error', reason: 'timed out after 3000 ms' });
    expect(next).toMatchObject({ id: 'passes', status: 'passed' });
    expect(result.stderr).not.toMatch(/internal error|unhandled/i);
    const written = readFileSync(marks, 'utf8');
    expect(written).toContain('sampler\n');
    expect(written).toContain('lab\n');
    // Neither loop outlived the lab: nothing more is written after the run has ended.
    await new Promise((r) => setTimeout(r, 300));
    expect(readFileSync(marks, 'utf8')).toBe(written);
    expect(await leftovers(runIdOf(result.stderr)!)).toEqual(NOTHING);
  });

  it('cleans up and exits 130 on SIGINT mid-run', async () => {
    const child = startLabs(['run', 'waits', '--labs-dir', cleanupLabs, '--json']);
    const runId = await resourcesUp(child);
    expect((await leftovers(runId)).namespaces).toHaveLength(3);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(JSON.parse(String(result.stdout)).labs[0]).toMatchObject({ status: 'error', reason: 'interrupted' });
    expect(await leftovers(runId)).toEqual(NOTHING);
  });

  it('stops waiting for a lab that ignores cancellation on a second SIGINT, and still cleans up', async () => {
    // The lab never reaches an await that reads its signal: after one SIGINT the runner gives it its grace
    // period (3 s) before disposing; after a second it disposes at once.
    const interrupt = async (signals: number) => {
      const child = startLabs(['run', 'waits', '--labs-dir', cleanupLabs, '--json']);
      const runId = await resourcesUp(child);
      const started = performance.now();
      for (let i = 0; i < signals; i++) {
        process.kill(child.pid!, 'SIGINT');
        await new Promise((r) => setTimeout(r, 100));
      }
      const result = await child;
      expect(result.exitCode).toBe(130);
      expect(await leftovers(runId)).toEqual(NOTHING);
      return { ms: performance.now() - started, stderr: String(result.stderr) };
    };
    const once = await interrupt(1);
    const twice = await interrupt(2);
    expect(twice.stderr).toContain('cleaning up now');
    expect(twice.ms).toBeLessThan(once.ms - 1500);
  });

  it('leaves a SIGKILLed run\'s resources to `labs clean`, which removes them', async () => {
    const child = startLabs(['run', 'waits', '--labs-dir', cleanupLabs]);
    const runId = await resourcesUp(child);
    child.kill('SIGKILL');
    await child;
    const left = await leftovers(runId);
    expect(left.namespaces).toHaveLength(3); // a, b and the container's, attached under the run's name
    expect(left.containers).toHaveLength(1);
    expect(left.processes.length).toBeGreaterThanOrEqual(2);
    // Any run's start-up reaps dead runs too, so a concurrent test may get there first.
    const clean = await labs(['clean']);
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(await leftovers(runId)).toEqual(NOTHING);
  });
});

describe('run-scoped resources', () => {
  it('starts a resource two labs declare once, lends it to each in turn, and disposes it with the run', async () => {
    const result = await labs(['run', 'uses-cluster-one', 'uses-cluster-two', '--labs-dir', join(FIXTURE_LABS, 'shared'), '--json', '--jobs', '2']);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const [one, two] = report.labs.map((l: { claims: { observed: { containerId: string; starts: number; resets: number } }[] }) => l.claims[0]!.observed);
    expect(one.containerId).toMatch(/^[0-9a-f]{64}$/);
    expect(two.containerId).toBe(one.containerId);
    expect([one.starts, two.starts]).toEqual([1, 1]);
    // Lent one at a time: whichever lab came second found it reset once.
    expect([one.resets, two.resets].sort()).toEqual([0, 1]);
    expect(await leftovers(report.runId)).toEqual(NOTHING);
  });

  it('does not lend a cluster on while a cancelled lab may still use it: the next lab gets a new one', async () => {
    const result = await labs(['run', 'stuck-with-cluster', 'after-stuck', '--labs-dir', join(FIXTURE_LABS, 'shared'), '--json']);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.labs[0]).toMatchObject({ status: 'error', reason: expect.stringContaining('timed out') });
    const after = report.labs[1].claims[0].observed as { containerId: string; starts: string[]; firstStillExists: boolean };
    expect(after.starts).toHaveLength(2);
    expect(after.containerId).toBe(after.starts[1]);
    expect(after.firstStillExists).toBe(false);
    expect(await leftovers(report.runId)).toEqual(NOTHING);
  });
});
