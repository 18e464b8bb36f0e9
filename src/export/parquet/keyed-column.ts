/**
 * A column whose value is a function of one thing per row (a capture, a
 * process, a path): the rows hold the thing's small key, the column holds
 * the entries of each key (its levels and value, drawn once), and the row
 * group's keys come as runs. The chunk is written from the runs: levels and
 * dictionary indices one run at a time, equal neighbours merged, so a value
 * shared by a whole row group costs one RLE run whatever the number of rows.
 */
import { type ColumnEncoder, indexWidth, PAGE_BYTES, statistics } from './column-encoder.js';
import { type ValueDictionary } from './dictionary.js';
import { type ParquetFileWriter, type RecordedChunk } from './file-writer.js';
import { Encoding } from './metadata.js';
import { appendPlain, type CellValue, compareOrder, orderKey, type OrderKey } from './plain.js';
import { type RleEncoder } from './rle.js';
import { type Leaf, levelWidth } from './schema.js';

/** The value of a range entry (KeyedColumn.rangeEntry): its bytes are in rangeFrom/rangeTo. */
export const BYTE_RANGE: CellValue = new Uint8Array(0);
/** A range entry whose bytes no other range entry of the chunk has (a whole string of the pool, whose ids are distinct strings): no dictionary lookup. */
export const UNIQUE_RANGE: CellValue = new Uint8Array(0);

/** The row group's keys as runs: run i is `lens[i]` rows of key `keys[i]`. */
export class KeyRuns {
  count = 0;
  keys: Int32Array = new Int32Array(256);
  lens: Int32Array = new Int32Array(256);
  /** Data pages written from these runs (writeKeyLevels), for leaves whose keys give the same levels and values. */
  readonly pages = new LevelPages();

  /** Runs of `rowKeys[0, rows)` (the pages kept for the runs before are let go). */
  scan(rowKeys: Int32Array, rows: number): void {
    this.pages.clear();
    let n = 0;
    let i = 0;
    while (i < rows) {
      const k = rowKeys[i];
      let j = i + 1;
      while (j < rows && rowKeys[j] === k) j++;
      if (n === this.keys.length) this.grow();
      this.keys[n] = k;
      this.lens[n] = j - i;
      n++;
      i = j;
    }
    this.count = n;
  }

  private grow(): void {
    const keys = new Int32Array(this.keys.length * 2);
    keys.set(this.keys);
    const lens = new Int32Array(this.lens.length * 2);
    lens.set(this.lens);
    this.keys = keys;
    this.lens = lens;
  }
}

/**
 * Runs at least this many: a leaf's data page is looked up among the pages of the same runs before it is
 * encoded (fewer runs cost less to encode than to look up and keep).
 */
export const LEVEL_PAGE_RUNS = 64;
/**
 * Pages kept per key column and row group, and their bytes (pages, levels and values copied) at most. The
 * pages given again are a process column's (few keys, small pages); a path column's pages (a key per path)
 * are seldom another leaf's, and are not all kept.
 */
const LEVEL_PAGES_MAX = 64;
const LEVEL_PAGES_BYTES = 512 << 10;

/** A data page written from a key column's runs, and what it was written from. */
interface LevelPage {
  readonly hash: number;
  readonly maxDef: number;
  readonly maxRep: number;
  /** The dictionary indices' bit width, -1 without a dictionary (booleans PLAIN, or no value). */
  readonly width: number;
  readonly defOf: Uint8Array;
  readonly valueOf: Int32Array;
  readonly page: Uint8Array;
  readonly uncompressed: number;
  readonly encoding: number;
  /** What the emitter returned (rows with a value, booleans seen): the chunk's statistics come from it. */
  readonly seen: number;
}

/**
 * The data pages a row group's leaves of one key column wrote (writeKeyLevels). A leaf's page is a function of
 * the runs and, per key, its level and value number (dictionary index, in order of first use), its leaf's
 * maximum levels and the index width: a later leaf whose keys give the same (a process's pid, its start time,
 * its GUID: one value per process, so one index per key) has the same page, byte for byte, and is given the
 * page kept instead of walking the runs and compressing again. Keys no run uses have level and value 0 (their
 * callers' scratch), so only what the rows use is compared. Emptied by every scan.
 */
export class LevelPages {
  private pages: LevelPage[] = [];
  private bytes = 0;

