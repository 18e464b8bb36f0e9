/**
 * A fork by a process that started before the capture (the fork is its first record): the child has its
 * parent's comm, as the kernel copies it at fork (was: "", the parent's name not yet read). OCSF and Parquet.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { duckQuery } from '../support/duckdb.js';
import { runReplayCli } from '../support/golden.js';
import { forkRecord, type Identity } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-forkname-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('export: the child of a fork by a process already running', () => {
  const cap = join(dir, 'fork.rgc');
  const bash: Identity = { ts: SYNTHETIC_MONOTONIC_NS + 1000n, pid: 500, ppid: 1, uid: 1000, gid: 1000, auid: 1000, comm: 'bash' };
  writeFileSync(cap, writeSynthetic({ records: [forkRecord(bash, 501)] }));

  it('is named by its parent\'s comm in OCSF NDJSON and Parquet', async () => {
    const r = runReplayCli(['export', cap, '--format', 'ocsf']);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout.toString().split('\n')[0]) as { process: { pid: number; name: string }; actor: { process: { name: string } } };
    expect(d.process).toMatchObject({ pid: 501, name: 'bash' });
    expect(d.actor.process.name).toBe('bash');
    const lake = join(dir, 'lake');
    expect(runReplayCli(['export', cap, '-o', lake]).status).toBe(0);
    const rows = await duckQuery(`SELECT process.pid AS pid, process.name AS name FROM read_parquet('${lake}/*/*/class_uid=1007/*.parquet')`);
    expect(rows).toEqual([{ pid: 501, name: 'bash' }]);
  });
});
