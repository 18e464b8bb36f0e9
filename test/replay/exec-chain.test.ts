/**
 * The tree's exec chains and fork attribution, the effective ids the process
 * table follows, and the --exe, --failed and --writes filters, on synthetic
 * records.
 */
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { EventKind } from '../../src/abi/constants.js';
import { SyscallCall } from '../../src/abi/syscalls.js';
import { CRED_SETID_EXEC } from '../../src/abi/kinds-files-processes.js';
import { START_GATE_ARGV } from '../../src/common/start-gate.js';
import { compileFilter } from '../../src/replay/filters.js';
import { ProcessTable } from '../../src/replay/process-table.js';
import { treeJson, treeText } from '../../src/replay/tree.js';
import { credRecord, kindRecord } from '../support/intrusion-records.js';
import { execFailedRecord, execRecord, exitRecord, forkRecord, openRecord, type Identity } from '../support/records.js';

const sh: Identity = { ts: 1n, pid: 100, ppid: 1, comm: 'bash' };
const apply = (t: ProcessTable, rec: Uint8Array) => t.apply('host', classifyRecord(rec, 0, rec.length), rec, 0);

/** bash runs build.sh: forks make (while bash), then execs ./app, which forks a worker. */
function buildThenApp(): ProcessTable {
  const t = new ProcessTable(true);
  apply(t, execRecord(sh, '/usr/bin/bash', ['bash', 'build.sh']));
  apply(t, forkRecord({ ...sh, ts: 2n }, 101));
  apply(t, execRecord({ ...sh, ts: 3n, pid: 101, ppid: 100, comm: 'make' }, '/usr/bin/make', ['make', '-j2']));
  apply(t, forkRecord({ ...sh, ts: 4n, pid: 101, ppid: 100, comm: 'make' }, 102));
  apply(t, execRecord({ ...sh, ts: 5n, pid: 102, ppid: 101, comm: 'cc' }, '/usr/bin/cc', ['cc', '-c', 'a.c']));
  apply(t, execRecord({ ...sh, ts: 6n }, '/root/app', ['./app']));
  apply(t, forkRecord({ ...sh, ts: 7n, comm: 'app' }, 103));
  return t;
}

describe('exec chains and fork attribution', () => {
  it('a process shows every program it ran; a child is attributed to the program that forked it', () => {
    expect(treeText(buildThenApp())).toBe([
      '100 bash -> /root/app (started before capture) uid=0 [2 exec, 2 fork]',
      '├─ 101 bash -> /usr/bin/make -j2 (forked by bash) uid=0 [1 exec, 1 fork]',
      '│  └─ 102 make -> /usr/bin/cc -c a.c uid=0 [1 exec]',
      '└─ 103 /root/app uid=0 [nothing recorded]',
      '',
    ].join('\n'));
  });

  it('the JSON tree lists the images and which of the parent\'s forked each child', () => {
    const [root] = treeJson(buildThenApp(), () => null);
    expect(root.images.map((i) => i.exe)).toEqual(['/usr/bin/bash', '/root/app']);
    expect(root.children.map((c) => [c.pid, c.forked_by_image, c.images.map((i) => i.exe)])).toEqual([
      [101, 0, ['/usr/bin/bash', '/usr/bin/make']],
      [103, 1, ['/root/app']],
    ]);
  });

  it('a child whose only records are failed execs shows them: a command not found is not "nothing recorded"', () => {
    // bash forks 104, which looks for `nosuch` along PATH (each try ENOENT) and exits 127, as a shell's child does.
    const t = new ProcessTable(true);
    apply(t, execRecord(sh, '/usr/bin/bash', ['bash']));
    apply(t, forkRecord({ ...sh, ts: 2n }, 104));
    const child: Identity = { ts: 3n, pid: 104, ppid: 100, comm: 'bash' };
    ['/usr/local/bin', '/usr/bin', '/bin'].forEach((dir, i) => {
      apply(t, execFailedRecord({ ...child, ts: 3n + BigInt(i) }, `${dir}/nosuch`, `${dir}/nosuch`, ['nosuch', '-v'], -2));
    });
    apply(t, exitRecord({ ...child, ts: 9n }, 3n, 127));
    expect(treeText(t)).toBe([
      '100 /usr/bin/bash (started before capture) uid=0 [1 exec, 1 fork]',
      '└─ 104 /usr/bin/bash uid=0 [3 failed exec] exit 127',
      '',
    ].join('\n'));
    const [root] = treeJson(t, () => null);
    expect([root.failed_execs, root.children[0].failed_execs, root.children[0].execs]).toEqual([0, 3, 0]);
  });

  it('records of a kind with no counter of its own count as "other": a process that only bound a socket did something', () => {
    const t = new ProcessTable(true);
    apply(t, execRecord(sh, '/usr/bin/bash', ['bash']));
    apply(t, forkRecord({ ...sh, ts: 2n }, 105));
    const child: Identity = { ts: 3n, pid: 105, ppid: 100, comm: 'bash' };
    apply(t, kindRecord(EventKind.NetBind, child, { family: 2, port: 4444 }));
    apply(t, kindRecord(EventKind.IoUringSetup, { ...child, ts: 4n }, {}));
    apply(t, exitRecord({ ...child, ts: 5n }, 3n, 0));
    expect(treeText(t).split('\n')[1]).toBe('└─ 105 /usr/bin/bash uid=0 [2 other] exit 0');
    const [root] = treeJson(t, () => null);
    // The exit is no "other" record: the tree says it as `exit 0`.
    expect([root.other_records, root.children[0].other_records]).toEqual([0, 2]);
  });

  it('names rg-capture and its start gate instead of [node]', () => {
    const t = new ProcessTable(true);
    const node: Identity = { ts: 1n, pid: 50, ppid: 1, comm: 'node' };
    apply(t, openRecord(node, '/tmp/canary', 0, -2));
    apply(t, forkRecord({ ...node, ts: 2n }, 51));
    apply(t, execRecord({ ...node, ts: 3n, pid: 51, ppid: 50, comm: 'sh' }, '/bin/sh', [...START_GATE_ARGV, 'make', '-j2']));
    apply(t, execRecord({ ...node, ts: 4n, pid: 51, ppid: 50, comm: 'make' }, '/usr/bin/make', ['make', '-j2']));
    expect(treeText(t)).toBe([
      '50 rg-capture (the recorder) (started before capture) uid=0 [1 open, 1 fork]',
      "└─ 51 rg-capture's start gate -> /usr/bin/make -j2 uid=0 [2 exec]",
      '',
    ].join('\n'));
    expect(treeJson(t, () => null)[0]).toMatchObject({ recorder: true, children: [{ recorder: false, images: [{ start_gate: true }, { exe: '/usr/bin/make', start_gate: false }] }] });
  });
});

