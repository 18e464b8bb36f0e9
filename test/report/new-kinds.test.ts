/**
 * Kinds the report has never heard of, added to a copy of the registry at run
 * time with no other edit: a delete with a path, a listener with an address,
 * a credential change, and an exec kind that records the working directory.
 * They appear in the counts, the timeline and the table; the delete gets a
 * panel and an indicator of its own; the listener earns its process the
 * listener badge; the credential change the user-id badge; the working
 * directory shows on the process and lifts the "paths are not resolved"
 * caveat.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AF_INET } from '../../src/abi/constants.js';
import { encodeRecord } from '../../src/abi/encode.js';
import { describeSchema } from '../../src/abi/manifest-schema.js';
import { BUILD_SCHEMA, extendSchema, type KindDefinition } from '../../src/abi/schema.js';
import { type EventSink } from '../../src/output/sinks.js';
import { buildReport, type ReplayRun } from '../../src/report/build.js';
import { expandProcess } from '../../src/report/model.js';
import { compileFilter } from '../../src/replay/filters.js';
import { type ProcessNode } from '../../src/replay/process-table.js';
import { newTotals, replayInputs } from '../../src/replay/replay.js';
import { ReplaySession } from '../../src/replay/session.js';
import { buildStats } from '../../src/replay/stats.js';
import { type Identity } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const DELETE = 210;
const LISTEN = 211;
const SETUID = 212;
const EXEC2 = 213;

const kinds: KindDefinition[] = [
  {
    id: DELETE, name: 'test_remove', eventType: 'test_remove', cliName: 'remove', process: { role: 'activity' },
    capture: { programs: ['handle_test'], syscalls: ['unlinkat'] }, pathFields: ['target'], color: 'red', counter: { key: 'removes', label: 'remove' },
    fields: [
      { name: 'result', type: 's32', view: 'result', doc: '0 or -errno' },
      { name: 'pad', type: 'u32', view: 'hidden', doc: 'zero' },
      { name: 'target', type: 'char', count: 64, view: 'string', doc: 'the path removed' },
    ],
    flags: [],
  },
  {
    id: LISTEN, name: 'test_listen', eventType: 'test_listen', cliName: 'test-listen', process: { role: 'activity' },
    capture: { programs: ['handle_test'], syscalls: ['listen'] }, pathFields: [], color: 'yellow', counter: null,
    fields: [
      { name: 'family', type: 'u16', view: 'family', doc: 'AF_*' },
      { name: 'port', type: 'u16', view: 'uint', doc: 'local port' },
      { name: 'backlog', type: 'u32', view: 'uint', doc: 'backlog' },
      { name: 'addr', type: 'bytes', count: 16, view: 'addr', familyField: 'family', doc: 'local address' },
    ],
    flags: [],
  },
  {
    id: SETUID, name: 'test_setuid', eventType: 'test_setuid', cliName: 'setuid', process: { role: 'cred' },
    capture: { programs: ['handle_test'], syscalls: ['setuid'] }, pathFields: [], color: 'white', counter: null,
    fields: [{ name: 'new_uid', type: 'u32', view: 'uint', doc: 'uid' }, { name: 'pad', type: 'u32', view: 'hidden', doc: 'zero' }],
    flags: [],
  },
  {
    id: EXEC2, name: 'test_exec', eventType: 'test_exec', cliName: 'exec2', process: { role: 'exec', exe: 'prog', argv: 'args' },
    capture: { programs: ['handle_test'], syscalls: ['execve'] }, pathFields: ['prog', 'cwd'], color: 'green', counter: null,
    fields: [
      { name: 'args_size', type: 'u32', view: 'hidden', doc: 'bytes of args' },
      { name: 'pad', type: 'u32', view: 'hidden', doc: 'zero' },
      { name: 'exe_dev', type: 'u64', view: 'uint', doc: 'device' },
      { name: 'prog', type: 'char', count: 64, view: 'string', doc: 'program' },
      { name: 'cwd', type: 'char', count: 64, view: 'string', doc: 'working directory' },
      { name: 'args', type: 'char', count: 64, view: 'argv', key: 'argv', sizeField: 'args_size', doc: 'argv' },
    ],
    flags: [],
  },
];
const schema = extendSchema(BUILD_SCHEMA, kinds);

const T0 = SYNTHETIC_MONOTONIC_NS + 1_000_000n;
const header = (id: Identity) => ({ ts_ns: id.ts, pid: id.pid, tid: id.pid, ppid: id.ppid, uid: id.uid ?? 0, comm: id.comm, flags: 0 });
const daemon: Identity = { ts: T0, pid: 900, ppid: 1, uid: 1000, comm: 'daemon' };
const at = (n: number, extra: Partial<Identity> = {}): Identity => ({ ...daemon, ts: T0 + BigInt(n) * 1000n, ...extra });

function capture(): string {
  const args = new TextEncoder().encode('daemon\0--serve\0');
  const records = [
    encodeRecord(EXEC2, { ...header(at(0)), args_size: args.length, exe_dev: 2049, prog: '/opt/daemon', cwd: '/srv/www', args }, schema),
    encodeRecord(DELETE, { ...header(at(1)), result: 0, target: '/var/log/auth.log' }, schema),
    encodeRecord(LISTEN, { ...header(at(2)), family: AF_INET, port: 8081, backlog: 128, addr: Uint8Array.of(0, 0, 0, 0, ...new Array(12).fill(0)) }, schema),
    encodeRecord(SETUID, { ...header(at(3, { uid: 0 })), new_uid: 0 }, schema),
    encodeRecord(DELETE, { ...header(at(4, { uid: 0 })), result: 0, target: '/var/log/auth.log' }, schema),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'rg-report-kinds-'));
  const path = join(dir, 'kinds.rgc');
  writeFileSync(path, writeSynthetic({ records, manifest: syntheticManifest({ schema: describeSchema(schema) }) }));
  return path;
}

function run(paths: string[], sink: EventSink<ProcessNode>): ReplayRun {
  const session = new ReplaySession({
    sink, filter: compileFilter({}, schema), withProcesses: true, keepProcessHistory: true, alerts: null,
    alertsOnly: false, withSourceEvents: false, decodeBy: 'build', schema,
  });
  const totals = newTotals();
  replayInputs(paths, session, totals);
  return { session, stats: buildStats(totals, session.counts, schema), files: totals.files };
}

const built = await buildReport(run, { paths: [capture()], rules: {}, publicKey: null, schema });

describe('kinds added to the registry at run time, in the report', () => {
  const { data } = built;
  const kindIndex = (name: string) => data.kinds.findIndex((k) => k.name === name);
  const daemonProcess = data.processes.items.map(expandProcess).find((p) => p.pid === 900)!;

  it('are counted, timed, coloured and listed in the table', () => {
    for (const name of ['test_remove', 'test_listen', 'test_setuid', 'test_exec']) {
      const k = kindIndex(name);
      expect(k, name).toBeGreaterThanOrEqual(0);
      expect(data.kinds[k].color).toMatch(/^#[0-9a-f]{6}$/);
      expect(data.histogram.series[k].reduce((a, b) => a + b, 0)).toBe(data.totals.by_kind[k]);
    }
    expect(data.totals.by_kind[kindIndex('test_remove')]).toBe(2);
    const rows = data.events.k.map((k, i) => [data.kinds[k].name, data.events.strings[data.events.a[i]], data.events.strings[data.events.b[i]]]);
    expect(rows).toContainEqual(['test_remove', '/var/log/auth.log', 'result=0']);
    expect(rows).toContainEqual(['test_listen', '0.0.0.0:8081', 'family=AF_INET backlog=128']);
  });

  it('a delete gets a panel and an indicator named after its kind; a listener a badge', () => {
    const group = data.groups.findIndex((g) => g.id === 'kind:test_remove');
    expect(group).toBeGreaterThanOrEqual(0);
    expect(daemonProcess.panels.find((p) => p.group === group)!.items).toMatchObject([{ value: '/var/log/auth.log', count: 2 }]);
    expect(data.indicators.find((g) => g.group === group)!.items.map((e) => e.value)).toEqual(['/var/log/auth.log']);
    const listeners = data.groups.findIndex((g) => g.id === 'listeners:test_listen');
    expect(daemonProcess.panels.find((p) => p.group === listeners)!.items.map((e) => e.value)).toEqual(['0.0.0.0:8081']);
    expect(daemonProcess.badges).toContain('listener');
  });

  it('a credential change earns the user-id badge; the exec kind\'s program, device and working directory show', () => {
    expect(daemonProcess.badges).toContain('privilege_change');
    expect(daemonProcess.uids).toEqual([1000, 0]);
    expect(daemonProcess.exe).toBe('/opt/daemon');
    expect(daemonProcess.argv).toEqual(['daemon', '--serve']);
    expect(daemonProcess.fields).toEqual([['exe_dev', '2049'], ['cwd', '/srv/www']]);
    const executed = data.indicators.find((g) => data.groups[g.group].id === 'executed')!;
    expect(executed.items).toMatchObject([{ value: '/opt/daemon', detail: 'exe_dev=2049 cwd=/srv/www' }]);
    expect(data.coverage.blind_spots.join(' ')).not.toMatch(/Relative paths are recorded as the program passed them/);
  });
});
