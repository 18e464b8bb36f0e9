/**
 * Export, sql and report key processes as replay does (replay/hosts.ts): by hostname and boot id. Two hosts
 * whose captures claim one boot id (a cloned VM, a crafted file), each with a pid 100 started at the same
 * time: was, in the dataset, one process GUID for both and hostB's /etc/shadow read and connect under hostA's
 * nginx (actor.process.file.path /usr/sbin/nginx, its command line).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Manifest } from '../../src/rgc/manifest.js';
import { duckQuery } from '../support/duckdb.js';
import { runReplayCli } from '../support/golden.js';
import { connectRecord, execRecord, forkRecord, openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS as T0, syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-export-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const manifest = (hostname: string, capture: string): Manifest =>
  syntheticManifest({ host: { hostname, kernel_release: 'k', machine: 'x86_64', boot_id: 'aaaa' }, segment: { capture_id: capture, index: 0, previous_sha256: null } });
const write = (name: string, records: Uint8Array[], m: Manifest) => {
  const path = join(dir, name);
  writeFileSync(path, writeSynthetic({ records, manifest: m }));
  return path;
};
// Both hosts fork pid 100 from pid 1 at the same time: the same boot id, pid and start time.
const A = write('mA.rgc', [
  forkRecord({ ts: T0, pid: 1, ppid: 0, comm: 'init' }, 100),
  execRecord({ ts: T0 + 1n, pid: 100, ppid: 1, comm: 'nginx' }, '/usr/sbin/nginx', ['nginx', '-g', 'daemon off;']),
], manifest('hostA', 'A'));
const B = write('mB.rgc', [
  forkRecord({ ts: T0, pid: 1, ppid: 0, comm: 'init' }, 100),
  openRecord({ ts: T0 + 2n, pid: 100, ppid: 1, comm: 'evil' }, '/etc/shadow', 0, 3),
  connectRecord({ ts: T0 + 3n, pid: 100, ppid: 1, comm: 'evil' }, 2, [1, 2, 3, 4], 4444, 0),
], manifest('hostB', 'B'));
// hostB's pid 100 started before its capture: under hostA's key it was hostA's nginx, still running.
const B_UNSEEN = write('mB-unseen.rgc', [
  openRecord({ ts: T0 + 2n, pid: 100, ppid: 1, comm: 'evil' }, '/etc/shadow', 0, 3),
  connectRecord({ ts: T0 + 3n, pid: 100, ppid: 1, comm: 'evil' }, 2, [1, 2, 3, 4], 4444, 0),
], manifest('hostB', 'B-unseen'));

describe('export of several hosts that claim one boot id', () => {
  it('Parquet: each host\'s pid 100 has its own GUID and program, and each row its hostname', async () => {
    const lake = join(dir, 'lake');
    const r = runReplayCli(['export', A, B, '-o', lake]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/boot id aaaa is claimed by captures of 2 hosts/);
    const rows = await duckQuery(`SELECT device.hostname AS host, class_uid AS class, actor.process.pid AS pid, actor.process.uid AS guid,
      actor.process.file.path AS exe, actor.process.cmd_line AS cmd FROM read_parquet('${lake}/*/*/*/*.parquet', union_by_name = true)
      WHERE actor.process.pid = 100 ORDER BY time, host`);
    const shadow = rows.filter((x) => x.host === 'hostB');
    expect(shadow.map((x) => [Number(x.class), x.exe, x.cmd])).toEqual([[1001, null, null], [4001, null, null]]);
    const [nginx] = await duckQuery(`SELECT process.uid AS guid, process.file.path AS exe, process.cmd_line AS cmd FROM read_parquet('${lake}/*/*/class_uid=1007/*.parquet')
      WHERE device.hostname = 'hostA' AND unmapped.event_type = 'process_start'`);
    expect([nginx.exe, nginx.cmd]).toEqual(['/usr/sbin/nginx', 'nginx -g daemon off;']);
    expect(shadow[0].guid).toBe(shadow[1].guid);
    expect(shadow[0].guid).not.toBe(nginx.guid);
  });

  it('OCSF NDJSON: a process hostB\'s capture did not see start is not hostA\'s', () => {
    const r = runReplayCli(['export', A, B_UNSEEN, '--format', 'ocsf']);
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { device: { hostname: string }; actor?: { process?: { uid: string; file?: { path: string } } }; unmapped: { event_type: string } });
    const evil = rows.filter((x) => x.device.hostname === 'hostB');
    const nginx = rows.find((x) => x.device.hostname === 'hostA' && x.unmapped.event_type === 'process_start')!;
    expect(evil.map((x) => x.actor?.process?.file?.path ?? null)).toEqual([null, null]);
    expect(evil[0].actor!.process!.uid).not.toBe(nginx.actor!.process!.uid);
  });

  it('sql over the captures: the connect is hostB\'s, by a process that is not nginx', () => {
    const r = runReplayCli(['sql', A, B_UNSEEN, "SELECT device.hostname AS host, actor.process.file.path AS exe FROM network_activity"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.toString()).toContain('hostB');
    expect(r.stdout.toString()).not.toContain('/usr/sbin/nginx');
  });

  it('report: each process of a merged report says its host', () => {
    const out = join(dir, 'r.html');
    const r = runReplayCli(['report', A, B_UNSEEN, '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="rg-data">([\s\S]*?)<\/script>/.exec(html)![1]) as { processes: { items: { pid: number; exe?: string; fields?: [string, string][] }[] } };
    const hundreds = data.processes.items.filter((p) => p.pid === 100).map((p) => [p.exe ?? null, p.fields?.find(([k]) => k === 'host')?.[1]]);
    expect(hundreds).toEqual([['/usr/sbin/nginx', 'hostA'], [null, 'hostB']]);
  });
});
