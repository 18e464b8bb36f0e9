/**
 * The Parquet export read back by an independent reader (hyparquet, pure JS,
 * no DuckDB): every event exactly once, with its exact values and types.
 * Hostile input (non-UTF-8 bytes, escape sequences, u64 extremes, a hostname
 * that tries to leave its directory), batches, 100 captures in one run,
 * filters, and what happens without DuckDB (the export does not need it).
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, REPLAY_BIN, runReplayCli } from '../support/golden.js';
import { writeSynthetic, syntheticManifest } from '../support/synthetic.js';
import { connectRecord, execRecord, exitRecord, forkRecord, openRecord } from '../support/records.js';
import { RecordCursor, RgcReader } from '../../src/rgc/reader.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-parquet-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function parquetFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet')).map((f) => join(dir, f));
}

/** Every file's rows; BLOB columns as bytes (utf8: false; VARCHAR columns carry their UTF8 annotation and stay strings). */
async function readAll(dir: string): Promise<{ file: string; rows: Record<string, unknown>[] }[]> {
  const out = [];
  for (const file of parquetFiles(dir)) {
    const buf = readFileSync(file);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    out.push({ file, rows: await parquetReadObjects({ file: ab, compressors, utf8: false }) as Record<string, unknown>[] });
  }
  return out;
}

const unmapped = (r: Record<string, unknown>) => r.unmapped as Record<string, unknown>;

