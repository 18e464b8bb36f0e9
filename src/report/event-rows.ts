/**
 * The event table's rows, chosen within a budget while the capture streams by.
 * Every row has a key: its tier (alert evidence, then what the process table
 * and panels are made of, then routine activity) and a hash of its position.
 * The pool keeps the rows with the smallest keys that fit the budget (rows
 * and the distinct strings they use), so when it overflows, whole tiers go
 * last-first and within a tier a uniform, deterministic sample stays. Memory
 * is bounded by the budget, not by the capture's length.
 */

export const TIER_EVIDENCE = 0;
export const TIER_NOTABLE = 1;
export const TIER_ROUTINE = 2;

export interface EventRow {
  readonly key: number;
  /** Position in the replay: ties in time keep replay order. */
  readonly order: number;
  readonly t: number;
  readonly k: number;
  /** Process table node id. */
  readonly p: number;
  readonly c: string;
  readonly a: string;
  readonly b: string;
}

export interface RowBudget {
  readonly maxRows: number;
  /** Approximate bytes of the embedded table: rows plus their distinct strings. */
  readonly maxBytes: number;
}

/**
 * At most 300k rows and 14 MB: the table of a 1M-event capture parses and
 * filters in well under a second, and leaves room in a 30 MB page for the
 * processes. The page budget may trim further at the end (`trimTo`).
 */
export const DEFAULT_ROW_BUDGET: RowBudget = { maxRows: 300_000, maxBytes: 14 << 20 };

/** A row's columns as JSON numbers with commas: time delta, kind, process, three string indices. */
const ROW_BYTES = 30;
/** A string in the table: quotes and comma. */
const STRING_OVERHEAD = 3;

/** Bytes of a string in the embedded JSON, at most: escapes (`\u003c`, `\udc80`) take six. */
export function jsonLength(s: string): number {
  let n = s.length + STRING_OVERHEAD;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) n += 5;
  }
  return n;
}

/** A 32-bit mix of the position (murmur3's finaliser): a sample that does not follow any pattern in the capture. */
export function positionHash(order: number): number {
  let h = order >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function rowKey(tier: number, order: number): number {
  return tier * 4294967296 + positionHash(order);
}

export class RowPool {
  /** Max-heap on key. */
  private readonly heap: EventRow[] = [];
  private readonly refs = new Map<string, number>();
  private stringBytes = 0;
  /** Rows that were offered, by tier, and dropped (never admitted or evicted later). */
  readonly dropped = [0, 0, 0];

  constructor(private readonly budget: RowBudget = DEFAULT_ROW_BUDGET) {}

  get size(): number {
    return this.heap.length;
  }

  /** True if a row with this key would be admitted now (decide before building its strings). */
  admits(key: number): boolean {
    return this.heap.length < this.budget.maxRows || key < this.heap[0].key;
  }

  /** Offers a row; the largest keys leave while the pool is over budget. */
  offer(row: EventRow): void {
    if (!this.admits(row.key)) {
      this.dropped[tierOf(row.key)]++;
      return;
    }
    this.push(row);
    this.ref(row.c);
    this.ref(row.a);
    this.ref(row.b);
    while (this.heap.length > this.budget.maxRows || this.bytes() > this.budget.maxBytes) this.evict();
  }

  /** Drops the largest keys until the rows and their strings fit in `maxBytes`. */
  trimTo(maxBytes: number): void {
    while (this.heap.length > 0 && this.bytes() > maxBytes) this.evict();
  }

  private evict(): void {
    const out = this.pop();
    this.unref(out.c);
    this.unref(out.a);
    this.unref(out.b);
    this.dropped[tierOf(out.key)]++;
  }

  bytes(): number {
    return this.heap.length * ROW_BYTES + this.stringBytes;
  }

  /** The kept rows in time order (ties: replay order). */
  rows(): EventRow[] {
    return [...this.heap].sort((x, y) => x.t - y.t || x.order - y.order);
  }

  private ref(s: string): void {
    const n = this.refs.get(s);
    if (n === undefined) {
      this.refs.set(s, 1);
      this.stringBytes += jsonLength(s);
    } else {
      this.refs.set(s, n + 1);
    }
  }

  private unref(s: string): void {
    const n = this.refs.get(s)!;
    if (n === 1) {
      this.refs.delete(s);
      this.stringBytes -= jsonLength(s);
    } else {
      this.refs.set(s, n - 1);
    }
  }

  private push(row: EventRow): void {
    const h = this.heap;
    let i = h.length;
    h.push(row);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].key >= row.key) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = row;
  }

  private pop(): EventRow {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r].key > h[l].key ? r : l;
      if (h[c].key <= last.key) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
    return top;
  }
}

export function tierOf(key: number): number {
  return Math.floor(key / 4294967296);
}
