/** rand-guard records as Sigma events: categories and fields with their Sysmon-for-Linux meanings. */
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { encodeRecord } from '../../src/abi/encode.js';
import { BUILD_SCHEMA, extendSchema, type KindDefinition } from '../../src/abi/schema.js';
import { ProcessTable } from '../../src/replay/process-table.js';
import { sigmaLogSources } from '../../src/replay/sigma/log-sources.js';
import { processGuid, type RecordSource, RecordView } from '../../src/replay/sigma/record-view.js';
import { SigmaRunner } from '../../src/replay/sigma/runner.js';
import { compileRuleTexts } from '../../src/sigma/load.js';
import { WallClock } from '../../src/output/wall-clock.js';
import { connectRecord, execRecord, exitRecord, forkRecord, ipv4, ipv6, openRecord, type Identity } from '../support/records.js';
import { dnsRecord, v4 } from '../support/net-records.js';
import { writeDnsMessage } from '../support/dns-wire.js';
import { kindRecord } from '../support/intrusion-records.js';
import { EventKind } from '../../src/abi/constants.js';

const source: RecordSource = { host: 'boot-1', clock: new WallClock(1_767_323_045_000_000_000n, 1_000_000_000_000n), users: new Map([[0, 'root'], [1000, 'alice']]) };
const shell: Identity = { ts: 1_000_000_000_000n, pid: 100, ppid: 1, uid: 1000, auid: 1000, comm: 'bash' };
const child: Identity = { ts: 1_000_000_001_000n, pid: 200, ppid: 100, uid: 0, auid: 1000, comm: 'curl' };
const O_WRONLY_CREAT_TRUNC = 0o1101;

/** Applies records to a process table and returns the view of the last one. */
function viewOf(records: Uint8Array[]): { view: RecordView; category: string | null } {
  const table = new ProcessTable();
  const view = new RecordView();
  let category: string | null = null;
  for (const r of records) {
    const kind = classifyRecord(r, 0, r.length);
    const node = table.apply(source.host, kind, r, 0);
    category = view.set(kind, r, 0, node, source);
  }
  return { view, category };
}

const history = [
  forkRecord({ ...shell, ts: 999_000_000_000n }, 100),
  execRecord(shell, '/usr/bin/bash', ['bash', '-i']),
  forkRecord({ ...shell, ts: 1_000_000_000_500n }, 200),
];

describe('categories', () => {
  it('execs are process_creation, exits process_termination, connects network_connection', () => {
    expect(viewOf([...history, execRecord(child, '/usr/bin/curl', ['curl'])]).category).toBe('process_creation');
    expect(viewOf([...history, exitRecord(child, 1n, 0)]).category).toBe('process_termination');
    expect(viewOf([...history, connectRecord(child, ipv4(10, 0, 0, 1).family, ipv4(10, 0, 0, 1).addr, 443, 0)]).category).toBe('network_connection');
  });

  it('file_event is a successful open for writing; reads and failed opens are not', () => {
    expect(viewOf([openRecord(child, '/etc/cron.d/x', O_WRONLY_CREAT_TRUNC, 3)]).category).toBe('file_event');
    expect(viewOf([openRecord(child, '/etc/cron.d/x', 0, 3)]).category).toBeNull();
    expect(viewOf([openRecord(child, '/etc/cron.d/x', O_WRONLY_CREAT_TRUNC, -13)]).category).toBeNull();
    expect(viewOf([forkRecord(child, 300)]).category).toBeNull();
  });

  it('every field the log source table offers is one the view answers', () => {
    const samples: Record<string, Uint8Array[]> = {
      process_creation: [...history, execRecord(child, '/usr/bin/curl', ['curl', '-s'])],
      process_termination: [...history, exitRecord(child, 1n, 0)],
      file_event: [...history, openRecord(child, '/tmp/x', O_WRONLY_CREAT_TRUNC, 3)],
      network_connection: [...history, connectRecord(child, ipv4(1, 2, 3, 4).family, ipv4(1, 2, 3, 4).addr, 80, 0)],
      dns_query: [...history, dnsRecord(child, 1, v4(127, 0, 0, 53), writeDnsMessage({ questions: [{ name: 'example.com', type: 1 }] }))],
      file_delete: [...history, kindRecord(EventKind.FileDelete, child, { result: 0, path: '/root/.bash_history', path_arg: '.bash_history' })],
    };
    for (const [category, fields] of sigmaLogSources().categories) {
      const { view } = viewOf(samples[category]);
      for (const f of fields.fields) expect(view.get(f), `${category}.${f}`).not.toBeUndefined();
      expect(view.get('Hashes')).toBeUndefined();
    }
  });
});

