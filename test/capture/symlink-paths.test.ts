/**
 * Real kernel: a name's components are text to a sys_exit hook. The kernel
 * followed symlinks among them (and at the end, for chmod and truncate), so a
 * record's path joined lexically may name another file than the one changed:
 * the record must say so (path flag `lexical`), and say nothing of the kind
 * for one component relative to the kernel's directory of a call that does not
 * follow it. A name longer than PATH_LEN - 1 bytes makes a path from its cut
 * beginning, which must be flagged `truncated`.
 * test/capture/intruder/symlink-paths.py makes the calls in a directory the
 * test owns and prints, per call, the lexical path and where the change really
 * happened.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecodedFields, EventKind } from '../../src/abi/index.js';
import { pathFlagsText } from '../../src/abi/values.js';
import { announceSkip, runKernelTests } from './privilege.js';
import { LiveCapture, repoRoot, runJson, text } from './live-ring.js';

announceSkip('symlink-paths');

const KINDS: number[] = [EventKind.FileDelete, EventKind.FileRename, EventKind.FileLink, EventKind.FileChmod, EventKind.FileTruncate];
type Out = Record<string, unknown>;
const flags = (v: unknown) => pathFlagsText(v as number).split('|');

describe.skipIf(!runKernelTests)('paths joined past symlinks and cut names (real eBPF)', () => {
  let live: LiveCapture;
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'rg-symlinks-')));
  let out: Out[] = [];
  let recs: { kind: number; f: DecodedFields }[] = [];

  beforeAll(async () => {
    live = await LiveCapture.start(KINDS);
    const r = await runJson('python3', [join(repoRoot(), 'test/capture/intruder/symlink-paths.py'), join(work, 'w')]);
    expect(r.code).toBe(0);
    await live.barrier();
    recs = live.events.filter((e) => KINDS.includes(e.kind) && e.f.pid === r.pid && e.f.result === 0);
    out = r.out;
  }, 60_000);

  afterAll(() => {
    live?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const KIND_OF: Record<string, number> = {
    rename: EventKind.FileRename, link: EventKind.FileLink, unlink: EventKind.FileDelete, unlinkat: EventKind.FileDelete,
    truncate: EventKind.FileTruncate, chmod: EventKind.FileChmod,
  };
  /** The record of the i-th call the workload printed (its kind and the name as passed), and the path field that names what it changed. */
  const pathOf = (i: number): { path: string; flags: string[]; f: DecodedFields } => {
    const o = out[i];
    const field = ['rename', 'link'].includes(o.call as string) ? 'new_path' : 'path';
    const found = recs.filter((e) => e.kind === KIND_OF[o.call as string] && text(e.f[`${field}_arg`]) === (o.arg as string).slice(0, 255));
    expect(found, `${o.call} ${o.arg}`).toHaveLength(1);
    const rec = found[0].f;
    return { path: text(rec[field]), flags: flags(rec[field === 'path' ? 'path_flags' : 'new_path_flags']), f: rec };
  };

  it('records every call', () => {
    expect(out).toHaveLength(10);
    for (let i = 0; i < out.length; i++) pathOf(i);
  });

  it('a directory symlink in a new, linked or deleted name: the lexical path is not where the file went, and says so', () => {
    for (const i of [0, 1, 2, 7]) {
      const { path, flags: f } = pathOf(i);
      expect(path).toBe(out[i].lexical);
      expect(out[i].real).not.toBe(path); // the ground truth: the file is in real/
      expect(f).toContain('lexical');
    }
  });

  it('a symlink as the last component of truncate and chmod: the target changed, the record names the link and says so', () => {
    for (const i of [3, 4]) {
      const { path, flags: f } = pathOf(i);
      expect(path).toBe(out[i].lexical);
      expect(out[i].real).toBe(join(work, 'w/real/log'));
      expect(f).toContain('lexical');
    }
    expect([out[3].size, out[4].mode]).toEqual([0, '0o4755']);
  });

  it('one component relative to the kernel\'s cwd or dirfd, a call that does not follow it: exact, not flagged', () => {
    for (const i of [5, 6]) {
      const { path, flags: f } = pathOf(i);
      expect(path).toBe(out[i].real);
      expect(f).not.toContain('lexical');
    }
    expect(flags(pathOf(5).f.old_path_flags)).toEqual(['dir_cwd']);
    expect(pathOf(5).flags).toEqual(['dir_cwd']);
    expect(pathOf(6).flags).toEqual(['dir_fd']);
  });

  it('a name cut at 255 bytes: the path made from it is flagged truncated', () => {
    for (const i of [8, 9]) {
      const { path, flags: f } = pathOf(i);
      expect(out[i].real).toBe(join(work, 'w/real/long'));
      expect(path).not.toBe(out[i].real);
      expect(f).toContain('truncated');
    }
  });

  it('a chrooted task\'s "..": the kernel stops at the task\'s root, the join from the namespace root does not, so it is flagged', async () => {
    const c = await LiveCapture.start(KINDS);
    try {
      const r = await runJson('python3', [join(repoRoot(), 'test/capture/intruder/chroot-dotdot.py'), join(work, 'c')]);
      expect(r.code).toBe(0);
      await c.barrier();
      const mine = c.events.filter((e) => KINDS.includes(e.kind) && e.f.pid === r.pid && e.f.result === 0);
      expect(r.out).toHaveLength(3);
      const rec = (i: number) => {
        const o = r.out[i];
        const kind = o.call === 'rename' ? EventKind.FileRename : EventKind.FileDelete;
        const field = o.call === 'rename' ? 'new_path' : 'path';
        const found = mine.filter((e) => e.kind === kind && text(e.f[`${field}_arg`]) === o.arg);
        expect(found, `${o.call} ${o.arg}`).toHaveLength(1);
        return { path: text(found[0].f[field]), flags: flags(found[0].f[field === 'path' ? 'path_flags' : 'new_path_flags']) };
      };
      for (const i of [0, 1]) {
        const { path, flags: f } = rec(i);
        expect(path).toBe(r.out[i].lexical);
        expect(path).not.toBe(r.out[i].real); // the ground truth: the file stayed in the jail
        expect(f).toContain('lexical');
      }
      const exact = rec(2);
      expect(exact.path).toBe(r.out[2].real);
      expect(exact.flags).toEqual(['dir_cwd']);
    } finally {
      c.close();
    }
  }, 60_000);
});
