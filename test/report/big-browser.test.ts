/**
 * The report of a 1M-event capture: at most 30 MB, every alert and process
 * kept, the table a stated sample within its budget, and the page works in
 * Chromium (alerts, tree, brushing, filters, scrolling to the last row).
 * How fast it becomes interactive is measured by `npm run bench`
 * (bench/report-bench.ts), not asserted here; the time is printed.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';
import { writeBigCapture, type BigCapture } from './big-capture.js';
import { announceBrowserSkip, type Browser, launchBrowser, openReport, type OpenedReport, runBrowserTests, screenshot } from './browser.js';
import { expectedTable, inspect, waitForCount } from './page-data.js';

announceBrowserSkip('report of a 1M-event capture');

const EVENTS = 1_000_000;
const PAGE_LIMIT = 30_000_000;

describe.skipIf(!runBrowserTests)('report of a 1M-event capture in Chromium', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-report-big-'));
  const capture = join(work, 'big.rgc');
  const html = join(work, 'big.html');
  let big: BigCapture;
  let browser: Browser;
  let report: OpenedReport;
  let data: { events: { shown: number; total: number; notes: string[] }; alerts: { total: number; items: { event: number }[] }; processes: { total: number; items: unknown[] } };

  beforeAll(async () => {
    big = writeBigCapture(capture, EVENTS);
    const r = runReplayCli(['report', capture, '-o', html]);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(html, 'utf8');
    data = JSON.parse(/<script type="application\/json" id="rg-data">([^]*?)<\/script>/.exec(text)![1]);
    browser = await launchBrowser();
    report = await openReport(browser, html);
    console.log(`1M-event report: ${(statSync(html).size / 1e6).toFixed(1)} MB, interactive after ${report.readyMs.toFixed(0)} ms (one run on a shared machine; npm run bench measures)`);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is at most 30 MB, keeps every alert and process, and says the table is a sample', () => {
    expect(statSync(html).size).toBeLessThanOrEqual(PAGE_LIMIT);
    expect(data.events.total).toBe(EVENTS);
    expect(data.alerts.total).toBe(big.alerts);
    expect(data.alerts.items).toHaveLength(big.alerts);
    // Evidence comes first in the table's budget: every alert links to its event.
    for (const a of data.alerts.items) expect(a.event).toBeGreaterThanOrEqual(0);
    expect(data.processes.total).toBe(big.processes);
    expect(data.processes.items).toHaveLength(big.processes);
    expect(data.events.shown).toBeLessThan(EVENTS);
    expect(data.events.shown).toBeGreaterThan(100_000);
    expect(data.events.notes.join(' ')).toMatch(/sample/);
    expect(report.log.errors).toEqual([]);
  });

  it('shows the sample note, every alert, and the tree opened to the alerting processes', async () => {
    const page = report.page;
    await expect(page.locator('#table-notes').textContent()).resolves.toMatch(/uniform sample/);
    await expect(page.locator('#alerts tr.alert').count()).resolves.toBe(big.alerts);
    const alerting = page.locator('.node-line:has(.badge.alerts)');
    await expect(alerting.count()).resolves.toBe(big.alerts / 3);
    await alerting.first().locator('.exe').click();
    await expect(page.locator('#process-panel .panel-group[data-group="connections"] td.value').first().textContent()).resolves.toMatch(/^203\.0\.113\.\d+:4444$/);
  });

  it('brushes the timeline and filters the table, over the whole sample', async () => {
    const page = report.page;
    const shown = data.events.shown;
    const canvas = page.locator('#timeline-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + 40, { steps: 4 });
    await page.mouse.up();
    const state = await inspect(page);
    expect(state.range).not.toBeNull();
    const inRange = await expectedTable(page, { range: state.range! });
    expect(state.visibleCount).toBe(inRange.count);
    expect(state.visible).toEqual(inRange.rows);
    expect(inRange.count).toBeGreaterThan(shown * 0.1);
    expect(inRange.count).toBeLessThan(shown * 0.3);
    await screenshot(page, 'big-brushed', false);

    await page.locator('input[data-kind="file_open"]').uncheck();
    const noOpens = await expectedTable(page, { range: state.range!, hideKinds: ['file_open'] });
    await waitForCount(page, noOpens.count, 'no file_open, in range');
    await page.locator('#filter-clear').click();
    await waitForCount(page, shown, 'cleared');

    await page.locator('#filter-pid').fill('9000');
    await page.locator('#filter-tree').check();
    const tree = await expectedTable(page, { pid: 9000, descendants: true });
    expect(tree.count).toBe(shown);
    await waitForCount(page, tree.count, 'pid 9000 and descendants');
    await page.locator('#filter-tree').uncheck();
    const own = await expectedTable(page, { pid: 9000 });
    await waitForCount(page, own.count, 'pid 9000 alone');
    expect(own.count).toBeLessThan(1000);

    await page.locator('#filter-clear').click();
    await page.locator('#filter-text').fill('/etc/cron.d/');
    const cron = await expectedTable(page, { text: '/etc/cron.d/' });
    expect(cron.count).toBe(big.alerts / 3);
    await waitForCount(page, cron.count, 'text /etc/cron.d/');
    await page.locator('#filter-clear').click();
  });

  it('renders a big indicator group when it is opened', async () => {
    const written = report.page.locator('#indicators details[data-group="written"]');
    await expect(written.locator('table').count()).resolves.toBe(0);
    await written.locator('summary').click();
    await expect(written.locator('tbody tr').count()).resolves.toBe(1000);
    await expect(written.locator('summary').textContent()).resolves.toMatch(/^Files written \(1,000, and [\d,]+ more occurrences not listed\)$/);
  });

  it('scrolls the virtualised table to its last row', async () => {
    const page = report.page;
    await waitForCount(page, data.events.shown, 'cleared');
    await page.locator('#event-scroller').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    const last = String(data.events.shown - 1);
    await page.waitForFunction((row) => document.querySelector(`#event-table .window .row[data-row="${row}"]`) !== null, last, { timeout: 5_000 });
    const rendered = await page.locator('#event-table .window .row').count();
    expect(rendered).toBeLessThan(200);
    await screenshot(page, 'big-full');
  });
});
