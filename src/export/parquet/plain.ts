/**
 * PLAIN encoding of single JS values (dictionary entries, shredded rows) and
 * their order for statistics. A value's JS form by ValueKind: strings as
 * strings (or their UTF-8 bytes), blobs as Uint8Array, integers as numbers
 * (64-bit ones as bigint or safe numbers), timestamps as bigint nanoseconds,
 * booleans as booleans. Values are checked against their column: a number
 * out of its type's range is an error, never a silent wrap.
 */
import { type ByteSink } from './byte-sink.js';
import { type ValueKind } from './schema.js';

export type CellValue = string | number | bigint | boolean | Uint8Array;

const RANGES: Partial<Record<ValueKind, [bigint, bigint]>> = {
  u8: [0n, 255n], u16: [0n, 65535n], u32: [0n, 4294967295n], u64: [0n, 2n ** 64n - 1n],
  i8: [-128n, 127n], i16: [-32768n, 32767n], i32: [-(2n ** 31n), 2n ** 31n - 1n], i64: [-(2n ** 63n), 2n ** 63n - 1n],
  timestamp_ns: [-(2n ** 63n), 2n ** 63n - 1n],
};

const textEncoder = new TextEncoder();

export class ValueError extends Error {}

/** The value as the integer it stands for, checked against its column type's range. */
export function integerOf(v: CellValue, kind: ValueKind): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else throw new ValueError(`parquet: ${kind} column given ${typeof v === 'string' ? JSON.stringify(v) : String(v)}, not an integer`);
  const [lo, hi] = RANGES[kind]!;
  if (b < lo || b > hi) throw new ValueError(`parquet: ${b} is out of range for a ${kind} column`);
  return b;
}

/** Appends `v` PLAIN-encoded for a column of `kind` (byte arrays with their 4-byte length; booleans not: see plainBooleans). */
export function appendPlain(out: ByteSink, kind: ValueKind, v: CellValue): void {
  switch (kind) {
    case 'string':
    case 'bytes': {
      const b = bytesOf(v, kind);
      out.u32(b.length);
      out.append(b);
      return;
    }
    case 'u8': case 'u16': case 'u32': case 'i8': case 'i16': case 'i32':
      out.u32(Number(BigInt.asUintN(32, integerOf(v, kind))));
      return;
    case 'u64': case 'i64': case 'timestamp_ns': {
      const u = BigInt.asUintN(64, integerOf(v, kind));
      out.u32(Number(u & 0xffffffffn));
      out.u32(Number(u >> 32n));
      return;
    }
    case 'bool':
      throw new Error('parquet: booleans are bit-packed (plainBooleans), not appended one by one');
  }
}

/** The bytes of a string or blob value (strings as UTF-8). */
export function bytesOf(v: CellValue, kind: ValueKind): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string' && kind === 'string') return textEncoder.encode(v);
  throw new ValueError(`parquet: ${kind} column given ${typeof v}`);
}

/** Booleans (0/1 bytes, `values[0..n)`) bit-packed least significant bit first: PLAIN for BOOLEAN. */
export function plainBooleans(out: ByteSink, values: ArrayLike<number>, n: number): void {
  out.reserve((n + 7) >> 3);
  const b = out.bytes;
  let at = out.length;
  for (let i = 0; i < n; i += 8) {
    let byte = 0;
    const end = Math.min(8, n - i);
    for (let j = 0; j < end; j++) if (values[i + j]) byte |= 1 << j;
    b[at++] = byte;
  }
  out.length = at;
}

/**
 * A value's position in its column's order (parquet.thrift ColumnOrder,
 * TYPE_ORDER): integers by value, signed or unsigned as their logical type
 * says; strings and blobs by unsigned bytes; false before true.
 */
export type OrderKey = bigint | Uint8Array | number;

export function orderKey(kind: ValueKind, v: CellValue): OrderKey {
  if (kind === 'string' || kind === 'bytes') return bytesOf(v, kind);
  if (kind === 'bool') return v ? 1 : 0;
  return integerOf(v, kind);
}

export function compareOrder(a: OrderKey, b: OrderKey): number {
  if (a instanceof Uint8Array) return Buffer.compare(a, b as Uint8Array);
  const x = a as number | bigint;
  const y = b as number | bigint;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Longest string or blob kept as a min/max statistic; longer ones leave the chunk without min/max. */
export const MAX_STAT_BYTES = 64;

/** The statistic bytes of an order key (PLAIN, byte arrays without their length); null when too long to keep. */
export function statBytes(kind: ValueKind, k: OrderKey): Uint8Array | null {
  if (k instanceof Uint8Array) return k.length > MAX_STAT_BYTES ? null : k.slice();
  if (kind === 'bool') return new Uint8Array([Number(k)]);
  const out = new Uint8Array(kind === 'u64' || kind === 'i64' || kind === 'timestamp_ns' ? 8 : 4);
  const dv = new DataView(out.buffer);
  if (out.length === 8) dv.setBigUint64(0, BigInt.asUintN(64, k as bigint), true);
  else dv.setUint32(0, Number(BigInt.asUintN(32, k as bigint)), true);
  return out;
}

/**
 * PLAIN booleans written as runs: a run of one value fills whole bytes at
 * once, so a boolean that never changes within a row group costs a memset,
 * not a loop over its rows.
 */
export class BitWriter {
  private out!: ByteSink;
  private acc = 0;
  private nbits = 0;

  start(out: ByteSink): void {
    this.out = out;
    this.acc = 0;
    this.nbits = 0;
  }

  run(bit: number, n: number): void {
    while (n > 0 && this.nbits !== 0) {
      this.push(bit);
      n--;
    }
    const whole = n >> 3;
    if (whole > 0) {
      const out = this.out;
      out.reserve(whole);
      out.bytes.fill(bit ? 0xff : 0, out.length, out.length + whole);
      out.length += whole;
      n -= whole * 8;
    }
    while (n-- > 0) this.push(bit);
  }

  finish(): void {
    if (this.nbits > 0) this.out.u8(this.acc);
    this.acc = 0;
    this.nbits = 0;
  }

  private push(bit: number): void {
    if (bit) this.acc |= 1 << this.nbits;
    if (++this.nbits === 8) {
      this.out.u8(this.acc);
      this.acc = 0;
      this.nbits = 0;
    }
  }
}
