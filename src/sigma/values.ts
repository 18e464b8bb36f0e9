/**
 * Value modifiers: a detection item's values and its `|mod|mod` chain
 * become tests of one field. Modifiers apply left to right, each to every
 * value (and to every member of an expansion), as in the specification's
 * modifier appendix and pySigma, the reference implementation, including its
 * checks (`re`, `cidr` and `exists` come first; no wildcards under `base64`,
 * `fieldref`). Where the two differ, the specification wins: `utf16` writes
 * the byte order mark FF FE, byte lengths (not characters) pick the
 * base64offset cut, and a correlation-free `neq` negates the whole item.
 */
import { type BlockList } from 'node:net';
import { inNetworks, networkBlock } from '../common/networks.js';
import { RE2JS } from 're2js';
import { type FieldCursor, type SigmaFieldValue } from './event.js';
import { SIGMA_LIMITS } from './limits.js';
import { RuleProblem } from './problems.js';
import { regexHints, type RegexTail } from './regex-hints.js';
import { FALSE, type Judgement, kleene, kleeneNot, TRUE, UNKNOWN } from '../common/kleene.js';
import { compileStringTest, hasWildcards, mapLiterals, parseSigmaString, plainText, type SigmaStringPart, type StringTest, withWildcards } from './strings.js';
import { fold } from './fold.js';

export type RuleScalar = string | number | boolean | null;

/** A value while modifiers transform it. `binary` strings hold bytes (0-255) from the utf16 encoders. */
type Val =
  | { readonly t: 'str'; readonly parts: SigmaStringPart[]; readonly cased: boolean; readonly binary: boolean }
  | { readonly t: 'num'; readonly n: number }
  | { readonly t: 'bool'; readonly b: boolean }
  | { readonly t: 'null' }
  | { readonly t: 're'; readonly source: string; readonly i: boolean; readonly m: boolean; readonly s: boolean }
  | { readonly t: 'cidr'; readonly block: BlockList }
  | { readonly t: 'cmp'; readonly op: 'gt' | 'gte' | 'lt' | 'lte'; readonly n: number }
  | { readonly t: 'exists'; readonly b: boolean }
  | { readonly t: 'fieldref'; readonly field: string; readonly starts: boolean; readonly ends: boolean }
  | { readonly t: 'or'; readonly values: Val[] };

/** A compiled test over the per-event field cache. */
export type CursorTest = (c: FieldCursor) => boolean;
/**
 * The same test in three values (strings.ts Judgement), for events with a
 * value the capture cut: a cut value's test may be UNKNOWN, and `and`, `or`,
 * `not` combine as Kleene's logic does. For an event with no cut value it
 * says what the test says.
 */
export type CursorJudge = (c: FieldCursor) => Judgement;

/**
 * Something a matching event must have, for pre-filters: the lowercased
 * text of field `slot` contains `literal` (when not '') and is at least
 * `minLength` long, and (when `tail` is given) ends with `tail.length`
 * characters none of which is in `tail.excluded`.
 */
export interface Requirement { readonly slot: number; readonly literal: string; readonly minLength: number; readonly tail?: RegexTail }
/** At least one requirement of the list holds for every match (null: nothing known). */
export type Requirements = readonly Requirement[] | null;

export interface CompiledItem {
  readonly test: CursorTest;
  readonly judge: CursorJudge;
  readonly requires: Requirements;
}

/** How a detection item reaches the event's fields. */
export interface FieldResolver {
  /** Slot of a field the category has, or null when it has none by that name. */
  slot(field: string): number | null;
  /** Slots of every field of the category (keyword searches look at all of them). */
  readonly allSlots: readonly number[];
}

const KNOWN_MODIFIERS = new Set([
  'contains', 'startswith', 'endswith', 'all', 'base64', 'base64offset', 'wide', 'utf16le', 'utf16be', 'utf16', 'windash',
  're', 'i', 'ignorecase', 'm', 'multiline', 's', 'dotall', 'cased', 'cidr', 'gt', 'gte', 'lt', 'lte', 'neq', 'exists',
  'fieldref', 'expand', 'minute', 'hour', 'day', 'week', 'month', 'year',
]);

