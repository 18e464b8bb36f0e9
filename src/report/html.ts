/**
 * The report as one HTML file: the page's style and script inline, the data
 * as JSON in a `<script type="application/json">` element (never executed),
 * and a Content-Security-Policy that allows exactly that script and style
 * (by hash) and nothing from anywhere: no fetches, fonts, images, frames or
 * forms, and Trusted Types so that no string can become HTML. It works from
 * file:// and the same data gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { REPORT_SCRIPT, REPORT_STYLE } from './client-assets.generated.js';
import { type ReportData } from './model.js';

export interface HtmlOptions {
  /** Tests only: leave the CSP out, to prove the page is safe by its own rendering, not only by the policy. */
  readonly withoutCsp?: boolean;
}

export function renderReportHtml(data: ReportData, options: HtmlOptions = {}): string {
  for (const [what, text] of [['script', REPORT_SCRIPT], ['style', REPORT_STYLE]]) {
    // Our own code, checked anyway: either would end its element early.
    if (/<\/(script|style)|<!--/i.test(text)) throw new Error(`report: the page ${what} contains a closing tag or comment opener`);
  }
  const hosts = [...new Set(data.inputs.map((i) => i.host ?? 'unknown host'))].join(', ');
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(REPORT_SCRIPT)}'`,
    `style-src '${sha256(REPORT_STYLE)}'`,
    "img-src 'none'", "font-src 'none'", "connect-src 'none'", "media-src 'none'", "object-src 'none'",
    "frame-src 'none'", "worker-src 'none'", "manifest-src 'none'", "form-action 'none'", "base-uri 'none'",
    "require-trusted-types-for 'script'", "trusted-types 'none'",
  ].join('; ');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    options.withoutCsp ? '' : `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="rand-guard">',
    `<title>rand-guard report: ${escapeHtml(hosts)}</title>`,
    `<style>${REPORT_STYLE}</style>`,
    '</head>',
    '<body>',
    '<main id="app"><p>Loading the report&hellip;</p><noscript><p>This report is a page with inline JavaScript (nothing is loaded from the network). Enable JavaScript for this file to read it.</p></noscript></main>',
    `<script type="application/json" id="rg-data">${embedJson(data)}</script>`,
    `<script>${REPORT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].filter((line) => line !== '').join('\n');
}

/**
 * JSON that cannot end its script element or be read as markup: `<`, `>`
 * and `&` become \u escapes (they only ever occur inside JSON strings), and
 * so do U+2028/U+2029, which older JavaScript parsers took for line ends.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}
