/**
 * JSON value writers: integers printed exactly (u64 never through a float),
 * strings escaped straight from record bytes.
 *
 * The `put*` functions take the buffer and a position and return the position
 * after what they wrote, so the NDJSON encoder keeps its position in a local
 * (a register) for a whole line instead of loading and storing `out.pos` per
 * value. The `write*` functions are the same on a ByteOutput, for cold paths.
 */
import { type ByteOutput } from './byte-output.js';
import { utf8SequenceLength } from '../abi/values.js';
import { isEscapedCodePoint } from '../common/visible.js';
import { copyPlain } from './plain-ascii.js';

const HEX = '0123456789abcdef';
/**
 * For each byte < 0x80: 0 = copy as is, 1 = needs a JSON escape. DEL too:
 * JSON allows it raw, but NDJSON lands on terminals (`| head`), so every
 * character the terminal rule escapes (src/common/visible.ts) is a `\u`
 * escape here as well; a JSON parser reads back the same string.
 */
const NEEDS_ESCAPE = (() => {
  const t = new Uint8Array(128);
  for (let i = 0; i < 0x20; i++) t[i] = 1;
  t[0x22] = 1;
  t[0x5c] = 1;
  t[0x7f] = 1;
  return t;
})();

/**
 * "0000".."9999" as little-endian words (first digit in the low byte): a group
 * of four digits is one table load and one DataView store, no per-digit work.
 * 1M synthetic events (~13 numbers each), encoder only: two digits per step
 * 471 ns -> four-digit words 420 ns per event; rg-replay --json median 770 ->
 * 710 ms. (Before either, one float division per digit.) The table is 40 KB.
 */
const DIGITS4 = (() => {
  const t = new Int32Array(10000);
  for (let n = 0; n < 10000; n++) {
    const d = String(n).padStart(4, '0');
    t[n] = d.charCodeAt(0) | (d.charCodeAt(1) << 8) | (d.charCodeAt(2) << 16) | (d.charCodeAt(3) << 24);
  }
  return t;
})();

/**
 * Writes a non-negative integer below 2^53 at `p` of the buffer behind `v`;
 * returns the position after it. Up to 2^31 all arithmetic stays in int32
 * (V8 turns `(n / 10000) | 0` into a multiply); above, one float division
 * splits off the last eight digits.
 */
export function putUint(v: DataView, p: number, n: number): number {
  if (n < 10000) return putUpTo4(v, p, n);
  if (n < 100000000) return putUpTo8(v, p, n);
  // Up to 2^53: high < 2^53 / 10^8 < 10^8.
  const high = n <= 0x7fffffff ? (n / 100000000) | 0 : Math.floor(n / 1e8);
  return put8(v, putUpTo8(v, p, high), n - high * 100000000);
}

/** n < 10^4: the padded word shifted right past its leading zeros. */
function putUpTo4(v: DataView, p: number, n: number): number {
  const len = n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : 4;
  v.setInt32(p, DIGITS4[n] >>> ((4 - len) << 3), true);
  return p + len;
}

/** n < 10^8, without leading zeros. */
function putUpTo8(v: DataView, p: number, n: number): number {
  if (n < 10000) return putUpTo4(v, p, n);
  const high = (n / 10000) | 0;
  p = putUpTo4(v, p, high);
  v.setInt32(p, DIGITS4[n - high * 10000], true);
  return p + 4;
}

/** Exactly eight digits (zero-padded) of n < 10^8. */
export function put8(v: DataView, p: number, n: number): number {
  const high = (n / 10000) | 0;
  v.setInt32(p, DIGITS4[high], true);
  v.setInt32(p + 4, DIGITS4[n - high * 10000], true);
  return p + 8;
}

/** Exactly nine digits (zero-padded) of n < 10^9, in int32 arithmetic (n an int32). */
export function put9(v: DataView, p: number, n: number): number {
  const first = (n / 100000000) | 0;
  const rest = n - first * 100000000;
  const high = (rest / 10000) | 0;
  v.setUint8(p, 48 + first);
  v.setInt32(p + 1, DIGITS4[high], true);
  v.setInt32(p + 5, DIGITS4[rest - high * 10000], true);
  return p + 9;
}

/** Writes an int32 (or any integer of magnitude below 2^53). */
export function putInt(v: DataView, p: number, n: number): number {
  if (n >= 0) return putUint(v, p, n);
  v.setUint8(p, 45);
  return putUint(v, p + 1, -n);
}

/**
 * Writes the u32 at `o` of `record`. Reads the value itself and splits it into
 * parts below 2^30 before any call: a number from 2^30 up crossing a call V8
 * does not inline is boxed into a fresh heap number (an allocation per value).
 */