/** Compiles `field|mods: values` (field null: a keyword item) into a test. */
export function compileItem(field: string | null, modifiers: readonly string[], values: readonly RuleScalar[], fields: FieldResolver): CompiledItem {
  for (const m of modifiers) {
    if (!KNOWN_MODIFIERS.has(m)) throw RuleProblem.invalid(`unknown modifier '${m}'`);
    if (m === 'expand') throw RuleProblem.unsupported("modifier 'expand': placeholders (%name%) need values from a processing pipeline; rg-replay has none");
    if (['minute', 'hour', 'day', 'week', 'month', 'year'].includes(m)) throw RuleProblem.unsupported(`modifier '${m}': the Sigma view of rand-guard events has no date fields`);
  }
  let slot: number | null = null;
  if (field !== null) {
    slot = fields.slot(field);
    if (slot === null) throw RuleProblem.unsupported(`field '${field}' is not in this log source's events`);
  }
  const isRe = modifiers.includes('re');
  let vals: Val[] = values.length === 0 ? [{ t: 'null' }] : values.map((v) => initial(v, isRe));
  let all = false;
  let negated = false;
  const applied: string[] = [];
  for (const m of modifiers) {
    if (m === 'all') all = true;
    else if (m === 'neq') negated = true;
    else vals = vals.map((v) => applyModifier(m, v, applied, field));
    applied.push(m);
  }
  let expanded = 0;
  for (const v of vals) {
    expanded += v.t === 'or' ? v.values.length : 1;
    if (expanded > SIGMA_LIMITS.maxExpandedValues) throw RuleProblem.unsupported(`detection item expands to more than ${SIGMA_LIMITS.maxExpandedValues} values`);
  }
  const implicitContains = field === null && !modifiers.some((m) => ['contains', 'startswith', 'endswith', 're', 'cidr', 'exists', 'fieldref', 'gt', 'gte', 'lt', 'lte'].includes(m));
  const leaves = vals.map((v) => compileLeaf(v, slot, fields, implicitContains));
  const test = combine(leaves.map((l) => l.test), all ? 'and' : 'or');
  const judge = kleene(leaves.map((l) => l.judge), all ? 'and' : 'or');
  const requires = negated ? null : all ? best(leaves.map((l) => l.requires)) : union(leaves.map((l) => l.requires));
  return { test: negated ? (c) => !test(c) : test, judge: negated ? kleeneNot(judge) : judge, requires };
}

function initial(v: RuleScalar, isRe: boolean): Val {
  if (isRe) {
    if (typeof v !== 'string') throw RuleProblem.invalid(`modifier 're' needs a string, got ${JSON.stringify(v)}`);
    return { t: 're', source: v, i: false, m: false, s: false };
  }
  if (v === null) return { t: 'null' };
  if (typeof v === 'string') return { t: 'str', parts: parseSigmaString(v), cased: false, binary: false };
  if (typeof v === 'number') return { t: 'num', n: v };
  return { t: 'bool', b: v };
}

/** Numbers under a string modifier are read as their text (pySigma refuses them; nothing is lost by reading them). */
function asString(v: Val, m: string): Val & { t: 'str' } {
  if (v.t === 'str') return v;
  if (v.t === 'num') return { t: 'str', parts: parseSigmaString(String(v.n)), cased: false, binary: false };
  throw RuleProblem.invalid(`modifier '${m}' cannot apply to ${describe(v)}`);
}

