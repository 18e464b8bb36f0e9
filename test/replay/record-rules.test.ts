/**
 * Rules compiled over record bytes (record-rules.ts) decide exactly what the
 * reference decides: the rule compiled over an event's facts (evaluate.ts
 * over eventFacts), for random rules over random streams of events whose
 * process table evolves (so the per-process and per-number memos are tested
 * across changes, not on one event).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AF_INET, AF_INET6, EventKind } from '../../src/abi/constants.js';
import { SyscallCall } from '../../src/abi/syscalls.js';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { BUILD_SCHEMA, EVENT_FLAG_DISPUTED, EVENT_FLAG_EXE_DELETED, EVENT_FLAG_OPENAT2, EVENT_FLAG_USER_READ_FAILED } from '../../src/abi/schema.js';
import { ProcessTable } from '../../src/replay/process-table.js';
import { compileRule } from '../../src/replay/rules/evaluate.js';
import { eventFacts } from '../../src/replay/rules/facts.js';
import { type Condition, type Match, type Rule } from '../../src/replay/rules/model.js';
import { compileKindRule, compileRecordRule, filePathGate, RecordEpoch } from '../../src/replay/rules/record-rules.js';
import { kindRecord } from '../support/intrusion-records.js';
import { unixRecord } from '../support/net-records.js';
import { connectRecord, execRecord, exitRecord, forkRecord, openRecord } from '../support/records.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1');
/** Strings the records hold and the rules test: shared, so rules often match. Some are not UTF-8, some only look alike. */
const TEXTS = ['/etc/shadow', '/etc/cron.d/job', '/tmp/x', '/home/u/.ssh/id_rsa', '/usr/bin/curl', '/bin/sh', 'bash', 'sh', 'curl', '',
  'café', '/tmp/日本', '/tmp/\u202etxt', 'a b', '/proc/1/mem'];
const RAW_TEXTS = [...TEXTS.map((t) => Buffer.from(t, 'utf8')), latin1('/tmp/\xff\xfe'), latin1('/etc/\xc3'), latin1('caf\xc3\xa9\xff')];
const RULE_STRINGS = [...TEXTS, '/etc/', '/tmp/', 'id_rsa', '/mem', 'sh', '/', 'é', '日', '\udcff', '\ud800', '/tmp/\udcff\udcfe', 'O_CREAT', 'O_WRONLY', 'AF_INET', 'ENOENT', '10.0.0.1', '::1',
  // Unix socket addresses as printed: `@` before an abstract name (NULs and all), `./@` before a pathname that starts with @.
  '@', '@/etc/shadow', '@/tmp/x\u0000bash', '\u0000', './@', './@/tmp/x', 'connect'];
const NUMBERS = [0, 1, -2, 3, 22, 443, 4444, 1000, 4100, 4101, 4102, 0o1101, 0o100];
const KEYS = ['path', 'filename', 'comm', 'argv', 'uid', 'pid', 'ppid', 'tid', 'result', 'error', 'open_flags', 'mode', 'dirfd', 'family', 'addr', 'port',
  'write', 'exe_deleted', 'path_truncated', 'argv_unreadable', 'addr_unreadable', 'exit_code', 'signal', 'event_type', 'ts_ns', 'cgroup_id', 'start_ns', 'child_pid',
  'process.exe', 'process.argv', 'process.known', 'parent.exe', 'parent.comm', 'ancestors.exe', 'ancestors.comm', 'nonexistent',
  'written_path', 'wiped_path', 'filename_in_cwd', 'new_path', 'old_path', 'target', 'length', 'rename_flags', 'abstract', 'path_size_invalid', 'op'];

