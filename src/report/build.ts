/**
 * Builds the report's data from captures: one replay through the report's
 * sink (process table, detections, panels, timeline, table rows), one verify
 * per input (SHA-256, hash chain, signature), then the caps and budgets that
 * keep a big capture's page small, each stated in the page when it applies.
 */
import { type KeyObject } from 'node:crypto';
import { type Schema } from '../abi/schema.js';
import { TOOL_VERSION } from '../common/version.js';
import { WallClock } from '../output/wall-clock.js';
import { type Manifest } from '../rgc/manifest.js';
import { type ProcessNode } from '../replay/process-table.js';
import { type FileReport } from '../replay/replay.js';
import { type AlertEngine } from '../replay/rules/alerts.js';
import { type ReplaySession } from '../replay/session.js';
import { type EventSink } from '../output/sinks.js';
import { type StatsReport } from '../replay/stats.js';
import { checkSegmentChain, verifyFile, type VerifyReport } from '../replay/verify.js';
import { type CollectedAlert, type GroupValues, type ProcessActivity, ReportCollector } from './collect.js';
import { describeCoverage } from './coverage.js';
import { REPORT_SCRIPT, REPORT_STYLE } from './client-assets.generated.js';
import { type RowBudget, TIER_NOTABLE, TIER_ROUTINE } from './event-rows.js';
import { embedJson } from './html.js';
import { BADGES } from './groups.js';
import {
  type AlertItem, compactProcess, type EventTable, type IndicatorGroup, type InputSummary, type PanelGroup, type ProcessItem, type ProcessRecord,
  REPORT_DATA_VERSION, type ReportData,
} from './model.js';

/** Processes listed one by one; beyond this, those without alerts (or alerting descendants) are counted. */
export const PROCESS_CAP = 100_000;
/** Verify problems listed per input. */
const PROBLEMS_LISTED = 50;

export interface ReplayRun {
  readonly session: ReplaySession;
  readonly stats: StatsReport;
  readonly files: readonly FileReport[];
}

/** Replays `paths` through `sink` with a process table that keeps history (rg-replay's runSession). */
export type RunReplay = (paths: string[], sink: EventSink<ProcessNode>) => ReplayRun;

export interface ReportInputs {
  readonly paths: string[];
  /** The kind registry `run` decodes by (default: this build's). */
  readonly schema?: Schema;
  readonly alerts: AlertEngine | null;
  readonly publicKey: KeyObject | null;
  readonly budget?: RowBudget;
  readonly page?: PageBudget;
  readonly processCap?: number;
}

export interface PageBudget {
  /** The whole page, at most (the limit is 30 MB; this leaves a margin for estimates). */
  readonly totalBytes: number;
  /** The process list, at most. */
  readonly processBytes: number;
}

export const DEFAULT_PAGE_BUDGET: PageBudget = { totalBytes: 28 << 20, processBytes: 8 << 20 };
/** The page around the data: script, style, markup. */
const PAGE_OVERHEAD_BYTES = REPORT_SCRIPT.length + REPORT_STYLE.length + 4096;

export interface BuiltReport {
  readonly data: ReportData;
  readonly run: ReplayRun;
  readonly verify: readonly VerifyReport[];
}

