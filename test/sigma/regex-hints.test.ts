/** Regex hints are necessary conditions: whatever RE2 matches contains the literal and is at least the length. */
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { regexHints } from '../../src/sigma/regex-hints.js';

describe('regexHints', () => {
  const cases: [string, boolean, string, number][] = [
    ['/mail/tmp/[a-zA-Z0-9]{3}[0-9]{3}\\.tar\\.gz', false, '/mail/tmp/', 23],
    ['[^/]{100,}$', false, '', 100],
    ['https://[0-9]{1,3}\\.[0-9]{1,3}', false, 'https://', 11],
    ['(?i)/lib/python3\\.([5-9]|[0-9]{2})/site-packages/', false, '/lib/python3.', 29],
    ['\\s-O\\s', false, '-o', 4],
    ['a|b', false, '', 1],
    ['(abc|abc)d', false, 'abcd', 4],
    ['x*yz', false, 'yz', 2],
    ['(ab)+c', false, 'ab', 3],
    ['a{3}', false, 'aaa', 3],
    ['\\Q.*\\E!', false, '.*!', 3],
    ['caf\u00e9s', false, 'caf', 5],
    ['Password', true, 'word', 8],
    ['(?P<n>evil)\\x41', false, 'evila', 5],
    ['(?=a)', false, '', 0],
    // Octal escapes (RE2's \0, \0NN, \NN, \NNN): one character, its code given by the digits; \057 is '/'.
    ['\\057bash$', false, '/bash', 5],
    ['x\\0y', false, 'x\0y', 3],
    ['\\141\\142c', false, 'abc', 3],
    ['\\12x', false, '\nx', 2],
    // Escapes this reader does not know: no hint rather than a wrong one.
    ['abc\\Gdef', false, '', 0],
    ['abc\\8def', false, '', 0],
  ];
  for (const [re, ci, literal, minLength] of cases) {
    it(`${re}${ci ? ' (i)' : ''}`, () => expect(regexHints(re, ci)).toEqual({ literal, minLength, tail: re === '[^/]{100,}$' ? { excluded: '/', length: 100 } : null }));
  }

  it('a run of a negated punctuation class at the end of the text gives a tail; anything less certain gives none', () => {
    const tail = (re: string, ci = false, m = false) => regexHints(re, ci, m).tail;
    expect(tail('[^/]{100,}$')).toEqual({ excluded: '/', length: 100 });
    expect(tail('/tmp/[^/.]{3}[^/.]+\\z')).toEqual({ excluded: '/.', length: 1 });
    expect(tail('(?i)x([^/]{5})$')).toBeNull(); // a group's own run is not followed
    expect(tail('x([^/]{5}$)')).toEqual({ excluded: '/', length: 5 });
    expect(tail('[^/]{5}$', true)).toEqual({ excluded: '/', length: 5 });
    for (const none of ['[^/]{5}', '[^a]{5}$', '[^/a-z]{5}$', '[^\\/]{5}$', '[/]{5}$', '[^/]{5}x?$', '[^/]{5}$|a', '[^/]{0,5}$', '(?m)[^/]{5}$', '[^/]{5}\\b$', '$[^/]{5}']) {
      expect(tail(none), none).toBeNull();
    }
    expect(tail('[^/]{5}$', false, true)).toBeNull();
  });

  it('a tail never claims more than RE2 matches (random texts)', () => {
    const patterns = ['[^/]{3,}$', 'a[^/.]{2}$', '[^_.]+\\z', '(?i)[^/]{2}$', '(x|y)[^/]{2,3}$', 'x([^/]{2}$)'];
    const alphabet = fc.constantFrom('a', 'x', 'y', '/', '.', '-', '_', '\n', 'é', '\u{1F600}', 'K');
    fc.assert(fc.property(fc.constantFrom(...patterns), fc.boolean(), fc.array(alphabet, { maxLength: 10 }).map((c) => c.join('')), (pattern, ci, text) => {
      const re = RE2JS.compile(pattern, ci ? RE2JS.CASE_INSENSITIVE : 0);
      const t = regexHints(pattern, ci).tail;
      expect(t, pattern).not.toBeNull();
      if (!re.test(text)) return;
      const end = [...text.slice(Math.max(0, text.length - t!.length))];
      expect(text.length).toBeGreaterThanOrEqual(t!.length);
      expect(end.some((ch) => t!.excluded.includes(ch)), `${pattern} on ${JSON.stringify(text)}`).toBe(false);
    }), { numRuns: 3000 });
  });

  it('never claims more than RE2 matches (random texts against hinted patterns)', () => {
    const patterns = ['ab+c', 'a(bc|bd)e', '[0-9]{2,}x', 'x?yz', '(?i)SaK', 'k.{3}s', '(a|b)(c|d)e', 'S{2}', '\\.tar\\.gz$', 'é+a', '\\056tar\\56gz', '\\0141+b', '\\1411'];
    const alphabet = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'x', 'y', 'z', 'k', 'K', 's', 'S', '\u017f', '\u212a', '1', '2', '.', 't', 'r', 'g', 'é');
    fc.assert(fc.property(fc.constantFrom(...patterns), fc.boolean(), fc.array(alphabet, { maxLength: 12 }).map((c) => c.join('')), (pattern, ci, text) => {
      const re = RE2JS.compile(pattern, ci ? RE2JS.CASE_INSENSITIVE : 0);
      if (!re.test(text)) return;
      const h = regexHints(pattern, ci);
      expect(text.toLowerCase().includes(h.literal)).toBe(true);
      expect(text.length).toBeGreaterThanOrEqual(h.minLength);
    }), { numRuns: 3000 });
  });
});
