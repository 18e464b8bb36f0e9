/**
 * Runs loaded Sigma rules over events. Rules are indexed by log source
 * category, so an event is only offered to the rules of its own; each rule
 * first checks a literal its matches must contain (when its detection has
 * one: `Image|endswith: /curl` means the lowercased Image contains
 * "/curl"), which rejects most events with one `includes` on a field that
 * is lowercased once per event for all rules.
 */
import { CorrelationRuntime, type CorrelationDetail, type GroupValue } from './correlation.js';
import { type FieldCursor, type SigmaEventView, type SigmaFieldValue } from './event.js';
import { type SigmaRuleSet } from './load.js';
import { type RuleInfo } from './rule.js';
import { type CursorTest, type Requirements } from './values.js';

export interface SigmaHit {
  readonly rule: RuleInfo;
  /** null: the event being evaluated; otherwise what an earlier event's `ref()` returned. */
  readonly eventRef: unknown;
  readonly correlation: CorrelationDetail | null;
}

interface Consumer { readonly runtime: CorrelationRuntime; readonly source: number; readonly chained: Consumer[]; readonly alerts: boolean }

interface IndexedRule {
  readonly info: RuleInfo;
  readonly test: CursorTest;
  /** Literal pre-filter: one of these must hold before the test runs (null: always run it). */
  readonly slots: Int32Array | null;
  readonly literals: readonly string[] | null;
  /** Whether a match alerts on its own (false for rules only correlations use, unless one says generate). */
  readonly alerts: boolean;
  readonly consumers: readonly Consumer[];
  matches: number;
}

const NO_HITS: readonly SigmaHit[] = Object.freeze([]);

export class SigmaEngine {
  private readonly byCategory = new Map<string, IndexedRule[]>();
  private readonly cursor: FieldCursor;
  private readonly runtimes: CorrelationRuntime[] = [];
  private readonly pending: { consumer: Consumer; rule: IndexedRule }[] = [];
  private lastTimeMs = 0;
  /** Events offered to rules, and those rejected by every rule's pre-filter before any test ran. */
  events = 0;
  prefiltered = 0;

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
      const req: Requirements = d.detection.requires;
      const entry: IndexedRule = {
        info: d.info, test: d.detection.test, slots: req === null ? null : Int32Array.from(req.map((r) => r.slot)),
        literals: req === null ? null : req.map((r) => r.literal), alerts: alertsOf(d), consumers: consumersOf.get(d)!, matches: 0,
      };
      let list = this.byCategory.get(d.category);
      if (list === undefined) this.byCategory.set(d.category, (list = []));
      list.push(entry);
    }
  }

  /** Categories some loaded rule runs on. */
  get categories(): ReadonlySet<string> {
    return new Set(this.byCategory.keys());
  }

  /** Rule matches and correlations completed by this event. The array is only valid until the next call. */
  evaluate(view: SigmaEventView): readonly SigmaHit[] {
    const category = view.category;
    if (category === null) return NO_HITS;
    const rules = this.byCategory.get(category);
    if (rules === undefined) return NO_HITS;
    this.events++;
    const c = this.cursor;
    c.reset(view);
    let hits: SigmaHit[] | null = null;
    let tested = false;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (r.slots !== null && !passes(c, r.slots, r.literals!)) continue;
      tested = true;
      if (!r.test(c)) continue;
      r.matches++;
      if (r.alerts) (hits ??= []).push({ rule: r.info, eventRef: null, correlation: null });
      for (const consumer of r.consumers) this.pending.push({ consumer, rule: r });
    }
    if (!tested) this.prefiltered++;
    if (this.pending.length > 0) hits = this.correlate(view, hits ?? []);
    return hits ?? NO_HITS;
  }

  /** Correlation windows still open at the end of input, closed and judged. */
  finish(): SigmaHit[] {
    const out: SigmaHit[] = [];
    for (const runtime of this.runtimes) {
      for (const f of runtime.finish()) out.push({ rule: runtime.info, eventRef: f.eventRef, correlation: f.detail });
    }
    return out;
  }

  /** Matches per rule, and groups correlations had to drop to stay bounded. */
  counts(): { rule: RuleInfo; matches: number }[] {
    const out: { rule: RuleInfo; matches: number }[] = [];
    for (const list of this.byCategory.values()) for (const r of list) out.push({ rule: r.info, matches: r.matches });
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
      if (consumer.alerts) hits.push({ rule: consumer.runtime.info, eventRef: at, correlation: f.detail });
      if (consumer.chained.length === 0) continue;
      const values = f.values;
      const chainedGet = (field: string): GroupValue | undefined => values.get(field);
      for (const next of consumer.chained) this.deliver(next, chainedGet, t, () => at ?? ref(), at, hits);
    }
  }
}

/** Whether any (slot, literal) requirement can hold: the lowercased field contains the literal (lists: cannot tell, so yes). */
function passes(c: FieldCursor, slots: Int32Array, literals: readonly string[]): boolean {
  for (let i = 0; i < slots.length; i++) {
    const t = c.lower(slots[i]);
    if (t === null ? Array.isArray(c.raw(slots[i])) : t.includes(literals[i])) return true;
  }
  return false;
}
