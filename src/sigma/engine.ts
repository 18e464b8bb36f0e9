/**
 * Runs loaded Sigma rules over events. Rules are indexed by log source
 * category, so an event is only offered to the rules of its own. Most rules
 * need a literal in some field for any match (`Image|endswith: /curl` means
 * the lowercased Image contains "/curl"): per category and field, one
 * Aho-Corasick scan of the event's lowercased text finds which of those
 * literals occur, and only rules with a literal present (or with none known)
 * run their full test.
 */
import { CorrelationRuntime, type CorrelationDetail, type GroupValue } from './correlation.js';
import { type ByteSpan, type FieldCursor, type SigmaEventView, type SigmaFieldValue } from './event.js';
import { type SigmaRuleSet } from './load.js';
import { LiteralIndex, NOT_ASCII } from './literal-index.js';
import { type RegexTail } from './regex-hints.js';
import { type RuleInfo } from './rule.js';
import { TRUE, UNKNOWN } from '../common/kleene.js';
import { type CursorJudge, type CursorTest, type Requirements } from './values.js';

export interface SigmaHit {
  readonly rule: RuleInfo;
  /** null: the event being evaluated; otherwise what an earlier event's `ref()` returned. */
  readonly eventRef: unknown;
  readonly correlation: CorrelationDetail | null;
  /**
   * Null: the rule matched. Otherwise the rule may have matched, and could not
   * be judged because these fields of the event hold only the beginning of
   * their values (the capture cut them): an undecided match, for an analyst
   * to look at, never counted as a match (nor by correlations).
   */
  readonly undecided: readonly string[] | null;
}

interface Consumer { readonly runtime: CorrelationRuntime; readonly source: number; readonly chained: Consumer[]; readonly alerts: boolean }

interface IndexedRule {
  readonly info: RuleInfo;
  readonly test: CursorTest;
  readonly judge: CursorJudge;
  /** Literals one of which the event must contain before the test runs (null: nothing known, always run it). */
  readonly requires: Requirements;
  /** Whether a match alerts on its own (false for rules only correlations use, unless one says generate). */
  readonly alerts: boolean;
  readonly consumers: readonly Consumer[];
  matches: number;
  /** Events it could not judge (a value it reads was cut) and that may have matched. */
  undecided: number;
}

/**
 * A length a field must reach for a rule to be a candidate, and how long a
 * run of characters outside `tail.excluded` it must end with (regexes like
 * `[^/]{100,}$`: SigmaHQ's long file name rule, tested on every file event
 * with a path of 100 characters or more otherwise).
 */
interface LengthCheck { readonly slot: number; readonly minLength: number; readonly tail: TailCheck | null; readonly rule: number }

/** `excluded[code] === 1`: an ASCII character the field's last `length` characters must not be. */
interface TailCheck { readonly excluded: Uint8Array; readonly length: number }

/** One field's literals, for the rules of one category. */
interface FieldScan {
  readonly slot: number;
  readonly index: LiteralIndex;
  /** Rule positions per literal id. */
  readonly rulesOf: readonly Int32Array[];
  /** Every rule with a literal on this field (all candidates when the field holds a list). */
  readonly anyRule: Int32Array;
  /** The last text scanned and the rules its literals made candidates: consecutive events often share a value. */
  lastText: string | null;
  lastRules: Int32Array;
}

/** The rules of one category and their literal pre-filter. */
class CategoryRules {
  readonly rules: IndexedRule[] = [];
  private scans: FieldScan[] = [];
  private lengths: LengthCheck[] = [];
  /** Rules without a known literal, always tested. */
  private unfiltered: Uint8Array = new Uint8Array(0);
  /** candidate[i] === generation: rule i had a literal present in this event. */
  private candidate: Int32Array = new Int32Array(0);
  private generation = 0;

