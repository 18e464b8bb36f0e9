/**
 * The page's safety, checked where a browser is not needed: the embedded JSON
 * can never end its element, whatever the strings; the CSP hashes are those of
 * the inline script and style; and the page's code has no way to turn a
 * string into markup or a navigation (the browser tests prove the outcome).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { embedJson } from '../../src/report/html.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';

describe('embedded JSON', () => {
  it('never contains <, >, &, U+2028 or U+2029, and parses back to the same value', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('</script>', '</SCRIPT >', '<!--', '-->', '<script>', ']]>', '\u2028', '\u2029', '\udc80', '&amp;', '\\u003c'),
    );
    fc.assert(fc.property(fc.array(hostile, { maxLength: 8 }), (parts) => {
      const value = { s: parts.join(''), list: parts };
      const text = embedJson(value);
      expect(text).not.toMatch(/[<>&\u2028\u2029]/);
      expect(JSON.parse(text)).toEqual(value);
    }), { numRuns: 200 });
  });
});

describe('the page', () => {
  const html = runReplayCli(['report', 'captures/demo.rgc', '-o', '-']).stdout.toString();

  it('allows exactly its own inline script and style by hash, and nothing from anywhere', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1];
    const script = /<script>([^]*?)<\/script>/.exec(html)![1];
    const style = /<style>([^]*?)<\/style>/.exec(html)![1];
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
    expect(directives['default-src']).toBe("'none'");
    expect(directives['script-src']).toBe(hash(script));
    expect(directives['style-src']).toBe(hash(style));
    for (const d of ['img-src', 'font-src', 'connect-src', 'object-src', 'frame-src', 'form-action', 'base-uri']) expect(directives[d]).toBe("'none'");
    expect(directives['require-trusted-types-for']).toBe("'script'");
    expect(directives['trusted-types']).toBe("'none'");
    // The policy comes before anything it governs.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<style>'));
    // Nothing refers to another resource.
    expect(html).not.toMatch(/\b(?:src|href)\s*=|@import|url\(/i);
  });

  it("the page's code never parses strings as HTML, runs them as code, or links to them", () => {
    const dir = join(REPO_ROOT, 'src/report/client');
    const forbidden = /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|createContextualFragment|DOMParser|srcdoc|\.href\s*=|location\s*=|window\.open/;
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      // Code only: the comments may name what the code must not do.
      const source = readFileSync(join(dir, name), 'utf8').replace(/\/\*[^]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      expect(source, `${name}`).not.toMatch(forbidden);
      // Attributes are set in one place, from a list that carries no script or URL; href only for in-page anchors.
      if (name !== 'dom.ts') expect(source, `${name} sets attributes itself`).not.toMatch(/setAttribute\((?!'aria-expanded')/);
    }
    const dom = readFileSync(join(dir, 'dom.ts'), 'utf8');
    expect(dom.match(/setAttribute\('href'/g)).toHaveLength(1);
    expect(dom).toMatch(/if \(!\/\^\[a-z\]\[a-z0-9-\]\*\$\/\.test\(targetId\)\)/);
  });
});