describe('credentials in the process table', () => {
  it('follows the effective ids; a child inherits them at fork; the tree shows euid when it differs', () => {
    const t = new ProcessTable(true);
    const user: Identity = { ts: 1n, pid: 300, ppid: 1, uid: 1000, comm: 'id' };
    apply(t, execRecord(user, '/tmp/rootid', ['rootid']));
    const node = apply(t, credRecord({ ...user, ts: 2n }, SyscallCall.Execve, 0, [1000, 1000, 1000, 1000], [1000, 0, 0, 0], CRED_SETID_EXEC));
    expect([node.uid, node.euid]).toEqual([1000, 0]);
    apply(t, forkRecord({ ...user, ts: 3n }, 301));
    expect(t.lookup('host', 301)!.euid).toBe(0);
    expect(treeText(t).split('\n')[0]).toContain('uid=1000 euid=0');
  });
});

describe('filters for the new data', () => {
  const t = new ProcessTable();
  const run = (args: Parameters<typeof compileFilter>[0], records: Uint8Array[]) => {
    const f = compileFilter(args);
    return records.filter((r) => {
      const kind = classifyRecord(r, 0, r.length);
      return f.matches(kind, r, 0, apply(t, r), null, null);
    });
  };
  const cat: Identity = { ts: 1n, pid: 400, ppid: 1, comm: 'cat' };
  const exec = execRecord(cat, '/usr/bin/cat', ['cat']);
  const readOk = openRecord(cat, '/etc/passwd', 0, 3);
  const readFailed = openRecord(cat, '/etc/shadow', 0, -13);
  const write = openRecord(cat, '/tmp/out', 0o1101, 4);
  const refusedCred = credRecord(cat, SyscallCall.Setuid, -1, [1000, 1000, 1000, 1000], [1000, 1000, 1000, 1000]);
  const signal = kindRecord(EventKind.ProcessSignal, cat, { call: SyscallCall.Kill, signal: 9, target_pid: 1, result: -1 });

  it('--exe: events of processes running that program (from its exec on)', () => {
    expect(run({ exe: ['/usr/bin/cat'] }, [exec, readOk, write])).toEqual([exec, readOk, write]);
    expect(run({ exe: ['/usr/bin/dog'] }, [exec, readOk])).toEqual([]);
  });
  it('--failed: any kind with a result below zero', () => {
    expect(run({ failed: true }, [exec, readOk, readFailed, write, refusedCred, signal])).toEqual([readFailed, refusedCred, signal]);
  });
  it('--writes: opens for writing (and the file-changing kinds), not reads', () => {
    expect(run({ writes: true }, [exec, readOk, readFailed, write, refusedCred])).toEqual([write]);
  });
});