const value = fc.oneof(fc.constantFrom(...RULE_STRINGS), fc.constantFrom(...NUMBERS), fc.boolean());
const values = fc.oneof(value, fc.array(value, { maxLength: 3 }));
/** One or two operators, as rules are written: a dozen random ones would never hold together. */
const OP_ARGS: Record<string, fc.Arbitrary<unknown>> = {
  equals: values, prefix: values, suffix: values, contains: values, one_of: fc.array(value, { maxLength: 3 }),
  cidr: fc.constantFrom('10.0.0.0/8', '::1/128', '192.0.2.0/24'), gt: fc.constantFrom(...NUMBERS), gte: fc.constantFrom(...NUMBERS),
  lt: fc.constantFrom(...NUMBERS), lte: fc.constantFrom(...NUMBERS),
  not_equals: values, not_prefix: values, not_suffix: values, not_contains: values, not_one_of: fc.array(value, { maxLength: 3 }),
  not_cidr: fc.constantFrom('10.0.0.0/8', '127.0.0.0/8'),
};
const condition = fc.uniqueArray(fc.constantFrom(...Object.keys(OP_ARGS)), { minLength: 1, maxLength: 2 })
  .chain((ops) => fc.tuple(...ops.map((op) => OP_ARGS[op].map((arg) => [op, arg] as const))))
  .map((pairs) => Object.fromEntries(pairs) as Condition);
/** Keys weighted towards what the fast paths read differently: strings compared as bytes and process facts behind a memo. */
const key = fc.oneof(
  { arbitrary: fc.constantFrom('path', 'filename', 'comm'), weight: 4 },
  { arbitrary: fc.constantFrom('process.exe', 'parent.exe', 'parent.comm', 'process.argv'), weight: 2 },
  // Derived from several fields, read through StringFields and behind the file path gate.
  { arbitrary: fc.constantFrom('written_path', 'wiped_path'), weight: 3 },
  { arbitrary: fc.constantFrom(...KEYS), weight: 3 },
);
const match: fc.Arbitrary<Match> = fc.dictionary(key, condition, { minKeys: 0, maxKeys: 2 });
const rule: fc.Arbitrary<Rule> = fc.record({
  events: fc.oneof(fc.constant([]), fc.subarray(['process_start', 'process_fork', 'process_exit', 'file_open', 'net_connect', 'file_delete', 'file_rename', 'file_link', 'file_truncate', 'net_unix'])),
  match, any: fc.array(match, { maxLength: 2 }),
}).map((r) => ({ id: 'r', title: 't', severity: 'high' as const, ...r }));