export function buildReport(run: RunReplay, inputs: ReportInputs): BuiltReport {
  const collector = new ReportCollector({ alerts: inputs.alerts, budget: inputs.budget, schema: inputs.schema });
  const result = run(inputs.paths, collector);
  const verify = result.files.map((f) => verifyFile(f.path, inputs.publicKey));
  checkSegmentChain(verify);
  const page = inputs.page ?? DEFAULT_PAGE_BUDGET;
  const nodes = result.session.table!.all;
  const clockOf = (host: string) => result.session.clockForHost(host);
  const processes = processSection(nodes, collector, inputs.processCap ?? PROCESS_CAP, page.processBytes, clockOf);
  const proc = (id: number) => (id >= 0 && id < processes.indexOf.length ? processes.indexOf[id] : -1);

  const base = collector.baseWall;
  const alerts = sortAlerts(collector.alerts);
  const withoutEvents: ReportData = {
    version: REPORT_DATA_VERSION,
    tool: { name: 'rand-guard', version: TOOL_VERSION },
    inputs: result.files.map((f, i) => inputSummary(f, verify[i], result.stats.files[i])),
    time: {
      base_wall_ns: base === null ? null : base.toString(),
      wall: collector.wallClock,
      first: base === null || !collector.wallClock ? null : isoOf(base, collector.minT),
      last: base === null || !collector.wallClock ? null : isoOf(base, collector.maxT),
      first_ns: Number.isFinite(collector.minT) ? collector.minT : 0,
      last_ns: Number.isFinite(collector.maxT) ? collector.maxT : 0,
    },
    totals: {
      events: result.stats.events,
      by_kind: Array.from(collector.total),
      invalid: result.stats.invalid.total,
      invalid_by_reason: Object.entries(result.stats.invalid.by_reason).map(([r, kinds]) => [r, Object.values(kinds).reduce((a, b) => a + b, 0)] as const),
      lost_kernel: result.stats.lost.kernel,
      lost_user: result.stats.lost.user,
      processes_started: nodes.filter((n) => n.startSeen).length,
    },
    kinds: collector.views.map((v) => ({ name: v.eventType, color: v.color, role: v.role })),
    coverage: describeCoverage({
      manifests: result.files.map((f) => f.manifest), views: collector.views, eventsByKind: collector.total,
      processesUnknown: nodes.filter((n) => !n.startSeen).length, flagged: collector.flagged,
      lostKernel: result.stats.lost.kernel, lostUser: result.stats.lost.user, invalid: result.stats.invalid.total,
      damagedFiles: result.files.filter((f) => f.summary.damaged).length,
      incompleteFiles: result.files.filter((f) => !f.summary.complete && !f.summary.damaged).length,
    }),
    alerts: {
      total: collector.alertTotal,
      omitted_by_rule: [...collector.alertsOmitted].sort((a, b) => a[0].localeCompare(b[0])),
      items: alerts.map((a) => alertItem(a, proc(a.node), -1)),
    },
    processes: { total: nodes.length, omitted: nodes.length - processes.keep.length, panel_entries_omitted: processes.panelEntriesOmitted, items: processes.records },
    groups: collector.groups.map((g) => ({ id: g.id, label: g.label })),
    badges: BADGES.map((b) => ({ id: b.id, label: b.label, description: b.description })),
    histogram: collector.histogram.finish(),
    events: { total: 0, shown: 0, notes: [], shown_by_kind: [], strings: [], t: [], k: [], p: [], c: [], a: [], b: [] },
    indicators: indicatorGroups(collector.indicators, proc),
  };
  // What is left of the page's budget goes to the event table (the rows chosen so far, trimmed by key).
  const rest = Buffer.byteLength(embedJson(withoutEvents)) + PAGE_OVERHEAD_BYTES;
  collector.pool.trimTo(Math.max(0, page.totalBytes - rest));
  const events = eventTable(collector, proc);
  const data: ReportData = {
    ...withoutEvents,
    alerts: { ...withoutEvents.alerts, items: alerts.map((a) => alertItem(a, proc(a.node), events.rowOfOrder.get(a.order) ?? -1)) },
    events: events.table,
  };
  return { data, run: result, verify };
}

interface ProcessSection {
  readonly keep: readonly ProcessNode[];
  /** Node id -> index in the page, or -1. */
  readonly indexOf: Int32Array;
  readonly records: readonly ProcessRecord[];
  readonly panelEntriesOmitted: number;
}

/** Panel entries kept per group for processes without alerts, tried in turn until the processes fit their budget. */
const PANEL_STEPS = [Infinity, 20, 5, 1, 0];

/**
 * The processes as the page lists them, within `maxBytes`: first by listing
 * fewer panel entries for processes without alerts, then by listing fewer
 * processes (those with alerts and their ancestors always stay).
 */
function processSection(nodes: readonly ProcessNode[], c: ReportCollector, cap: number, maxBytes: number,
  clockOf: (host: string) => WallClock | null): ProcessSection {
  for (;;) {
    const keep = chooseProcesses(nodes, c, cap);
    const indexOf = new Int32Array(nodes.length).fill(-1);
    keep.forEach((n, i) => { indexOf[n.id] = i; });
    const proc = (id: number) => indexOf[id];
    const items = keep.map((n) => processItem(n, c.activity[n.id], proc, clockOf, c));
    let size = 0;
    for (const step of PANEL_STEPS) {
      let omitted = 0;
      const records = items.map((p) => {
        if (p.alerts > 0 || step === Infinity) return compactProcess(p);
        const panels = p.panels.map((g) => {
          const listed = g.items.slice(0, step);
          const dropped = g.items.slice(step);
          omitted += dropped.length;
          return { ...g, more: g.more + dropped.reduce((n, e) => n + e.count, 0), items: listed };
        });
        return compactProcess({ ...p, panels });
      });
      size = Buffer.byteLength(embedJson(records));
      if (size <= maxBytes) return { keep, indexOf, records, panelEntriesOmitted: omitted };
    }
    if (keep.length <= 1) throw new Error('report: one process does not fit the page budget');
    cap = Math.max(1, Math.floor(keep.length * (maxBytes / size) * 0.9));
  }
}

