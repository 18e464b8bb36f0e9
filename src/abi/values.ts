/**
 * What field values mean, as text: open flags, errno names, address families
 * and addresses, argv, exit status, and the one escaping rule for bytes that
 * are not UTF-8. Decoding semantics, below both output and replay: NDJSON,
 * text, the process table and the rule engine all read meaning from here, so
 * they agree.
 */
import { ADDR_FLAGS, AF_INET, AF_INET6, PATH_FLAGS } from './constants.js';
import { syscallName } from './syscalls.js';

const O_ACCMODE = 3;
/** x86_64/aarch64 generic values (asm-generic/fcntl.h). */
const OPEN_FLAG_BITS: readonly [number, string][] = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'], [0o10000, 'O_DSYNC'], [0o20000, 'O_ASYNC'], [0o40000, 'O_DIRECT'],
  [0o100000, 'O_LARGEFILE'], [0o200000, 'O_DIRECTORY'], [0o400000, 'O_NOFOLLOW'], [0o1000000, 'O_NOATIME'],
  [0o2000000, 'O_CLOEXEC'], [0o4000000, 'O_SYNC_BIT'], [0o10000000, 'O_PATH'], [0o20000000, 'O_TMPFILE_BIT'],
];
const ACCESS_NAMES = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'];

const openFlagsCache = new Map<number, string>();

