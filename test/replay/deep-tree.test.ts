/**
 * A process tree as deep as the traced host makes it: a chain of forks is
 * cheap (each process forks the next), and nothing bounds its depth but the
 * host's pids. `rg-replay tree` recursed and died of a stack overflow at
 * ~5,000 levels (exit 1), its text grew by three characters per level on
 * every line below, and `--pid P --tree` stopped looking after 4,096
 * ancestors, leaving deeper descendants of P out without a word. Synthetic
 * records from the ABI; the real-kernel chain was measured by hand (a
 * 5,190-fork chain under rg-capture crashed `tree` the same way).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_TREE_INDENT, treeJsonText, type TreeNodeJson } from '../../src/replay/tree.js';
import { terminalSafeJson } from '../../src/common/visible.js';
import { runReplayCli } from '../support/golden.js';
import { execRecord, exitRecord, forkChainRecords, forkRecord, openRecord } from '../support/records.js';
import { SYNTHETIC_MONOTONIC_NS, writeSynthetic } from '../support/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'rg-deep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEPTH = 20_000;
const FIRST = 1000;

/** FIRST execs, then each pid FIRST + i forks FIRST + i + 1 and exits; the deepest opens /etc/shadow. */
function chainCapture(): string {
  const records = forkChainRecords(FIRST, DEPTH, '/tmp/chain', SYNTHETIC_MONOTONIC_NS + 1000n, (deepest) => [openRecord(deepest, '/etc/shadow', 0, 3)]);
  const path = join(dir, 'chain.rgc');
  writeFileSync(path, writeSynthetic({ records }));
  return path;
}

const chain = chainCapture();

