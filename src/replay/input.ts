/**
 * Reads replay inputs in fixed-size chunks: files by path, `-` for stdin, and
 * directories as their *.rgc files in name order (rotated segments sort in
 * capture order because their names carry a zero-padded index).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { describeIoError } from '../common/io-error.js';
import { visible } from '../common/visible.js';

// Callers across replay, export and report take it from here.
export { describeIoError };

/** Chunk size of a sequential read (one input at a time: large reads, fewer calls). */
export const CHUNK_BYTES = 1 << 20;
/** For Atomics.wait, made on the first wait: rg-replay's start-up snapshot is built without SharedArrayBuffer. */
let sleeperWord: Int32Array | null = null;
const sleeper = (): Int32Array => (sleeperWord ??= new Int32Array(new SharedArrayBuffer(4)));

/**
 * Expands directories into their capture files; checks every path exists
 * before any output. A file named twice (`a.rgc ./a.rgc`, a directory and a
 * file in it, a hard link) is read once, and `note` says so: read twice, its
 * events would be replayed, exported and counted twice.
 */
export function expandInputs(paths: readonly string[], note: (line: string) => void = noteOnStderr): string[] {
  const out: string[] = [];
  const seen = new Map<string, string>();
  const add = (path: string, st: Stats) => {
    const id = `${st.dev}:${st.ino}`;
    const first = seen.get(id);
    if (first !== undefined) {
      note(`${path} is ${first} again (the same file): read once`);
      return;
    }
    seen.set(id, path);
    out.push(path);
  };
  for (const p of paths) {
    if (p === '-') { out.push(p); continue; }
    let st: Stats;
    try {
      st = statSync(p);
    } catch (e) {
      throw new CliError(`cannot open ${p}: ${describeIoError(e)}`, ExitCode.Io);
    }
    if (!st.isDirectory()) { add(p, st); continue; }
    const files = readdirSync(p).filter((f) => f.endsWith('.rgc')).sort();
    // Regular files only (a symlink to one counts): a FIFO named *.rgc would block the replay until
    // something wrote to it, and a device or socket is no capture file either.
    const skipped: string[] = [];
    for (const f of files) {
      const path = join(p, f);
      let fst: Stats;
      try {
        fst = statSync(path);
      } catch (e) {
        throw new CliError(`cannot open ${path}: ${describeIoError(e)}`, ExitCode.Io);
      }
      if (fst.isFile()) add(path, fst);
      else skipped.push(`${f} (${fileKind(fst)})`);
    }
    if (skipped.length > 0) {
      const shown = skipped.length > SKIPPED_NAMED ? [...skipped.slice(0, SKIPPED_NAMED), `and ${skipped.length - SKIPPED_NAMED} more`] : skipped;
      note(`${p}: skipped ${skipped.length === 1 ? 'an entry' : `${skipped.length} entries`} named *.rgc that ${skipped.length === 1 ? 'is' : 'are'} not a regular file: ${shown.join(', ')}`);
    }
    if (files.length === skipped.length) throw new CliError(`${p} holds no .rgc files`, ExitCode.Io);
  }
  return out;
}

/** Entries a directory's skip note names one by one; the rest are counted. */
const SKIPPED_NAMED = 5;

/** What a file that is not a regular one is, in words. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a pipe or FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return st.isFile() ? 'a regular file' : 'not a regular file';
}

/**
 * True when the input can be read twice (a regular file): a pipe, a FIFO or
 * a device gives its bytes once, so a manifest peek or a hash before the
 * replay would leave the replay nothing (or the start cut off).
 */
export function canReread(path: string): boolean {
  if (path === '-') return false;
  try {
    return statSync(path).isFile();
  } catch {
    // Not ours to report here: opening it says why.
    return false;
  }
}

/**
 * Refuses inputs that cannot be read twice, for commands that must (`what`:
 * why, for the message). Directories pass: they expand to regular files only.
 */
export function requireRereadable(paths: readonly string[], what: string): void {
  for (const p of paths) {
    if (p === '-') continue;
    let st: Stats;
    try {
      st = statSync(p);
    } catch {
      continue; // Not ours to report here: opening it says why.
    }
    if (!st.isFile() && !st.isDirectory()) throw new CliError(`${p} is ${fileKind(st)}: ${what}: give capture files`, ExitCode.Usage);
  }
}

/** A note on stderr, as rg-replay prints one (paths may hold controls: shown, never sent). */
export function noteOnStderr(line: string): void {
  process.stderr.write(`rg-replay: note: ${visible(line)}\n`);
}

/** Opens an input for reading: a path, or `-` for stdin (fd 0). A failure is a one-line CliError (exit 3). */
export function openInput(path: string): number {
  try {
    return path === '-' ? 0 : openSync(path, 'r');
  } catch (e) {
    throw new CliError(`cannot open ${path}: ${describeIoError(e)}`, ExitCode.Io);
  }
}

/** The size of an open input when it is a regular file, else 0 (a pipe, a terminal, a device: no size to go by). */
export function inputSize(fd: number): number {
  try {
    const st = fstatSync(fd);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
}

/** Closes what openInput opened (never stdin). */
export function closeInput(path: string, fd: number): void {
  if (path !== '-') closeSync(fd);
}

/**
 * Reads the next bytes of an input into `buf`; 0 at its end. A non-blocking
 * stdin (EAGAIN) is waited for, not treated as the end.
 */
export function readChunk(path: string, fd: number, buf: Uint8Array): number {
  for (;;) {
    try {
      return readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') { Atomics.wait(sleeper(), 0, 0, 5); continue; }
      if (code === 'EOF') return 0;
      throw new CliError(`cannot read ${path}: ${describeIoError(e)}`, ExitCode.Io);
    }
  }
}

/** Calls `onChunk` with consecutive chunks of the input (the chunk buffer is reused between calls). */
export function readInput(path: string, onChunk: (chunk: Uint8Array) => void): void {
  const fd = openInput(path);
  const buf = new Uint8Array(CHUNK_BYTES);
  try {
    for (let n = readChunk(path, fd, buf); n > 0; n = readChunk(path, fd, buf)) onChunk(buf.subarray(0, n));
  } finally {
    closeInput(path, fd);
  }
}


/**
 * The SHA-256 (hex) of a capture file, read in 4 MB blocks on this thread. A
 * read stream's 64 KB chunks, each a trip through the thread pool, left the
 * export idle for ~0.15 s of the work capture's (27 MB) start-up; this is
 * ~25 ms (the hash itself).
 */
export function sha256File(path: string): string {
  const h = createHash('sha256');
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const block = Buffer.allocUnsafe(4 << 20);
    for (let n = readSync(fd, block, 0, block.length, null); n > 0; n = readSync(fd, block, 0, block.length, null)) h.update(block.subarray(0, n));
    return h.digest('hex');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${describeIoError(e)}`, ExitCode.Io);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
