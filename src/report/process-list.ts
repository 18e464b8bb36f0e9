/**
 * The report's process list: which processes the page lists (all, up to a
 * cap; those with alerts and their ancestors unless even they do not fit) and
 * how much of their panels, within the process list's share of the page budget.
 */
import { type WallClock } from '../output/wall-clock.js';
import { movedFrom } from '../replay/ancestry.js';
import { type ProcessNode } from '../replay/process-table.js';
import { type ProcessActivity, type ReportCollector } from './collect.js';
import { BADGES } from './groups.js';
import { embedJson } from './html.js';
import { compactProcess, type PanelGroup, type ProcessItem, type ProcessRecord } from './model.js';
import { type UserNames } from './users.js';
import { valueList } from './values.js';

/** Processes listed one by one; beyond this, those without alerts (or alerting descendants) are counted. */
export const PROCESS_CAP = 100_000;

export interface ProcessSection {
  readonly keep: readonly ProcessNode[];
  /** Node id -> index in the page, or -1. */
  readonly indexOf: Int32Array;
  readonly records: readonly ProcessRecord[];
  readonly panelEntriesOmitted: number;
  /** Of those, entries of processes with alerts. */
  readonly alertingPanelEntriesOmitted: number;
  /** Processes with alerts left out: only when even their bare entries did not fit the budget. */
  readonly alertingOmitted: number;
}

/**
 * Panel entries kept per group, [processes without alerts, processes with alerts], tried in turn until the
 * processes fit their budget: quiet processes give up their panels first.
 */
const PANEL_STEPS: readonly (readonly [number, number])[] = [
  [Infinity, Infinity], [20, Infinity], [5, Infinity], [1, Infinity], [0, Infinity], [0, 20], [0, 5], [0, 1], [0, 0],
];

/**
 * The processes as the page lists them, within `maxBytes`: first by listing
 * fewer panel entries (of processes without alerts, then of those with
 * alerts), then by listing fewer processes (those without alerts first; then,
 * when even the processes with alerts and their ancestors do not fit without
 * panels, fewer of those too). Each round lists at most 90% of the previous
 * round's processes, so the loop ends, after a number of rounds logarithmic in
 * the processes (no processes at all always fit).
 */
/** A process table key's hostname, when the report is of several captures (replay's session: originOfHost); undefined otherwise. */
export type HostOf = (host: string) => string | null | undefined;
const NO_HOST: HostOf = () => undefined;

/** Several captures: a process's panel says its host first (two hosts' pid 100 are two processes). */
function withHost(fields: readonly (readonly [string, string])[], host: string | null | undefined): readonly (readonly [string, string])[] {
  return host === undefined ? fields : [['host', host ?? 'unknown'], ...fields];
}

export function processSection(nodes: readonly ProcessNode[], c: ReportCollector, cap: number, maxBytes: number,
  clockOf: (host: string) => WallClock | null, userOf: UserNames, hostOf: HostOf = NO_HOST): ProcessSection {
  const alerting = nodes.filter((n) => (c.activity[n.id]?.alerts ?? 0) > 0).length;
  let limit = Infinity;
  for (;;) {
    const keep = chooseProcesses(nodes, c, cap, limit);
    const indexOf = new Int32Array(nodes.length).fill(-1);
    keep.forEach((n, i) => { indexOf[n.id] = i; });
    const proc = (id: number) => indexOf[id];
    const items = keep.map((n) => processItem(n, c.activity[n.id], proc, clockOf, userOf, c, hostOf));
    const alertingOmitted = alerting - items.filter((p) => p.alerts > 0).length;
    let size = 0;
    let lastOmitted = -1;
    for (const [quiet, loud] of PANEL_STEPS) {
      let omitted = 0;
      let alertingPanelEntriesOmitted = 0;
      const records = items.map((p) => {
        const step = p.alerts > 0 ? loud : quiet;
        if (step === Infinity) return compactProcess(p);
        const panels = p.panels.map((g) => {
          if (g.items.length <= step) return g;
          const dropped = g.items.slice(step);
          omitted += dropped.length;
          if (p.alerts > 0) alertingPanelEntriesOmitted += dropped.length;
          return { ...g, more: g.more + dropped.reduce((n, e) => n + e.count, 0), items: g.items.slice(0, step) };
        });
        return compactProcess({ ...p, panels });
      });
      // A step that leaves out nothing more gives the same page: no need to measure it again.
      if (omitted === lastOmitted) continue;
      lastOmitted = omitted;
      size = Buffer.byteLength(embedJson(records));
      if (size <= maxBytes || keep.length === 0) {
        return { keep, indexOf, records, panelEntriesOmitted: omitted, alertingPanelEntriesOmitted, alertingOmitted };
      }
    }
    limit = Math.min(keep.length - 1, Math.floor(keep.length * (maxBytes / size) * 0.9));
  }
}

