/**
 * Captured bytes as text a table can hold. Parquet, DuckDB and ClickHouse
 * strings are UTF-8; a path or argument from the traced host need not be.
 * Valid UTF-8 is stored as is (the common case, no copy); otherwise the text
 * shows each stray byte as `\xNN` (as rg-replay's text output does) and the
 * exact bytes go beside it in a `*_raw` BLOB column, so nothing is lost.
 */
import { utf8SequenceLength } from '../abi/values.js';

/** True when `b[start, end)` is valid UTF-8. */
export function isUtf8(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; ) {
    if (b[i] < 0x80) { i++; continue; }
    const n = utf8SequenceLength(b, i, end);
    if (n === 0) return false;
    i += n;
  }
  return true;
}

/** Text of bytes with each byte that is not part of valid UTF-8 written as `\xNN`. */
export function escapedText(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; ) {
    const n = utf8SequenceLength(b, i);
    if (n > 0) {
      out += Buffer.from(b.buffer, b.byteOffset + i, n).toString('utf8');
      i += n;
    } else {
      out += `\\x${b[i].toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** A string that came through surrogateescape (lone U+DC80..U+DCFF for stray bytes) as storable text. */
export function storableText(s: string): string {
  // With the u flag a surrogate pair is one code point: only lone surrogates match.
  return /[\udc80-\udcff]/u.test(s) ? s.replace(/[\udc80-\udcff]/gu, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`) : s;
}

/** Bytes of a NUL-terminated buffer field: up to the first NUL. */
export function cStringEnd(b: Uint8Array, at: number, size: number): number {
  const end = at + size;
  for (let i = at; i < end; i++) if (b[i] === 0) return i;
  return end;
}