  /** Builds the literal indexes once every rule is added. */
  seal(): void {
    const n = this.rules.length;
    this.candidate = new Int32Array(n);
    this.unfiltered = new Uint8Array(n);
    const bySlot = new Map<number, { literals: Map<string, number[]>; rules: Set<number> }>();
    this.rules.forEach((r, i) => {
      if (r.requires === null) { this.unfiltered[i] = 1; return; }
      for (const { slot, literal, minLength, tail } of r.requires) {
        if (literal === '') { this.lengths.push({ slot, minLength, tail: tail === undefined ? null : tailCheck(tail), rule: i }); continue; }
        let entry = bySlot.get(slot);
        if (entry === undefined) bySlot.set(slot, (entry = { literals: new Map(), rules: new Set() }));
        let list = entry.literals.get(literal);
        if (list === undefined) entry.literals.set(literal, (list = []));
        if (list[list.length - 1] !== i) list.push(i);
        entry.rules.add(i);
      }
    });
    this.scans = [...bySlot].map(([slot, { literals, rules }]) => ({
      slot,
      index: new LiteralIndex([...literals.keys()]),
      rulesOf: [...literals.values()].map((l) => Int32Array.from(l)),
      anyRule: Int32Array.from(rules),
      lastText: null,
      lastRules: new Int32Array(0),
    }));
  }

  /** Marks the rules whose literal the event contains; returns the generation that marks them. */
  markCandidates(c: FieldCursor): number {
    if (++this.generation === 0x7fffffff) { this.generation = 1; this.candidate.fill(0); }
    const g = this.generation;
    const candidate = this.candidate;
    const found = FOUND;
    for (let k = 0; k < this.scans.length; k++) {
      const scan = this.scans[k];
      // A string of the record's own bytes (a path): scanned as bytes, never decoded, when they are ASCII.
      const bytes = c.cString(scan.slot);
      if (bytes !== null) {
        const n = scan.index.scanCString(bytes.buf, bytes.start, bytes.end, found);
        if (n !== NOT_ASCII) {
          scan.lastText = null;
          if (n < 0) markAll(scan.anyRule, candidate, g);
          else for (let j = 0; j < n; j++) markAll(scan.rulesOf[found[j]], candidate, g);
          continue;
        }
      }
      const text = c.lower(scan.slot);
      if (text !== null && text === scan.lastText) {
        markAll(scan.lastRules, candidate, g);
        continue;
      }
      const n = text === null ? (Array.isArray(c.raw(scan.slot)) ? -1 : 0) : scan.index.scan(text, found);
      if (n < 0) {
        // A list field, or more occurrences than the buffer holds: every rule with a literal here stays a candidate.
        markAll(scan.anyRule, candidate, g);
        scan.lastText = null;
        continue;
      }
      let marked = 0;
      for (let j = 0; j < n; j++) {
        const rs = scan.rulesOf[found[j]];
        for (let i = 0; i < rs.length; i++) {
          candidate[rs[i]] = g;
          MARKED[marked++ & MARKED_MASK] = rs[i];
        }
      }
      scan.lastText = text;
      scan.lastRules = marked === 0 ? NONE : MARKED.slice(0, Math.min(marked, MARKED.length));
      if (marked > MARKED.length) scan.lastText = null;
    }
    for (let k = 0; k < this.lengths.length; k++) {
      const { slot, minLength, tail, rule } = this.lengths[k];
      // A text has no more UTF-16 code units than its UTF-8 has bytes, and the bytes of a character outside ASCII are no ASCII byte:
      // counting bytes never rejects a text whose characters pass.
      const bytes = c.cString(slot);
      if (bytes !== null) {
        if (cStringLength(bytes, minLength) >= minLength && (tail === null || bytesEndWith(bytes, tail))) candidate[rule] = g;
        continue;
      }
      const text = c.text(slot);
      if (text === null ? Array.isArray(c.raw(slot)) : text.length >= minLength && (tail === null || textEndsWith(text, tail))) candidate[rule] = g;
    }
    return g;
  }

  isCandidate(i: number, g: number): boolean {
    return this.unfiltered[i] === 1 || this.candidate[i] === g;
  }
}

function tailCheck(tail: RegexTail): TailCheck {
  const excluded = new Uint8Array(128);
  for (let i = 0; i < tail.excluded.length; i++) excluded[tail.excluded.charCodeAt(i) & 0x7f] = 1;
  return { excluded, length: tail.length };
}

/** The C string in `span` ends with `tail.length` bytes none of which is an excluded character. */
function bytesEndWith(span: ByteSpan, tail: TailCheck): boolean {
  const { buf, start } = span;
  let end = start;
  while (end < span.end && buf[end] !== 0) end++;
  const stop = end - tail.length;
  if (stop < start) return false;
  for (let i = end - 1; i >= stop; i--) if (buf[i] < 0x80 && tail.excluded[buf[i]] === 1) return false;
  return true;
}

