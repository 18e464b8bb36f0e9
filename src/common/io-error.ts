import { readFileSync } from 'node:fs';

/**
 * Words for the errno codes an input or output can fail with. A responder
 * reads "too many open files", not EMFILE; a code we have no words for is
 * still shown as it is, so nothing is hidden.
 */
const WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error (a failing disk or device?)',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  EBADF: 'bad file descriptor (closed, or not open for this use)',
  EINVAL: 'invalid argument (the file or device does not support this)',
  ENXIO: 'no such device or address',
  ENODEV: 'no such device',
  ETXTBSY: 'text file busy',
  ENOMEM: 'out of memory',
  ESTALE: 'stale file handle (a network file system lost it)',
  EEXIST: 'already exists',
};

/** One phrase for an I/O error: words for a known errno code, else the code or message as it is. */
export function describeIoError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EMFILE') return tooManyOpenFiles();
  if (err?.code !== undefined && WORDS[err.code] !== undefined) return WORDS[err.code];
  return err?.code ?? (e instanceof Error ? e.message : String(e));
}

/** The open-file limit, read before it can be hit (at the limit, /proc/self/limits cannot be opened either). */
let openFileLimit: string | null = null;

/**
 * Reads the open-file limit now, for an EMFILE later to name it. A merge
 * calls it: it keeps one file open per capture. Node has already raised the
 * soft limit to the hard one at start-up, so the limit read is the hard one,
 * which only root can raise.
 */
export function rememberOpenFileLimit(): void {
  if (openFileLimit !== null) return;
  try {
    openFileLimit = /^Max open files\s+(?:\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? null;
  } catch { /* no /proc: EMFILE is said without the number */ }
}

/** EMFILE in words, with the limit when it was read in time, and what to do. */
function tooManyOpenFiles(): string {
  const limit = openFileLimit === null ? '' : ` of ${openFileLimit}`;
  return `too many open files: a replay keeps one open per capture it merges, over the limit${limit} (ulimit -Hn, raised by root: limits.conf, systemd's LimitNOFILE); merge fewer captures at a time`;
}
