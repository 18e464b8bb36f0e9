/**
 * Where an export's files go: DIR/host=H/day=YYYY-MM-DD/class_uid=N/, with
 * hostile hostnames kept inside their directory, and the output directory
 * checked before anything is written.
 */
import { mkdirSync, readdirSync } from 'node:fs';
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
    if (code !== 'ENOENT') throw new CliError(`cannot use ${dir} as the output directory: ${code ?? String(e)}`, ExitCode.Io);
  }
  if (entries !== null && entries.length > 0 && !append) {
    throw new CliError(`${dir} exists and is not empty: choose a new directory, or add --append to add this export to the dataset there`, ExitCode.Io);
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, ExitCode.Io);
  }
}

/** An error met writing the dataset under `dir`: a file system one as its one line (exit code Io); others as they are. */
export function datasetIoError(dir: string, e: unknown): Error {
  if (e instanceof CliError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === undefined) return e as Error;
  return new CliError(`writing Parquet to ${dir} failed: ${describeIoError(e)}`, ExitCode.Io);
}