/** `O_WRONLY|O_CREAT|O_TRUNC`; bits we do not name are shown as one hex remainder, never dropped. */
export function openFlagsText(flags: number): string {
  let text = openFlagsCache.get(flags);
  if (text !== undefined) return text;
  const parts = [ACCESS_NAMES[flags & O_ACCMODE]];
  let rest = (flags & ~O_ACCMODE) >>> 0;
  for (const [bit, name] of OPEN_FLAG_BITS) {
    if ((rest & bit) !== 0) {
      parts.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) parts.push(`0x${rest.toString(16)}`);
  text = parts.join('|');
  if (openFlagsCache.size < 4096) openFlagsCache.set(flags, text);
  return text;
}

/** True when the flags can modify the file (write access, create, truncate). */
export function opensForWrite(flags: number): boolean {
  return (flags & O_ACCMODE) !== 0 || (flags & (0o100 | 0o1000 | 0o20000000)) !== 0;
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC', 9: 'EBADF',
  10: 'ECHILD', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV',
  19: 'ENODEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 25: 'ENOTTY', 26: 'ETXTBSY',
  27: 'EFBIG', 28: 'ENOSPC', 29: 'ESPIPE', 30: 'EROFS', 31: 'EMLINK', 32: 'EPIPE', 15: 'ENOTBLK', 34: 'ERANGE',
  36: 'ENAMETOOLONG', 38: 'ENOSYS', 39: 'ENOTEMPTY', 40: 'ELOOP', 116: 'ESTALE', 125: 'ECANCELED',
  61: 'ENODATA', 75: 'EOVERFLOW', 88: 'ENOTSOCK', 91: 'EPROTOTYPE', 95: 'EOPNOTSUPP', 97: 'EAFNOSUPPORT',
  98: 'EADDRINUSE', 99: 'EADDRNOTAVAIL', 100: 'ENETDOWN', 101: 'ENETUNREACH', 103: 'ECONNABORTED',
  104: 'ECONNRESET', 106: 'EISCONN', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH',
  114: 'EALREADY', 115: 'EINPROGRESS', 122: 'EDQUOT',
  // The kernel's own restart codes: a call a signal interrupted, seen at sys_exit before the kernel restarts it
  // (or turns it into EINTR); the process never gets them.
  512: 'ERESTARTSYS', 513: 'ERESTARTNOINTR', 514: 'ERESTARTNOHAND', 516: 'ERESTART_RESTARTBLOCK',
};

/** An enum field's value as its name; a value without one (newer writer, damaged record) as its number, never dropped. */
export function enumText(names: readonly string[], value: number): string {
  const name = names[value];
  return name === undefined || name === '' ? String(value) : name;
}

/** `ENOENT` for 2; `E<n>` for numbers without a name. */
/** Names of the set bits of a bit table, joined by | ("" when none); unnamed bits as one hex remainder. */
function bitsText(table: readonly { name: string; bit: number }[], bits: number): string {
  const parts: string[] = [];
  let rest = bits >>> 0;
  for (const f of table) {
    if ((rest & (1 << f.bit)) !== 0) {
      parts.push(f.name);
      rest = (rest & ~(1 << f.bit)) >>> 0;
    }
  }
  if (rest !== 0) parts.push(`0x${rest.toString(16)}`);
  return parts.join('|');
}

/** `from_file|deleted`: how a path in a record was made (PATH_FLAGS). */
export function pathFlagsText(bits: number): string {
  return bitsText(PATH_FLAGS, bits);
}

/** `unverified` (ADDR_FLAGS), or "". */
export function addrFlagsText(bits: number): string {
  return bitsText(ADDR_FLAGS, bits);
}

/** A syscall's name for a record's `call` field; "" for 0, `syscall_<n>` for ids this build does not know. */
export function syscallText(call: number): string {
  return call === 0 ? '' : syscallName(call) ?? `syscall_${call}`;
}

/** A kernel dev_t (MKDEV: major << 20 | minor) as `major:minor`, the way ls and /proc show devices. */
export function devText(dev: number): string {
  return `${dev >>> 20}:${dev & 0xfffff}`;
}

/**
 * `name` resolved against directory `dir` as text: `.`, `..` and repeated `/`
 * folded, the way the kernel walks a name when nothing on the way is a
 * symlink (a symlink followed by `..` it resolves physically, this cannot).
 * An absolute name ignores `dir`.
 */
export function joinPathLexically(dir: string, name: string): string {
  const parts: string[] = [];
  for (const part of (name.startsWith('/') ? name : `${dir}/${name}`).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}

export function familyName(family: number): string {
  if (family === 0) return 'AF_UNSPEC';
  if (family === AF_INET) return 'AF_INET';
  if (family === AF_INET6) return 'AF_INET6';
  return `AF_${family}`;
}

/** `127.0.0.1`, `::1` (RFC 5952 compressed), or `` for other families. */
export function addressText(family: number, addr: Uint8Array): string {
  if (family === AF_INET) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  if (family !== AF_INET6) return '';
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((addr[i] << 8) | addr[i + 1]);
  // IPv4-mapped addresses read best in their IPv4 form.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The exit code of a wait(2) status word. */
export function exitCodeOf(status: number): number {
  return (status >>> 8) & 0xff;
}

/** The terminating signal of a wait(2) status word (0: none). */
export function exitSignalOf(status: number): number {
  return status & 0x7f;
}

/** Splits an argv buffer (NUL-separated, `size` bytes used) into its arguments' bytes. */
export function splitArgv(args: Uint8Array, size: number): Uint8Array[] {
  const used = args.subarray(0, Math.min(size, args.length));
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < used.length; i++) {
    if (used[i] === 0) {
      out.push(used.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < used.length) out.push(used.subarray(start));
  return out;
}

/**
 * Bytes -> string. Valid UTF-8 decodes as usual; each byte that is not part of
 * valid UTF-8 becomes the lone surrogate U+DC00+byte (PEP 383 "surrogateescape",
 * as Python's os.fsdecode does for file names). The mapping is deterministic,
 * lossless, and cannot collide with any valid text.
 */
export function bytesToText(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) { ascii = false; break; }
  if (ascii) return latin1.decode(bytes);
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = utf8SequenceLength(bytes, i);
    if (n > 0) {
      out += utf8.decode(bytes.subarray(i, i + n));
      i += n;
    } else {
      out += String.fromCharCode(0xdc00 + bytes[i]);
      i++;
    }
  }
  return out;
}

const latin1 = new TextDecoder('latin1');
// ignoreBOM: a U+FEFF is a character of the name like any other; by default the decoder drops one at the start of each call.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Length of the valid UTF-8 sequence starting at `i` and ending before `end`
 * (1 for ASCII), or 0 if the byte there does not start one. Rejects overlongs, surrogates and > U+10FFFF.
 */
export function utf8SequenceLength(b: Uint8Array, i: number, end: number = b.length): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const n = end;
  if (c >= 0xc2 && c <= 0xdf) return i + 1 < n && (b[i + 1] & 0xc0) === 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (i + 2 >= n) return 0;
    const c1 = b[i + 1];
    if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80) return 0;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (i + 3 >= n) return 0;
    const c1 = b[i + 1];
    if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80 || (b[i + 3] & 0xc0) !== 0x80) return 0;
    if (c === 0xf0 && c1 < 0x90) return 0; // overlong
    if (c === 0xf4 && c1 >= 0x90) return 0; // > U+10FFFF
    return 4;
  }
  return 0;
}
