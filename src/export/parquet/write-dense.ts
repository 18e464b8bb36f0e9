/**
 * A DenseColumn (a value per entry) as one column chunk: data pages v1
 * (repetition levels, definition levels, values; compressed as one) of
 * about PAGE_BYTES each, integers and booleans PLAIN, byte arrays
 * dictionary-encoded when they repeat enough (one page then: indices are
 * small), and the chunk's statistics (null count, min and max by the
 * column's order).
 */
import { type ByteSink } from './byte-sink.js';
import { type ColumnEncoder, indexWidth, PAGE_BYTES, statistics } from './column-encoder.js';
import { type DenseColumn } from './dense-column.js';
import { type ValueDictionary } from './dictionary.js';
import { type ParquetFileWriter } from './file-writer.js';
import { Encoding, type Statistics } from './metadata.js';
import { plainBooleans } from './plain.js';

/** Writes `col` (entries [0, col.n), `rows` rows) as one column chunk of `file`'s current row group. */
export function writeDenseColumn(file: ParquetFileWriter, enc: ColumnEncoder, col: DenseColumn): void {
  const leaf = col.leaf;
  file.beginColumn(leaf);
  const isInt = leaf.physical === 'INT32' || leaf.physical === 'INT64';
  const stats = isInt ? denseStatistics(col) : null;
  if (stats !== null && stats.min !== null && Buffer.compare(stats.min, stats.max!) === 0) {
    // One value for the whole chunk (a uid, a cgroup, a schema version): a one-entry dictionary and one RLE run, nothing per row to compress.
    file.dictionaryPage(stats.min, 1);
    const body = enc.body;
    body.reset();
    writeLevels(enc, col, 0, col.n);
    body.u8(1);
    enc.valueRle.start(body, 1);
    enc.valueRle.run(0, col.nValues);
    enc.valueRle.finish();
    file.dataPage(body.written(), col.n, Encoding.RLE_DICTIONARY);
    file.endColumn(stats);
    return;
  }
  const dict = leaf.physical === 'BYTE_ARRAY' && enc.denseDictionary ? denseDictionary(enc, col) : null;
  if (dict !== null) {
    file.dictionaryPage(dict.dictionary.plain.written(), dict.dictionary.count);
  }
  let entry = 0;
  let value = 0;
  while (entry < col.n) {
    const [endEntry, endValue] = dict !== null ? [col.n, col.nValues] : pageEnd(col, entry, value);
    const body = enc.body;
    body.reset();
    writeLevels(enc, col, entry, endEntry);
    if (dict !== null) {
      const width = indexWidth(dict.dictionary.count);
      body.u8(width);
      enc.valueRle.start(body, width);
      enc.valueRle.array(dict.indices, value, endValue);
      enc.valueRle.finish();
      file.dataPage(body.written(), endEntry - entry, Encoding.RLE_DICTIONARY);
    } else {
      plainValues(body, col, value, endValue);
      file.dataPage(body.written(), endEntry - entry, Encoding.PLAIN);
    }
    entry = endEntry;
    value = endValue;
  }
  file.endColumn(stats ?? (dict !== null ? statistics(leaf, nullsOf(col), dict.dictionary.min, dict.dictionary.max) : denseStatistics(col)));
}

/** The repetition and definition levels of entries [from, to). */
function writeLevels(enc: ColumnEncoder, col: DenseColumn, from: number, to: number): void {
  const leaf = col.leaf;
  if (leaf.maxRep > 0) enc.levels(leaf.maxRep, (rle) => rle.array(col.reps!, from, to));
  if (leaf.maxDef > 0) {
    enc.levels(leaf.maxDef, (rle) => {
      if (col.defs === null) rle.run(leaf.maxDef, to - from);
      else rle.array(col.defs, from, to, wordsOf(col.defs));
    });
  }
}

/** Levels seen 4 at a time (RleEncoder.array), when their bytes start on a word. */
function wordsOf(levels: Uint8Array): Int32Array | null {
  return (levels.byteOffset & 3) === 0 ? new Int32Array(levels.buffer, levels.byteOffset, levels.length >> 2) : null;
}

/** The dictionary of a byte-array column and each value's index, or null when the values are too many or too varied. */
function denseDictionary(enc: ColumnEncoder, col: DenseColumn): { dictionary: ValueDictionary; indices: Int32Array } | null {
  if (col.nValues === 0) return null;
  const d = enc.dictionary(col.leaf);
  const indices = new Int32Array(col.nValues);
  const arena = col.arena!.bytes;
  let start = 0;
  for (let i = 0; i < col.nValues; i++) {
    const end = col.ends[i];
    indices[i] = d.add(arena.subarray(start, end));
    start = end;
    if (d.overflowed) return null;
  }
  // Worth it only when values repeat: a dictionary as large as the values gains nothing.
  return d.count * 2 > col.nValues && d.plain.length * 2 > start ? null : { dictionary: d, indices };
}

/** Where the page starting at `entry` ends: after about PAGE_BYTES of values, at a row boundary. */
function pageEnd(col: DenseColumn, entry: number, value: number): [number, number] {
  const leaf = col.leaf;
  const defs = col.defs;
  const reps = col.reps;
  const valueStart = value === 0 ? 0 : col.width > 0 ? value * col.width : col.ends[value - 1];
  const total = col.width > 0 ? col.nValues * col.width : col.arena!.length;
  if (total - valueStart < PAGE_BYTES) return [col.n, col.nValues];
  let e = entry;
  let v = value;
  while (e < col.n) {
    if (e > entry && (reps === null || reps[e] === 0)) {
      const bytes = col.width > 0 ? v * col.width - valueStart : (v === 0 ? 0 : col.ends[v - 1]) - valueStart;
      if (bytes >= PAGE_BYTES) break;
    }
    if (defs === null || defs[e] === leaf.maxDef) v++;
    e++;
  }
  return [e, v];
}

