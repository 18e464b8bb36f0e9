/**
 * Real kernel: deletes, renames, links, mode/owner/size changes and mounts.
 * test/capture/intruder/files.c makes each call through syscall(2) in a
 * fresh directory and prints what it passed, what the kernel answered and
 * the absolute path a correct record resolves to; every field of every
 * record is compared with that.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecodedFields, EventKind } from '../../src/abi/index.js';
import { DELETE_DIRECTORY, LINK_SYMBOLIC, MOUNT_FSTYPE_FROM_KERNEL } from '../../src/abi/kinds-files-processes.js';
import { SYSCALLS } from '../../src/abi/syscalls.js';
import { announceSkip, runKernelTests } from './privilege.js';
import { buildProgram, LiveCapture, runJson, text } from './live-ring.js';

announceSkip('file-changes');

const KINDS = [
  EventKind.ProcessExec, EventKind.FileDelete, EventKind.FileRename, EventKind.FileLink, EventKind.FileChmod, EventKind.FileChown,
  EventKind.FileTruncate, EventKind.FsMount,
];
/** The `call` field holds the schema's call id (src/abi/syscalls.ts). */
const CALL = (name: unknown): number => SYSCALLS.find((s) => s.name === name)!.call;
const AT_FDCWD = -100;
const U32_UNCHANGED = 0xffffffff;
type Out = Record<string, unknown>;

