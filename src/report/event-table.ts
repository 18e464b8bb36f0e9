/**
 * The event table as the page embeds it: the pool's rows in time order,
 * columnar, strings interned once, times delta-encoded; and one sentence for
 * each way rows are missing.
 */
import { type ReportCollector } from './collect.js';
import { TIER_NOTABLE, TIER_ROUTINE } from './event-rows.js';
import { type EventTable } from './model.js';

export function eventTable(c: ReportCollector, proc: (id: number) => number): { table: EventTable; rowOfOrder: Map<number, number> } {
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
  const exact: [number, string][] = [];
  const shownByKind = new Array<number>(c.views.length).fill(0);
  const rowOfOrder = new Map<number, number>();
  let previous = 0;
  let withoutProcess = 0;
  for (const row of rows) {
    const pi = row.p < 0 ? -1 : proc(row.p);
    if (row.p >= 0 && pi < 0) { withoutProcess++; continue; }
    rowOfOrder.set(row.order, t.length);
    if (row.x !== undefined) exact.push([t.length, row.x]);
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
    table: { total, shown: t.length, notes, shown_by_kind: shownByKind, strings, t, k, p, c: cc, a, b, exact },
    rowOfOrder,
  };
}

