/**
 * Lab: the InnoDB B+ tree read from disk: page size, height as rows grow, what internal and leaf
 * pages hold, the leaf chain, and the pages a lookup reads.
 *
 * Starts: a MySQL-compatible server in a container (Debian's MariaDB unless LABS_MYSQL_IMAGE names
 * another image) and a table t(id INT PRIMARY KEY, k INT NOT NULL, pad CHAR(200), KEY(k)).
 *
 * Does: grows t to 10, then 2 000, then 100 000 rows; after each step flushes the table to its
 * .ibd file (FLUSH TABLES … FOR EXPORT) and has innochecksum describe every page; at the end copies
 * the .ibd file and reads its index pages; runs a point lookup by primary key, the same row looked
 * up through KEY k (the index alone, then the whole row) and a range scan while watching the
 * server's buffer pool read counter.
 *
 * Observes: @@innodb_page_size and the file system's block size, innochecksum's page dump (index id,
 * level, records per page), the records and FIL prev/next links of the pages themselves, and
 * Innodb_buffer_pool_read_requests before and after each query.
 */
import type { Connection } from 'mysql2/promise';
import { defineLab } from '../../src/core/lab.ts';
import type { ClaimResult, Evidence } from '../../src/core/types.ts';
import { keptJson, notObserved, withEvidence } from '../../src/core/verdict.ts';
import { FIL_NULL, indexPages, parsePageTypeDump, readInt, type IndexPage, type PageSummary } from '../../src/observers/innodb.ts';
import { startMysqlServer, type MysqlServer } from '../../src/systems/mysql-server.ts';

export const STEPS = [10, 2_000, 100_000];

export interface Growth {
  rows: number;
  height: number;
  leafPages: number;
  internalPages: number;
  recordsPerLeaf: number;
  recordsPerInternal: number;
}

/** Height and page counts of one index from innochecksum's dump. */
export function growthOf(rows: number, pages: PageSummary[], indexId: number): Growth {
  const mine = pages.filter((p) => p.indexId === indexId);
  const leaves = mine.filter((p) => p.level === 0);
  const internal = mine.filter((p) => (p.level ?? 0) > 0);
  const avg = (ps: PageSummary[]) => (ps.length ? Math.round(ps.reduce((a, p) => a + (p.records ?? 0), 0) / ps.length) : 0);
  return { rows, height: Math.max(0, ...mine.map((p) => p.level ?? 0)) + 1, leafPages: leaves.length, internalPages: internal.length, recordsPerLeaf: avg(leaves), recordsPerInternal: avg(internal) };
}

export function judgePageSize(pageSize: number, fileBytes: number, pageNumbersMatch: boolean, fsBlock: number): ClaimResult {
  const observed = { innodbPageSize: pageSize, fileBytes, fileIsWholePages: fileBytes % pageSize === 0, pageNumbersMatchOffsets: pageNumbersMatch, fileSystemBlock: fsBlock };
  const holds = observed.fileIsWholePages && pageNumbersMatch;
  return {
    id: 'mysql.btree.page-size',
    verdict: !holds ? 'refuted' : pageSize === fsBlock ? 'confirmed' : 'nuanced',
    summary: !holds
      ? `The file is not a sequence of ${pageSize}-byte pages: ${JSON.stringify(observed)}.`
      : `Each tree node is one ${pageSize / 1024} KiB page: the server says innodb_page_size=${pageSize}, and the ${fileBytes}-byte .ibd file is ${fileBytes / pageSize} pages, each carrying its own number at its offset. ${pageSize === fsBlock ? '' : `That is not the disk's page: the file system under it uses ${fsBlock}-byte blocks, so one node spans ${pageSize / fsBlock} of them.`}`,
    summaryZh: !holds
      ? `该文件并不是由 ${pageSize} 字节的页依次组成的：${JSON.stringify(observed)}。`
      : `每个树节点就是一个 ${pageSize / 1024} KiB 的页：服务器报告 innodb_page_size=${pageSize}，${fileBytes} 字节的 .ibd 文件正好是 ${fileBytes / pageSize} 个页，每页在其偏移处都记着自己的页号。${pageSize === fsBlock ? '' : `但这并不是磁盘的页：底层文件系统使用 ${fsBlock} 字节的块，所以一个节点横跨 ${pageSize / fsBlock} 个块。`}`,
    observed,
    evidence: [],
  };
}

