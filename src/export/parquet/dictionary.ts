/**
 * A column chunk's dictionary: each distinct value once, in order of first
 * use, PLAIN-encoded for the dictionary page, with the chunk's min and max
 * kept as entries arrive (a dictionary's entries are exactly the chunk's
 * non-null values, so its range is the chunk's). Values are deduplicated by
 * a Map: strings by themselves, blobs by their bytes, integers by value.
 */
import { StringPool } from '../string-pool.js';
import { ByteSink } from './byte-sink.js';
import { appendPlain, type CellValue, compareOrder, orderKey, type OrderKey } from './plain.js';
import { type ValueKind } from './schema.js';

/**
 * Dictionary page size past which a chunk is written PLAIN instead: a reader
 * holds the whole dictionary in memory, and a dictionary this large means
 * the values barely repeat.
 */
export const DICTIONARY_LIMIT_BYTES = 4 << 20;

export class ValueDictionary {
  readonly plain = new ByteSink(1024);
  count = 0;
  min: OrderKey | null = null;
  max: OrderKey | null = null;
  private readonly index = new Map<string | number | bigint | boolean, number>();
  /** Blobs (and strings given as UTF-8 bytes) by their bytes: pool id -> entry (-1: none yet). No JS string is made per value. */
  private readonly pool = new StringPool();
  private byPoolId = new Int32Array(1024);

  constructor(readonly kind: ValueKind) {}

  reset(): void {
    this.plain.reset();
    this.count = 0;
    this.min = null;
    this.max = null;
    this.index.clear();
    this.pool.reset();
  }

  /** True when the dictionary grew past the limit: the chunk is better written PLAIN. */
  get overflowed(): boolean {
    return this.plain.length > DICTIONARY_LIMIT_BYTES;
  }

  /** The index of `v`, added when new. */
  add(v: CellValue): number {
    let i: number;
    if (v instanceof Uint8Array) {
      const before = this.pool.count;
      const id = this.pool.internBytes(v);
      if (id <= before) return this.byPoolId[id];
      if (id >= this.byPoolId.length) {
        const next = new Int32Array(this.byPoolId.length * 2);
        next.set(this.byPoolId);
        this.byPoolId = next;
      }
      i = this.count++;
      this.byPoolId[id] = i;
    } else {
      const known = this.index.get(v);
      if (known !== undefined) return known;
      i = this.count++;
      this.index.set(v, i);
    }
    appendPlain(this.plain, this.kind, v);
    const k = orderKey(this.kind, v);
    if (this.min === null || compareOrder(k, this.min) < 0) this.min = k;
    if (this.max === null || compareOrder(k, this.max) > 0) this.max = k;
    return i;
  }

  /** The index of the byte value src[from, to) (`view` over src), added when new: no Uint8Array made unless it is a new min or max. */
  addRange(src: Uint8Array, view: DataView, from: number, to: number): number {
    const before = this.pool.count;
    const id = this.pool.intern(view, src, from, to);
    if (id <= before) return this.byPoolId[id];
    if (id >= this.byPoolId.length) {
      const next = new Int32Array(this.byPoolId.length * 2);
      next.set(this.byPoolId);
      this.byPoolId = next;
    }
    const i = this.count++;
    this.byPoolId[id] = i;
    this.plain.u32(to - from);
    this.plain.appendRange(src, from, to);
    if (this.min === null || compareRange(src, from, to, this.min as Uint8Array) < 0) this.min = src.subarray(from, to);
    if (this.max === null || compareRange(src, from, to, this.max as Uint8Array) > 0) this.max = src.subarray(from, to);
    return i;
  }
}

/** src[from, to) against `b`, as unsigned bytes (Buffer.compare's order) without making a view. */
function compareRange(src: Uint8Array, from: number, to: number, b: Uint8Array): number {
  const n = to - from;
  const m = Math.min(n, b.length);
  for (let i = 0; i < m; i++) {
    const d = src[from + i] - b[i];
    if (d !== 0) return d;
  }
  return n - b.length;
}