describe('export --format parquet, read back by hyparquet', () => {
  it('holds every event of the demo capture exactly once, with the values rg-replay --json prints', async () => {
    const dir = join(scratch(), 'lake');
    const r = runReplayCli(['export', 'captures/demo.rgc', '-o', dir]);
    expect(r.status, r.stderr).toBe(0);
    const files = await readAll(dir);
    const rows = files.flatMap((f) => f.rows);
    const json = runReplayCli(['captures/demo.rgc', '--json']).stdout.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(json.length);
    const sha = createHash('sha256').update(readFileSync(join(REPO_ROOT, 'captures/demo.rgc'))).digest('hex');
    const keys = new Set(rows.map((x) => `${String(unmapped(x).frame_seq)}:${String(unmapped(x).record_index)}`));
    expect(keys.size).toBe(rows.length);
    expect(new Set(rows.map((x) => unmapped(x).capture_sha256))).toEqual(new Set([sha]));
    // Each row's frame_seq and record_index find its record in the file: same kind and ts_ns there.
    const byPosition = new Map<string, string>();
    const cursor = new RecordCursor();
    const reader = new RgcReader({
      frame(h, raw) {
        cursor.reset(raw);
        for (let i = 0; cursor.next(); i++) {
          const view = new DataView(raw.buffer, raw.byteOffset + cursor.offset, cursor.length);
          byPosition.set(`${h.seq}:${i}`, `${view.getUint16(2, true)}:${view.getBigUint64(8, true)}`);
        }
      },
    });
    reader.push(readFileSync(join(REPO_ROOT, 'captures/demo.rgc')));
    reader.finish();
    for (const x of rows) {
      const u = unmapped(x);
      expect(byPosition.get(`${String(u.frame_seq)}:${String(u.record_index)}`)).toBe(`${String(u.kind)}:${String(u.ts_ns)}`);
    }
    const sig = (e: Record<string, unknown>) => `${String(e.event_type)}|${String(e.ts_ns)}|${String(e.pid)}|${String(e.tid)}|${String(e.path ?? e.filename ?? e.addr ?? '')}`;
    const fromParquet = rows.map((x) => { const u = unmapped(x); return sig({ ...u, ts_ns: u.ts_ns, filename: u.filename }); }).sort();
    expect(fromParquet).toEqual(json.map(sig).sort());
    // Each file sits in its class's partition and holds only that class.
    for (const f of files) {
      const cls = /class_uid=(\d+)/.exec(relative(dir, f.file))![1];
      expect(new Set(f.rows.map((x) => String(x.class_uid)))).toEqual(new Set([cls]));
      expect(relative(dir, f.file)).toMatch(/^host=vm\/day=2026-12-02\/class_uid=\d+\/part-[0-9a-f]{8}-\d{5}\.parquet$/);
    }
  });

  it('writes real types: TIMESTAMP(NANOS) time, unsigned 64-bit integers, zstd pages', () => {
    const dir = join(scratch(), 'lake');
    expect(runReplayCli(['export', 'captures/demo.rgc', '-o', dir, '--kind', 'file_open']).status).toBe(0);
    const [file] = parquetFiles(dir);
    const buf = readFileSync(file);
    const md = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const field = (name: string) => md.schema.find((s) => s.name === name)!;
    expect(field('time').logical_type).toMatchObject({ type: 'TIMESTAMP', unit: 'NANOS' });
    expect(field('ts_ns').converted_type).toBe('UINT_64');
    expect(field('cgroup_id').converted_type).toBe('UINT_64');
    expect(field('frame_seq').converted_type).toBe('UINT_64');
    expect(new Set(md.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)))).toEqual(new Set(['ZSTD']));
  });

  it('keeps hostile and extreme values exact: non-UTF-8 bytes, escape sequences, u64 max, a hostname that tries to leave', async () => {
    const d = scratch();
    const evil = new Uint8Array([...Buffer.from('/tmp/\x1b]0;pwned\x07'), 0xff, 0xfe, ...Buffer.from('.sh')]);
    const id = { ts: 1_000_000_000_500n, pid: 4242, ppid: 1, comm: 'x\x1b[31m', cgroup_id: (1n << 64n) - 1n, uid: 4294967295 };
    const capture = writeSynthetic({
      manifest: syntheticManifest({ host: { hostname: '../../escape\n', kernel_release: 'k', machine: 'x86_64', boot_id: 'b' } }),
      records: [
        forkRecord({ ...id, pid: 1 }, 4242),
        execRecord(id, evil, ['sh', Buffer.from([0xc3, 0x28]) as unknown as Uint8Array]),
        openRecord({ ...id, ts: id.ts + 1n }, evil, 0o1101, 3),
        connectRecord({ ...id, ts: id.ts + 2n }, 10, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 443, -111),
        exitRecord({ ...id, ts: id.ts + 3n }, id.ts - 5n, 1, 9),
      ],
    });
    writeFileSync(join(d, 'evil.rgc'), capture);
    const dir = join(d, 'lake');
    const r = runReplayCli(['export', join(d, 'evil.rgc'), '-o', dir]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of parquetFiles(dir)) expect(relative(dir, f).startsWith('host=..%2F..%2Fescape%0A/')).toBe(true);
    const rows = (await readAll(dir)).flatMap((f) => f.rows);
    expect(rows).toHaveLength(5);
    const open = rows.find((x) => unmapped(x).event_type === 'file_open')!;
    expect(unmapped(open).cgroup_id).toBe((1n << 64n) - 1n);
    expect(Buffer.from(unmapped(open).path_raw as Uint8Array)).toEqual(Buffer.from(evil));
    expect(unmapped(open).path).toBe('/tmp/\x1b]0;pwned\x07\\xff\\xfe.sh');
    expect((open.file as Record<string, unknown>).path).toBe('/tmp/\x1b]0;pwned\x07\\xff\\xfe.sh');
    const exec = rows.find((x) => unmapped(x).event_type === 'process_start')!;
    expect(unmapped(exec).argv).toEqual(['sh', '\\xc3(']);
    const conn = rows.find((x) => unmapped(x).event_type === 'net_connect')!;
    // hostname: the local end's, when an inbound record (an accept) has the local end as its destination.
    expect(conn.dst_endpoint).toEqual({ hostname: null, ip: '2001:db8::1', port: 443 });
    expect(conn.activity_name).toBe('Refuse');
    expect(conn.status_code).toBe('ECONNREFUSED');
    const exit = rows.find((x) => unmapped(x).event_type === 'process_exit')!;
    expect(exit.exit_code).toBe(1);
    expect(unmapped(exit).signal).toBe(9);
    // The fork's child is the exec's process: one GUID for both.
    const fork = rows.find((x) => unmapped(x).event_type === 'process_fork')!;
    expect((fork.process as Record<string, unknown>).uid).toBe((exec.process as Record<string, unknown>).uid);

    // And a terminal never sees the raw escape sequences in sql's table.
    const q = runReplayCli(['sql', dir, "SELECT file.path, actor.process.name FROM file_system_activity"]);
    expect(q.status, q.stderr).toBe(0);
    expect(q.stdout.toString()).not.toMatch(/\x1b|\x07/);
    // Escaped by the rule replay's text uses (src/common/visible.ts), which writes a control character as \u00XX.
    expect(q.stdout.toString()).toContain('\\u001b]0;pwned\\u0007');
  });

  it('splits a long export into batches and still writes every event once', async () => {
    const d = scratch();
    const records: Uint8Array[] = [];
    for (let i = 0; i < 30_000; i++) {
      const id = { ts: 1_000_000_000_000n + BigInt(i) * 1000n, pid: 200 + (i % 50), ppid: 1, comm: 'cc1' };
      records.push(i % 10 === 0 ? connectRecord(id, 2, [10, 0, i >> 8 & 255, i & 255], 443, 0) : openRecord(id, `/src/file${i % 977}.c`, 0, 3 + (i % 40)));
    }
    writeFileSync(join(d, 'big.rgc'), writeSynthetic({ records }));
    const dir = join(d, 'lake');
    const r = spawnSync(process.execPath, [REPLAY_BIN, 'export', join(d, 'big.rgc'), '-o', dir], { cwd: REPO_ROOT, env: { ...process.env, RG_EXPORT_BATCH_ROWS: '2000' } });
    expect(r.status, r.stderr.toString()).toBe(0);
    const files = await readAll(dir);
    expect(files.length).toBeGreaterThan(4);
    const rows = files.flatMap((f) => f.rows);
    expect(rows).toHaveLength(30_000);
    expect(new Set(rows.map((x) => `${String(unmapped(x).frame_seq)}:${String(unmapped(x).record_index)}`)).size).toBe(30_000);
  });

  it('exports 100 captures in one run, one host partition each', async () => {
    const d = scratch();
    const inputs = join(d, 'captures');
    mkdirSync(inputs);
    for (let h = 0; h < 100; h++) {
      const id = { ts: 1_000_000_000_000n + BigInt(h), pid: 100 + h, ppid: 1, comm: 'sh' };
      writeFileSync(join(inputs, `host${String(h).padStart(3, '0')}.rgc`), writeSynthetic({
        manifest: syntheticManifest({ host: { hostname: `host${h}`, kernel_release: 'k', machine: 'x86_64', boot_id: `boot-${h}` }, segment: { capture_id: `c${h}`, index: 0, previous_sha256: null } }),
        records: [execRecord(id, '/bin/sh', ['sh']), openRecord({ ...id, ts: id.ts + 1n }, '/etc/passwd', 0, 3), exitRecord({ ...id, ts: id.ts + 2n }, id.ts, 0)],
      }));
    }
    const dir = join(d, 'lake');
    const r = runReplayCli(['export', inputs, '-o', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir).filter((x) => x.startsWith('host=')).length).toBe(100);
    const rows = (await readAll(dir)).flatMap((f) => f.rows);
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((x) => (x.device as Record<string, unknown>).hostname)).size).toBe(100);
  });

  it('applies filters, and refuses a non-empty output directory unless --append', () => {
    const dir = join(scratch(), 'lake');
    expect(runReplayCli(['export', 'captures/demo.rgc', '-o', dir, '--kind', 'net_connect']).status).toBe(0);
    expect(parquetFiles(dir).every((f) => f.includes('class_uid=4001'))).toBe(true);
    const again = runReplayCli(['export', 'captures/demo.rgc', '-o', dir]);
    expect(again.status).toBe(3);
    expect(again.stderr).toMatch(/exists and is not empty/);
    // The same capture again: the dataset holds it already, so it is not added twice (append-known-capture.test.ts).
    const append = runReplayCli(['export', 'captures/demo.rgc', '-o', dir, '--append', '--kind', 'net_connect']);
    expect(append.status).toBe(0);
    expect(append.stderr).toMatch(/not exported again/);
    expect(parquetFiles(dir)).toHaveLength(1);
    expect(runReplayCli(['export', 'captures/synthetic-files-processes.rgc', '-o', dir, '--append', '--kind', 'net_connect']).status).toBe(0);
  });

  it('exits as replay does: 6 for an incomplete capture (rows written), 4 for a file that is not a capture, 2 for a bad format', () => {
    const d = scratch();
    const incomplete = runReplayCli(['export', 'captures/synthetic-incomplete.rgc', '-o', join(d, 'a')]);
    expect(incomplete.status).toBe(6);
    expect(incomplete.stderr).toMatch(/incomplete: no end record/);
    expect(parquetFiles(join(d, 'a')).length).toBeGreaterThan(0);
    writeFileSync(join(d, 'not.rgc'), 'hello');
    expect(runReplayCli(['export', join(d, 'not.rgc'), '-o', join(d, 'b')]).status).toBe(4);
    const bad = runReplayCli(['export', 'captures/demo.rgc', '--format', 'csv']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exports the events of an older schema, says how many, for each format and for sql (older-schema.test.ts checks the rows)', () => {
    // captures/demo-v1.rgc is schema 1: replay rebuilds its records by the manifest, with the fields schema 1 lacked unknown.
    const events = Number(/events:\s+(\d+)/.exec(runReplayCli(['captures/demo-v1.rgc', '--stats']).stdout.toString())![1]);
    expect(events).toBeGreaterThan(0);
    const d = scratch();
    for (const args of [['--format', 'ocsf'], ['--format', 'ecs'], ['-o', join(d, 'lake')]]) {
      const r = runReplayCli(['export', 'captures/demo-v1.rgc', ...args]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`exported ${events} events`);
      expect(r.stderr).toContain(`note: ${events} events are of an older schema version: exported`);
    }
    const q = runReplayCli(['sql', 'captures/demo-v1.rgc', 'SELECT count(*) AS n FROM events', '--json']);
    expect(q.status, q.stderr).toBe(0);
    expect(q.stderr).toContain(`note: ${events} events are of an older schema version: in the query's tables`);
    expect(Number((JSON.parse(q.stdout.toString().trim()) as { n: string }).n)).toBe(events);
  });

  it('without DuckDB installed: parquet and ocsf still work (no DuckDB writes them); sql says how to add it in one line', async () => {
    // A copy of the shipped bundle beside a node_modules that has everything but @duckdb.
    const d = scratch();
    // The bundle and its chunks (the parts loaded on demand).
    mkdirSync(join(d, 'dist'), { recursive: true });
    cpSync(dirname(REPLAY_BIN), join(d, 'dist/bin'), { recursive: true });
    mkdirSync(join(d, 'node_modules'));
    for (const m of readdirSync(join(REPO_ROOT, 'node_modules'))) if (m !== '@duckdb') symlinkSync(join(REPO_ROOT, 'node_modules', m), join(d, 'node_modules', m));
    expect(existsSync(join(d, 'node_modules/@duckdb'))).toBe(false);
    const run = (args: string[]) => spawnSync(process.execPath, [join(d, 'dist/bin/rg-replay.mjs'), ...args], { cwd: REPO_ROOT, maxBuffer: 1 << 30 });
    const parquet = run(['export', 'captures/demo.rgc', '-o', join(d, 'lake')]);
    expect(parquet.status, parquet.stderr.toString()).toBe(0);
    expect((await readAll(join(d, 'lake'))).flatMap((f) => f.rows)).toHaveLength(4106);
    const sql = run(['sql', 'captures/demo.rgc', 'SELECT 1']);
    expect(sql.status).toBe(3);
    expect(sql.stderr.toString().trim().split('\n')).toEqual(['rg-replay: DuckDB is not installed (an optional dependency): run `npm install @duckdb/node-api` in the rand-guard directory, then retry']);
    const ocsf = run(['export', 'captures/demo.rgc', '--format', 'ocsf']);
    expect(ocsf.status, ocsf.stderr.toString()).toBe(0);
    expect(ocsf.stdout.toString().split('\n').filter((l) => l !== '')).toHaveLength(4106);
    expect(run(['captures/demo.rgc', '--stats']).status).toBe(0);
  });
});
