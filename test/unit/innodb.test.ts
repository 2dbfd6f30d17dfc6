/** The InnoDB page reader on real pages of a 2000-row table written by MariaDB 10.11, and innochecksum's dump of them. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { growthOf, judgeInternalKeys, judgeLeafLinks } from '../../labs/mysql/btree.lab.ts';
import { FIL_NULL, indexPages, parseIndexPage, parsePageTypeDump } from '../../src/observers/innodb.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const file = fixture('t-2000-rows-first-8-pages.ibd');
const page = (n: number) => file.subarray(n * 16384, (n + 1) * 16384);

describe('innochecksum page dump', () => {
  it('reads index id, level and record count per page', () => {
    const pages = parsePageTypeDump(fixture('innochecksum-2000-rows.txt').toString());
    expect(pages[0]).toMatchObject({ pageNo: 0, type: 'File Space Header' });
    const root = pages.find((p) => p.pageNo === 3)!;
    expect(root).toMatchObject({ type: 'Index page', level: 1 });
    const growth = growthOf(2000, pages, root.indexId!);
    expect(growth).toMatchObject({ height: 2, internalPages: 1 });
    expect(growth.leafPages).toBe(root.records);
  });
});

describe('index pages read from the file', () => {
  it('the root holds node pointers: ascending keys and child page numbers', () => {
    const root = parseIndexPage(page(3));
    expect(root).toMatchObject({ pageNo: 3, level: 1, prev: FIL_NULL, next: FIL_NULL });
    expect(root.list.length).toBe(root.records);
    expect(root.list.every((r) => r.type === 1 && r.child !== undefined)).toBe(true);
    expect(root.list[0]!.key).toBe(1);
    expect(judgeInternalKeys(root, 16384).verdict).toBe('confirmed');
  });

  it('a leaf holds ordinary records in key order and links to its neighbours', () => {
    const leaf = parseIndexPage(page(5));
    expect(leaf.level).toBe(0);
    expect(leaf.list.every((r) => r.type === 0)).toBe(true);
    expect(leaf.list.map((r) => r.key)).toEqual([...leaf.list.map((r) => r.key)].sort((a, b) => a - b));
    expect(leaf.prev).toBe(FIL_NULL);
    expect(leaf.next).not.toBe(FIL_NULL);
  });

  it('walks the leaves of the fixture in order, and a broken chain refutes', () => {
    const pages = indexPages(file, 16384, parseIndexPage(page(3)).indexId);
    const leaves = [...pages.values()].filter((p) => p.level === 0);
    expect(leaves.length).toBeGreaterThan(2);
    expect(judgeLeafLinks(pages).verdict).toBe('confirmed');
    const broken = new Map(pages);
    broken.delete(leaves[1]!.pageNo);
    expect(judgeLeafLinks(broken).verdict).toBe('refuted');
  });
});