/** Every process with alerts and its ancestors, then the rest in order of appearance, up to `cap`. */
function chooseProcesses(nodes: readonly ProcessNode[], c: ReportCollector, cap: number): ProcessNode[] {
  if (nodes.length <= cap) return [...nodes];
  const chosen = new Set<ProcessNode>();
  for (const n of nodes) {
    if ((c.activity[n.id]?.alerts ?? 0) === 0) continue;
    for (let p: ProcessNode | null = n; p !== null && !chosen.has(p); p = p.parent) chosen.add(p);
  }
  for (const n of nodes) {
    if (chosen.size >= cap) break;
    // A parent comes before its children, so the tree stays connected.
    if (n.parent === null || chosen.has(n.parent)) chosen.add(n);
  }
  return nodes.filter((n) => chosen.has(n));
}

function eventTable(c: ReportCollector, proc: (id: number) => number): { table: EventTable; rowOfOrder: Map<number, number> } {
  const rows = c.pool.rows();
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const intern = (s: string) => {
    let i = stringIndex.get(s);
    if (i === undefined) { i = strings.length; strings.push(s); stringIndex.set(s, i); }
    return i;
  };
  const t: number[] = [];
  const k: number[] = [];
  const p: number[] = [];
  const cc: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  const shownByKind = new Array<number>(c.views.length).fill(0);
  const rowOfOrder = new Map<number, number>();
  let previous = 0;
  let withoutProcess = 0;
  for (const row of rows) {
    const pi = row.p < 0 ? -1 : proc(row.p);
    if (row.p >= 0 && pi < 0) { withoutProcess++; continue; }
    rowOfOrder.set(row.order, t.length);
    t.push(row.t - previous);
    previous = row.t;
    k.push(row.k);
    p.push(pi);
    cc.push(intern(row.c));
    a.push(intern(row.a));
    b.push(intern(row.b));
    shownByKind[row.k]++;
  }
  const total = Array.from(c.total).reduce((x, y) => x + y, 0);
  const notes: string[] = [];
  const [, droppedNotable, droppedRoutine] = c.pool.dropped;
  if (droppedRoutine > 0) {
    const offered = c.offeredByTier[TIER_ROUTINE];
    notes.push(droppedRoutine === offered
      ? `Routine events (${offered}, such as files opened for reading) are not in the table: it had no room left after the notable ones. The timeline and counts include them.`
      : `Routine events (such as files opened for reading) are a uniform sample: ${offered - droppedRoutine} of ${offered}, chosen by a hash of each event's position, so the same capture always gives the same sample. The timeline and counts include every event.`);
  }
  if (droppedNotable > 0) {
    notes.push(`Notable events (process starts and exits, files written, connections...) are a sample too: ${c.offeredByTier[TIER_NOTABLE] - droppedNotable} of ${c.offeredByTier[TIER_NOTABLE]}.`);
  }
  if (c.pool.dropped[0] > 0) notes.push(`${c.pool.dropped[0]} events that raised alerts are not in the table (too many for its budget); their alerts are listed.`);
  if (withoutProcess > 0) notes.push(`${withoutProcess} rows belong to processes left out of the process list and are not shown.`);
  if (notes.length > 0) notes.push('rg-replay FILE --json gives every event.');
  return {
    table: { total, shown: t.length, notes, shown_by_kind: shownByKind, strings, t, k, p, c: cc, a, b },
    rowOfOrder,
  };
}

function sortAlerts(alerts: readonly CollectedAlert[]): CollectedAlert[] {
  return [...alerts].sort((x, y) => severityRank(y.alert.severity) - severityRank(x.alert.severity) || x.t - y.t || x.order - y.order);
}

const SEVERITY_ORDER = ['info', 'low', 'medium', 'high', 'critical'];
export function severityRank(s: string): number {
  return SEVERITY_ORDER.indexOf(s.toLowerCase());
}

/** ATT&CK technique ids an alert carries (Sigma tags like attack.t1053.003, or a list of ids). */
export function techniquesOf(alert: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const key of ['techniques', 'attack', 'tags']) {
    const v = alert[key];
    const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    for (const item of list) {
      const m = typeof item === 'string' ? /^(?:attack\.)?(t\d{4}(?:\.\d{3})?)$/i.exec(item.trim()) : null;
      if (m) out.add(m[1].toUpperCase());
    }
  }
  return [...out];
}