export function putU32At(v: DataView, p: number, record: DataView, o: number): number {
  const n = record.getUint32(o, true);
  if (n < 100000000) return putUpTo8(v, p, n);
  const high = Math.floor(n / 100000000);
  return put8(v, putUpTo4(v, p, high), n - high * 100000000);
}

/**
 * Writes the u64 at `o` of `record` exactly, split below 2^30 like putU32At
 * (timestamps are nearly always above 2^30, so this was an allocation per event).
 */
export function putU64At(v: DataView, p: number, record: DataView, o: number): number {
  const lo = record.getUint32(o, true);
  const hi = record.getUint32(o + 4, true);
  if (hi >= 0x200000) return putU64(v, p, lo, hi);
  const n = hi * 4294967296 + lo;
  // n < 2^53, so high < 2^53 / 10^8 < 10^8.
  const high = Math.floor(n / 100000000);
  const low = n - high * 100000000;
  return high === 0 ? putUpTo8(v, p, low) : put8(v, putUpTo8(v, p, high), low);
}

/** Writes the u64 made of `lo` and `hi` (both u32) exactly. */
export function putU64(v: DataView, p: number, lo: number, hi: number): number {
  if (hi < 0x200000) return putUint(v, p, hi * 4294967296 + lo);
  const text = ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  for (let i = 0; i < text.length; i++) v.setUint8(p++, text.charCodeAt(i));
  return p;
}

/**
 * Writes `"..."` for the NUL-terminated bytes in `src[start, start + max)`.
 * Bytes outside valid UTF-8 become `\udcXX` (see bytesToText in values.ts).
 * `ov` and `sv` are DataViews over all of `b` and `src`; `srcAt` and `dstAt`
 * the addresses of `src[0]` and `b[0]` in the plain-ASCII arena, or -1 when
 * either lives elsewhere (plain-ascii.ts).
 */
export function putCString(b: Uint8Array, ov: DataView, p: number, src: Uint8Array, sv: DataView, start: number, max: number, srcAt: number, dstAt: number): number {
  return putString(b, ov, p, src, sv, start, start + max, true, srcAt, dstAt);
}

/** Writes `"..."` for `src[start, end)`, escaped for JSON; non-UTF-8 bytes become `\udcXX`. Addresses as for putCString. */
export function putStringBytes(b: Uint8Array, ov: DataView, p: number, src: Uint8Array, sv: DataView, start: number, end: number, srcAt: number, dstAt: number): number {
  return putString(b, ov, p, src, sv, start, end, false, srcAt, dstAt);
}

/**
 * Nonzero if any byte of the little-endian word `w` must not be copied as is:
 * below 0x20 (a control character or the NUL that ends a C string), `"`,
 * `\`, DEL, or 0x80 and up (UTF-8 to validate). The has-zero-byte test of each
 * condition (Hacker's Delight 6-1); it may flag a clean byte that follows a
 * flagged one, never miss one, and a flagged word only takes the byte path.
 */
function needsByteWork(w: number): number {
  const quote = w ^ 0x22222222;
  const backslash = w ^ 0x5c5c5c5c;
  const del = w ^ 0x7f7f7f7f;
  return (w | ((w - 0x20202020) & ~w) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash) | ((del - 0x01010101) & ~del)) & 0x80808080;
}

/**
 * One pass over the bytes: plain ASCII is copied, the rest escaped, and with
 * `nulEnds` a NUL ends the string. Finding the NUL first was a second pass over
 * every path and comm (encoder only, 1M events: 420 -> 405 ns per event). A
 * valid UTF-8 sequence never spans a NUL (NUL is no continuation byte), so
 * passing the buffer's end as `end` validates exactly as the string's end would.
 *
 * Plain ASCII goes four bytes per step until the first word that holds
 * anything else (usually the NUL), then byte by byte: on a real capture the
 * strings (mostly paths) took 80 of the encoder's 415 ns per event byte by
 * byte, about 30 word by word (encoder only: 415 -> 365 ns per event).
 * When both buffers are in the plain-ASCII arena, WebAssembly copies the
 * plain run first, 16 bytes per step (plain-ascii.ts): the loops below then
 * start at the byte that stopped it, usually the NUL.
 */