/**
 * Every process with alerts and its ancestors (its parents, and the processes that started it where the kernel
 * has since moved it: a daemon's double fork), then the rest in order of appearance, up to `cap`; and never
 * more than `limit` in all (the budget's), processes with alerts first, each with its ancestors.
 */
export function chooseProcesses(nodes: readonly ProcessNode[], c: ReportCollector, cap: number, limit = Infinity): ProcessNode[] {
  if (nodes.length <= Math.min(cap, limit)) return [...nodes];
  const chosen = new Set<ProcessNode>();
  const stack: ProcessNode[] = [];
  for (const n of nodes) {
    if ((c.activity[n.id]?.alerts ?? 0) === 0) continue;
    const lineage: ProcessNode[] = [];
    const seen = new Set<ProcessNode>();
    stack.push(n);
    for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
      if (chosen.has(p) || seen.has(p)) continue;
      seen.add(p);
      lineage.push(p);
      if (p.parent !== null) stack.push(p.parent);
      const starter = movedFrom(p);
      if (starter !== null) stack.push(starter);
    }
    // Whole lineages or none (the tree stays connected); past the limit the rest of the alerting processes are counted.
    if (chosen.size + lineage.length > limit) break;
    for (const p of lineage) chosen.add(p);
  }
  for (const n of nodes) {
    if (chosen.size >= Math.min(cap, limit)) break;
    // A parent comes before its children, so the tree stays connected.
    if (n.parent === null || chosen.has(n.parent)) chosen.add(n);
  }
  return nodes.filter((n) => chosen.has(n));
}

function processItem(n: ProcessNode, act: ProcessActivity | undefined, proc: (id: number) => number,
  clockOf: (host: string) => WallClock | null, userOf: UserNames, c: ReportCollector, hostOf: HostOf): ProcessItem {
  const clock = clockOf(n.host);
  const parent = n.parent === null ? -1 : proc(n.parent.id);
  const starter = movedFrom(n);
  const uids = act?.uids ?? [n.uid];
  const badges = new Set(act?.badges ?? []);
  const parentUids = n.parent !== null ? c.activity[n.parent.id]?.uids : undefined;
  if (uids.length > 1 || (parentUids !== undefined && uids.length > 0 && !parentUids.includes(uids[0]))) badges.add('privilege_change');
  const panels: PanelGroup[] = [];
  if (act !== undefined) {
    for (const [group, values] of [...act.groups].sort((x, y) => x[0] - y[0])) {
      for (const b of BADGES) if (b.groupPrefix !== undefined && c.groups[group].id.startsWith(b.groupPrefix)) badges.add(b.id);
      panels.push({ group, more: values.more, items: valueList(values).map(([value, v]) => ({ value, count: v.count, t: v.t, ...(v.x === undefined ? {} : { x: v.x }), detail: v.detail })) });
    }
  }
  return {
    pid: n.pid, ppid: n.ppid, parent, known: n.startSeen, exe: n.exe, argv: n.argv, comm: n.comm, uid: n.uid, uids,
    userNames: [...new Set([...uids, n.uid])].flatMap((uid) => { const name = userOf(n.host, uid); return name === null ? [] : [[uid, name] as const]; }),
    start: n.startNs !== null && clock !== null ? clock.format(n.startNs) : null,
    exit: n.exited ? { code: n.exitCode ?? 0, signal: n.signal ?? 0 } : null,
    fields: withHost(act?.execFields ?? [], hostOf(n.host)),
    badges: BADGES.map((b) => b.id).filter((id) => badges.has(id)),
    counts: act === undefined ? new Array<number>(c.views.length).fill(0) : Array.from(act.counts),
    alerts: act?.alerts ?? 0,
    panels,
    startedBy: starter === null ? null : { pid: starter.pid, index: proc(starter.id) },
  };
}

