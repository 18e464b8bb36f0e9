/**
 * Reads replay inputs in fixed-size chunks: files by path, `-` for stdin, and
 * directories as their *.rgc files in name order (rotated segments sort in
 * capture order because their names carry a zero-padded index).
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, ExitCode } from '../common/exit-codes.js';

/** Chunk size of a sequential read (one input at a time: large reads, fewer calls). */
export const CHUNK_BYTES = 1 << 20;
/** For Atomics.wait, made on the first wait: rg-replay's start-up snapshot is built without SharedArrayBuffer. */
let sleeperWord: Int32Array | null = null;
const sleeper = (): Int32Array => (sleeperWord ??= new Int32Array(new SharedArrayBuffer(4)));

/** Expands directories into their capture files; checks every path exists before any output. */
export function expandInputs(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (p === '-') { out.push(p); continue; }
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new CliError(`cannot open ${p}: ${describeIoError(e)}`, ExitCode.Io);
    }
    if (!isDir) { out.push(p); continue; }
    const files = readdirSync(p).filter((f) => f.endsWith('.rgc')).sort();
    if (files.length === 0) throw new CliError(`${p} holds no .rgc files`, ExitCode.Io);
    for (const f of files) out.push(join(p, f));
  }
  return out;
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

export function describeIoError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return 'not a directory';
    default: return err.code ?? String(e);
  }
}
