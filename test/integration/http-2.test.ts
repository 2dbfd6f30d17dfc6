/** Runs the http-2 lab between two namespaces with node:http2 and checks the frames tshark decoded. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('http-2');
}, 120_000);

describe('labs run http-2', () => {
  it('passes, matches the baseline and confirms all four features', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
    for (const claim of run.lab.claims) expect(claim.verdict, `${claim.id}: ${claim.summary}`).toBe('confirmed');
  });

  it('multiplexes three requests on one connection, fast ones first', () => {
    const o = run.claim('http.h2.multiplexing').observed;
    expect(o.tcpConnections).toBe(1);
    const ended = o.endedMs as Record<string, number>;
    expect(ended['/b']).toBeLessThan(ended['/slow/a']!);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
