/**
 * Sigma strings: plain text with the wildcards `*` (any run of characters)
 * and `?` (one character), and the backslash escape, exactly as the
 * specification's "Escape Character" section and pySigma's SigmaString read
 * them: `\*` and `\?` are literal, `\\` is one backslash, and a backslash
 * before any other character (or at the end) is itself literal.
 */
import { FALSE, type Judgement, TRUE, UNKNOWN } from '../common/kleene.js';
import { fold } from './fold.js';

export const ANY = 0; // *
export const ONE = 1; // ?
/** Literal text runs between wildcards. */
export type SigmaStringPart = string | typeof ANY | typeof ONE;

export function parseSigmaString(s: string): SigmaStringPart[] {
  const parts: SigmaStringPart[] = [];
  let acc = '';
  let escaped = false;
  for (const c of s) {
    if (escaped) {
      acc += c === '*' || c === '?' || c === '\\' ? c : `\\${c}`;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === '*' || c === '?') {
      if (acc !== '') parts.push(acc);
      acc = '';
      parts.push(c === '*' ? ANY : ONE);
    } else {
      acc += c;
    }
  }
  if (escaped) acc += '\\';
  if (acc !== '') parts.push(acc);
  return parts;
}

export function hasWildcards(parts: readonly SigmaStringPart[]): boolean {
  return parts.some((p) => typeof p !== 'string');
}

/** The text of a string without wildcards. */
export function plainText(parts: readonly SigmaStringPart[]): string {
  return parts.join('');
}

/** Applies `f` to each literal run, keeping wildcards; runs that become empty are dropped. */
export function mapLiterals(parts: readonly SigmaStringPart[], f: (s: string) => string): SigmaStringPart[] {
  const out: SigmaStringPart[] = [];
  for (const p of parts) {
    if (typeof p !== 'string') out.push(p);
    else {
      const m = f(p);
      if (m !== '') out.push(m);
    }
  }
  return out;
}

/** The modifiers contains, startswith and endswith: a `*` at either end unless one is already there. */
export function withWildcards(parts: readonly SigmaStringPart[], start: boolean, end: boolean): SigmaStringPart[] {
  const out = [...parts];
  if (start && out[0] !== ANY) out.unshift(ANY);
  if (end && out[out.length - 1] !== ANY) out.push(ANY);
  return out;
}

/**
 * A test of a value's text against a pattern. `needsLower` says the test
 * reads the lowercased text (case-insensitive patterns, the default).
 */
export interface StringTest {
  readonly needsLower: boolean;
  readonly test: (text: string) => boolean;
  /** A literal any matching (lowercased, when needsLower) text contains, for pre-filters; '' when none. */
  readonly literal: string;
  /**
   * The test of a text that is only the beginning of the value (the capture
   * cut it): TRUE when every value so beginning matches, FALSE when none
   * does, UNKNOWN otherwise. Rare (cut values), so one general glob judge.
   */
  readonly cut: (text: string) => Judgement;
}



/** Compiles a pattern to the cheapest test that decides it: equality, prefix, suffix, substring, or a glob. */
export function compileStringTest(parts: readonly SigmaStringPart[], cased: boolean): StringTest {
  const norm = cased ? parts : mapLiterals(parts, fold);
  const lits = norm.filter((p): p is string => typeof p === 'string');
  const literal = lits.reduce((a, b) => (b.length > a.length ? b : a), '');
  const needsLower = !cased;
  const n = norm.length;
  const pattern = globPattern(norm);
  // The common shapes judge a cut text directly (globJudgePrefix's general run says the same, slower).
  if (n === 0) return { needsLower, literal, cut: (t) => (t === '' ? UNKNOWN : FALSE), test: (t) => t === '' };
  if (n === 1 && typeof norm[0] === 'string') {
    const s = norm[0];
    return { needsLower, literal, cut: (t) => (s.startsWith(t) ? UNKNOWN : FALSE), test: (t) => t === s };
  }
  if (n === 1 && norm[0] === ANY) return { needsLower, literal, cut: () => TRUE, test: () => true };
  if (n === 2 && typeof norm[0] === 'string' && norm[1] === ANY) {
    const s = norm[0];
    return { needsLower, literal, cut: (t) => (t.startsWith(s) ? TRUE : s.startsWith(t) ? UNKNOWN : FALSE), test: (t) => t.startsWith(s) };
  }
  if (n === 2 && norm[0] === ANY && typeof norm[1] === 'string') {
    const s = norm[1];
    return { needsLower, literal, cut: () => UNKNOWN, test: (t) => t.endsWith(s) };
  }
  if (n === 3 && norm[0] === ANY && typeof norm[1] === 'string' && norm[2] === ANY) {
    const s = norm[1];
    return { needsLower, literal, cut: (t) => (t.includes(s) ? TRUE : UNKNOWN), test: (t) => t.includes(s) };
  }
  return { needsLower, literal, cut: (t) => globJudgePrefix(pattern, t), test: (t) => globMatch(pattern, t) };
}

