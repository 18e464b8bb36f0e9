/**
 * The kind registry: a kind added to a copy of the schema at run time, with
 * no other edit, is handled by every component that takes a schema: the
 * dispatcher, NDJSON, text, the process table and the tree, filters, stats,
 * audit, the `--schema manifest` translation, rules, the C header and
 * rg-capture's --events and program lists. And the registry refuses entries
 * that would make a component print or read something wrong.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCHeader } from '../../src/abi/cheader.js';
import { EventKind } from '../../src/abi/constants.js';
import { classifyRecord, reasonOfCode } from '../../src/abi/dispatch.js';
import { encodeRecord } from '../../src/abi/encode.js';
import { eventValues } from '../../src/abi/event-values.js';
import { describeSchema } from '../../src/abi/manifest-schema.js';
import { BUILD_SCHEMA, EVENT_FLAG_FILENAME_TRUNCATED, extendSchema, type KindDefinition, type Schema } from '../../src/abi/schema.js';
import { eventNames, programsToAttach } from '../../src/capture/programs.js';
import { parseEvents } from '../../src/capture/options.js';
import { ByteOutput } from '../../src/output/byte-output.js';
import { NdjsonEncoder } from '../../src/output/ndjson.js';
import { NdjsonSink, TextSink } from '../../src/output/sinks.js';
import { formatEventText } from '../../src/output/text.js';
import { WallClock } from '../../src/output/wall-clock.js';
import { buildAudit } from '../../src/replay/audit.js';
import { ProcessContextEncoder } from '../../src/replay/context-json.js';
import { compileFilter } from '../../src/replay/filters.js';
import { ProcessTable } from '../../src/replay/process-table.js';
import { newTotals, replayInputs } from '../../src/replay/replay.js';
import { parseRuleDocument } from '../../src/replay/rules/load.js';
import { ReplaySession } from '../../src/replay/session.js';
import { buildStats } from '../../src/replay/stats.js';
import { treeJson, treeText } from '../../src/replay/tree.js';
import { execRecord, forkRecord, type Identity } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, SYNTHETIC_REALTIME_NS, syntheticManifest, writeSynthetic } from '../support/synthetic.js';

const PROBE = 200;
const CRED = 201;
/** A kind this build does not have: everything below learns about it from this entry alone. */
const probe: KindDefinition = {
  id: PROBE, name: 'test_probe', eventType: 'test_probe', cliName: 'probe',
  process: { role: 'activity' },
  capture: { programs: ['handle_test_probe'], syscalls: ['probe'] },
  pathFields: ['target'], color: 'yellow', counter: { key: 'probes', label: 'probe' },
  fields: [
    { name: 'value', type: 'u32', view: 'uint', doc: 'a number' },
    { name: 'result', type: 's32', view: 'result', doc: '0 or -errno' },
    { name: 'small', type: 'u8', view: 'uint', doc: 'a byte' },
    { name: 'pad', type: 'u8', count: 7, view: 'hidden', doc: 'explicit padding' },
    { name: 'target', type: 'char', count: 64, view: 'string', doc: 'a path' },
  ],
  flags: [{ flag: 'FILENAME_TRUNCATED', outputName: 'target_truncated' }],
};
/** A credential change: it changes who the process is. */
const cred: KindDefinition = {
  id: CRED, name: 'test_setuid', eventType: 'test_setuid', cliName: 'setuid',
  process: { role: 'cred' },
  capture: { programs: ['handle_test_probe'], syscalls: ['setuid'] },
  pathFields: [], color: 'red', counter: null,
  fields: [{ name: 'new_uid', type: 'u32', view: 'uint', doc: 'uid asked for' }, { name: 'reserved', type: 'u32', view: 'hidden', doc: 'zero' }],
  flags: [],
};
const schema = extendSchema(BUILD_SCHEMA, [probe, cred]);

const T0 = SYNTHETIC_MONOTONIC_NS + 1_000_000n;
const sh: Identity = { ts: T0, pid: 700, ppid: 1, uid: 1000, comm: 'sh' };
const header = (id: Identity) => ({ ts_ns: id.ts, pid: id.pid, tid: id.pid, ppid: id.ppid, uid: id.uid ?? 0, comm: id.comm, flags: id.flags ?? 0 });
const probeRecord = (id: Identity, value: number, result: number, target: string) =>
  encodeRecord(PROBE, { ...header(id), value, result, small: 255, target }, schema);
const credRecord = (id: Identity, uid: number) => encodeRecord(CRED, { ...header({ ...id, uid }), new_uid: uid }, schema);