function applyModifier(m: string, v: Val, applied: readonly string[], field: string | null): Val {
  if (v.t === 'or') return { t: 'or', values: v.values.flatMap((x) => flatten(applyModifier(m, x, applied, field))) };
  switch (m) {
    case 'contains':
    case 'startswith':
    case 'endswith': {
      if (v.t === 're') return v; // regexes search anywhere already (see compileRegex)
      if (v.t === 'fieldref') return { ...v, starts: v.starts || m !== 'endswith', ends: v.ends || m !== 'startswith' };
      const s = asString(v, m);
      return { ...s, parts: withWildcards(s.parts, m !== 'startswith', m !== 'endswith') };
    }
    case 'base64':
    case 'base64offset': {
      const s = asString(v, m);
      if (hasWildcards(s.parts)) throw RuleProblem.invalid(`modifier '${m}': base64 encoding of strings with wildcards is not allowed`);
      const bytes = s.binary ? Buffer.from(plainText(s.parts), 'latin1') : Buffer.from(plainText(s.parts), 'utf8');
      const str = (text: string): Val => ({ t: 'str', parts: text === '' ? [] : [text], cased: s.cased, binary: false });
      if (m === 'base64') return str(bytes.toString('base64'));
      return { t: 'or', values: base64Offsets(bytes).map(str) };
    }
    case 'wide':
    case 'utf16le':
    case 'utf16be':
    case 'utf16': {
      const s = asString(v, m);
      if (s.binary) throw RuleProblem.invalid(`modifier '${m}' applied to an already encoded value`);
      const encode = (text: string) => {
        const le = Buffer.from(text, 'utf16le');
        if (m === 'utf16be') le.swap16();
        return le.toString('latin1');
      };
      const parts = mapLiterals(s.parts, encode);
      // The byte order mark, FF FE, before a little-endian encoding (the specification's `cmd` example).
      if (m === 'utf16') parts.unshift('\xff\xfe');
      return { t: 'str', parts, cased: s.cased, binary: true };
    }
    case 'windash': {
      const s = asString(v, m);
      return windash(s);
    }
    case 're':
      if (applied.length > 0) throw RuleProblem.invalid("modifier 're' must come first");
      return v;
    case 'i':
    case 'ignorecase':
    case 'm':
    case 'multiline':
    case 's':
    case 'dotall':
      if (v.t !== 're') throw RuleProblem.invalid(`modifier '${m}' only follows 're'`);
      return m[0] === 'i' ? { ...v, i: true } : m[0] === 'm' ? { ...v, m: true } : { ...v, s: true };
    case 'cased': {
      const s = asString(v, m);
      return { ...s, cased: true };
    }
    case 'cidr': {
      if (applied.length > 0) throw RuleProblem.invalid("modifier 'cidr' must come first");
      if (v.t !== 'str' || hasWildcards(v.parts)) throw RuleProblem.invalid(`modifier 'cidr' needs a network like 10.0.0.0/8, got ${describe(v)}`);
      return { t: 'cidr', block: cidrBlock(plainText(v.parts)) };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (v.t !== 'num') throw RuleProblem.invalid(`modifier '${m}' needs a number, got ${describe(v)}`);
      return { t: 'cmp', op: m, n: v.n };
    case 'exists':
      if (field === null) throw RuleProblem.invalid("modifier 'exists' must be applied to a field");
      if (applied.length > 0) throw RuleProblem.invalid("modifier 'exists' must come first");
      if (v.t !== 'bool') throw RuleProblem.invalid(`modifier 'exists' needs true or false, got ${describe(v)}`);
      return { t: 'exists', b: v.b };
    case 'fieldref': {
      const s = asString(v, m);
      if (hasWildcards(s.parts)) throw RuleProblem.invalid('field references must not contain wildcards');
      return { t: 'fieldref', field: plainText(s.parts), starts: false, ends: false };
    }
    default:
      throw RuleProblem.invalid(`unknown modifier '${m}'`);
  }
}

function flatten(v: Val): Val[] {
  return v.t === 'or' ? v.values : [v];
}

function describe(v: Val): string {
  switch (v.t) {
    case 'str': return JSON.stringify(plainText(v.parts));
    case 'num': return String(v.n);
    case 'bool': return String(v.b);
    case 'null': return 'null';
    case 're': return 'a regular expression';
    case 'cidr': return 'a network';
    case 'cmp': return 'a comparison';
    case 'exists': return 'an exists test';
    case 'fieldref': return 'a field reference';
    case 'or': return 'an expansion';
  }
}

/**
 * The three base64 forms of `bytes` at offsets 0, 1 and 2 within an encoded
 * stream, with the characters that depend on neighbouring bytes cut off
 * (pySigma's start and end offsets).
 */
export function base64Offsets(bytes: Buffer): string[] {
  const start = [0, 2, 3];
  const end = [undefined, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), bytes]).toString('base64');
    out.push(enc.slice(start[i], end[(bytes.length + i) % 3]));
  }
  return out;
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];
const WORD = /[\p{L}\p{N}_]/u;

