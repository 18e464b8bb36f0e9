/**
 * What any text a regular expression matches must have, for the literal
 * pre-filter: a literal it contains, a minimum length, and for a pattern
 * that ends in a run of a negated class at the end of the text (SigmaHQ's
 * long file name, `[^/]{100,}$`) how long a run of characters outside that
 * class the text must end with. Conservative: a construct this reader does
 * not follow contributes nothing (no literal, length 0, no tail), never a
 * wrong requirement.
 *
 * Only ASCII literals are kept, because the pre-filter compares lowercased
 * text and, outside ASCII, lowercasing is not what RE2's case folding is
 * (final sigma, dotted I). Under case-insensitive matching `s` is left out
 * too: RE2 folds it with U+017F (long s), which lowercases to itself.
 */
import { fold } from './fold.js';

export interface RegexHints {
  /** A lowercased ASCII literal every match contains ('' when none is known). */
  readonly literal: string;
  /** A lower bound on the length (in UTF-16 code units) of any text it matches. */
  readonly minLength: number;
  /** The text ends with `length` characters none of which is in `excluded` (ASCII punctuation), or null. */
  readonly tail: RegexTail | null;
}

export interface RegexTail { readonly excluded: string; readonly length: number }

interface Info {
  /** Minimum number of characters matched. */
  min: number;
  /** The exact text the node always matches, when it is a fixed string. */
  exact: string | null;
  /** Literals every match of the node contains. */
  lits: string[];
  /** Every match is at least `length` characters, none in `excluded` (a negated class of punctuation, repeated). */
  run?: RegexTail;
  /** Every match ends the text, after such a run. */
  tail?: RegexTail;
  /** `$` or `\z`: the end of the text (without the m flag). */
  end?: true;
}

const CLASS: Info = { min: 1, exact: null, lits: [] };
const EMPTY: Info = { min: 0, exact: '', lits: [] };
const END: Info = { min: 0, exact: '', lits: [], end: true };
const UNKNOWN: Info = { min: 0, exact: null, lits: [] };

