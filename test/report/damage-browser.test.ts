/**
 * A damaged capture's page: the summary line says what the damage lost (not
 * a green "no loss"), and the evidence lists each damage line once (it is a
 * verify problem too). Synthetic: 3000 file opens in three frames, a byte of
 * the second flipped, so its 1000 records cannot be read.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listItems } from '../support/frames.js';
import { runReplayCli } from '../support/golden.js';
import { openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, writeSynthetic } from '../support/synthetic.js';
import { announceBrowserSkip, type Browser, launchBrowser, openReport, runBrowserTests } from './browser.js';
import { reportDataOf } from './report-file.js';

announceBrowserSkip('a damaged capture\'s summary');

describe.skipIf(!runBrowserTests)('a damaged capture\'s page says what was lost (Chromium)', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-report-damage-'));
  const html = join(work, 'damaged.html');
  let browser: Browser;

  beforeAll(async () => {
    const records = [];
    for (let i = 0; i < 3000; i++) records.push(openRecord({ ts: SYNTHETIC_MONOTONIC_NS + 1000n + BigInt(i), pid: 500, ppid: 1, comm: 'w' }, `/var/log/f${i}`, 0o1101, 3, 0o644));
    const bytes = Buffer.from(writeSynthetic({ records, frameBreaks: [999, 1999] }));
    const frame = listItems(bytes).filter((i) => i.kind === 'data')[1];
    bytes[frame.offset + Math.floor(frame.length / 2)] ^= 0xff;
    writeFileSync(join(work, 'damaged.rgc'), bytes);
    const r = runReplayCli(['report', join(work, 'damaged.rgc'), '-o', html]);
    expect(r.status, r.stderr).toBe(7);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('the summary says 1,000 records lost to damage, in red; each damage line once in the evidence', async () => {
    const { page, log } = await openReport(browser, html);
    const loss = page.locator('#loss');
    await expect(loss.textContent()).resolves.toBe('1,000 records lost to damage');
    await expect(loss.getAttribute('class')).resolves.toBe('bad');
    const damage = reportDataOf(readFileSync(html, 'utf8')).inputs[0].damage[0];
    expect(damage).toMatch(/1000 records lost/);
    const lines = await page.locator('#evidence ul.problems li').allTextContents();
    expect(lines.filter((l) => l === damage)).toHaveLength(1);
    await expect(page.locator('#evidence').textContent()).resolves.toContain('DAMAGED (1,000 records lost)');
    await expect(page.locator('#coverage').textContent()).resolves.not.toMatch(/No events were lost/);
    expect(log.errors).toEqual([]);
  }, 60_000);
});
