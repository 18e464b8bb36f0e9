/**
 * The report's sink: sees every accepted event once (after the process table
 * has), decodes it to facts once, and from them runs the detections, counts,
 * fills the timeline, the per-process panels, the indicators and the event
 * table's pool. Everything it keeps is bounded (caps and the row budget), so a
 * long capture costs time, not memory.
 */
import { type DisplayValue, eventValues } from '../abi/event-values.js';
import { recordTsNsHi, recordTsNsLo, recordUid } from '../abi/header-access.js';
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';
import { type WallClock } from '../output/wall-clock.js';
import { type ProcessNode } from '../replay/process-table.js';
import { type Alert } from '../replay/rules/alerts.js';
import { RecordFacts } from '../replay/rules/facts.js';
import { type FactSource } from '../replay/rules/model.js';
import { type AlertLine, type EventExtra, type EventSink, type RejectedRecord } from '../output/sinks.js';
import { dnsSummary } from '../replay/net/enrichment-output.js';
import { type NetEnrichment } from '../replay/net/net-state.js';
import { type RowBudget, RowPool, rowKey, TIER_EVIDENCE, TIER_NOTABLE, TIER_ROUTINE } from './event-rows.js';
import {
  BADGES, compileExecBadges, compileGroup, type CompiledGroup, detailOf, endpointOf, type ExecBadge, firstText, GROUPS, kindGroup, type Subject,
} from './groups.js';
import { HistogramBuilder } from './histogram.js';
import { kindView, type KindView } from './kinds.js';

/** Distinct values listed per process and group; further occurrences are counted. */
export const PANEL_CAP = 200;
/** Distinct values listed per indicator group (a schema with many kinds has many groups: ~150 kB each at most). */
export const INDICATOR_CAP = 1000;
/** Processes named per indicator value. */
export const INDICATOR_PROCESSES = 5;
/** Alerts listed one by one; beyond this they are counted by rule. */
export const ALERT_CAP = 5000;
/** User ids remembered per process. */
const UID_CAP = 8;

export interface CollectorOptions {
  readonly budget?: RowBudget;
  /** The kind registry the replay decodes by (default: this build's). */
  readonly schema?: Schema;
}

export interface ValueStats {
  count: number;
  t: number;
  /** `t` exactly (relative ns, decimal) when the double is not: more than 2^53 ns (~104 days) from the first event. */
  x: string | undefined;
  detail: string;
  processes: number[];
}

export interface GroupValues {
  readonly values: Map<string, ValueStats>;
  more: number;
}

/** What one process did, by process-table node id. */
export interface ProcessActivity {
  readonly counts: Float64Array;
  readonly groups: Map<number, GroupValues>;
  readonly uids: number[];
  readonly badges: Set<string>;
  alerts: number;
  /** The latest exec's fields beyond program and argv. */
  execFields: [string, string][];
}

export interface CollectedAlert {
  readonly alert: Alert;
  readonly t: number;
  readonly node: number;
  readonly order: number;
}

interface ClockBase { hi: number; lo: number; rel: number; exact: bigint }

/**
 * The latest event, its row not yet offered to the pool: the session hands a
 * record's alerts to the sink right after the record, and an alert makes its
 * row evidence. The record's bytes stay valid until the next record.
 */
interface Pending {
  readonly kindId: number;
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly node: ProcessNode | null;
  readonly order: number;
  readonly t: number;
  readonly x: string | undefined;
  readonly k: number;
  tier: number;
  /** The row's subject when a group gave one. */
  readonly subject: Subject | null;
  /** What replay learnt of the event from the network (DNS names in its message; the name a connect's address was resolved from). */
  readonly net: NetFacts | null;
  /** The row's strings, built once the row can be admitted. */
  strings: { c: string; a: string; b: string } | null;
}