function ndjson(write: (out: ByteOutput) => void): string[] {
  const chunks: Buffer[] = [];
  const out = new ByteOutput((b) => chunks.push(Buffer.from(b)));
  write(out);
  out.flush();
  return Buffer.concat(chunks).toString().trim().split('\n');
}

describe('a kind added at run time', () => {
  const rec = probeRecord({ ...sh, flags: EVENT_FLAG_FILENAME_TRUNCATED }, 7, -2, '/srv/data/file');
  const clock = new WallClock(SYNTHETIC_REALTIME_NS, SYNTHETIC_MONOTONIC_NS);

  it('is accepted by the dispatcher of its schema, and rejected as an unknown kind by the build\'s', () => {
    expect(classifyRecord(rec, 0, rec.length, schema)).toBe(PROBE);
    expect(reasonOfCode(classifyRecord(rec, 0, rec.length))).toBe('unknown_kind');
    expect(schema.byId[PROBE]!.layout.size).toBe(72 + 4 + 4 + 1 + 7 + 64);
  });

  it('prints as NDJSON, in schema order, with its flag, its errno and exact values', () => {
    const [line] = ndjson((out) => new NdjsonEncoder(clock, schema).writeEvent(out, PROBE, rec, 0));
    const parsed = JSON.parse(line);
    expect(Object.keys(parsed)).toEqual(['event_type', 'ts_ns', 'time', 'pid', 'tid', 'ppid', 'uid', 'gid', 'auid', 'cgroup_id', 'cpu', 'mntns', 'comm',
      'value', 'result', 'error', 'small', 'target', 'target_truncated']);
    expect(parsed).toMatchObject({ event_type: 'test_probe', time: '2026-01-02T03:04:05.001000000Z', value: 7, result: -2, error: 'ENOENT', small: 255, target: '/srv/data/file', target_truncated: true });
    const slow = Object.fromEntries(eventValues(PROBE, rec, 0, schema).values);
    delete parsed.time;
    expect(parsed).toEqual(slow);
  });

  it('prints as a text line, in its colour', () => {
    const text = formatEventText(PROBE, rec, 0, clock, false, schema);
    expect(text).toBe('2026-01-02T03:04:05.001000000Z test_probe pid=700 ppid=1 uid=1000 comm=sh value=7 result=-2 error=ENOENT small=255 target=/srv/data/file target_truncated');
    expect(formatEventText(PROBE, rec, 0, clock, true, schema)).toContain('\x1b[33mtest_probe\x1b[0m');
  });

  it('is counted in the process table and the tree without invalidating the context; a credential change does', () => {
    const table = new ProcessTable(true, schema);
    const apply = (r: Uint8Array) => table.apply('h', classifyRecord(r, 0, r.length, schema), r, 0);
    apply(execRecord(sh, '/bin/sh', ['sh']));
    const node = apply(probeRecord(sh, 1, 0, '/a'));
    const version = node.version;
    apply(probeRecord(sh, 2, 0, '/b'));
    expect(node.version).toBe(version);
    // The build's counters, with the new kind's among the activity kinds (before fork): the order the tree prints.
    const counts = Object.fromEntries(schema.counted.map((k) => [k.counter!.key, k.counter!.key === 'execs' ? 1 : k.id === PROBE ? 2 : 0]));
    // Then the records of kinds without a counter (none here): the probes are counted as probes, not as other.
    expect(table.countsOf(node)).toEqual({ ...counts, other_records: 0 });
    const keys = Object.keys(counts);
    expect(keys.indexOf('probes')).toBeGreaterThan(keys.indexOf('execs'));
    expect(keys.indexOf('probes')).toBe(keys.indexOf('forks') - 1);
    apply(credRecord({ ...sh, comm: 'su' }, 0));
    expect(node.version).toBeGreaterThan(version);
    expect(node).toMatchObject({ uid: 0, comm: 'su' });
    // Text shows the counts that are not zero, in counter order.
    expect(treeText(table)).toBe('700 /bin/sh (started before capture) uid=0 [1 exec, 2 probe]\n');
    expect(treeJson(table, () => null)[0]).toMatchObject({ execs: 1, probes: 2, forks: 0 });
  });

  it('is selected by --kind and --path-prefix through its event type and pathFields', () => {
    const table = new ProcessTable(false, schema);
    const node = table.apply('h', PROBE, rec, 0);
    expect(compileFilter({ kind: ['test_probe'] }, schema).matches(PROBE, rec, 0, node, null, null)).toBe(true);
    expect(compileFilter({ kind: ['probe'] }, schema).matches(PROBE, rec, 0, node, null, null)).toBe(true);
    expect(compileFilter({ pathPrefix: ['/srv/'] }, schema).matches(PROBE, rec, 0, node, null, null)).toBe(true);
    expect(compileFilter({ pathPrefix: ['/etc/'] }, schema).matches(PROBE, rec, 0, node, null, null)).toBe(false);
    expect(() => compileFilter({ kind: ['test_probe'] })).toThrow(/unknown kind "test_probe"/);
  });

  it('is a rule event type of its schema only', () => {
    const doc = { rules: [{ id: 'p', title: 'probe', event: 'test_probe', match: { target: { prefix: '/srv/' } } }] };
    expect(parseRuleDocument(doc, 'r.toml', schema).rules[0].events).toEqual(['test_probe']);
    expect(() => parseRuleDocument(doc, 'r.toml')).toThrow(/unknown event "test_probe"/);
  });

  it('is in the C header, whose static asserts a C compiler checks', () => {
    const h = renderCHeader(schema);
    expect(h).toContain('RG_KIND_TEST_PROBE = 200,');
    expect(h).toContain('struct rg_test_probe {');
    expect(h).toContain('_Static_assert(__builtin_offsetof(struct rg_test_probe, target) == 88, "rg_test_probe.target offset");');
    const dir = mkdtempSync(join(tmpdir(), 'rg-registry-'));
    writeFileSync(join(dir, 'rg_abi.h'), h);
    writeFileSync(join(dir, 'check.c'), '#include <linux/types.h>\n#include "rg_abi.h"\nint main(void) { return 0; }\n');
    execFileSync('cc', ['-std=c11', '-Wall', '-Werror', '-I', dir, '-c', join(dir, 'check.c'), '-o', join(dir, 'check.o')]);
  });

  it('is an rg-capture --events name, with its programs attached (and the canary\'s, always)', () => {
    expect(eventNames(schema).probe).toBe(PROBE);
    expect([...parseEvents('probe,exec', schema)]).toEqual([PROBE, EventKind.ProcessExec]);
    // The canary's kind (file_open: its syscalls, openat2's sys_enter, and io_uring's) is always attached.
    const canary = ['handle_sys_exit', 'handle_openat2_enter', 'handle_io_uring_submit_req', 'handle_io_uring_complete', 'handle_io_uring_cqe_overflow'];
    expect(programsToAttach(new Set([PROBE]), false, schema)).toEqual([...canary, 'handle_test_probe']);
    expect(programsToAttach(new Set([PROBE]), true, schema)).toEqual(['handle_fork', 'handle_exit', ...canary, 'handle_test_probe']);
    expect(() => parseEvents('probe')).toThrow(/unknown event "probe"/);
  });

  describe('in a capture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-registry-cap-'));
    const path = join(dir, 'probe.rgc');
    const records = [
      execRecord(sh, '/bin/sh', ['sh']),
      forkRecord({ ...sh, ts: T0 + 1n }, 701),
      probeRecord({ ...sh, ts: T0 + 2n }, 1, 0, '/srv/one'),
      probeRecord({ ...sh, ts: T0 + 3n, pid: 701, ppid: 700 }, 2, -13, '/srv/two'),
      credRecord({ ...sh, ts: T0 + 4n }, 0),
    ];
    writeFileSync(path, writeSynthetic({ records, manifest: syntheticManifest({ schema: describeSchema(schema) }) }));

    function replay(s: Schema, decodeBy: 'build' | 'manifest') {
      const lines: string[] = [];
      const out = new ByteOutput((b) => lines.push(...Buffer.from(b).toString().trim().split('\n')));
      let session: ReplaySession;
      const context = new ProcessContextEncoder((host) => session.clockForHost(host));
      session = new ReplaySession({
        sink: new NdjsonSink(out, context, s), filter: compileFilter({}, s), withProcesses: true, keepProcessHistory: true, alerts: null,
        alertsOnly: false, withSourceEvents: false, decodeBy, schema: s,
      });
      const totals = newTotals();
      replayInputs([path], session, totals);
      const stats = buildStats(totals, session.counts, s);
      return { lines: lines.map((l) => JSON.parse(l)), stats, audit: buildAudit(stats, totals.files, decodeBy, s), session };
    }

    it('replays with process context, and is counted in --stats and the tree', () => {
      const r = replay(schema, 'build');
      const probes = r.lines.filter((l) => l.event_type === 'test_probe');
      expect(probes.map((l) => [l.target, l.error ?? null, l.process.exe])).toEqual([['/srv/one', null, '/bin/sh'], ['/srv/two', 'EACCES', '/bin/sh']]);
      expect(r.stats.by_kind).toMatchObject({ process_start: 1, process_fork: 1, test_probe: 2, test_setuid: 1 });
      expect(r.stats.time_range.last_ts_ns).toBe(String(T0 + 4n));
      expect(treeText(r.session.table!)).toContain('[1 exec, 1 probe, 1 fork]');
    });

    it('audits as identical to its own schema, and as unknown to this build', () => {
      expect(replay(schema, 'build').audit.files[0].schema).toMatchObject({ identical: true });
      const asBuild = replay(BUILD_SCHEMA, 'build');
      expect(asBuild.audit.files[0].schema!.kinds.filter((k) => k.status === 'unknown_to_build').map((k) => k.name)).toEqual(['test_probe', 'test_setuid']);
      expect(asBuild.stats.invalid.by_reason).toEqual({ unknown_kind: { 200: 2, 201: 1 } });
    });

    it('decodes by the manifest\'s layouts (--schema manifest) to what its own schema decodes', () => {
      const byBuild = replay(schema, 'build').lines;
      const byManifest = replay(schema, 'manifest').lines;
      expect(byManifest.map((l) => l.schema_unavailable)).toEqual(byBuild.map(() => []));
      expect(byManifest.map(({ schema_unavailable: _, ...rest }) => rest)).toEqual(byBuild);
    });
  });

  it('prints through the text sink with the process', () => {
    const lines: string[] = [];
    const out = new ByteOutput((b) => lines.push(Buffer.from(b).toString()));
    const table = new ProcessTable(false, schema);
    const node = table.apply('h', PROBE, rec, 0);
    const sink = new TextSink(out, false, new ProcessContextEncoder(() => null), schema);
    sink.begin(clock);
    sink.event(PROBE, rec, 0, node);
    sink.flush();
    expect(lines.join('')).toMatch(/ test_probe .*target=\/srv\/data\/file target_truncated exe=unknown parent=1:unknown\n$/);
  });
});