export function judgeHeight(growth: Growth[]): ClaimResult {
  const heights = growth.map((g) => g.height);
  const last = growth.at(-1)!;
  const capacity2 = last.recordsPerInternal * last.recordsPerLeaf;
  const observed = { growth, approxRowsHeldAtHeight2: capacity2, approxRowsHeldAtHeight3: capacity2 * last.recordsPerInternal };
  const holds = heights.every((h, i) => i === 0 || h >= heights[i - 1]!) && last.height <= 4;
  return {
    id: 'mysql.btree.height',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The clustered index was ${growth.map((g) => `${g.height} level${g.height > 1 ? 's' : ''} at ${g.rows} rows`).join(', ')}: with ~${last.recordsPerLeaf} rows per leaf and ~${last.recordsPerInternal} pointers per internal page, 2 levels hold ~${capacity2.toLocaleString('en')} rows and 3 levels ~${(capacity2 * last.recordsPerInternal).toLocaleString('en')}.`
      : `Heights ${heights.join(', ')} for ${growth.map((g) => g.rows).join(', ')} rows.`,
    summaryZh: holds
      ? `聚簇索引的高度：${growth.map((g) => `${g.rows} 行时 ${g.height} 层`).join('，')}；每个叶子页约 ${last.recordsPerLeaf} 行、每个内部页约 ${last.recordsPerInternal} 个指针，因此 2 层大约能容纳 ${capacity2.toLocaleString('en')} 行，3 层大约 ${(capacity2 * last.recordsPerInternal).toLocaleString('en')} 行。`
      : `行数为 ${growth.map((g) => g.rows).join(', ')} 时，树高分别为 ${heights.join(', ')}。`,
    observed,
    evidence: [{ kind: 'table', title: 'The clustered index as rows grow (innochecksum)', columns: ['rows', 'height', 'leaf pages', 'internal pages', 'records per leaf', 'records per internal page'], rows: growth.map((g) => [g.rows, g.height, g.leafPages, g.internalPages, g.recordsPerLeaf, g.recordsPerInternal]) }],
  };
}

export function judgeInternalKeys(root: IndexPage, pageSize: number): ClaimResult {
  const pointers = root.list.filter((r) => r.type === 1);
  const ascending = pointers.every((r, i) => i === 0 || r.key > pointers[i - 1]!.key);
  const sizes = pointers.slice(1).map((r, i) => r.origin - pointers[i]!.origin);
  const observed = { rootPage: root.pageNo, level: root.level, records: root.list.length, nodePointers: pointers.length, keysAscending: ascending, firstPointers: pointers.slice(0, 5).map((r) => ({ key: r.key, childPage: r.child })), typicalRecordBytes: sizes.sort((a, b) => a - b)[Math.floor(sizes.length / 2)] };
  const holds = root.level > 0 && pointers.length === root.list.length && pointers.length > 1 && ascending;
  return {
    id: 'mysql.btree.internal-keys-only',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `The root (page ${root.pageNo}, level ${root.level}) held ${pointers.length} node-pointer records only, each an id and a child page number (${observed.typicalRecordBytes} bytes with its header): no row data, which is why one ${pageSize / 1024} KiB page points to so many children.`
      : `The root page holds other records: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `根页（第 ${root.pageNo} 页，层级 ${root.level}）只存放了 ${pointers.length} 条节点指针记录，每条就是一个 id 加一个子页号（连同记录头共 ${observed.typicalRecordBytes} 字节）：没有行数据，所以一个 ${pageSize / 1024} KiB 的页能指向这么多子节点。`
      : `根页中还存放着其他记录：${JSON.stringify(observed)}。`,
    observed,
    evidence: [{ kind: 'table', title: `Node pointers in the root page ${root.pageNo}`, columns: ['key (id)', 'child page'], rows: pointers.slice(0, 12).map((r) => [r.key, r.child ?? '']) }],
  };
}

