/**
 * Conditions on a string field tested on its UTF-8 bytes, without decoding
 * (record-rules.ts): for a rule string of whole characters, prefix, suffix,
 * contains and equality on the bytes agree with the same test on the decoded
 * text (a valid UTF-8 sequence never starts with a continuation byte, so the
 * decoder's steps line up with the rule string's wherever it is found).
 * Each test looks first at what rejects most strings cheaply: the length, the
 * two bytes a prefix or suffix starts at, Horspool's steps for contains.
 */
import { type Condition } from './model.js';

/** Operators a string field can test on its bytes, and what each does. */
const BYTE_OPS = new Set(['equals', 'one_of', 'prefix', 'suffix', 'contains']);
const utf8 = new TextEncoder();

/**
 * The condition as a test of the string bytes `[start, end)`, or null when
 * it needs the decoded text (cidr, comparisons, a rule string that is not
 * whole characters).
 */
export function byteStringCondition(cond: Condition): ((b: Uint8Array, start: number, end: number) => boolean) | null {
  const positive: ByteTest[] = [];
  const negative: ByteTest[] = [];
  for (const [op, arg] of Object.entries(cond)) {
    if (arg === undefined) continue;
    const not = op.startsWith('not_');
    const name = not ? op.slice(4) : op;
    if (!BYTE_OPS.has(name)) return null;
    const args = (Array.isArray(arg) ? arg : [arg]) as unknown[];
    let strings: string[];
    if (name === 'equals' || name === 'one_of') {
      // Strict equality: a number or a boolean never equals a string value.
      strings = args.filter((x): x is string => typeof x === 'string');
    } else {
      // startsWith, endsWith and includes take their argument as a string.
      strings = args.map((x) => String(x));
    }
    // A lone surrogate has no UTF-8 bytes of its own (TextEncoder would write U+FFFD's): such a rule string is tested on the text.
    if (strings.some((s) => /\p{Cs}/u.test(s))) return null;
    const patterns = strings.map((s) => utf8.encode(s));
    const t = byteTest(name, patterns);
    (not ? negative : positive).push(t);
  }
  // The usual condition (one operator): its test alone, without a loop around it.
  if (positive.length === 1 && negative.length === 0) return positive[0];
  return (b, start, end) => {
    for (let i = 0; i < positive.length; i++) if (!positive[i](b, start, end)) return false;
    for (let i = 0; i < negative.length; i++) if (negative[i](b, start, end)) return false;
    return true;
  };
}

type ByteTest = (b: Uint8Array, start: number, end: number) => boolean;

function byteTest(op: string, patterns: readonly Uint8Array[]): ByteTest {
  const at = (b: Uint8Array, from: number, p: Uint8Array) => {
    for (let k = 0; k < p.length; k++) if (b[from + k] !== p[k]) return false;
    return true;
  };
  const n = patterns.length;
  // Most strings a condition sees match none of its patterns: one look at the string's length, or at the two
  // bytes at the end a prefix or suffix is compared at, tells most of them (paths all start with '/', so one byte would not).
  switch (op) {
    case 'equals': case 'one_of': {
      const maxLength = Math.max(0, ...patterns.map((p) => p.length));
      const lengths = new Uint8Array(maxLength + 1);
      for (const p of patterns) lengths[p.length] = 1;
      return (b, start, end) => {
        const length = end - start;
        if (length > maxLength || lengths[length] === 0) return false;
        for (let i = 0; i < n; i++) if (patterns[i].length === length && at(b, start, patterns[i])) return true;
        return false;
      };
    }
    case 'prefix': {
      const pairs = pairSet(patterns.map((p) => p.subarray(0, 2)));
      return (b, start, end) => {
        if (pairs !== null && (end - start < 2 || !hasPair(pairs, b[start], b[start + 1]))) return false;
        for (let i = 0; i < n; i++) if (end - start >= patterns[i].length && at(b, start, patterns[i])) return true;
        return false;
      };
    }
    case 'suffix': {
      const pairs = pairSet(patterns.map((p) => p.subarray(p.length - 2)));
      return (b, start, end) => {
        if (pairs !== null && (end - start < 2 || !hasPair(pairs, b[end - 2], b[end - 1]))) return false;
        for (let i = 0; i < n; i++) if (end - start >= patterns[i].length && at(b, end - patterns[i].length, patterns[i])) return true;
        return false;
      };
    }
    default: { // contains
      const searches = patterns.map(containsTest);
      return (b, start, end) => {
        for (let i = 0; i < searches.length; i++) if (searches[i](b, start, end)) return true;
        return false;
      };
    }
  }
}

/** The two-byte pairs given, as a set of 65,536 bits; null when one is shorter (a pattern under two bytes: no pair to look for). */
function pairSet(pairs: readonly Uint8Array[]): Uint32Array | null {
  if (pairs.some((p) => p.length < 2)) return null;
  const bits = new Uint32Array(2048);
  for (const p of pairs) {
    const k = (p[0] << 8) | p[1];
    bits[k >>> 5] |= 1 << (k & 31);
  }
  return bits;
}

function hasPair(bits: Uint32Array, first: number, second: number): boolean {
  const k = (first << 8) | second;
  return (bits[k >>> 5] & (1 << (k & 31))) !== 0;
}

/**
 * Whether `p` occurs in the bytes: Horspool's search, which steps by up to
 * the pattern's length on a mismatch. A contains condition usually fails and
 * so reads the whole string: the built-in '/.config/systemd/user/' was tested
 * byte by byte on every written path (680k of the work capture).
 */
function containsTest(p: Uint8Array): ByteTest {
  const m = p.length;
  // The empty string is in every string.
  if (m === 0) return () => true;
  const last = p[m - 1];
  const shift = new Int32Array(256).fill(m);
  for (let k = 0; k < m - 1; k++) shift[p[k]] = m - 1 - k;
  return (b, start, end) => {
    for (let i = start + m - 1; i < end; i += shift[b[i]]) {
      if (b[i] !== last) continue;
      let k = m - 2;
      const from = i - m + 1;
      while (k >= 0 && b[from + k] === p[k]) k--;
      if (k < 0) return true;
    }
    return false;
  };
}