describe('fields', () => {
  it('process_creation: Image, CommandLine as ps shows it, parent, User by name, LogonId, ids', () => {
    const { view } = viewOf([...history, execRecord(child, '/usr/bin/curl', ['curl', '-s', 'http://x/a b'])]);
    expect(view.get('Image')).toBe('/usr/bin/curl');
    expect(view.get('CommandLine')).toBe('curl -s http://x/a b');
    expect(view.get('ParentImage')).toBe('/usr/bin/bash');
    expect(view.get('ParentCommandLine')).toBe('bash -i');
    expect(view.get('User')).toBe('root');
    expect(view.get('ParentUser')).toBe('alice');
    expect(view.get('LogonId')).toBe(1000);
    expect(view.get('ProcessId')).toBe(200);
    expect(view.get('ParentProcessId')).toBe(100);
    expect(view.get('ProcessGuid')).toMatch(/^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/);
    expect(view.get('ParentProcessGuid')).toMatch(/^\{/);
    expect(view.get('ParentProcessGuid')).not.toBe(view.get('ProcessGuid'));
  });

  it('a uid the manifest does not name is null, not a guess', () => {
    const { view } = viewOf([execRecord({ ...child, uid: 4242 }, '/usr/bin/id', ['id'])]);
    expect(view.get('User')).toBeNull();
    expect(view.get('ParentImage')).toBeNull();
  });

  it('ProcessGuid is the same for every event of one process, and differs for a reused pid', () => {
    const table = new ProcessTable();
    const guids: (string | null)[] = [];
    const recs = [...history, execRecord(child, '/usr/bin/curl', ['curl']), openRecord(child, '/tmp/o', O_WRONLY_CREAT_TRUNC, 3), exitRecord(child, 1n, 0),
      forkRecord({ ...shell, ts: 1_000_000_009_000n }, 200), execRecord({ ...child, ts: 1_000_000_009_500n }, '/usr/bin/id', ['id'])];
    for (const r of recs) {
      const node = table.apply(source.host, classifyRecord(r, 0, r.length), r, 0);
      if (node.pid === 200) guids.push(processGuid(node));
    }
    expect(new Set(guids.slice(0, 3)).size).toBe(1);
    expect(guids[3]).not.toBe(guids[0]);
  });

  it('file_event: TargetFilename and the writing process', () => {
    const { view } = viewOf([...history, execRecord(child, '/usr/bin/tee', ['tee']), openRecord(child, '/etc/sudoers.d/x', O_WRONLY_CREAT_TRUNC, 3)]);
    expect(view.get('TargetFilename')).toBe('/etc/sudoers.d/x');
    expect(view.get('Image')).toBe('/usr/bin/tee');
    expect(view.get('CommandLine')).toBeUndefined();
  });

  it('bytesOf hands out the C string get decodes, for string fields of the record only (schema 1 captures: what the field meant then)', () => {
    const bytesOf = (view: RecordView, field: string): string | false => {
      const span = { buf: new Uint8Array(0), start: 0, end: 0 };
      if (!view.bytesOf(field, span)) return false;
      const bytes = Buffer.from(span.buf.subarray(span.start, span.end));
      return bytes.subarray(0, bytes.indexOf(0) < 0 ? bytes.length : bytes.indexOf(0)).toString('latin1');
    };
    const records = [...history, execRecord(child, '/usr/bin/tee', ['tee']), openRecord(child, '/etc/sudoers.d/\u00e9', O_WRONLY_CREAT_TRUNC, 3, 0, -100, { pathArg: 'x' })];
    const { view } = viewOf(records);
    expect(bytesOf(view, 'TargetFilename')).toBe(Buffer.from('/etc/sudoers.d/\u00e9').toString('latin1'));
    expect(view.get('TargetFilename')).toBe('/etc/sudoers.d/\u00e9');
    // Image of a non-exec is its process's program (no bytes of the record); numbers are no strings.
    expect([bytesOf(view, 'Image'), bytesOf(view, 'ProcessId'), bytesOf(view, 'CommandLine')]).toEqual([false, false, false]);
    const old = new RecordView();
    const r = records[records.length - 1];
    old.set(classifyRecord(r, 0, r.length), r, 0, null, { ...source, schemaVersion: 1 });
    expect([old.get('TargetFilename'), bytesOf(old, 'TargetFilename')]).toEqual(['x', 'x']);
    const exec = viewOf([...history, execRecord(child, '/usr/bin/Curl', ['curl'])]).view;
    expect([exec.get('Image'), bytesOf(exec, 'Image')]).toEqual(['/usr/bin/Curl', false]);
  });

  it('network_connection: destination, protocol, Initiated', () => {
    const v4 = viewOf([...history, connectRecord(child, ipv4(127, 0, 0, 2).family, ipv4(127, 0, 0, 2).addr, 4444, 0)]).view;
    expect([v4.get('DestinationIp'), v4.get('DestinationPort'), v4.get('Initiated'), v4.get('DestinationIsIpv6'), v4.get('Image')]).toEqual(['127.0.0.2', 4444, true, false, '/usr/bin/bash']);
    const v6 = viewOf([connectRecord(child, ipv6([0xfd00, 0, 0, 0, 0, 0, 0, 1]).family, ipv6([0xfd00, 0, 0, 0, 0, 0, 0, 1]).addr, 53, -111)]).view;
    expect([v6.get('DestinationIp'), v6.get('DestinationIsIpv6')]).toEqual(['fd00::1', true]);
  });

  it('the time is the wall clock from the manifest', () => {
    const { view } = viewOf([execRecord(child, '/usr/bin/id', ['id'])]);
    expect(view.timeMs).toBe(Date.UTC(2026, 0, 2, 3, 4, 5) + 0.001);
  });
});

describe('alerts from Sigma rules', () => {
  const rule = `title: Curl from bash
id: 0a0a0a0a-0000-4000-8000-000000000001
status: test
level: medium
author: Someone (Somewhere)
tags:
    - attack.command-and-control
    - attack.t1105
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        Image|endswith: '/curl'
        ParentImage|endswith: '/bash'
    condition: selection
fields:
    - CommandLine
    - User
`;

  it('carry the rule id, title, level, status, tags, authors, file, the rule fields and the process context', () => {
    const runner = new SigmaRunner(compileRuleTexts([{ file: 'rules/x.yml', text: rule, problem: null }], sigmaLogSources()));
    const table = new ProcessTable();
    const out = [];
    for (const r of [...history, execRecord(child, '/usr/bin/curl', ['curl', '-s', 'http://x'])]) {
      const kind = classifyRecord(r, 0, r.length);
      out.push(...runner.evaluate(kind, r, 0, table.apply(source.host, kind, r, 0), source));
    }
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      event_type: 'alert', engine: 'sigma', rule_id: '0a0a0a0a-0000-4000-8000-000000000001', title: 'Curl from bash', severity: 'medium',
      level: 'medium', status: 'test', tags: ['attack.command-and-control', 'attack.t1105'], author: 'Someone (Somewhere)', rule_file: 'rules/x.yml',
      fields: { CommandLine: 'curl -s http://x', User: 'root' }, time: '2026-01-02T03:04:05.000001000Z',
      source: { event_type: 'process_start', pid: 200 }, process: { pid: 200, ppid: 100, exe: '/usr/bin/curl', argv: ['curl', '-s', 'http://x'] },
      filename: '/usr/bin/curl', parent_exe: '/usr/bin/bash',
    });
  });

  it('a record is offered to Sigma only when its kind has a log source some loaded rule is for', () => {
    const runner = new SigmaRunner(compileRuleTexts([{ file: 'rules/x.yml', text: rule, problem: null }], sigmaLogSources()));
    expect([EventKind.ProcessExec, EventKind.FileOpen, EventKind.ProcessExit, EventKind.FileDelete, 255].map((k) => runner.offers(k))).toEqual([true, false, false, false, false]);
    const fileRule = "title: Sudoers\nlogsource:\n    product: linux\n    category: file_event\ndetection:\n    sel:\n        TargetFilename|startswith: '/etc/sudoers.d/'\n    condition: sel\n";
    const files = new SigmaRunner(compileRuleTexts([{ file: 'rules/y.yml', text: fileRule, problem: null }], sigmaLogSources()));
    expect(files.ruleCount).toBe(1);
    expect([EventKind.ProcessExec, EventKind.FileOpen, EventKind.FileRename, EventKind.FileDelete].map((k) => files.offers(k))).toEqual([false, true, true, false]);
  });
});