function textEndsWith(text: string, tail: TailCheck): boolean {
  const stop = text.length - tail.length;
  if (stop < 0) return false;
  for (let i = text.length - 1; i >= stop; i--) {
    const c = text.charCodeAt(i);
    if (c < 0x80 && tail.excluded[c] === 1) return false;
  }
  return true;
}

/** The length of the C string in `span`, counted up to `atLeast` at most. */
function cStringLength(span: ByteSpan, atLeast: number): number {
  const { buf, start } = span;
  const end = Math.min(span.end, start + atLeast);
  let i = start;
  while (i < end && buf[i] !== 0) i++;
  return i - start;
}

function markAll(rules: Int32Array, candidate: Int32Array, g: number): void {
  for (let i = 0; i < rules.length; i++) candidate[rules[i]] = g;
}

const NO_HITS: readonly SigmaHit[] = Object.freeze([]);
/** Literal occurrences found in one field (scratch, reused for every scan). */
const FOUND = new Int32Array(4096);
/** Rules one scan made candidates (scratch; past its size the scan is not remembered). */
const MARKED = new Int32Array(1024);
const MARKED_MASK = 1023;
const NONE = new Int32Array(0);

export class SigmaEngine {
  private readonly byCategory = new Map<string, CategoryRules>();
  private readonly cursor: FieldCursor;
  private readonly runtimes: CorrelationRuntime[] = [];
  private readonly pending: { consumer: Consumer; rule: IndexedRule }[] = [];
  private lastTimeMs = 0;
  /** Events offered to rules, and those rejected by every rule's pre-filter before any test ran. */
  events = 0;
  prefiltered = 0;
  /** Events with a cut value, judged by every rule of their category in three values. */
  cutEvents = 0;

  constructor(readonly set: SigmaRuleSet) {
    this.cursor = set.registry.cursor();
    const consumersOf = new Map<object, Consumer[]>();
    const referenced = new Set<object>();
    const generated = new Set<object>();
    const runtimeOf = new Map<object, CorrelationRuntime>();
    for (const c of set.correlations) {
      const runtime = new CorrelationRuntime(c);
      this.runtimes.push(runtime);
      runtimeOf.set(c.rule, runtime);
      for (const s of c.sources) {
        referenced.add(s.rule);
        if (c.rule.generate) generated.add(s.rule);
      }
    }
    const alertsOf = (r: object) => !referenced.has(r) || generated.has(r);
    // Consumers of correlations first (chains), then of detections.
    const consumerCache = new Map<object, Consumer[]>();
    const consumersFor = (target: object): Consumer[] => {
      let list = consumerCache.get(target);
      if (list !== undefined) return list;
      list = [];
      consumerCache.set(target, list);
      for (const c of set.correlations) {
        c.sources.forEach((s, i) => {
          if (s.rule === target) list!.push({ runtime: runtimeOf.get(c.rule)!, source: i, chained: consumersFor(c.rule), alerts: alertsOf(c.rule) });
        });
      }
      return list;
    };
    for (const d of set.detections) consumersOf.set(d, consumersFor(d));
    for (const d of set.detections) {
      const entry: IndexedRule = { info: d.info, test: d.detection.test, judge: d.detection.judge, requires: d.detection.requires, alerts: alertsOf(d), consumers: consumersOf.get(d)!, matches: 0, undecided: 0 };
      let category = this.byCategory.get(d.category);
      if (category === undefined) this.byCategory.set(d.category, (category = new CategoryRules()));
      category.rules.push(entry);
    }
    for (const category of this.byCategory.values()) category.seal();
  }

  /** Whether some loaded rule runs on events of `category` (evaluate returns no hit for the others). */
  hasRulesFor(category: string): boolean {
    return this.byCategory.has(category);
  }

  /** Categories some loaded rule runs on. */
  get categories(): ReadonlySet<string> {
    return new Set(this.byCategory.keys());
  }

