/**
 * Captured strings are attacker-controlled. Synthetic records (built from the
 * ABI) plant script tags, an <img onerror>, a </script> that would close the
 * data element, javascript: URLs and more in paths, argv, comm and the host
 * name; in Chromium nothing runs, nothing is blocked (a CSP violation would
 * mean markup from the data reached the DOM), no link leaves the page, and
 * the DOM text is the planted text. The same page without its CSP proves the
 * rendering itself is safe, not only the policy.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AF_INET } from '../../src/abi/constants.js';
import { buildReport } from '../../src/report/build.js';
import { type HostInfo } from '../../src/rgc/manifest.js';
import { renderReportHtml } from '../../src/report/html.js';
import { runSession } from '../../src/replay/main.js';
import { connectRecord, execRecord, exitRecord, forkRecord, type Identity, openRecord } from '../support/records.js';
import { runReplayCli } from '../support/golden.js';
import { SYNTHETIC_MONOTONIC_NS, syntheticManifest, writeSynthetic } from '../support/synthetic.js';
import { announceBrowserSkip, type Browser, launchBrowser, openReport, runBrowserTests, screenshot } from './browser.js';
import { domAudit, expectNothingRan, PAYLOADS, plantedPaths } from './hostile.js';
import { expectedRows, waitForCount } from './page-data.js';

announceBrowserSkip('hostile strings in the browser');

const COMM = '</script><b>x';
const COMM2 = '<svg/onload=1>';
const EXE = `/tmp/${PAYLOADS.img}`;
const ARGV = [PAYLOADS.jsUrl, PAYLOADS.closeScript, PAYLOADS.script, PAYLOADS.comment, PAYLOADS.entities];
const CRON = `/etc/cron.d/${PAYLOADS.script}`;
/** How the page shows a string: the line and paragraph separators as visible escapes. */
const shown = (s: string) => s.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

function hostileCapture(): Uint8Array {
  const t = (ms: number) => SYNTHETIC_MONOTONIC_NS + BigInt(ms) * 1_000_000n;
  const shell: Identity = { ts: t(1), pid: 5000, ppid: 1, uid: 0, comm: 'bash' };
  const child: Identity = { ts: t(2), pid: 5001, ppid: 5000, uid: 0, comm: COMM };
  const records = [
    forkRecord(shell, 5001),
    execRecord(child, EXE, ARGV, 77n),
    ...plantedPaths().map((p, i) => openRecord({ ...child, ts: t(3 + i) }, p, 0o101, 3)),
    openRecord({ ...child, ts: t(20), comm: COMM2 }, CRON, 0o101, 4),
    connectRecord({ ...child, ts: t(21) }, AF_INET, [127, 0, 0, 1], 4444, 0),
    exitRecord({ ...child, ts: t(22) }, t(2), 0),
  ];
  return writeSynthetic({
    records,
    manifest: syntheticManifest({
      // The host's user names (/etc/passwd) are the host's too: one is a payload.
      host: { hostname: PAYLOADS.script, kernel_release: PAYLOADS.img, machine: PAYLOADS.svg, boot_id: PAYLOADS.closeScript, users: [[0, PAYLOADS.style]] } as HostInfo,
      capture: { events: ['exec', 'fork', 'exit', 'open', 'connect'], follow: true, command: [PAYLOADS.closeScript, PAYLOADS.jsUrl] },
    }),
  });
}