describe.skipIf(!runKernelTests)('what an intruder does to files and mounts (real eBPF)', () => {
  let live: LiveCapture;
  let bin: string;
  // realpath: the kernel's paths are canonical, and tmpdir() may not be.
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'rg-files-')));

  beforeAll(async () => {
    bin = buildProgram('files.c', work);
    live = await LiveCapture.start(KINDS);
  }, 60_000);

  afterAll(() => {
    live?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs `files MODE DIR` in a fresh DIR; its output and its records of `kind`, once all are collected. */
  async function run(mode: string, kind: number): Promise<{ out: Out[]; recs: DecodedFields[]; dir: string }> {
    const dir = mkdtempSync(join(work, `${mode}-`));
    const r = await runJson(bin, [mode, dir]);
    expect(r.code).toBe(0);
    await live.barrier();
    return { out: r.out, recs: live.of(kind, (f) => f.pid === r.pid), dir };
  }

  it('deletes: unlink, unlinkat of a file and of a directory, rmdir by a relative name, a missing file', async () => {
    const { out, recs } = await run('delete', EventKind.FileDelete);
    expect(out).toHaveLength(5);
    expect(recs.map((f) => [f.call, text(f.path), text(f.path_arg), f.result])).toEqual(out.map((o) => [CALL(o.call), o.path, o.arg, o.result]));
    expect(recs.map((f) => f.result)).toEqual([0, 0, 0, 0, -2]);
    expect(recs.map((f) => f.dirfd)).toEqual(out.map((o) => (o.dirfd as number | undefined) ?? AT_FDCWD));
    expect(recs.map((f) => f.at_flags)).toEqual(out.map((o) => (o.flags as number | undefined) ?? 0));
    expect(recs.map((f) => f.status)).toEqual([0, 0, DELETE_DIRECTORY, DELETE_DIRECTORY, 0]);
  });

  it('renames: rename, renameat between directories, renameat2 NOREPLACE (refused) and EXCHANGE', async () => {
    const { out, recs } = await run('rename', EventKind.FileRename);
    expect(out).toHaveLength(4);
    expect(recs.map((f) => [f.call, text(f.old_path), text(f.new_path), f.result, f.rename_flags]))
      .toEqual(out.map((o) => [CALL(o.call), o.old, o.new, o.result, (o.flags as number | undefined) ?? 0]));
    expect(recs.map((f) => f.result)).toEqual([0, 0, -17, 0]);
    expect([recs[1].old_dirfd, recs[1].new_dirfd, text(recs[1].old_path_arg), text(recs[1].new_path_arg)]).toEqual([out[1].olddirfd, out[1].newdirfd, 'b', 'b2']);
    expect([recs[0].old_dirfd, recs[0].new_dirfd]).toEqual([AT_FDCWD, AT_FDCWD]);
  });

  it('links: hard by link and linkat, symbolic by symlink and symlinkat (the text as written), a missing target', async () => {
    const { out, recs } = await run('link', EventKind.FileLink);
    expect(out).toHaveLength(5);
    expect(recs.map((f) => [f.call, text(f.target), text(f.new_path), f.result])).toEqual(out.map((o) => [CALL(o.call), o.target, o.new, o.result]));
    expect(recs.map((f) => f.result)).toEqual([0, 0, 0, 0, -2]);
    expect(recs.map((f) => f.status)).toEqual([0, 0, LINK_SYMBOLIC, LINK_SYMBOLIC, 0]);
    expect(recs[1].at_flags).toBe(out[1].flags);
  });

  it('attributes: chmod with set-id and sticky bits by path, fd and dirfd; chown; truncate; a refused fchmodat2 of a symlink', async () => {
    const { out, recs: chmods, dir } = await run('attr', EventKind.FileChmod);
    const pid = chmods[0].pid;
    const byCall = (names: string[]) => out.filter((o) => names.includes(o.call as string));
    const chmodOut = byCall(['chmod', 'fchmod', 'fchmodat', 'fchmodat2']);
    expect(chmods.map((f) => [f.call, text(f.path), f.mode, f.result])).toEqual(chmodOut.map((o) => [CALL(o.call), o.path, o.mode, o.result]));
    expect(chmods.map((f) => f.result)).toEqual([0, 0, 0, -95]); // a symlink's own mode cannot be changed: EOPNOTSUPP
    expect(chmods.map((f) => f.dirfd)).toEqual([AT_FDCWD, chmodOut[1].fd, chmodOut[2].dirfd, chmodOut[3].dirfd]);
    expect(text(chmods[1].path_arg)).toBe(''); // an fd has no name as passed
    expect(chmods[3].at_flags).toBe(chmodOut[3].flags);

    const chowns = live.of(EventKind.FileChown, (f) => f.pid === pid);
    const chownOut = byCall(['chown', 'fchown', 'lchown', 'fchownat']);
    expect(chowns.map((f) => [f.call, text(f.path), f.owner_uid, f.owner_gid, f.result]))
      .toEqual(chownOut.map((o) => [CALL(o.call), o.path, o.uid, (o.gid as number) < 0 ? U32_UNCHANGED : o.gid, o.result]));
    expect(text(chowns[2].path)).toBe(join(dir, 'lnk')); // lchown: the link itself, not what it points to

    const truncates = live.of(EventKind.FileTruncate, (f) => f.pid === pid);
    const truncOut = byCall(['truncate', 'ftruncate']);
    expect(truncates.map((f) => [f.call, text(f.path), f.length, f.result])).toEqual(truncOut.map((o) => [CALL(o.call), o.path, BigInt(o.length as number), o.result]));
    expect(truncates.map((f) => f.fd)).toEqual([-1, truncOut[1].fd]);
  });

  it('mounts: tmpfs with flags and data, a bind mount, umount2, and the new API (fsmount, move_mount)', async () => {
    const { out, recs } = await run('mount', EventKind.FsMount);
    expect(out.map((o) => [o.call, (o.result as number) >= 0])).toEqual([
      ['mount', true], ['mount', true], ['umount2', true], ['umount2', true], ['fsmount', true], ['move_mount', true], ['umount2', true],
    ]);
    expect(recs.map((f) => [f.call, f.result])).toEqual(out.map((o) => [CALL(o.call), o.result]));
    const [tmpfs, bind, umountBind, umountTmp, fsmount, move, umountNew] = recs;
    expect([text(tmpfs.source), text(tmpfs.target), text(tmpfs.fstype), text(tmpfs.data), tmpfs.mount_flags])
      .toEqual([out[0].source, out[0].target, 'tmpfs', 'size=1m', out[0].flags]);
    expect([text(bind.source), text(bind.target), bind.mount_flags]).toEqual([out[1].source, out[1].target, out[1].flags]);
    expect([text(umountBind.target), umountBind.umount_flags]).toEqual([out[2].target, out[2].flags]);
    expect([text(umountTmp.target), umountTmp.umount_flags]).toEqual([out[3].target, 0]);
    expect([fsmount.dirfd, text(fsmount.fstype), (fsmount.status as number) & MOUNT_FSTYPE_FROM_KERNEL]).toEqual([out[4].fsfd, 'tmpfs', MOUNT_FSTYPE_FROM_KERNEL]);
    expect([text(move.target), text(move.fstype), move.move_flags]).toEqual([out[5].target, 'tmpfs', out[5].flags]);
    expect(text(umountNew.target)).toBe(out[6].target);
  });

  it('lost nothing', () => {
    expect(live.lost()).toBe(0n);
    expect(live.invalid).toBe(0);
  });
});