describe('the registry refuses entries that would print or read something wrong', () => {
  const bad = (change: Partial<KindDefinition>) => () => extendSchema(BUILD_SCHEMA, [{ ...probe, ...change }]);
  const withField = (f: object) => bad({ fields: [...probe.fields, f as KindDefinition['fields'][number]] });

  it('names the kind and the problem', () => {
    expect(bad({ id: EventKind.FileOpen })).toThrow(/kind id 4 is used twice/);
    expect(bad({ id: 256 })).toThrow(/test_probe \(256\): id must be 1\.\.255/);
    expect(bad({ eventType: 'file_open' })).toThrow(/event_type file_open is used twice/);
    expect(bad({ cliName: 'open' })).toThrow(/--events name open is used twice/);
    expect(bad({ flags: [{ flag: 'NO_SUCH_FLAG', outputName: 'x' }] })).toThrow(/flag NO_SUCH_FLAG is not a header flag/);
    expect(bad({ flags: [{ flag: 'OPENAT2', outputName: 'value' }] })).toThrow(/output key value appears twice/);
    expect(bad({ pathFields: ['value'] })).toThrow(/pathFields value must be a field with view string or unix_path/);
    expect(bad({ process: { role: 'exec', exe: 'target', argv: 'target' } })).toThrow(/process argv target must be a {2}field with view argv/);
    expect(bad({ capture: { programs: [], syscalls: [] } })).toThrow(/capture.programs is empty/);
    expect(withField({ name: 'big', type: 'u64', view: 'int', doc: '' })).toThrow(/view int cannot print a u64/);
    expect(withField({ name: 'args', type: 'char', count: 8, view: 'argv', doc: '' })).toThrow(/sizeField must name a u32 field/);
    // A Unix socket path is read with its u16 size and abstract flag.
    expect(withField({ name: 'sun', type: 'char', count: 8, view: 'unix_path', sizeField: 'value', abstractField: 'value', doc: '' })).toThrow(/test_probe.sun: sizeField must name a u16 field/);
    expect(withField({ name: 'sun', type: 'char', count: 8, view: 'unix_path', sizeField: 'flags', doc: '' })).toThrow(/test_probe.sun: abstractField must name a u16 field/);
    expect(withField({ name: 'comm', type: 'u32', view: 'uint', doc: '' })).toThrow(/field of rg_test_probe comm is used twice/);
    expect(withField({ name: 'odd', type: 'u16', view: 'uint', doc: '' })).toThrow(/ends at 154, not a multiple of its alignment 8/);
    expect(withField({ name: 'name', type: 'char', count: 8, countName: 'PATH_LEN', view: 'string', doc: '' })).toThrow(/countName PATH_LEN is not 8/);
  });
});