function plainValues(body: ByteSink, col: DenseColumn, from: number, to: number): void {
  const w = col.width;
  if (col.leaf.physical === 'BOOLEAN') {
    plainBooleans(body, col.fixed.subarray(from, to), to - from);
  } else if (w > 0) {
    body.appendRange(col.fixed, from * w, to * w);
  } else {
    const arena = col.arena!.bytes;
    let start = from === 0 ? 0 : col.ends[from - 1];
    for (let i = from; i < to; i++) {
      const end = col.ends[i];
      body.u32(end - start);
      body.appendRange(arena, start, end);
      start = end;
    }
  }
}

/**
 * Entries without a value (below maxDef): every other entry has exactly one
 * value (the page's values are nValues long), so no pass over the levels (a
 * byte per row of each of a row group's ~40 nullable columns: ~1% of an export).
 */
function nullsOf(col: DenseColumn): number {
  return col.defs === null ? 0 : col.n - col.nValues;
}

/** Min and max of a dense column's values by its order (signed or unsigned integers, bytes, booleans). */
function denseStatistics(col: DenseColumn): Statistics {
  const leaf = col.leaf;
  const nulls = nullsOf(col);
  const n = col.nValues;
  if (n === 0) return { nullCount: nulls, min: null, max: null };
  const v = leaf.value;
  // Each scan is a function of its own (V8 compiled this one on-stack at its first long loop, before the code after
  // the loop had run; that code then deoptimised at ~60 later calls: --trace-deopt on the work capture's export).
  if (leaf.physical === 'BOOLEAN') {
    const seen = booleansSeen(col.fixed, n);
    return statistics(leaf, nulls, (seen & 1) !== 0 ? 0 : 1, (seen & 2) !== 0 ? 1 : 0);
  }
  if (leaf.physical === 'INT32') {
    // One loop for signed and unsigned: flipping the sign bit turns unsigned order into signed order.
    const flip = v === 'u8' || v === 'u16' || v === 'u32' ? 0x80000000 : 0;
    const [lo, hi] = range32(col.fixed32, n, flip);
    const value = (x: number) => BigInt(flip !== 0 ? (x ^ flip) >>> 0 : x);
    return statistics(leaf, nulls, value(lo), value(hi));
  }
  if (leaf.physical === 'INT64') {
    const [minAt, maxAt] = range64(col.fixed32, n, v === 'u64' ? 0x80000000 : 0);
    const words = col.fixed32;
    const at = (i: number) => (BigInt(words[i * 2 + 1] >>> 0) << 32n) | BigInt(words[i * 2] >>> 0);
    const signed = (x: bigint) => (v === 'u64' ? x : BigInt.asIntN(64, x));
    return statistics(leaf, nulls, signed(at(minAt)), signed(at(maxAt)));
  }
  const [min, max] = bytesRange(col.arena!.bytes, col.ends, n);
  return statistics(leaf, nulls, min, max);
}

/** Which of false (bit 0) and true (bit 1) the first `n` booleans hold. */
function booleansSeen(values: Uint8Array, n: number): number {
  let seen = 0;
  for (let i = 0; i < n && seen !== 3; i++) seen |= values[i] ? 2 : 1;
  return seen;
}

/** The smallest and largest of `n` 32-bit values, each XOR `flip` (compared signed). */
function range32(words: Int32Array, n: number, flip: number): [number, number] {
  let lo = words[0] ^ flip;
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const x = words[i] ^ flip;
    if (x < lo) lo = x;
    else if (x > hi) hi = x;
  }
  return [lo, hi];
}

/** The smallest and largest (byte order) of `n` byte strings laid end to end in `arena`, string i ending at ends[i]. */
function bytesRange(arena: Uint8Array, ends: Int32Array, n: number): [Uint8Array, Uint8Array] {
  let min = arena.subarray(0, ends[0]);
  let max = min;
  let start = ends[0];
  for (let i = 1; i < n; i++) {
    const end = ends[i];
    const b = arena.subarray(start, end);
    if (Buffer.compare(b, min) < 0) min = b;
    if (Buffer.compare(b, max) > 0) max = b;
    start = end;
  }
  return [min, max];
}

/**
 * Where the smallest and largest of `n` 64-bit values (low, high word
 * pairs) are. The high words compare signed (`flip` 0x80000000 makes
 * unsigned ones compare in order too), the low words as unsigned (flipped).
 */
function range64(words: Int32Array, n: number, flip: number): [number, number] {
  let minAt = 0;
  let maxAt = 0;
  let minHi = words[1] ^ flip;
  let minLo = words[0] ^ 0x80000000;
  let maxHi = minHi;
  let maxLo = minLo;
  for (let i = 1; i < n; i++) {
    const h = words[i * 2 + 1] ^ flip;
    const l = words[i * 2] ^ 0x80000000;
    if (h < minHi || (h === minHi && l < minLo)) { minAt = i; minHi = h; minLo = l; }
    if (h > maxHi || (h === maxHi && l > maxLo)) { maxAt = i; maxHi = h; maxLo = l; }
  }
  return [minAt, maxAt];
}