describe('a chain of 20,000 forks', () => {
  it('tree --json: every process once, nested as deep as the chain', () => {
    const r = runReplayCli(['tree', chain, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const roots = JSON.parse(r.stdout.toString()) as TreeNodeJson[];
    expect(roots.length).toBe(1);
    let depth = 0;
    for (let n: TreeNodeJson | undefined = roots[0]; n !== undefined; n = n.children[0]) {
      expect(n.pid).toBe(FIRST + depth);
      expect(n.children.length).toBe(n.pid === FIRST + DEPTH ? 0 : 1);
      depth++;
    }
    expect(depth).toBe(DEPTH + 1);
  });

  it('tree: every process on a line of its own, indentation capped, the depth written past the cap', () => {
    const r = runReplayCli(['tree', chain]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.toString().trimEnd().split('\n');
    expect(lines.length).toBe(DEPTH + 1);
    lines.forEach((l, depth) => {
      const text = l.trimStart().replace(/^[│ ]*[└├]─ /, '');
      expect(text.startsWith(`[depth ${depth}] `)).toBe(depth > MAX_TREE_INDENT);
      expect(text.replace(/^\[depth \d+\] /, '')).toMatch(new RegExp(`^${FIRST + depth} /tmp/chain`));
      // Three characters per drawn level, then the line's own text.
      expect(l.length).toBeLessThan(3 * MAX_TREE_INDENT + 120);
    });
  });

  it('--pid P --tree keeps the whole chain below P, the deepest process included', () => {
    const all = runReplayCli([chain, '--json']);
    const tree = runReplayCli([chain, '--json', '--pid', String(FIRST), '--tree']);
    expect(tree.status, tree.stderr).toBe(0);
    expect(tree.stdout.toString()).toBe(all.stdout.toString());
    const below = runReplayCli([chain, '--json', '--pid', String(FIRST + 1), '--tree']).stdout.toString().trimEnd().split('\n');
    // All but the first process's exec, fork and exit.
    expect(below.length).toBe(2 * DEPTH + 2 - 3);
    expect(below[below.length - 1]).toContain('"path":"/etc/shadow"');
  });
});

describe('--pid P --tree when a process moves to another parent', () => {
  let ts = SYNTHETIC_MONOTONIC_NS + 1000n;
  const at = (pid: number, ppid: number) => ({ ts: ts++, pid, ppid, comm: 'p' });
  const pathsOf = (name: string, records: Uint8Array[]) => {
    const path = join(dir, name);
    writeFileSync(path, writeSynthetic({ records }));
    return (pid: number) => runReplayCli([path, '--json', '--pid', String(pid), '--tree']).stdout.toString().trimEnd().split('\n')
      .map((l) => (JSON.parse(l) as { path?: string }).path).filter((p) => p !== undefined);
  };

  it('follows the move of a process whose start it did not see: a kept answer below it is not reused', () => {
    const paths = pathsOf('moved.rgc', [
      execRecord(at(1, 0), '/sbin/init', ['/sbin/init']),
      execRecord(at(100, 1), '/bin/a', ['/bin/a']),
      // 200 runs from before the capture, a child of 100.
      openRecord(at(200, 100), '/seen', 0, 3),
      forkRecord(at(200, 100), 300),
      openRecord(at(300, 200), '/before', 0, 3),
      // 200 is reparented to init (its parent went away): nothing says 100 started it, so 300 is no longer below 100.
      openRecord(at(200, 1), '/moved', 0, 3),
      openRecord(at(300, 200), '/after', 0, 3),
    ]);
    expect(paths(100)).toEqual(['/seen', '/before']);
    expect(paths(1)).toEqual(['/seen', '/before', '/moved', '/after']);
  });

  it('keeps a process it saw 100 start in 100\'s tree after the kernel gives it to init (a daemon\'s double fork)', () => {
    const paths = pathsOf('daemon.rgc', [
      execRecord(at(1, 0), '/sbin/init', ['/sbin/init']),
      execRecord(at(100, 1), '/bin/a', ['/bin/a']),
      forkRecord(at(100, 1), 200),
      forkRecord(at(200, 100), 300),
      exitRecord(at(200, 100), 5n, 0),
      // 300's parent exited: the kernel gave it to init, and its records say so. 200 started it, and 100 started 200.
      openRecord(at(300, 1), '/daemon', 0, 3),
    ]);
    expect(paths(100)).toEqual(['/daemon']);
    expect(paths(200)).toEqual(['/daemon']);
    expect(paths(1)).toEqual(['/daemon']);
    // The tree lists it under init, where the kernel put it, and says who started it.
    const tree = runReplayCli(['tree', join(dir, 'daemon.rgc')]).stdout.toString();
    expect(tree).toMatch(/└─ 300 .*\(started by 200 a, given to this parent\)/);
    const json = JSON.parse(runReplayCli(['tree', join(dir, 'daemon.rgc'), '--json']).stdout.toString()) as TreeNodeJson[];
    const init = json.find((n) => n.pid === 1)!;
    expect(init.children.map((c) => [c.pid, c.started_by])).toEqual([[100, undefined], [300, 200]]);
  });

  it('takes a process the kernel gave to a parent the capture never saw away from its old parent, and keeps who started it', () => {
    const path = join(dir, 'unseen-reaper.rgc');
    writeFileSync(path, writeSynthetic({ records: [
      execRecord(at(100, 50), '/bin/a', ['/bin/a']),
      forkRecord(at(100, 50), 200),
      forkRecord(at(200, 100), 300),
      openRecord(at(300, 200), '/before', 0, 3),
      exitRecord(at(200, 100), 5n, 0),
      // 200 exited: the kernel gave 300 to pid 1, which did nothing the capture recorded.
      openRecord(at(300, 1), '/daemon', 0, 3),
    ] }));
    // Each line's parent is the one its record names: 1 is not /bin/a (it said parent=1:/bin/a).
    const lines = runReplayCli([path]).stdout.toString().split('\n');
    expect(lines.find((l) => l.includes('/before'))).toContain('parent=200:/bin/a');
    expect(lines.find((l) => l.includes('/daemon'))).toContain('parent=1:unknown');
    // Listed at the top, with who started it; still in 100's and 200's trees.
    const tree = runReplayCli(['tree', path]).stdout.toString();
    expect(tree).toMatch(/^300 .*\(started by 200 a, given to 1, not seen\)/m);
    const json = JSON.parse(runReplayCli(['tree', path, '--json']).stdout.toString()) as TreeNodeJson[];
    expect(json.map((n) => [n.pid, n.ppid, n.started_by])).toEqual([[100, 50, undefined], [300, 1, 200]]);
    const own = (pid: number) => runReplayCli([path, '--json', '--pid', String(pid), '--tree']).stdout.toString().trimEnd().split('\n')
      .map((l) => (JSON.parse(l) as { path?: string }).path).filter((p) => p !== undefined);
    expect(own(100)).toEqual(['/before', '/daemon']);
    expect(own(200)).toEqual(['/before', '/daemon']);
  });

  it('lets a process whose start it did not see go from its old parent\'s tree when the kernel gives it to an unseen one', () => {
    const paths = pathsOf('unseen-move.rgc', [
      execRecord(at(100, 50), '/bin/a', ['/bin/a']),
      // 200 runs from before the capture, a child of 100; then 100's exit gives it to pid 1, never seen.
      openRecord(at(200, 100), '/seen', 0, 3),
      exitRecord(at(100, 50), 5n, 0),
      openRecord(at(200, 1), '/moved', 0, 3),
    ]);
    expect(paths(100)).toEqual(['/seen']);
    expect(paths(200)).toEqual(['/seen', '/moved']);
  });
});

describe('treeJsonText', () => {
  it('is terminalSafeJson of the tree, hostile strings included', () => {
    const node = (pid: number, exe: string | null, children: TreeNodeJson[]): TreeNodeJson => ({
      pid, ppid: 1, known: true, exe, argv: exe === null ? null : [exe, 'a\u202eb', '\u009b31m'], comm: 'c\u2028', uid: 0, euid: null, start: null,
      images: [], forked_by_image: null, recorder: false, execs: 1, exit_code: null, signal: null, children,
    });
    const roots = [node(1, '/bin/x\u0085', [node(2, null, []), node(3, '/y', [node(4, '/z\u{1f600}', [])])]), node(5, '/w', [])];
    expect(treeJsonText(roots)).toBe(terminalSafeJson(roots));
    expect(treeJsonText([])).toBe('[]');
  });
});
