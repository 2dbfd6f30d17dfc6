/** Runs the http-1-1 lab against a real nginx over raw sockets. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('http-1-1');
}, 120_000);

describe('labs run http-1-1', () => {
  it('passes, matches the baseline, and confirms each HTTP/1.1 feature on the wire', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
    for (const claim of run.lab.claims) expect(claim.verdict, `${claim.id}: ${claim.summary}`).toBe('confirmed');
  });

  it('reuses one nginx connection and blocks the fast pipelined response behind the slow one', () => {
    expect(run.claim('http.h1.keep-alive').observed.requestNumbersOnConnection).toEqual(['1', '2']);
    const p = run.claim('http.h1.pipelining').observed;
    expect(p.order).toEqual(['slow', 'fast']);
    expect(p.fastArrivedMs as number).toBeGreaterThanOrEqual(500);
  });

  it('gets chunks, a 206 and 304s', () => {
    expect((run.claim('http.h1.chunked').observed.chunkSizes as number[]).at(-1)).toBe(0);
    expect(run.claim('http.h1.range').observed.status).toBe(206);
    expect(run.claim('http.h1.cache-validators').observed).toMatchObject({ ifNoneMatch: 304, ifModifiedSince: 304, bodyBytesOn304: 0 });
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
