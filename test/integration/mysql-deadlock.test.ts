/** Runs the mysql-deadlock lab against a real MariaDB and checks the deadlock counts per variant. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { VariantResult } from '../../labs/mysql/deadlock.lab.ts';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('mysql-deadlock');
}, 180_000);

describe('labs run mysql-deadlock', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('deadlocks every round with all four conditions and never with one removed', () => {
    const variants = run.claim('os.deadlock.four-conditions').observed.variants as VariantResult[];
    expect(variants.find((v) => v.condition === 'all four')!.deadlocks).toBe(20);
    for (const v of variants.filter((x) => x.condition !== 'all four')) expect(v.deadlocks, v.name).toBe(0);
  });

  it('breaks mutual exclusion with shared locks: both transactions commit every round', () => {
    const o = run.claim('os.deadlock.mutual-exclusion-unbreakable').observed as { shared: VariantResult };
    expect(o.shared).toMatchObject({ deadlocks: 0, completed: 20 });
  });

  it("keeps the server's own deadlock report as evidence", () => {
    expect((run.claim('os.deadlock.four-conditions').observed.reportExcerpt as string[])[0]).toContain('LATEST DETECTED DEADLOCK');
  });

  it('puts every transaction on the timeline: the deadlock victims as fail, the rest as ok', () => {
    const done = (run.lab.timeline ?? []).filter((e) => e.type === 'ok' || e.type === 'fail');
    expect(done).toHaveLength(2 * 20 * 5);
    const victims = done.filter((e) => e.type === 'fail' && 'error' in e && e.error?.startsWith('error 1213'));
    expect(victims).toHaveLength(20);
    expect(new Set(victims.map((e) => ('f' in e ? e.f : '')))).toEqual(new Set(['opposite order, exclusive']));
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
