/**
 * A rule file read whole, but never more than a bound: Sigma rules (--sigma) and TOML rules (--rules) come from
 * users and from shared repositories, and a path can name anything (/dev/zero, a FIFO, a file that grows).
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { describeIoError } from './io-error.js';

/** The file's bytes, or why not: never reads more than `max` + 1 bytes, whatever the file claims. */
export function readBounded(path: string, max: number): Buffer | string {
  let fd: number;
  try {
    // Not opened unless a regular file: opening a FIFO waits for a writer, reading a device (/dev/zero) never ends.
    if (!statSync(path).isFile()) return 'not a regular file';
    fd = openSync(path, 'r');
  } catch (e) {
    return describeIoError(e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return 'not a regular file';
    let buf = Buffer.alloc(Math.min(st.size, max) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) {
        if (buf.length > max) break;
        // The file grew since fstat: read on, up to the limit.
        const bigger = Buffer.alloc(max + 1);
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
    }
    if (n > max) return `larger than ${max >> 20} MiB`;
    return buf.subarray(0, n);
  } catch (e) {
    return `cannot read: ${describeIoError(e)}`;
  } finally {
    closeSync(fd);
  }
}
