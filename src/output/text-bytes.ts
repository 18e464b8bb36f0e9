/**
 * Text values written straight from record bytes, escaped by the one rule for
 * terminals (src/common/visible.ts: `textValue`), with no string in between:
 * a C string or an argv buffer becomes a `key=value` token's value. A
 * property test holds this equal to `textValue(bytesToText(bytes))`.
 *
 * Like the JSON writers (json-bytes.ts), these take the output buffer and a
 * position and return the position after what they wrote.
 */
import { utf8SequenceLength } from '../abi/values.js';
import { isEscapedCodePoint } from '../common/visible.js';

const HEX = '0123456789abcdef';

/**
 * For each ASCII byte, in a token: 0 copied as it is, 1 only inside quotes
 * (space, `"`, `\`), 2 escaped (C0 controls, DEL). NUL is 2: it ends a C
 * string, and in argv it stands for the space between two arguments.
 */
const ASCII_CLASS = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 0x20; c++) t[c] = 2;
  t[0x7f] = 2;
  t[0x20] = 1;
  t[0x22] = 1;
  t[0x5c] = 1;
  return t;
})();

/**
 * Nonzero if any byte of the little-endian word `w` is not plain printable
 * ASCII for a token: below 0x21 (controls, space, NUL), `"`, `\`, DEL, or
 * 0x80 and up. Has-zero-byte tests as in json-bytes.ts (may flag a clean byte
 * after a flagged one, never misses one).
 */
function needsTokenWork(w: number): number {
  const quote = w ^ 0x22222222;
  const backslash = w ^ 0x5c5c5c5c;
  const del = w ^ 0x7f7f7f7f;
  return (w | ((w - 0x21212121) & ~w) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash) | ((del - 0x01010101) & ~del)) & 0x80808080;
}

/** A C string ends at its NUL (or the buffer's end). */
export const C_STRING = 0;
/** An argv buffer: each NUL but a last one separates two arguments and prints as a space. */
export const ARGV = 1;
/** Bytes whose NULs are part of the value (an abstract Unix socket name): each prints as `\u0000`. */
export const BYTES = 2;

/**
 * Writes the value of `src[start, end)` as a token value. `mode` C_STRING:
 * stops at a NUL; the caller has checked the string is not empty (an empty
 * string's key is left out). ARGV: `end` is the used size, a last NUL is
 * dropped and the others are spaces (splitArgv + join(' ')); empty prints `""`.
 * BYTES: every byte is the value's, a NUL escaped like any control character.
 *
 * Written unquoted first, a word at a time while the bytes are plain ASCII;
 * at the first byte that needs quotes, what was written moves up one byte
 * for the opening quote (paths with a space are rare: the common case never
 * pays for the decision).
 */
export function putTextValue(b: Uint8Array, ov: DataView, p: number, src: Uint8Array, sv: DataView, start: number, end: number, mode: number): number {
  if (mode === ARGV && end > start && src[end - 1] === 0) end--;
  return putTokenFrom(b, ov, p, p, src, sv, start, end, mode);
}

/**
 * putTextValue of the value whose first characters, `[open, p)` of the
 * output, are written already (plain printable ASCII, such as a Unix
 * address's `@`): they go inside the quotes if the rest needs them.
 */
export function putTokenFrom(b: Uint8Array, ov: DataView, open: number, p: number, src: Uint8Array, sv: DataView, start: number, end: number, mode: number): number {
  let i = start;
  while (i + 4 <= end) {
    const w = sv.getInt32(i, true);
    if (needsTokenWork(w) !== 0) break;
    ov.setInt32(p, w, true);
    p += 4;
    i += 4;
  }
  for (; i < end; i++) {
    const c = src[i];
    if (c < 0x80) {
      if (ASCII_CLASS[c] === 0) {
        b[p++] = c;
        continue;
      }
      if (c === 0 && mode === C_STRING) break;
      return putQuotedRest(b, ov, open, p, src, i, end, mode);
    }
    const n = utf8SequenceLength(src, i, end);
    if (n === 0) {
      p = putByteEscape(b, p, c);
      continue;
    }
    // Astral characters are quoted (as text.ts always did); escaped ones need quotes too.
    if (n === 4 || isEscapedCodePoint(codePointOf(src, i, n))) return putQuotedRest(b, ov, open, p, src, i, end, mode);
    for (let k = 0; k < n; k++) b[p++] = src[i + k];
    i += n - 1;
  }
  if (p === open) {
    b[p++] = 34;
    b[p++] = 34;
  }
  return p;
}

