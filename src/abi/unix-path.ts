/**
 * A Unix socket address as replay shows it (view `unix_path`: net_unix.path):
 * the bytes of sun_path the record counts (`path_size`), in the notation of
 * ss(8) and /proc/net/unix, so that no two addresses read alike:
 *
 * - An abstract name (`abstract` nonzero; the record holds it without its
 *   leading NUL) is `@` and its path_size - 1 bytes, NULs included: the
 *   kernel names an abstract socket by all of its bytes, so
 *   `\0/run/dbus/system_bus_socket\0c2` is another socket than the bus, and
 *   prints as `@/run/dbus/system_bus_socket\u0000c2` (text and JSON escape
 *   the NUL like any control character).
 * - A pathname is its bytes up to the first NUL within path_size, as the
 *   kernel reads sun_path. One that starts with `@` (a relative name) is
 *   shown as `./@...`, the same file: a leading `@` then always means an
 *   abstract name (Go's net package spells a relative `@` name so too).
 * - A record is hostile input: a path_size beyond the buffer (all of
 *   sun_path, UNIX_PATH_LEN) is read as the buffer's length, never past it,
 *   and flagged `path_size_invalid`, as is an abstract name counted 0 bytes
 *   (its count includes the leading NUL). The kernel program writes neither.
 *
 * The `abstract` field is printed beside the path and is the record's own
 * word; the `@` agrees with it by construction.
 */
import { cStringEnd } from './bytes.js';
import { bytesToText } from './values.js';

/** What is printed before a name's bytes (UNIX_PREFIXES). */
export const UnixPrefix = { None: 0, Abstract: 1, Relative: 2 } as const;
/** Each UnixPrefix's text. */
export const UNIX_PREFIXES: readonly string[] = ['', '@', './'];
const PREFIX_BYTES = UNIX_PREFIXES.map((p) => new TextEncoder().encode(p));
const AT = 0x40;

/**
 * The end of the name whose bytes start at `b[at]`, in a buffer of `length`
 * bytes; `size` and `abstract` are the record's path_size and abstract.
 */
export function unixNameEnd(b: Uint8Array, at: number, length: number, size: number, abstract: number): number {
  const used = size < length ? size : length;
  if (abstract !== 0) return used > 0 ? at + used - 1 : at;
  return cStringEnd(b, at, used);
}

/** The UnixPrefix of the name `b[at, end)`. */
export function unixPrefixOf(b: Uint8Array, at: number, end: number, abstract: number): number {
  if (abstract !== 0) return UnixPrefix.Abstract;
  return end > at && b[at] === AT ? UnixPrefix.Relative : UnixPrefix.None;
}

/** True when `size` is a count no sun_path of `length` bytes has (see the file's comment). */
export function unixSizeInvalid(length: number, size: number, abstract: number): boolean {
  return size > length || (abstract !== 0 && size === 0);
}

/** The address as text: its prefix, then its bytes (bytesToText: stray bytes as lone surrogates, NULs as U+0000). */
export function unixPathText(b: Uint8Array, at: number, length: number, size: number, abstract: number): string {
  const end = unixNameEnd(b, at, length, size, abstract);
  return UNIX_PREFIXES[unixPrefixOf(b, at, end, abstract)] + bytesToText(b.subarray(at, end));
}

/** True when the address's text, as bytes (prefix, then the name's), starts with `prefix`. */
export function unixPathStartsWith(b: Uint8Array, at: number, length: number, size: number, abstract: number, prefix: Uint8Array): boolean {
  const end = unixNameEnd(b, at, length, size, abstract);
  const mark = PREFIX_BYTES[unixPrefixOf(b, at, end, abstract)];
  if (prefix.length > mark.length + end - at) return false;
  for (let i = 0; i < prefix.length; i++) {
    const c = i < mark.length ? mark[i] : b[at + i - mark.length];
    if (c !== prefix[i]) return false;
  }
  return true;
}
