/**
 * Keyed leaves written straight from the row group's string pool
 * (pooled-column.ts) are the chunks written from per-key entries
 * (writeKeyedColumn, as the export did before): the same file bytes, for
 * paths, texts, raw bytes, a path's name and folder (at the root, none, a
 * path ending in '/') and a file's constant type, whichever keys the rows
 * use, with and without rows that have no string, and where the shortcut
 * must step aside (a string that is not UTF-8, a dictionary past its limit,
 * one key for every row).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fillFile, fillRaw, fillText, type LeafFill } from '../../src/export/ocsf-parts.js';
import { ColumnEncoder } from '../../src/export/parquet/column-encoder.js';
import { ParquetFileWriter } from '../../src/export/parquet/file-writer.js';
import { KeyedColumn, KeyRuns, usedKeys, writeKeyedColumn } from '../../src/export/parquet/keyed-column.js';
import { writePooledColumn } from '../../src/export/parquet/pooled-column.js';
import { buildSchema, group, leaf } from '../../src/export/parquet/schema.js';
import { StringPool } from '../../src/export/string-pool.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const enc = new TextEncoder();
const schema = buildSchema(group([
  ['unmapped', group([['path', leaf('string')], ['path_raw', leaf('bytes')]])],
  ['file', group([['name', leaf('string')], ['path', leaf('string')], ['parent_folder', leaf('string')], ['type_id', leaf('i32')], ['type', leaf('string')]])],
]));
const FILLS: Record<string, LeafFill> = {
  'unmapped.path': fillText, 'unmapped.path_raw': fillRaw, 'file.name': fillFile('name'), 'file.path': fillFile('path'),
  'file.parent_folder': fillFile('parent_folder'), 'file.type_id': fillFile('type_id'), 'file.type': fillFile('type'),
};

let seed = 12345;
/** xorshift32: 0..n-1. */
const rnd = (n: number): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};

/** A row group: the strings its keys stand for (key k: strings[k - 1]), and each row's key (0: no string). */
interface Group { strings: Uint8Array[]; rowKeys: number[] }

/** Writes each group with every leaf, pooled (where it applies) or from entries; returns the file's bytes. */
function write(groups: Group[], pooled: boolean): Buffer {
  const d = mkdtempSync(join(tmpdir(), 'rg-parquet-pooled-'));
  dirs.push(d);
  const path = join(d, 'f.parquet');
  const file = ParquetFileWriter.create(path, schema, { createdBy: 'test version 0' });
  const e = new ColumnEncoder();
  const cols = schema.leaves.map((l) => new KeyedColumn(l));
  for (const g of groups) {
    const pool = new StringPool();
    // Other strings first, so the group's ids are not 1..n.
    for (let i = 0; i < 5; i++) pool.internBytes(enc.encode(`other ${i}`));
    const ids = new Int32Array(g.strings.length + 1);
    ids[0] = g.strings.length;
    g.strings.forEach((s, i) => { ids[i + 1] = pool.internBytes(s); });
    const rows = g.rowKeys.length;
    const runs = new KeyRuns();
    runs.scan(Int32Array.from(g.rowKeys), rows);
    const used = usedKeys(runs, g.strings.length + 1);
    for (const col of cols) {
      const fill = FILLS[col.leaf.keys.join('.')];
      if (pooled && writePooledColumn(file, e, col.leaf, fill.pooled, ids, pool, runs, rows, used)) continue;
      col.reset();
      col.setSource(pool.arenaBytes, pool.arenaDataView);
      for (let key = 0; key < used.length; key++) {
        col.beginKey();
        if (used[key] === 0) col.entry(0, 0, null);
        else fill(col, key === 0 ? null : ids[key], pool);
      }
      writeKeyedColumn(file, e, col, runs, rows, used);
    }
    file.endRowGroup(rows);
  }
  file.close();
  return readFileSync(path);
}

/** Paths in folders, at the root (folder '/'), relative without a folder, ending in '/' (no name). */
const pathOf = (i: number): Uint8Array => enc.encode(i % 7 === 6 ? `/f${i}` : i % 11 === 10 ? `f${i}` : i % 13 === 12 ? `/tmp/d${i}/`
  : `/${['usr/lib', 'etc', 'home/u/src', ''][i % 4]}/f${i}${i % 3 === 0 ? '.so' : ''}`);

/** `n` strings and `rows` rows of keys in runs (some keys unused, key 0 when `nulls`). */
function group_(n: number, rows: number, nulls: boolean, strings = Array.from({ length: n }, (_, i) => pathOf(i))): Group {
  const rowKeys: number[] = [];
  while (rowKeys.length < rows) {
    const k = nulls && rnd(6) === 0 ? 0 : 1 + rnd(Math.max(1, Math.floor(n * 0.8)));
    for (let r = 1 + (rnd(4) === 0 ? rnd(12) : 0); r > 0 && rowKeys.length < rows; r--) rowKeys.push(k);
  }
  return { strings, rowKeys };
}

describe('parquet keyed leaves straight from the string pool', () => {
  it('are the bytes written from per-key entries', () => {
    const groups: Group[] = [
      group_(50, 400, false),
      group_(50, 400, true),
      group_(1, 300, true),
      // Not UTF-8: the text leaves are escaped values, the raw leaf has bytes.
      group_(40, 300, true, Array.from({ length: 40 }, (_, i) => (i === 7 ? new Uint8Array([0x2f, 0xff, 0x61]) : pathOf(i)))),
      // One key for every row: left to writeKeyedColumn (and its repeated chunks).
      { strings: [pathOf(3)], rowKeys: Array.from({ length: 100 }, () => 1) },
      { strings: [pathOf(3)], rowKeys: Array.from({ length: 100 }, () => 0) },
      // Only rows without a string, and a key no row uses.
      { strings: [pathOf(3), pathOf(4)], rowKeys: [0, 0, 2, 2, 0] },
    ];
    const pooled = write(groups, true);
    const entries = write(groups, false);
    expect(pooled.length).toBeGreaterThan(0);
    expect(Buffer.compare(pooled, entries)).toBe(0);
  });

  it('steps aside for a dictionary past its limit (rows PLAIN), the same bytes again', () => {
    // ~5.3 MB of distinct paths the rows use: past DICTIONARY_LIMIT_BYTES (4 MB).
    const long = (i: number) => enc.encode(`/var/cache/${'x'.repeat(400)}/${i}`);
    // And names as long (their folder one string): the name's dictionary past the limit too.
    const longName = (i: number) => enc.encode(`/d/${'y'.repeat(400)}${i}`);
    const groups = [group_(24_000, 60_000, true, Array.from({ length: 24_000 }, (_, i) => long(i))),
      group_(24_000, 60_000, true, Array.from({ length: 24_000 }, (_, i) => longName(i)))];
    expect(Buffer.compare(write(groups, true), write(groups, false))).toBe(0);
  });
});
