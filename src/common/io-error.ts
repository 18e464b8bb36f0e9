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
  EMFILE: 'too many open files (the per-process limit, ulimit -n)',
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
  if (err?.code !== undefined && WORDS[err.code] !== undefined) return WORDS[err.code];
  return err?.code ?? (e instanceof Error ? e.message : String(e));
}
