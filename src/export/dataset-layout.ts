/**
 * Where an export's files go: DIR/host=H/day=YYYY-MM-DD/class_uid=N/, with
 * hostile hostnames kept inside their directory, and the output directory
 * checked before anything is written.
 */
import { mkdirSync, readdirSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { describeIoError } from '../replay/input.js';

/** A Hive partition value: anything but [A-Za-z0-9._-] percent-encoded, so a hostile hostname cannot leave its directory. */
export function partitionValue(s: string): string {
  if (s === '') return '__unknown__';
  const enc = Buffer.from(s).reduce((acc, b) => acc + (/[A-Za-z0-9._-]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`), '');
  return enc === '.' || enc === '..' ? enc.replaceAll('.', '%2E') : enc;
}

export function dayText(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** A string with lone surrogates replaced (U+FFFD), as DuckDB's VARCHAR needs valid UTF-8. */
export function clean(s: string): string {
  return s.replace(/[\ud800-\udfff]/gu, '\ufffd');
}

/** Creates the output directory; an existing non-empty one only with --append. */
export function prepareOutDir(dir: string, append: boolean): void {
  let entries: string[] | null = null;
  try {
    entries = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new CliError(`cannot use ${dir} as the output directory: ${describeIoError(e)}`, ExitCode.Io);
  }
  if (entries !== null && entries.length > 0 && !append) {
    throw new CliError(`${dir} exists and is not empty: choose a new directory, or add --append to add this export to the dataset there`, ExitCode.Io);
  }
  try {
    makeDirs(dir);
  } catch (e) {
    throw new CliError(`cannot create ${dir}: ${describeIoError(e)}`, ExitCode.Io);
  }
}

/**
 * `dir` and the directories above it that are missing, as `mkdir -p` makes
 * them; throws the first error. Node's own `mkdirSync(dir, { recursive: true })`
 * is not used: where a parent exists but cannot hold the child (a path under
 * /proc, a dangling symlink to an evidence disk not mounted, a stale mount),
 * mkdir answers ENOENT, Node's walk makes the parent again (EEXIST) and
 * retries the child, forever, at 100% CPU (Node 20; tested). Here each
 * missing directory is made once, from the deepest one that exists down,
 * so that ENOENT is an error like any other.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let d = resolve(dir);
  for (;;) {
    const st = statSync(d, { throwIfNoEntry: false });
    if (st !== undefined) {
      if (st.isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${d}'`), { code: 'ENOTDIR' });
    }
    const parent = dirname(d);
    missing.push(d);
    if (parent === d) break;
    d = parent;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]);
    } catch (e) {
      // Made by someone else meanwhile: fine if it is a directory (a dangling symlink's stat fails: ENOENT, thrown).
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(missing[i]).isDirectory()) throw e;
    }
  }
}

/** An error met writing the dataset under `dir`: a file system one as its one line (exit code Io); others as they are. */
export function datasetIoError(dir: string, e: unknown): Error {
  if (e instanceof CliError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === undefined) return e as Error;
  return new CliError(`writing Parquet to ${dir} failed: ${describeIoError(e)}`, ExitCode.Io);
}

/**
 * Removes every file of run `run` under `dir`, finished (part-RUN-...) or
 * temporary (.part-RUN-...): an export that fails or is interrupted keeps
 * nothing of its run, so a dataset never holds part of one (a later --append
 * would then add its rows twice). Files of other runs are left as they are.
 */
export function removeRunFiles(dir: string, run: string): void {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true }).map(String);
  } catch {
    return;
  }
  const finished = `part-${run}-`;
  const temporary = `.part-${run}-`;
  for (const name of names) {
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (!base.startsWith(finished) && !base.startsWith(temporary)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch { /* already gone */ }
  }
  // Partition folders left empty (deepest first; the run's open files were dropped before this): the same
  // command can then run again into the same directory. A folder holding another run's files stays.
  const folders = names.filter((n) => !n.includes('.part-') && !n.endsWith('.parquet')).sort((a, b) => b.length - a.length);
  for (const f of folders) {
    try {
      rmdirSync(join(dir, f));
    } catch { /* not empty, or not a folder */ }
  }
}
