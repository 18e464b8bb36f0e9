/**
 * Little-endian integers and NUL-terminated strings read from record bytes:
 * the one helper set every reader of records uses (header fields have named
 * accessors generated on top of the same arithmetic, see header-access.ts).
 */

/** u16 at `b[at]`. */
export function u16le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

/** u32 at `b[at]`, as a non-negative number. */
export function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** s32 at `b[at]`. */
export function s32le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24);
}

/** u64 at `b[at]`, exactly (a bigint: u64 values do not fit a double). */
export function u64le(b: Uint8Array, at: number): bigint {
  return (BigInt(u32le(b, at + 4)) << 32n) | BigInt(u32le(b, at));
}

/** Index of the first NUL in `b[at, at + max)`, or `at + max` when the buffer is full (a cut string). */
export function cStringEnd(b: Uint8Array, at: number, max: number): number {
  const limit = Math.min(at + max, b.length);
  let end = at;
  while (end < limit && b[end] !== 0) end++;
  return end;
}

/** The bytes of the C string in `b[at, at + max)`, without its NUL (a view, no copy). */
export function cStringBytes(b: Uint8Array, at: number, max: number): Uint8Array {
  return b.subarray(at, cStringEnd(b, at, max));
}

/** The bytes of a whole char buffer up to its first NUL (a view, no copy). */
export function cString(buf: Uint8Array): Uint8Array {
  return cStringBytes(buf, 0, buf.length);
}

/** True when the C string at `b[at]` (buffer of `max` bytes) starts with `prefix`. */
export function cStringStartsWith(b: Uint8Array, at: number, max: number, prefix: Uint8Array): boolean {
  if (prefix.length > max) return false;
  for (let i = 0; i < prefix.length; i++) if (b[at + i] !== prefix[i]) return false;
  return true;
}
