/**
 * A real capture (real eBPF, needs root) of programs whose names and command
 * lines are HTML and javascript: URLs: a copy of /bin/true named
 * `<img src=x onerror=...>` run with `</script><script>...` and javascript:
 * arguments, writing a file named `<svg onload=...>`. The kernel records them
 * as they are (the comm is the file name cut to 15 bytes); the report shows
 * them as text in Chromium and runs nothing.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, runKernelTests } from '../capture/privilege.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { type Browser, haveChromium, inCI, launchBrowser, openReport, screenshot } from './browser.js';
import { domAudit, expectNothingRan } from './hostile.js';
import { expectedRows, waitForCount } from './page-data.js';

announceSkip('report of a real capture with hostile program names');
if (!haveChromium && !inCI) console.warn(`report of a real hostile capture: SKIPPED, no Chromium`);

const PROGRAM = '<img src=x onerror=window.__rgTripwire.push(1)>';
const ARGS = ['</script><script>window.__rgTripwire.push(2)</script>', 'javascript:window.__rgTripwire.push(3)', '"><b onmouseover=x>'];
const WRITTEN = '<svg onload=window.__rgTripwire.push(4)>';

describe.skipIf(!runKernelTests || (!haveChromium && !inCI))('report of a real capture with hostile names (real eBPF, Chromium)', () => {
  // Not under /tmp: the alert for running from /tmp is not what this test is about.
  const work = mkdtempSync(join(homedir(), '.rg-report-hostile-'));
  const capture = join(work, 'hostile.rgc');
  const html = join(work, 'hostile.html');
  const program = join(work, PROGRAM);
  const written = join(work, WRITTEN);
  let browser: Browser;

  beforeAll(async () => {
    copyFileSync('/bin/true', program);
    spawnSync('chmod', ['755', program]);
    const script = 'p="$1"; shift; w="$1"; shift; "$p" "$@"; : > "$w"';
    const c = spawnSync(process.execPath, [`${REPO_ROOT}dist/src/capture/cli.js`, '-o', capture, '--follow', '--',
      'sh', '-c', script, 'sh', program, written, ...ARGS], { encoding: 'utf8', timeout: 60_000 });
    expect(c.status, c.stderr).toBe(0);
    const r = runReplayCli(['report', capture, '-o', html]);
    expect(r.status, r.stderr).toBe(0);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('the capture holds the names as the kernel saw them', () => {
    const events = runReplayCli([capture, '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const exec = events.find((e) => e.event_type === 'process_start' && e.filename === program);
    expect(exec, 'the exec of the hostile program').toBeDefined();
    expect(exec!.argv).toEqual([program, ...ARGS]);
    expect(exec!.comm).toBe(PROGRAM.slice(0, 15));
    expect(events.some((e) => e.event_type === 'file_open' && e.path === written)).toBe(true);
  });

  it('shows them as text in Chromium and runs nothing', async () => {
    const report = await openReport(browser, html);
    const page = report.page;
    try {
      expect(await expectNothingRan(report)).toEqual([]);
      expect(await domAudit(page)).toEqual({ badElements: [], handlers: [], links: [], scripts: 2 });
      const line = page.locator('.node-line', { has: page.locator('.exe', { hasText: PROGRAM }) });
      await expect(line.locator('.exe').textContent()).resolves.toBe(program);
      await line.locator('.exe').click();
      await expect(page.locator('#process-panel ol.argv li').allTextContents()).resolves.toEqual([program, ...ARGS]);
      await expect(page.locator('#process-panel dd code').allTextContents()).resolves.toContain(PROGRAM.slice(0, 15));
      const values = await page.locator('#indicators td.value').allTextContents();
      expect(values).toContain(program);
      expect(values).toContain(written);
      await page.locator('#filter-text').fill('onerror');
      const matching = await expectedRows(page, { text: 'onerror' });
      expect(matching.length).toBeGreaterThanOrEqual(2);
      await waitForCount(page, matching.length, 'text onerror');
      const subjects = await page.locator('#event-table .window .row .subject').allTextContents();
      expect(subjects).toContain(program);
      expect(await expectNothingRan(report)).toEqual([]);
      await screenshot(page, 'hostile-real-capture');
    } finally {
      await page.close();
    }
  });
});
