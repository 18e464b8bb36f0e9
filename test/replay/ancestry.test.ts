/**
 * `ancestors.exe` and `ancestors.comm` at any depth (src/replay/ancestry.ts).
 * The rules used to read the nearest 256 ancestors: a shell started a few
 * hundred forks below nginx was, to `execution.shell_from_web_server`, not
 * the web server's descendant, and a webshell could fork its way out of the
 * rule. Now each answer is kept on the processes a walk passes and found
 * again when a process with kept answers runs a new program, changes comm or
 * moves to another parent. Checked against a walk of every ancestor, for
 * random process trees that keep changing; and on a chain of 20,000 forks,
 * end to end, with the example rules. Synthetic records from the ABI (the
 * real-kernel chain: test/capture/deep-ancestry.test.ts).
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { AncestorTest, Ancestry, type AncestryField } from '../../src/replay/ancestry.js';
import { type ProcessNode, ProcessTable } from '../../src/replay/process-table.js';
import { valueCondition } from '../../src/replay/rules/evaluate.js';
import { type Condition } from '../../src/replay/rules/model.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { execRecord, exitRecord, forkChainRecords, forkRecord, type Identity, openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-ancestry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Every ancestor's value, nearest first, unknown programs skipped: what the rules mean, walked in full.
 * Up the lineage: the process whose fork started each one, or its parent when the fork was not seen.
 */
function everyAncestor(node: ProcessNode, field: AncestryField): string[] {
  const out: string[] = [];
  const up = (n: ProcessNode) => n.creator ?? n.parent;
  for (let p = up(node); p !== null; p = up(p)) {
    const v = field === 'exe' ? p.exe : p.comm;
    if (v !== null) out.push(v);
  }
  return out;
}

function applyAll(table: ProcessTable, records: Uint8Array[]): ProcessNode[] {
  return records.map((r) => table.apply('h', classifyRecord(r, 0, r.length), r, 0));
}

const EXES = ['/usr/sbin/nginx', '/usr/bin/bash', '/bin/sh', '/tmp/x', '/usr/bin/python3'];
const COMMS = ['nginx', 'bash', 'sh', 'x', 'python3'];
const PIDS = [4100, 4101, 4102, 4103, 4104, 4105];

describe('ancestors.* against a walk of every ancestor', () => {
  const condArg = fc.oneof(fc.constantFrom(...EXES, ...COMMS, '/usr/', 'sh', 'nginx', '/x'), fc.array(fc.constantFrom(...EXES, ...COMMS, '/bin/', 'py'), { minLength: 1, maxLength: 3 }));
  const op = fc.constantFrom('equals', 'prefix', 'suffix', 'contains', 'one_of', 'not_equals', 'not_prefix', 'not_suffix', 'not_contains', 'not_one_of');
  const condition = fc.uniqueArray(op, { minLength: 1, maxLength: 2 }).chain((ops) => fc.tuple(...ops.map((o) => condArg.map((a) => [o, o.endsWith('one_of') && !Array.isArray(a) ? [a] : a] as const))))
    .map((pairs) => Object.fromEntries(pairs) as Condition);
  /** Forks, execs (new programs, new comms), exits, and events whose ppid moves the process to another parent. */
  const step = fc.record({
    what: fc.constantFrom('fork', 'fork', 'exec', 'exec', 'exit', 'event', 'event'),
    pid: fc.constantFrom(...PIDS), ppid: fc.constantFrom(1, ...PIDS), child: fc.constantFrom(...PIDS),
    exe: fc.constantFrom(...EXES), comm: fc.constantFrom(...COMMS),
  });

  it('decides as the full walk does after every step, for every process seen, exes and comms', () => {
    let held = 0;
    let asked = 0;
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom<AncestryField>('exe', 'comm'), condition), { minLength: 1, maxLength: 4 }),
      fc.array(step, { minLength: 1, maxLength: 40 }), (conds, steps) => {
        const table = new ProcessTable(false);
        const tests = conds.map(([field, c]) => ({ field, test: valueCondition(c) }));
        const seen = new Set<ProcessNode>();
        steps.forEach((s, i) => {
          const id: Identity = { ts: BigInt(1000 + i), pid: s.pid, ppid: s.ppid, comm: s.comm };
          const r = s.what === 'fork' ? forkRecord(id, s.child)
            : s.what === 'exec' ? execRecord(id, s.exe, [s.exe])
              : s.what === 'exit' ? exitRecord(id, 500n, 0)
                : openRecord(id, '/etc/hosts', 0, 3);
          const [node] = applyAll(table, [r]);
          seen.add(node);
          for (let p = node.parent; p !== null; p = p.parent) seen.add(p);
          // Every process, not only the one that moved: kept answers of the others must follow too.
          for (const n of seen) {
            for (const t of tests) {
              const want = t.test(everyAncestor(n, t.field));
              expect(t.test(new Ancestry(n, t.field))).toBe(want);
              asked++;
              if (want) held++;
            }
          }
        });
      }), { numRuns: 1500 });
    // Meaningful only if the conditions hold often, and fail often.
    expect(held / asked).toBeGreaterThan(0.2);
    expect(held / asked).toBeLessThan(0.8);
  });
});

