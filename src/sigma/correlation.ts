/**
 * Correlation rules at run time: per group (the values of the group-by
 * fields), what the referenced rules matched within the timespan.
 *
 * - A condition with only lower bounds (gt, gte) is decided as events
 *   arrive, over a sliding window: it fires at the event that reaches the
 *   bound, and the group starts afresh (one alert per burst, not one per
 *   event after it).
 * - A condition with an upper bound (lt, lte, eq, neq) can only be decided
 *   once the window is over: windows start at a group's first event and
 *   close at the first event after the timespan (or at the end of input),
 *   and the alert points at the window's last event.
 * - temporal: every referenced rule (or as many as the condition asks)
 *   matched within the timespan; temporal_ordered: in the order listed.
 *
 * State is bounded: a group keeps at most the count its condition needs
 * (limits.ts), at most `maxCorrelationGroups` groups are kept (expired ones
 * go first, then the oldest, counted in `droppedGroups`).
 */
import { type SigmaFieldValue } from './event.js';
import { SIGMA_LIMITS } from './limits.js';
import { type ResolvedCorrelation } from './load.js';
import { type CountTest, type RuleInfo } from './rule.js';

export type GroupValue = string | number | boolean | null;

export interface CorrelationDetail {
  readonly type: string;
  /** The group-by fields and their values. */
  readonly group: Readonly<Record<string, GroupValue>>;
  /** Events (event_count), distinct values (value_count) or distinct rules (temporal) in the window. */
  readonly count: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

export interface CorrelationFire {
  readonly detail: CorrelationDetail;
  /** The event that completed the correlation (a ref, see SigmaEventView.ref), or null for the event being evaluated. */
  readonly eventRef: unknown;
  /** Group-by values by field name, for correlations that refer to this one. */
  readonly values: ReadonlyMap<string, GroupValue>;
}

interface Group {
  readonly key: readonly GroupValue[];
  firstMs: number;
  lastMs: number;
  lastRef: unknown;
  /** event_count (sliding): hit times; temporal_ordered: chain start per step. */
  times: number[];
  /** value_count: value -> last time seen; temporal: rule index -> last time seen. */
  seen: Map<string | number, number>;
  count: number;
}

export const isLowerBoundOnly = (tests: readonly CountTest[]) => tests.every((t) => t.op === 'gt' || t.op === 'gte');

/** The count at which a lower-bound-only condition holds. */
export const countNeeded = (tests: readonly CountTest[]) => Math.max(1, ...tests.map((t) => (t.op === 'gt' ? t.n + 1 : t.n)));

function holds(tests: readonly CountTest[], n: number): boolean {
  for (const t of tests) {
    const ok = t.op === 'gt' ? n > t.n : t.op === 'gte' ? n >= t.n : t.op === 'lt' ? n < t.n : t.op === 'lte' ? n <= t.n : t.op === 'eq' ? n === t.n : n !== t.n;
    if (!ok) return false;
  }
  return true;
}

function textOf(v: SigmaFieldValue | undefined): GroupValue {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.join(' ');
  return v as string | number | boolean;
}

export class CorrelationRuntime {
  readonly info: RuleInfo;
  droppedGroups = 0;
  private readonly groups = new Map<string, Group>();
  private readonly sliding: boolean;
  private readonly needed: number;
  private readonly span: number;
  private readonly ruleCount: number;

  constructor(readonly resolved: ResolvedCorrelation) {
    const c = resolved.rule;
    this.info = c.info;
    this.span = c.timespanMs;
    this.ruleCount = new Set(c.rules).size;
    this.sliding = c.type === 'temporal' || c.type === 'temporal_ordered' || isLowerBoundOnly(c.condition);
    this.needed = c.type === 'temporal' || c.type === 'temporal_ordered' ? (c.condition.length === 0 ? this.ruleCount : countNeeded(c.condition)) : countNeeded(c.condition);
  }

