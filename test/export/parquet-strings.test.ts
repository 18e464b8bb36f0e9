/**
 * The export's strings, row by row, when the writer takes a shortcut: a
 * string equal to the same field of the event before, or to the field
 * before it in the same event, keeps that string's id without a lookup. The
 * shortcut must never be taken for a string that only starts like the other
 * (or that the other starts like), for stale bytes after a NUL, or across
 * row groups (each row group has its own pool). Likewise a column chunk
 * reuses the dictionary index of the byte range before (a folder shared by
 * consecutive paths), never for a first range or one of another length.
 * Read back by hyparquet.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, REPLAY_BIN } from '../support/golden.js';
import { writeSynthetic } from '../support/synthetic.js';
import { openRecord } from '../support/records.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const enc = new TextEncoder();
/** `s`, a NUL, then stale bytes (a buffer the kernel filled before with a longer string). */
const stale = (s: string, tail: string) => new Uint8Array([...enc.encode(s), 0, ...enc.encode(tail)]);

/** Each open: comm, path, path_arg as written, and the strings the row must hold. */
const OPENS: { comm: string | Uint8Array; path: string | Uint8Array; arg: string | Uint8Array; want: [string, string, string] }[] = [
  // First in its row group, an empty name (and an empty folder entry would be the same bytes as nothing before it).
  { comm: 'tar', path: '/w/', arg: '/w/', want: ['tar', '/w/', '/w/'] },
  { comm: 'tar', path: '/w/a/bc', arg: '/w/a/bc', want: ['tar', '/w/a/bc', '/w/a/bc'] },
  { comm: 'tarx', path: stale('/w/a/b', 'c'), arg: '/w/a/b', want: ['tarx', '/w/a/b', '/w/a/b'] },
  { comm: stale('ta', 'rx'), path: '/w/a/bc', arg: stale('/w/a/b', 'c'), want: ['ta', '/w/a/bc', '/w/a/b'] },
  { comm: 'ta', path: '/w/a/bc', arg: '/w/a/bcd', want: ['ta', '/w/a/bc', '/w/a/bcd'] },
  { comm: 'tar', path: '/w/a/bcd', arg: '/w/a/bc', want: ['tar', '/w/a/bcd', '/w/a/bc'] },
  { comm: 'tar', path: '/w/a', arg: 'a', want: ['tar', '/w/a', 'a'] },
  { comm: 'tar', path: '/w/a', arg: '/w/a', want: ['tar', '/w/a', '/w/a'] },
  { comm: 'tar', path: '/w/ab', arg: '/w/a', want: ['tar', '/w/ab', '/w/a'] },
  { comm: 't', path: '', arg: '', want: ['t', '', ''] },
  { comm: 't', path: '/', arg: '', want: ['t', '/', ''] },
];

async function rowsOf(dir: string): Promise<Record<string, unknown>[]> {
  const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet')).sort();
  const rows: Record<string, unknown>[] = [];
  for (const f of files) {
    const buf = readFileSync(join(dir, f));
    rows.push(...await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), compressors, utf8: false }) as Record<string, unknown>[]);
  }
  return rows;
}

describe('export --format parquet: strings equal to, or starting like, the ones before', () => {
  for (const batch of [undefined, '3']) {
    it(`keeps every row's own comm, path, path_arg, file name and folder${batch === undefined ? '' : ` (row groups of ${batch} rows)`}`, async () => {
      const d = mkdtempSync(join(tmpdir(), 'rg-parquet-strings-'));
      dirs.push(d);
      // Twice over, so the second pass meets each string again after others (and, in small row groups, in a new pool).
      const opens = [...OPENS, ...OPENS];
      const records = opens.map((o, i) => openRecord({ ts: 1_000_000_000_000n + BigInt(i) * 1000n, pid: 300, ppid: 1, comm: o.comm }, o.path, 0, 3, 0, -100, { pathArg: o.arg }));
      writeFileSync(join(d, 'strings.rgc'), writeSynthetic({ records }));
      const dir = join(d, 'lake');
      const env = { ...process.env, ...(batch === undefined ? {} : { RG_EXPORT_BATCH_ROWS: batch }) };
      const r = spawnSync(process.execPath, [REPLAY_BIN, 'export', join(d, 'strings.rgc'), '-o', dir], { cwd: REPO_ROOT, env });
      expect(r.status, r.stderr.toString()).toBe(0);
      const rows = (await rowsOf(dir)).sort((a, b) => Number((a.unmapped as { ts_ns: bigint }).ts_ns - (b.unmapped as { ts_ns: bigint }).ts_ns));
      expect(rows).toHaveLength(opens.length);
      rows.forEach((row, i) => {
        const u = row.unmapped as Record<string, unknown>;
        const file = row.file as Record<string, unknown>;
        const [comm, path, arg] = opens[i].want;
        expect([u.comm, u.path, u.path_arg], `row ${i}`).toEqual([comm, path, arg]);
        const cut = path.lastIndexOf('/');
        expect([file.path, file.name, file.parent_folder], `row ${i}`).toEqual([path, path.slice(cut + 1), cut < 0 ? null : cut === 0 ? '/' : path.slice(0, cut)]);
      });
    });
  }
});
