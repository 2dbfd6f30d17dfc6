/**
 * The mysql-indexes verdicts, on the real queries.json of a run of the mysql-indexes lab (MariaDB 10.11.18, table
 * people of 50 000 rows with KEY name(last, first) and KEY age(age); test/fixtures/mysql-indexes-queries.json.gz):
 * each query's EXPLAIN row and Handler_read_* counters, and altered copies of them for the verdicts the real run did
 * not give. The judges are called as the lab's run() calls them.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { judgeLeftmost, judgeOrdered, judgePrefix, judgeRange, type QueryRun } from '../../labs/mysql/indexes.lab.ts';

interface Queries {
  range: QueryRun;
  fullRange: QueryRun;
  matching: number;
  leading: QueryRun;
  both: QueryRun;
  secondOnly: QueryRun;
  prefix: QueryRun;
  suffix: QueryRun;
  ordered: QueryRun;
  unordered: QueryRun;
}

const { real, altered } = realSample<Queries>('mysql-indexes-queries.json.gz');

/** The query planned and run as a full table scan: what MariaDB reported for the queries that used no index. */
const tableScan = (run: QueryRun, extra = 'Using where'): void => {
  run.explain = { type: 'ALL', key: null, rows: 50_213, extra };
  run.handler = { ...run.handler, Handler_read_key: 0, Handler_read_next: 0, Handler_read_first: 0, Handler_read_rnd_next: 50_001 };
  run.rowsRead = 50_001;
};

describe('range query', () => {
  it('is confirmed on the real run: BETWEEN 30 AND 31 was a range on KEY age reading 1431 rows for 1430 matches; IGNORE INDEX read 50 001', () => {
    expect(real.range).toMatchObject({ explain: { type: 'range', key: 'age' }, rowsRead: 1431 });
    expect(judgeRange(real.range, real.fullRange, real.matching)).toMatchObject({ verdict: 'confirmed', observed: { matching: 1430 } });
  });

  it('is refuted when the optimizer scanned the table for the range although KEY age existed', () => {
    const o = altered((c) => tableScan(c.range));
    expect(judgeRange(o.range, o.fullRange, o.matching).verdict).toBe('refuted');
  });

  it('is refuted when the range on the index read far more rows than matched (a descent per row, not the leaves in order)', () => {
    const o = altered((c) => ((c.range.handler.Handler_read_key = 1430), (c.range.rowsRead = 2860)));
    expect(judgeRange(o.range, o.fullRange, o.matching).verdict).toBe('refuted');
  });
});

describe('leftmost prefix', () => {
  it('is confirmed on the real run: last = … and last = … AND first = … used KEY name (ref), first = … alone scanned the table', () => {
    expect([real.leading, real.both, real.secondOnly].map((r) => `${r.explain.key}/${r.explain.type}`)).toEqual(['name/ref', 'name/ref', 'null/ALL']);
    expect(judgeLeftmost(real.leading, real.both, real.secondOnly).verdict).toBe('confirmed');
  });

  it('is nuanced when the server reached the second column alone through the index with a skip scan (as MySQL 8.0.13+ can)', () => {
    const o = altered((c) => {
      c.secondOnly.explain = { type: 'range', key: 'name', rows: 5_000, extra: 'Using where; Using index for skip scan' };
      c.secondOnly.rowsRead = 1_559;
    });
    const result = judgeLeftmost(o.leading, o.both, o.secondOnly);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toContain('skip scan');
  });

  it('is refuted when the index served first = … alone without a skip scan, or did not serve the leading column', () => {
    const second = altered((c) => (c.secondOnly.explain = { type: 'ref', key: 'name', rows: 562, extra: 'Using index condition' }));
    expect(judgeLeftmost(second.leading, second.both, second.secondOnly).verdict).toBe('refuted');
    const noLeading = altered((c) => tableScan(c.leading));
    expect(judgeLeftmost(noLeading.leading, noLeading.both, noLeading.secondOnly).verdict).toBe('refuted');
  });
});

describe('prefix match', () => {
  it("is confirmed on the real run: LIKE 'name12%' was a range on KEY name (562 rows read), LIKE '%me12' read all 50 001", () => {
    expect(real.prefix).toMatchObject({ explain: { type: 'range', key: 'name' }, rowsRead: 562 });
    expect(judgePrefix(real.prefix, real.suffix).verdict).toBe('confirmed');
  });

  it("is refuted when LIKE 'name12%' scanned the table, or LIKE '%me12' was served by the index", () => {
    const prefixScan = altered((c) => tableScan(c.prefix));
    expect(judgePrefix(prefixScan.prefix, prefixScan.suffix).verdict).toBe('refuted');
    const suffixUsed = altered((c) => ((c.suffix.explain = { type: 'range', key: 'name', rows: 51, extra: 'Using index condition' }), (c.suffix.rowsRead = 52)));
    expect(judgePrefix(suffixUsed.prefix, suffixUsed.suffix).verdict).toBe('refuted');
  });
});

describe('ordered', () => {
  it('is confirmed on the real run: ORDER BY last, first LIMIT 10 read 10 rows from KEY name without a sort; ORDER BY city filesorted 50 001', () => {
    expect(real.ordered).toMatchObject({ explain: { type: 'index', key: 'name', extra: '' }, rowsRead: 10 });
    expect(real.unordered.explain.extra).toContain('filesort');
    expect(judgeOrdered(real.ordered, real.unordered).verdict).toBe('confirmed');
  });

  it('is refuted when ORDER BY last, first was a table scan and a filesort too', () => {
    const o = altered((c) => tableScan(c.ordered, 'Using filesort'));
    expect(judgeOrdered(o.ordered, o.unordered).verdict).toBe('refuted');
  });

  it('is refuted when ORDER BY last, first walked the whole index for its 10 rows instead of stopping at the LIMIT', () => {
    const o = altered((c) => ((c.ordered.handler.Handler_read_next = 50_000), (c.ordered.rowsRead = 50_001)));
    expect(judgeOrdered(o.ordered, o.unordered).verdict).toBe('refuted');
  });
});

describe('missing Handler_read_* counters', () => {
  /** SHOW SESSION STATUS LIKE 'Handler_read%' returned no row for the query: measure() then sums nothing and reports 0 rows. */
  const noCounters = (run: QueryRun): void => {
    run.handler = {};
    run.rowsRead = 0;
  };

  it('makes the range verdict unverifiable, naming the query, rather than a refutation from 0 rows read', () => {
    const o = altered((c) => noCounters(c.fullRange));
    expectNotObserved(judgeRange(o.range, o.fullRange, o.matching), 'IGNORE INDEX (age)');
  });

  it('makes the leftmost-prefix verdict unverifiable', () => {
    const o = altered((c) => noCounters(c.secondOnly));
    expectNotObserved(judgeLeftmost(o.leading, o.both, o.secondOnly), "first = 'f7'");
  });

  it('makes the prefix-match verdict unverifiable', () => {
    const o = altered((c) => noCounters(c.suffix));
    expectNotObserved(judgePrefix(o.prefix, o.suffix), "LIKE '%me12'");
  });

  it('makes the ordered verdict unverifiable rather than confirmed by an empty count under 100', () => {
    const o = altered((c) => noCounters(c.ordered));
    expectNotObserved(judgeOrdered(o.ordered, o.unordered), 'Handler_read_*');
  });

  it('counts a status list without Handler_read_rnd_next as missing too', () => {
    const o = altered((c) => delete c.fullRange.handler.Handler_read_rnd_next);
    expectNotObserved(judgeRange(o.range, o.fullRange, o.matching), 'IGNORE INDEX (age)');
  });
});
