/**
 * Keyed column chunks written again instead of encoded again: a row group
 * whose rows are all one key (a capture's columns) repeats the chunk an
 * earlier row group wrote from equal entries and as many rows. Every change
 * that makes the chunk differ must be noticed: a value, a range's bytes, a
 * list's length, a level, the rows, a value's type. Read back by hyparquet,
 * row group by row group, against the rows written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, describe, expect, it } from 'vitest';
import { ColumnEncoder } from '../../src/export/parquet/column-encoder.js';
import { ParquetFileWriter } from '../../src/export/parquet/file-writer.js';
import { KeyedColumn, KeyRuns, writeKeyedColumn } from '../../src/export/parquet/keyed-column.js';
import { buildSchema, group, leaf, list } from '../../src/export/parquet/schema.js';
import { shredLeaf } from '../../src/export/parquet/shred.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const enc = new TextEncoder();
const schema = buildSchema(group([
  ['name', leaf('string')], ['tags', list(leaf('string'))], ['n', leaf('u64')], ['ok', leaf('bool')], ['path', leaf('string')],
]));
type Thing = { name: string | null; tags: string[] | null; n: bigint | null; ok: boolean | null; path: string };

/** Writes row groups of `rows` rows each of one key, `things[i]`; `path` goes in as a range of a buffer (as the export's pooled strings do). */
function write(groups: { thing: Thing; rows: number }[]): string {
  const d = mkdtempSync(join(tmpdir(), 'rg-parquet-keyed-'));
  dirs.push(d);
  const path = join(d, 'f.parquet');
  const file = ParquetFileWriter.create(path, schema, { createdBy: 'test version 0' });
  const cols = schema.leaves.map((l) => new KeyedColumn(l));
  const runs = new KeyRuns();
  const e = new ColumnEncoder();
  for (const { thing, rows } of groups) {
    // Key 0 unused, key 1 every row's.
    runs.scan(new Int32Array(rows).fill(1), rows);
    // A fresh buffer each row group, the path at a moving offset: equal bytes elsewhere are still the same value.
    const src = new Uint8Array(64 + rows % 7);
    const bytes = enc.encode(thing.path);
    const at = rows % 7;
    src.set(bytes, at);
    for (const col of cols) {
      col.reset();
      col.setSource(src, new DataView(src.buffer));
      col.beginKey();
      col.entry(0, 0, null);
      col.beginKey();
      if (col.leaf.keys[0] === 'path') col.rangeEntry(0, at, at + bytes.length, true);
      else shredLeaf(col, thing);
      writeKeyedColumn(file, e, col, runs, rows);
    }
    file.endRowGroup(rows);
  }
  file.close();
  return path;
}

async function read(path: string): Promise<Record<string, unknown>[]> {
  const buf = readFileSync(path);
  return await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), compressors }) as Record<string, unknown>[];
}

describe('parquet keyed columns: a one-key chunk repeated from an earlier row group', () => {
  it('reads back every row group as written, whatever changed from the one before', async () => {
    const base: Thing = { name: 'host', tags: ['host', 'record_integrity'], n: 7n, ok: true, path: '/etc/passwd' };
    const groups = [
      { thing: base, rows: 9 },
      { thing: base, rows: 9 },
      { thing: { ...base }, rows: 9 },
      { thing: base, rows: 10 },
      { thing: { ...base, name: 'hosT' }, rows: 10 },
      { thing: { ...base, name: 'hosT' }, rows: 10 },
      { thing: { ...base, name: 'hosT', tags: ['host'] }, rows: 10 },
      { thing: { ...base, name: 'hosT', tags: ['host', 'record_integrity', ''] }, rows: 10 },
      { thing: { ...base, name: 'hosT' }, rows: 10 },
      { thing: { ...base, name: 'hosT', tags: [] }, rows: 10 },
      { thing: { ...base, name: 'hosT', tags: null }, rows: 10 },
      { thing: { ...base, name: null, tags: null }, rows: 10 },
      { thing: { ...base, name: null, tags: null, n: 8n }, rows: 10 },
      { thing: { ...base, name: null, tags: null, n: 8n, ok: false }, rows: 10 },
      { thing: { ...base, name: null, tags: null, n: 8n, ok: false, path: '/etc/passwe' }, rows: 10 },
      { thing: { ...base, name: null, tags: null, n: 8n, ok: false, path: '/etc/passwe' }, rows: 10 },
      { thing: { ...base, name: null, tags: null, n: 8n, ok: false, path: '/etc/passw' }, rows: 10 },
      { thing: { ...base, name: null, tags: null, n: null, ok: null, path: '' }, rows: 10 },
      { thing: base, rows: 9 },
    ];
    const path = write(groups);
    const rows = await read(path);
    const want = groups.flatMap(({ thing, rows: n }) => Array.from({ length: n }, () => thing));
    expect(rows).toHaveLength(want.length);
    rows.forEach((r, i) => {
      const t = want[i];
      expect({ i, name: r.name, tags: r.tags, n: r.n, ok: r.ok, path: r.path }).toEqual({ i, name: t.name, tags: t.tags ?? null, n: t.n, ok: t.ok, path: t.path });
    });
  });

  it('writes a repeated chunk as the bytes it would encode: equal row groups are equal bytes', () => {
    const thing: Thing = { name: 'a', tags: ['x', 'y'], n: 1n, ok: true, path: '/p' };
    const other: Thing = { ...thing, name: 'b', tags: ['x'] };
    // Row groups 2 and 3 repeat every chunk of 1; 5 encodes name and tags again (after 4, another thing) and repeats the rest.
    const file = readFileSync(write([{ thing, rows: 5 }, { thing, rows: 5 }, { thing, rows: 5 }, { thing: other, rows: 5 }, { thing, rows: 5 }]));
    const meta = parquetMetadata(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength));
    const chunks = meta.row_groups.map((g) => g.columns.map((c) => {
      const m = c.meta_data!;
      const from = Number(m.dictionary_page_offset ?? m.data_page_offset);
      return { bytes: file.subarray(from, from + Number(m.total_compressed_size)), stats: m.statistics };
    }));
    expect(chunks).toHaveLength(5);
    for (const g of [1, 2, 4]) {
      chunks[g].forEach((c, j) => {
        expect(Buffer.compare(c.bytes, chunks[0][j].bytes), `row group ${g + 1}, column ${j}`).toBe(0);
        expect(c.stats).toEqual(chunks[0][j].stats);
      });
    }
    expect(Buffer.compare(chunks[3][0].bytes, chunks[0][0].bytes)).not.toBe(0);
  });
});