export class ReportCollector implements EventSink<ProcessNode> {
  readonly schema: Schema;
  readonly views: readonly KindView[];
  /** Output keys of the common header: shown in their own columns, not among a row's fields. */
  private readonly headerKeys: ReadonlySet<string>;
  /** Kind id -> index into `views`. */
  private readonly indexOfKind: Int32Array;
  readonly pool: RowPool;
  readonly histogram: HistogramBuilder;
  readonly total: Float64Array;
  readonly offeredByTier = [0, 0, 0];
  /** The groups: the built-in ones, then one per further kind with paths or names (groups.ts). */
  readonly groups: CompiledGroup[] = GROUPS.map(compileGroup);
  /** Per kind index: the indices of the groups it feeds. */
  private readonly groupsOfKind: number[][];
  /** Per kind index: badge tests for its events (exec-role kinds). */
  private readonly badgesOfKind: (readonly ExecBadge[])[];
  /** One event's facts, read from the record on demand (most events never need a full decode). */
  private readonly facts: RecordFacts;
  private pending: Pending | null = null;
  readonly activity: (ProcessActivity | undefined)[] = [];
  readonly indicators = new Map<number, GroupValues>();
  readonly alerts: CollectedAlert[] = [];
  readonly alertsOmitted = new Map<string, number>();
  alertTotal = 0;
  /** Events whose flags say a string was cut or could not be read, by flag name. */
  readonly flagged = new Map<string, number>();
  private order = 0;
  private clock: WallClock | null = null;
  private readonly clockBases = new Map<WallClock | null, ClockBase>();
  private base: ClockBase | null = null;
  /** Wall-clock ns of the first event, the zero of every relative time. */
  baseWall: bigint | null = null;
  /** Whether the first event's input had a clock (the base is wall-clock time, not monotonic). */
  wallClock = false;
  minT = Infinity;
  maxT = -Infinity;
  /** minT and maxT exactly, when they are not (ValueStats.x). */
  minX: string | undefined;
  maxX: string | undefined;
  /** The latest event's time exactly, when `relativeTime`'s double is not. */
  private exactT: string | undefined;

  constructor(private readonly options: CollectorOptions) {
    this.schema = options.schema ?? BUILD_SCHEMA;
    this.views = this.schema.kinds.map((k, i) => kindView(k, i));
    this.headerKeys = new Set(['event_type', ...this.schema.headerFields.map((f) => f.key ?? f.name)]);
    this.indexOfKind = new Int32Array(256).fill(-1);
    this.views.forEach((v, i) => { this.indexOfKind[v.kind.id] = i; });
    this.pool = new RowPool(options.budget);
    this.histogram = new HistogramBuilder(this.views.length);
    this.total = new Float64Array(this.views.length);
    this.facts = new RecordFacts(this.schema);
    this.badgesOfKind = this.views.map((v) => compileExecBadges(v, BADGES));
    this.groupsOfKind = this.views.map((v) => {
      const feeds = this.groups.flatMap((g, i) => (g.kinds(v) ? [i] : []));
      const own = feeds.length === 0 ? kindGroup(v) : null;
      if (own !== null) {
        feeds.push(this.groups.length);
        this.groups.push(compileGroup(own));
      }
      return feeds;
    });
  }

  begin(clock: WallClock | null): void {
    this.clock = clock;
    this.base = this.clockBases.get(clock) ?? null;
  }

  event(kindId: number, bytes: Uint8Array, offset: number, node: ProcessNode | null, extra: EventExtra | null = null): void {
    this.settle();
    const net = extra === null ? null : netFacts(extra);
    const ki = this.indexOfKind[kindId];
    const view = this.views[ki];
    const order = this.order++;
    const t = this.relativeTime(bytes, offset);
    const x = this.exactT;
    if (t < this.minT) { this.minT = t; this.minX = x; }
    if (t > this.maxT) { this.maxT = t; this.maxX = x; }
    this.total[ki]++;
    this.histogram.add(t, ki);
    const facts = this.facts.reset(kindId, bytes, offset, node);
    const act = node === null ? null : this.activityOf(node, recordUid(bytes, offset));
    if (act !== null) act.counts[ki]++;
    this.countFlags(view, facts);

    let subject: Subject | null = null;
    let notable = view.role !== 'activity';
    for (const gi of this.groupsOfKind[ki]) {
      const group = this.groups[gi];
      if (group.dnsNames === true) {
        for (const [name, detail] of net?.names ?? []) this.addGroupValue(gi, name, detail, t, x, node, act);
        continue;
      }
      if (!group.test(facts)) continue;
      const s = group.subject(view, facts);
      if (s === null) continue;
      notable = true;
      subject ??= s;
      this.addGroupValue(gi, s.value, entryDetail(view, group.detail, s, facts), t, x, node, act);
    }
    if (act !== null) {
      for (const b of this.badgesOfKind[ki]) if (b.test(facts)) act.badges.add(b.id);
      if (view.role === 'exec') act.execFields = execFields(eventValues(kindId, bytes, offset, this.schema).values, view, this.headerKeys);
      if (view.role === 'cred') act.badges.add('privilege_change');
    }
    if (net !== null && net.names.size > 0) {
      notable = true;
      subject = { value: [...net.names.keys()].join(', '), fields: [] };
    }
    const pending: Pending = { kindId, bytes, offset, node, order, t, x, k: ki, tier: notable ? TIER_NOTABLE : TIER_ROUTINE, subject, net, strings: null };
    if (this.pool.admits(rowKey(pending.tier, order))) pending.strings = this.rowStrings(pending);
    this.pending = pending;
  }

  translatedEvent(kindId: number, bytes: Uint8Array, offset: number, node: ProcessNode | null): void {
    this.event(kindId, bytes, offset, node);
  }

