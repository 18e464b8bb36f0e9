/**
 * Byte strings interned for one row group: each distinct string (a path, a
 * comm, an address with its family) gets a small dense id the first time it
 * is seen, and its bytes are kept once. Rows store ids; every column derived
 * from a string (the path, its name, its folder, its raw bytes) is drawn
 * once per id at the row group's end instead of once per row. An open
 * addressing table of ids over a word-at-a-time MurmurHash3-style hash (a
 * path is hashed and compared 4 bytes per step: interning is on the
 * per-event path); emptied, not freed, per row group.
 */

import { isUtf8 } from './text-bytes.js';

const EMPTY = 0;
const COPY_LOOP_BYTES = 256;
const SEED = 0x811c9dc5;

/**
 * One 32-bit word into the hash (MurmurHash3's x86_32 round). The FNV-1a
 * round it replaces, (h ^ w) * prime, lets differences in neighbouring words
 * cancel: numbered paths such as .../mod20/file11.js and .../mod30/file10.js
 * hashed alike, a fifth of a row group's distinct paths shared a hash with
 * another, and interning probed 90 slots per string on the work capture.
 */
function round(h: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The hash of `len` bytes after its rounds: every bit of it depends on every input bit (MurmurHash3's fmix32), so the table can mask it. */
function finish(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class StringPool {
  /** Ids start at 1 (0 is "no string" in the rows' key arrays). */
  count = 0;
  private arena = new Uint8Array(1 << 16);
  private arenaView = new DataView(this.arena.buffer);
  private used = 0;
  private starts = new Int32Array(1024);
  private lens = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  /** Per id: 0 not yet known, 1 valid UTF-8, 2 not (asked by every column that draws the string as text). */
  private utf8State = new Uint8Array(1024);
  private table = new Int32Array(2048);
  private mask = 2047;

  reset(): void {
    if (this.count > 0) this.table.fill(EMPTY);
    this.count = 0;
    this.used = 0;
  }

  /** Bytes held (the writer's memory budget). */
  get bytes(): number {
    return this.arena.length + (this.starts.length + this.lens.length + this.hashes.length + this.table.length) * 4;
  }

  /** Bytes of the strings kept. */
  get stored(): number {
    return this.used;
  }

  /** The id of the NUL-terminated string at `view[from, ...)` (at most up to `limit`), added when new. */
  internCString(view: DataView, src: Uint8Array, from: number, limit: number): number {
    let h = SEED;
    let i = from;
    for (; i + 4 <= limit; i += 4) {
      const w = view.getInt32(i, true);
      // Has this word a zero byte? (the classic test: a byte borrowed from in w - 0x01010101 that was < 0x80)
      if (((w - 0x01010101) & ~w & 0x80808080) !== 0) break;
      h = round(h, w);
    }
    for (; i < limit && src[i] !== 0; i++) h = round(h, src[i]);
    return this.insert(view, src, from, i, finish(h, i - from));
  }

  /** The id of `src[from, to)` (`view` over the same bytes), added when new. */
  intern(view: DataView, src: Uint8Array, from: number, to: number): number {
    let h = SEED;
    let i = from;
    for (; i + 4 <= to; i += 4) h = round(h, view.getInt32(i, true));
    for (; i < to; i++) h = round(h, src[i]);
    return this.insert(view, src, from, to, finish(h, to - from));
  }

  /**
   * The id of `b` (no DataView to make): its words put together from bytes,
   * so the hash is intern()'s and a pool may mix the two.
   */
  internBytes(b: Uint8Array): number {
    let h = SEED;
    const n = b.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) h = round(h, b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
    for (; i < n; i++) h = round(h, b[i]);
    return this.insert(null, b, 0, n, finish(h, n));
  }

  /** True when string `id` is valid UTF-8 (checked once per row group). */
  isUtf8(id: number): boolean {
    let st = this.utf8State[id];
    if (st === 0) {
      const s = this.starts[id];
      st = isUtf8(this.arena, s, s + this.lens[id]) ? 1 : 2;
      this.utf8State[id] = st;
    }
    return st === 1;
  }

  /** The pool's bytes: string `id` is arena[startOf(id), startOf(id) + lengthOf(id)) (valid until the next intern or reset). */
  get arenaBytes(): Uint8Array {
    return this.arena;
  }

  get arenaDataView(): DataView {
    return this.arenaView;
  }

  startOf(id: number): number {
    return this.starts[id];
  }

  lengthOf(id: number): number {
    return this.lens[id];
  }

  /** The bytes of string `id` (a view into the pool, valid until reset). */
  bytesOf(id: number): Uint8Array {
    const s = this.starts[id];
    return this.arena.subarray(s, s + this.lens[id]);
  }

  private insert(view: DataView | null, src: Uint8Array, from: number, to: number, h: number): number {
    const len = to - from;
    const table = this.table;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const id = table[slot];
      if (id === EMPTY) break;
      if (this.hashes[id] === h && this.lens[id] === len && this.same(id, view, src, from, len)) return id;
      slot = (slot + 1) & mask;
    }
    const id = ++this.count;
    if (id >= this.starts.length) this.growEntries();
    if (this.used + len > this.arena.length) this.growArena(len);
    const arena = this.arena;
    let at = this.used;
    // Paths are copied by a loop: set() needs a subarray, an object per string (most of the export's young garbage).
    if (len < COPY_LOOP_BYTES) for (let i = from; i < to; i++) arena[at++] = src[i];
    else arena.set(src.subarray(from, to), at);
    this.starts[id] = this.used;
    this.lens[id] = len;
    this.utf8State[id] = 0;
    this.hashes[id] = h;
    this.used += len;
    table[slot] = id;
    if (this.count * 2 > mask) this.rehash();
    return id;
  }

  private same(id: number, view: DataView | null, src: Uint8Array, from: number, len: number): boolean {
    const a = this.arenaView;
    const s = this.starts[id];
    let i = 0;
    if (view !== null) for (; i + 4 <= len; i += 4) if (a.getInt32(s + i, true) !== view.getInt32(from + i, true)) return false;
    for (; i < len; i++) if (this.arena[s + i] !== src[from + i]) return false;
    return true;
  }

  private growEntries(): void {
    const n = this.starts.length * 2;
    const grow = (a: Int32Array) => { const b = new Int32Array(n); b.set(a); return b; };
    this.starts = grow(this.starts);
    this.lens = grow(this.lens);
    this.hashes = grow(this.hashes);
    const state = new Uint8Array(n);
    state.set(this.utf8State);
    this.utf8State = state;
  }

  private growArena(need: number): void {
    let cap = this.arena.length * 2;
    while (cap < this.used + need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.arena.subarray(0, this.used));
    this.arena = next;
    this.arenaView = new DataView(next.buffer);
  }

  private rehash(): void {
    const size = this.table.length * 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    for (let id = 1; id <= this.count; id++) {
      let slot = this.hashes[id] & mask;
      while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
    this.mask = mask;
  }
}