describe('ancestors.* on a chain of forks', () => {
  const DEPTH = 20_000;
  const TOP = 900;
  const FIRST = 1000;
  let ts = SYNTHETIC_MONOTONIC_NS + 1000n;

  /** TOP runs `top`, forks FIRST, which runs /usr/local/bin/hop and forks a chain DEPTH deep; the deepest runs `sh -c id`. */
  function chain(top: string): Uint8Array[] {
    const topId = { pid: TOP, ppid: 1, comm: top.slice(top.lastIndexOf('/') + 1) };
    const records = [execRecord({ ...topId, ts: ts++ }, top, [top]), forkRecord({ ...topId, ts: ts++ }, FIRST)];
    records.push(...forkChainRecords(FIRST, DEPTH, '/usr/local/bin/hop', ts, (deepest) => [execRecord({ ...deepest, comm: 'sh' }, '/bin/sh', ['sh', '-c', 'id'])], 'hop', TOP));
    ts += BigInt(2 * DEPTH + 4);
    return records;
  }

  function alertsOf(records: Uint8Array[], rules: string): { rule_id: string; process: { pid: number } }[] {
    const path = join(dir, `chain-${ts}.rgc`);
    writeFileSync(path, writeSynthetic({ records }));
    const r = runReplayCli([path, '--rules', rules, '--alerts', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const text = r.stdout.toString().trim();
    return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l));
  }

  it('a shell 20,001 processes below nginx is the web server\'s descendant to the shipped rule', () => {
    const shells = alertsOf(chain('/usr/sbin/nginx'), `${REPO_ROOT}rules/example.toml`).filter((a) => a.rule_id === 'execution.shell_from_web_server');
    expect(shells.map((a) => a.process.pid)).toEqual([FIRST + DEPTH]);
    // Below a program that is no web server, the same chain raises nothing.
    expect(alertsOf(chain('/usr/sbin/sshd'), `${REPO_ROOT}rules/example.toml`).filter((a) => a.rule_id === 'execution.shell_from_web_server')).toEqual([]);
  });

  it('costs each process a step or two once an answer is kept, and one walk after its ancestry changed', () => {
    const table = new ProcessTable(false);
    const nodes = applyAll(table, chain('/usr/sbin/nginx'));
    const deepest = nodes[nodes.length - 1];
    const all: ProcessNode[] = [];
    for (let n: ProcessNode | null = deepest; n !== null; n = n.parent) all.push(n);
    expect(all.length).toBe(DEPTH + 2);
    let steps = 0;
    const t = new AncestorTest('exe', (v) => { steps++; return v.endsWith('/nginx'); });
    // Top down: each asks its parent, whose answer is kept from the ask before.
    for (let i = all.length - 1; i >= 0; i--) expect(new Ancestry(all[i], 'exe').some(t)).toBe(i < all.length - 1);
    expect(steps).toBeLessThanOrEqual(all.length + 1);
    // nginx runs another program: every kept answer may be wrong now. The deepest walks once to the top...
    applyAll(table, [execRecord({ ts: ts++, pid: TOP, ppid: 1, comm: 'nginx' }, '/usr/bin/true', ['true'])]);
    steps = 0;
    expect(new Ancestry(deepest, 'exe').some(t)).toBe(false);
    expect(steps).toBe(all.length - 1);
    // ...and the others find its answers on their way.
    steps = 0;
    for (const n of all) expect(new Ancestry(n, 'exe').some(t)).toBe(false);
    expect(steps).toBe(0);
  });

  it('follows an ancestor that runs a new program; a process its parent\'s exit moved keeps where it came from', () => {
    const table = new ProcessTable(false);
    const rule = valueCondition({ suffix: '/nginx' });
    const reaper = { pid: 5, ppid: 1, comm: 'systemd' };
    const nginx = { pid: 10, ppid: 5, comm: 'nginx' };
    const worker = { pid: 11, ppid: 10, comm: 'nginx' };
    const php = { pid: 12, ppid: 11, comm: 'php' };
    const shell = { pid: 13, ppid: 12, comm: 'sh' };
    applyAll(table, [
      execRecord({ ...reaper, ts: 1n }, '/usr/lib/systemd/systemd', ['systemd', '--user']), forkRecord({ ...reaper, ts: 1n }, 10),
      execRecord({ ...nginx, ts: 1n }, '/usr/sbin/nginx', ['nginx']), forkRecord({ ...nginx, ts: 2n }, 11),
      forkRecord({ ...worker, ts: 3n }, 12), execRecord({ ...php, ts: 4n }, '/usr/bin/php', ['php']),
      forkRecord({ ...php, ts: 5n }, 13),
    ]);
    const [sh] = applyAll(table, [execRecord({ ...shell, ts: 6n }, '/bin/sh', ['sh'])]);
    expect(rule(new Ancestry(sh, 'exe'))).toBe(true);
    // The worker (an nginx by inheritance) runs something else; the master still is nginx.
    applyAll(table, [execRecord({ ...worker, ts: 7n }, '/usr/bin/perl', ['perl'])]);
    expect(rule(new Ancestry(sh, 'exe'))).toBe(true);
    expect(everyAncestor(sh, 'exe')).toEqual(['/usr/bin/php', '/usr/bin/perl', '/usr/sbin/nginx', '/usr/lib/systemd/systemd']);
    // php's parent exits and the kernel hands php to the subreaper: its parent now, not where it came from.
    const [, moved] = applyAll(table, [exitRecord({ ...worker, ts: 8n }, 3n, 0), openRecord({ ...php, ppid: 5, ts: 9n }, '/etc/hosts', 0, 3)]);
    expect(moved.parent?.exe).toBe('/usr/lib/systemd/systemd');
    expect(everyAncestor(sh, 'exe')).toEqual(['/usr/bin/php', '/usr/bin/perl', '/usr/sbin/nginx', '/usr/lib/systemd/systemd']);
    expect(rule(new Ancestry(sh, 'exe'))).toBe(true);
    // The comm of an ancestor, read again when it runs a new program.
    const byComm = valueCondition({ equals: 'php' });
    expect(byComm(new Ancestry(sh, 'comm'))).toBe(true);
    applyAll(table, [execRecord({ ...php, ppid: 5, comm: 'python3', ts: 10n }, '/usr/bin/python3', ['python3'])]);
    expect(byComm(new Ancestry(sh, 'comm'))).toBe(false);
    expect(valueCondition({ equals: 'python3' })(new Ancestry(sh, 'comm'))).toBe(true);
  });

  it('a daemon\'s double fork does not take a shell out from under nginx, with init in the capture', () => {
    const table = new ProcessTable(false);
    const rule = valueCondition({ suffix: '/nginx' });
    const init = { pid: 1, ppid: 0, comm: 'systemd' };
    const nginx = { pid: 10, ppid: 1, comm: 'nginx' };
    const middle = { pid: 11, ppid: 10, comm: 'nginx' };
    const daemon = { pid: 12, ppid: 11, comm: 'nginx' };
    applyAll(table, [
      execRecord({ ...init, ts: 1n }, '/usr/lib/systemd/systemd', ['/sbin/init']), openRecord({ ...init, ts: 1n }, '/etc/hosts', 0, 3),
      execRecord({ ...nginx, ts: 2n }, '/usr/sbin/nginx', ['nginx']), forkRecord({ ...nginx, ts: 3n }, 11), forkRecord({ ...middle, ts: 4n }, 12),
      exitRecord({ ...middle, ts: 5n }, 4n, 0),
    ]);
    // The daemon's exec names init as its parent (the kernel reparented it): the record's parent is init...
    const [sh] = applyAll(table, [execRecord({ ...daemon, ppid: 1, comm: 'sh', ts: 6n }, '/bin/sh', ['sh', '-c', 'id'])]);
    expect(sh.parent?.pid).toBe(1);
    // ...and nginx is still where it came from.
    expect(everyAncestor(sh, 'exe')).toEqual(['/usr/sbin/nginx', '/usr/sbin/nginx', '/usr/lib/systemd/systemd']);
    expect(rule(new Ancestry(sh, 'exe'))).toBe(true);
  });

  it('a process whose fork was not seen follows its parent, and a move changes where it came from', () => {
    const table = new ProcessTable(false);
    const rule = valueCondition({ suffix: '/nginx' });
    // Both running before the capture: known by their events only.
    applyAll(table, [
      execRecord({ pid: 5, ppid: 1, comm: 'systemd', ts: 1n }, '/usr/lib/systemd/systemd', ['systemd', '--user']),
      execRecord({ pid: 10, ppid: 5, comm: 'nginx', ts: 2n }, '/usr/sbin/nginx', ['nginx']),
    ]);
    const [php] = applyAll(table, [openRecord({ pid: 12, ppid: 10, comm: 'php', ts: 3n }, '/etc/hosts', 0, 3)]);
    expect(php.creator).toBeNull();
    expect(rule(new Ancestry(php, 'exe'))).toBe(true);
    applyAll(table, [openRecord({ pid: 12, ppid: 5, comm: 'php', ts: 4n }, '/etc/hosts', 0, 3)]);
    expect(everyAncestor(php, 'exe')).toEqual(['/usr/lib/systemd/systemd']);
    expect(rule(new Ancestry(php, 'exe'))).toBe(false);
  });

  it('a reused pid cannot close the lineage into a loop', () => {
    const table = new ProcessTable(false);
    // X runs from before the capture, its parent (pid 60) unknown. It forks 61, which forks a new 60 (the pid reused)
    // and exits; the subreaper (5) gets the new 60. X, asking again for its parent 60, finds its own grandchild: its
    // parents would not loop (60's parent is 5 now) but where they came from would (60 <- 61 <- X <- 60).
    applyAll(table, [execRecord({ pid: 5, ppid: 1, comm: 'systemd', ts: 1n }, '/usr/lib/systemd/systemd', ['systemd'])]);
    const [x] = applyAll(table, [openRecord({ pid: 50, ppid: 60, comm: 'x', ts: 2n }, '/etc/hosts', 0, 3)]);
    expect(x.parent).toBeNull();
    applyAll(table, [
      forkRecord({ pid: 50, ppid: 60, comm: 'x', ts: 3n }, 61), forkRecord({ pid: 61, ppid: 50, comm: 'x', ts: 4n }, 60),
      exitRecord({ pid: 61, ppid: 50, comm: 'x', ts: 5n }, 4n, 0), openRecord({ pid: 60, ppid: 5, comm: 'x', ts: 6n }, '/etc/hosts', 0, 3),
      openRecord({ pid: 50, ppid: 60, comm: 'x', ts: 7n }, '/etc/hosts', 0, 3),
    ]);
    expect(x.parent).toBeNull();
    const t = new AncestorTest('comm', (v) => v === 'nobody');
    const [grandchild] = applyAll(table, [openRecord({ pid: 60, ppid: 5, comm: 'x', ts: 8n }, '/etc/hosts', 0, 3)]);
    expect(new Ancestry(grandchild, 'comm').some(t)).toBe(false);
    expect(new Ancestry(grandchild, 'comm').nearest(10)).toEqual(['x', 'x']);
  });

  it('shows the nearest ancestors when printed, never a list as deep as the tree', () => {
    const table = new ProcessTable(false);
    const nodes = applyAll(table, chain('/usr/sbin/nginx'));
    const a = new Ancestry(nodes[nodes.length - 1], 'exe');
    expect(a.toJSON()).toEqual(Array(16).fill('/usr/local/bin/hop'));
    expect(String(a)).toBe(Array(16).fill('/usr/local/bin/hop').join(' '));
  });
});
