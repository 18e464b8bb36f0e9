/**
 * The tree's top holds its roots, a page at a time, and the lists continued
 * there from deeper than MAX_NEST levels. A page of roots shown after such a
 * list was opened went below it, away from the roots before it. Synthetic
 * records from the ABI: a 60-fork chain ending in a program from /tmp (an
 * alert, opened at load), then 250 other roots.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NEST } from '../../src/report/client/tree.js';
import { execRecord, forkChainRecords, openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS } from '../support/synthetic.js';
import { announceBrowserSkip, type Browser, launchBrowser, openReport, runBrowserTests, syntheticReport } from './browser.js';

announceBrowserSkip('paged roots beside continued lists');

const DEPTH = 60;
const OTHER_ROOTS = 250;

describe.skipIf(!runBrowserTests)('the tree\'s top: roots before continued lists (Chromium)', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-report-roots-'));
  let html: string;
  let browser: Browser;

  beforeAll(async () => {
    const start = SYNTHETIC_MONOTONIC_NS + 1000n;
    const records = forkChainRecords(1000, DEPTH, '/usr/bin/chain', start, (deepest) => [execRecord(deepest, '/tmp/payload', ['/tmp/payload'])]);
    // Each a root: its parent (pid 1) is never seen.
    for (let i = 0; i < OTHER_ROOTS; i++) records.push(openRecord({ ts: start + 10_000n + BigInt(i), pid: 5000 + i, ppid: 1, comm: 'r' }, `/r/${i}`, 0, 3));
    html = syntheticReport(work, 'roots', records);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the next page of roots with the roots, above the lists continued at the top', async () => {
    const { page, log } = await openReport(browser, html);
    const top = () => page.evaluate(() => [...document.querySelectorAll('#process-tree > li')].map((li) => li.className));
    const before = await top();
    // The chain, open at load down to its alert, continues at the top once; a page of roots and a button above it.
    expect(DEPTH).toBeGreaterThan(MAX_NEST);
    expect(before.filter((c) => c === 'continued')).toHaveLength(1);
    expect(before.filter((c) => c === 'node')).toHaveLength(200);
    expect(before.indexOf('more-row')).toBe(200);
    await page.locator('#process-tree > li.more-row button').click();
    const after = await top();
    expect(after.filter((c) => c === 'node')).toHaveLength(1 + OTHER_ROOTS);
    expect(after).not.toContain('more-row');
    // Every root first, then the continued list.
    expect(after.indexOf('continued')).toBe(1 + OTHER_ROOTS);
    expect(log.errors).toEqual([]);
  }, 60_000);
});
