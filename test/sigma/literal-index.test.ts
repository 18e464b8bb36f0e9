/** The pre-filter's Aho-Corasick index finds exactly the literals a text contains. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiteralIndex, NOT_ASCII } from '../../src/sigma/literal-index.js';

function naive(literals: readonly string[], text: string): number[] {
  return literals.flatMap((l, id) => (l.length > 0 && text.includes(l) ? [id] : []));
}

function found(index: LiteralIndex, text: string, size = 4096): number[] | -1 {
  const buf = new Int32Array(size);
  const n = index.scan(text, buf);
  return n < 0 ? -1 : [...new Set(buf.subarray(0, n))].sort((a, b) => a - b);
}

describe('LiteralIndex', () => {
  it('finds overlapping, nested and repeated literals', () => {
    const lits = ['/ls', 'ls', 's -', '/usr/bin/ls', 'bin', 'n/l'];
    const index = new LiteralIndex(lits);
    expect(found(index, '/usr/bin/ls -la')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(found(index, 'lsof')).toEqual([1]);
    expect(found(index, 'nothing')).toEqual([]);
  });

  it('handles non-ASCII literals and text (failure links outside the ASCII table)', () => {
    const lits = ['é/x', 'ü', 'aéb', '😀z'];
    const index = new LiteralIndex(lits);
    expect(found(index, 'xaébé/xü😀z')).toEqual([0, 1, 2, 3]);
    expect(found(index, 'aéé/x')).toEqual([0]);
  });

  it('says when the buffer of occurrences fills up', () => {
    expect(found(new LiteralIndex(['a']), 'a'.repeat(10), 4)).toBe(-1);
  });

  it('scans an ASCII C string as its lowercase text: the same literals as scan(text.toLowerCase()), up to the NUL', () => {
    const alphabet = fc.constantFrom('a', 'b', 'A', 'B', 'z', 'Z', '/', '-', ' ', '@', '[', '`', '{', '\x7f');
    const word = fc.array(alphabet, { minLength: 1, maxLength: 6 }).map((cs) => cs.join('').toLowerCase());
    const text = fc.array(alphabet, { maxLength: 60 }).map((cs) => cs.join(''));
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 30 }), text, text, (lits, before, after) => {
      const index = new LiteralIndex(lits);
      const bytes = Buffer.from(`AB${before}\0${after}`, 'latin1');
      const buf = new Int32Array(4096);
      const n = index.scanCString(bytes, 2, bytes.length, buf);
      expect([...new Set(buf.subarray(0, n))].sort((a, b) => a - b)).toEqual(found(index, before.toLowerCase()));
      // Without a NUL the string runs to the end of the span.
      const whole = index.scanCString(bytes, 2, 2 + before.length, buf);
      expect([...new Set(buf.subarray(0, whole))].sort((a, b) => a - b)).toEqual(found(index, before.toLowerCase()));
    }), { numRuns: 500 });
  });

  it('leaves a C string with a byte outside ASCII to the text scan', () => {
    const index = new LiteralIndex(['/tmp/', 'k']);
    const buf = new Int32Array(16);
    expect(index.scanCString(Buffer.from('/TMP/\u212a', 'utf8'), 0, 9, buf)).toBe(NOT_ASCII);
    expect(index.scanCString(Buffer.from('/TMP/K\0\xff', 'latin1'), 0, 8, buf)).toBe(2);
    expect(index.scanCString(Buffer.from('kkkk', 'latin1'), 0, 4, new Int32Array(2))).toBe(-1);
  });

  it('agrees with String.includes on random literals and texts', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', '-', ' ', 'é', '\u{1F600}', 'A');
    const word = fc.array(alphabet, { minLength: 1, maxLength: 6 }).map((cs) => cs.join(''));
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 30 }), fc.array(alphabet, { maxLength: 60 }).map((cs) => cs.join('')), (lits, text) => {
      expect(found(new LiteralIndex(lits), text)).toEqual(naive(lits, text));
    }), { numRuns: 500 });
  });
});
