/**
 * A leaf's values for one row group, held per level entry: definition and
 * repetition levels as bytes, non-null values packed in order (PLAIN's own
 * layout for fixed-width integers, so a value is written once, straight from
 * record bytes, and a page is a copy). Filled by callers that know their
 * column (the export writes record fields directly) or by the row shredder.
 */
import { ByteSink } from './byte-sink.js';
import { bytesOf, type CellValue, integerOf, ValueError } from './plain.js';
import { type Leaf } from './schema.js';
import { sharedBytes, sharedWords } from '../shared-memory.js';

const INITIAL = 1024;
/** What a column holds between take() and adopt(). */
const NO_BYTES = new Uint8Array(0);
const NO_WORDS = new Int32Array(0);

/** A column's buffers (SharedArrayBuffers: posted by reference) and counts, as DenseColumn.take() hands them over. */
export interface DenseArrays {
  readonly n: number;
  readonly nValues: number;
  readonly defs: Uint8Array | null;
  readonly reps: Uint8Array | null;
  readonly fixed: Uint8Array;
  readonly ends: Int32Array;
  readonly arena: Uint8Array | null;
  readonly arenaLength: number;
}

export class DenseColumn {
  /** Level entries (rows, for a leaf outside lists). */
  n = 0;
  /** Non-null values. */
  nValues = 0;
  /** Definition level per entry; null when every entry is defined (the writer then writes one run). */
  defs: Uint8Array | null;
  /** Repetition level per entry; null outside lists. */
  reps: Uint8Array | null;
  /** Fixed-width values, little-endian (INT32: 4 bytes, INT64: 8); booleans one byte each. */
  fixed: Uint8Array;
  /** The same values as 32-bit words (an INT64 is two: low, high). */
  fixed32: Int32Array;
  /** Byte arrays: their bytes back to back, and where each ends. */
  readonly arena: ByteSink | null;
  ends: Int32Array;
  readonly width: number;

  /** `nullLevel`: the level every entry starts at (a column filled for some rows only: its parents are there, it is null). */
  constructor(readonly leaf: Leaf, private readonly alwaysDefined = false, private readonly nullLevel = 0) {
    this.width = leaf.physical === 'INT64' ? 8 : leaf.physical === 'INT32' ? 4 : leaf.physical === 'BOOLEAN' ? 1 : 0;
    this.defs = leaf.maxDef > 0 && !alwaysDefined ? sharedBytes(INITIAL).fill(nullLevel) : null;
    this.reps = leaf.maxRep > 0 ? sharedBytes(INITIAL) : null;
    this.fixed = sharedBytes(this.width > 0 ? INITIAL * this.width : 0);
    this.fixed32 = new Int32Array(this.fixed.buffer, 0, this.fixed.length >> 2);
    this.arena = this.width === 0 ? new ByteSink(INITIAL * 16, true) : null;
    this.ends = sharedWords(this.width === 0 ? INITIAL : 0);
    this.valueCapacity = INITIAL;
  }

  /**
   * The column's buffers and counts, handed to another thread (the export's
   * writer thread: export/row-group-thread.ts). The column is left without
   * buffers (nothing is allocated: buffers allocated per row group on each
   * side grew both threads' external memory and with it their full GCs):
   * give it some with adopt() before it is filled again.
   */
  take(): DenseArrays {
    const a: DenseArrays = {
      n: this.n, nValues: this.nValues, defs: this.defs, reps: this.reps, fixed: this.fixed, ends: this.ends,
      arena: this.arena === null ? null : this.arena.bytes, arenaLength: this.arena === null ? 0 : this.arena.length,
    };
    this.n = 0;
    this.nValues = 0;
    this.defs = this.defs === null ? null : NO_BYTES;
    this.reps = this.reps === null ? null : NO_BYTES;
    this.fixed = NO_BYTES;
    this.fixed32 = NO_WORDS;
    this.ends = NO_WORDS;
    this.arena?.adopt(NO_BYTES, 0);
    this.valueCapacity = 0;
    return a;
  }

  /**
   * Empty buffers as large as `a`'s (this column's, from take()): a builder
   * that hands over a full row group and has none given back gathers the
   * next into buffers of the size it needed, not grown again from INITIAL
   * (each doubling a new SharedArrayBuffer and a copy: most of the work
   * capture's ~45 MB allocated per set of buffers).
   */
  arraysLike(a: DenseArrays): DenseArrays {
    return {
      n: 0, nValues: 0, defs: a.defs === null ? null : sharedBytes(a.defs.length).fill(this.nullLevel), reps: a.reps === null ? null : sharedBytes(a.reps.length),
      fixed: sharedBytes(a.fixed.length), ends: sharedWords(a.ends.length), arena: a.arena === null ? null : sharedBytes(a.arena.length), arenaLength: 0,
    };
  }

  /** Buffers and counts from take() (another column's of the same leaf) become this column's. */
  adopt(a: DenseArrays): void {
    if ((a.defs === null) !== (this.defs === null) || (a.reps === null) !== (this.reps === null) || (a.arena === null) !== (this.arena === null)) {
      throw new Error(`parquet: buffers of another kind of column given to ${this.leaf.path.join('.')}`);
    }
    this.n = a.n;
    this.nValues = a.nValues;
    this.defs = a.defs;
    this.reps = a.reps;
    this.fixed = a.fixed;
    this.fixed32 = new Int32Array(this.fixed.buffer, 0, this.fixed.length >> 2);
    this.ends = a.ends;
    if (this.arena !== null) this.arena.adopt(a.arena!, a.arenaLength);
    this.valueCapacity = this.width > 0 ? this.fixed.length / this.width : this.ends.length;
  }

