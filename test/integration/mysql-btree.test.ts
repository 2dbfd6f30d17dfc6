/** Runs the mysql-btree lab against a real MariaDB in a container and checks what was read from disk. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('mysql-btree');
}, 240_000);

describe('labs run mysql-btree', () => {
  it('passes against the real server and records it', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
    expect(run.lab.environment.server).toMatch(/MariaDB|^\d/);
  });

  it('reads 16 KiB pages, numbered by their offset', () => {
    expect(run.claim('mysql.btree.page-size').observed).toMatchObject({ innodbPageSize: 16384, fileIsWholePages: true, pageNumbersMatchOffsets: true });
  });

  it('grows from 1 to 3 levels as rows go from 10 to 100 000', () => {
    const growth = run.claim('mysql.btree.height').observed.growth as { rows: number; height: number }[];
    expect(growth.map((g) => g.height)).toEqual([1, 2, 3]);
  });

  it('finds node pointers only in the root, whole rows in clustered leaves, primary keys in secondary leaves', () => {
    expect(run.claim('mysql.btree.internal-keys-only').verdict).toBe('confirmed');
    const leaf = run.claim('mysql.btree.leaf-data').observed;
    expect(leaf.secondaryPairIsARow).toBe(true);
    expect((leaf.clustered as { k: number }).k).toBe(leaf.kBySql);
  });

  it('walks every leaf along the doubly linked chain', () => {
    const o = run.claim('mysql.btree.leaf-links').observed;
    expect(o.walkedForward).toBe(o.leafPages);
    expect(o).toMatchObject({ backLinksHold: true, keysAscendAcrossPages: true });
  });

  it('reads about height pages for a point lookup', () => {
    const o = run.claim('mysql.btree.lookup-path').observed;
    expect(o.pointLookupPageReads as number).toBeGreaterThanOrEqual(o.height as number);
    expect(o.pointLookupPageReads as number).toBeLessThanOrEqual((o.height as number) + 1);
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
