/**
 * A column chunk's dictionary: each distinct value once (but for strings a
 * pool stored without a slot, crafted to collide: string-pool.ts's
 * MAX_PROBES), in order of first use, PLAIN-encoded for the dictionary
 * page, with the chunk's min and max kept as entries arrive (a dictionary's
 * entries are exactly the chunk's non-null values, so its range is the
 * chunk's). Values are deduplicated by a Map: strings by themselves, blobs
 * by their bytes, integers by value.
 */
import { StringPool } from '../string-pool.js';
import { ByteSink, copyWords } from './byte-sink.js';
import { appendPlain, bytesOf, type CellValue, compareOrder, orderKey, type OrderKey } from './plain.js';
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
  private minKey: OrderKey | null = null;
  private maxKey: OrderKey | null = null;
  /**
   * A min or max that came from addRange: its range of `rangeSrc` (from -1:
   * none), made a Uint8Array only when asked. Paths arrive in order often
   * (a directory walked), and each new max was a view made and dropped.
   */
  private rangeSrc: Uint8Array | null = null;
  private minFrom = -1;
  private minTo = 0;
  private maxFrom = -1;
  private maxTo = 0;
  private readonly index = new Map<string | number | bigint | boolean, number>();
  /** Blobs (and strings given as UTF-8 bytes) by their bytes: pool id -> entry (-1: none yet). No JS string is made per value. */
  private readonly pool = new StringPool();
  private byPoolId = new Int32Array(1024);

  constructor(readonly kind: ValueKind) {}

  get min(): OrderKey | null {
    this.settle();
    return this.minKey;
  }

  get max(): OrderKey | null {
    this.settle();
    return this.maxKey;
  }

  reset(): void {
    this.plain.reset();
    this.count = 0;
    this.minKey = null;
    this.maxKey = null;
    this.rangeSrc = null;
    this.minFrom = -1;
    this.maxFrom = -1;
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
    this.settle();
    if (this.kind === 'string' || this.kind === 'bytes') {
      // One encoding of a string for the page and the order (each made a new Uint8Array), compared without a native call.
      const b = bytesOf(v, this.kind);
      this.plain.u32(b.length);
      this.plain.appendRange(b, 0, b.length);
      if (this.minKey === null || compareRange(b, 0, b.length, this.minKey as Uint8Array) < 0) this.minKey = b;
      if (this.maxKey === null || compareRange(b, 0, b.length, this.maxKey as Uint8Array) > 0) this.maxKey = b;
      return i;
    }
    appendPlain(this.plain, this.kind, v);
    const k = orderKey(this.kind, v);
    if (this.minKey === null || compareOrder(k, this.minKey) < 0) this.minKey = k;
    if (this.maxKey === null || compareOrder(k, this.maxKey) > 0) this.maxKey = k;
    return i;
  }

  /** The min and max kept as ranges, made views. */
  private settle(): void {
    const src = this.rangeSrc;
    if (src === null) return;
    if (this.minFrom >= 0) this.minKey = src.subarray(this.minFrom, this.minTo);
    if (this.maxFrom >= 0) this.maxKey = src.subarray(this.maxFrom, this.maxTo);
    this.minFrom = -1;
    this.maxFrom = -1;
    this.rangeSrc = null;
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
    this.keepRange(src, view, from, to);
    return i;
  }

  /**
   * A new entry of the byte value src[from, to), which the caller knows no
   * other range entry of the chunk has (a whole string of the row group's
   * pool): not looked up. A JS value equal to it (a text escaped from
   * invalid UTF-8 that happens to read the same) may then be a second entry
   * with the same value, as add() always allowed; readers take a dictionary
   * with repeats.
   */
  addUniqueRange(src: Uint8Array, view: DataView, from: number, to: number): number {
    const i = this.count++;
    this.keepRange(src, view, from, to);
    return i;
  }

  /** Appends src[from, to) to the page and keeps the min and max. */
  private keepRange(src: Uint8Array, view: DataView, from: number, to: number): void {
    const n = to - from;
    const plain = this.plain;
    // The length and the bytes after one check for room (two reserve() calls were a third of an entry's cost).
    plain.reserve(4 + n);
    const at = plain.length;
    plain.view.setInt32(at, n, true);
    copyWords(plain.bytes, plain.view, at + 4, src, view, from, n);
    plain.length = at + 4 + n;
    if (this.rangeSrc !== src) {
      this.settle();
      this.rangeSrc = src;
    }
    if (this.minFrom >= 0 ? compareRanges(view, src, from, to, this.minFrom, this.minTo) < 0 : this.minKey === null || compareRange(src, from, to, this.minKey as Uint8Array) < 0) {
      this.minFrom = from;
      this.minTo = to;
    }
    if (this.maxFrom >= 0 ? compareRanges(view, src, from, to, this.maxFrom, this.maxTo) > 0 : this.maxKey === null || compareRange(src, from, to, this.maxKey as Uint8Array) > 0) {
      this.maxFrom = from;
      this.maxTo = to;
    }
  }
}

/**
 * src[from, to) against src[bFrom, bTo), as unsigned bytes; `view` over
 * src. Four bytes at a time as big-endian words (their order is the bytes'):
 * paths in order share long prefixes, and every entry is compared with the
 * min and the max.
 */
function compareRanges(view: DataView, src: Uint8Array, from: number, to: number, bFrom: number, bTo: number): number {
  const n = to - from;
  const m = Math.min(n, bTo - bFrom);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a = view.getUint32(from + i, false);
    const b = view.getUint32(bFrom + i, false);
    if (a !== b) return a < b ? -1 : 1;
  }
  for (; i < m; i++) {
    const d = src[from + i] - src[bFrom + i];
    if (d !== 0) return d;
  }
  return n - (bTo - bFrom);
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
