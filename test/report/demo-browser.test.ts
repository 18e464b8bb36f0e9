/**
 * The report of captures/demo.rgc (a real capture of a scripted intrusion) in
 * headless Chromium: it renders with no error, no request and no CSP
 * violation; the alerts lead to their evidence; the tree folds; brushing the
 * timeline and the filters narrow the table to exactly the rows they should.
 * Expected rows are computed from the embedded data, not from the page's code.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandProcess } from '../../src/report/model.js';
import { runReplayCli } from '../support/golden.js';
import { reportDataOf } from './report-file.js';
import { announceBrowserSkip, type Browser, launchBrowser, openReport, type OpenedReport, runBrowserTests, SCREENSHOTS, screenshot, securityLog } from './browser.js';
import { expectedRows, inspect, waitForCount } from './page-data.js';

announceBrowserSkip('report in the browser');

describe.skipIf(!runBrowserTests)('report of captures/demo.rgc in Chromium', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-report-demo-'));
  const file = join(work, 'demo.html');
  let browser: Browser;
  let report: OpenedReport;
  // The demo's numbers, from its own data (pids and counts change when the demo is recorded again).
  let rows = 0;
  let opens = 0;
  let script = '';
  let dropper = '';
  let deleted = '';
  let deletedExe = '';

  beforeAll(async () => {
    const r = runReplayCli(['report', 'captures/demo.rgc', '-o', file]);
    expect(r.status, r.stderr).toBe(0);
    const data = reportDataOf(readFileSync(file, 'utf8'));
    const processes = data.processes.items.map(expandProcess);
    rows = data.events.shown;
    opens = data.events.shown_by_kind[data.kinds.findIndex((k) => k.name === 'file_open')];
    script = String(processes.find((p) => p.argv?.[1]?.endsWith('/scripts/intrusion-workload.sh') && p.exe === '/usr/bin/bash')!.pid);
    dropper = String(processes.find((p) => p.exe === '/dev/shm/.rg-demo-dropper')!.pid);
    const del = processes.find((p) => p.argv?.[0] === '/proc/self/fd/5')!;
    deleted = String(del.pid);
    deletedExe = del.exe!;
    browser = await launchBrowser();
    report = await openReport(browser, file);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('renders with no error, no network request, no CSP violation', async () => {
    expect(report.log.errors).toEqual([]);
    expect(report.log.requests).toEqual([]);
    expect(await securityLog(report.page)).toEqual({ tripwire: [], violations: [] });
    expect(report.readyMs).toBeGreaterThan(0);
    await expect(report.page.locator('#verdict-0').textContent()).resolves.toBe('VERIFIED');
    await expect(report.page.locator('#summary h1').textContent()).resolves.toBe('Investigation report: vm');
  });

  it('lists the 34 alerts by severity, each with its rule, process and evidence', async () => {
    const page = report.page;
    const rows = page.locator('#alerts tr.alert');
    await expect(rows.count()).resolves.toBe(34);
    const headings = await page.locator('#alerts .severity-group h3').allTextContents();
    expect(headings).toEqual(['critical 7', 'high 26', 'medium 1']);
    const rules = await page.locator('#alerts tr.alert td:nth-child(2) code').allTextContents();
    expect(rules).toEqual([
      'execution.deleted', 'network.reverse_shell', 'injection.process_vm_write', 'defense_evasion.proc_mount', 'execution.deleted',
      'network.reverse_shell', 'network.bind_shell',
      'execution.tmp', 'persistence.cron', 'persistence.ssh_authorized_keys', 'network.watched_destination', 'injection.ptrace_attach',
      'privilege_escalation.setid_bit', 'privilege_escalation.setid_exec_root', 'persistence.kernel_module', 'persistence.kernel_module',
      'persistence.cron', 'persistence.system_binary', 'defense_evasion.log_wipe', 'defense_evasion.log_wipe',
      'defense_evasion.history_wipe', 'defense_evasion.history_wipe', 'network.watched_destination', 'network.watched_destination',
      'execution.tmp', 'network.watched_destination', 'network.watched_inbound', 'network.watched_destination', 'network.watched_destination',
      'dns.tunnelling', 'dns.mining_pool', 'dns.mining_pool', 'container.socket_access',
      'defense_evasion.io_uring',
    ]);

    // DNS alerts say the name asked about, not the resolver's address.
    const miner = page.locator('#alerts tr.alert', { has: page.locator('code', { hasText: 'dns.mining_pool' }) }).first();
    await expect(miner.locator('td.subject').textContent()).resolves.toBe('pool.supportxmr.com');

    // The cron alert's evidence link: the table scrolls to the file_open that wrote the cron file.
    const cron = page.locator('#alerts tr.alert', { has: page.locator('code', { hasText: 'persistence.cron' }) }).first();
    await cron.locator('.event-link').click();
    const highlighted = page.locator('#highlighted-row');
    await highlighted.waitFor({ timeout: 5_000 });
    await expect(highlighted.locator('.subject').textContent()).resolves.toBe('/etc/cron.d/rg-demo-job');
    await expect(highlighted.locator('.kind').textContent()).resolves.toBe('file_open');
    await expect(highlighted.locator('.pid').textContent()).resolves.toBe(script);
    await expect(page.locator('#process-panel h3').textContent()).resolves.toContain(`pid ${script}`);
    await screenshot(page, 'demo-alert-evidence');
  });

  it('with --sigma, shows each Sigma alert\'s ATT&CK technique', async () => {
    const sigmaFile = join(work, 'demo-sigma.html');
    const r = runReplayCli(['report', 'captures/demo.rgc', '--sigma', 'rules/sigma', '-o', sigmaFile]);
    expect(r.status, r.stderr).toBe(0);
    const sigma = await openReport(browser, sigmaFile);
    try {
      expect(sigma.log.errors).toEqual([]);
      const cells = await sigma.page.locator('#alerts tr.alert td:nth-child(3)').allTextContents();
      expect(cells).toContain('T1053.003');
      expect(cells).toContain('T1027.011');
      // Sigma's licence (DRL 1.1) asks that alerts name the rule's authors.
      const authors = await sigma.page.locator('#alerts tr.alert .author').allTextContents();
      expect(authors.length).toBeGreaterThanOrEqual(3);
      for (const a of authors) expect(a).toMatch(/^by \S/);
      await screenshot(sigma.page, 'demo-sigma-alerts', false);
    } finally {
      await sigma.page.close();
    }
  });

  it('folds and unfolds the process tree; a process shows its badges and panels', async () => {
    const page = report.page;
    const line = (pid: string) => page.locator('.node-line', { has: page.locator('.pid', { hasText: new RegExp(`^${pid}$`) }) });
    const bash = line(script);
    const twisty = bash.locator('.twisty');
    await expect(twisty.getAttribute('aria-expanded')).resolves.toBe('true');
    const children = page.locator(`li.node:has(> .node-line .pid:text-is("${script}")) > ul > li.node`);
    await expect(children.count()).resolves.toBe(15);
    await twisty.click();
    await expect(twisty.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(children.first().isVisible()).resolves.toBe(false);
    await twisty.click();
    await expect(children.first().isVisible()).resolves.toBe(true);

    await expect(line(dropper).locator('.badge-world_writable').count()).resolves.toBe(1);
    await line(dropper).click();
    const panel = page.locator('#process-panel');
    await expect(panel.locator('h3').textContent()).resolves.toBe(`pid ${dropper} /dev/shm/.rg-demo-dropper`);
    await expect(panel.locator('.badge-world_writable').count()).resolves.toBe(1);

    await expect(line(deleted).locator('.badge-deleted_program').count()).resolves.toBe(1);
    await expect(line(deleted).locator('.exe').textContent()).resolves.toBe(deletedExe);
    // The working directory the kernel recorded is on the line.
    await expect(bash.locator('.meta').textContent()).resolves.toMatch(/cwd \//);

    // The script's own panels: files it wrote (the cron file among them) and its connections.
    await bash.locator('.exe').click();
    const written = panel.locator('.panel-group[data-group="written"] td.value');
    await expect(written.allTextContents()).resolves.toContain('/etc/cron.d/rg-demo-job');
    const connections = await panel.locator('.panel-group[data-group="connections"] td.value').allTextContents();
    expect(connections).toContain('127.0.0.1:4444');
    await screenshot(page, 'demo-tree-panel');
  });

  it('brushing the timeline filters the table to the rows in that time range', async () => {
    const page = report.page;
    await page.locator('#filter-clear').click();
    const canvas = page.locator('#timeline-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const state = await inspect(page);
    expect(state.range, 'a drag across the chart sets a time range').not.toBeNull();
    const expected = await expectedRows(page, { range: state.range! });
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(rows);
    expect(state.visible).toEqual(expected);
    await expect(page.locator('#rows-status').textContent()).resolves.toContain(`${expected.length.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} rows shown`);
    await screenshot(page, 'demo-brushed');
    await page.locator('#timeline-clear').click();
    expect((await inspect(page)).visibleCount).toBe(rows);
  });

  it('filters the table by kind, by process and descendants, and by text', async () => {
    const page = report.page;
    await page.locator('#filter-clear').click();
    await page.locator('input[data-kind="file_open"]').uncheck();
    let state = await inspect(page);
    expect(state.visibleCount).toBe(rows - opens);
    expect(state.visible).toEqual(await expectedRows(page, { hideKinds: ['file_open'] }));
    await page.locator('input[data-kind="file_open"]').check();

    await page.locator('#filter-pid').fill(script);
    await page.locator('#filter-tree').check();
    const subtree = await expectedRows(page, { pid: Number(script), descendants: true });
    await waitForCount(page, subtree.length, `pid ${script} and descendants`);
    state = await inspect(page);
    expect(state.visible).toEqual(subtree);
    await page.locator('#filter-tree').uncheck();
    state = await inspect(page);
    const own = await expectedRows(page, { pid: Number(script), descendants: false });
    expect(state.visible).toEqual(own);
    expect(own.length).toBeLessThan(subtree.length);

    await page.locator('#filter-pid').fill('');
    await waitForCount(page, rows, 'no filter');
    await page.locator('#filter-text').fill('CRON');
    const byText = await expectedRows(page, { text: 'cron' });
    await waitForCount(page, byText.length, 'text CRON');
    state = await inspect(page);
    expect(byText.length).toBeGreaterThan(0);
    expect(state.visible).toEqual(byText);
    const shown = await page.locator('#event-table .window .row').evaluateAll((rows) => rows.map((r) =>
      ['.comm', '.subject', '.fields'].map((c) => r.querySelector(c)?.textContent ?? '').join(' ')));
    expect(shown.length).toBe(byText.length);
    for (const text of shown) expect(text.toLowerCase()).toContain('cron');
    await screenshot(page, 'demo-filtered');
    // A DNS name is found by text: the rows of the messages that ask for it.
    await page.locator('#filter-text').fill('supportxmr');
    const byName = await expectedRows(page, { text: 'supportxmr' });
    expect(byName.length).toBeGreaterThan(0);
    await waitForCount(page, byName.length, 'text supportxmr');
    expect((await inspect(page)).visible).toEqual(byName);
    await page.locator('#filter-clear').click();
    expect((await inspect(page)).visibleCount).toBe(rows);
    await screenshot(page, 'demo-full');
  });

  it('prints: controls hidden, collapsed sections open, the table replaced by a note', async () => {
    const page = report.page;
    await page.emulateMedia({ media: 'print' });
    try {
      await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
      await expect(page.locator('#filters').isVisible()).resolves.toBe(false);
      await expect(page.locator('nav.toc').isVisible()).resolves.toBe(false);
      await expect(page.locator('#event-table').isVisible()).resolves.toBe(false);
      await expect(page.locator('#events .print-only').isVisible()).resolves.toBe(true);
      await expect(page.locator('details.options').getAttribute('open')).resolves.toBe('');
      await expect(page.locator('#timeline-canvas').isVisible()).resolves.toBe(true);
      const pdf = await page.pdf({ path: join(SCREENSHOTS, 'demo-print.pdf'), format: 'A4' });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      await screenshot(page, 'demo-print');
    } finally {
      await page.emulateMedia({ media: 'screen' });
    }
  });
});
