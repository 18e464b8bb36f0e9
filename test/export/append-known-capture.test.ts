/**
 * --append of a capture the dataset already holds: not exported again (one note naming it), so the rows'
 * unique key (capture_sha256, frame_seq, record_index, class) stays unique; with other row options (a filter) it is
 * refused (exit 2, nothing written). The dataset's run records (DIR/_rand_guard/runs/RUN.json) say what it holds;
 * DuckDB counts the rows.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { duckQuery } from '../support/duckdb.js';
import { runReplayCli } from '../support/golden.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-append-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

async function counts(lake: string): Promise<{ rows: number; keys: number; captures: number }> {
  const [r] = await duckQuery(`SELECT count(*)::INTEGER AS rows,
      count(DISTINCT (unmapped.capture_sha256, unmapped.frame_seq, unmapped.record_index, class_uid))::INTEGER AS keys,
      count(DISTINCT unmapped.capture_sha256)::INTEGER AS captures
    FROM read_parquet('${lake}/*/*/*/*.parquet', union_by_name = true)`);
  return r as { rows: number; keys: number; captures: number };
}

const A = 'captures/synthetic-files-processes.rgc';
const B = 'captures/demo.rgc';

describe('export --append', () => {
  for (const threads of ['1', '3']) {
    it(`leaves out a capture the dataset holds, with a note (--threads ${threads})`, async () => {
      const lake = join(scratch(), 'lake');
      const first = runReplayCli(['export', A, '-o', lake, '--threads', threads]);
      expect(first.status, first.stderr).toBe(0);
      const once = await counts(lake);
      expect(once.rows).toBeGreaterThan(0);
      expect(readdirSync(join(lake, '_rand_guard', 'runs'))).toHaveLength(1);

      // The same capture again (under another name too), with a new one: only the new one is added.
      const copy = join(scratch(), 'renamed.rgc');
      copyFileSync(A, copy);
      const again = runReplayCli(['export', copy, B, '-o', lake, '--append', '--threads', threads]);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toContain(`${copy} (SHA-256 `);
      expect(again.stderr).toMatch(/is in .* already \(run [0-9a-f]+\): not exported again/);
      const after = await counts(lake);
      expect(after.captures).toBe(2);
      expect(after.rows).toBe(after.keys);
      expect(after.rows).toBeGreaterThan(once.rows);

      // Everything given is there already: nothing written, exit 0, said so.
      const nothing = runReplayCli(['export', A, B, '-o', lake, '--append', '--threads', threads]);
      expect(nothing.status, nothing.stderr).toBe(0);
      expect(nothing.stderr).toMatch(/nothing to export: every capture given is in .* already/);
      expect(await counts(lake)).toEqual(after);
    });
  }

  it('refuses a capture the dataset holds from a run with other filters', async () => {
    const lake = join(scratch(), 'lake');
    expect(runReplayCli(['export', A, '-o', lake, '--kind', 'file_delete']).status).toBe(0);
    const before = await counts(lake);
    const r = runReplayCli(['export', A, '-o', lake, '--append']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/is in .* already, exported by run [0-9a-f]+ with other options .*would add some of its rows twice/);
    expect(await counts(lake)).toEqual(before);
  });
});