  rejected(_r: RejectedRecord): void {}

  /** An alert: of the record just seen (its row becomes evidence), or, at the end of input, of a correlation. */
  alert(line: AlertLine): void {
    const a = line as Alert;
    const p = this.pending;
    this.alertTotal++;
    if (p !== null) {
      if (p.tier !== TIER_EVIDENCE) {
        p.tier = TIER_EVIDENCE;
        p.strings ??= this.rowStrings(p);
      }
      if (p.node !== null) this.activity[p.node.id]!.alerts++;
    }
    if (this.alerts.length >= ALERT_CAP) {
      this.alertsOmitted.set(a.rule_id, (this.alertsOmitted.get(a.rule_id) ?? 0) + 1);
      return;
    }
    this.alerts.push({ alert: a, t: p?.t ?? Number.NaN, node: p?.node?.id ?? -1, order: p?.order ?? -1 });
  }

  flush(): void {
    this.settle();
  }

  /** Offers the pending event's row to the pool, now that its alerts are known. */
  private settle(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    this.offeredByTier[p.tier]++;
    const key = rowKey(p.tier, p.order);
    if (p.strings === null || !this.pool.admits(key)) {
      this.pool.dropped[p.tier]++;
      return;
    }
    this.pool.offer({ key, order: p.order, t: p.t, x: p.x, k: p.k, p: p.node === null ? -1 : p.node.id, ...p.strings });
  }

  /** A row's comm, subject and other fields: the one place an event is decoded in full (its own fields, not its process's). */
  private rowStrings(p: Pending): { c: string; a: string; b: string } {
    const view = this.views[p.k];
    const facts = eventValues(p.kindId, p.bytes, p.offset, this.schema).values;
    const comm = facts.get('comm');
    const subject = p.subject ?? rowSubject(view, facts);
    const other = otherFields(facts, subject?.fields ?? [], this.headerKeys);
    const net = p.net === null ? '' : p.net.fields;
    return {
      c: typeof comm === 'string' ? comm : '',
      a: subject?.value ?? '',
      b: other !== '' && net !== '' ? `${other} ${net}` : other + net,
    };
  }

  /**
   * Relative ns of an event: exact in a double while events lie within ~104 days (2^53 ns) of the first;
   * past that, `exactT` holds it exactly (captures months apart), else it is undefined.
   */
  private relativeTime(bytes: Uint8Array, at: number): number {
    const lo = recordTsNsLo(bytes, at);
    const hi = recordTsNsHi(bytes, at);
    let base = this.base;
    if (base === null) {
      const mono = (BigInt(hi) << 32n) | BigInt(lo);
      const wall = this.clock !== null ? this.clock.realtimeNs(mono) : mono;
      if (this.baseWall === null) {
        this.baseWall = wall;
        this.wallClock = this.clock !== null;
      }
      base = { hi, lo, rel: Number(wall - this.baseWall), exact: wall - this.baseWall };
      this.clockBases.set(this.clock, base);
      this.base = base;
    }
    const within = (hi - base.hi) * 4294967296 + (lo - base.lo);
    const t = base.rel + within;
    this.exactT = Number.isSafeInteger(t) && Number.isSafeInteger(base.rel) && Number.isSafeInteger(within) ? undefined
      : (base.exact + ((BigInt(hi) << 32n) | BigInt(lo)) - ((BigInt(base.hi) << 32n) | BigInt(base.lo))).toString();
    return t;
  }

  private activityOf(node: ProcessNode, uid: number): ProcessActivity {
    let act = this.activity[node.id];
    if (act === undefined) {
      act = { counts: new Float64Array(this.views.length), groups: new Map(), uids: [], badges: new Set(), alerts: 0, execFields: [] };
      this.activity[node.id] = act;
    }
    if (act.uids[act.uids.length - 1] !== uid && !act.uids.includes(uid) && act.uids.length < UID_CAP) act.uids.push(uid);
    return act;
  }

  /** Counts flags that say a string was cut or could not be read (from the header's bits: nothing is decoded). */
  private countFlags(view: KindView, facts: FactSource): void {
    for (const name of view.lossFlags) if (facts.get(name) === true) this.flagged.set(name, (this.flagged.get(name) ?? 0) + 1);
  }

  private addGroupValue(group: number, value: string, detail: string, t: number, x: string | undefined, node: ProcessNode | null, act: ProcessActivity | null): void {
    if (act !== null) {
      let g = act.groups.get(group);
      if (g === undefined) { g = { values: new Map(), more: 0 }; act.groups.set(group, g); }
      addValue(g, value, detail, t, x, -1, PANEL_CAP);
    }
    if (!this.groups[group].indicator) return;
    let g = this.indicators.get(group);
    if (g === undefined) { g = { values: new Map(), more: 0 }; this.indicators.set(group, g); }
    addValue(g, value, detail, t, x, node === null ? -1 : node.id, INDICATOR_CAP);
  }
}

