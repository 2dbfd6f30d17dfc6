/**
 * Lab: what B+ tree indexes let the optimizer do, measured by the rows the server actually touched.
 *
 * Starts: a MySQL-compatible server in a container (MariaDB unless LABS_MYSQL_IMAGE says otherwise)
 * and a table people(id, last, first, age, city) of 50 000 rows with KEY name(last, first) and
 * KEY age(age).
 *
 * Does: runs pairs of queries that differ in one respect (a range on an indexed column or with the
 * index ignored; the leading, both, or only the second column of the composite index; LIKE 'x%'
 * against LIKE '%x'; ORDER BY the index against ORDER BY a column without one), each after
 * FLUSH STATUS.
 *
 * Observes: EXPLAIN (access type, key, estimated rows, Extra) and the session's Handler_read_*
 * counters: the index and table rows each query really read.
 */
import type { Connection } from 'mysql2/promise';
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { startMysqlServer } from '../../src/systems/mysql-server.ts';

export interface QueryRun {
  sql: string;
  explain: { type: string; key: string | null; rows: number; extra: string };
  handler: Record<string, number>;
  /** Rows the storage engine handed up: index lookups, index steps and table scan steps together. */
  rowsRead: number;
}

const ROWS = 50_000;

async function measure(db: Connection, sql: string): Promise<QueryRun> {
  const [plan] = (await db.query(`EXPLAIN ${sql}`)) as unknown as [Record<string, unknown>[]];
  await db.query('FLUSH STATUS');
  await db.query(sql);
  const [status] = (await db.query("SHOW SESSION STATUS LIKE 'Handler_read%'")) as unknown as [{ Variable_name: string; Value: string }[]];
  const handler = Object.fromEntries(status.map((s) => [s.Variable_name, Number(s.Value)]));
  const p = plan[0]!;
  return {
    sql,
    explain: { type: String(p.type), key: (p.key as string | null) ?? null, rows: Number(p.rows), extra: String(p.Extra ?? '') },
    handler,
    rowsRead: (handler.Handler_read_key ?? 0) + (handler.Handler_read_next ?? 0) + (handler.Handler_read_prev ?? 0) + (handler.Handler_read_first ?? 0) + (handler.Handler_read_rnd_next ?? 0),
  };
}

const table = (title: string, runs: QueryRun[]): Evidence => ({
  kind: 'table',
  title,
  columns: ['query', 'type', 'key', 'Extra', 'rows read (Handler_read_*)'],
  rows: runs.map((r) => [r.sql, r.explain.type, r.explain.key ?? '—', r.explain.extra, r.rowsRead]),
});
const reads = (runs: QueryRun[]): Evidence => ({ kind: 'bars', title: 'Rows the server read', bars: runs.map((r, i) => ({ label: `query ${i + 1}`, value: r.rowsRead })) });
const usesIndex = (r: QueryRun, key: string) => r.explain.key === key && r.explain.type !== 'ALL';

/** The counters whose sum is QueryRun.rowsRead. */
const ROW_COUNTERS = ['Handler_read_key', 'Handler_read_next', 'Handler_read_prev', 'Handler_read_first', 'Handler_read_rnd_next'];

/** Unverifiable when a query's Handler_read_* counters came back empty (no status row, or no count): the rows it read are unknown. */
function countersMissing(id: string, runs: QueryRun[]): ClaimResult | undefined {
  const unread = runs.filter((r) => !ROW_COUNTERS.every((c) => Number.isFinite(r.handler?.[c])) || !Number.isFinite(r.rowsRead));
  if (!unread.length) return undefined;
  return notObserved(
    id,
    { en: `No Handler_read_* counters were recorded for ${unread.map((r) => r.sql).join('; ')}, so the rows the server read are unknown.`, zh: `没有记录到 ${unread.map((r) => r.sql).join('；')} 的 Handler_read_* 计数器，因此不知道服务器实际读了多少行。` },
    { queriesWithoutCounters: unread.map((r) => r.sql) },
  );
}

