/// <reference lib="dom" />
/** The HTML report in a real browser (Debian's Chromium driven by playwright-core): it loads clean, its pictures render, its filters and index work. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labs } from '../helpers/cli.ts';

const CHROMIUM = process.env.LABS_CHROMIUM ?? '/usr/lib/chromium/chromium';
let browser: Browser;
let page: Page;
const problems: string[] = [];
const visibleClaims = () => page.$$eval('.claim', (claims) => claims.filter((c) => !(c as HTMLElement).hidden && !(c.closest('.lab') as HTMLElement).hidden).map((c) => c.id));

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'labs-report-'));
  const run = await labs(['run', 'tcp-header', 'tcp-lifecycle', '--report', dir]);
  expect(run.exitCode, run.stderr).toBe(0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  page = await browser.newPage();
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`file://${join(dir, 'index.html')}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('the HTML report in a browser', () => {
  it('loads with no console errors, every lab closed behind its index row', async () => {
    expect(problems).toEqual([]);
    expect(await page.$$eval('details.lab', (labs) => labs.map((l) => (l as HTMLDetailsElement).open))).toEqual([false, false]);
    expect(await page.textContent('#f-count')).toBe('9 / 9');
  });

  it('opens a lab from the index, and every picture of the report renders', async () => {
    await page.click('a[href="#lab-tcp-lifecycle"]');
    expect(await page.$eval('#lab-tcp-lifecycle', (l) => (l as HTMLDetailsElement).open)).toBe(true);
    await page.$$eval('details', (all) => all.forEach((d) => ((d as HTMLDetailsElement).open = true)));
    const sizes = await page.$$eval('.claim svg, .lab svg', (svgs) => svgs.map((s) => s.getBoundingClientRect()).map((r) => r.width * r.height));
    expect(sizes.length).toBeGreaterThan(0);
    for (const area of sizes) expect(area).toBeGreaterThan(1000);
  });

  it('filters by verdict, by topic and by words of the claim', async () => {
    await page.uncheck('.f-verdict[value="confirmed"]');
    const withoutConfirmed = await visibleClaims();
    expect(withoutConfirmed.length).toBeGreaterThan(0);
    expect(await page.$$eval('.claim:not([hidden])', (c) => c.map((e) => (e as HTMLElement).dataset.verdict))).not.toContain('confirmed');
    await page.check('.f-verdict[value="confirmed"]');
    await page.fill('#f-search', 'time_wait 2msl');
    expect(await visibleClaims()).toEqual(['tcp.close.time-wait']);
    expect(await page.isHidden('#lab-tcp-header')).toBe(true);
    expect(await page.isHidden('tr[data-lab="lab-tcp-header"]')).toBe(true);
    await page.fill('#f-search', '');
    await page.selectOption('#f-topic', 'tcp');
    expect(await visibleClaims()).toHaveLength(9);
    expect(await page.textContent('#f-count')).toBe('9 / 9');
  });
});