/**
 * windash: every `-` or `/` that starts a word (no word character before it
 * within its literal run, one after it) becomes each of - / – — ―, in every
 * combination (pySigma's `\B[-/]\b`).
 */
function windash(s: Val & { t: 'str' }): Val {
  let variants: SigmaStringPart[][] = [[]];
  for (const p of s.parts) {
    if (typeof p !== 'string') {
      for (const v of variants) v.push(p);
      continue;
    }
    let pieces: string[] = [''];
    const chars = [...p];
    for (let k = 0; k < chars.length; k++) {
      const c = chars[k];
      const dash = (c === '-' || c === '/') && (k === 0 || !WORD.test(chars[k - 1])) && k + 1 < chars.length && WORD.test(chars[k + 1]);
      pieces = dash ? pieces.flatMap((x) => DASHES.map((d) => x + d)) : pieces.map((x) => x + c);
      if (pieces.length * variants.length > SIGMA_LIMITS.maxExpandedValues) throw RuleProblem.unsupported(`modifier 'windash' expands to more than ${SIGMA_LIMITS.maxExpandedValues} values`);
    }
    variants = variants.flatMap((v) => pieces.map((x) => [...v, x]));
  }
  const values: Val[] = variants.map((parts) => ({ t: 'str', parts, cased: s.cased, binary: s.binary }));
  return values.length === 1 ? values[0] : { t: 'or', values };
}

export function cidrBlock(text: string): BlockList {
  try {
    return networkBlock([text]);
  } catch (e) {
    throw RuleProblem.invalid((e as Error).message);
  }
}

/** A regular expression in RE2 (linear time in the input, whatever the pattern). */
export function compileRegex(source: string, i: boolean, m: boolean, s: boolean): RE2JS {
  if (source.length > SIGMA_LIMITS.maxRegexLength) throw RuleProblem.unsupported(`regular expression longer than ${SIGMA_LIMITS.maxRegexLength} characters`);
  const flags = (i ? RE2JS.CASE_INSENSITIVE : 0) | (m ? RE2JS.MULTILINE : 0) | (s ? RE2JS.DOTALL : 0);
  try {
    return RE2JS.compile(source, flags);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw RuleProblem.unsupported(`regular expression ${JSON.stringify(source.slice(0, 80))} is not one RE2 (linear time) can run: ${why}`);
  }
}

interface Leaf { readonly test: CursorTest; readonly judge: CursorJudge; readonly requires: Requirements }

const NEVER: CursorTest = () => false;
const NEVER_JUDGED: CursorJudge = () => FALSE;

/** A field's test, with `onCut` judging it when the event's value of the field was cut. */
function cutAware(slot: number, test: CursorTest, onCut: CursorJudge): CursorJudge {
  return (c) => (c.cut(slot) ? onCut(c) : test(c) ? TRUE : FALSE);
}

/** A test that no cut can change (null, exists: a cut value is there). */
function decided(test: CursorTest): CursorJudge {
  return (c) => (test(c) ? TRUE : FALSE);
}

/**
 * A cut text as judged: a decoder's replacement character at its end is the
 * remains of a character the cut split, not part of the value.
 */
