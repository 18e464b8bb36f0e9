/**
 * A pid used by two processes (the kernel reuses pids; several hosts share
 * them): a process panel's "Show its events" shows that process's events, not
 * every process's that had its pid; a pid typed in the filter still means all
 * of them. Pid 500 runs /usr/bin/alpha (5 events), exits, then /usr/bin/beta (7).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execRecord, exitRecord, forkRecord, openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS } from '../support/synthetic.js';
import { announceBrowserSkip, type Browser, launchBrowser, openReport, runBrowserTests, syntheticReport } from './browser.js';
import { inspect, waitForCount } from './page-data.js';

announceBrowserSkip('a reused pid in the process filter');

describe.skipIf(!runBrowserTests)('a reused pid: a panel shows its own process\'s events (Chromium)', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-report-pidreuse-'));
  let html: string;
  let browser: Browser;

  beforeAll(async () => {
    let ts = SYNTHETIC_MONOTONIC_NS + 1000n;
    const records = [execRecord({ ts: ts++, pid: 100, ppid: 1, comm: 'parent' }, '/usr/bin/parent', ['parent'])];
    for (const [name, opens] of [['alpha', 3], ['beta', 5]] as const) {
      records.push(forkRecord({ ts: ts++, pid: 100, ppid: 1, comm: 'parent' }, 500));
      const id = () => ({ ts: ts++, pid: 500, ppid: 100, comm: name });
      records.push(execRecord(id(), `/usr/bin/${name}`, [`/usr/bin/${name}`]));
      for (let i = 0; i < opens; i++) records.push(openRecord(id(), `/var/${name}${i}`, 0o1101, 3, 0o644));
      records.push(exitRecord(id(), ts, 0));
    }
    html = syntheticReport(work, 'pidreuse', records);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('alpha\'s button shows alpha\'s 5 rows, beta\'s its 7; the typed pid shows all 12', async () => {
    const { page, log } = await openReport(browser, html);
    const subjects = () => page.locator('#event-table .window .row .subject').allTextContents();
    for (const [name, rows] of [['alpha', 5], ['beta', 7]] as const) {
      await page.locator('.node-line', { has: page.locator('.exe', { hasText: `/usr/bin/${name}` }) }).click();
      await page.click('#panel-events');
      await waitForCount(page, rows, `${name}'s events`);
      expect((await inspect(page)).visibleCount).toBe(rows);
      for (const s of await subjects()) expect(s).toMatch(new RegExp(`^(/usr/bin/${name}|/var/${name}\\d|)$`));
      await expect(page.locator('#filter-pid').inputValue()).resolves.toBe('500');
      await expect(page.locator('#pid-note').textContent()).resolves.toMatch(/2 processes in the report had pid 500/);
    }
    // The same pid typed: every process that had it.
    await page.locator('#filter-pid').fill('');
    await page.locator('#filter-pid').pressSequentially('500');
    await waitForCount(page, 12, 'pid 500 typed');
    await expect(page.locator('#pid-note').textContent()).resolves.toBe('');
    expect(log.errors).toEqual([]);
  }, 60_000);
});
