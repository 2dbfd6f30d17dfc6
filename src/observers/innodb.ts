/**
 * Reads InnoDB index pages from a tablespace file (.ibd). innochecksum (shipped with the server)
 * reports each page's type, index id, level and record count, and its output is parsed here; no
 * tool prints the records themselves or the leaf links, so those are read from the page format:
 * the FIL header (page number, prev/next page) and the compact record headers (type, next record).
 */

export const FIL_NULL = 0xffffffff;
export const FIL_PAGE_INDEX = 17855;
const PAGE_LEVEL = 64;
const PAGE_N_RECS = 54;
const PAGE_INDEX_ID = 66;
/** Origins of the infimum and supremum records in a compact-format page. */
const INFIMUM = 99;
const SUPREMUM = 112;

export interface PageSummary {
  pageNo: number;
  type: string;
  indexId?: number;
  level?: number;
  records?: number;
}

/** Parses `innochecksum --page-type-dump` lines such as `#::3 | Index page | index id=23, page level=1, No. of records=304, …`. */
export function parsePageTypeDump(text: string): PageSummary[] {
  return text
    .split('\n')
    .map((line) => line.match(/^#::\s*(\d+)\s*\|\s*([^|]+?)\s*\|\s*(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => {
      const extra = m[3]!;
      const num = (re: RegExp) => (extra.match(re) ? Number(extra.match(re)![1]) : undefined);
      return { pageNo: Number(m[1]), type: m[2]!, indexId: num(/index id=(\d+)/), level: num(/page level=(\d+)/), records: num(/No\. of records=(\d+)/) };
    });
}

export interface IndexRecord {
  /** Byte offset of the record's origin in the page. */
  origin: number;
  /** 0 = ordinary (leaf) record, 1 = node pointer. */
  type: number;
  /** The first key column, an INT as InnoDB stores it (big-endian, sign bit flipped). */
  key: number;
  /** For node pointers: the child page number that follows the key. */
  child?: number;
}

export interface IndexPage {
  pageNo: number;
  prev: number;
  next: number;
  type: number;
  level: number;
  records: number;
  indexId: number;
  list: IndexRecord[];
}

export const readInt = (page: Buffer, at: number) => (page.readUInt32BE(at) ^ 0x80000000) | 0;

/** Parses one compact-format index page whose first key column is an INT. */
export function parseIndexPage(page: Buffer): IndexPage {
  const list: IndexRecord[] = [];
  let origin = INFIMUM + page.readInt16BE(INFIMUM - 2);
  for (let guard = 0; origin !== SUPREMUM && guard < 2000; guard++) {
    const type = page.readUInt16BE(origin - 4) & 0x7;
    list.push({ origin, type, key: readInt(page, origin), ...(type === 1 ? { child: page.readUInt32BE(origin + 4) } : {}) });
    origin = (origin + page.readInt16BE(origin - 2) + 0x10000) % 0x10000;
  }
  return {
    pageNo: page.readUInt32BE(4),
    prev: page.readUInt32BE(8),
    next: page.readUInt32BE(12),
    type: page.readUInt16BE(24),
    level: page.readUInt16BE(PAGE_LEVEL),
    records: page.readUInt16BE(PAGE_N_RECS),
    indexId: Number(page.readBigUInt64BE(PAGE_INDEX_ID)),
    list,
  };
}

/** Splits a tablespace into pages and parses the index pages of one index. */
export function indexPages(file: Buffer, pageSize: number, indexId: number): Map<number, IndexPage> {
  const pages = new Map<number, IndexPage>();
  for (let at = 0; at + pageSize <= file.length; at += pageSize) {
    const page = file.subarray(at, at + pageSize);
    if (page.readUInt16BE(24) !== FIL_PAGE_INDEX) continue;
    const parsed = parseIndexPage(page);
    if (parsed.indexId === indexId) pages.set(parsed.pageNo, parsed);
  }
  return pages;
}
