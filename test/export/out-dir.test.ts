/**
 * The export's output directory where it cannot be made: one line and exit
 * code 3, at once. Node's recursive mkdir spins forever at 100% CPU where a
 * parent exists but cannot hold the child (a path under /proc, a dangling
 * symlink to an evidence disk that is not mounted); the export makes its
 * directories itself (makeDirs), and these runs end within their timeout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirs } from '../../src/export/dataset-layout.js';
import { REPLAY_BIN, REPO_ROOT } from '../support/golden.js';

const dirs: string[] = [];
const scratch = () => { const d = mkdtempSync(join(tmpdir(), 'rg-outdir-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** The export of the demo capture to `out`; killed after 30 s (status null: it hung). */
function exportTo(out: string, format = 'parquet', threads = '2'): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [REPLAY_BIN, 'export', 'captures/demo.rgc', '--format', format, '--threads', threads, '-o', out],
    { cwd: REPO_ROOT, timeout: 30_000, killSignal: 'SIGKILL', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stderr: r.stderr.toString() };
}

describe('export: an output directory that cannot be made', () => {
  // What, the output directory, and the line the export prints for it.
  const cases: [string, () => string, (out: string) => string][] = [
    ['a path under /proc (mkdir answers ENOENT under an existing parent)', () => `/proc/rg-no-such-${process.pid}/lake`,
      (out) => `rg-replay: cannot create ${out}: no such file or directory`],
    ['a dangling symlink on the way (an evidence disk not mounted)', () => {
      const d = scratch();
      symlinkSync(join(d, 'not-mounted'), join(d, 'evidence'));
      return join(d, 'evidence', 'lake');
    }, (out) => `rg-replay: cannot create ${out}: no such file or directory`],
    ['a regular file on the way', () => {
      const d = scratch();
      writeFileSync(join(d, 'file'), 'x');
      return join(d, 'file', 'lake');
    }, (out) => `rg-replay: cannot use ${out} as the output directory: not a directory`],
  ];
  for (const [what, outDir, line] of cases) {
    it(`exits 3 at once with one line, for ${what}, on one thread and two`, () => {
      const out = outDir();
      for (const threads of ['1', '2']) {
        const r = exportTo(out, 'parquet', threads);
        expect(r.status, r.stderr).toBe(3);
        const lines = r.stderr.trimEnd().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toBe(line(out));
        expect(existsSync(out)).toBe(false);
      }
    });
  }

  it('gives NDJSON formats the same one line for a file under such a path', () => {
    const out = `/proc/rg-no-such-${process.pid}/events.ndjson`;
    for (const format of ['ocsf', 'ecs']) {
      const r = exportTo(out, format);
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toBe(`rg-replay: cannot create ${out}: no such file or directory\n`);
    }
  });
});

describe('makeDirs', () => {
  it('makes every missing directory down to the last, and accepts ones that exist', () => {
    const d = scratch();
    const deep = join(d, 'a', 'b', 'c');
    makeDirs(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeDirs(deep);
    mkdirSync(join(d, 'a', 'x'));
    makeDirs(join(d, 'a', 'x', 'y'));
    expect(statSync(join(d, 'a', 'x', 'y')).isDirectory()).toBe(true);
  });

  it('throws the error of the directory it could not make, with its code', () => {
    const d = scratch();
    writeFileSync(join(d, 'file'), 'x');
    expect(() => makeDirs(join(d, 'file', 'y'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => makeDirs(join(d, 'file'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    symlinkSync(join(d, 'gone'), join(d, 'dangling'));
    expect(() => makeDirs(join(d, 'dangling', 'y'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => makeDirs(`/proc/rg-no-such-${process.pid}/y`)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