/** One step of a stream: which kind of record and the texts and numbers it holds. */
const step = fc.record({
  kind: fc.constantFrom('fork', 'exec', 'open', 'open', 'connect', 'exit', 'delete', 'rename', 'link', 'truncate', 'unix'),
  pid: fc.constantFrom(4100, 4101, 4102), ppid: fc.constantFrom(1, 4100, 4101), uid: fc.constantFrom(0, 1000),
  text: fc.constantFrom(...RAW_TEXTS), comm: fc.constantFrom(...RAW_TEXTS), args: fc.array(fc.constantFrom(...RAW_TEXTS), { maxLength: 3 }),
  number: fc.constantFrom(...NUMBERS), flags: fc.constantFrom(0, EVENT_FLAG_EXE_DELETED, EVENT_FLAG_USER_READ_FAILED, 1),
  v6: fc.boolean(),
  /** A Unix socket address: abstract (leading NUL), a pathname that starts with @, or plain; more behind a NUL; a hostile size or abstract flag. */
  unix: fc.record({
    lead: fc.constantFrom('', '\0', '@'), tail: fc.boolean(),
    size: fc.option(fc.constantFrom(0, 1, 5, 108, 109, 300)), abstract: fc.option(fc.constantFrom(0, 1, 2)),
  }),
  /** The version the record's capture was written with: schema 1 opens have only the path as passed. */
  schemaVersion: fc.constantFrom(1, BUILD_SCHEMA.version),
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function recordOf(s: Step, i: number): Uint8Array {
  const id = { ts: 1000_000000000n + BigInt(i), pid: s.pid, ppid: s.ppid, uid: s.uid, comm: s.comm.subarray(0, 15), flags: s.flags };
  switch (s.kind) {
    case 'fork': return forkRecord(id, s.pid + 1);
    case 'exec': return execRecord(id, s.text, s.args, 0n, { cwd: s.comm });
    case 'open': return openRecord(id, s.text, s.number & 0o7777777, s.number, 0, -100, { pathArg: s.comm });
    // The file kinds written_path and wiped_path are derived from: results of both signs, RENAME_EXCHANGE (2) among the flags, lengths 0 and not.
    case 'delete': return kindRecord(EventKind.FileDelete, id, { result: s.number > 1000 ? 0 : s.number, path: s.text, path_arg: s.comm });
    case 'rename': return kindRecord(EventKind.FileRename, id, { result: s.number > 1000 ? 0 : s.number, rename_flags: s.number & 3, old_path: s.comm, new_path: s.text });
    case 'link': return kindRecord(EventKind.FileLink, id, { result: s.number > 1000 ? 0 : s.number, target: s.comm, new_path: s.text });
    case 'truncate': return kindRecord(EventKind.FileTruncate, id, { result: s.number > 1000 ? 0 : s.number, length: BigInt(s.number & 1), path: s.text });
    case 'unix': {
      const name = Buffer.concat([Buffer.from(s.unix.lead, 'latin1'), s.text, ...(s.unix.tail ? [Buffer.from([0]), s.comm] : [])]).subarray(0, 108);
      return unixRecord(id, 2, name, s.number, { pathSize: s.unix.size ?? undefined, abstract: s.unix.abstract ?? undefined });
    }
    case 'connect': return s.v6 ? connectRecord(id, AF_INET6, [...Array(15).fill(0), 1], s.number & 0xffff, s.number) : connectRecord(id, AF_INET, [10, 0, 0, 1], s.number & 0xffff, s.number);
    default: return exitRecord(id, 1000_000000000n, s.number & 0xff);
  }
}

describe('rules compiled over record bytes', () => {
  it('decide exactly what the rules over decoded facts decide, for random rules over random event streams', () => {
    let matched = 0;
    let decided = 0;
    fc.assert(fc.property(fc.array(rule, { minLength: 1, maxLength: 4 }), fc.array(step, { minLength: 1, maxLength: 30 }), (rules, steps) => {
      const table = new ProcessTable(false);
      const epoch = new RecordEpoch();
      const reference = rules.map(compileRule);
      const compiled = new Map<number, { test: (b: Uint8Array, at: number, n: never) => boolean; needsFilePath: boolean }[]>();
      const gates = new Map<number, ((b: Uint8Array, at: number) => boolean) | null>();
      steps.forEach((s, i) => {
        const r = recordOf(s, i);
        const kindId = classifyRecord(r, 0, r.length);
        const node = table.apply('h', kindId, r, 0);
        const kind = BUILD_SCHEMA.byId[kindId]!;
        if (!compiled.has(kindId)) {
          compiled.set(kindId, rules.map((x) => (compileKindRule(x, kind, epoch) ?? { test: () => false, needsFilePath: false }) as never));
          gates.set(kindId, filePathGate(kind, epoch));
        }
        epoch.n++;
        epoch.schemaVersion = s.schemaVersion;
        const facts = eventFacts(kindId, r, 0, node);
        facts.set('schema_version', s.schemaVersion);
        const want = reference.map((x) => x.appliesTo(kind.eventType) && x.test(facts));
        // As the alert engine asks: a rule that needs a file path is not offered a record the gate finds none on.
        const gate = gates.get(kindId)!;
        const hasPath = gate === null ? null : gate(r, 0);
        const got = compiled.get(kindId)!.map((t) => (t.needsFilePath && hasPath === false ? false : t.test(r, 0, node as never)));
        expect(got).toEqual(want);
        // The gate only skips what would not match anyway: the rules asked regardless decide the same.
        expect(compiled.get(kindId)!.map((t) => t.test(r, 0, node as never))).toEqual(want);
        if (compiled.get(kindId)!.some((t) => t.needsFilePath)) expect(gate).not.toBeNull();
        matched += want.filter(Boolean).length;
        decided += want.length;
      });
    }), { numRuns: 1500 });
    // The property means something only if rules match often enough.
    expect(matched / decided).toBeGreaterThan(0.1);
  });

  it('test a string field on its bytes as on its text, for strings of few letters (matches overlap, repeat, straddle)', () => {
    const open = BUILD_SCHEMA.kinds.find((k) => k.eventType === 'file_open')!;
    const text = (max: number) => fc.array(fc.constantFrom('a', 'b', '/', 'é'), { maxLength: max }).map((xs) => xs.join(''));
    const op = fc.constantFrom('contains', 'not_contains', 'prefix', 'suffix', 'equals');
    let matched = 0;
    fc.assert(fc.property(text(40), op, fc.array(text(7), { minLength: 1, maxLength: 3 }), (path, name, args) => {
      const rule: Rule = { id: 'r', title: 't', severity: 'high', events: [], match: { path: { [name]: args } }, any: [] };
      const r = openRecord({ ts: 1n, pid: 4100, ppid: 1, comm: 'x' }, path, 0, 3);
      const epoch = new RecordEpoch();
      epoch.n++;
      const want = compileRule(rule).test(eventFacts(open.id, r, 0, null));
      expect(compileRecordRule(rule, open, epoch)!(r, 0, null)).toBe(want);
      if (want) matched++;
    }), { numRuns: 3000 });
    expect(matched).toBeGreaterThan(300);
  });

  it('test a Unix socket address as it is printed (`@` and NULs of an abstract name, `./@`, a hostile size), as the reference does', () => {
    const unix = BUILD_SCHEMA.byId[EventKind.NetUnix]!;
    const letters = (max: number) => fc.array(fc.constantFrom('a', '/', '@', '.', '\0', 'é'), { maxLength: max }).map((xs) => xs.join(''));
    const op = fc.constantFrom('contains', 'not_contains', 'prefix', 'suffix', 'equals', 'not_equals');
    const condition = fc.oneof(
      fc.tuple(op, fc.array(letters(5), { minLength: 1, maxLength: 3 })).map(([name, args]) => ({ path: { [name]: args } })),
      fc.boolean().map((b) => ({ path_size_invalid: { equals: b } })),
      fc.constantFrom(0, 1, 2).map((n) => ({ abstract: { equals: n } })),
    );
    let matched = 0;
    fc.assert(fc.property(letters(12), fc.option(fc.integer({ min: 0, max: 300 })), fc.option(fc.constantFrom(0, 1, 2)), condition, (name, size, abstract, match) => {
      const r = unixRecord({ ts: 1n, pid: 4100, ppid: 1, comm: 'x' }, 2, Buffer.from(name).subarray(0, 108), 0, { pathSize: size ?? undefined, abstract: abstract ?? undefined });
      const rule: Rule = { id: 'r', title: 't', severity: 'high', events: [], match, any: [] };
      const epoch = new RecordEpoch();
      epoch.n++;
      const want = compileRule(rule).test(eventFacts(unix.id, r, 0, null));
      expect(compileRecordRule(rule, unix, epoch)!(r, 0, null)).toBe(want);
      if (want) matched++;
    }), { numRuns: 3000 });
    expect(matched).toBeGreaterThan(300);
  });

  it('sees a process fact change when the process, or its parent, runs a new program', () => {
    const table = new ProcessTable(false);
    const epoch = new RecordEpoch();
    const open = BUILD_SCHEMA.kinds.find((k) => k.eventType === 'file_open')!;
    const base = { id: 'r', title: 't', severity: 'high' as const, events: ['file_open'], any: [] };
    const byExe = compileRecordRule({ ...base, match: { 'process.exe': { prefix: '/tmp/' } } }, open, epoch)!;
    const byParent = compileRecordRule({ ...base, match: { 'parent.exe': { equals: '/usr/bin/curl' } } }, open, epoch)!;
    const apply = (r: Uint8Array) => table.apply('h', classifyRecord(r, 0, r.length), r, 0);
    const decide = (r: Uint8Array) => {
      const node = apply(r);
      epoch.n++;
      return [byExe(r, 0, node), byParent(r, 0, node)];
    };
    const child = { pid: 4101, ppid: 4100, comm: 'x' };
    const parent = { pid: 4100, ppid: 1, comm: 'sh' };
    apply(forkRecord({ ts: 1n, ...parent }, 4101));
    expect(decide(openRecord({ ts: 2n, ...child }, '/etc/hosts', 0, 3))).toEqual([false, false]);
    apply(execRecord({ ts: 3n, ...child }, '/tmp/x', ['/tmp/x']));
    expect(decide(openRecord({ ts: 4n, ...child }, '/etc/hosts', 0, 3))).toEqual([true, false]);
    apply(execRecord({ ts: 5n, ...parent }, '/usr/bin/curl', ['curl']));
    expect(decide(openRecord({ ts: 6n, ...child }, '/etc/hosts', 0, 3))).toEqual([true, true]);
  });

  it('derive written_path and wiped_path as fileFact does, for every file kind, result, flag, length and schema version', () => {
    const id = { ts: 1n, pid: 4100, ppid: 1, comm: 'x' };
    const records: Uint8Array[] = [];
    for (const result of [-2, 0, 5]) {
      for (const flags of [0, 1, 0o1101, 0o100, 0o1000]) records.push(openRecord(id, '/var/log/new', flags, result, 0, -100, { pathArg: 'old' }));
      // openat2 whose O_TRUNC the capture could not tell (open_flags_disputed): a wipe when opened for writing.
      for (const flags of [0, 1, 0o1001]) records.push(openRecord({ ...id, flags: EVENT_FLAG_OPENAT2 | EVENT_FLAG_DISPUTED }, '/var/log/new', flags, result, 0, -100, { pathArg: 'old' }));
      for (const flags of [0, 1, 2, 3]) records.push(kindRecord(EventKind.FileRename, id, { result, rename_flags: flags, old_path: '/var/log/old', new_path: '/var/log/new' }));
      records.push(kindRecord(EventKind.FileLink, id, { result, target: '/var/log/old', new_path: '/var/log/new' }));
      records.push(kindRecord(EventKind.FileDelete, id, { result, path: '/var/log/new', path_arg: 'old' }));
      for (const length of [0n, 1n, 1n << 32n, 1n << 60n]) records.push(kindRecord(EventKind.FileTruncate, id, { result, length, path: '/var/log/new' }));
    }
    // Conditions told apart by which name a fact holds, by whether it holds two, and by whether it is there at all.
    const conditions: Condition[] = [{ equals: '/var/log/new' }, { equals: '/var/log/old' }, { equals: 'old' }, { not_equals: '/var/log/old' }, { suffix: 'old' },
      { not_prefix: '/var/log/n' }, { prefix: '/var/' }, { not_contains: 'x' }, { gt: 1 }];
    let matched = 0;
    for (const key of ['written_path', 'wiped_path']) {
      for (const cond of conditions) {
        const rule: Rule = { id: 'r', title: 't', severity: 'high', events: [], match: { [key]: cond }, any: [] };
        const reference = compileRule(rule);
        for (const schemaVersion of [1, BUILD_SCHEMA.version]) {
          const epoch = new RecordEpoch();
          for (const r of records) {
            const kind = BUILD_SCHEMA.byId[classifyRecord(r, 0, r.length)]!;
            epoch.n++;
            epoch.schemaVersion = schemaVersion;
            const facts = eventFacts(kind.id, r, 0, null);
            facts.set('schema_version', schemaVersion);
            const want = reference.test(facts);
            const compiled = compileKindRule(rule, kind, epoch);
            const gate = filePathGate(kind, epoch);
            const got = compiled !== null && !(compiled.needsFilePath && gate !== null && !gate(r, 0)) && compiled.test(r, 0, null);
            expect(got, `${kind.eventType} ${key} ${JSON.stringify(cond)} schema ${schemaVersion}`).toBe(want);
            if (want) matched++;
          }
        }
      }
    }
    expect(matched).toBeGreaterThan(50);
  });

  it('count an openat2 for writing whose O_TRUNC is disputed as a wipe, and only that one', () => {
    const id = { ts: 1n, pid: 4100, ppid: 1, comm: 'x' };
    const rule: Rule = { id: 'r', title: 't', severity: 'high', events: [], match: { wiped_path: { prefix: '/var/log/' } }, any: [] };
    const kind = BUILD_SCHEMA.byId[EventKind.FileOpen]!;
    const wiped = (flags: number, openFlags: number) => {
      const r = openRecord({ ...id, flags }, '/var/log/syslog', openFlags, 3, 0, -100, { call: SyscallCall.Openat2 });
      const facts = eventFacts(kind.id, r, 0, null);
      const compiled = compileKindRule(rule, kind, new RecordEpoch())!;
      expect(compiled.test(r, 0, null)).toBe(compileRule(rule).test(facts));
      return compileRule(rule).test(facts);
    };
    const O_WRONLY = 1, O_TRUNC = 0o1000;
    expect(wiped(EVENT_FLAG_OPENAT2, O_WRONLY)).toBe(false);
    expect(wiped(EVENT_FLAG_OPENAT2, O_WRONLY | O_TRUNC)).toBe(true);
    expect(wiped(EVENT_FLAG_OPENAT2 | EVENT_FLAG_DISPUTED, O_WRONLY)).toBe(true);
    expect(wiped(EVENT_FLAG_OPENAT2 | EVENT_FLAG_DISPUTED, 0)).toBe(false); // read only: not a write
  });

  it('derive filename_in_cwd as eventFacts does: the name as passed joined to a cwd from the kernel', () => {
    const exec = BUILD_SCHEMA.kinds.find((k) => k.eventType === 'process_start')!;
    const conditions: Condition[] = [{ equals: '/tmp/x' }, { prefix: '/tmp/' }, { not_prefix: '/' }, { suffix: 'x' }, { equals: '/x' }, { not_equals: '/tmp/x' }];
    let matched = 0;
    for (const cond of conditions) {
      const rule: Rule = { id: 'r', title: 't', severity: 'high', events: [], match: { filename_in_cwd: cond }, any: [] };
      const reference = compileRule(rule);
      const epoch = new RecordEpoch();
      const compiled = compileRecordRule(rule, exec, epoch)!;
      for (const name of ['', 'x', '../x', '/tmp/x', 'a/./x', 'tmp/x']) {
        for (const cwd of ['/', '/tmp', '/tmp/', '', 'tmp', '/a/b']) {
          const r = execRecord({ ts: 1n, pid: 4100, ppid: 1, comm: 'x' }, name, [name], 0n, { cwd });
          epoch.n++;
          const want = reference.test(eventFacts(exec.id, r, 0, null));
          expect(compiled(r, 0, null), `${JSON.stringify(cond)} ${name} in ${cwd}`).toBe(want);
          if (want) matched++;
        }
      }
    }
    expect(matched).toBeGreaterThan(20);
  });

  it('drops a rule for kinds it names no events of, or whose event_type condition fails', () => {
    const epoch = new RecordEpoch();
    const open = BUILD_SCHEMA.kinds.find((k) => k.eventType === 'file_open')!;
    const base = { id: 'r', title: 't', severity: 'high' as const, any: [] };
    expect(compileRecordRule({ ...base, events: ['process_start'], match: { path: { equals: '/x' } } }, open, epoch)).toBeNull();
    expect(compileRecordRule({ ...base, events: [], match: { event_type: { equals: 'net_connect' } } }, open, epoch)).toBeNull();
    expect(compileRecordRule({ ...base, events: [], match: { event_type: { equals: 'file_open' } } }, open, epoch)).not.toBeNull();
  });
});