export interface LeafSample {
  clustered: { id: number; trxId: string; k: number; padStart: string };
  secondary: { k: number; primaryKey: number };
}

/** `expected`: what SQL says of the same rows: k of the clustered row, and whether (primaryKey, k) is a row. */
export function judgeLeafData(sample: LeafSample, expected: { k: number; secondaryPairIsARow: boolean }): ClaimResult {
  const observed = { ...sample, kBySql: expected.k, secondaryPairIsARow: expected.secondaryPairIsARow };
  const holds = sample.clustered.k === expected.k && sample.clustered.padStart.startsWith('xxxx') && expected.secondaryPairIsARow;
  return {
    id: 'mysql.btree.leaf-data',
    verdict: holds ? 'nuanced' : 'refuted',
    summary: holds
      ? `A leaf of the clustered index held the whole row (id ${sample.clustered.id}, transaction id ${sample.clustered.trxId}, k=${sample.clustered.k}, pad "${sample.clustered.padStart}…"), as stated; a leaf of the secondary index on k held k=${sample.secondary.k} and the primary key ${sample.secondary.primaryKey}, not a pointer to where the row lies: InnoDB finds the row by a second descent of the clustered index.`
      : `The leaf records did not hold what was expected: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `聚簇索引的叶子页存放着完整的行（id ${sample.clustered.id}，事务 id ${sample.clustered.trxId}，k=${sample.clustered.k}，pad "${sample.clustered.padStart}…"），与资料所说一致；而 k 上二级索引的叶子页存放的是 k=${sample.secondary.k} 和主键 ${sample.secondary.primaryKey}，并不是指向行所在位置的指针：InnoDB 要再沿聚簇索引下降一次（回表）才能找到这一行。`
      : `叶子记录中的内容与预期不符：${JSON.stringify(observed)}。`,
    observed,
    evidence: [{ kind: 'table', title: 'One leaf record of each index, decoded from the page', columns: ['index', 'fields'], rows: [['PRIMARY (clustered)', `id=${sample.clustered.id}, DB_TRX_ID=${sample.clustered.trxId}, k=${sample.clustered.k}, pad=${sample.clustered.padStart}…`], ['k (secondary)', `k=${sample.secondary.k}, id=${sample.secondary.primaryKey}`]] }],
  };
}

/** The tree as read from the file, level by level: page number and key range of each page. */
export function treeOf(pages: Map<number, IndexPage>, shown = 6): Evidence {
  const byLevel = new Map<number, IndexPage[]>();
  for (const p of pages.values()) byLevel.set(p.level, [...(byLevel.get(p.level) ?? []), p]);
  const levels = [...byLevel.keys()].sort((a, b) => b - a).map((level) => {
    const nodes = byLevel.get(level)!.sort((a, b) => (a.list[0]?.key ?? 0) - (b.list[0]?.key ?? 0));
    return { nodes: nodes.slice(0, shown).map((p) => `page ${p.pageNo}: ${p.list[0]?.key ?? ''}…${p.list.at(-1)?.key ?? ''}`), omitted: Math.max(0, nodes.length - shown) };
  });
  return { kind: 'tree', title: 'The clustered index drawn from t.ibd (page number: first key … last key)', levels };
}

export function judgeLeafLinks(pages: Map<number, IndexPage>): ClaimResult {
  const leaves = [...pages.values()].filter((p) => p.level === 0);
  const first = leaves.find((p) => p.prev === FIL_NULL);
  const visited: IndexPage[] = [];
  let backLinksHold = true;
  let ordered = true;
  for (let page = first; page && visited.length <= leaves.length; page = pages.get(page.next)) {
    const previous = visited.at(-1);
    if (previous && page.prev !== previous.pageNo) backLinksHold = false;
    if (previous && page.list[0] && previous.list.at(-1) && page.list[0].key <= previous.list.at(-1)!.key) ordered = false;
    visited.push(page);
    if (page.next === FIL_NULL) break;
  }
  const observed = { leafPages: leaves.length, walkedForward: visited.length, backLinksHold, keysAscendAcrossPages: ordered, firstLeaf: first?.pageNo, lastLeaf: visited.at(-1)?.pageNo, firstKeys: visited.slice(0, 6).map((p) => `${p.pageNo}: ${p.list[0]?.key}…${p.list.at(-1)?.key}`) };
  const holds = !!first && visited.length === leaves.length && backLinksHold && ordered;
  return {
    id: 'mysql.btree.leaf-links',
    verdict: holds ? 'confirmed' : 'refuted',
    summary: holds
      ? `Following each leaf's next-page field from page ${first!.pageNo} visited all ${leaves.length} leaves in key order, and each page's previous-page field pointed back: a doubly linked list.`
      : `The leaf chain is not a complete ordered doubly linked list: ${JSON.stringify(observed)}.`,
    summaryZh: holds
      ? `从第 ${first!.pageNo} 页开始，沿每个叶子页的 next 页字段前进，按键的顺序访问到了全部 ${leaves.length} 个叶子页，而且每个页的 previous 页字段都指回前一页：这是一个双向链表。`
      : `叶子链并不是一个完整、有序的双向链表：${JSON.stringify(observed)}。`,
    observed,
    evidence: [{ kind: 'choices', title: 'The first leaves in chain order (page: first key … last key)', choices: observed.firstKeys }],
  };
}

/**
 * Page reads of a lookup through the secondary index on k: `covering` reads only that index
 * (SELECT id … WHERE k = ?), `row` fetches the whole row (SELECT * … WHERE k = ?). `height` is the
 * secondary index's own height, read from the file. What `row` asks for beyond `covering` is the
 * step from the secondary leaf to the record.
 */
export interface SecondaryLookup {
  height: number;
  covering: number;
  row: number;
}

/** How a lookup went on from its leaf to the record: nothing, one page (a pointer), a descent of the clustered index, or otherwise. */
type Step = 'none' | 'pointer' | 'descent' | 'other';

export function judgeLookupPath(height: number, point: number, range: { pages: number; rows: number }, recordsPerLeaf: number, secondary: SecondaryLookup): ClaimResult {
  const id = 'mysql.btree.lookup-path';
  // Every lookup asks for at least one page: a count of 0 means the counter did not move, not a lookup without reads.
  const counted = (x: number) => Number.isFinite(x) && x > 0;
  const missing = !(height >= 1)
    ? ['the clustered index\'s height', '聚簇索引的树高']
    : !counted(point)
      ? ['the page reads of the point lookup by primary key (Innodb_buffer_pool_read_requests)', '按主键点查的页读取数（Innodb_buffer_pool_read_requests）']
      : !counted(secondary?.covering) || !counted(secondary?.row)
        ? ['the page reads of the lookups through the secondary index (Innodb_buffer_pool_read_requests)', '经二级索引查找的页读取数（Innodb_buffer_pool_read_requests）']
        : undefined;
  if (missing) return notObserved(id, { en: `No count of ${missing[0]} was recorded.`, zh: `没有记录到${missing[1]}。` }, { height, pointLookupPageReads: point, secondary });
  const leavesSpanned = Math.ceil(range.rows / recordsPerLeaf);
  const afterLeaf = secondary.row - secondary.covering;
  const primaryStep: Step = point === height ? 'none' : point === height + 1 ? 'pointer' : 'other';
  // One page is what following a pointer to the record costs; a second descent costs the clustered
  // index's height (plus the page InnoDB re-latches to resume the secondary cursor).
  const secondaryStep: Step = afterLeaf === 0 ? 'none' : afterLeaf === 1 ? 'pointer' : afterLeaf >= height && afterLeaf <= height + 1 ? 'descent' : 'other';
  const observed = {
    height,
    pointLookupPageReads: point,
    primaryStepAfterLeaf: primaryStep,
    secondaryHeight: secondary.height,
    secondaryCoveringPageReads: secondary.covering,
    secondaryRowPageReads: secondary.row,
    secondaryPagesAfterLeaf: afterLeaf,
    secondaryStepAfterLeaf: secondaryStep,
    rangeRows: range.rows,
    rangePageReads: range.pages,
    leavesSpannedByRange: leavesSpanned,
  };
  const evidence: Evidence[] = [
    {
      kind: 'bars',
      title: 'Buffer pool page requests per query (Innodb_buffer_pool_read_requests)',
      bars: [
        { label: 'tree height (PRIMARY)', value: height },
        { label: 'point lookup by id', value: point },
        { label: 'by k, SELECT id (secondary index only)', value: secondary.covering },
        { label: 'by k, SELECT * (the row too)', value: secondary.row },
        { label: `range of ${range.rows} ids (context)`, value: range.pages },
      ],
    },
  ];
  const result = (verdict: ClaimResult['verdict'], en: string, zh: string): ClaimResult => ({ id, verdict, summary: en, summaryZh: zh, observed, evidence });
  const rangeEn = ` (For context: a range of ${range.rows} ids, spanning ${leavesSpanned} leaves, asked for ${range.pages} pages.)`;
  const rangeZh = `（作为参照：一个 ${range.rows} 个 id、横跨 ${leavesSpanned} 个叶子页的范围查询请求了 ${range.pages} 个页。）`;
  if (primaryStep === 'other')
    return result('refuted', `A point lookup by primary key asked the buffer pool for ${point} pages in a tree of height ${height}: not one page per level down to a leaf${point > height ? ' and at most one more' : ''}.${rangeEn}`, `按主键的点查向 buffer pool 请求了 ${point} 个页，而树高为 ${height}：并不是从根到叶子每层一个页${point > height ? '再加至多一个页' : ''}。${rangeZh}`);
  const primaryEn = primaryStep === 'none'
    ? `A point lookup by primary key asked for exactly ${point} pages, the tree's height: one per level from the root to the leaf, and nothing after it: the clustered leaf holds the row, so there is no pointer to follow.`
    : `A point lookup by primary key asked for ${point} pages, one per level of the ${height}-level tree and one more after the leaf, as following a pointer to the record would.`;
  const primaryZh = primaryStep === 'none'
    ? `按主键的点查正好请求了 ${point} 个页，等于树高：从根到叶子每层一个页，叶子之后再没有读页：聚簇索引的叶子里就存着这一行，没有指针可跟。`
    : `按主键的点查请求了 ${point} 个页：${height} 层的树每层一个，叶子之后还多一个，正像沿指针去读记录那样。`;
  const secondaryEn = {
    none: `through the secondary index on k, fetching the whole row asked for no more pages (${secondary.row}) than reading the index alone (${secondary.covering}): no step from the leaf to a record was seen`,
    pointer: `through the secondary index on k, fetching the whole row asked for ${secondary.row} pages, one more than reading the index alone (${secondary.covering}): one page, as a pointer to the record costs`,
    descent: `through the secondary index on k (height ${secondary.height}), fetching the whole row asked for ${secondary.row} pages, ${afterLeaf} more than reading the index alone (${secondary.covering}): the secondary leaf gave the primary key, and the row was found by a second descent of the ${height}-level clustered index, not by following a pointer (one page)`,
    other: `through the secondary index on k, fetching the whole row asked for ${secondary.row} pages against ${secondary.covering} for the index alone: ${afterLeaf} pages after the leaf, neither one page (a pointer) nor a descent of the ${height}-level clustered index`,
  }[secondaryStep];
  const secondaryZh = {
    none: `经 k 上的二级索引查找时，取整行请求的页（${secondary.row}）并不比只读索引（${secondary.covering}）多：没有看到从叶子到记录的那一步`,
    pointer: `经 k 上的二级索引查找时，取整行请求了 ${secondary.row} 个页，比只读索引（${secondary.covering}）多一个：正是沿指针读记录所需的一个页`,
    descent: `经 k 上的二级索引（高 ${secondary.height}）查找时，取整行请求了 ${secondary.row} 个页，比只读索引（${secondary.covering}）多 ${afterLeaf} 个：二级索引的叶子给出的是主键，这一行是沿 ${height} 层的聚簇索引再下降一次（回表）找到的，而不是沿指针（一个页）找到的`,
    other: `经 k 上的二级索引查找时，取整行请求了 ${secondary.row} 个页，只读索引为 ${secondary.covering} 个：叶子之后多了 ${afterLeaf} 个页，既不是一个页（指针），也不是沿 ${height} 层的聚簇索引下降一次`,
  }[secondaryStep];
  if (primaryStep === 'pointer' && secondaryStep === 'pointer')
    return result('confirmed', `${primaryEn} And ${secondaryEn}.${rangeEn}`, `${primaryZh}而且${secondaryZh}。${rangeZh}`);
  if (secondaryStep === 'other' || (primaryStep === 'none' && secondaryStep === 'none')) {
    const [en, zh] = secondaryStep === 'none' ? [' Neither lookup took a step from the leaf to a record.', '两次查找都没有从叶子再去读记录。'] : ['', ''];
    return result('refuted', `${primaryEn} And ${secondaryEn}.${en}${rangeEn}`, `${primaryZh}而且${secondaryZh}。${zh}${rangeZh}`);
  }
  return result('nuanced', `The descent from the root to a leaf holds, the pointer steps do not as stated. ${primaryEn} And ${secondaryEn}.${rangeEn}`, `从根逐层下降到叶子这一点成立，"获取指针、通过指针访问记录"这两步并不像所说的那样。${primaryZh}而且${secondaryZh}。${rangeZh}`);
}

async function value(db: Connection, sql: string): Promise<string> {
  const [rows] = (await db.query(sql)) as unknown as [Record<string, unknown>[]];
  return String(Object.values(rows[0]!)[0]);
}

/** Index id and root page of an index, from MariaDB's or MySQL's InnoDB dictionary tables. */
async function indexInfo(db: Connection, name: string): Promise<{ id: number; root: number }> {
  const q = async (indexes: string, tables: string) => {
    const [rows] = (await db.query(`SELECT i.INDEX_ID AS id, i.PAGE_NO AS root FROM information_schema.${indexes} i JOIN information_schema.${tables} t USING (TABLE_ID) WHERE t.NAME = 'labs/t' AND i.NAME = ?`, [name])) as unknown as [{ id: number; root: number }[]];
    return rows[0];
  };
  const found = (await q('INNODB_SYS_INDEXES', 'INNODB_SYS_TABLES').catch(() => undefined)) ?? (await q('INNODB_INDEXES', 'INNODB_TABLES'));
  if (!found) throw new Error(`index ${name} of labs/t not found in the InnoDB dictionary`);
  return { id: Number(found.id), root: Number(found.root) };
}

/** Flushes t to its file and runs `fn` while the table is quiesced. */
async function flushed<T>(db: Connection, fn: () => Promise<T>): Promise<T> {
  await db.query('FLUSH TABLES t FOR EXPORT');
  try {
    return await fn();
  } finally {
    await db.query('UNLOCK TABLES');
  }
}

async function readRequests(db: Connection, sql: string): Promise<number> {
  const counter = async () => Number(await value(db, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_READ_REQUESTS'"));
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = await counter();
    await db.query(sql);
    samples.push((await counter()) - before);
  }
  return Math.min(...samples);
}

function decodeLeaves(file: Buffer, pageSize: number, pages: Map<number, IndexPage>, secondary: Map<number, IndexPage>): LeafSample {
  const leaf = [...pages.values()].find((p) => p.level === 0 && p.list.length > 2)!;
  const record = leaf.list[1]!;
  const page = file.subarray(leaf.pageNo * pageSize, (leaf.pageNo + 1) * pageSize);
  const o = record.origin;
  const sleaf = [...secondary.values()].find((p) => p.level === 0 && p.list.length > 2)!;
  const srec = sleaf.list[1]!;
  const spage = file.subarray(sleaf.pageNo * pageSize, (sleaf.pageNo + 1) * pageSize);
  // Clustered leaf record: id, DB_TRX_ID (6 bytes), DB_ROLL_PTR (7), k, pad. Secondary: k, then id.
  return {
    clustered: { id: record.key, trxId: page.subarray(o + 4, o + 10).toString('hex'), k: readInt(page, o + 17), padStart: page.subarray(o + 21, o + 29).toString('latin1') },
    secondary: { k: srec.key, primaryKey: readInt(spage, srec.origin + 4) },
  };
}

/** What the lab keeps as leaves-and-lookups.json: the inputs of the leaf-data and lookup-path judges. */
export interface LeavesAndLookups {
  sample: LeafSample;
  /** k of the decoded clustered row, by SQL. */
  k: number;
  /** COUNT(*) of rows with the (primary key, k) pair decoded from the secondary leaf. */
  pair: number;
  treeHeight: number;
  point: number;
  secondaryLookup: SecondaryLookup;
  range: { rows: number; pages: number };
  growth: Growth[];
}

export default defineLab({
  id: 'mysql-btree',
  title: 'The InnoDB B+ tree read from its file: page size, height, internal and leaf pages, the leaf chain, lookups',
  topic: 'mysql',
  claims: ['mysql.btree.page-size', 'mysql.btree.height', 'mysql.btree.internal-keys-only', 'mysql.btree.leaf-data', 'mysql.btree.leaf-links', 'mysql.btree.lookup-path'],
  requires: ['docker'],
  timeLimitMs: 240_000,
  handout: {
    starts: 'A MariaDB (or LABS_MYSQL_IMAGE) server in a container; table t(id INT PRIMARY KEY, k INT, pad CHAR(200), KEY(k)).',
    does: 'Grows t to 10, 2 000 and 100 000 rows, flushing it to disk and dumping its pages with innochecksum each time; reads the .ibd pages; runs a point lookup by id, the same row by k (index only, then the whole row), and a range scan.',
    observes: 'innodb_page_size, innochecksum page levels and record counts, records and prev/next links decoded from the pages, buffer pool read requests per query.',
    zh: {
      title: '直接从数据文件读 InnoDB 的 B+ 树：页大小、树高、内部页与叶子页、叶子链表、查找',
      starts: '容器中的 MariaDB（或 LABS_MYSQL_IMAGE）服务器；表 t(id INT PRIMARY KEY, k INT, pad CHAR(200), KEY(k))。',
      does: '把 t 依次扩充到 10、2 000 和 100 000 行，每次都先刷盘，再用 innochecksum 导出页信息；读取 .ibd 文件中的页；执行一次按 id 的点查、按 k 查同一行（只读索引，再取整行），以及一次范围扫描。',
      observes: 'innodb_page_size、innochecksum 给出的页层级和记录数、从页中解码出的记录及 prev/next 链接、每个查询的 buffer pool 读请求数。',
    },
  },
  async run(ctx) {
    ctx.step('starting the server');
    const server: MysqlServer = await startMysqlServer(ctx.scope, ctx.runId);
    ctx.environment.server = server.version;
    const db = await server.connect();
    const pageSize = Number(await value(db, 'SELECT @@innodb_page_size'));
    ctx.environment.innodb_page_size = String(pageSize);
    const fsBlock = Number((await server.run(['stat', '-f', '-c', '%S', '/var/lib/mysql'])).trim());
    await db.query('CREATE TABLE t (id INT PRIMARY KEY, k INT NOT NULL, pad CHAR(200) NOT NULL, KEY k (k)) ENGINE=InnoDB');
    const primary = await indexInfo(db, 'PRIMARY');
    const secondaryIndex = await indexInfo(db, 'k');

    const growth: Growth[] = [];
    const dumps: Evidence[] = [];
    let loaded = 0;
    for (const rows of STEPS) {
      ctx.step(`growing t to ${rows} rows`);
      await db.query(`INSERT INTO t SELECT seq, (seq * 7919) % 100000, REPEAT('x', 200) FROM ${server.sequence(loaded + 1, rows)}`);
      loaded = rows;
      const dump = await flushed(db, async () => {
        await server.run(['innochecksum', '--page-type-dump=/tmp/pages.txt', '/var/lib/mysql/labs/t.ibd']);
        return server.run(['cat', '/tmp/pages.txt']);
      });
      growth.push(growthOf(rows, parsePageTypeDump(dump), primary.id));
      dumps.push({ kind: 'command', title: `innochecksum --page-type-dump at ${rows} rows (first lines)`, command: 'innochecksum --page-type-dump=/tmp/pages.txt labs/t.ibd', output: dump.split('\n').slice(0, 14).join('\n') });
    }

    ctx.step('reading the pages of t.ibd');
    const file = await flushed(db, () => server.readDataFile('labs/t.ibd'));
    const pages = indexPages(file, pageSize, primary.id);
    const secondary = indexPages(file, pageSize, secondaryIndex.id);
    let pageNumbersMatch = true;
    for (let n = 0; n * pageSize < file.length; n++) if (file.readUInt32BE(n * pageSize + 4) !== n && file.readUInt32BE(n * pageSize + 4) !== 0) pageNumbersMatch = false;
    const sample = decodeLeaves(file, pageSize, pages, secondary);
    const [[row]] = (await db.query('SELECT k FROM t WHERE id = ?', [sample.clustered.id])) as unknown as [[{ k: number }]];
    const pair = Number(await value(db, `SELECT COUNT(*) FROM t WHERE id = ${sample.secondary.primaryKey} AND k = ${sample.secondary.k}`));

    ctx.step('page reads of point lookups by id and by k, and of a range scan');
    const treeHeight = growth.at(-1)!.height;
    const point = await readRequests(db, 'SELECT * FROM t WHERE id = 54321');
    // k of row 54321 (k is (id * 7919) % 100000, one row per k): the same row found through KEY k,
    // reading the index alone (id is in its leaves) and then the whole row.
    const byK = Number(await value(db, 'SELECT k FROM t WHERE id = 54321'));
    const secondaryLookup: SecondaryLookup = {
      height: Math.max(0, ...[...secondary.values()].map((p) => p.level)) + 1,
      covering: await readRequests(db, `SELECT id FROM t WHERE k = ${byK}`),
      row: await readRequests(db, `SELECT * FROM t WHERE k = ${byK}`),
    };
    const range = { rows: 4000, pages: await readRequests(db, 'SELECT * FROM t WHERE id BETWEEN 20001 AND 24000') };

    const height = judgeHeight(growth);
    return [
      { ...judgePageSize(pageSize, file.length, pageNumbersMatch, fsBlock), evidence: [dumps[0]!] },
      { ...height, evidence: [treeOf(pages), ...height.evidence, ...dumps] },
      judgeInternalKeys(pages.get(primary.root)!, pageSize),
      withEvidence(judgeLeafData(sample, { k: row.k, secondaryPairIsARow: pair === 1 }), ...keptJson(ctx, 'leaves-and-lookups.json', { sample, k: row.k, pair, treeHeight, point, secondaryLookup, range, growth } satisfies LeavesAndLookups, 'the decoded leaf records, the lookups\' page reads and the growth steps (JSON)')),
      judgeLeafLinks(pages),
      judgeLookupPath(treeHeight, point, range, growth.at(-1)!.recordsPerLeaf, secondaryLookup),
    ];
  },
});
