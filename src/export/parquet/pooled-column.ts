/**
 * A keyed leaf whose value is a function of a string of the row group's pool
 * (ocsf-parts.ts's fills: a path or text, its raw bytes, a file's type),
 * written straight from the pool: no entry per key (level, value marker,
 * range) laid out first and read back. The chunk is the one
 * writeKeyedColumn writes from those entries, byte for byte (a test writes
 * both); a string that is not UTF-8 (its text is an escaped value of its own),
 * a dictionary past its limit, a list leaf or a chunk of one key is left to
 * writeKeyedColumn (return false).
 */
import { type StringPool } from '../string-pool.js';
import { type ColumnEncoder } from './column-encoder.js';
import { DICTIONARY_LIMIT_BYTES, type ValueDictionary } from './dictionary.js';
import { type ParquetFileWriter } from './file-writer.js';
import { keyScratch, type KeyRuns, sameBytes, writeKeyLevels } from './keyed-column.js';
import { type CellValue } from './plain.js';
import { type Leaf } from './schema.js';

/**
 * What a fill gives key k (pool id ids[k]; key 0: no string): 'text' the
 * string's UTF-8 bytes (null without a string), 'raw' null for a UTF-8
 * string or none, 'name' and 'folder' a path's last component and the
 * folder before it (ocsf-parts.ts's fillFile), `constant` one value for
 * every key.
 */
export type PooledShape = 'text' | 'raw' | 'name' | 'folder' | { readonly constant: CellValue };

const SLASH = 0x2f;

/**
 * Writes `leaf`'s chunk for `rows` rows in `runs` (keys 0..used.length-1,
 * `used`: usedKeys), key k standing for pool string ids[k]. False: nothing
 * written, the caller writes it from entries.
 */
export function writePooledColumn(file: ParquetFileWriter, enc: ColumnEncoder, leaf: Leaf, shape: PooledShape | undefined, ids: Int32Array, pool: StringPool,
  runs: KeyRuns, rows: number, used: Uint8Array): boolean {
  if (shape === undefined || runs.count <= 1 || leaf.maxRep !== 0 || leaf.physical === 'BOOLEAN') return false;
  const keys = used.length;
  const maxDef = leaf.maxDef;
  // A missing string's level: its parent group is there, the leaf is null.
  const nullDef = leaf.steps.length >= 2 ? leaf.steps[leaf.steps.length - 2].def : 0;
  const { defOf, valueOf } = keyScratch(keys);
  // Built before the chunk is opened: a key that is not pooled (not UTF-8, past the limit) leaves the chunk to writeKeyedColumn.
  let dict: ValueDictionary | null = enc.dictionary(leaf);
  // Each shape's walk over the keys is a function of its own, as pathParts: V8 compiled this one on-stack in its first
  // long loop, and the code after the loop, not yet run then, deoptimised at later calls (--trace-deopt).
  let parts: number;
  if (typeof shape === 'object') parts = constantParts(dict.add(shape.constant), used, defOf, valueOf, maxDef);
  else if (shape === 'raw') parts = rawParts(ids, pool, used, defOf, valueOf, nullDef);
  else if (shape === 'name' || shape === 'folder') parts = pathParts(dict, shape, ids, pool, used, defOf, valueOf, maxDef, nullDef);
  else parts = wholeParts(dict, ids, pool, used, defOf, valueOf, maxDef, nullDef);
  if (parts === NOT_POOLED) return false;
  // No key with a value (never for the raw shape: its bytes go in the sibling column): no dictionary.
  if (parts === NO_VALUE) dict = null;
  const allDefined = parts === ALL_DEFINED;
  file.beginColumn(leaf);
  writeKeyLevels(file, enc, leaf, runs, rows, dict, defOf, valueOf, allDefined, keys);
  return true;
}

/** pathParts: a key's string not UTF-8 or the paths past the dictionary's limit; no key with a value; some; every used key. */
const NOT_POOLED = -1;
const NO_VALUE = 0;
const SOME_DEFINED = 1;
const ALL_DEFINED = 2;

/** Each used key's level, and `index` (the shape's one value) for it; ALL_DEFINED (every used key has it). */
function constantParts(index: number, used: Uint8Array, defOf: Uint8Array, valueOf: Int32Array, maxDef: number): number {
  for (let k = 0; k < used.length; k++) {
    defOf[k] = used[k] === 0 ? 0 : maxDef;
    valueOf[k] = used[k] === 0 ? 0 : index;
  }
  return ALL_DEFINED;
}

