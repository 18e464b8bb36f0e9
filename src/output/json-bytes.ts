/**
 * JSON value writers on a ByteOutput: integers written digit by digit (u64
 * exact, never through a float), strings escaped straight from record bytes.
 */
import { type ByteOutput } from './byte-output.js';
import { utf8SequenceLength } from './values.js';

const HEX = '0123456789abcdef';
/** For each byte < 0x80: 0 = copy as is, 1 = needs a JSON escape. */
const NEEDS_ESCAPE = (() => {
  const t = new Uint8Array(128);
  for (let i = 0; i < 0x20; i++) t[i] = 1;
  t[0x22] = 1;
  t[0x5c] = 1;
  return t;
})();

/** Writes a non-negative integer below 2^53. */
export function writeUint(out: ByteOutput, n: number): void {
  const b = out.buf;
  let p = out.pos;
  if (n < 10) {
    b[p] = 48 + n;
    out.pos = p + 1;
    return;
  }
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  p += digits;
  out.pos = p;
  let x = n;
  while (x >= 10) {
    const q = Math.floor(x / 10);
    b[--p] = 48 + (x - q * 10);
    x = q;
  }
  b[--p] = 48 + x;
}

export function writeInt(out: ByteOutput, n: number): void {
  if (n < 0) {
    out.buf[out.pos++] = 45;
    writeUint(out, -n);
  } else {
    writeUint(out, n);
  }
}

/** Writes the u64 made of `lo` and `hi` (both u32) exactly. */
export function writeU64(out: ByteOutput, lo: number, hi: number): void {
  if (hi < 0x200000) writeUint(out, hi * 4294967296 + lo);
  else out.ascii(((BigInt(hi) << 32n) | BigInt(lo)).toString());
}

/**
 * Writes `"..."` for the NUL-terminated bytes in `src[start, start + max)`.
 * Bytes outside valid UTF-8 become `\udcXX` (see bytesToText in values.ts).
 */
export function writeCString(out: ByteOutput, src: Uint8Array, start: number, max: number): void {
  let end = start;
  const limit = start + max;
  while (end < limit && src[end] !== 0) end++;
  writeStringBytes(out, src, start, end);
}

export function writeStringBytes(out: ByteOutput, src: Uint8Array, start: number, end: number): void {
  const b = out.buf;
  let p = out.pos;
  b[p++] = 34;
  for (let i = start; i < end; i++) {
    const c = src[i];
    if (c < 0x80) {
      if (NEEDS_ESCAPE[c] === 0) {
        b[p++] = c;
        continue;
      }
      b[p++] = 92;
      if (c === 0x22 || c === 0x5c) b[p++] = c;
      else if (c === 0x0a) b[p++] = 110;
      else if (c === 0x09) b[p++] = 116;
      else if (c === 0x0d) b[p++] = 114;
      else {
        b[p++] = 117; b[p++] = 48; b[p++] = 48;
        b[p++] = HEX.charCodeAt(c >> 4); b[p++] = HEX.charCodeAt(c & 15);
      }
      continue;
    }
    const n = utf8SequenceLength(src, i, end);
    if (n > 0) {
      for (let k = 0; k < n; k++) b[p++] = src[i + k];
      i += n - 1;
    } else {
      // \udcXX: the byte as a lone low surrogate (surrogateescape).
      b[p++] = 92; b[p++] = 117; b[p++] = 100; b[p++] = 99;
      b[p++] = HEX.charCodeAt(c >> 4); b[p++] = HEX.charCodeAt(c & 15);
    }
  }
  b[p++] = 34;
  out.pos = p;
}

/** Writes a JS string known to need no escaping beyond `"` and `\` (our own names and numbers). */
export function writeJsString(out: ByteOutput, text: string): void {
  const bytes = new TextEncoder().encode(text);
  writeStringBytes(out, bytes, 0, bytes.length);
}