function cutText(t: string): string {
  return t.endsWith('\ufffd') ? t.slice(0, -1) : t;
}

/**
 * `judgeCut` over a cut field's value: its text, or each element of a list
 * (only the last element of a cut list was cut; the others are whole).
 */
function judgeCutField(c: FieldCursor, slot: number, lower: boolean, whole: (x: string) => boolean, judgeCut: (x: string) => Judgement): Judgement {
  const t = lower ? c.lower(slot) : c.text(slot);
  if (t !== null) return judgeCut(cutText(t));
  const raw = c.raw(slot);
  if (!Array.isArray(raw)) return FALSE;
  const list = raw as readonly string[];
  let r: Judgement = FALSE;
  for (let i = 0; i < list.length; i++) {
    const x = lower ? fold(list[i]) : list[i];
    const v = i === list.length - 1 ? judgeCut(cutText(x)) : whole(x) ? TRUE : FALSE;
    if (v === TRUE) return TRUE;
    if (v === UNKNOWN) r = UNKNOWN;
  }
  return r;
}

/**
 * A regular expression (a search) on a cut text: TRUE when it matches and
 * the match ends before the cut (whatever follows, that match stays one:
 * RE2 has no lookahead, and the character after the match is known), else
 * UNKNOWN (what follows the cut may complete a match, or `$` may no longer hold).
 */
function judgeRegexCut(re: RE2JS, t: string): Judgement {
  const m = re.matcher(t);
  return m.find() && m.end() < t.length ? TRUE : UNKNOWN;
}

