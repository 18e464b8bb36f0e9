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
  /** `t` exactly, when the double is not (collect.ts ValueStats.x). */
  readonly x?: string;
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

/**
 * The pool keeps its rows in typed arrays (one slot per row) and its strings
 * in a reference-counted table: a row admitted and later evicted allocates
 * nothing that outlives it. With rows as objects, V8 promoted them to the old
 * generation and collected them there, and GC took 40% of a 1M-event report.
 */
export class RowPool {
  private readonly capacity: number;
  /** Max-heap of slots, by key. */
  private readonly heap: Int32Array;
  private count = 0;
  private readonly key: Float64Array;
  private readonly order: Float64Array;
  private readonly time: Float64Array;
  /** Slot -> exact time, for the few rows whose time a double cannot hold (EventRow.x). */
  private readonly exact = new Map<number, string>();
  private readonly kind: Uint16Array;
  private readonly process: Int32Array;
  private readonly strs: Int32Array;
  private readonly freeSlots: number[] = [];
  private readonly strings = new StringTable();
  /** Rows that were offered, by tier, and dropped (never admitted or evicted later). */
  readonly dropped = [0, 0, 0];

  constructor(private readonly budget: RowBudget = DEFAULT_ROW_BUDGET) {
    this.capacity = budget.maxRows + 1;
    this.heap = new Int32Array(this.capacity);
    this.key = new Float64Array(this.capacity);
    this.order = new Float64Array(this.capacity);
    this.time = new Float64Array(this.capacity);
    this.kind = new Uint16Array(this.capacity);
    this.process = new Int32Array(this.capacity);
    this.strs = new Int32Array(this.capacity * 3);
    for (let i = this.capacity - 1; i >= 0; i--) this.freeSlots.push(i);
  }

  get size(): number {
    return this.count;
  }

  /** True if a row with this key would be admitted now (decide before building its strings). */
  admits(key: number): boolean {
    return this.count < this.budget.maxRows || key < this.key[this.heap[0]];
  }

  /** Offers a row; the largest keys leave while the pool is over budget. */
  offer(row: EventRow): void {
    if (!this.admits(row.key)) {
      this.dropped[tierOf(row.key)]++;
      return;
    }
    const slot = this.freeSlots.pop()!;
    this.key[slot] = row.key;
    this.order[slot] = row.order;
    this.time[slot] = row.t;
    if (row.x !== undefined) this.exact.set(slot, row.x);
    this.kind[slot] = row.k;
    this.process[slot] = row.p;
    this.strs[slot * 3] = this.strings.ref(row.c);
    this.strs[slot * 3 + 1] = this.strings.ref(row.a);
    this.strs[slot * 3 + 2] = this.strings.ref(row.b);
    this.push(slot);
    while (this.count > this.budget.maxRows || this.bytes() > this.budget.maxBytes) this.evict();
  }

  /** Drops the largest keys until the rows and their strings fit in `maxBytes`. */
  trimTo(maxBytes: number): void {
    while (this.count > 0 && this.bytes() > maxBytes) this.evict();
  }

  bytes(): number {
    return this.count * ROW_BYTES + this.strings.bytes;
  }

  /** The kept rows in time order (ties: replay order). */
  rows(): EventRow[] {
    const out: EventRow[] = [];
    for (let i = 0; i < this.count; i++) {
      const s = this.heap[i];
      out.push({
        key: this.key[s], order: this.order[s], t: this.time[s], x: this.exact.get(s), k: this.kind[s], p: this.process[s],
        c: this.strings.get(this.strs[s * 3]), a: this.strings.get(this.strs[s * 3 + 1]), b: this.strings.get(this.strs[s * 3 + 2]),
      });
    }
    return out.sort((x, y) => x.t - y.t || x.order - y.order);
  }

  private evict(): void {
    const slot = this.pop();
    this.exact.delete(slot);
    this.strings.unref(this.strs[slot * 3]);
    this.strings.unref(this.strs[slot * 3 + 1]);
    this.strings.unref(this.strs[slot * 3 + 2]);
    this.freeSlots.push(slot);
    this.dropped[tierOf(this.key[slot])]++;
  }

  private push(slot: number): void {
    const h = this.heap;
    const key = this.key[slot];
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.key[h[parent]] >= key) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = slot;
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0];
    const last = h[--this.count];
    if (this.count === 0) return top;
    const lastKey = this.key[last];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.count) break;
      const r = l + 1;
      const c = r < this.count && this.key[h[r]] > this.key[h[l]] ? r : l;
      if (this.key[h[c]] <= lastKey) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
    return top;
  }
}

/** Distinct strings with reference counts; ids are reused once a string has no references. */
class StringTable {
  private readonly ids = new Map<string, number>();
  private readonly values: string[] = [];
  private refs = new Int32Array(1024);
  private readonly free: number[] = [];
  bytes = 0;

  ref(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.free.pop() ?? this.values.length;
      if (id === this.values.length) this.values.push(s);
      else this.values[id] = s;
      if (id >= this.refs.length) {
        const grown = new Int32Array(this.refs.length * 2);
        grown.set(this.refs);
        this.refs = grown;
      }
      this.ids.set(s, id);
      this.bytes += jsonLength(s);
    }
    this.refs[id]++;
    return id;
  }

  unref(id: number): void {
    if (--this.refs[id] > 0) return;
    const s = this.values[id];
    this.ids.delete(s);
    this.values[id] = '';
    this.free.push(id);
    this.bytes -= jsonLength(s);
  }

  get(id: number): string {
    return this.values[id];
  }
}

export function tierOf(key: number): number {
  return Math.floor(key / 4294967296);
}
