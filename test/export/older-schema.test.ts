/**
 * A capture of an older schema (captures/demo-v1.rgc, schema 1) is exported, not left out: one row per event
 * rg-replay --json prints, in every format; the fields its file did not record are null (never the zeros of the
 * rebuilt record), the others as --json says them, and the header's version and size are the file's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { duckQuery } from '../support/duckdb.js';
import { runReplayCli } from '../support/golden.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-older-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const CAPTURE = 'captures/demo-v1.rgc';
const lines = (b: Buffer) => b.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Doc);

describe('export of a capture of an older schema', () => {
  const truth = lines(runReplayCli([CAPTURE, '--json']).stdout).filter((d) => d.event_type !== undefined);

  it('has events of schema 1, some fields unknown', () => {
    expect(truth).toHaveLength(437);
    expect(truth.filter((d) => d.event_type === 'file_open' && d.path === null && d.schema_unavailable.includes('path'))).toHaveLength(392);
  });

  it('OCSF and ECS NDJSON: one document per event, unknown fields left out', () => {
    const ocsf = runReplayCli(['export', CAPTURE, '--format', 'ocsf']);
    expect(ocsf.status, ocsf.stderr).toBe(0);
    const docs = lines(ocsf.stdout);
    expect(docs).toHaveLength(truth.length);
    docs.forEach((d, i) => {
      const t = truth[i];
      const u = d.unmapped;
      expect(u.event_type).toBe(t.event_type);
      expect(u.ts_ns).toBe(t.ts_ns);
      expect(u.version).toBe(1);
      // Unknown: left out (OCSF JSON leaves out what it does not say), never the rebuilt record's zeros.
      for (const f of t.schema_unavailable as string[]) if (f in t) expect(u[f], `${t.event_type}.${f}`).toBeUndefined();
      if (t.event_type === 'file_open') {
        expect(u.path_arg).toBe(t.path_arg);
        expect(d.file.path).toBeUndefined();
      }
    });
    const ecs = runReplayCli(['export', CAPTURE, '--format', 'ecs']);
    expect(ecs.status, ecs.stderr).toBe(0);
    expect(lines(ecs.stdout)).toHaveLength(2 * truth.length); // an action line and a document per event
  });

  for (const threads of ['1', '2']) {
    it(`Parquet: one row per event, unknown fields NULL (--threads ${threads})`, async () => {
      const lake = join(scratch(), 'lake');
      const r = runReplayCli(['export', CAPTURE, '-o', lake, '--threads', threads]);
      expect(r.status, r.stderr).toBe(0);
      const rows = await duckQuery(`SELECT count(*)::INTEGER AS n FROM read_parquet('${lake}/*/*/*/*.parquet', union_by_name = true)`);
      expect(rows[0].n).toBe(truth.length);
      const opens = await duckQuery(`SELECT count(*)::INTEGER AS n, count(unmapped.path)::INTEGER AS path, count(unmapped.ino)::INTEGER AS ino,
          count(file.path)::INTEGER AS file_path, count(unmapped.path_arg)::INTEGER AS path_arg, min(unmapped.version)::INTEGER AS v, max(unmapped.size)::INTEGER AS size
        FROM read_parquet('${lake}/*/*/class_uid=1001/*.parquet') WHERE unmapped.event_type = 'file_open'`);
      expect(opens).toEqual([{ n: 392, path: 0, ino: 0, file_path: 0, path_arg: 392, v: 1, size: 344 }]);
      const byKind = await duckQuery(`SELECT unmapped.event_type AS kind, count(*)::INTEGER AS n FROM read_parquet('${lake}/*/*/*/*.parquet', union_by_name = true) GROUP BY ALL ORDER BY ALL`);
      const counts = new Map<string, number>();
      for (const t of truth) counts.set(t.event_type, (counts.get(t.event_type) ?? 0) + 1);
      expect(byKind).toEqual([...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([kind, n]) => ({ kind, n })));
    });
  }
});
