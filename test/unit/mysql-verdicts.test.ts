/**
 * The mysql-btree verdicts the older unit tests left out, on real pages of a 2000-row table (MariaDB 10.11)
 * and innochecksum's dump of them, and on altered copies: page size (every verdict), height (both), internal keys (refuted).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { growthOf, judgeHeight, judgeInternalKeys, judgePageSize } from '../../labs/mysql/btree.lab.ts';
import { parseIndexPage, parsePageTypeDump } from '../../src/observers/innodb.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
/** The first 8 pages of t.ibd. */
const file = fixture('t-2000-rows-first-8-pages.ibd');
const PAGE = 16384;
const page = (buffer: Buffer, n: number) => buffer.subarray(n * PAGE, (n + 1) * PAGE);
const pageNumbersMatch = (buffer: Buffer) => {
  // As the lab reads them: each page carries its own number at offset 4 (0 on pages never written).
  for (let n = 0; n * PAGE < buffer.length; n++) if (buffer.readUInt32BE(n * PAGE + 4) !== n && buffer.readUInt32BE(n * PAGE + 4) !== 0) return false;
  return true;
};
const dump = parsePageTypeDump(fixture('innochecksum-2000-rows.txt').toString());
const root = parseIndexPage(page(file, 3));
const growth = growthOf(2000, dump, root.indexId);

describe('page size', () => {
  it('is nuanced on the real file over 4 KiB file-system blocks: whole 16 KiB pages, each numbered at its offset, but not the disk\'s block', () => {
    expect(pageNumbersMatch(file)).toBe(true);
    expect(judgePageSize(PAGE, file.length, pageNumbersMatch(file), 4096)).toMatchObject({ verdict: 'nuanced', observed: { fileIsWholePages: true, pageNumbersMatchOffsets: true } });
  });

  it('is confirmed had the file system used 16 KiB blocks too', () => {
    expect(judgePageSize(PAGE, file.length, pageNumbersMatch(file), PAGE).verdict).toBe('confirmed');
  });

  it('is refuted when a page carries another page\'s number, or the file is not whole pages', () => {
    const renumbered = Buffer.from(file);
    renumbered.writeUInt32BE(9, 6 * PAGE + 4);
    expect(pageNumbersMatch(renumbered)).toBe(false);
    expect(judgePageSize(PAGE, renumbered.length, pageNumbersMatch(renumbered), 4096).verdict).toBe('refuted');
    expect(judgePageSize(PAGE, file.length - 512, pageNumbersMatch(file), 4096).verdict).toBe('refuted');
  });
});

describe('height', () => {
  it('is confirmed on the real dump: two levels at 2000 rows, a root over the leaves', () => {
    expect(growth).toMatchObject({ rows: 2000, height: 2, internalPages: 1 });
    expect(judgeHeight([growth]).verdict).toBe('confirmed');
  });

  it('is refuted when the tree got lower as rows were added, or grew past four levels', () => {
    expect(judgeHeight([growth, { ...growth, rows: 100_000, height: 1 }]).verdict).toBe('refuted');
    expect(judgeHeight([growth, { ...growth, rows: 100_000, height: 5 }]).verdict).toBe('refuted');
  });
});

describe('internal keys only', () => {
  it('is refuted for a page holding rows (the real leaf page 5), and for a root whose keys are out of order', () => {
    const leaf = parseIndexPage(page(file, 5));
    expect(leaf.level).toBe(0);
    expect(judgeInternalKeys(leaf, PAGE).verdict).toBe('refuted');
    const shuffled = { ...root, list: [root.list[1]!, root.list[0]!, ...root.list.slice(2)] };
    expect(judgeInternalKeys(shuffled, PAGE).verdict).toBe('refuted');
    expect(judgeInternalKeys(root, PAGE).verdict).toBe('confirmed');
  });
});