export function regexHints(source: string, caseInsensitive: boolean, multiline = false): RegexHints {
  let info: Info;
  try {
    const p = new Reader(source);
    info = p.alternation();
    if (p.pos !== source.length) info = UNKNOWN;
  } catch {
    info = UNKNOWN;
  }
  const ci = caseInsensitive || /\(\?[a-zA-Z]*i/.test(source);
  const candidates = [...info.lits, ...(info.exact !== null ? [info.exact] : [])].flatMap((l) => usableParts(l, ci));
  const literal = candidates.reduce((a, b) => (b.length > a.length ? b : a), '');
  // With m (the flag, or set inline anywhere), $ is also a line's end.
  const endIsText = !multiline && !/\(\?[a-zA-Z-]*m/.test(source);
  return { literal: fold(literal), minLength: info.min, tail: endIsText ? info.tail ?? null : null };
}

/**
 * The characters a class like `^/.` (the text between its brackets) leaves
 * out, when they are plain ASCII punctuation (no letter, digit, escape,
 * range or nested class: nothing case folding or class syntax could
 * widen), else null.
 */
function negatedPunctuation(body: string): string | null {
  if (!body.startsWith('^') || body.length < 2) return null;
  const chars = body.slice(1);
  for (const ch of chars) {
    const c = ch.charCodeAt(0);
    if (c < 0x21 || c > 0x7e || /[A-Za-z0-9\\\[\]^-]/.test(ch)) return null;
  }
  return chars;
}

/** The runs of a literal the pre-filter can trust (see the module comment). */
function usableParts(lit: string, ci: boolean): string[] {
  return lit.split(ci ? /[^\x00-\x7f]|[sS]/ : /[^\x00-\x7f]/).filter((x) => x.length > 0);
}

class Reader {
  pos = 0;
  constructor(private readonly s: string) {}

  alternation(): Info {
    const branches = [this.concatenation()];
    while (this.s[this.pos] === '|') {
      this.pos++;
      branches.push(this.concatenation());
    }
    if (branches.length === 1) return branches[0];
    // (No tail: one is known only when every branch has it.)
    const first = branches[0].exact;
    return { min: Math.min(...branches.map((b) => b.min)), exact: branches.every((b) => b.exact === first) ? first : null, lits: [] };
  }

  private concatenation(): Info {
    let min = 0;
    let exact: string | null = '';
    let run = '';
    const lits: string[] = [];
    let previous: Info | null = null;
    let last: Info | null = null;
    while (this.pos < this.s.length && this.s[this.pos] !== '|' && this.s[this.pos] !== ')') {
      const item = this.repeat(this.atom());
      previous = last;
      last = item;
      min += item.min;
      lits.push(...item.lits);
      if (item.exact !== null) {
        run += item.exact;
        if (exact !== null) exact += item.exact;
      } else {
        if (run !== '') lits.push(run);
        run = '';
        exact = null;
      }
    }
    if (run !== '') lits.push(run);
    // `...[^/]{100,}$`: the run right before the end of the text; or a group ending so, last.
    const tail = last?.end === true && previous?.run !== undefined ? previous.run : last?.tail;
    return tail === undefined ? { min, exact, lits } : { min, exact, lits, tail };
  }

  private repeat(atom: Info): Info {
    const c = this.s[this.pos];
    let lo: number;
    let hi: number;
    if (c === '*') { lo = 0; hi = Infinity; this.pos++; }
    else if (c === '+') { lo = 1; hi = Infinity; this.pos++; }
    else if (c === '?') { lo = 0; hi = 1; this.pos++; }
    else if (c === '{' && /^\{\d+(,\d*)?\}/.test(this.s.slice(this.pos, this.pos + 24))) {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.pos, this.pos + 24))!;
      lo = Number(m[1]);
      hi = m[2] === undefined ? lo : m[3] === '' ? Infinity : Number(m[3]);
      this.pos += m[0].length;
    } else {
      return atom;
    }
    if (this.s[this.pos] === '?') this.pos++; // lazy
    if (lo === 0) return UNKNOWN;
    const lits = atom.exact !== null && atom.exact !== '' ? [...atom.lits, atom.exact] : atom.lits;
    const repeated: Info = { min: atom.min * lo, exact: lo === hi && atom.exact !== null && lo <= 64 ? atom.exact.repeat(lo) : null, lits };
    if (atom.run !== undefined) repeated.run = { excluded: atom.run.excluded, length: atom.run.length * lo };
    return repeated;
  }

  private atom(): Info {
    const s = this.s;
    const c = s[this.pos++];
    switch (c) {
      case '.': return CLASS;
      case '^': return EMPTY;
      case '$': return END;
      case '[': {
        const from = this.pos;
        this.skipClass();
        const excluded = negatedPunctuation(s.slice(from, this.pos - 1));
        return excluded === null ? CLASS : { ...CLASS, run: { excluded, length: 1 } };
      }
      case '(': return this.group();
      case '\\': return this.escape();
      default: {
        const code = s.codePointAt(this.pos - 1)!;
        if (code > 0xffff) this.pos++;
        return { min: 1, exact: String.fromCodePoint(code), lits: [] };
      }
    }
  }

  private group(): Info {
    const s = this.s;
    if (s[this.pos] === '?') {
      // (?flags) sets flags and matches nothing; (?:...), (?flags:...), (?P<name>...), (?<name>...) group.
      const flags = /^\?[a-zA-Z-]*\)/.exec(s.slice(this.pos, this.pos + 16));
      if (flags !== null) { this.pos += flags[0].length; return EMPTY; }
      const open = /^\?(?:[a-zA-Z-]*:|P?<[A-Za-z_][A-Za-z0-9_]*>)/.exec(s.slice(this.pos, this.pos + 72));
      if (open === null) throw new Error('unknown group');
      this.pos += open[0].length;
    }
    const inner = this.alternation();
    if (s[this.pos] !== ')') throw new Error('unclosed group');
    this.pos++;
    // A group is no end of text nor a run of its own (`($)`, `([^/])` are rare): only its tail passes on.
    return inner.tail === undefined ? { min: inner.min, exact: inner.exact, lits: inner.lits } : { min: inner.min, exact: inner.exact, lits: inner.lits, tail: inner.tail };
  }

  private escape(): Info {
    const s = this.s;
    const c = s[this.pos++];
    if (c === undefined) throw new Error('trailing backslash');
    if ('dDwWsSC'.includes(c)) return CLASS;
    if (c === 'p' || c === 'P') {
      if (s[this.pos] === '{') { const end = s.indexOf('}', this.pos); if (end < 0) throw new Error('bad \\p'); this.pos = end + 1; } else this.pos++;
      return CLASS;
    }
    if (c === 'z') return END;
    if ('bBA'.includes(c)) return EMPTY;
    if (c === 'Q') {
      const end = s.indexOf('\\E', this.pos);
      const text = s.slice(this.pos, end < 0 ? s.length : end);
      this.pos = end < 0 ? s.length : end + 2;
      return { min: text.length, exact: text, lits: [] };
    }
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07' };
    if (c in simple) return { min: 1, exact: simple[c], lits: [] };
    if (c === 'x') {
      const m = /^(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{2}))/.exec(s.slice(this.pos, this.pos + 9));
      if (m === null) throw new Error('bad \\x');
      this.pos += m[0].length;
      const code = parseInt(m[1] ?? m[2], 16);
      return code <= 0x10ffff ? { min: 1, exact: String.fromCodePoint(code), lits: [] } : CLASS;
    }
    if (c >= '0' && c <= '7') {
      // Octal, as RE2 reads it: \0 and up to two more octal digits, or \1-\7 followed by one or two (a lone \1 is a
      // back reference, which RE2 refuses). One character, whose code the digits give.
      const m = /^[0-7]{1,2}/.exec(s.slice(this.pos, this.pos + 2));
      if (m === null && c !== '0') throw new Error('back reference');
      const digits = c + (m?.[0] ?? '');
      this.pos += digits.length - 1;
      return { min: 1, exact: String.fromCodePoint(parseInt(digits, 8)), lits: [] };
    }
    // Any other letter or digit this reader does not know: the whole pattern gives no hint (never a wrong one).
    if (/[0-9A-Za-z]/.test(c)) throw new Error(`escape \\${c}`);
    return { min: 1, exact: c, lits: [] };
  }

  private skipClass(): void {
    const s = this.s;
    if (s[this.pos] === '^') this.pos++;
    if (s[this.pos] === ']') this.pos++;
    while (this.pos < s.length && s[this.pos] !== ']') {
      if (s[this.pos] === '\\') this.pos += 2;
      else if (s.startsWith('[:', this.pos)) { const end = s.indexOf(':]', this.pos + 2); this.pos = end < 0 ? s.length : end + 2; }
      else this.pos++;
    }
    if (this.pos >= s.length) throw new Error('unclosed class');
    this.pos++;
  }
}
