/**
 * Debian's Chromium, driven through playwright-core (which downloads no
 * browser): headless, no sandbox (CI runs as root), no network services, a
 * fresh profile per launch. Every wait is bounded and fails with a message
 * that says what did not happen.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { writeSynthetic } from '../support/synthetic.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
];
/** Screenshots land here (gitignored). */
export const SCREENSHOTS = join(REPO_ROOT, 'test-output', 'report');
/** How long a page may take to become interactive before a test fails (generous: the machine is shared). */
export const READY_TIMEOUT_MS = 30_000;

export const inCI = process.env.CI === 'true';
export const haveChromium = existsSync(CHROMIUM);

/** Outside CI, a machine without Chromium skips the browser tests and says so; in CI they must run. */
export function announceBrowserSkip(suite: string): void {
  if (!haveChromium && !inCI) console.warn(`${suite}: SKIPPED, ${CHROMIUM} is missing (sudo bash scripts/install-system-deps.sh installs it; CI=true forces the tests to run)`);
}
export const runBrowserTests = haveChromium || inCI;

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run sudo bash scripts/install-system-deps.sh`);
  const profile = mkdtempSync(join(tmpdir(), 'rg-report-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 1000 }, timeout: 60_000,
    // Nothing may come from the network: any request other than the file itself fails the page.
    offline: true,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a page did besides rendering: console errors, uncaught errors, CSP violations, requests, dialogs. */
export interface PageLog {
  readonly errors: string[];
  readonly requests: string[];
  readonly dialogs: string[];
}

export interface OpenedReport {
  readonly page: Page;
  readonly log: PageLog;
  readonly readyMs: number;
}

/**
 * Opens a report from file:// and waits until it says it is interactive.
 * `tripwire`: installs window.__rgTripwire before any page script, and a
 * listener that records CSP violations as `window.__rgViolations`.
 */
export async function openReport(b: Browser, file: string): Promise<OpenedReport> {
  const page = await b.context.newPage();
  // Fail a missing element in seconds, with Playwright's message, not at the test's own timeout.
  page.setDefaultTimeout(10_000);
  const log: PageLog = { errors: [], requests: [], dialogs: [] };
  page.on('console', (m) => { if (m.type() === 'error') log.errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => log.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => { if (r.url() !== `file://${file}`) log.requests.push(r.url()); });
  page.on('dialog', (d) => { log.dialogs.push(d.message()); void d.dismiss(); });
  await page.addInitScript(() => {
    const w = window as unknown as { __rgTripwire: string[]; __rgViolations: string[] };
    w.__rgTripwire = [];
    w.__rgViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.__rgViolations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample}`);
    });
  });
  await page.goto(`file://${file}`, { timeout: READY_TIMEOUT_MS });
  try {
    await page.waitForFunction(() => (window as { rgReport?: unknown }).rgReport !== undefined, null, { timeout: READY_TIMEOUT_MS });
  } catch {
    throw new Error(`report ${file} did not become interactive within ${READY_TIMEOUT_MS} ms; page errors: ${log.errors.join(' | ') || 'none'}`);
  }
  const state = await page.evaluate(() => (window as unknown as { rgReport: { readyMs: number; error?: string } }).rgReport);
  if (state.error !== undefined) throw new Error(`report ${file} failed to render: ${state.error}`);
  return { page, log, readyMs: state.readyMs };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage, timeout: 30_000 });
  return path;
}

/** Violations and tripwire hits recorded in the page so far. */
export async function securityLog(page: Page): Promise<{ tripwire: string[]; violations: string[] }> {
  return page.evaluate(() => {
    const w = window as unknown as { __rgTripwire: string[]; __rgViolations: string[] };
    return { tripwire: [...w.__rgTripwire], violations: [...w.__rgViolations] };
  });
}

/**
 * `records` (synthetic, from the ABI) as a capture NAME.rgc in `work`, and its
 * report beside it: the report's path. Throws with rg-replay's stderr if the
 * report fails.
 */
export function syntheticReport(work: string, name: string, records: Uint8Array[]): string {
  const capture = join(work, `${name}.rgc`);
  const html = join(work, `${name}.html`);
  writeFileSync(capture, writeSynthetic({ records }));
  const r = runReplayCli(['report', capture, '-o', html]);
  if (r.status !== 0) throw new Error(`rg-replay report ${capture} exited ${String(r.status)}: ${r.stderr}`);
  return html;
}
