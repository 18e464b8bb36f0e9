/**
 * A traced program that tries to stall the Parquet export (issue 16): 70,000
 * failed opens of distinct paths crafted so that the export's string hash
 * (src/export/string-pool.ts) is the same for all of them, and for their
 * names (programs/hash-flood.c). Before the probe bound a row group of them
 * took the export ~13 s to intern, each path probing past every one before
 * it; now each costs at most MAX_PROBES probes. Captured for real, exported
 * with the writer thread, on one thread and in two parts (--threads 2, the
 * small capture split as the parallel export's tests split theirs): the
 * export says that strings
 * were stored without deduplication (the crafted paths are why), and DuckDB
 * reads every crafted path back exactly once, with its bytes, in both.
 * Needs root (or CAP_BPF + CAP_PERFMON); see ./privilege.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_BIN } from '../support/golden.js';
import { program, readRecords, runCapture, text } from './capture-run.js';
import { EventKind } from '../../src/abi/index.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('hash-flood');
const COUNT = 70_000;

describe.skipIf(!runKernelTests)('paths crafted to collide in the export\'s string table (real eBPF)', () => {
  let base = '';
  let dir = '';
  let capture = '';
  let crafted: string[] = [];

  beforeAll(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'rg-flood-')));
    // The crafted words start on a word of the path: DIR plus its '/' a multiple of 4 bytes long.
    dir = join(base, 'd'.repeat((4 - ((base.length + 2) % 4)) % 4 || 4));
    expect((dir.length + 1) % 4).toBe(0);
    mkdirSync(dir);
    capture = join(base, 'flood.rgc');
    const run = await runCapture(['-o', capture, '--ring-size', '64M', '--follow', '--', program('hash-flood'), dir, String(COUNT)]);
    expect(run.status, run.stderr).toBe(0);
    crafted = run.stdout.split('\n').filter((l) => l !== '');
  }, 120_000);

  afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

  it('records each crafted open once, with its path as the program named it', () => {
    expect(crafted.length).toBe(COUNT);
    expect(new Set(crafted).size).toBe(COUNT);
    const paths = readRecords(capture).filter((r) => r.kind === EventKind.FileOpen).map((r) => text(r.f.path)).filter((p) => p.startsWith(`${dir}/`));
    expect(paths.length).toBe(COUNT);
    expect(new Set(paths)).toEqual(new Set(crafted));
  });

  const ways: [string, string[]][] = [['with the writer thread', []], ['on one thread', ['--threads', '1']], ['in two parts', ['--threads', '2']]];
  for (const [how, args] of ways) {
    it(`exports them ${how}: a warning, and every crafted path once in DuckDB`, async () => {
      const out = join(base, `lake-${args.join('') || 'default'}`);
      const r = spawnSync(process.execPath, [REPLAY_BIN, 'export', capture, '--format', 'parquet', '-o', out, ...args],
        { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', RG_EXPORT_WORKER_START_RECORDS: '0' } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/lost/);
      // Every crafted path past the first MAX_PROBES of each row group had no slot: most of them.
      const m = /warning: (\d+) strings of the capture were stored without deduplication/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(COUNT / 2);
      expect(Number(m![1])).toBeLessThanOrEqual(COUNT);
      const db = await DuckDBInstance.create(':memory:', { threads: '1' });
      const conn = await db.connect();
      try {
        const q = await conn.runAndReadAll(`SELECT file.path AS path, file.name AS name, file.parent_folder AS folder, unmapped.path AS raw_path
          FROM read_parquet('${out}/*/*/class_uid=1001/*.parquet', hive_partitioning = false) WHERE starts_with(file.path, '${dir}/')`);
        const rows = q.getRowObjectsJson() as { path: string; name: string; folder: string; raw_path: string }[];
        expect(rows.length).toBe(COUNT);
        expect(new Set(rows.map((x) => x.path))).toEqual(new Set(crafted));
        for (const x of rows) {
          expect(x.raw_path).toBe(x.path);
          expect(x.folder).toBe(dir);
          expect(`${dir}/${x.name}`).toBe(x.path);
        }
      } finally {
        conn.closeSync();
        db.closeSync();
      }
    }, 120_000);
  }
});
