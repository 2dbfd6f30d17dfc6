/** Runs the nginx-load-balancing lab against a real nginx in containers and checks each distribution. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('nginx-load-balancing');
}, 240_000);

describe('labs run nginx-load-balancing', () => {
  it('passes against a real nginx and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
    expect(run.lab.environment.nginx).toMatch(/nginx\/1\.\d+/);
  });

  it('rotates round robin and interleaves weights smoothly', () => {
    expect(run.claim('nginx.lb.round-robin').observed).toMatchObject({ cycle: ['b1', 'b2', 'b3'], counts: { b1: 10, b2: 10, b3: 10 } });
    expect(run.claim('nginx.lb.weighted').observed).toMatchObject({ countsPerCycle: { b1: 5, b2: 1, b3: 1 } });
    expect((run.claim('nginx.lb.weighted').observed.longestRunOfOneBackend as number)).toBeLessThan(5);
  });

  it('hashes ip_hash on the /24, and moves a stopped backend\'s clients', () => {
    const { verdict, observed } = run.claim('nginx.lb.ip-hash');
    expect(verdict).toBe('nuanced');
    expect(observed).toMatchObject({ clientsSticky: true, clientsInOneSlash24ShareABackend: true });
    const failover = observed.failover as { stopped: string; clients: { after: string[] }[] };
    for (const c of failover.clients) expect(c.after).not.toContain(failover.stopped);
  });

  it('favours the fast backend under least_conn and follows weights under weighted least_conn', () => {
    const lc = run.claim('nginx.lb.least-conn').observed;
    expect(lc.fastShareLeastConn as number).toBeGreaterThan((lc.fastShareRoundRobin as number) + 0.2);
    const wlc = run.claim('nginx.lb.weighted-least-conn').observed;
    expect(wlc.ratio as number).toBeGreaterThan(2);
    expect(wlc.ratio as number).toBeLessThan(4);
  });

  it('cannot observe least_time: this nginx rejects the directive', () => {
    expect(run.claim('nginx.lb.least-time')).toMatchObject({ verdict: 'unverifiable', observed: { accepted: false } });
  });

  it('keeps URLs on their backend, and consistent hashing moves only the removed server\'s keys', () => {
    const { verdict, observed } = run.claim('nginx.lb.url-hash');
    expect(verdict).toBe('confirmed');
    expect(observed.consistentMoved).toBe(observed.consistentOwnedByRemoved);
    expect(observed.plainMoved as number).toBeGreaterThan(observed.plainOwnedByRemoved as number);
  });

  it('spreads random uniformly and keeps random two away from the slow backend', () => {
    const { observed } = run.claim('nginx.lb.random');
    expect(observed.uniformAtP001).toBe(true);
    expect(observed.slowShareWithTwo as number).toBeLessThan(0.2);
  });

  it('leaves no container or network behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
