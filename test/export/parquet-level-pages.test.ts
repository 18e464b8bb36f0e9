/**
 * A keyed leaf's data page given again (LevelPages, keyed-column.ts): within
 * a row group, a leaf of the same key column whose keys give the same levels
 * and dictionary indices as an earlier leaf's is given that leaf's page
 * instead of being encoded and compressed again. Checked here: the page is
 * reused exactly when nothing it depends on differs (a level of one key, a
 * leaf's depth, the index width, a boolean page), never across row groups,
 * and every value reads back (hyparquet) as written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, describe, expect, it } from 'vitest';
import { ColumnEncoder } from '../../src/export/parquet/column-encoder.js';
import { ParquetFileWriter } from '../../src/export/parquet/file-writer.js';
import { KeyedColumn, KeyRuns, LEVEL_PAGE_RUNS, writeKeyedColumn } from '../../src/export/parquet/keyed-column.js';
import { buildSchema, group, leaf } from '../../src/export/parquet/schema.js';
import { shredLeaf } from '../../src/export/parquet/shred.js';
import { PageCompressor } from '../../src/export/parquet/zstd-pages.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const schema = buildSchema(group([
  ['a', leaf('string')], ['b', leaf('u64')], ['c', leaf('string')], ['d', leaf('bool')], ['g', group([['f', leaf('u64')]])], ['h', leaf('string')],
  ['e', leaf('string')], ['k', leaf('bool')], ['m', group([['n', leaf('string')]])], ['q', leaf('string')], ['p', leaf('string')],
]));
type Thing = {
  a: string; b: bigint; c: string; d: boolean; g: { f: bigint }; h: string | null; e: string; k: boolean; m: { n: string | null }; q: string; p: string | null;
};

const KEYS = 40;
/**
 * Key k's thing: a and b one value per key (the same indices: b's page is a's); c five values; d a boolean;
 * g.f one per key but a level deeper; h one per key but null at key 7; e one per key, then key 40 the value of
 * key 39 (one index differs, and the dictionary has one value fewer). k false for every key, and m.n null under
 * a present m: each key's level 1 and value 0, and no dictionary, but m.n is a level deeper (k's page is not
 * m.n's). q: keys 1 and 2 one value; p: q's, but null at key 1: the same indices, one level differs.
 */
function thingOf(k: number): Thing {
  return {
    a: `a${k}`, b: BigInt(1000 + k), c: `c${k % 5}`, d: k % 2 === 0, g: { f: BigInt(k) }, h: k === 7 ? null : `h${k}`, e: `e${k === KEYS ? KEYS - 1 : k}`,
    k: false, m: { n: null }, q: `q${Math.max(k, 2)}`, p: k === 1 ? null : `q${k}`,
  };
}

/** Rows' keys 1..KEYS in a pseudo-random order (nearly a run per row). */
function rowKeys(rows: number, seed: number): Int32Array {
  const keys = new Int32Array(rows);
  let x = seed;
  for (let i = 0; i < rows; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    keys[i] = 1 + ((x >>> 8) % KEYS);
  }
  // Every key used at least once: each key's value is in the chunk.
  for (let k = 1; k <= KEYS && k <= rows; k++) keys[k - 1] = k;
  return keys;
}

/** Writes one row group per entry of `groups` (its rows' keys); returns the file and how many pages each row group compressed. */
function write(groups: Int32Array[]): { path: string; compressed: number[] } {
  const d = mkdtempSync(join(tmpdir(), 'rg-level-pages-'));
  dirs.push(d);
  const path = join(d, 'f.parquet');
  const real = new PageCompressor();
  let pages = 0;
  const counting = { compress: (input: Uint8Array) => { pages++; return real.compress(input); } } as unknown as PageCompressor;
  const file = ParquetFileWriter.create(path, schema, { createdBy: 'test version 0', compressor: counting });
  const cols = schema.leaves.map((l) => new KeyedColumn(l));
  const runs = new KeyRuns();
  const e = new ColumnEncoder();
  const compressed: number[] = [];
  for (const keys of groups) {
    pages = 0;
    runs.scan(keys, keys.length);
    for (const col of cols) {
      col.reset();
      col.beginKey();
      col.entry(0, 0, null);
      for (let k = 1; k <= KEYS; k++) {
        col.beginKey();
        shredLeaf(col, thingOf(k));
      }
      writeKeyedColumn(file, e, col, runs, keys.length);
    }
    file.endRowGroup(keys.length);
    compressed.push(pages);
  }
  file.close();
  return { path, compressed };
}

/** Each column chunk's data page (header and body) of each row group. */
function dataPages(path: string): Buffer[][] {
  const buf = readFileSync(path);
  const meta = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return meta.row_groups.map((g) => g.columns.map((c) => {
    const m = c.meta_data!;
    const from = Number(m.data_page_offset);
    const end = Number(m.dictionary_page_offset ?? m.data_page_offset) + Number(m.total_compressed_size);
    return buf.subarray(from, end);
  }));
}

describe('parquet keyed columns: a data page given again to a leaf with the same levels and indices', () => {
  const groups = [rowKeys(3000, 1), rowKeys(3000, 2), rowKeys(LEVEL_PAGE_RUNS - 20, 3)];
  const { path, compressed } = write(groups);

  it('reads back every row of every row group as written', async () => {
    const buf = readFileSync(path);
    const rows = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), compressors }) as Record<string, unknown>[];
    const want = groups.flatMap((keys) => Array.from(keys, (k) => thingOf(k)));
    expect(rows).toHaveLength(want.length);
    rows.forEach((r, i) => expect({ i, ...r }).toEqual({ i, ...want[i] }));
  });

  it('reuses b\'s page (a\'s) and no other, within each row group of many runs', () => {
    expect(groups[0].length).toBeGreaterThan(LEVEL_PAGE_RUNS * 10);
    const pages = dataPages(path);
    const col = (name: string) => schema.leaves.findIndex((l) => l.path.join('.') === name);
    for (const g of [0, 1]) {
      expect(Buffer.compare(pages[g][col('b')], pages[g][col('a')]), `row group ${g}: b is a's page`).toBe(0);
      // g.f has a's indices a level deeper; h a's but one key null; e one index fewer; c and d others.
      for (const other of ['c', 'd', 'g.f', 'h', 'e']) expect(Buffer.compare(pages[g][col(other)], pages[g][col('a')]), `row group ${g}: ${other}`).not.toBe(0);
      expect(Buffer.compare(pages[g][col('m.n')], pages[g][col('k')]), `row group ${g}: m.n`).not.toBe(0);
      expect(Buffer.compare(pages[g][col('p')], pages[g][col('q')]), `row group ${g}: p`).not.toBe(0);
    }
    // The second row group's keys come in another order: its pages are its own, not the first's.
    expect(Buffer.compare(pages[1][col('a')], pages[0][col('a')])).not.toBe(0);
    // Pages compressed: a dictionary and a data page per leaf (booleans and m.n, no value: no dictionary), but b's data page.
    const encoded = 2 * schema.leaves.length - ['d', 'k', 'm.n'].length;
    expect(compressed[0]).toBe(encoded - 1);
    expect(compressed[1]).toBe(encoded - 1);
    // Fewer runs than LEVEL_PAGE_RUNS: every page encoded.
    expect(compressed[2]).toBe(encoded);
  });
});