export function judgeRange(withIndex: QueryRun, without: QueryRun, matching: number): ClaimResult {
  const missing = countersMissing('mysql.index.range-query', [withIndex, without]);
  if (missing) return missing;
  const holds = usesIndex(withIndex, 'age') && withIndex.explain.type === 'range' && withIndex.rowsRead <= matching + 2 && without.rowsRead >= ROWS;
  return {
    id: 'mysql.index.range-query',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The range on age used the index (type range) and read ${withIndex.rowsRead} rows for ${matching} matches, walking the leaves from the first match; with the index ignored the same query read ${without.rowsRead}.`
      : `The range query read ${withIndex.rowsRead} rows (${withIndex.explain.type}) for ${matching} matches.`,
    summaryZh: holds
      ? `age 上的范围查询用上了索引（type range），从第一条匹配记录开始沿叶子页前进，为 ${matching} 条匹配记录读取了 ${withIndex.rowsRead} 行；忽略该索引时，同一查询读取了 ${without.rowsRead} 行。`
      : `范围查询为 ${matching} 条匹配记录读取了 ${withIndex.rowsRead} 行（${withIndex.explain.type}）。`,
    observed: { matching, withIndex, withoutIndex: without },
    evidence: [table('A range with and without the index', [withIndex, without]), reads([withIndex, without])],
  };
}

export function judgeLeftmost(leading: QueryRun, both: QueryRun, secondOnly: QueryRun): ClaimResult {
  const missing = countersMissing('mysql.index.leftmost-prefix', [leading, both, secondOnly]);
  if (missing) return missing;
  const holds = usesIndex(leading, 'name') && usesIndex(both, 'name') && !usesIndex(secondOnly, 'name');
  const skip = secondOnly.explain.extra.includes('skip scan');
  return {
    id: 'mysql.index.leftmost-prefix',
    verdict: holds ? 'confirmed' : skip ? 'nuanced' : 'refuted',
    summary: holds
      ? `The composite index (last, first) served last = … (${leading.rowsRead} rows read) and last = … AND first = … (${both.rowsRead}), but not first = … alone, which scanned the table (${secondOnly.rowsRead} rows read).`
      : skip
        ? 'This server used the index for the second column alone with a skip scan.'
        : `Index use: ${[leading, both, secondOnly].map((r) => `${r.explain.key}/${r.explain.type}`).join(', ')}.`,
    summaryZh: holds
      ? `联合索引 (last, first) 能用于 last = …（读取 ${leading.rowsRead} 行）和 last = … AND first = …（读取 ${both.rowsRead} 行），但不能用于单独的 first = …，后者做了全表扫描（读取 ${secondOnly.rowsRead} 行）。`
      : skip
        ? '这个服务器通过 skip scan，仅凭第二列也用上了该索引。'
        : `索引使用情况：${[leading, both, secondOnly].map((r) => `${r.explain.key}/${r.explain.type}`).join(', ')}。`,
    observed: { leading, both, secondOnly },
    evidence: [table('Columns of the composite index name(last, first)', [leading, both, secondOnly]), reads([leading, both, secondOnly])],
  };
}

export function judgePrefix(prefix: QueryRun, suffix: QueryRun): ClaimResult {
  const missing = countersMissing('mysql.index.prefix-match', [prefix, suffix]);
  if (missing) return missing;
  const holds = usesIndex(prefix, 'name') && prefix.explain.type === 'range' && !usesIndex(suffix, 'name') && suffix.rowsRead >= ROWS;
  return {
    id: 'mysql.index.prefix-match',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `LIKE 'name12%' became a range on the index (${prefix.rowsRead} rows read); LIKE '%me12' could not use it and read all ${suffix.rowsRead} rows.`
      : `LIKE 'x%': ${prefix.explain.key}/${prefix.explain.type}; LIKE '%x': ${suffix.explain.key}/${suffix.explain.type}.`,
    summaryZh: holds
      ? `LIKE 'name12%' 变成了索引上的范围扫描（读取 ${prefix.rowsRead} 行）；LIKE '%me12' 用不上索引，读取了全部 ${suffix.rowsRead} 行。`
      : `LIKE 'x%'：${prefix.explain.key}/${prefix.explain.type}；LIKE '%x'：${suffix.explain.key}/${suffix.explain.type}。`,
    observed: { prefix, suffix },
    evidence: [table('A prefix and a suffix pattern', [prefix, suffix]), reads([prefix, suffix])],
  };
}

export function judgeOrdered(indexed: QueryRun, unindexed: QueryRun): ClaimResult {
  const missing = countersMissing('mysql.index.ordered', [indexed, unindexed]);
  if (missing) return missing;
  const holds = usesIndex(indexed, 'name') && !indexed.explain.extra.includes('filesort') && unindexed.explain.extra.includes('filesort') && indexed.rowsRead < 100;
  return {
    id: 'mysql.index.ordered',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `ORDER BY last, first LIMIT 10 read ${indexed.rowsRead} rows in index order with no sort; ORDER BY city LIMIT 10 had to read ${unindexed.rowsRead} rows and sort them (Using filesort).`
      : `Ordering: ${indexed.explain.extra} / ${unindexed.explain.extra}.`,
    summaryZh: holds
      ? `ORDER BY last, first LIMIT 10 按索引顺序读取了 ${indexed.rowsRead} 行，无需排序；ORDER BY city LIMIT 10 则必须读取 ${unindexed.rowsRead} 行再排序（Using filesort）。`
      : `排序情况：${indexed.explain.extra} / ${unindexed.explain.extra}。`,
    observed: { indexed, unindexed },
    evidence: [table('ORDER BY an indexed and an unindexed column', [indexed, unindexed]), reads([indexed, unindexed])],
  };
}

export default defineLab({
  id: 'mysql-indexes',
  title: 'Index use measured: ranges, the leftmost prefix, LIKE prefixes, ORDER BY',
  topic: 'mysql',
  claims: ['mysql.index.range-query', 'mysql.index.leftmost-prefix', 'mysql.index.prefix-match', 'mysql.index.ordered'],
  requires: ['docker'],
  timeLimitMs: 180_000,
  handout: {
    starts: 'A MariaDB (or LABS_MYSQL_IMAGE) server; people(id, last, first, age, city) with 50 000 rows, KEY name(last, first), KEY age(age).',
    does: 'Runs query pairs that differ in one respect, each after FLUSH STATUS.',
    observes: 'EXPLAIN and the Handler_read_* counters of each query.',
    zh: {
      title: '实测索引的使用：范围查询、最左前缀、LIKE 前缀、ORDER BY',
      starts: '一个 MariaDB（或 LABS_MYSQL_IMAGE）服务器；表 people(id, last, first, age, city)，50 000 行，索引 KEY name(last, first) 和 KEY age(age)。',
      does: '成对执行只有一处差别的查询，每条查询前先执行 FLUSH STATUS。',
      observes: '每条查询的 EXPLAIN 结果和 Handler_read_* 计数器。',
    },
  },
  async run(ctx) {
    ctx.step('starting the server and loading 50 000 rows');
    const server = await startMysqlServer(ctx.scope, ctx.runId);
    ctx.environment.server = server.version;
    const db = await server.connect();
    await db.query('CREATE TABLE people (id INT PRIMARY KEY, last VARCHAR(32) NOT NULL, first VARCHAR(32) NOT NULL, age INT NOT NULL, city VARCHAR(32) NOT NULL, KEY name (last, first), KEY age (age)) ENGINE=InnoDB');
    await db.query(`INSERT INTO people SELECT seq, CONCAT('name', seq % 997), CONCAT('f', seq % 89), 18 + seq % 70, CONCAT('city', seq % 31) FROM ${server.sequence(1, ROWS)}`);
    await db.query('ANALYZE TABLE people');
    const [[{ n }]] = (await db.query('SELECT COUNT(*) AS n FROM people WHERE age BETWEEN 30 AND 31')) as unknown as [[{ n: number }]];

    ctx.step('query pairs');
    const range = await measure(db, 'SELECT * FROM people WHERE age BETWEEN 30 AND 31');
    const fullRange = await measure(db, 'SELECT * FROM people IGNORE INDEX (age) WHERE age BETWEEN 30 AND 31');
    const leading = await measure(db, "SELECT * FROM people WHERE last = 'name7'");
    const both = await measure(db, "SELECT * FROM people WHERE last = 'name7' AND first = 'f7'");
    const secondOnly = await measure(db, "SELECT * FROM people WHERE first = 'f7'");
    const prefix = await measure(db, "SELECT * FROM people WHERE last LIKE 'name12%'");
    const suffix = await measure(db, "SELECT * FROM people WHERE last LIKE '%me12'");
    const ordered = await measure(db, 'SELECT * FROM people ORDER BY last, first LIMIT 10');
    const unordered = await measure(db, 'SELECT * FROM people ORDER BY city LIMIT 10');
    const queries = { range, fullRange, matching: Number(n), leading, both, secondOnly, prefix, suffix, ordered, unordered };
    const kept = keptJson(ctx, 'queries.json', queries, 'every query with its plan and handler counters (JSON)');
    return [withEvidence(judgeRange(range, fullRange, Number(n)), ...kept), judgeLeftmost(leading, both, secondOnly), judgePrefix(prefix, suffix), judgeOrdered(ordered, unordered)];
  },
});