function putString(b: Uint8Array, ov: DataView, p: number, src: Uint8Array, sv: DataView, start: number, end: number, nulEnds: boolean,
  srcAt: number, dstAt: number): number {
  b[p++] = 34;
  let i = start;
  if ((srcAt | dstAt) >= 0) {
    // Both in the arena: the plain run 16 bytes per step (plain-ascii.ts); what stopped it is handled below.
    const n = copyPlain(srcAt + i, srcAt + end, dstAt + p);
    i += n;
    p += n;
  }
  while (i + 4 <= end) {
    const w = sv.getInt32(i, true);
    if (needsByteWork(w) !== 0) break;
    ov.setInt32(p, w, true);
    p += 4;
    i += 4;
  }
  for (; i < end; i++) {
    const c = src[i];
    if (c < 0x80) {
      if (NEEDS_ESCAPE[c] === 0) {
        b[p++] = c;
        continue;
      }
      if (c === 0 && nulEnds) break;
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
      const cp = n === 2 ? ((c & 0x1f) << 6) | (src[i + 1] & 0x3f)
        : n === 3 ? ((c & 0x0f) << 12) | ((src[i + 1] & 0x3f) << 6) | (src[i + 2] & 0x3f)
          : ((c & 0x07) << 18) | ((src[i + 1] & 0x3f) << 12) | ((src[i + 2] & 0x3f) << 6) | (src[i + 3] & 0x3f);
      if (isEscapedCodePoint(cp)) {
        // C1 controls, bidi overrides, invisible and separator characters: \uXXXX (astral ones as their two halves).
        p = cp > 0xffff ? putJsonU(b, putJsonU(b, p, 0xd800 + ((cp - 0x10000) >> 10)), 0xdc00 + ((cp - 0x10000) & 0x3ff)) : putJsonU(b, p, cp);
      } else {
        for (let k = 0; k < n; k++) b[p++] = src[i + k];
      }
      i += n - 1;
    } else {
      // \udcXX: the byte as a lone low surrogate (surrogateescape).
      b[p++] = 92; b[p++] = 117; b[p++] = 100; b[p++] = 99;
      b[p++] = HEX.charCodeAt(c >> 4); b[p++] = HEX.charCodeAt(c & 15);
    }
  }
  b[p++] = 34;
  return p;
}

/** `\uXXXX`, lowercase hex (as JSON.stringify writes it). */
function putJsonU(b: Uint8Array, p: number, u: number): number {
  b[p] = 92; b[p + 1] = 117;
  b[p + 2] = HEX.charCodeAt((u >> 12) & 15); b[p + 3] = HEX.charCodeAt((u >> 8) & 15);
  b[p + 4] = HEX.charCodeAt((u >> 4) & 15); b[p + 5] = HEX.charCodeAt(u & 15);
  return p + 6;
}

export function writeUint(out: ByteOutput, n: number): void {
  out.pos = putUint(out.view, out.pos, n);
}

export function writeInt(out: ByteOutput, n: number): void {
  out.pos = putInt(out.view, out.pos, n);
}

export function writeStringBytes(out: ByteOutput, src: Uint8Array, start: number, end: number): void {
  out.pos = putStringBytes(out.buf, out.view, out.pos, src, new DataView(src.buffer, src.byteOffset, src.byteLength), start, end, -1, -1);
}

/** Writes a JS string known to need no escaping beyond `"` and `\` (our own names and numbers). */
export function writeJsString(out: ByteOutput, text: string): void {
  const bytes = new TextEncoder().encode(text);
  writeStringBytes(out, bytes, 0, bytes.length);
}

/**
 * Made-up strings with everything putString treats apart: JSON escapes,
 * control characters, DEL, UTF-8 of each length, code points the terminal
 * rule escapes (bidi, C1, astral tags), bytes outside UTF-8, then a NUL.
 */
const WARM_UP_STRING = Uint8Array.from([
  0x61, 0x22, 0x5c, 0x0a, 0x09, 0x0d, 0x01, 0x7f, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80,
  0xe2, 0x80, 0xae, 0xc2, 0x85, 0xf3, 0xa0, 0x80, 0x81, 0xff, 0xc3, 0x62, 0x63, 0x64, 0x65, 0x66, 0x00, 0x67,
]);

/**
 * Runs putString over WARM_UP_STRING into `out` (scratch, at least 1 KB), as
 * C string and as bytes. Why: a replay's first escaped or non-ASCII byte came
 * after V8 had optimised putString, and each branch never run had no type
 * feedback: a deopt and another TurboFan compile per branch (work capture,
 * pinned: two). The function gets its feedback store only after a few calls,
 * hence the rounds.
 */
export function warmUpStrings(out: Uint8Array, ov: DataView): void {
  const src = WARM_UP_STRING;
  const sv = new DataView(src.buffer);
  // A call runs ~1k bytecodes over the string: four calls are past the budget V8 waits for, with room.
  for (let i = 0; i < 4; i++) {
    putCString(out, ov, 0, src, sv, 0, src.length, -1, -1);
    putStringBytes(out, ov, 0, src, sv, 0, src.length, -1, -1);
  }
}
