/**
 * Creating capture files safely. rg-capture runs as root, often in
 * directories other users can write to (/tmp, a shared log directory), so a
 * capture file is always a file this process just created:
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600. Nothing is ever opened through a
 * planted symlink or reused from another user (whose 0666 file would leave the
 * evidence readable and writable by them). Replacing a file (--force) creates
 * a new one next to it and renames it over the old name: rename(2) replaces
 * the directory entry, never writes through it.
 */
import { closeSync, constants, openSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { CliError, ExitCode } from '../common/exit-codes.js';

/** libuv adds O_CLOEXEC to every open. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates `path` as a new, empty file (mode 0600). Throws the errno error (EEXIST if anything is there). */
export function createNewFile(path: string): number {
  return openSync(path, CREATE_NEW, 0o600);
}

/**
 * Creates a new, empty file (mode 0600) in `path`'s directory and renames it
 * over `path`, whatever `path` was (a file of another user, a symlink).
 */
export function replaceFile(path: string): number {
  const temp = join(dirname(path), `.${basename(path)}.rg-new-${randomBytes(6).toString('hex')}`);
  const fd = createNewFile(temp);
  try {
    renameSync(temp, path);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  return fd;
}

/**
 * Opens the capture output (or a rotation's first segment) before anything is
 * loaded, so an unwritable path fails fast: an existing path without --force
 * exits 3 like any other output that cannot be written.
 */
export function openOutputFile(path: string, force: boolean): number {
  try {
    return force ? replaceFile(path) : createNewFile(path);
  } catch (e) {
    throw outputError(path, e);
  }
}

/** One line for a capture file that could not be created (exit 3). */
export function outputError(path: string, e: unknown): CliError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') return new CliError(`${path} exists; use --force to replace it`, ExitCode.Io);
  const why = code === 'ENOENT' ? 'no such directory'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'EISDIR' ? 'is a directory'
        : code === 'ENOTDIR' ? 'a parent is not a directory'
          : code ?? (e as Error).message;
  return new CliError(`cannot write ${path}: ${why}`, ExitCode.Io);
}