  clear(): void {
    if (this.pages.length > 0) this.pages = [];
    this.bytes = 0;
  }

  /** A page written for these levels and values before, or null. */
  find(hash: number, maxDef: number, maxRep: number, width: number, defOf: Uint8Array, valueOf: Int32Array, keys: number): LevelPage | null {
    for (const p of this.pages) {
      if (p.hash !== hash || p.maxDef !== maxDef || p.maxRep !== maxRep || p.width !== width || p.defOf.length !== keys) continue;
      if (sameLevels(p, defOf, valueOf, keys)) return p;
    }
    return null;
  }

  /** Keeps a page just written (`page` copied), while there is room. */
  keep(hash: number, maxDef: number, maxRep: number, width: number, defOf: Uint8Array, valueOf: Int32Array, keys: number,
    page: Uint8Array, uncompressed: number, encoding: number, seen: number): void {
    const cost = page.length + 5 * keys;
    if (this.pages.length >= LEVEL_PAGES_MAX || this.bytes + cost > LEVEL_PAGES_BYTES) return;
    this.bytes += cost;
    this.pages.push({
      hash, maxDef, maxRep, width, defOf: defOf.slice(0, keys), valueOf: valueOf.slice(0, keys), page: page.slice(), uncompressed, encoding, seen,
    });
  }
}

function sameLevels(p: LevelPage, defOf: Uint8Array, valueOf: Int32Array, keys: number): boolean {
  const d = p.defOf;
  const v = p.valueOf;
  for (let k = 0; k < keys; k++) if (d[k] !== defOf[k] || v[k] !== valueOf[k]) return false;
  return true;
}

