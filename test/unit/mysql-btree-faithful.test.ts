/**
 * mysql.btree.lookup-path restated as the sheet says it (root → level by level → leaf → take the pointer to the data
 * record → read the record through it), on the real leaves-and-lookups.json of a run of the mysql-btree lab
 * (MariaDB 10.11.18, innodb_page_size 16384; test/fixtures/mysql-btree-leaves-and-lookups.json.gz) and altered
 * copies of it. The judge is called as the lab's run() calls it.
 *
 * The run read, as InnoDB page requests: 3 for the primary-key point lookup in the 3-level tree, 4 for
 * `SELECT id FROM t WHERE k = …` (the 2-level secondary index alone, with the optimizer's range-estimate dive) and 7
 * for `SELECT * FROM t WHERE k = …` (the same plus a 3-page descent of the clustered index).
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { judgeLookupPath, type LeavesAndLookups, type SecondaryLookup } from '../../labs/mysql/btree.lab.ts';


const { real, altered } = realSample<LeavesAndLookups>('mysql-btree-leaves-and-lookups.json.gz');
const lookupPath = (o: LeavesAndLookups) => judgeLookupPath(o.treeHeight, o.point, o.range, o.growth.at(-1)!.recordsPerLeaf, o.secondaryLookup);

describe('lookup path, the pointer steps included', () => {
  it('is nuanced on the real reads: the primary-key lookup asked for exactly the 3 levels and nothing after the leaf; through KEY k the row cost a second 3-page descent, not a 1-page pointer', () => {
    expect(real).toMatchObject({ treeHeight: 3, point: 3, secondaryLookup: { height: 2, covering: 4, row: 7 } });
    const result = lookupPath(real);
    expect(result).toMatchObject({
      verdict: 'nuanced',
      observed: { height: 3, pointLookupPageReads: 3, primaryStepAfterLeaf: 'none', secondaryPagesAfterLeaf: 3, secondaryStepAfterLeaf: 'descent' },
    });
    expect(result.summary).toContain('no pointer to follow');
    expect(result.summary).toContain('second descent');
  });

  it('is still nuanced when resuming the secondary cursor cost one page more than the descent (4 after the leaf)', () => {
    const o = altered((c) => (c.secondaryLookup.row = c.secondaryLookup.covering + 4));
    expect(lookupPath(o)).toMatchObject({ verdict: 'nuanced', observed: { secondaryStepAfterLeaf: 'descent' } });
  });

  it('is nuanced when only the secondary lookup took one page after its leaf (a pointer), the primary one none', () => {
    const o = altered((c) => (c.secondaryLookup.row = c.secondaryLookup.covering + 1));
    expect(lookupPath(o)).toMatchObject({ verdict: 'nuanced', observed: { primaryStepAfterLeaf: 'none', secondaryStepAfterLeaf: 'pointer' } });
  });

  it('is confirmed when both lookups read one page after the leaf, as a heap table reached through pointers would (4 pages by id, +1 by k)', () => {
    const o = altered((c) => ((c.point = 4), (c.secondaryLookup.row = c.secondaryLookup.covering + 1)));
    expect(lookupPath(o)).toMatchObject({ verdict: 'confirmed', observed: { primaryStepAfterLeaf: 'pointer', secondaryStepAfterLeaf: 'pointer' } });
  });

  it('is refuted when neither lookup read anything after its leaf (the row in both leaves)', () => {
    const o = altered((c) => (c.secondaryLookup.row = c.secondaryLookup.covering));
    const result = lookupPath(o);
    expect(result).toMatchObject({ verdict: 'refuted', observed: { secondaryStepAfterLeaf: 'none' } });
    expect(result.summary).toContain('Neither lookup took a step');
  });

  it('is refuted when the step after the secondary leaf was neither one page nor a descent (2 pages in a 3-level tree)', () => {
    const o = altered((c) => (c.secondaryLookup.row = c.secondaryLookup.covering + 2));
    expect(lookupPath(o)).toMatchObject({ verdict: 'refuted', observed: { secondaryStepAfterLeaf: 'other' } });
  });

  it('is refuted when the point lookup asked for more pages than a descent plus one (6), or fewer than the levels (1)', () => {
    expect(lookupPath(altered((c) => (c.point = 6)))).toMatchObject({ verdict: 'refuted', observed: { primaryStepAfterLeaf: 'other' } });
    expect(lookupPath(altered((c) => (c.point = 1)))).toMatchObject({ verdict: 'refuted', observed: { primaryStepAfterLeaf: 'other' } });
  });

  it('does not count the range scan, which the claim does not speak of: a descent per row there leaves the verdict as it was', () => {
    expect(lookupPath(altered((c) => (c.range.pages = 12_003)))).toMatchObject({ verdict: 'nuanced', observed: { rangePageReads: 12_003 } });
  });

  it('is unverifiable when the read counter gave no number, or did not move, naming the lookup', () => {
    expectNotObserved(lookupPath(altered((c) => (c.point = Number.NaN))), 'point lookup by primary key');
    expectNotObserved(lookupPath(altered((c) => (c.point = 0))), 'point lookup by primary key');
    expectNotObserved(lookupPath(altered((c) => (c.secondaryLookup.row = Number.NaN))), 'secondary index');
  });

  it('is unverifiable on an observation without the secondary lookup (as runs before the lab measured it) or without the tree height', () => {
    expectNotObserved(judgeLookupPath(real.treeHeight, real.point, real.range, 66, undefined as unknown as SecondaryLookup), 'secondary index');
    expectNotObserved(lookupPath(altered((c) => (c.treeHeight = Number.NaN))), 'height');
  });
});
