import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { ProcessContextEncoder } from '../../src/replay/context-json.js';
import { ProcessTable } from '../../src/replay/process-table.js';
import { WallClock } from '../../src/output/wall-clock.js';
import { execRecord, exitRecord, forkRecord, openRecord, type Identity } from '../support/records.js';

const base: Identity = { ts: 1_000_000n, pid: 100, ppid: 1, comm: 'bash' };
const apply = (t: ProcessTable, rec: Uint8Array) => t.apply('host', classifyRecord(rec, 0, rec.length), rec, 0);

describe('process table', () => {
  it('marks a process first seen mid-life as unknown, and never guesses its executable', () => {
    const t = new ProcessTable();
    const n = apply(t, openRecord(base, '/etc/passwd', 0, 3));
    expect(n).toMatchObject({ pid: 100, startSeen: false, exe: null, argv: null, startNs: null });
    expect(t.countsOf(n)).toMatchObject({ opens: 1, execs: 0 });
  });

  it('fork creates a known child that inherits the image; exec replaces it', () => {
    const t = new ProcessTable(true);
    apply(t, execRecord(base, '/bin/bash', ['bash']));
    apply(t, forkRecord({ ...base, ts: 2_000_000n }, 101));
    const child = t.lookup('host', 101)!;
    expect(child).toMatchObject({ startSeen: true, startNs: 2_000_000n, exe: '/bin/bash', ppid: 100 });
    expect(child.parent?.pid).toBe(100);
    apply(t, execRecord({ ...base, pid: 101, ppid: 100, comm: 'curl' }, '/usr/bin/curl', ['curl', 'x']));
    expect(t.lookup('host', 101)).toBe(child);
    expect(child).toMatchObject({ exe: '/usr/bin/curl', argv: ['curl', 'x'], comm: 'curl' });
    expect(t.countsOf(child)).toMatchObject({ execs: 1 });
    expect(t.lookup('host', 100)!.children).toEqual([child]);
  });

  it('a reused pid gets a new process, not the old one\'s history', () => {
    const t = new ProcessTable(true);
    apply(t, forkRecord(base, 200));
    apply(t, execRecord({ ...base, pid: 200, ppid: 100 }, '/usr/bin/old', ['old']));
    const old = t.lookup('host', 200)!;
    apply(t, exitRecord({ ...base, pid: 200, ppid: 100 }, 1_000_000n, 0));
    apply(t, forkRecord({ ...base, ts: 9_000_000n }, 200));
    const reused = t.lookup('host', 200)!;
    expect(reused).not.toBe(old);
    expect(reused.exe).toBe(null); // inherited from pid 100, whose exe was never seen
    expect(old.exited).toBe(true);
    // An exec after an exit without a fork seen is also a new process.
    apply(t, exitRecord({ ...base, pid: 200, ppid: 100 }, 9_000_000n, 0));
    apply(t, execRecord({ ...base, pid: 200, ppid: 100 }, '/usr/bin/new', ['new']));
    expect(t.lookup('host', 200)).not.toBe(reused);
    expect(t.all.length).toBe(4);
  });

  it('keeps hosts apart: the same pid on two boots is two processes', () => {
    const t = new ProcessTable();
    const rec = execRecord(base, '/bin/a', ['a']);
    const a = t.apply('boot-a', classifyRecord(rec, 0, rec.length), rec, 0);
    const b = t.apply('boot-b', classifyRecord(rec, 0, rec.length), rec, 0);
    expect(a).not.toBe(b);
  });

  it('exit of a process seen only mid-life supplies its real start time', () => {
    const t = new ProcessTable();
    apply(t, openRecord(base, '/x', 0, 3));
    const n = apply(t, exitRecord(base, 123_456n, 3, 0));
    expect(n).toMatchObject({ startSeen: false, startNs: 123_456n, exitCode: 3 });
  });

  it('encodes context once per identity and re-encodes when the identity changes', () => {
    const t = new ProcessTable();
    const clock = new WallClock(1_767_323_045_000_000_000n, 1_000_000n);
    const enc = new ProcessContextEncoder(() => clock);
    apply(t, forkRecord(base, 300));
    const n = apply(t, openRecord({ ...base, pid: 300, ppid: 100 }, '/a', 0, 3));
    const first = enc.encode(n);
    apply(t, openRecord({ ...base, pid: 300, ppid: 100 }, '/b', 0, 3));
    expect(enc.encode(n)).toBe(first);
    apply(t, execRecord({ ...base, pid: 300, ppid: 100 }, '/usr/bin/x', ['x']));
    const after = Buffer.from(enc.encode(n)).toString();
    expect(after).toContain('"exe":"/usr/bin/x"');
    expect(JSON.parse(after.slice(',"process":'.length))).toEqual({
      known: true, exe: '/usr/bin/x', argv: ['x'], start: '2026-01-02T03:04:05.000000000Z', euid: null, egid: null, parent: { pid: 100, known: false, exe: null },
    });
  });
});
