/**
 * Synchronous writes to a file descriptor that survive non-blocking pipes:
 * EAGAIN waits for the reader (backpressure) instead of failing or buffering
 * without bound; EPIPE becomes a typed error so a closed `| head` ends quietly.
 * Any other failure on standard output (a full disk, a read-only descriptor)
 * is one line and exit 3: no caller has more to say about stdout than that.
 */
import { writeSync } from 'node:fs';
import { CliError, ExitCode } from './exit-codes.js';
import { describeIoError } from './io-error.js';

export class BrokenPipeError extends Error {
  constructor() {
    super('broken pipe');
    this.name = 'BrokenPipeError';
  }
}

/** For Atomics.wait, made on the first wait: rg-replay's start-up snapshot is built without SharedArrayBuffer. */
let sleeperWord: Int32Array | null = null;
const sleeper = (): Int32Array => (sleeperWord ??= new Int32Array(new SharedArrayBuffer(4)));

/** Writes all of `bytes` to `fd`, retrying partial writes and EAGAIN. */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let off = 0;
  let waitMs = 1;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
      waitMs = 1;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(sleeper(), 0, 0, waitMs);
        waitMs = Math.min(waitMs * 2, 50);
        continue;
      }
      if (code === 'EPIPE') throw new BrokenPipeError();
      // A file's writer names its file (and may remove it); stdout has no name, so it is said here.
      if (fd === 1) throw stdoutWriteError(e);
      throw e;
    }
  }
}

function stdoutWriteError(e: unknown): CliError {
  // `1</dev/null` opens stdout for reading only: EBADF's own words would not say that.
  const why = (e as NodeJS.ErrnoException).code === 'EBADF' ? 'it is not open for writing' : describeIoError(e);
  return new CliError(`writing standard output failed: ${why}`, ExitCode.Io);
}
