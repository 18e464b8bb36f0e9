/**
 * rg-capture and rg-replay end to end on the real kernel, for paths a sys_exit
 * hook joins from the name's text (symlink-paths.test.ts pins the records on
 * the live ring): a rename, link, delete, truncate and chmod through planted
 * symlinks and a name cut at 255 bytes (test/capture/intruder/symlink-paths.py,
 * in a directory the test owns), captured to a file. Where each change really
 * happened is the workload's ground truth; the record's path is not it, and
 * every way out of the capture must say so: --json and text print the
 * `lexical` and `truncated` flags, --stats and audit count such records by
 * kind, the OCSF and ECS exports carry the flag bits.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATH_FLAG_LEXICAL, PATH_FLAG_TRUNCATED } from '../../src/abi/constants.js';
import { REPO_ROOT, runReplayCli } from '../support/golden.js';
import { runCapture } from './capture-run.js';
import { announceSkip, runKernelTests } from './privilege.js';

announceSkip('lexical-cli');

type Json = Record<string, unknown>;

const lines = (b: Buffer): Json[] => b.toString().trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Json);

describe.skipIf(!runKernelTests)('paths joined past symlinks, out of a capture file (real eBPF)', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'rg-lexical-')));
  const work = join(dir, 'w');
  const file = join(dir, 'c.rgc');
  let truth: Json[] = [];
  let events: Json[] = [];

  beforeAll(async () => {
    const r = await runCapture(['-o', file, '--', 'python3', join(REPO_ROOT, 'test/capture/intruder/symlink-paths.py'), work]);
    expect(r.status, r.stderr).toBe(0);
    truth = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Json);
    const j = runReplayCli([file, '--json', '--kind', 'file_rename,file_link,file_delete,file_truncate,file_chmod']);
    expect(j.status, j.stderr.toString()).toBe(0);
    events = lines(j.stdout).filter((e) => JSON.stringify(e).includes(work));
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The record of the workload's i-th call and the names of the flags of the path that names what it changed. */
  const recordOf = (i: number) => {
    const t = truth[i];
    const type = { rename: 'file_rename', link: 'file_link', unlink: 'file_delete', unlinkat: 'file_delete', truncate: 'file_truncate', chmod: 'file_chmod' }[t.call as string];
    const field = ['rename', 'link'].includes(t.call as string) ? 'new_path' : 'path';
    const found = events.filter((e) => e.event_type === type && e[`${field}_arg`] === (t.arg as string).slice(0, 255));
    expect(found, `${t.call} ${t.arg}`).toHaveLength(1);
    const e = found[0];
    return { e, path: e[field] as string, flags: String(e[field === 'path' ? 'path_flags' : 'new_path_flags']).split('|') };
  };

  it('--json: through a symlink, the path is not where the change happened, and is flagged lexical; a cut name, truncated', () => {
    expect(truth).toHaveLength(10);
    for (const i of [0, 1, 2, 3, 4, 7]) {
      const { path, flags } = recordOf(i);
      expect(path).toBe(truth[i].lexical);
      expect(path).not.toBe(truth[i].real);
      expect(flags).toContain('lexical');
    }
    for (const i of [5, 6]) {
      const { path, flags } = recordOf(i);
      expect(path).toBe(truth[i].real);
      expect(flags).not.toContain('lexical');
    }
    for (const i of [8, 9]) {
      const { path, flags } = recordOf(i);
      expect(path).not.toBe(truth[i].real);
      expect(flags).toContain('truncated');
    }
  });

  it('text: the rename into the planted directory symlink prints its flag', () => {
    const t = runReplayCli([file, '--no-color', '--kind', 'file_rename']).stdout.toString();
    const line = t.split('\n').find((l) => l.includes(`new_path=${work}/sw/cd/job `));
    expect(line).toMatch(/new_path_flags=dir_root\|lexical /);
  });

  it('--stats and audit count the records flagged lexical and truncated, by kind', () => {
    const s = JSON.parse(runReplayCli([file, '--stats', '--json']).stdout.toString()) as { paths: { lexical: Record<string, number>; truncated: Record<string, number>; lexical_unflagged_files: string[] } };
    // The workload's own calls; the interpreter's failed opens at start-up add file_open and exec_failed ones.
    expect(s.paths.lexical.file_rename).toBeGreaterThanOrEqual(1);
    expect(s.paths.lexical.file_link).toBeGreaterThanOrEqual(1);
    expect(s.paths.lexical.file_delete).toBeGreaterThanOrEqual(2);
    expect(s.paths.lexical.file_truncate).toBeGreaterThanOrEqual(1);
    expect(s.paths.lexical.file_chmod).toBeGreaterThanOrEqual(1);
    expect(s.paths.truncated).toMatchObject({ file_rename: 1, file_delete: 1 });
    expect(s.paths.lexical_unflagged_files).toEqual([]);
    const text = runReplayCli([file, '--stats']).stdout.toString();
    expect(text).toMatch(/^paths: +\d+ record\(s\) with a path flagged lexical \(.*file_rename=\d+/m);
    const audit = JSON.parse(runReplayCli(['audit', file, '--json']).stdout.toString()) as { paths: unknown };
    expect(audit.paths).toEqual(s.paths);
  });

  it('OCSF and ECS exports carry the flag bits of the rename', () => {
    const isRename = (e: Json) => JSON.stringify(e).includes(`"${work}/sw/cd/job"`) && JSON.stringify(e).includes(`"${work}/job"`);
    const ocsf = lines(runReplayCli(['export', file, '--format', 'ocsf']).stdout).filter(isRename);
    expect(ocsf).toHaveLength(1);
    const bits = (ocsf[0].unmapped as Json).new_path_flags as number;
    expect(bits & PATH_FLAG_LEXICAL).toBe(PATH_FLAG_LEXICAL);
    const ecs = lines(runReplayCli(['export', file, '--format', 'ecs']).stdout).filter(isRename);
    expect(ecs).toHaveLength(1);
    const rg = (ecs[0].rand_guard as Json).file_rename as Json;
    expect((rg.new_path_flags as number) & PATH_FLAG_LEXICAL).toBe(PATH_FLAG_LEXICAL);
    expect((rg.new_path_flags as number) & PATH_FLAG_TRUNCATED).toBe(0);
  });
});