  /** Rule matches and correlations completed by this event. The array is only valid until the next call. */
  evaluate(view: SigmaEventView): readonly SigmaHit[] {
    const category = view.category;
    if (category === null) return NO_HITS;
    const index = this.byCategory.get(category);
    if (index === undefined) return NO_HITS;
    this.events++;
    const c = this.cursor;
    c.reset(view);
    if (view.hasCut !== undefined && view.hasCut()) return this.evaluateCut(view, index);
    const g = index.markCandidates(c);
    const rules = index.rules;
    let hits: SigmaHit[] | null = null;
    let tested = false;
    for (let i = 0; i < rules.length; i++) {
      if (!index.isCandidate(i, g)) continue;
      const r = rules[i];
      tested = true;
      if (!r.test(c)) continue;
      r.matches++;
      if (r.alerts) (hits ??= []).push({ rule: r.info, eventRef: null, correlation: null, undecided: null });
      for (const consumer of r.consumers) this.pending.push({ consumer, rule: r });
    }
    if (!tested) this.prefiltered++;
    if (this.pending.length > 0) hits = this.correlate(view, hits ?? []);
    return hits ?? NO_HITS;
  }

  /**
   * An event with a cut value: no pre-filter (a literal missing from the kept
   * beginning may be in the cut rest), every rule judged in three values.
   * A rule judged TRUE matches as anywhere else; UNKNOWN is an undecided
   * match, reported as such and kept out of correlations and match counts.
   */
  private evaluateCut(view: SigmaEventView, index: CategoryRules): readonly SigmaHit[] {
    this.cutEvents++;
    const c = this.cursor;
    const rules = index.rules;
    let hits: SigmaHit[] | null = null;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      c.trackCuts();
      const v = r.judge(c);
      if (v === TRUE) {
        r.matches++;
        if (r.alerts) (hits ??= []).push({ rule: r.info, eventRef: null, correlation: null, undecided: null });
        for (const consumer of r.consumers) this.pending.push({ consumer, rule: r });
      } else if (v === UNKNOWN) {
        r.undecided++;
        if (r.alerts) (hits ??= []).push({ rule: r.info, eventRef: null, correlation: null, undecided: c.trackedCuts() });
      }
    }
    if (this.pending.length > 0) hits = this.correlate(view, hits ?? []);
    return hits ?? NO_HITS;
  }

  /** Correlation windows still open at the end of input, closed and judged. */
  finish(): SigmaHit[] {
    const out: SigmaHit[] = [];
    for (const runtime of this.runtimes) {
      for (const f of runtime.finish()) out.push({ rule: runtime.info, eventRef: f.eventRef, correlation: f.detail, undecided: null });
    }
    return out;
  }

  /** Matches per rule, and groups correlations had to drop to stay bounded. */
  counts(): { rule: RuleInfo; matches: number; undecided: number }[] {
    const out: { rule: RuleInfo; matches: number; undecided: number }[] = [];
    for (const index of this.byCategory.values()) for (const r of index.rules) out.push({ rule: r.info, matches: r.matches, undecided: r.undecided });
    return out;
  }

  get droppedCorrelationGroups(): number {
    return this.runtimes.reduce((n, r) => n + r.droppedGroups, 0);
  }

  private correlate(view: SigmaEventView, hits: SigmaHit[]): SigmaHit[] {
    let t = view.timeMs;
    if (Number.isNaN(t)) t = this.lastTimeMs;
    else if (t > this.lastTimeMs) this.lastTimeMs = t;
    // Later steps first: one event that matches two steps of an ordered correlation must not complete both.
    const work = this.pending.splice(0).sort((a, b) => b.consumer.source - a.consumer.source);
    const get = (f: string) => view.get(f);
    const ref = () => (view.ref !== undefined ? view.ref() : null);
    for (const { consumer } of work) this.deliver(consumer, get, t, ref, null, hits);
    return hits;
  }

  private deliver(consumer: Consumer, get: (f: string) => SigmaFieldValue | undefined, t: number, ref: () => unknown, eventRef: unknown, hits: SigmaHit[]): void {
    for (const f of consumer.runtime.onHit(consumer.source, get, t, ref)) {
      const at = f.eventRef ?? eventRef;
      if (consumer.alerts) hits.push({ rule: consumer.runtime.info, eventRef: at, correlation: f.detail, undecided: null });
      if (consumer.chained.length === 0) continue;
      const values = f.values;
      const chainedGet = (field: string): GroupValue | undefined => values.get(field);
      for (const next of consumer.chained) this.deliver(next, chainedGet, t, () => at ?? ref(), at, hits);
    }
  }
}
