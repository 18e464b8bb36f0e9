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
import { keyScratch, type KeyRuns, writeKeyLevels } from './keyed-column.js';
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
  if (typeof shape !== 'object') {
    let bytes = 0;
    for (let k = 1; k < keys; k++) {
      if (used[k] === 0) continue;
      const id = ids[k];
      if (!pool.isUtf8(id)) return false;
      bytes += 4 + pool.lengthOf(id);
    }
    // writeKeyedColumn would give up its dictionary past the limit (rows PLAIN); a name's or folder's is at most its paths'.
    if (shape !== 'raw' && bytes > DICTIONARY_LIMIT_BYTES) return false;
  }
  const maxDef = leaf.maxDef;
  // A missing string's level: its parent group is there, the leaf is null.
  const nullDef = leaf.steps.length >= 2 ? leaf.steps[leaf.steps.length - 2].def : 0;
  const { defOf, valueOf } = keyScratch(keys);
  file.beginColumn(leaf);
  let dict: ValueDictionary | null = enc.dictionary(leaf);
  let allDefined = true;
  if (typeof shape === 'object') {
    const index = dict.add(shape.constant);
    for (let k = 0; k < keys; k++) {
      defOf[k] = used[k] === 0 ? 0 : maxDef;
      valueOf[k] = used[k] === 0 ? 0 : index;
    }
  } else if (shape === 'raw') {
    for (let k = 0; k < keys; k++) {
      defOf[k] = used[k] === 0 ? 0 : nullDef;
      valueOf[k] = 0;
    }
    allDefined = false;
    dict = null;
  } else if (shape === 'name' || shape === 'folder') {
    if (!pathParts(dict, shape, ids, pool, used, defOf, valueOf, maxDef, nullDef)) {
      dict = null;
      allDefined = false;
    } else {
      for (let k = 0; k < keys && allDefined; k++) if (used[k] !== 0 && defOf[k] !== maxDef) allDefined = false;
    }
  } else {
    const arena = pool.arenaBytes;
    const view = pool.arenaDataView;
    let defined = 0;
    for (let k = 0; k < keys; k++) {
      valueOf[k] = 0;
      if (used[k] === 0) {
        defOf[k] = 0;
      } else if (k === 0) {
        defOf[k] = nullDef;
        allDefined = false;
      } else {
        const id = ids[k];
        const s = pool.startOf(id);
        valueOf[k] = dict.addUniqueRange(arena, view, s, s + pool.lengthOf(id));
        defOf[k] = maxDef;
        defined++;
      }
    }
    if (defined === 0) dict = null;
  }
  writeKeyLevels(file, enc, leaf, runs, rows, dict, defOf, valueOf, allDefined);
  return true;
}

/**
 * Each used key's name or folder (fillFile's cut at the last '/') into the
 * dictionary, its level and index into defOf and valueOf. A folder
 * shared with the key before (the files of one directory) is not looked
 * up again. Returns false when no key has a value.
 */
function pathParts(dict: ValueDictionary, shape: 'name' | 'folder', ids: Int32Array, pool: StringPool, used: Uint8Array, defOf: Uint8Array, valueOf: Int32Array,
  maxDef: number, nullDef: number): boolean {
  const arena = pool.arenaBytes;
  const view = pool.arenaDataView;
  let lastFrom = 0;
  let lastTo = -1;
  let lastIndex = 0;
  let defined = 0;
  for (let k = 0; k < used.length; k++) {
    valueOf[k] = 0;
    if (used[k] === 0) {
      defOf[k] = 0;
      continue;
    }
    if (k === 0) {
      defOf[k] = nullDef;
      continue;
    }
    const id = ids[k];
    const start = pool.startOf(id);
    const end = start + pool.lengthOf(id);
    let cut = end - 1;
    while (cut >= start && arena[cut] !== SLASH) cut--;
    let from: number;
    let to: number;
    if (shape === 'name') {
      from = cut + 1;
      to = end;
    } else if (cut < start) {
      defOf[k] = nullDef;
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
  return defined > 0;
}

/** True when src[a, a + n) and src[b, b + n) hold the same bytes (`view` over src); compared from the end, where paths differ. */
function sameBytes(view: DataView, src: Uint8Array, a: number, b: number, n: number): boolean {
  if (a === b) return true;
  let i = n;
  for (; i >= 4; i -= 4) if (view.getInt32(a + i - 4, true) !== view.getInt32(b + i - 4, true)) return false;
  for (; i > 0; i--) if (src[a + i - 1] !== src[b + i - 1]) return false;
  return true;
}