  /** Empties the column, keeping its memory; with `nullLevel`, every entry's level starts at it (a column filled for some rows only). */
  reset(nullLevel = 0): void {
    if (this.defs !== null) this.defs.fill(nullLevel, 0, Math.max(this.n, 0));
    this.n = 0;
    this.nValues = 0;
    this.arena?.reset();
  }

  /** Room for `entries` level entries and as many values. */
  ensure(entries: number, nullLevel = 0): void {
    this.ensureLevels(entries, nullLevel);
    this.ensureValues(entries);
  }

  /**
   * Room for `entries` level entries only. A column most rows leave null (a
   * field of one kind in a class of many) then holds a byte per row and its
   * values, not a value slot per row: grow values with ensureValues.
   */
  ensureLevels(entries: number, nullLevel = 0): void {
    if (this.defs !== null && this.defs.length < entries) this.defs = grow(this.defs, entries, nullLevel);
    if (this.reps !== null && this.reps.length < entries) this.reps = grow(this.reps, entries, 0);
  }

  /** Room for `values` non-null values. */
  ensureValues(values: number): void {
    if (this.width > 0 && this.fixed.length < values * this.width) {
      this.fixed = grow(this.fixed, values * this.width, 0);
      this.fixed32 = new Int32Array(this.fixed.buffer, 0, this.fixed.length >> 2);
    }
    if (this.width === 0 && this.ends.length < values) {
      const next = sharedWords(capacityFor(this.ends.length, values));
      next.set(this.ends);
      this.ends = next;
    }
    this.valueCapacity = this.width > 0 ? this.fixed.length / this.width : this.ends.length;
  }

  /** Values the buffers hold without growing (kept as a field: read for every value the export copies). */
  valueCapacity = 0;

  /** Bytes the gathered entries use (levels and values; not the spare capacity). */
  get usedBytes(): number {
    return (this.defs !== null ? this.n : 0) + (this.reps !== null ? this.n : 0) + (this.width > 0 ? this.nValues * this.width : this.nValues * 4 + (this.arena?.length ?? 0));
  }

  /** Bytes held (for the writer's memory budget). */
  get bytes(): number {
    return (this.defs?.length ?? 0) + (this.reps?.length ?? 0) + this.fixed.length + this.ends.length * 4 + (this.arena?.bytes.length ?? 0);
  }

  nullEntry(rep: number, def: number): void {
    this.pushNull(rep, def);
  }

  valueEntry(rep: number, v: CellValue): void {
    pushValue(this, rep, v);
  }

  /** Appends an entry without a value (null at `def`, or an empty list). */
  pushNull(rep: number, def: number): void {
    this.ensure(this.n + 1);
    if (this.reps !== null) this.reps[this.n] = rep;
    this.defs![this.n++] = def;
  }

  /** Appends a defined entry and returns where its value goes: write it with the setters below. */
  pushDefined(rep: number): number {
    this.ensure(this.n + 1);
    if (this.reps !== null) this.reps[this.n] = rep;
    if (this.defs !== null) this.defs[this.n] = this.leaf.maxDef;
    this.n++;
    return this.nValues++;
  }

  setU32(at: number, v: number): void {
    const i = at * 4;
    const f = this.fixed;
    f[i] = v;
    f[i + 1] = v >>> 8;
    f[i + 2] = v >>> 16;
    f[i + 3] = v >>> 24;
  }

  /** A 64-bit value as its unsigned 32-bit halves. */
  setU64(at: number, lo: number, hi: number): void {
    this.setU32(at * 2, lo);
    this.setU32(at * 2 + 1, hi);
  }

  setBool(at: number, v: boolean): void {
    this.fixed[at] = v ? 1 : 0;
  }

  /** A byte array value (the next one: byte arrays are appended in order). */
  appendBytes(src: Uint8Array, from = 0, to = src.length): void {
    this.arena!.appendRange(src, from, to);
    this.ends[this.nValues - 1] = this.arena!.length;
  }
}

function capacityFor(have: number, need: number): number {
  let cap = Math.max(have, INITIAL);
  while (cap < need) cap *= 2;
  return cap;
}

function grow(a: Uint8Array, need: number, fill: number): Uint8Array {
  const next = sharedBytes(capacityFor(a.length, need));
  next.set(a);
  if (fill !== 0) next.fill(fill, a.length);
  return next;
}

/** A JS value into a dense column, as its physical type stores it. */
export function pushValue(col: DenseColumn, rep: number, v: CellValue): void {
  const leaf: Leaf = col.leaf;
  switch (leaf.physical) {
    case 'BYTE_ARRAY': {
      const b = bytesOf(v, leaf.value);
      col.pushDefined(rep);
      col.appendBytes(b);
      return;
    }
    case 'INT32': {
      const x = Number(BigInt.asUintN(32, integerOf(v, leaf.value)));
      col.setU32(col.pushDefined(rep), x);
      return;
    }
    case 'INT64': {
      const x = BigInt.asUintN(64, integerOf(v, leaf.value));
      col.setU64(col.pushDefined(rep), Number(x & 0xffffffffn), Number(x >> 32n));
      return;
    }
    case 'BOOLEAN':
      if (typeof v !== 'boolean') throw new ValueError(`parquet: boolean column ${leaf.keys.join('.')} given ${typeof v}`);
      col.setBool(col.pushDefined(rep), v);
  }
}
