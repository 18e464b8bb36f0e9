/**
 * Capture files are created, never reused: a planted symlink is replaced, not
 * written through; another user's file is replaced by a new 0600 file, never
 * opened; a segment name taken in the meantime is skipped, never written.
 * These need no BPF (the functions are called directly); the end-to-end runs
 * of rg-capture are in output-safety.test.ts.
 */
import { closeSync, lstatSync, mkdtempSync, openSync, readFileSync, readSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { chmodSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/common/exit-codes.js';
import { createNewFile, openOutputFile, replaceFile } from '../../src/capture/output-file.js';
import { createSegmentFile } from '../../src/capture/segments.js';

const isRoot = process.getuid?.() === 0;
const fresh = () => mkdtempSync(join(tmpdir(), 'rg-outfile-'));
const write = (fd: number, text: string) => { writeSync(fd, text); closeSync(fd); };

describe('capture output files', () => {
  it('creates a new file with mode 0600 and refuses an existing name, a symlink included (exit 3)', () => {
    const dir = fresh();
    const out = join(dir, 'x.rgc');
    write(createNewFile(out), 'capture');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    writeFileSync(join(dir, 'victim'), 'precious');
    symlinkSync(join(dir, 'victim'), join(dir, 'link.rgc'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.rgc'));
    for (const name of ['x.rgc', 'link.rgc', 'dangling.rgc']) {
      const err = (() => { try { openOutputFile(join(dir, name), false); return null; } catch (e) { return e as { exitCode: number; message: string }; } })();
      expect(err?.exitCode, name).toBe(ExitCode.Io);
      expect(err?.message).toBe(`${join(dir, name)} exists; use --force to replace it`);
    }
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('precious');
    expect(() => lstatSync(join(dir, 'nowhere'))).toThrow();
  });

  it('--force replaces a planted symlink by a new file and never writes through it', () => {
    const dir = fresh();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious', { mode: 0o644 });
    const out = join(dir, 'x.rgc');
    symlinkSync(victim, out);
    write(openOutputFile(out, true), 'capture');
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(out).isFile()).toBe(true);
    expect(lstatSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toBe('capture');
  });

  it.skipIf(!isRoot)("--force replaces another user's 0666 file: a new inode, root's, 0600; their open fd never sees the capture", () => {
    const dir = fresh();
    chmodSync(dir, 0o1777);
    const out = join(dir, 'x.rgc');
    writeFileSync(out, 'theirs');
    chownSync(out, 65534, 65534);
    chmodSync(out, 0o666);
    const theirFd = openSync(out, 'r+'); // what the other user kept open in advance
    const before = statSync(out);
    write(replaceFile(out), 'capture');
    const after = statSync(out);
    expect(after.ino).not.toBe(before.ino);
    expect([after.uid, after.mode & 0o777]).toEqual([0, 0o600]);
    const buf = Buffer.alloc(64);
    const n = readSync(theirFd, buf, 0, 64, 0);
    closeSync(theirFd);
    expect(buf.subarray(0, n).toString()).toBe('theirs');
    expect(readFileSync(out, 'utf8')).toBe('capture');
  });

  it('a segment name taken in the meantime is skipped with a notice naming both paths, never written', () => {
    const dir = fresh();
    const planned = join(dir, 'seg.000003.rgc');
    writeFileSync(planned, 'planted');
    writeFileSync(join(dir, 'seg.000003.1.rgc'), 'planted too');
    const notices: string[] = [];
    const { fd, path } = createSegmentFile(planned, false, (t) => notices.push(t));
    write(fd, 'segment');
    expect(path).toBe(join(dir, 'seg.000003.2.rgc'));
    expect(notices).toEqual([`segment ${planned} already exists and was not written by this capture; writing ${path} instead`]);
    expect(readFileSync(planned, 'utf8')).toBe('planted');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // With --force the name is replaced by a new file (rename over it), as for the output itself.
    const forced = createSegmentFile(planned, true, (t) => notices.push(t));
    write(forced.fd, 'forced');
    expect([forced.path, readFileSync(planned, 'utf8'), notices.length]).toEqual([planned, 'forced', 1]);
  });
});