/** One transformed value as a test of field `slot` (or, for keywords, of every field). */
function compileLeaf(v: Val, slot: number | null, fields: FieldResolver, implicitContains: boolean): Leaf {
  if (v.t === 'or') {
    const members = v.values.map((x) => compileLeaf(x, slot, fields, implicitContains));
    return { test: combine(members.map((x) => x.test), 'or'), judge: kleene(members.map((x) => x.judge), 'or'), requires: union(members.map((x) => x.requires)) };
  }
  if (slot === null) return compileKeywordLeaf(v, fields, implicitContains);
  const s = slot;
  switch (v.t) {
    case 'str': {
      if (v.binary) throw RuleProblem.unsupported('utf16/wide values are bytes, and only match when base64-encoded: rand-guard fields are text');
      const st = compileStringTest(v.parts, v.cased);
      const test = textTest(s, st);
      const judge = cutAware(s, test, (c) => judgeCutField(c, s, st.needsLower, st.test, st.cut));
      return { test, judge, requires: st.literal.length > 0 ? [{ slot: s, literal: v.cased ? fold(st.literal) : st.literal, minLength: 0 }] : null };
    }
    case 'num': {
      const n = v.n;
      const text = String(n);
      const test: CursorTest = (c) => anyScalar(c, s, (raw, t) => (typeof raw === 'number' ? raw === n : fold(t) === text));
      return { test, judge: cutAware(s, test, (c) => judgeCutField(c, s, true, (x) => x === text, (x) => (text.startsWith(x) ? UNKNOWN : FALSE))), requires: null };
    }
    case 'bool': {
      const text = String(v.b);
      const test: CursorTest = (c) => anyScalar(c, s, (_raw, t) => fold(t) === text);
      return { test, judge: cutAware(s, test, (c) => judgeCutField(c, s, true, (x) => x === text, (x) => (text.startsWith(x) ? UNKNOWN : FALSE))), requires: null };
    }
    case 'null': {
      const test: CursorTest = (c) => { const raw = c.raw(s); return raw === null || raw === undefined; };
      return { test, judge: decided(test), requires: null };
    }
    case 'exists': {
      const want = v.b;
      const test: CursorTest = (c) => { const raw = c.raw(s); return (raw !== undefined && raw !== null) === want; };
      return { test, judge: decided(test), requires: null };
    }
    case 're': {
      const re = compileRegex(v.source, v.i, v.m, v.s);
      const hints = regexHints(v.source, v.i, v.m);
      const useful = hints.literal.length > 0 || hints.minLength > 0 || hints.tail !== null;
      const requirement: Requirement = hints.tail === null ? { slot: s, literal: hints.literal, minLength: hints.minLength } : { slot: s, literal: hints.literal, minLength: hints.minLength, tail: hints.tail };
      const test: CursorTest = (c) => anyScalar(c, s, (_raw, t) => re.test(t));
      return { test, judge: cutAware(s, test, (c) => judgeCutField(c, s, false, (x) => re.test(x), (x) => judgeRegexCut(re, x))), requires: useful ? [requirement] : null };
    }
    case 'cidr': {
      const block = v.block;
      const test: CursorTest = (c) => anyScalar(c, s, (_raw, t) => inNetworks(block, t));
      // An address is never cut; a cut text that is not one is not known to be none.
      return { test, judge: cutAware(s, test, (c) => judgeCutField(c, s, false, (x) => inNetworks(block, x), () => UNKNOWN)), requires: null };
    }
    case 'cmp': {
      const { op, n } = v;
      const cmp = op === 'gt' ? (x: number) => x > n : op === 'gte' ? (x: number) => x >= n : op === 'lt' ? (x: number) => x < n : (x: number) => x <= n;
      const test: CursorTest = (c) => anyScalar(c, s, (raw, t) => { const x = typeof raw === 'number' ? raw : numeric(t); return x !== null && cmp(x); });
      return { test, judge: cutAware(s, test, (c) => judgeCutField(c, s, false, (x) => { const y = numeric(x); return y !== null && cmp(y); }, () => UNKNOWN)), requires: null };
    }
    case 'fieldref': {
      const other = fields.slot(v.field);
      if (other === null) throw RuleProblem.unsupported(`field reference '${v.field}' is not in this log source's events`);
      const { starts, ends } = v;
      const test: CursorTest = (c) => {
        const ref = c.lower(other);
        if (ref === null) return false;
        return anyScalar(c, s, (_raw, t) => {
          const x = fold(t);
          return starts && ends ? x.includes(ref) : starts ? x.startsWith(ref) : ends ? x.endsWith(ref) : x === ref;
        });
      };
      // Two values compared, either of them cut: a match found stands only when neither end can move; not worth the cases.
      const judge: CursorJudge = (c) => ((c.cut(s) || c.cut(other)) && c.raw(other) !== null && c.raw(other) !== undefined ? UNKNOWN : test(c) ? TRUE : FALSE);
      return { test, judge, requires: null };
    }
  }
}

/**
 * Keywords search the whole event, as a full-text search does a log line:
 * a keyword matches when any field contains it (wildcards apply within a
 * field; explicit contains/startswith/endswith/re are honoured per field).
 */
function compileKeywordLeaf(v: Val, fields: FieldResolver, implicitContains: boolean): Leaf {
  const slots = fields.allSlots;
  let one: (c: FieldCursor, slot: number) => boolean;
  let oneCut: (c: FieldCursor, slot: number) => Judgement;
  switch (v.t) {
    case 'str': {
      if (v.binary) throw RuleProblem.unsupported('utf16/wide values are bytes, and only match when base64-encoded: rand-guard fields are text');
      const st = compileStringTest(implicitContains ? withWildcards(v.parts, true, true) : v.parts, v.cased);
      one = (c, slot) => anyScalarText(c, slot, st);
      oneCut = (c, slot) => judgeCutField(c, slot, st.needsLower, st.test, st.cut);
      break;
    }
    case 'num':
    case 'bool': {
      const st = compileStringTest(implicitContains ? withWildcards(parseSigmaString(String(v.t === 'num' ? v.n : v.b)), true, true) : parseSigmaString(String(v.t === 'num' ? v.n : v.b)), false);
      one = (c, slot) => anyScalarText(c, slot, st);
      oneCut = (c, slot) => judgeCutField(c, slot, st.needsLower, st.test, st.cut);
      break;
    }
    case 're': {
      const re = compileRegex(v.source, v.i, v.m, v.s);
      one = (c, slot) => anyScalar(c, slot, (_raw, t) => re.test(t));
      oneCut = (c, slot) => judgeCutField(c, slot, false, (x) => re.test(x), (x) => judgeRegexCut(re, x));
      break;
    }
    case 'null':
      throw RuleProblem.invalid('a null value must be bound to a field');
    default:
      throw RuleProblem.invalid(`a keyword cannot be ${describe(v)}`);
  }
  const judge: CursorJudge = (c) => {
    let r: Judgement = FALSE;
    for (const slot of slots) {
      const v = c.cut(slot) ? oneCut(c, slot) : one(c, slot) ? TRUE : FALSE;
      if (v === TRUE) return TRUE;
      if (v === UNKNOWN) r = UNKNOWN;
    }
    return r;
  };
  return { test: slots.length === 0 ? NEVER : (c) => { for (const slot of slots) if (one(c, slot)) return true; return false; }, judge: slots.length === 0 ? NEVER_JUDGED : judge, requires: null };
}

