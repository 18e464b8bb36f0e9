/**
 * Byte strings interned for one row group: each distinct string (a path, a
 * comm, an address with its family) gets a small dense id the first time it
 * is seen, and its bytes are kept once. Rows store ids; every column derived
 * from a string (the path, its name, its folder, its raw bytes) is drawn
 * once per id at the row group's end instead of once per row. An open
 * addressing table of ids, each tagged with its hash's top bits, over a
 * word-at-a-time multiplicative
 * hash (a path is scanned, hashed and compared 4 bytes per step: interning
 * is on the per-event path); emptied, not freed, per row group.
 *
 * A caller that knows a likely equal string (the same field of the previous
 * event, the field before in the same event) names it: it is checked by its
 * hash and length before the table is probed, and the probe is skipped when
 * they and then the bytes agree.
 *
 * The strings come from the traced host, and the hash has no secret: an
 * attacker who knows it can name files whose hashes are all equal (two words
 * changed so that their terms cancel), and each string then probed past every
 * one before it: 16,384 such paths took 0.83 s to intern, a row group of
 * 65,536 took 12.9 s (a million such opens: 3.4 minutes), 0.2 s now.
 * A lookup reads at most MAX_PROBES slots: a string placed no further than
 * that from its hash's slot is always found, and one that would be placed
 * further gets an id without a slot (`unindexed`). It is kept and drawn like
 * any other; only its repeats in the row group get ids of their own, so the
 * dictionary holds its bytes more than once (readers take repeats). Time stays
 * linear in the strings whatever their bytes, and the rows say the same.
 */

import { copyWords } from './parquet/byte-sink.js';
import { isUtf8 } from './text-bytes.js';
import { sharedBytes, sharedWords } from './shared-memory.js';

const EMPTY = 0;
/** Bits of the hash kept beside an id in a table slot; ids below 2^(31 - TAG_BITS). */
const TAG_BITS = 8;
const TAG_MASK = (1 << TAG_BITS) - 1;
const MAX_ID = (1 << (31 - TAG_BITS)) - 1;
/**
 * Slots a lookup reads at most (the class's comment says why). At the table's
 * load (at most half full) the work capture's 2.6M probed strings read 0.18
 * slots past their own on average and 31 at most, the 10M-event loop
 * capture's 15M at most 28: 256 leaves room for paths less kind to the hash,
 * and a row group of crafted strings costs at most 256 probes each.
 */
export const MAX_PROBES = 256;
/**
 * The hash's step: h * K + word (mod 2^32), finished by MurmurHash3's
 * fmix32. Two operations per word where MurmurHash3's round took seven
 * (measured: interning was a sixth of the export's CPU). K is odd with
 * K - 1 = 2^4 * odd, so two words' differences cancel only when they are a
 * multiple of 2^28 / 2^v2(distance) apart: a byte lane 16 words apart at
 * the least, which costs a compare of the bytes, never a wrong id. The
 * FNV-1a round used first, (h ^ w) * prime, let neighbouring words cancel
 * (.../mod20/file11.js and .../mod30/file10.js: 90 probes per string).
 */
const K = 0x9e3779b1;
/** Per id: valid UTF-8 unknown (to check), valid, not; or ASCII seen while hashing (valid). */
const UTF8_UNKNOWN = 0;
const UTF8_YES = 1;
const UTF8_NO = 2;

