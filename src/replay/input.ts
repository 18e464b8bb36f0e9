/**
 * Reads replay inputs in fixed-size chunks: files by path, `-` for stdin, and
 * directories as their *.rgc files in name order (rotated segments sort in
 * capture order because their names carry a zero-padded index).
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, ExitCode } from '../common/exit-codes.js';

const CHUNK_BYTES = 1 << 20;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

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

/** Calls `onChunk` with consecutive chunks of the input (the chunk buffer is reused between calls). */
export function readInput(path: string, onChunk: (chunk: Uint8Array) => void): void {
  let fd: number;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
  } catch (e) {
    throw new CliError(`cannot open ${path}: ${describeIoError(e)}`, ExitCode.Io);
  }
  const buf = new Uint8Array(CHUNK_BYTES);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') { Atomics.wait(sleeper, 0, 0, 5); continue; }
        if (code === 'EOF') break;
        throw new CliError(`cannot read ${path}: ${describeIoError(e)}`, ExitCode.Io);
      }
      if (n === 0) break;
      onChunk(buf.subarray(0, n));
    }
  } finally {
    if (path !== '-') closeSync(fd);
  }
}

export function describeIoError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    default: return err.code ?? String(e);
  }
}
