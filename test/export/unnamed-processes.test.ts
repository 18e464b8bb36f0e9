/**
 * What a record does not name is not made up: a signal or ptrace whose target the kernel did not resolve
 * (target_tgid 0) has no `process` (no pid 0, no GUID shared by every such event; unmapped keeps the pid asked
 * for), and a record whose header is zeroed (a TCP change whose owner the kernel did not know: pid 0, uid 0) has
 * no actor process and no actor user (uid 0 would say root). OCSF NDJSON and Parquet (DuckDB reading it back) alike.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { duckQuery } from '../support/duckdb.js';
import { EventKind } from '../../src/abi/constants.js';
import { SyscallCall } from '../../src/abi/syscalls.js';
import { runReplayCli } from '../support/golden.js';
import { execRecord, type Identity } from '../support/records.js';
import { kindRecord, ptraceRecord } from '../support/intrusion-records.js';
import { tcpStateRecord, v4 } from '../support/net-records.js';
import { SYNTHETIC_MONOTONIC_NS, writeSynthetic } from '../support/synthetic.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-unnamed-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const t = (us: number) => SYNTHETIC_MONOTONIC_NS + BigInt(us) * 1000n;
const sh: Identity = { ts: 0n, pid: 7000, ppid: 1, uid: 1000, gid: 1000, auid: 1000, comm: 'sh' };
const other: Identity = { ts: 0n, pid: 7100, ppid: 1, uid: 1001, gid: 1001, auid: 1001, comm: 'other' };
const zeroed = (us: number): Identity => ({ ts: t(us), pid: 0, ppid: 0, uid: 0, comm: '' });

function capture(): string {
  const path = join(scratch(), 'unnamed.rgc');
  writeFileSync(path, writeSynthetic({ records: [
    execRecord({ ...sh, ts: t(1) }, '/bin/sh', ['sh']),
    execRecord({ ...other, ts: t(2) }, '/usr/bin/other', ['other']),
    kindRecord(EventKind.ProcessSignal, { ...sh, ts: t(10) }, { call: SyscallCall.Kill, signal: 9, target_pid: 99999, result: -3, target_tgid: 0 }),
    kindRecord(EventKind.ProcessSignal, { ...other, ts: t(11) }, { call: SyscallCall.Kill, signal: 15, target_pid: 88888, result: -3, target_tgid: 0 }),
    kindRecord(EventKind.ProcessSignal, { ...sh, ts: t(12) }, { call: SyscallCall.Kill, signal: 15, target_pid: -1, result: 0, target_tgid: 0 }),
    // Resolved: the target is named as before.
    kindRecord(EventKind.ProcessSignal, { ...sh, ts: t(13) }, { call: SyscallCall.Kill, signal: 0, target_pid: 7100, result: 0, status: 1, target_tgid: 7100, target_comm: 'other' }),
    ptraceRecord({ ...sh, ts: t(14) }, 0x4206, 1073741823, -3),
    tcpStateRecord(zeroed(20), 4, v4(10, 0, 0, 1), 5000, v4(198, 51, 100, 7), 443, { owner: 0, oldState: 1, newState: 7 }),
    tcpStateRecord(zeroed(21), 4, v4(10, 0, 0, 1), 5001, v4(203, 0, 113, 8), 22, { owner: 0, oldState: 1, newState: 7 }),
  ] }));
  return path;
}

describe('export: processes a record does not name', () => {
  const cap = capture();

  it('OCSF NDJSON: no process for an unresolved target, no actor for a zeroed header', () => {
    const r = runReplayCli(['export', cap, '--format', 'ocsf']);
    expect(r.status, r.stderr).toBe(0);
    const docs = r.stdout.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Doc);
    const signals = docs.filter((d) => d.unmapped.event_type === 'process_signal');
    expect(signals.map((d) => [d.unmapped.target_pid, d.process?.pid ?? null])).toEqual([[99999, null], [88888, null], [-1, null], [7100, 7100]]);
    expect(signals.slice(0, 3).every((d) => d.process === undefined && d.actor.process.pid > 0)).toBe(true);
    const ptrace = docs.find((d) => d.unmapped.event_type === 'process_ptrace')!;
    expect(ptrace.process).toBeUndefined();
    expect(ptrace.unmapped.target_pid).toBe(1073741823);
    const tcp = docs.filter((d) => d.unmapped.event_type === 'net_tcp_state');
    expect(tcp).toHaveLength(2);
    for (const d of tcp) {
      expect(d.actor?.process).toBeUndefined();
      expect(d.actor?.user).toBeUndefined();
      expect(d.unmapped.owner).toBe(0);
    }
    // No process of pid 0 anywhere outside unmapped (which keeps the record's header as it was).
    expect(JSON.stringify(docs.map((d) => ({ ...d, unmapped: null })))).not.toMatch(/"pid":0[,}]/);
  });

  it('ECS NDJSON: no user or group and no process for a zeroed header; the sender stays process.* of a signal to nobody', () => {
    const r = runReplayCli(['export', cap, '--format', 'ecs']);
    expect(r.status, r.stderr).toBe(0);
    const docs = r.stdout.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Doc).filter((d) => d.event !== undefined);
    const tcp = docs.filter((d) => d.event.action === 'net_tcp_state');
    expect(tcp).toHaveLength(2);
    for (const d of tcp) expect([d.user ?? null, d.group ?? null, d.process ?? null]).toEqual([null, null, null]);
    const signals = docs.filter((d) => d.event.action === 'process_signal');
    expect(signals.map((d) => [d.process.pid, d.user.id])).toEqual([[7000, '1000'], [7100, '1001'], [7000, '1000'], [7000, '1000']]);
  });

  for (const threads of ['1', '2']) {
    it(`Parquet says the same (--threads ${threads})`, async () => {
      const lake = join(scratch(), 'lake');
      const r = runReplayCli(['export', cap, '-o', lake, '--threads', threads]);
      expect(r.status, r.stderr).toBe(0);
      const signals = await duckQuery(`SELECT unmapped.target_pid AS asked, process.pid AS pid, process.uid AS guid FROM read_parquet('${lake}/*/*/class_uid=1007/*.parquet')
        WHERE unmapped.event_type IN ('process_signal', 'process_ptrace') ORDER BY time`);
      expect(signals).toEqual([
        { asked: 99999, pid: null, guid: null }, { asked: 88888, pid: null, guid: null }, { asked: -1, pid: null, guid: null },
        { asked: 7100, pid: '7100', guid: signals[3].guid }, { asked: 1073741823, pid: null, guid: null },
      ].map((s) => ({ ...s, pid: s.pid === null ? null : Number(s.pid) })));
      expect(signals[3].guid).toMatch(/^[0-9a-f-]{36}$/);
      const tcp = await duckQuery(`SELECT actor.process.pid AS pid, actor.process.uid AS guid, actor.user.uid AS uid FROM read_parquet('${lake}/*/*/class_uid=4001/*.parquet')`);
      expect(tcp).toEqual([{ pid: null, guid: null, uid: null }, { pid: null, guid: null, uid: null }]);
    });
  }
});