/**
 * The pattern judged on `t`, the beginning of a value whose rest is not
 * known: TRUE when the pattern ends with `*` and already matches `t` (the
 * star takes whatever follows), FALSE when no value starting with `t` can
 * match (no state of the pattern's automaton survives `t`), UNKNOWN
 * otherwise. `endswith` on a cut value is never TRUE, however it ends.
 */
export function globJudgePrefix(p: Int32Array, t: string): Judgement {
  if (p.length > 0 && p[p.length - 1] === -1 && globMatch(p, t)) return TRUE;
  // A leading `*` stays alive whatever is read.
  return (p.length > 0 && p[0] === -1) || globAlive(p, t) ? UNKNOWN : FALSE;
}

/** Whether some pattern position is still reachable after reading all of `t` (an NFA run: O(pattern x text)). */
function globAlive(p: Int32Array, t: string): boolean {
  const n = p.length;
  let live = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  live[0] = 1;
  closeStars(p, live);
  for (let si = 0; si < t.length;) {
    const w = charWidth(t, si);
    next.fill(0);
    let any = false;
    for (let i = 0; i < n; i++) {
      if (live[i] === 0) continue;
      const c = p[i];
      if (c === -1) { next[i] = 1; any = true; } else if (c === -2) { next[i + 1] = 1; any = true; } else if (i + w <= n) {
        let k = 0;
        while (k < w && p[i + k] === t.charCodeAt(si + k)) k++;
        if (k === w) { next[i + w] = 1; any = true; }
      }
    }
    if (!any) return false;
    closeStars(p, next);
    [live, next] = [next, live];
    si += w;
  }
  return true;
}

/** A `*` also matches nothing: the position after it is reachable wherever it is. */
function closeStars(p: Int32Array, live: Uint8Array): void {
  for (let i = 0; i < p.length; i++) if (live[i] === 1 && p[i] === -1) live[i + 1] = 1;
}

/** Pattern as code units, with -1 for `*` and -2 for `?`. */
function globPattern(parts: readonly SigmaStringPart[]): Int32Array {
  const codes: number[] = [];
  for (const p of parts) {
    if (p === ANY) { if (codes[codes.length - 1] !== -1) codes.push(-1); }
    else if (p === ONE) codes.push(-2);
    else for (let i = 0; i < p.length; i++) codes.push(p.charCodeAt(i));
  }
  return Int32Array.from(codes);
}

/** Width in code units of the character at `i` (a surrogate pair is one character for `?`). */
function charWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/**
 * Wildcard match with backtracking to the last `*` only: O(text x pattern)
 * at worst, never exponential (a later `*` can always absorb what an earlier
 * one would have, so earlier stars never need to be revisited).
 */
export function globMatch(p: Int32Array, s: string): boolean {
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    if (pi < p.length && p[pi] === -2) {
      si += charWidth(s, si);
      pi++;
    } else if (pi < p.length && p[pi] >= 0 && p[pi] === s.charCodeAt(si)) {
      si++;
      pi++;
    } else if (pi < p.length && p[pi] === -1) {
      starP = pi++;
      starS = si;
    } else if (starP >= 0) {
      pi = starP + 1;
      starS += charWidth(s, starS);
      si = starS;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === -1) pi++;
  return pi === p.length;
}
