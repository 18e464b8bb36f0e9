/**
 * Strings an attacker controls on the traced host (file names, argv, comm,
 * host name), built to run script if a report ever parsed them as HTML or
 * followed them as links. Each payload, if it ran, would push to
 * window.__rgTripwire (installed by the test before the page's scripts).
 */
import { type Page } from 'playwright-core';
import { type OpenedReport, securityLog } from './browser.js';

export const PAYLOADS = {
  script: '<script>window.__rgTripwire.push("script")</script>',
  img: '<img src=x onerror="window.__rgTripwire.push(\'img\')">',
  closeScript: '</script><script>window.__rgTripwire.push("close")</script>',
  jsUrl: 'javascript:window.__rgTripwire.push("js")',
  svg: '"><svg onload=window.__rgTripwire.push("svg")>',
  comment: '<!--<script>window.__rgTripwire.push("comment")</script>-->',
  style: '</style><img src=x onerror=window.__rgTripwire.push("style")>',
  entities: '&lt;b&gt; &amp; \u2028 \u2029 end',
} as const;

/** Things the page must show as text, character for character. */
export function plantedPaths(): string[] {
  return Object.values(PAYLOADS).map((p) => `/tmp/${p}`);
}

/** Fails with the details when anything ran, loaded, or was blocked by the CSP (a blocked attempt is an escaping bug too). */
export async function expectNothingRan(report: OpenedReport): Promise<string[]> {
  const { tripwire, violations } = await securityLog(report.page);
  const problems = [
    ...tripwire.map((t) => `a payload ran: ${t}`),
    ...violations.map((v) => `CSP violation (markup from data reached the DOM): ${v}`),
    ...report.log.requests.map((r) => `request: ${r}`),
    ...report.log.dialogs.map((d) => `dialog: ${d}`),
    ...report.log.errors.map((e) => `error: ${e}`),
  ];
  return problems;
}

/** The DOM has no element or attribute that data could have introduced. */
export async function domAudit(page: Page): Promise<{ badElements: string[]; handlers: string[]; links: string[]; scripts: number }> {
  return page.evaluate(() => {
    const all = [...document.querySelectorAll('*')];
    const badElements = all.filter((el) => ['IMG', 'SVG', 'IFRAME', 'OBJECT', 'EMBED', 'FORM', 'BASE', 'LINK', 'META'].includes(el.tagName.toUpperCase()) && el.closest('head') === null)
      .map((el) => el.outerHTML.slice(0, 80));
    const handlers = all.flatMap((el) => [...el.attributes].filter((a) => a.name.toLowerCase().startsWith('on')).map((a) => `${el.tagName} ${a.name}`));
    const links = [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') ?? '').filter((h) => !/^#[a-z][a-z0-9-]*$/.test(h));
    return { badElements, handlers, links, scripts: document.scripts.length };
  });
}