/** MurmurHash3's fmix32 of a hash and its length: every bit of the result depends on every input bit, so the table can mask it. */
function finish(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A pool's strings (SharedArrayBuffers: posted by reference) and counts, as StringPool.take() hands them over. */
export interface PooledStrings {
  readonly arena: Uint8Array;
  readonly meta: Int32Array;
  readonly utf8State: Uint8Array;
  readonly count: number;
  readonly used: number;
}

export class StringPool {
  /** Ids start at 1 (0 is "no string" in the rows' key arrays). */
  count = 0;
  private arena = sharedBytes(1 << 16);
  private arenaView = new DataView(this.arena.buffer);
  private used = 0;
  /** Per id: its start in the arena at 4 id, its length at 4 id + 1, its hash at 4 id + 2 (one cache line: a lookup's second read). */
  private meta = sharedWords(4 * 1024);
  /** Per id: UTF8_UNKNOWN, UTF8_YES, UTF8_NO (asked by every column that draws the string as text). */
  private utf8State = sharedBytes(1024);
  /**
   * Slot s: id << TAG_BITS | the hash's top TAG_BITS bits (EMPTY: free). One word per slot, half the
   * (id, hash) pair's: the table is probed for most strings and missed the cache (its 65536 slots of a
   * busy row group: 256 KB instead of 512 KB); the tag rejects 255 of 256 other strings on a probe.
   */
  private table = new Int32Array(2048);
  private mask = 2047;
  /** Set by the last intern: the bytes hashed were all ASCII. */
  private ascii = false;
  /** Holding strings adopted without their hash table: to be read, not interned into, until reset. */
  private readOnly = false;
  /** Strings given an id without a slot (MAX_PROBES read), over the pool's life: not reset. */
  private unindexedCount = 0;

  /** `tally`: counts this pool's unindexed strings too (an export's, over all its pools). */
  constructor(private readonly tally: { unindexed: number } | null = null) {}

  reset(): void {
    if (this.count > 0 && !this.readOnly) this.table.fill(EMPTY);
    this.readOnly = false;
    this.count = 0;
    this.used = 0;
  }

  /**
   * The strings (bytes, per-id metadata, count), handed to another thread
   * that only reads them (the export's writer thread); this pool is left
   * empty and without buffers until it adopts some.
   */
  take(): PooledStrings {
    const taken: PooledStrings = { arena: this.arena, meta: this.meta, utf8State: this.utf8State, count: this.count, used: this.used };
    this.reset();
    this.adopt({ arena: new Uint8Array(0), meta: new Int32Array(0), utf8State: new Uint8Array(0), count: 0, used: 0 });
    return taken;
  }

  /** Empty buffers as large as `p`'s (DenseColumn.arraysLike says why). */
  static stringsLike(p: PooledStrings): PooledStrings {
    return { arena: sharedBytes(Math.max(p.arena.length, 1 << 16)), meta: sharedWords(Math.max(p.meta.length, 4 * 1024)), utf8State: sharedBytes(Math.max(p.utf8State.length, 1024)), count: 0, used: 0 };
  }

  /**
   * Strings from take() become this pool's, to be read (startOf, bytesOf,
   * isUtf8, ...); or, with count 0, empty buffers to intern into. The hash
   * table is not handed over: a pool given strings is not interned into
   * until reset().
   */
  adopt(p: PooledStrings): void {
    if (this.count > 0 && !this.readOnly) this.table.fill(EMPTY);
    this.arena = p.arena;
    this.arenaView = new DataView(p.arena.buffer, p.arena.byteOffset, p.arena.byteLength);
    this.meta = p.meta;
    this.utf8State = p.utf8State;
    this.count = p.count;
    this.used = p.used;
    this.readOnly = p.count > 0;
  }

  /** Strings this pool gave an id without a slot since it was made (their hashes crowded past MAX_PROBES): not reset. */
  get unindexed(): number {
    return this.unindexedCount;
  }

  /** Bytes held (the writer's memory budget). */
  get bytes(): number {
    return this.arena.length + (this.meta.length + this.table.length) * 4 + this.utf8State.length;
  }

  /** Bytes of the strings kept. */
  get stored(): number {
    return this.used;
  }

  /**
   * The id of the NUL-terminated string at `view[from, ...)` (at most up to
   * `limit`), added when new. `likely` and `likely2`: ids (0: none) to try
   * before the table.
   */
  internCString(view: DataView, src: Uint8Array, from: number, limit: number, likely = 0, likely2 = 0): number {
    let h = 0;
    let bits = 0;
    let i = from;
    for (; i + 4 <= limit; i += 4) {
      const w = view.getInt32(i, true);
      // Has this word a zero byte? (the classic test: a byte borrowed from in w - 0x01010101 that was < 0x80)
      if (((w - 0x01010101) & ~w & 0x80808080) !== 0) break;
      h = (Math.imul(h, K) + w) | 0;
      bits |= w;
    }
    for (; i < limit; i++) {
      const b = src[i];
      if (b === 0) break;
      h = (Math.imul(h, K) + b) | 0;
      bits |= b;
    }
    const len = i - from;
    h = finish(h, len);
    const meta = this.meta;
    if (likely !== 0 && meta[4 * likely + 2] === h && meta[4 * likely + 1] === len && this.same(likely, view, src, from, len)) return likely;
    if (likely2 !== 0 && meta[4 * likely2 + 2] === h && meta[4 * likely2 + 1] === len && this.same(likely2, view, src, from, len)) return likely2;
    this.ascii = (bits & 0x80808080) === 0;
    return this.insert(view, src, from, i, h);
  }

  /**
   * As internCString, trying `same` (an id, 0: none) by its bytes before any hashing: for a string that is
   * nearly always `same` (a comm: the last event's) or, when not, differs from it in its length (path_arg
   * against path: relative against absolute), which is told by one byte. `likely` as internCString's.
   */
  internCStringAs(view: DataView, src: Uint8Array, from: number, limit: number, same: number, likely: number): number {
    if (same !== 0 && this.isCString(same, view, src, from, limit)) return same;
    return this.internCString(view, src, from, limit, likely);
  }

  /** True when the NUL-terminated string at src[from, ...) (at most up to `limit`) is string `id`'s bytes. */
  private isCString(id: number, view: DataView, src: Uint8Array, from: number, limit: number): boolean {
    const len = this.meta[4 * id + 1];
    // The terminator first: a string of another length is told by one byte.
    if (len > limit - from || (from + len < limit && src[from + len] !== 0)) return false;
    const a = this.arenaView;
    const s = this.meta[4 * id];
    let i = 0;
    // Equal words, none with a zero byte (string `id` may hold NULs, if another field interned it: then it is not this C string).
    for (; i + 4 <= len; i += 4) {
      const w = view.getInt32(from + i, true);
      if (w !== a.getInt32(s + i, true) || ((w - 0x01010101) & ~w & 0x80808080) !== 0) return false;
    }
    const arena = this.arena;
    for (; i < len; i++) {
      const b = src[from + i];
      if (b === 0 || b !== arena[s + i]) return false;
    }
    return true;
  }

  /** The id of `src[from, to)` (`view` over the same bytes), added when new; `likely` as internCString's. */
  intern(view: DataView, src: Uint8Array, from: number, to: number, likely = 0): number {
    let h = 0;
    let i = from;
    for (; i + 4 <= to; i += 4) h = (Math.imul(h, K) + view.getInt32(i, true)) | 0;
    for (; i < to; i++) h = (Math.imul(h, K) + src[i]) | 0;
    h = finish(h, to - from);
    if (likely !== 0 && this.meta[4 * likely + 2] === h && this.meta[4 * likely + 1] === to - from && this.same(likely, view, src, from, to - from)) return likely;
    this.ascii = false;
    return this.insert(view, src, from, to, h);
  }

  /**
   * The id of `b` (no DataView to make): its words put together from bytes,
   * so the hash is intern()'s and a pool may mix the two.
   */
  internBytes(b: Uint8Array): number {
    let h = 0;
    const n = b.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) h = (Math.imul(h, K) + (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24))) | 0;
    for (; i < n; i++) h = (Math.imul(h, K) + b[i]) | 0;
    this.ascii = false;
    return this.insert(null, b, 0, n, finish(h, n));
  }

  /** True when string `id` is valid UTF-8 (checked once per row group). */
  isUtf8(id: number): boolean {
    let st = this.utf8State[id];
    if (st === UTF8_UNKNOWN) {
      const s = this.meta[4 * id];
      st = isUtf8(this.arena, s, s + this.meta[4 * id + 1]) ? UTF8_YES : UTF8_NO;
      this.utf8State[id] = st;
    }
    return st === UTF8_YES;
  }

  /** The pool's bytes: string `id` is arena[startOf(id), startOf(id) + lengthOf(id)) (valid until the next intern or reset). */
  get arenaBytes(): Uint8Array {
    return this.arena;
  }

  get arenaDataView(): DataView {
    return this.arenaView;
  }

  startOf(id: number): number {
    return this.meta[4 * id];
  }

  lengthOf(id: number): number {
    return this.meta[4 * id + 1];
  }

  /** The bytes of string `id` (a view into the pool, valid until reset). */
  bytesOf(id: number): Uint8Array {
    const s = this.meta[4 * id];
    return this.arena.subarray(s, s + this.meta[4 * id + 1]);
  }

  private insert(view: DataView | null, src: Uint8Array, from: number, to: number, h: number): number {
    const len = to - from;
    const table = this.table;
    const mask = this.mask;
    const tag = h >>> (32 - TAG_BITS);
    let slot = h & mask;
    let probes = 0;
    for (;;) {
      const e = table[slot];
      if (e === EMPTY) break;
      if ((e & TAG_MASK) === tag) {
        const id = e >>> TAG_BITS;
        if (this.meta[4 * id + 2] === h && this.meta[4 * id + 1] === len && this.same(id, view, src, from, len)) return id;
      }
      // No string is placed further than MAX_PROBES from its slot: past it, this one is not in the table.
      if (++probes === MAX_PROBES) {
        slot = -1;
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (this.readOnly) throw new Error('string pool: interning into strings adopted from another pool');
    if (this.count === MAX_ID) throw new Error(`string pool: more than ${MAX_ID} strings in one row group`);
    const id = ++this.count;
    if (id >= this.utf8State.length) this.growEntries();
    if (this.used + len > this.arena.length) this.growArena(len);
    const at = this.used;
    if (view !== null) copyWords(this.arena, this.arenaView, at, src, view, from, len);
    else this.arena.set(src.subarray(from, to), at);
    const meta = this.meta;
    meta[4 * id] = at;
    meta[4 * id + 1] = len;
    meta[4 * id + 2] = h;
    this.utf8State[id] = this.ascii ? UTF8_YES : UTF8_UNKNOWN;
    this.used += len;
    if (slot >= 0) table[slot] = (id << TAG_BITS) | tag;
    else this.countUnindexed();
    if (this.count * 2 > mask) this.rehash();
    return id;
  }

  private countUnindexed(): void {
    this.unindexedCount++;
    if (this.tally !== null) this.tally.unindexed++;
  }

  private same(id: number, view: DataView | null, src: Uint8Array, from: number, len: number): boolean {
    const a = this.arenaView;
    const s = this.meta[4 * id];
    let i = 0;
    if (view !== null) for (; i + 4 <= len; i += 4) if (a.getInt32(s + i, true) !== view.getInt32(from + i, true)) return false;
    const arena = this.arena;
    for (; i < len; i++) if (arena[s + i] !== src[from + i]) return false;
    return true;
  }

  private growEntries(): void {
    const n = Math.max(this.utf8State.length * 2, 1024);
    const meta = sharedWords(4 * n);
    meta.set(this.meta);
    this.meta = meta;
    const state = sharedBytes(n);
    state.set(this.utf8State);
    this.utf8State = state;
  }

  private growArena(need: number): void {
    // From at least 64 KB: a pool left without buffers by take() grows from nothing.
    let cap = Math.max(this.arena.length * 2, 1 << 16);
    while (cap < this.used + need) cap *= 2;
    const next = sharedBytes(cap);
    next.set(this.arena.subarray(0, this.used));
    this.arena = next;
    this.arenaView = new DataView(next.buffer);
  }

  private rehash(): void {
    const slots = (this.mask + 1) * 2;
    const table = new Int32Array(slots);
    const mask = slots - 1;
    // Each id placed within MAX_PROBES of its slot, as insert() places it, or left out (found no more, as there).
    for (let id = 1; id <= this.count; id++) {
      const h = this.meta[4 * id + 2];
      let slot = h & mask;
      let probes = 0;
      while (table[slot] !== EMPTY && ++probes < MAX_PROBES) slot = (slot + 1) & mask;
      if (table[slot] === EMPTY) table[slot] = (id << TAG_BITS) | (h >>> (32 - TAG_BITS));
    }
    this.table = table;
    this.mask = mask;
  }
}
