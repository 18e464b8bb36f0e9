/**
 * What the event table should show for a set of filters, computed in the page
 * from the embedded data alone (independently of the page's own filter code),
 * and what the page says it shows.
 */
import { type Page } from 'playwright-core';

export interface Expectation {
  range?: [number, number];
  hideKinds?: string[];
  pid?: number;
  descendants?: boolean;
  text?: string;
}

export interface TableState {
  visible: number[];
  visibleCount: number;
  range: [number, number] | null;
  selected: number;
  highlighted: number;
}

export async function inspect(page: Page): Promise<TableState> {
  return page.evaluate(() => (window as unknown as { rgReport: { inspect(): TableState } }).rgReport.inspect());
}

/** Row indices (the first 5000, as inspect() gives them) that pass `e`. */
export async function expectedRows(page: Page, e: Expectation): Promise<number[]> {
  return (await expectedTable(page, e)).rows;
}

/** The first 5000 rows that pass `e`, and how many pass. */
export async function expectedTable(page: Page, e: Expectation): Promise<{ rows: number[]; count: number }> {
  return page.evaluate((e) => {
    interface Data {
      kinds: { name: string }[];
      processes: { items: { pid: number; parent: number; started_by?: [number, number] }[] };
      events: { t: number[]; k: number[]; p: number[]; c: number[]; a: number[]; b: number[]; strings: string[] };
    }
    const data = JSON.parse(document.getElementById('rg-data')!.textContent!) as Data;
    const ev = data.events;
    const procs = data.processes.items;
    const inScope = (p: number): boolean => {
      if (e.pid === undefined) return true;
      // Up the lineage, as the page's descendants go: the starter of a process the kernel moved (a double fork), else the parent.
      const up = (q: number) => { const s = procs[q].started_by; return s !== undefined && s[1] >= 0 ? s[1] : procs[q].parent; };
      for (let q = p; q >= 0; q = up(q)) {
        if (procs[q].pid === e.pid) return true;
        if (!e.descendants) return false;
      }
      return false;
    };
    const out: number[] = [];
    let count = 0;
    let t = 0;
    for (let i = 0; i < ev.t.length; i++) {
      t += ev.t[i];
      if (e.range && (t < e.range[0] || t > e.range[1])) continue;
      if (e.hideKinds?.includes(data.kinds[ev.k[i]].name)) continue;
      if (e.pid !== undefined && (ev.p[i] < 0 || !inScope(ev.p[i]))) continue;
      if (e.text !== undefined && ![ev.c[i], ev.a[i], ev.b[i]].some((s) => ev.strings[s].toLowerCase().includes(e.text!.toLowerCase()))) continue;
      if (out.length < 5000) out.push(i);
      count++;
    }
    return { rows: out, count };
  }, e);
}

/** Waits (bounded) until the table shows `count` rows; fails saying which filter did not apply. */
export async function waitForCount(page: Page, count: number, what: string, timeoutMs = 5_000): Promise<void> {
  try {
    await page.waitForFunction((n) => (window as unknown as { rgReport: { inspect(): TableState } }).rgReport.inspect().visibleCount === n, count, { timeout: timeoutMs });
  } catch {
    const state = await inspect(page);
    throw new Error(`filter "${what}": the table shows ${state.visibleCount} rows after ${timeoutMs} ms, expected ${count}`);
  }
}
