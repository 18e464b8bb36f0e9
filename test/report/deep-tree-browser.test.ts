/**
 * A process tree as deep as the traced host makes it, in the report: a chain
 * of 20,000 forks whose last process runs a program from /tmp (an alert). The
 * page opens the way down to every alert; with a list nested in a list per
 * level, Chromium's page crashed. Lists now nest at most MAX_NEST deep and a
 * deeper process's children continue in a list at the tree's top: the page
 * renders, the alerting process is in the tree and can be selected, and the
 * DOM stays shallow. Synthetic records from the ABI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NEST } from '../../src/report/client/tree.js';
import { execRecord, forkChainRecords } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS } from '../support/synthetic.js';
import { announceBrowserSkip, type Browser, launchBrowser, openReport, runBrowserTests, screenshot, syntheticReport } from './browser.js';

announceBrowserSkip('a deep process tree in the browser');

const DEPTH = 20_000;
const FIRST = 1000;
const LAST = FIRST + DEPTH;

describe.skipIf(!runBrowserTests)('a 20,000-level process tree in a report (Chromium)', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-report-deep-'));
  let html: string;
  let browser: Browser;

  beforeAll(async () => {
    const records = forkChainRecords(FIRST, DEPTH, '/usr/bin/chain', SYNTHETIC_MONOTONIC_NS + 1000n,
      (deepest) => [execRecord(deepest, '/tmp/payload', ['/tmp/payload'])]);
    html = syntheticReport(work, 'deep', records);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('renders, with the alerting process at the bottom of the chain in the tree, and stays shallow', async () => {
    const { page, log } = await openReport(browser, html);
    const state = await page.evaluate(() => {
      let depth = 0;
      const stack: [Element, number][] = [[document.documentElement, 0]];
      for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
        depth = Math.max(depth, top[1]);
        for (const c of top[0].children) stack.push([c, top[1] + 1]);
      }
      const lines = [...document.querySelectorAll('#process-tree .node-line')];
      return {
        depth, lines: lines.length,
        pids: new Set(lines.map((l) => l.querySelector('.pid')?.textContent)).size,
        continued: document.querySelectorAll('#process-tree li.continued').length,
        first: document.querySelector('#process-tree .continued-from')?.textContent ?? null,
      };
    });
    await screenshot(page, 'deep-tree');
    expect(log.errors).toEqual([]);
    // Every process of the chain is drawn (the way down to the alert is open), each once.
    expect(state.lines).toBe(DEPTH + 1);
    expect(state.pids).toBe(DEPTH + 1);
    expect(state.continued).toBe(Math.floor(DEPTH / (MAX_NEST - 1)));
    expect(state.first).toBe(`Depth ${MAX_NEST}: the children of pid ${FIRST + MAX_NEST - 1} (${MAX_NEST} levels are drawn nested; deeper ones continue here)`);
    // The page's elements, lists and lines included, nest a bounded number of levels deep: it was 2 per process.
    expect(state.depth).toBeLessThan(4 * MAX_NEST + 40);
    // The alerting process can be selected, and collapsing a process hides the children continued elsewhere.
    // Found by id: a locator filtered by text over 20,000 lines took Playwright seconds per action.
    const lineOf = async (pid: number) => page.locator(`#${await page.evaluate((p) => [...document.querySelectorAll('#process-tree .node-line')]
      .find((l) => l.querySelector('.pid')?.textContent === String(p))!.id, pid)}`);
    await (await lineOf(LAST)).click();
    await expect.poll(() => page.locator('#process-panel h3').textContent()).toContain(`pid ${LAST}`);
    const owner = await lineOf(FIRST + MAX_NEST - 1);
    await owner.locator('.twisty').click();
    expect(await page.locator('#process-tree li.continued').first().isHidden()).toBe(true);
    await owner.locator('.twisty').click();
    expect(await page.locator('#process-tree li.continued').first().isVisible()).toBe(true);
  }, 120_000);
});
