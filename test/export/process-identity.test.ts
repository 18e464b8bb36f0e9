import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { processGuid, ProcessIdentities } from '../../src/export/process-identity.js';
import { ProcessTable } from '../../src/replay/process-table.js';
import { execRecord, forkRecord, openRecord, type Identity } from '../support/records.js';

// ProcessIdentities keeps each node's facts until what they were built from changes: these check that a
// kept answer is never a stale one (uid and ppid change without the node's version; argv with it).
const HOST = 'boot-1';
const shell: Identity = { ts: 1_000_000n, pid: 100, ppid: 1, comm: 'bash', uid: 0 };
const apply = (t: ProcessTable, rec: Uint8Array) => t.apply(HOST, classifyRecord(rec, 0, rec.length), rec, 0);

function world() {
  const t = new ProcessTable();
  const ids = new ProcessIdentities(() => null);
  ids.captureId = 'capture-a';
  apply(t, execRecord(shell, '/bin/bash', ['bash', '-l']));
  apply(t, forkRecord({ ...shell, ts: 2_000_000n }, 101));
  const child = t.lookup(HOST, 101)!;
  return { t, ids, child, parent: t.lookup(HOST, 100)! };
}

describe('process identities', () => {
  it('gives the same facts object while nothing the facts read has changed', () => {
    const { t, ids, child, parent } = world();
    const first = ids.facts(child);
    // Activity of the child and of the parent (counts change, identity does not).
    apply(t, openRecord({ ...shell, pid: 101, ppid: 100, ts: 3_000_000n }, '/etc/hosts', 0, 3));
    apply(t, openRecord({ ...shell, ts: 3_500_000n }, '/etc/passwd', 0, 3));
    expect(ids.facts(child)).toBe(first);
    expect(first).toMatchObject({ pid: 101, uid: 0, ppid: 100, argv: ['bash', '-l'], cmdLine: 'bash -l', parentGuid: ids.guid(parent), known: true });
    expect(ids.facts(parent)).toBe(ids.facts(parent));
  });

  it('builds them again for a new uid, which the table keeps current without a new version', () => {
    const { t, ids, child } = world();
    const before = ids.facts(child);
    const version = child.version;
    apply(t, openRecord({ ...shell, pid: 101, ppid: 100, uid: 1000, ts: 3_000_000n }, '/tmp/x', 0, 3));
    expect(child.version).toBe(version);
    expect(child.uid).toBe(1000);
    const after = ids.facts(child);
    expect(after).not.toBe(before);
    expect(after.uid).toBe(1000);
    expect(after.guid).toBe(before.guid);
  });

  it('builds them again after an exec (a new version): the new command line', () => {
    const { t, ids, child } = world();
    expect(ids.facts(child).cmdLine).toBe('bash -l');
    apply(t, execRecord({ ...shell, pid: 101, ppid: 100, comm: 'curl', ts: 3_000_000n }, '/usr/bin/curl', ['curl', 'https://example.test/']));
    expect(ids.facts(child)).toMatchObject({ name: 'curl', exe: '/usr/bin/curl', argv: ['curl', 'https://example.test/'], cmdLine: 'curl https://example.test/' });
  });

  it('follows a parent the table never saw, and the capture id its GUID is named by', () => {
    const t = new ProcessTable();
    const ids = new ProcessIdentities(() => null);
    ids.captureId = 'capture-a';
    // pid 300 first seen mid-life, its parent 7 never seen: the parent's GUID is the unseen one of this capture.
    const orphan = apply(t, openRecord({ ...shell, pid: 300, ppid: 7, ts: 5_000_000n }, '/etc/hosts', 0, 3));
    const a = ids.facts(orphan);
    expect(a.parentGuid).toBe(processGuid(HOST, 7, null, 'capture-a'));
    expect(ids.guidOfUnseen(HOST, 7)).toBe(a.parentGuid);
    // Reparented to another process the table has not seen (ppid changes, the parent node stays null).
    apply(t, openRecord({ ...shell, pid: 300, ppid: 8, ts: 6_000_000n }, '/etc/hosts', 0, 3));
    const b = ids.facts(orphan);
    expect(b.ppid).toBe(8);
    expect(b.parentGuid).toBe(processGuid(HOST, 8, null, 'capture-a'));
    // The next input (another capture of the same host): unseen GUIDs are named by its id.
    ids.captureId = 'capture-b';
    const c = ids.facts(orphan);
    expect(c).not.toBe(b);
    expect(c.parentGuid).toBe(processGuid(HOST, 8, null, 'capture-b'));
    expect(ids.guidOfUnseen(HOST, 8)).toBe(c.parentGuid);
    expect(ids.guidOfUnseen(HOST, 9)).toBe(processGuid(HOST, 9, null, 'capture-b'));
  });

  it('stays right past the unseen GUIDs it keeps', () => {
    const ids = new ProcessIdentities(() => null);
    ids.captureId = 'capture-a';
    for (let pid = 1; pid <= 20_000; pid++) ids.guidOfUnseen(HOST, pid);
    expect(ids.guidOfUnseen(HOST, 1)).toBe(processGuid(HOST, 1, null, 'capture-a'));
    expect(ids.guidOfUnseen(HOST, 19_999)).toBe(processGuid(HOST, 19_999, null, 'capture-a'));
  });
});
