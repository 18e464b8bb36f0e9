/**
 * Synchronous writes to a file descriptor that survive non-blocking pipes:
 * EAGAIN waits for the reader (backpressure) instead of failing or buffering
 * without bound; EPIPE becomes a typed error so a closed `| head` ends quietly.
 */
import { writeSync } from 'node:fs';

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
      throw e;
    }
  }
}
