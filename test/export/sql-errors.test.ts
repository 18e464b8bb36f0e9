/**
 * `rg-replay sql` over a dataset: a query DuckDB refuses is the query's fault
 * (exit 2); a file of the dataset that cannot be read (cut short, bytes
 * flipped in a page) is the dataset's (exit 3), said in one line that names
 * the file where DuckDB does, never an "internal error".
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplayCli } from '../support/golden.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-sql-errors-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const oneLine = (stderr: string) => {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0];
};

describe('sql over a dataset: errors', () => {
  let lake: string;
  let fileActivity: string;
  beforeAll(() => {
    lake = join(scratch(), 'lake');
    expect(runReplayCli(['export', 'captures/demo.rgc', '-o', lake]).status).toBe(0);
    fileActivity = join(lake, readdirSync(lake, { recursive: true }).map(String).find((f) => f.includes('class_uid=1001/') && f.endsWith('.parquet'))!);
  });

  it('a query DuckDB refuses: exit 2, its first line', () => {
    const names = runReplayCli(['sql', lake, 'SELECT * FROM no_such_view']);
    expect(names.status).toBe(2);
    expect(oneLine(names.stderr)).toMatch(/^rg-replay: sql: Catalog Error: Table with name no_such_view does not exist/);
    const cast = runReplayCli(['sql', lake, "SELECT CAST('x' AS INTEGER)"]);
    expect(cast.status).toBe(2);
    expect(oneLine(cast.stderr)).toMatch(/^rg-replay: sql: Conversion Error: /);
  });

  it('a file cut short (no footer): exit 3, naming the file', () => {
    const d = scratch();
    const copy = join(d, 'lake');
    cpSync(lake, copy, { recursive: true });
    const cut = join(dirname(fileActivity.replace(lake, copy)), 'part-cut.parquet');
    writeFileSync(cut, readFileSync(fileActivity).subarray(0, 3000));
    const r = runReplayCli(['sql', copy, 'SELECT count(*) FROM events']);
    expect(r.status, r.stderr).toBe(3);
    const line = oneLine(r.stderr);
    expect(line.startsWith(`rg-replay: sql: a file of the dataset in ${copy} cannot be read: `)).toBe(true);
    expect(line).toContain('part-cut.parquet');
  });

  it('a page whose bytes were flipped: exit 3 when a query reads it, and the other columns still answer', () => {
    const d = scratch();
    const copy = join(d, 'lake');
    cpSync(lake, copy, { recursive: true });
    const target = fileActivity.replace(lake, copy);
    const bytes = readFileSync(target);
    // The first column chunks' pages (the footer, at the end, is intact).
    for (let i = 200; i < 4000; i++) bytes[i] ^= 0x5a;
    writeFileSync(target, bytes);
    const r = runReplayCli(['sql', copy, 'SELECT * FROM events', '--json']);
    expect(r.status, r.stderr).toBe(3);
    expect(oneLine(r.stderr).startsWith(`rg-replay: sql: a file of the dataset in ${copy} cannot be read: `)).toBe(true);
    // A column whose pages are intact (the last: far from the bytes flipped) is still read, row for row.
    const q = 'SELECT count(unmapped.record_index) AS n, sum(unmapped.record_index) AS s FROM file_system_activity';
    const ok = runReplayCli(['sql', copy, q, '--json']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout.toString()).toBe(runReplayCli(['sql', lake, q, '--json']).stdout.toString());
    expect(JSON.parse(ok.stdout.toString()).n).toBe('3692');
  });
});
