/**
 * A failed exec (exec_failed: Process Activity, Launch, Failure) names the program that failed to start as
 * `process` (its path and command line, from the record, in the caller's pid; no GUID: no process image was made),
 * and the caller, its image unchanged, as `actor.process`. Was: `process` was the caller's own image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { duckQuery } from '../support/duckdb.js';
import { runReplayCli } from '../support/golden.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-execfail-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const lines = (b: Buffer) => b.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Doc);

describe('export: exec_failed', () => {
  const truth = lines(runReplayCli(['captures/demo.rgc', '--json', '--kind', 'exec_failed']).stdout).filter((d) => d.event_type === 'exec_failed');

  it('OCSF: process is the program attempted, actor the caller', () => {
    expect(truth.length).toBeGreaterThan(0);
    const r = runReplayCli(['export', 'captures/demo.rgc', '--format', 'ocsf', '--kind', 'exec_failed']);
    expect(r.status, r.stderr).toBe(0);
    const docs = lines(r.stdout);
    expect(docs).toHaveLength(truth.length);
    docs.forEach((d, i) => {
      const t = truth[i];
      expect(d.type_name).toBe('Process Activity: Launch');
      expect(d.status).toBe('Failure');
      expect(d.process).toEqual({ pid: t.pid, cmd_line: t.argv.join(' '), file: expect.objectContaining({ path: t.path }) });
      expect(d.actor.process.pid).toBe(t.pid);
      expect(d.actor.process.file.path).toBe(t.process.exe);
      expect(d.actor.process.file.path).not.toBe(t.path);
    });
  });

  it('Parquet says the same (DuckDB)', async () => {
    const lake = join(scratch(), 'lake');
    const r = runReplayCli(['export', 'captures/demo.rgc', '-o', lake, '--kind', 'exec_failed']);
    expect(r.status, r.stderr).toBe(0);
    const rows = await duckQuery(`SELECT process.pid AS pid, process.uid AS guid, process.file.path AS path, process.cmd_line AS cmd,
        actor.process.file.path AS actor FROM read_parquet('${lake}/*/*/class_uid=1007/*.parquet') ORDER BY unmapped.frame_seq, unmapped.record_index`);
    expect(rows).toEqual(truth.map((t) => ({ pid: t.pid, guid: null, path: t.path, cmd: t.argv.join(' '), actor: t.process.exe })));
  });
});