/**
 * The raw-bytes shape: a used key's level is `nullDef` (this leaf null, its parent there); NOT_POOLED when a
 * used key's string (past key 0, the missing string) is not UTF-8 (writeKeyedColumn writes the chunk), else NO_VALUE.
 */
function rawParts(ids: Int32Array, pool: StringPool, used: Uint8Array, defOf: Uint8Array, valueOf: Int32Array, nullDef: number): number {
  for (let k = 0; k < used.length; k++) {
    if (k > 0 && used[k] !== 0 && !pool.isUtf8(ids[k])) return NOT_POOLED;
    defOf[k] = used[k] === 0 ? 0 : nullDef;
    valueOf[k] = 0;
  }
  return NO_VALUE;
}

/** Each used key's whole string into the dictionary (key 0, the missing string: null); as pathParts returns. */
function wholeParts(dict: ValueDictionary, ids: Int32Array, pool: StringPool, used: Uint8Array, defOf: Uint8Array, valueOf: Int32Array,
  maxDef: number, nullDef: number): number {
  const arena = pool.arenaBytes;
  const view = pool.arenaDataView;
  let allDefined = true;
  let defined = 0;
  let bytes = 0;
  for (let k = 0; k < used.length; k++) {
    valueOf[k] = 0;
    if (used[k] === 0) {
      defOf[k] = 0;
    } else if (k === 0) {
      defOf[k] = nullDef;
      allDefined = false;
    } else {
      const id = ids[k];
      const n = pool.lengthOf(id);
      bytes += 4 + n;
      // writeKeyedColumn would give up its dictionary past the limit (rows PLAIN).
      if (!pool.isUtf8(id) || bytes > DICTIONARY_LIMIT_BYTES) return NOT_POOLED;
      const s = pool.startOf(id);
      valueOf[k] = dict.addUniqueRange(arena, view, s, s + n);
      defOf[k] = maxDef;
      defined++;
    }
  }
  return defined === 0 ? NO_VALUE : allDefined ? ALL_DEFINED : SOME_DEFINED;
}

/**
 * Each used key's name or folder (fillFile's cut at the last '/') into the
 * dictionary, its level and index into defOf and valueOf. A folder
 * shared with the key before (the files of one directory) is not looked
 * up again. Returns NOT_POOLED, NO_VALUE, SOME_DEFINED or ALL_DEFINED.
 */
function pathParts(dict: ValueDictionary, shape: 'name' | 'folder', ids: Int32Array, pool: StringPool, used: Uint8Array, defOf: Uint8Array, valueOf: Int32Array,
  maxDef: number, nullDef: number): number {
  const arena = pool.arenaBytes;
  const view = pool.arenaDataView;
  let lastFrom = 0;
  let lastTo = -1;
  let lastIndex = 0;
  let defined = 0;
  let nulls = 0;
  // Bounds the dictionary (a name or folder is part of its path): past the limit, writeKeyedColumn decides.
  let bytes = 0;
  for (let k = 0; k < used.length; k++) {
    valueOf[k] = 0;
    if (used[k] === 0) {
      defOf[k] = 0;
      continue;
    }
    if (k === 0) {
      defOf[k] = nullDef;
      nulls++;
      continue;
    }
    const id = ids[k];
    const start = pool.startOf(id);
    const end = start + pool.lengthOf(id);
    bytes += 4 + end - start;
    if (!pool.isUtf8(id) || bytes > DICTIONARY_LIMIT_BYTES) return NOT_POOLED;
    let cut = end - 1;
    while (cut >= start && arena[cut] !== SLASH) cut--;
    let from: number;
    let to: number;
    if (shape === 'name') {
      from = cut + 1;
      to = end;
    } else if (cut < start) {
      defOf[k] = nullDef;
      nulls++;
      continue;
    } else {
      from = start;
      to = cut === start ? start + 1 : cut;
    }
    defOf[k] = maxDef;
    defined++;
    if (to - from === lastTo - lastFrom && sameBytes(view, arena, from, lastFrom, to - from)) {
      valueOf[k] = lastIndex;
    } else {
      lastIndex = valueOf[k] = dict.addRange(arena, view, from, to);
      lastFrom = from;
      lastTo = to;
    }
  }
  return defined === 0 ? NO_VALUE : nulls > 0 ? SOME_DEFINED : ALL_DEFINED;
}
