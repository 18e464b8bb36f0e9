/**
 * The event table's rows as typed arrays, and the filters over them (kind,
 * process and descendants, text, time range). A filter pass is one loop over
 * the rows with lookups into small per-kind, per-process and per-string
 * masks, so it stays a few milliseconds on the largest table the report holds.
 */
import { type ReportData } from '../model.js';

export interface Rows {
  readonly n: number;
  /** Relative ns, absolute (decoded from the deltas). */
  readonly t: Float64Array;
  readonly k: Uint16Array;
  readonly p: Int32Array;
  readonly c: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly strings: readonly string[];
  /** Row -> its time exactly (relative ns, decimal), for rows whose `t` a double cannot hold (model.ts EventTable.exact). */
  readonly exact: ReadonlyMap<number, string>;
}

export function decodeRows(e: ReportData['events']): Rows {
  const n = e.t.length;
  const t = new Float64Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) { at += e.t[i]; t[i] = at; }
  return {
    n, t, k: Uint16Array.from(e.k), p: Int32Array.from(e.p), c: Int32Array.from(e.c), a: Int32Array.from(e.a), b: Int32Array.from(e.b),
    strings: e.strings, exact: new Map(e.exact),
  };
}

export interface Filters {
  /** Kinds shown (by kind index). */
  kinds: Uint8Array;
  /** Process indices shown, or null for all. */
  processes: Uint8Array | null;
  text: string;
  range: [number, number] | null;
}

export class RowFilter {
  private lowered: string[] | null = null;
  private lastText = '';
  private textMask: Uint8Array | null = null;

  constructor(private readonly rows: Rows) {}

  /** Row indices passing every filter, ascending. */
  apply(f: Filters): Int32Array {
    const r = this.rows;
    const out = new Int32Array(r.n);
    const text = this.maskForText(f.text);
    const procs = f.processes;
    const kinds = f.kinds;
    const lo = f.range === null ? -Infinity : f.range[0];
    const hi = f.range === null ? Infinity : f.range[1];
    let m = 0;
    for (let i = 0; i < r.n; i++) {
      if (kinds[r.k[i]] === 0) continue;
      if (procs !== null && (r.p[i] < 0 || procs[r.p[i]] === 0)) continue;
      const t = r.t[i];
      if (t < lo || t > hi) continue;
      if (text !== null && text[r.c[i]] === 0 && text[r.a[i]] === 0 && text[r.b[i]] === 0) continue;
      out[m++] = i;
    }
    return out.subarray(0, m);
  }

  /** Per string: does it contain the text (case-insensitive)? null when there is no text filter. */
  private maskForText(text: string): Uint8Array | null {
    const needle = text.trim().toLowerCase();
    if (needle === '') return null;
    if (needle === this.lastText && this.textMask !== null) return this.textMask;
    this.lowered ??= this.rows.strings.map((s) => s.toLowerCase());
    const mask = new Uint8Array(this.lowered.length);
    for (let i = 0; i < mask.length; i++) if (this.lowered[i].includes(needle)) mask[i] = 1;
    this.lastText = needle;
    this.textMask = mask;
    return mask;
  }
}

/** Index of `row` in the ascending list `visible`, or -1. */
export function positionOf(visible: Int32Array, row: number): number {
  let lo = 0;
  let hi = visible.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (visible[mid] === row) return mid;
    if (visible[mid] < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
