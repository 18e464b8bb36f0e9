/**
 * A wall time a Parquet TIMESTAMP(NANOS) (signed INT64 ns) cannot hold: synthetic-all-kinds.rgc has a
 * record past 2262. The NDJSON exports write its date; the Parquet row has time NULL and goes to
 * day=unknown (never a wrapped, plausible date), its exact ns kept in unmapped.ts_ns, and stderr says so.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { duckQuery } from '../support/duckdb.js';
import { runReplayCli } from '../support/golden.js';
import { exitRecord, openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, writeSynthetic } from '../support/synthetic.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-pqtime-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('export --format parquet: a wall time past 2262', () => {
  for (const threads of ['1', '2']) {
    it(`is NULL in day=unknown, not a wrapped date (--threads ${threads})`, async () => {
      const capture = 'captures/synthetic-all-kinds.rgc';
      const json = runReplayCli([capture, '--json']).stdout.toString().split('\n').filter((l) => l.includes('far-future'));
      expect(json).toHaveLength(1);
      const truth = { ts_ns: /"ts_ns":(\d+)/.exec(json[0])![1], time: (JSON.parse(json[0]) as { time: string }).time };
      expect(truth.time.startsWith('2607-')).toBe(true);
      const lake = join(scratch(), 'lake');
      const r = runReplayCli(['export', capture, '-o', lake, '--threads', threads]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/warning: 1 rows have a wall time a Parquet TIMESTAMP\(NANOS\) cannot hold/);
      const rows = await duckQuery(`SELECT day, time IS NULL AS no_time, unmapped.ts_ns::VARCHAR AS ts_ns FROM read_parquet('${lake}/*/*/class_uid=1001/*.parquet', hive_partitioning = true)
        WHERE file.path LIKE '%far-future'`);
      expect(rows).toEqual([{ day: 'unknown', no_time: true, ts_ns: truth.ts_ns }]);
      // No other day than the capture's own was made up.
      const days = readdirSync(lake, { recursive: true }).map(String).filter((f) => /day=[^/]*$/.test(f)).map((f) => f.replace(/.*day=/, ''));
      expect(days.filter((d) => d.startsWith('2023-'))).toEqual([]);
      const ocsf = runReplayCli(['export', capture, '--format', 'ocsf']).stdout.toString().split('\n').filter((l) => l.includes('far-future'));
      expect((JSON.parse(ocsf[0]) as { time_dt: string }).time_dt).toBe(truth.time);
    });
  }

  it('a process started past 2262 (a hostile start_ns) has no created_time, and the export goes on (was an internal error)', async () => {
    const capture = join(scratch(), 'late-start.rgc');
    const id = { ts: SYNTHETIC_MONOTONIC_NS + 1000n, pid: 4242, ppid: 1, comm: 'late' };
    writeFileSync(capture, writeSynthetic({ records: [
      exitRecord(id, (1n << 64n) - 1n, 0),
      openRecord({ ...id, ts: id.ts + 1n, pid: 4243 }, '/etc/hosts', 0, 3, 0),
    ] }));
    for (const threads of ['1', '2']) {
      const lake = join(scratch(), 'lake');
      const r = runReplayCli(['export', capture, '-o', lake, '--threads', threads, '--detect']);
      expect(r.status, r.stderr).toBe(0);
      const rows = await duckQuery(`SELECT actor.process.pid AS pid, actor.process.created_time IS NULL AS no_start, unmapped.start_ns::VARCHAR AS start_ns
        FROM read_parquet('${lake}/*/*/class_uid=1007/*.parquet')`);
      expect(rows).toEqual([{ pid: 4242, no_start: true, start_ns: '18446744073709551615' }]);
    }
  });
});