function addValue(g: GroupValues, value: string, detail: string, t: number, x: string | undefined, node: number, cap: number): void {
  const v = g.values.get(value);
  if (v === undefined) {
    if (g.values.size >= cap) { g.more++; return; }
    g.values.set(value, { count: 1, t, x, detail, processes: node >= 0 ? [node] : [] });
    return;
  }
  v.count++;
  if (t < v.t) { v.t = t; v.x = x; v.detail = detail; }
  if (node >= 0 && v.processes.length < INDICATOR_PROCESSES && !v.processes.includes(node)) v.processes.push(node);
}

/** What replay's network state adds to an event, read from the enrichment --json prints (same decoding, same bounds). */
interface NetFacts {
  /** DNS names the message asks about, in order, each with its entry detail (record type; a response's code and answers). */
  readonly names: Map<string, string>;
  /** ` dst_hostname=… dns=…` for the row's other fields ('' when there is nothing). */
  readonly fields: string;
}

function netFacts(extra: EventExtra): NetFacts | null {
  const json = Buffer.from(extra.json()).toString('utf8');
  if (!json.startsWith(',')) return null;
  const e = JSON.parse(`{${json.slice(1)}}`) as NetEnrichment;
  const names = new Map<string, string>();
  const parts: string[] = [];
  if (e.dst_hostname !== undefined) parts.push(`dst_hostname=${quoted(e.dst_hostname)}`);
  if (e.dns !== undefined && e.dns.length > 0) {
    for (const m of e.dns) {
      const answers = (m.answers ?? []).map((a) => a.data ?? a.type).join(',');
      for (const q of m.questions ?? []) {
        if (names.has(q.name)) continue;
        names.set(q.name, m.response === true ? `${m.rcode ?? ''} ${q.type}${answers !== '' ? ` -> ${answers}` : ''}`.trim() : `${q.type} query`);
      }
    }
    parts.push(`dns=${quoted(e.dns.map(dnsSummary).join('; '))}`);
  }
  return { names, fields: parts.join(' ') };
}

const quoted = (s: string) => (s === '' || /[\s"]/.test(s) ? JSON.stringify(s) : s);

/** What a row is about: its first path, else its other text, else its address. */
function rowSubject(view: KindView, facts: FactSource): Subject | null {
  return firstText(view.pathFields, facts) ?? firstText(view.textFields, facts) ?? endpointOf(view, facts);
}

/** A panel entry's detail: the group's detail facts, then the kind's other paths where they say something else. */
function entryDetail(view: KindView, names: readonly string[], subject: Subject, facts: FactSource): string {
  const others = view.pathFields.filter((f) => !subject.fields.includes(f) && typeof facts.get(f) === 'string' && facts.get(f) !== '' && facts.get(f) !== subject.value);
  return detailOf([...names, ...others], facts);
}

/** `name=value` for the event's own fields, other than those in the subject. */
function otherFields(facts: ReadonlyMap<string, DisplayValue>, subject: readonly string[], header: ReadonlySet<string>): string {
  const parts: string[] = [];
  for (const [name, value] of facts) {
    if (!ownField(name, header) || subject.includes(name)) continue;
    const text = fieldText(value);
    if (text === null) continue;
    parts.push(text === '' ? name : `${name}=${text}`);
  }
  return parts.join(' ');
}

/** An output field of the event's own body (not the header, nor a fact rules add: `write`, `process.exe`, `@exe`). */
function ownField(name: string, header: ReadonlySet<string>): boolean {
  return !header.has(name) && name !== 'write' && !name.includes('.') && !name.startsWith('@');
}

/** A value as text; '' for a true flag (shown by name alone); null for what is left out (false, empty). */
function fieldText(value: DisplayValue | null): string | null {
  if (value === null || value === false || value === '') return null;
  if (value === true) return '';
  if (Array.isArray(value)) return value.map((s) => (s === '' || /[\s"]/.test(s) ? JSON.stringify(s) : s)).join(' ');
  const s = String(value);
  return /[\s"]/.test(s) ? JSON.stringify(s) : s;
}

/** The exec's fields beyond program and argv (which the process shows anyway). */
function execFields(facts: ReadonlyMap<string, DisplayValue>, view: KindView, header: ReadonlySet<string>): [string, string][] {
  const out: [string, string][] = [];
  const argv = view.kind.schemaFields.filter((f) => f.view === 'argv').map((f) => f.key ?? f.name);
  for (const [name, value] of facts) {
    if (!ownField(name, header) || name === view.exeField || argv.includes(name)) continue;
    const text = fieldText(value);
    if (text !== null) out.push([name, text === '' ? 'yes' : text]);
  }
  return out;
}