describe.skipIf(!runBrowserTests)('hostile strings in a report (Chromium)', () => {
  const work = mkdtempSync(join(tmpdir(), 'rg-report-hostile-'));
  const capture = join(work, 'hostile.rgc');
  const shipped = join(work, 'hostile.html');
  const noCsp = join(work, 'hostile-no-csp.html');
  let browser: Browser;

  beforeAll(async () => {
    writeFileSync(capture, hostileCapture());
    const r = runReplayCli(['report', capture, '-o', shipped]);
    expect(r.status, r.stderr).toBe(0);
    const built = await buildReport((paths, sink, rules) => runSession(paths, { context: false, ...rules }, () => sink, true),
      { paths: [capture], rules: { detect: true }, publicKey: null });
    writeFileSync(noCsp, renderReportHtml(built.data, { withoutCsp: true }));
    browser = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('embeds the data so that it cannot close its script element', () => {
    const html = readFileSync(shipped, 'utf8');
    expect(html.match(/<script/gi)).toHaveLength(2);
    const data = /<script type="application\/json" id="rg-data">([^]*?)<\/script>/.exec(html)![1];
    expect(data).not.toMatch(/[<>&\u2028\u2029]/);
    const parsed = JSON.parse(data) as { inputs: { host: string }[] };
    expect(parsed.inputs[0].host).toBe(PAYLOADS.script);
    expect(html).toContain("Content-Security-Policy");
    expect(readFileSync(noCsp, 'utf8')).not.toContain("Content-Security-Policy");
  });

  for (const [name, which] of [['with its CSP', 'shipped'], ['without any CSP', 'noCsp']] as const) {
    it(`runs nothing and shows every planted string as text (${name})`, async () => {
      const report = await openReport(browser, which === 'shipped' ? shipped : noCsp);
      const page = report.page;
      try {
        expect(await expectNothingRan(report)).toEqual([]);
        expect(await domAudit(page)).toEqual({ badElements: [], handlers: [], links: [], scripts: 2 });
        expect(await page.title()).toBe(`rand-guard report: ${PAYLOADS.script}`);
        await expect(page.locator('#summary h1').textContent()).resolves.toBe(`Investigation report: ${PAYLOADS.script}`);
        const facts = await page.locator('#evidence dd').allTextContents();
        expect(facts).toContain(PAYLOADS.img);
        expect(facts).toContain(PAYLOADS.closeScript);
        expect(facts).toContain(`${PAYLOADS.script} (${PAYLOADS.svg})`);
        await expect(page.locator('#evidence .options dd').allTextContents()).resolves.toContain(`${PAYLOADS.closeScript} ${PAYLOADS.jsUrl}`);

        const written = await page.locator('#indicators [data-group="written"] td.value').allTextContents();
        for (const p of plantedPaths()) expect(written).toContain(shown(p));
        expect(written).toContain(CRON);
        await expect(page.locator('#indicators [data-group="written"] td.value .esc').count()).resolves.toBe(2);
        const subjects = await page.locator('#alerts td.subject').allTextContents();
        expect(subjects).toContain(CRON);
        expect(subjects).toContain(EXE);

        const exe = page.locator('.node-line', { has: page.locator('.pid', { hasText: /^5001$/ }) }).locator('.exe');
        await expect(exe.textContent()).resolves.toBe(EXE);
        await exe.click();
        await expect(page.locator('#process-panel ol.argv li').allTextContents()).resolves.toEqual(ARGV.map(shown));
        await expect(page.locator('#process-panel dd code').allTextContents()).resolves.toContain(COMM);
        await expect(page.locator('#process-panel dd').allTextContents()).resolves.toContain(`0 (${PAYLOADS.style})`);
        const comms = await page.locator('#event-table .window .row .comm').allTextContents();
        expect(comms).toContain(COMM);
        expect(comms).toContain(COMM2);

        // Searching for a payload shows its rows, as text.
        await page.locator('#filter-text').fill('onerror');
        const matching = await expectedRows(page, { text: 'onerror' });
        expect(matching.length).toBeGreaterThanOrEqual(3);
        await waitForCount(page, matching.length, 'text onerror');
        const rowSubjects = await page.locator('#event-table .window .row .subject').allTextContents();
        expect(rowSubjects).toContain(EXE);
        expect(rowSubjects).toContain(`/tmp/${PAYLOADS.style}`);
        await page.locator('#filter-text').fill('');
        expect(await expectNothingRan(report)).toEqual([]);
        await screenshot(page, `hostile-${which}`);
      } finally {
        await page.close();
      }
    });
  }
});