/**
 * The value turns out to need quotes at `src[i]`: moves the `[open, p)`
 * written so far (plain characters and \xHH, none of which a quoted value
 * escapes differently) up one byte behind an opening quote, then writes the
 * rest escaped and the closing quote.
 */
function putQuotedRest(b: Uint8Array, ov: DataView, open: number, p: number, src: Uint8Array, i: number, end: number, mode: number): number {
  b.copyWithin(open + 1, open, p);
  b[open] = 34;
  p++;
  for (; i < end; i++) {
    const c = src[i];
    if (c < 0x80) {
      const cls = ASCII_CLASS[c];
      if (cls === 0 || c === 0x20) {
        b[p++] = c;
      } else if (c === 0 && mode !== BYTES) {
        if (mode === C_STRING) break;
        b[p++] = 0x20;
      } else if (c === 0x22 || c === 0x5c) {
        b[p++] = 92;
        b[p++] = c;
      } else {
        p = putControl(b, p, c);
      }
      continue;
    }
    const n = utf8SequenceLength(src, i, end);
    if (n === 0) {
      p = putByteEscape(b, p, c);
      continue;
    }
    const cp = codePointOf(src, i, n);
    if (isEscapedCodePoint(cp)) {
      p = cp > 0xffff ? putU(b, putU(b, p, 0xd800 + ((cp - 0x10000) >> 10)), 0xdc00 + ((cp - 0x10000) & 0x3ff)) : putU(b, p, cp);
    } else {
      for (let k = 0; k < n; k++) b[p++] = src[i + k];
    }
    i += n - 1;
  }
  b[p++] = 34;
  return p;
}

/** The code point of the valid `n`-byte UTF-8 sequence at `src[i]`. */
function codePointOf(src: Uint8Array, i: number, n: number): number {
  if (n === 2) return ((src[i] & 0x1f) << 6) | (src[i + 1] & 0x3f);
  if (n === 3) return ((src[i] & 0x0f) << 12) | ((src[i + 1] & 0x3f) << 6) | (src[i + 2] & 0x3f);
  return ((src[i] & 0x07) << 18) | ((src[i + 1] & 0x3f) << 12) | ((src[i + 2] & 0x3f) << 6) | (src[i + 3] & 0x3f);
}

/** `\xHH` for a byte that is not UTF-8. */
function putByteEscape(b: Uint8Array, p: number, c: number): number {
  b[p] = 92; b[p + 1] = 120; b[p + 2] = HEX.charCodeAt(c >> 4); b[p + 3] = HEX.charCodeAt(c & 15);
  return p + 4;
}

/** A C0 control or DEL: JSON's short escape if it has one, else `\u00HH`. */
function putControl(b: Uint8Array, p: number, c: number): number {
  const short = c === 10 ? 110 : c === 9 ? 116 : c === 13 ? 114 : c === 8 ? 98 : c === 12 ? 102 : 0;
  if (short !== 0) {
    b[p] = 92;
    b[p + 1] = short;
    return p + 2;
  }
  return putU(b, p, c);
}

/** `\uXXXX`, lowercase hex. */
function putU(b: Uint8Array, p: number, u: number): number {
  b[p] = 92; b[p + 1] = 117;
  b[p + 2] = HEX.charCodeAt((u >> 12) & 15); b[p + 3] = HEX.charCodeAt((u >> 8) & 15);
  b[p + 4] = HEX.charCodeAt((u >> 4) & 15); b[p + 5] = HEX.charCodeAt(u & 15);
  return p + 6;
}