function textTest(slot: number, st: StringTest): CursorTest {
  const test = st.test;
  if (st.needsLower) {
    return (c) => {
      const t = c.lower(slot);
      if (t !== null) return test(t);
      return anyListElement(c.raw(slot), (x) => test(fold(x)));
    };
  }
  return (c) => {
    const t = c.text(slot);
    if (t !== null) return test(t);
    return anyListElement(c.raw(slot), test);
  };
}

function anyScalarText(c: FieldCursor, slot: number, st: StringTest): boolean {
  const t = st.needsLower ? c.lower(slot) : c.text(slot);
  if (t !== null) return st.test(t);
  return anyListElement(c.raw(slot), st.needsLower ? (x) => st.test(fold(x)) : st.test);
}

/** `f` over the field's scalar, or over each element of a list; absent and null values never match. */
function anyScalar(c: FieldCursor, slot: number, f: (raw: string | number | boolean, text: string) => boolean): boolean {
  const t = c.text(slot);
  if (t !== null) return f(c.raw(slot) as string | number | boolean, t);
  return anyListElement(c.raw(slot), (x) => f(x, x));
}

function anyListElement(raw: SigmaFieldValue | undefined, f: (x: string) => boolean): boolean {
  if (!Array.isArray(raw)) return false;
  for (const x of raw as readonly string[]) if (f(x)) return true;
  return false;
}

function numeric(t: string): number | null {
  if (t.trim() === '') return null;
  const x = Number(t);
  return Number.isFinite(x) ? x : null;
}

export function combine(tests: readonly CursorTest[], op: 'and' | 'or'): CursorTest {
  if (tests.length === 1) return tests[0];
  if (tests.length === 2) {
    const [a, b] = tests;
    return op === 'and' ? (c) => a(c) && b(c) : (c) => a(c) || b(c);
  }
  if (op === 'and') return (c) => { for (const t of tests) if (!t(c)) return false; return true; };
  return (c) => { for (const t of tests) if (t(c)) return true; return false; };
}

/** Requirements of an OR: one of all its members' (unknown if any member's is unknown). */
export function union(rs: readonly Requirements[]): Requirements {
  const out: Requirement[] = [];
  for (const r of rs) {
    if (r === null) return null;
    out.push(...r);
  }
  return out.length === 0 ? null : out;
}

/** Requirements of an AND: any one member's suffices; the most selective is the one with the fewest and longest literals. */
export function best(rs: readonly Requirements[]): Requirements {
  let chosen: Requirements = null;
  let score = -Infinity;
  for (const r of rs) {
    if (r === null) continue;
    const shortest = Math.min(...r.map((x) => x.literal.length + x.minLength / 16));
    const s = shortest * 4 - r.length;
    if (s > score) {
      score = s;
      chosen = r;
    }
  }
  return chosen;
}