function alertItem(c: CollectedAlert, process: number, event: number): AlertItem {
  const a = c.alert as unknown as Record<string, unknown>;
  const addr = typeof a.addr === 'string' && a.addr !== '' ? (a.addr.includes(':') ? `[${a.addr}]` : a.addr) + (a.port !== undefined ? `:${String(a.port)}` : '') : null;
  const subject = typeof a.path === 'string' ? a.path : typeof a.filename === 'string' ? a.filename : addr ?? '';
  return {
    rule: c.alert.rule_id, title: c.alert.title, severity: c.alert.severity, techniques: techniquesOf(a),
    t: c.t, time: c.alert.time, process, event, event_type: c.alert.source.event_type, subject,
  };
}

function processItem(n: ProcessNode, act: ProcessActivity | undefined, proc: (id: number) => number,
  clockOf: (host: string) => WallClock | null, c: ReportCollector): ProcessItem {
  const clock = clockOf(n.host);
  const parent = n.parent === null ? -1 : proc(n.parent.id);
  const uids = act?.uids ?? [n.uid];
  const badges = new Set(act?.badges ?? []);
  const parentUids = n.parent !== null ? c.activity[n.parent.id]?.uids : undefined;
  if (uids.length > 1 || (parentUids !== undefined && uids.length > 0 && !parentUids.includes(uids[0]))) badges.add('privilege_change');
  const panels: PanelGroup[] = [];
  if (act !== undefined) {
    for (const [group, values] of [...act.groups].sort((x, y) => x[0] - y[0])) {
      for (const b of BADGES) if (b.groupPrefix !== undefined && c.groups[group].id.startsWith(b.groupPrefix)) badges.add(b.id);
      panels.push({ group, more: values.more, items: valueList(values).map(([value, v]) => ({ value, count: v.count, t: v.t, detail: v.detail })) });
    }
  }
  return {
    pid: n.pid, ppid: n.ppid, parent, known: n.startSeen, exe: n.exe, argv: n.argv, comm: n.comm, uid: n.uid, uids,
    start: n.startNs !== null && clock !== null ? clock.format(n.startNs) : null,
    exit: n.exited ? { code: n.exitCode ?? 0, signal: n.signal ?? 0 } : null,
    fields: act?.execFields ?? [],
    badges: BADGES.map((b) => b.id).filter((id) => badges.has(id)),
    counts: act === undefined ? new Array<number>(c.views.length).fill(0) : Array.from(act.counts),
    alerts: act?.alerts ?? 0,
    panels,
  };
}

/** Values in order of first appearance, ties by value: deterministic. */
function valueList(g: GroupValues): [string, GroupValues['values'] extends Map<string, infer V> ? V : never][] {
  return [...g.values].sort((x, y) => x[1].t - y[1].t || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

function indicatorGroups(groups: ReadonlyMap<number, GroupValues>, proc: (id: number) => number): IndicatorGroup[] {
  return [...groups].sort((x, y) => x[0] - y[0]).map(([group, values]) => ({
    group, more: values.more,
    items: valueList(values).map(([value, v]) => ({ value, count: v.count, t: v.t, detail: v.detail, processes: v.processes.map(proc).filter((i) => i >= 0) })),
  }));
}

function inputSummary(f: FileReport, v: VerifyReport, s: StatsReport['files'][number]): InputSummary {
  const m: Manifest | null = f.manifest;
  return {
    path: f.path, sha256: v.sha256,
    verify: { verdict: v.verdict, signature: v.signature, problems: v.problems.slice(0, PROBLEMS_LISTED), more_problems: Math.max(0, v.problems.length - PROBLEMS_LISTED) },
    host: m?.host.hostname ?? null, kernel: m?.host.kernel_release ?? null, machine: m?.host.machine ?? null, boot_id: m?.host.boot_id ?? null,
    tool_version: m?.tool.version ?? null, bpf_object_sha256: m?.bpf_object_sha256 ?? null,
    capture: m === null ? [] : Object.entries(m.capture).map(([k, val]) => [k, optionText(val)] as const),
    complete: s.complete, damaged: s.damaged, stop_reason: s.stop_reason, frames: s.frames, bytes: s.bytes,
    damage: s.damage, damage_count: s.damage_count,
  };
}

function optionText(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length === 0 ? '-' : v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x, bigintJson))).join(' ');
  if (typeof v === 'string') return v;
  return JSON.stringify(v, bigintJson);
}

const bigintJson = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** ISO-8601 UTC with nanoseconds for a relative time. */
export function isoOf(base: bigint, rel: number): string {
  const total = base + BigInt(rel);
  const sec = total / 1_000_000_000n;
  const ns = total % 1_000_000_000n;
  const d = new Date(Number(sec) * 1000);
  const iso = Number.isNaN(d.getTime()) ? '0000-00-00T00:00:00' : d.toISOString().slice(0, 19);
  return `${iso}.${ns.toString().padStart(9, '0')}Z`;
}