/** A hash of each key's level and value number (LevelPages looks pages up by it). */
export function levelsHash(defOf: Uint8Array, valueOf: Int32Array, keys: number): number {
  let h = keys;
  for (let k = 0; k < keys; k++) h = (Math.imul(h, 0x9e3779b1) + ((valueOf[k] << 4) ^ defOf[k])) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

/**
 * A leaf's entries per key: for key k, entries [start[k], start[k+1]), each a
 * repetition level, a definition level and a value (null below maxDef). One
 * entry per key outside lists; a list leaf has one per element.
 */
export class KeyedColumn {
  keys = 0;
  start: Int32Array = new Int32Array(64);
  rep: Uint8Array = new Uint8Array(64);
  def: Uint8Array = new Uint8Array(64);
  values: (CellValue | null)[] = [];
  /**
   * Byte values given as ranges of `src` (rangeEntry: the row group's string
   * pool) instead of a Uint8Array each: their values[i] is BYTE_RANGE. A row
   * group of many distinct paths then makes no object per path and value.
   */
  src: Uint8Array = new Uint8Array(0);
  srcView: DataView = new DataView(this.src.buffer);
  rangeFrom: Int32Array = new Int32Array(64);
  rangeTo: Int32Array = new Int32Array(64);
  private entries = 0;
  /**
   * The last chunk written from one key for all its rows, and what it was
   * written from (that key's entries, the rows): the same again gives the
   * same bytes. A capture's columns (product, version, boot id, profiles)
   * are one key for every row group of its files.
   */
  private recorded: RecordedChunk | null = null;
  private recordedRows = 0;
  /** Whether every key had one entry (writeSingle) when it was recorded. */
  private recordedSingle = false;
  private readonly recordedLevels: number[] = [];
  private readonly recordedValues: (CellValue | RecordedRange | null)[] = [];

  constructor(readonly leaf: Leaf) {}

  reset(): void {
    this.keys = 0;
    this.entries = 0;
    // values keeps its length (entries past `entries` are stale, never read): emptying it let go of its
    // backing store, regrown by every chunk of every row group.
    this.start[0] = 0;
  }

  /** The bytes range entries refer to (`view` over the same bytes). */
  setSource(src: Uint8Array, view: DataView): void {
    this.src = src;
    this.srcView = view;
  }

  /** A defined byte value: src[from, to); `unique`: no other range entry of this chunk has these bytes. */
  rangeEntry(rep: number, from: number, to: number, unique = false): void {
    const i = this.entries;
    if (i >= this.rangeFrom.length) {
      this.rangeFrom = growInt(this.rangeFrom);
      this.rangeTo = growInt(this.rangeTo);
    }
    this.rangeFrom[i] = from;
    this.rangeTo[i] = to;
    this.entry(rep, this.leaf.maxDef, unique ? UNIQUE_RANGE : BYTE_RANGE);
  }

  /** Entry i's value, a range made a Uint8Array (for the rare paths: PLAIN pages, statistics of them). */
  valueAt(i: number): CellValue {
    const v = this.values[i]!;
    return v === BYTE_RANGE || v === UNIQUE_RANGE ? this.src.subarray(this.rangeFrom[i], this.rangeTo[i]) : v;
  }

  /** Opens the next key's entries. */
  beginKey(): void {
    if (this.keys + 2 > this.start.length) this.start = growInt(this.start);
    this.start[this.keys] = this.entries;
    this.keys++;
    this.start[this.keys] = this.entries;
  }

  nullEntry(rep: number, def: number): void {
    this.entry(rep, def, null);
  }

  valueEntry(rep: number, v: CellValue): void {
    if (v === undefined) throw new Error(`parquet: ${this.leaf.keys.join('.')} given undefined`);
    this.entry(rep, this.leaf.maxDef, v);
  }

  /** The chunk recorded from `key`'s entries for `rows` rows, when they equal this row group's; else null. */
  recordedFor(key: number, rows: number, single: boolean): RecordedChunk | null {
    if (this.recorded === null || rows !== this.recordedRows || single !== this.recordedSingle) return null;
    const from = this.start[key];
    const n = this.start[key + 1] - from;
    if (n !== this.recordedValues.length) return null;
    for (let j = 0; j < n; j++) {
      const i = from + j;
      if (this.recordedLevels[j] !== this.rep[i] * 256 + this.def[i]) return null;
      const was = this.recordedValues[j];
      const v = this.values[i];
      if (v === BYTE_RANGE || v === UNIQUE_RANGE) {
        // A range is kept as its bytes, behind its marker (a unique one skips the dictionary's lookup: not the same chunk if that differs).
        if (!(was instanceof RecordedRange) || was.marker !== v || !sameAsBytes(this.src, this.rangeFrom[i], this.rangeTo[i], was.bytes)) return null;
      } else if (v instanceof Uint8Array) {
        if (!(was instanceof Uint8Array) || !sameAsBytes(v, 0, v.length, was)) return null;
      } else if (v !== was) {
        return null;
      }
    }
    return this.recorded;
  }

  /** Keeps `chunk`, written from `key`'s entries for `rows` rows. */
  record(key: number, rows: number, single: boolean, chunk: RecordedChunk): void {
    this.recorded = chunk;
    this.recordedRows = rows;
    this.recordedSingle = single;
    this.recordedLevels.length = 0;
    this.recordedValues.length = 0;
    for (let i = this.start[key]; i < this.start[key + 1]; i++) {
      this.recordedLevels.push(this.rep[i] * 256 + this.def[i]);
      const v = this.values[i];
      if (v === BYTE_RANGE || v === UNIQUE_RANGE) this.recordedValues.push(new RecordedRange(v, this.src.slice(this.rangeFrom[i], this.rangeTo[i])));
      else this.recordedValues.push(v instanceof Uint8Array ? v.slice() : v);
    }
  }

  entry(rep: number, def: number, value: CellValue | null): void {
    if (this.entries === this.rep.length) {
      this.rep = growBytes(this.rep);
      this.def = growBytes(this.def);
    }
    this.rep[this.entries] = rep;
    this.def[this.entries] = def;
    this.values[this.entries] = value;
    this.entries++;
    this.start[this.keys] = this.entries;
  }
}

/** A range entry's bytes as recorded (KeyedColumn.record), with its marker. */
class RecordedRange {
  constructor(readonly marker: CellValue, readonly bytes: Uint8Array) {}
}

/** True when src[from, to) holds `b`'s bytes. */
export function sameAsBytes(src: Uint8Array, from: number, to: number, b: Uint8Array): boolean {
  if (to - from !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (src[from + i] !== b[i]) return false;
  return true;
}

function growInt(a: Int32Array): Int32Array {
  const next = new Int32Array(a.length * 2);
  next.set(a);
  return next;
}

function growBytes(a: Uint8Array): Uint8Array {
  const next = new Uint8Array(a.length * 2);
  next.set(a);
  return next;
}

/**
 * Which keys `runs` use (1), by key, for `keys` keys: given to
 * writeKeyedColumn by a caller that writes several leaves of the same keys.
 */
export function usedKeys(runs: KeyRuns, keys: number): Uint8Array {
  const used = new Uint8Array(keys);
  for (let r = 0; r < runs.count; r++) used[runs.keys[r]] = 1;
  return used;
}

/** Per-chunk scratch of writeKeyedColumn and writeSingle, kept between chunks (a chunk of a row group of 20k paths: 80 KB each). */
const chunkScratch = { index: new Int32Array(1024), defOf: new Uint8Array(1024), valueOf: new Int32Array(1024) };

/**
 * Writes a keyed leaf as one column chunk of `rows` rows: dictionary-encoded
 * from its keys' values, booleans PLAIN; a list leaf (several entries per
 * key) or a dictionary too large for its page are written row by row.
 * `used`: usedKeys(runs, col.keys), when the caller has it.
 */
export function writeKeyedColumn(file: ParquetFileWriter, enc: ColumnEncoder, col: KeyedColumn, runs: KeyRuns, rows: number, used = usedKeys(runs, col.keys)): void {
  if (rows === 0) throw new Error('parquet: a row group needs rows');
  if (used.length < col.keys) throw new Error('parquet: a keyed column has more keys than its used marks');
  const leaf = col.leaf;
  // Only keys the runs use give values: a dictionary (and min/max) of exactly the chunk's values.
  let single = true;
  for (let k = 0; k < col.keys && single; k++) if (col.start[k + 1] - col.start[k] !== 1) single = false;
  // One key for every row: the chunk is a function of that key's entries and the rows, as written for an earlier row group maybe.
  const oneKey = runs.count === 1 ? runs.keys[0] : -1;
  if (oneKey >= 0) {
    const recorded = col.recordedFor(oneKey, rows, single);
    if (recorded !== null) {
      file.repeatColumn(leaf, recorded);
      return;
    }
  }
  file.beginColumn(leaf, oneKey >= 0);
  const isBool = leaf.physical === 'BOOLEAN';
  let dict: ValueDictionary | null = isBool ? null : enc.dictionary(leaf);
  if (chunkScratch.index.length < col.start[col.keys]) chunkScratch.index = new Int32Array(col.start[col.keys] * 2);
  // Read only at defined entries of used keys, each written below first.
  const index = chunkScratch.index;
  let defined = 0;
  // The value given to the key before, and its index: a value every key of a path column has (a file's type) is looked up once.
  let lastValue: CellValue | null = null;
  let lastIndex = 0;
  // Likewise the last byte range: keys in order of first use often share it (the files of one folder: its parent_folder).
  let rangeFrom = 0;
  let rangeTo = -1;
  let rangeIndex = 0;
  for (let k = 0; k < col.keys; k++) {
    if (used[k] === 0) continue;
    for (let i = col.start[k]; i < col.start[k + 1]; i++) {
      if (col.def[i] !== leaf.maxDef) continue;
      defined++;
      if (dict === null) continue;
      const v = col.values[i]!;
      if (v === BYTE_RANGE) {
        const from = col.rangeFrom[i];
        const to = col.rangeTo[i];
        if (to - from === rangeTo - rangeFrom && sameBytes(col.srcView, col.src, from, rangeFrom, to - from)) {
          index[i] = rangeIndex;
        } else {
          rangeIndex = index[i] = dict.addRange(col.src, col.srcView, from, to);
          rangeFrom = from;
          rangeTo = to;
        }
      } else if (v === UNIQUE_RANGE) {
        index[i] = dict.addUniqueRange(col.src, col.srcView, col.rangeFrom[i], col.rangeTo[i]);
      } else if (v === lastValue) {
        index[i] = lastIndex;
      } else {
        lastIndex = index[i] = dict.add(v);
        lastValue = v;
      }
      if (dict.overflowed) dict = null;
    }
  }
  // Every value null: no dictionary (an empty dictionary page is legal, but not every reader takes one), no values.
  if (defined === 0) dict = null;
  const recorded = single && (dict !== null || isBool || defined === 0) ? writeSingle(file, enc, col, runs, rows, dict, index, used)
    : writeRowByRow(file, enc, col, runs, used, dict, index);
  if (oneKey >= 0) col.record(oneKey, rows, single, recorded!);
}

/** One entry per key: levels and values straight from the runs, in one pass. */
function writeSingle(file: ParquetFileWriter, enc: ColumnEncoder, col: KeyedColumn, runs: KeyRuns, rows: number, dict: ValueDictionary | null, index: Int32Array,
  used: Uint8Array): RecordedChunk | null {
  const leaf = col.leaf;
  // Each key's one entry as a level and a value number (dictionary index, or the boolean): the loops after read only typed arrays.
  const { defOf, valueOf } = keyScratch(col.keys);
  // Every row defined (a path every row of the class has): its levels are one run, not a level per row.
  let allDefined = true;
  for (let k = 0; k < col.keys; k++) {
    const at = col.start[k];
    const d = col.def[at];
    // A key no row uses: level 0 (LevelPages compares only what the rows use).
    defOf[k] = used[k] === 0 ? 0 : d;
    // A key no row uses may hold a stale index (its entry was never given a value): never read.
    valueOf[k] = used[k] === 0 || d !== leaf.maxDef ? 0 : dict !== null ? index[at] : col.values[at] ? 1 : 0;
    if (used[k] !== 0 && d !== leaf.maxDef) allDefined = false;
  }
  return writeKeyLevels(file, enc, leaf, runs, rows, dict, defOf, valueOf, allDefined, col.keys);
}

/** Per-key scratch for writeKeyLevels, at least `keys` long (kept between chunks). */
export function keyScratch(keys: number): { defOf: Uint8Array; valueOf: Int32Array } {
  if (chunkScratch.defOf.length < keys) {
    chunkScratch.defOf = new Uint8Array(keys * 2);
    chunkScratch.valueOf = new Int32Array(keys * 2);
  }
  return chunkScratch;
}

/**
 * The chunk of a leaf with one entry per key, from each key's level and
 * value number (`defOf`, `valueOf`: dictionary index, or the boolean; 0,
 * both, for a key no run uses) and the chunk's dictionary. `allDefined`:
 * every key the runs use is at maxDef. `keys`: the key column's keys
 * (defOf and valueOf hold at least as many). The data page is one an
 * earlier leaf of these runs wrote, when it was written from the same
 * (LevelPages).
 */
export function writeKeyLevels(file: ParquetFileWriter, enc: ColumnEncoder, leaf: Leaf, runs: KeyRuns, rows: number, dict: ValueDictionary | null,
  defOf: Uint8Array, valueOf: Int32Array, allDefined: boolean, keys: number): RecordedChunk | null {
  if (dict !== null) file.dictionaryPage(dict.plain.written(), dict.count);
  const width = dict !== null ? indexWidth(dict.count) : -1;
  const encoding = dict !== null ? Encoding.RLE_DICTIONARY : Encoding.PLAIN;
  const pages = runs.count >= LEVEL_PAGE_RUNS ? runs.pages : null;
  let hash = 0;
  if (pages !== null) {
    hash = levelsHash(defOf, valueOf, keys);
    const p = pages.find(hash, leaf.maxDef, leaf.maxRep, width, defOf, valueOf, keys);
    if (p !== null) {
      file.compressedDataPage(p.uncompressed, p.page, rows, encoding);
      return endKeyLevels(file, leaf, rows, dict, p.seen);
    }
  }
  const body = enc.body;
  body.reset();
  // Outside lists every entry starts a row; a list leaf with one element per key still has repetition levels, all 0.
  if (leaf.maxRep > 0) enc.levels(leaf.maxRep, (rle) => rle.run(0, rows));
  const values = enc.values;
  values.reset();
  if (dict !== null) {
    values.u8(width);
    enc.valueRle.start(values, width);
  } else {
    enc.bits.start(values);
  }
  const sink: ValueRuns = dict !== null ? enc.valueRle : enc.bits;
  // The same level and value for every key the rows use (a class name, a file type): one run, whatever the keys do.
  // Dictionary indices: the encoder walks the key runs itself (keys that change nearly every row, a path: no call per run, no rows laid out).
  const how = oneLevelAndValue(runs, defOf, valueOf, leaf.maxDef) ? EMIT_CONSTANT : dict !== null ? (allDefined ? EMIT_DEFINED_KEY_RUNS : EMIT_KEY_RUNS) : EMIT_RUNS;
  let seen: number;
  if (leaf.maxDef > 0) {
    const at = body.length;
    body.u32(0);
    enc.rle.start(body, levelWidth(leaf.maxDef));
    seen = emitBy(how, runs, rows, defOf, valueOf, leaf.maxDef, enc.rle, sink);
    enc.rle.finish();
    body.patchU32(at, body.length - at - 4);
  } else {
    seen = emitBy(how, runs, rows, defOf, valueOf, leaf.maxDef, null, sink);
  }
  if (dict !== null) enc.valueRle.finish();
  else enc.bits.finish();
  body.append(values.written());
  const page = file.dataPage(body.written(), rows, encoding);
  pages?.keep(hash, leaf.maxDef, leaf.maxRep, width, defOf, valueOf, keys, page, body.length, encoding, seen);
  return endKeyLevels(file, leaf, rows, dict, seen);
}

/** Closes a writeKeyLevels chunk: its statistics from the dictionary, or for booleans from what the emitter `seen`. */
function endKeyLevels(file: ParquetFileWriter, leaf: Leaf, rows: number, dict: ValueDictionary | null, seen: number): RecordedChunk | null {
  const nulls = rows - (seen & 0x3fffffff);
  if (dict !== null) return file.endColumn(statistics(leaf, nulls, dict.min, dict.max));
  // Booleans: which of false (bit 30) and true (bit 31 as the sign) were seen.
  const any0 = (seen & 0x40000000) !== 0;
  const any1 = seen < 0;
  return file.endColumn(statistics(leaf, nulls, any0 || any1 ? (any0 ? 0 : 1) : null, any0 || any1 ? (any1 ? 1 : 0) : null));
}

/**
 * True when every key the runs use has the same level, and the same value
 * if defined. A loop of its own, out of writeKeyLevels: V8 compiled the
 * caller on-stack at its first long loop, before the code after the loop
 * had run, and that code then gave up (deoptimised) after the loop at each
 * of ~150 later calls (the work capture's export, --trace-deopt).
 */
function oneLevelAndValue(runs: KeyRuns, defOf: Uint8Array, valueOf: Int32Array, maxDef: number): boolean {
  const keys = runs.keys;
  const k0 = keys[0];
  const d0 = defOf[k0];
  const v0 = valueOf[k0];
  for (let r = 1; r < runs.count; r++) {
    const k = keys[r];
    if (defOf[k] !== d0 || (d0 === maxDef && valueOf[k] !== v0)) return false;
  }
  return true;
}

const EMIT_CONSTANT = 0;
const EMIT_DEFINED_KEY_RUNS = 1;
const EMIT_KEY_RUNS = 2;
const EMIT_RUNS = 3;

/**
 * The emitter `how` names, called directly: one call site per emitter (a call through a variable was a deopt each time its target
 * changed). `rows`: the rows the runs cover (the chunk's), not counted again from the runs (a path column has a run per row).
 */
function emitBy(how: number, runs: KeyRuns, rows: number, defOf: Uint8Array, valueOf: Int32Array, max: number, defs: RleEncoder | null, values: ValueRuns): number {
  switch (how) {
    case EMIT_CONSTANT: return emitConstant(runs, rows, defOf, valueOf, max, defs, values);
    case EMIT_DEFINED_KEY_RUNS: return emitDefinedKeyRuns(runs, rows, valueOf, max, defs, values);
    case EMIT_KEY_RUNS: return emitKeyRuns(runs, defOf, valueOf, max, defs, values);
    default: return emitRuns(runs, defOf, valueOf, max, defs, values);
  }
}

/** Where a keyed column's values go, a run at a time: dictionary indices (RLE) or booleans (PLAIN bits). */
interface ValueRuns { run(value: number, count: number): void }

/** True when src[a, a + n) and src[b, b + n) hold the same bytes (`view` over src); compared from the end, where paths differ. */
export function sameBytes(view: DataView, src: Uint8Array, a: number, b: number, n: number): boolean {
  if (a === b) return true;
  let i = n;
  for (; i >= 4; i -= 4) if (view.getInt32(a + i - 4, true) !== view.getInt32(b + i - 4, true)) return false;
  for (; i > 0; i--) if (src[a + i - 1] !== src[b + i - 1]) return false;
  return true;
}

/** As emitRuns, for runs (over `rows` rows) whose keys all give the same level and value. */
function emitConstant(runs: KeyRuns, rows: number, defOf: Uint8Array, valueOf: Int32Array, max: number, defs: RleEncoder | null, values: ValueRuns): number {
  const k = runs.keys[0];
  defs?.run(defOf[k], rows);
  if (defOf[k] !== max) return 0;
  values.run(valueOf[k], rows);
  return rows | (valueOf[k] === 0 ? 1 << 30 : valueOf[k] === 1 ? 1 << 31 : 0);
}

/** As emitRuns, for dictionary indices: the levels and values walked by the encoders (RleEncoder.keyLevels, keyRuns). */
function emitKeyRuns(runs: KeyRuns, defOf: Uint8Array, valueOf: Int32Array, max: number, defs: RleEncoder | null, values: ValueRuns): number {
  defs?.keyLevels(runs.keys, runs.lens, runs.count, defOf);
  return (values as RleEncoder).keyRuns(runs.keys, runs.lens, runs.count, valueOf, defOf, max);
}

/** As emitKeyRuns, for runs (over `rows` rows) whose keys are all defined: the levels one run. */
function emitDefinedKeyRuns(runs: KeyRuns, rows: number, valueOf: Int32Array, max: number, defs: RleEncoder | null, values: ValueRuns): number {
  defs?.run(max, rows);
  return (values as RleEncoder).keyRuns(runs.keys, runs.lens, runs.count, valueOf, null, max);
}

/**
 * The definition levels of the runs into `defs`, and the values of the
 * defined ones into `values`, neighbours with equal levels (values) merged.
 * Returns the rows with a value, with bit 30 set if a 0 value was written
 * and bit 31 if a 1 was (booleans' statistics).
 */
function emitRuns(runs: KeyRuns, defOf: Uint8Array, valueOf: Int32Array, max: number, defs: RleEncoder | null, values: ValueRuns): number {
  const keys = runs.keys;
  const lens = runs.lens;
  let curDef = -1;
  let defN = 0;
  let curVal = -1;
  let valN = 0;
  let defined = 0;
  let any0 = 0;
  let any1 = 0;
  for (let r = 0; r < runs.count; r++) {
    const k = keys[r];
    const n = lens[r];
    const d = defOf[k];
    if (d === curDef) {
      defN += n;
    } else {
      if (defN > 0 && defs !== null) defs.run(curDef, defN);
      curDef = d;
      defN = n;
    }
    if (d !== max) continue;
    defined += n;
    const v = valueOf[k];
    if (v === curVal) {
      valN += n;
    } else {
      if (valN > 0) values.run(curVal, valN);
      curVal = v;
      valN = n;
      if (v === 0) any0 = 1; else if (v === 1) any1 = 1;
    }
  }
  if (defN > 0 && defs !== null) defs.run(curDef, defN);
  if (valN > 0) values.run(curVal, valN);
  return defined | (any0 << 30) | (any1 << 31);
}

/**
 * Row by row: a list leaf (each row repeats its key's entries) or a
 * dictionary that outgrew its limit (PLAIN values, pages of about PAGE_BYTES).
 * The chunk's entries are laid out first (levels, and which key entry each
 * one is), then written page by page.
 *
 * Each loop is a function of its own (as oneLevelAndValue's): in one
 * function, V8 compiled it on-stack at the layout's loop, before the pages'
 * code had run, and threw that code away when it got there (work capture:
 * writeRowByRow compiled 6 times, ~95 ms of the compiler's CPU beyond its
 * first).
 */
function writeRowByRow(file: ParquetFileWriter, enc: ColumnEncoder, col: KeyedColumn, runs: KeyRuns, used: Uint8Array,
  dict: ValueDictionary | null, index: Int32Array): RecordedChunk | null {
  const leaf = col.leaf;
  if (dict !== null) file.dictionaryPage(dict.plain.written(), dict.count);
  const total = entriesOf(col, runs);
  const reps = new Uint8Array(total);
  const defs = new Uint8Array(total);
  const from = new Int32Array(total);
  const nulls = layEntries(col, runs, reps, defs, from);
  let e0 = 0;
  while (e0 < total) {
    const values = enc.values;
    values.reset();
    let e1: number;
    if (dict !== null) {
      e1 = total;
      dictionaryValues(enc, dict, defs, from, index, leaf.maxDef, e0, e1);
    } else if (leaf.physical === 'BOOLEAN') {
      e1 = total;
      booleanValues(enc, col, defs, from, e0, e1);
    } else {
      e1 = plainValues(enc, col, reps, defs, from, e0, total);
    }
    const body = enc.body;
    body.reset();
    if (leaf.maxRep > 0) enc.levels(leaf.maxRep, (rle) => rle.array(reps, e0, e1));
    if (leaf.maxDef > 0) enc.levels(leaf.maxDef, (rle) => rle.array(defs, e0, e1));
    body.append(values.written());
    file.dataPage(body.written(), e1 - e0, dict !== null ? Encoding.RLE_DICTIONARY : Encoding.PLAIN);
    e0 = e1;
  }
  if (dict !== null) return file.endColumn(statistics(leaf, nulls, dict.min, dict.max));
  const [min, max] = plainRange(col, used);
  return file.endColumn(statistics(leaf, nulls, min, max));
}

/** Level entries the runs' rows have: each row repeats its key's entries. */
function entriesOf(col: KeyedColumn, runs: KeyRuns): number {
  let total = 0;
  for (let r = 0; r < runs.count; r++) total += runs.lens[r] * (col.start[runs.keys[r] + 1] - col.start[runs.keys[r]]);
  return total;
}

/** Each entry's levels, and the key entry it repeats (`from`), row by row; returns the entries below maxDef. */
function layEntries(col: KeyedColumn, runs: KeyRuns, reps: Uint8Array, defs: Uint8Array, from: Int32Array): number {
  const max = col.leaf.maxDef;
  let e = 0;
  let nulls = 0;
  for (let r = 0; r < runs.count; r++) {
    const s = col.start[runs.keys[r]];
    const end = col.start[runs.keys[r] + 1];
    for (let t = 0; t < runs.lens[r]; t++) {
      for (let i = s; i < end; i++) {
        reps[e] = col.rep[i];
        defs[e] = col.def[i];
        if (col.def[i] !== max) nulls++;
        from[e++] = i;
      }
    }
  }
  return nulls;
}

/** Entries [e0, e1)'s dictionary indices into enc.values (one page: indices are small). */
function dictionaryValues(enc: ColumnEncoder, dict: ValueDictionary, defs: Uint8Array, from: Int32Array, index: Int32Array, max: number, e0: number, e1: number): void {
  const width = indexWidth(dict.count);
  enc.values.u8(width);
  const indices = new Int32Array(e1 - e0);
  let n = 0;
  for (let i = e0; i < e1; i++) if (defs[i] === max) indices[n++] = index[from[i]];
  enc.valueRle.start(enc.values, width);
  enc.valueRle.array(indices, 0, n);
  enc.valueRle.finish();
}

/** Entries [e0, e1)'s booleans into enc.values (PLAIN bits). */
function booleanValues(enc: ColumnEncoder, col: KeyedColumn, defs: Uint8Array, from: Int32Array, e0: number, e1: number): void {
  const max = col.leaf.maxDef;
  enc.bits.start(enc.values);
  for (let i = e0; i < e1; i++) if (defs[i] === max) enc.bits.run(col.values[from[i]] ? 1 : 0, 1);
  enc.bits.finish();
}

/** PLAIN values from entry e0 into enc.values, up to about PAGE_BYTES and a row's first entry (or `total`); returns where the page ends. */
function plainValues(enc: ColumnEncoder, col: KeyedColumn, reps: Uint8Array, defs: Uint8Array, from: Int32Array, e0: number, total: number): number {
  const leaf = col.leaf;
  const values = enc.values;
  let e1 = e0;
  while (e1 < total && (e1 === e0 || reps[e1] !== 0 || values.length < PAGE_BYTES)) {
    if (defs[e1] === leaf.maxDef) appendPlain(values, leaf.value, col.valueAt(from[e1]));
    e1++;
  }
  return e1;
}

/** The least and greatest defined value of the keys the rows use (PLAIN chunks' statistics). */
function plainRange(col: KeyedColumn, used: Uint8Array): [OrderKey | null, OrderKey | null] {
  const leaf = col.leaf;
  let min: OrderKey | null = null;
  let max: OrderKey | null = null;
  for (let k = 0; k < col.keys; k++) {
    if (used[k] === 0) continue;
    for (let i = col.start[k]; i < col.start[k + 1]; i++) {
      if (col.def[i] !== leaf.maxDef) continue;
      const o = orderKey(leaf.value, col.valueAt(i));
      if (min === null || compareOrder(o, min) < 0) min = o;
      if (max === null || compareOrder(o, max) > 0) max = o;
    }
  }
  return [min, max];
}
