/**
 * File changes made through io_uring (UNLINKAT, RENAMEAT, LINKAT, SYMLINKAT, FTRUNCATE)
 * never pass through sys_exit: before this, a log deleted or a file renamed
 * that way left no record at all. Each is now recorded as its syscall's
 * record, flagged io_uring, its names from io_uring's own copies resolved
 * against the directory fd, and checked here against what the filesystem
 * and the completion say.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventKind } from '../../src/abi/constants.js';
import { EVENT_FLAG_IO_URING, EVENT_FLAG_RESULT_UNSEEN } from '../../src/abi/schema.js';
import { runReplayCli } from '../support/golden.js';
import { program, readRecords, type Rec, runCapture, text } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('uring-files');

type Json = Record<string, unknown>;
const uring = (recs: Rec[]): Rec[] => recs.filter((r) => ((r.f.flags as number) & EVENT_FLAG_IO_URING) !== 0 && r.kind !== EventKind.IoUringSetup);
const unseen = (r: Rec): boolean => ((r.f.flags as number) & EVENT_FLAG_RESULT_UNSEEN) !== 0;

describe.skipIf(!runKernelTests)('file changes through io_uring (real eBPF)', () => {
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'rg-uring-files-')));
  const log = join('/var/log', `rg-uring-files-${process.pid}.log`);
  afterAll(() => rmSync(log, { force: true }));

  /** Runs uring-files once per action in one capture (a shell script); returns each action's "res". */
  async function capture(name: string, dir: string, actions: string[][]): Promise<{ out: string; res: string[] }> {
    const out = join(work, `${name}.rgc`);
    const script = join(work, `${name}.sh`);
    const bin = program('uring-files');
    writeFileSync(script, `#!/bin/sh\n${actions.map((a) => [bin, dir, ...a].map((x) => `'${x}'`).join(' ')).join('\n')}\n`, { mode: 0o755 });
    const run = await runCapture(['-o', out, '--follow', '--', script]);
    expect(run.status, run.stderr).toBe(0);
    return { out, res: run.stdout.trim().split('\n').map((l) => l.replace(/^res /, '')) };
  }

  it('rename, link, symlink and unlink relative to a directory fd: recorded with absolute paths and the results the completions gave', async () => {
    const dir = join(work, 'd');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'f1'), 'x');
    const { out, res } = await capture('changes', dir, [
      ['rename', 'f1', 'f2'], ['link', 'f2', 'f3'], ['symlink', '/etc/shadow', 's1'], ['unlink', 'f3'], ['unlink', 'absent'], ['rename', 'f2', 'f4', 'skip'],
    ]);
    expect(res).toEqual(['0', '0', '0', '0', '-2', 'none']);
    // The filesystem agrees with the completions.
    expect([existsSync(join(dir, 'f1')), existsSync(join(dir, 'f2')), existsSync(join(dir, 'f3')), existsSync(join(dir, 'f4'))]).toEqual([false, false, false, true]);
    expect([lstatSync(join(dir, 's1')).isSymbolicLink(), readlinkSync(join(dir, 's1'))]).toEqual([true, '/etc/shadow']);
    const recs = uring(readRecords(out));
    const row = (r: Rec): unknown[] => {
      switch (r.kind) {
        case EventKind.FileRename: return ['rename', text(r.f.old_path), text(r.f.old_path_arg), text(r.f.new_path), text(r.f.new_path_arg), r.f.result, unseen(r)];
        case EventKind.FileLink: return ['link', text(r.f.target), text(r.f.target_arg), text(r.f.new_path), text(r.f.new_path_arg), r.f.result, unseen(r)];
        case EventKind.FileDelete: return ['delete', text(r.f.path), text(r.f.path_arg), r.f.result, unseen(r)];
        default: return ['other', r.kind];
      }
    };
    expect(recs.map(row)).toEqual([
      ['rename', join(dir, 'f1'), 'f1', join(dir, 'f2'), 'f2', 0, false],
      ['link', join(dir, 'f2'), 'f2', join(dir, 'f3'), 'f3', 0, false],
      ['link', '/etc/shadow', '/etc/shadow', join(dir, 's1'), 's1', 0, false],
      ['delete', join(dir, 'f3'), 'f3', 0, false],
      ['delete', join(dir, 'absent'), 'absent', -2, false],
      ['rename', join(dir, 'f2'), 'f2', join(dir, 'f4'), 'f4', 0, true],
    ]);
    // Each names its dirfd as passed, the same fd for both names.
    for (const r of recs.filter((x) => x.kind === EventKind.FileRename)) {
      expect(r.f.old_dirfd as number).toBeGreaterThanOrEqual(0);
      expect(r.f.new_dirfd).toBe(r.f.old_dirfd);
    }
    const json = runReplayCli([out, '--json', '--kind', 'file_rename,file_link,file_delete']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Json)
      .filter((e) => e.io_uring === true);
    expect(json.map((e) => [e.event_type, e.call, e.result])).toEqual([
      ['file_rename', 'renameat2', 0], ['file_link', 'linkat', 0], ['file_link', 'symlinkat', 0], ['file_delete', 'unlinkat', 0],
      ['file_delete', 'unlinkat', -2], ['file_rename', 'renameat2', null],
    ]);
  }, 60_000);

  it('FTRUNCATE: the file the kernel truncated, its length, and a skipped one from its fd; a log cut to 0 raises log_wipe', async () => {
    const dir = join(work, 't');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a'), 'hello world');
    writeFileSync(join(dir, 'b'), 'hello world');
    writeFileSync(log, 'evidence\n');
    const { out, res } = await capture('truncate', dir, [['ftruncate', 'a', '5'], ['ftruncate', 'b', '3', 'skip'], ['ftruncate', log, '0']]);
    expect(res).toEqual(['0', 'none', '0']);
    expect([lstatSync(join(dir, 'a')).size, lstatSync(join(dir, 'b')).size, lstatSync(log).size]).toEqual([5, 3, 0]);
    const recs = uring(readRecords(out)).filter((r) => r.kind === EventKind.FileTruncate);
    expect(recs.map((r) => [text(r.f.path), r.f.length, r.f.result, unseen(r), (r.f.fd as number) >= 0])).toEqual([
      [join(dir, 'a'), 5n, 0, false, true], [join(dir, 'b'), 3n, 0, true, true], [log, 0n, 0, false, true],
    ]);
    const alerts = runReplayCli([out, '--alerts', '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Json);
    expect(alerts.filter((a) => a.rule_id === 'defense_evasion.log_wipe').map((a) => [a.path, a.io_uring])).toEqual([[log, true]]);
  }, 60_000);

  it('a log deleted through io_uring raises defense_evasion.log_wipe', async () => {
    writeFileSync(log, 'evidence\n');
    const { out, res } = await capture('wipe', '/var/log', [['unlink', log.slice('/var/log/'.length)]]);
    expect(res).toEqual(['0']);
    expect(existsSync(log)).toBe(false);
    const alerts = runReplayCli([out, '--alerts', '--json']).stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Json);
    expect(alerts.filter((a) => a.rule_id === 'defense_evasion.log_wipe').map((a) => [a.path, a.io_uring])).toEqual([[log, true]]);
  }, 60_000);
});