describe('a kind added at run time gets its Sigma log source from its registry entry alone', () => {
  // A category no kind of this build provides (driver_load: Sysmon's ImageLoaded).
  const UNLINK = 210;
  const unlink: KindDefinition = {
    id: UNLINK, name: 'test_unlink', eventType: 'test_unlink', cliName: 'test-unlink',
    process: { role: 'activity' }, capture: { programs: ['handle_test_unlink'], syscalls: ['finit_module'] },
    pathFields: ['path'], color: 'red', counter: null,
    fields: [
      { name: 'result', type: 's32', view: 'result', doc: '0 or -errno' },
      { name: 'reserved', type: 'u32', view: 'hidden', doc: 'padding' },
      { name: 'path', type: 'char', count: 64, view: 'string', doc: 'the module file' },
    ],
    flags: [],
    sigma: { category: 'driver_load', fields: { ImageLoaded: 'path' } },
  };
  const schema = extendSchema(BUILD_SCHEMA, [unlink]);
  const rule = 'title: module from tmp\nlogsource:\n    product: linux\n    category: driver_load\ndetection:\n    sel:\n        ImageLoaded|startswith: /tmp/\n    condition: sel\n';

  it('the category and its fields load, and a rule for it fires on its records', () => {
    expect(sigmaLogSources().categories.has('driver_load')).toBe(false);
    expect(sigmaLogSources().unavailable.has('driver_load')).toBe(true);
    const sources = sigmaLogSources(schema);
    expect(sources.categories.get('driver_load')?.fields).toEqual(['Image', 'ProcessId', 'ProcessGuid', 'User', 'ImageLoaded']);
    expect(sources.unavailable.has('driver_load')).toBe(false);
    const runner = new SigmaRunner(compileRuleTexts([{ file: 'r.yml', text: rule, problem: null }], sources), schema);
    const rec = encodeRecord(UNLINK, { ts_ns: 1_000_000_000_000n, pid: 9, tid: 9, ppid: 1, uid: 0, comm: 'insmod', result: 0, path: '/tmp/rootkit.ko' }, schema);
    const table = new ProcessTable(false, schema);
    const alerts = runner.evaluate(UNLINK, rec, 0, table.apply(source.host, UNLINK, rec, 0), source);
    expect(alerts.map((a) => [a.title, a.source.event_type, a.path])).toEqual([['module from tmp', 'test_unlink', '/tmp/rootkit.ko']]);
  });

  it('a Unix socket path mapped to a Sigma field reads as printed: `@` and every byte of an abstract name, `./@` for a pathname starting with @', () => {
    const sock: KindDefinition = {
      ...unlink, id: UNLINK + 1, name: 'test_sock', eventType: 'test_sock', cliName: 'test-sock',
      fields: [
        { name: 'path_size', type: 'u16', view: 'hidden', doc: 'bytes of sun_path in use' },
        { name: 'abstract', type: 'u16', view: 'uint', doc: '1: abstract' },
        { name: 'result', type: 's32', view: 'result', doc: '0 or -errno' },
        { name: 'path', type: 'char', count: 112, view: 'unix_path', sizeField: 'path_size', abstractField: 'abstract', doc: 'sun_path' },
      ],
    };
    const schema2 = extendSchema(BUILD_SCHEMA, [sock]);
    const hidden = 'title: a name behind a NUL\nlogsource:\n    product: linux\n    category: driver_load\ndetection:\n    sel:\n        ImageLoaded: "@/run/x\\0c2"\n    condition: sel\n';
    const abstract = 'title: abstract\nlogsource:\n    product: linux\n    category: driver_load\ndetection:\n    sel:\n        ImageLoaded|startswith: "@"\n    condition: sel\n';
    const runner = new SigmaRunner(compileRuleTexts([{ file: 'a.yml', text: hidden, problem: null }, { file: 'b.yml', text: abstract, problem: null }], sigmaLogSources(schema2)), schema2);
    const table = new ProcessTable(false, schema2);
    const fired = (path: string, size: number, isAbstract: number) => {
      const rec = encodeRecord(sock.id, { ts_ns: 1_000_000_000_000n, pid: 9, tid: 9, ppid: 1, comm: 'x', path_size: size, abstract: isAbstract, path }, schema2);
      return runner.evaluate(sock.id, rec, 0, table.apply(source.host, sock.id, rec, 0), source).map((a) => [a.title, a.path]);
    };
    expect(fired('/run/x\0c2', 10, 1)).toEqual([['a name behind a NUL', '@/run/x\u0000c2'], ['abstract', '@/run/x\u0000c2']]);
    expect(fired('/run/x', 7, 1)).toEqual([['abstract', '@/run/x']]);
    expect(fired('@/run/x', 8, 0)).toEqual([]);
  });

  it('the registry refuses a Sigma mapping to a field the kind does not have', () => {
    expect(() => extendSchema(BUILD_SCHEMA, [{ ...unlink, sigma: { category: 'driver_load', fields: { ImageLoaded: 'nope' } } }])).toThrow(/sigma field ImageLoaded names no field nope/);
    const noResult = { ...unlink, fields: unlink.fields.map((f) => (f.name === 'result' ? { ...f, view: 'int' as const } : f)) };
    expect(() => extendSchema(BUILD_SCHEMA, [{ ...noResult, sigma: { category: 'driver_load', writesOnly: true } }])).toThrow(/writesOnly needs a result field/);
  });
});
