/**
 * The mysql-btree verdicts on leaf contents and lookup paths, on the real leaves-and-lookups.json of a run of the
 * mysql-btree lab (MariaDB 10.11.18, innodb_page_size 16384; test/fixtures/mysql-btree-leaves-and-lookups.json.gz)
 * and altered copies of it: leaf data (nuanced on the real sample, refuted). The lookup path, restated faithfully and
 * judged on a secondary-index lookup too, is tested in mysql-btree-faithful.test.ts. The judges are called as the lab's
 * run() calls them.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeLeafData, type LeavesAndLookups } from '../../labs/mysql/btree.lab.ts';


const { real, altered } = realSample<LeavesAndLookups>('mysql-btree-leaves-and-lookups.json.gz');
const leafData = (o: LeavesAndLookups) => judgeLeafData(o.sample, { k: o.k, secondaryPairIsARow: o.pair === 1 });

describe('leaf data', () => {
  it('is nuanced on the real leaves: the clustered leaf held the whole row (k as SQL says, the pad), the secondary leaf k and the primary key, not a pointer', () => {
    expect(real.sample.clustered).toMatchObject({ id: 2, k: real.k, padStart: 'xxxxxxxx' });
    expect(real.pair).toBe(1);
    expect(leafData(real)).toMatchObject({ verdict: 'nuanced', observed: { kBySql: 15838, secondaryPairIsARow: true, secondary: { k: 1, primaryKey: 17679 } } });
  });

  it('is refuted when the secondary leaf\'s second field is no primary key of a row with that k (a page number, as a pointer to the row would be)', () => {
    // The field read 5 (a leaf page of t.ibd), and SELECT COUNT(*) FROM t WHERE id = 5 AND k = 1 found no row.
    const result = leafData(altered((o) => ((o.sample.secondary.primaryKey = 5), (o.pair = 0))));
    expect(result).toMatchObject({ verdict: 'refuted', observed: { secondaryPairIsARow: false } });
  });

  it('is refuted when the clustered leaf record does not carry the row\'s columns: k decoded differs from SQL\'s, or no pad', () => {
    expect(leafData(altered((o) => (o.sample.clustered.k = 15839))).verdict).toBe('refuted');
    expect(leafData(altered((o) => (o.sample.clustered.padStart = '\u0000'.repeat(8)))).verdict).toBe('refuted');
  });
});
