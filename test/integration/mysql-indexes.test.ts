/** Runs the mysql-indexes lab against a real MariaDB and checks the rows each query read. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { QueryRun } from '../../labs/mysql/indexes.lab.ts';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
const q = (claim: string, name: string) => run.claim(claim).observed[name] as QueryRun;
beforeAll(async () => {
  run = await runLab('mysql-indexes');
}, 180_000);

describe('labs run mysql-indexes', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('reads only the matching rows of a range through the index', () => {
    const matching = run.claim('mysql.index.range-query').observed.matching as number;
    expect(q('mysql.index.range-query', 'withIndex').rowsRead).toBeLessThanOrEqual(matching + 2);
    expect(q('mysql.index.range-query', 'withoutIndex').rowsRead).toBeGreaterThan(50_000);
  });

  it('uses the composite index only from its leftmost column', () => {
    expect(q('mysql.index.leftmost-prefix', 'leading').explain.key).toBe('name');
    expect(q('mysql.index.leftmost-prefix', 'secondOnly').explain.type).toBe('ALL');
  });

  it("uses the index for LIKE 'x%' and not for LIKE '%x'", () => {
    expect(q('mysql.index.prefix-match', 'prefix').explain.type).toBe('range');
    expect(q('mysql.index.prefix-match', 'suffix').explain.type).toBe('ALL');
  });

  it('orders by the index without sorting', () => {
    expect(q('mysql.index.ordered', 'indexed').explain.extra).not.toContain('filesort');
    expect(q('mysql.index.ordered', 'indexed').rowsRead).toBe(10);
    expect(q('mysql.index.ordered', 'unindexed').explain.extra).toContain('filesort');
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