  /**
   * A hit of referenced rule number `source` at `timeMs`, with `get` reading
   * the hit's fields and `ref` keeping its event for a later alert.
   * Returns what fired (usually nothing).
   */
  onHit(source: number, get: (field: string) => SigmaFieldValue | undefined, timeMs: number, ref: () => unknown): CorrelationFire[] {
    const src = this.resolved.sources[source];
    const key = src.groupFields.map((f) => textOf(get(f)));
    const id = JSON.stringify(key);
    const fired: CorrelationFire[] = [];
    let g = this.groups.get(id);
    if (g !== undefined && !this.sliding && timeMs - g.firstMs > this.span) {
      const f = this.close(g);
      if (f !== null) fired.push(f);
      this.groups.delete(id);
      g = undefined;
    }
    if (g === undefined) {
      this.makeRoom(timeMs, fired);
      g = { key, firstMs: timeMs, lastMs: timeMs, lastRef: null, times: [], seen: new Map(), count: 0 };
      this.groups.set(id, g);
    }
    g.lastMs = timeMs;
    const c = this.resolved.rule;
    switch (c.type) {
      case 'event_count':
        if (this.sliding) {
          g.times.push(timeMs);
          dropBefore(g.times, timeMs - this.span);
          if (g.times.length > this.needed) g.times.splice(0, g.times.length - this.needed);
          g.count = g.times.length;
        } else {
          g.count++;
        }
        break;
      case 'value_count': {
        const v = textOf(get(src.valueField!));
        if (v !== null) {
          const value = String(v);
          g.seen.delete(value);
          if (g.seen.size < SIGMA_LIMITS.maxCorrelationEntries) g.seen.set(value, timeMs);
        }
        if (this.sliding) expire(g.seen, timeMs - this.span);
        g.count = g.seen.size;
        break;
      }
      case 'temporal':
        g.seen.delete(source);
        g.seen.set(source, timeMs);
        expire(g.seen, timeMs - this.span);
        g.count = g.seen.size;
        break;
      case 'temporal_ordered':
        g.count = this.advanceChain(g, source, timeMs);
        break;
    }
    if (this.sliding) {
      if (g.count >= this.needed) {
        g.firstMs = c.type === 'event_count' ? g.times[0] : c.type === 'temporal_ordered' ? g.times[this.ruleCount - 1] : Math.min(...g.seen.values());
        fired.push(this.fire(g, null));
        this.groups.delete(id);
      }
    } else {
      g.lastRef = ref();
    }
    return fired;
  }

  /** Closes every open window (end of input). */
  finish(): CorrelationFire[] {
    const out: CorrelationFire[] = [];
    if (!this.sliding) for (const g of this.groups.values()) { const f = this.close(g); if (f !== null) out.push(f); }
    this.groups.clear();
    return out;
  }

  /**
   * temporal_ordered: times[i] is the start of the latest chain that has
   * matched steps 0..i in order within the timespan. Returns the steps done.
   */
  private advanceChain(g: Group, step: number, t: number): number {
    if (g.times.length === 0) g.times = new Array(this.ruleCount).fill(NaN);
    const start = step === 0 ? t : g.times[step - 1];
    if (!Number.isNaN(start) && t - start <= this.span && !(start < g.times[step])) g.times[step] = start;
    let done = 0;
    while (done < this.ruleCount && !Number.isNaN(g.times[done]) && t - g.times[done] <= this.span) done++;
    return done;
  }

  private close(g: Group): CorrelationFire | null {
    return holds(this.resolved.rule.condition, g.count) ? this.fire(g, g.lastRef) : null;
  }

  private fire(g: Group, eventRef: unknown): CorrelationFire {
    const c = this.resolved.rule;
    const group: Record<string, GroupValue> = {};
    const values = new Map<string, GroupValue>();
    c.groupBy.forEach((name, i) => { group[name] = g.key[i]; values.set(name, g.key[i]); });
    return { detail: { type: c.type, group, count: g.count, firstMs: g.firstMs, lastMs: g.lastMs }, eventRef, values };
  }

  /**
   * Keeps the group count under its limit: expired groups go first (closed, if windows), then the oldest.
   * Groups are kept in the order they started, and a group expires by its start (its first event is its
   * oldest), so the expired ones lead: the sweep stops at the first group still open, and a group is swept
   * once. (It read every group for each new one past the limit: a host that made 100,000 groups, files of
   * distinct names for a correlation by TargetFilename, then cost each further event ~0.8 ms, a million
   * events 13 minutes.) Times arrive in order but for a little reordering across CPUs: a group that expired
   * behind one still open waits for its turn, or for the end.
   */
  private makeRoom(now: number, fired: CorrelationFire[]): void {
    if (this.groups.size < SIGMA_LIMITS.maxCorrelationGroups) return;
    for (const [id, g] of this.groups) {
      if (now - g.lastMs <= this.span && now - g.firstMs <= this.span) break;
      if (!this.sliding) { const f = this.close(g); if (f !== null) fired.push(f); }
      this.groups.delete(id);
    }
    while (this.groups.size >= SIGMA_LIMITS.maxCorrelationGroups) {
      const [oldest, g] = this.groups.entries().next().value as [string, Group];
      if (!this.sliding) { const f = this.close(g); if (f !== null) fired.push(f); }
      this.groups.delete(oldest);
      this.droppedGroups++;
    }
  }
}

/** Removes leading times before `limit` (times are in arrival order). */
function dropBefore(times: number[], limit: number): void {
  let i = 0;
  while (i < times.length && times[i] < limit) i++;
  if (i > 0) times.splice(0, i);
}

/** Removes entries last seen before `limit` (maps are kept in order of last sight). */
function expire(seen: Map<string | number, number>, limit: number): void {
  for (const [k, t] of seen) {
    if (t >= limit) break;
    seen.delete(k);
  }
}
