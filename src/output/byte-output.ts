/**
 * A reusable output buffer that the encoders write bytes into directly, handed
 * to a sink in batches (64 KiB by default) rather than per event.
 */
export type Sink = (bytes: Uint8Array) => void;

/** Longest line any encoder may write between two `reserve` calls. */
export const MAX_LINE_BYTES = 32 << 10;

/**
 * Constant bytes (JSON keys, cached values) packed as little-endian 32-bit
 * words, so `putPacked` copies them four bytes per store.
 *
 * Why: copying keys was the largest single cost of --json. Byte by byte, V8
 * re-checks both typed arrays on every byte; `Uint8Array.set` is a builtin call
 * per key. Micro-bench, the 20 keys of one open event: 313 ns byte by byte,
 * 336 ns with `set`, 136 ns as DataView word stores (node 20). With flag tails
 * (ndjson.ts), the NDJSON encoder went from 820 to 610 ns per event.
 */
export class PackedBytes {
  readonly words: Int32Array;
  constructor(readonly bytes: Uint8Array) {
    const padded = new Uint8Array((bytes.length + 3) & ~3);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    this.words = new Int32Array(padded.length >> 2);
    for (let i = 0; i < this.words.length; i++) this.words[i] = view.getInt32(4 * i, true);
  }
  get length(): number {
    return this.bytes.length;
  }
}

/** The bytes a ByteOutput of this batch size writes into: +4 because word stores (putPacked, digits) may reach 3 bytes past the line's end; those are never flushed. */
export function byteOutputSize(batchBytes: number): number {
  return batchBytes + MAX_LINE_BYTES + 4;
}

export class ByteOutput {
  buf: Uint8Array;
  /** The same memory as `buf`, for unaligned word stores (see PackedBytes). */
  readonly view: DataView;
  pos = 0;
  private readonly batch: number;

  /**
   * `buffer`: memory to write into (the plain-ASCII arena's output region:
   * plain-ascii.ts), at least `byteOutputSize(batchBytes)` bytes; else its own.
   */
  constructor(private readonly sink: Sink, batchBytes = 64 << 10, buffer?: Uint8Array) {
    this.batch = batchBytes;
    const size = byteOutputSize(batchBytes);
    if (buffer !== undefined && buffer.length < size) throw new RangeError(`ByteOutput: a buffer of ${buffer.length} bytes, ${size} needed`);
    this.buf = buffer?.subarray(0, size) ?? new Uint8Array(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Makes room for one line: flushes when the batch is full. */
  reserve(): void {
    if (this.pos >= this.batch) this.flush();
  }

  flush(): void {
    if (this.pos === 0) return;
    // The sink may keep the bytes (async writers): give it its own copy only if it asks; sync sinks write at once.
    this.sink(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  ascii(text: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  bytes(src: Uint8Array): void {
    copyBytes.call(this.buf, src, this.pos);
    this.pos += src.length;
  }

}

/**
 * `Uint8Array.prototype.set`, called as `copyBytes.call(target, src, at)`.
 * Why not `target.set(src, at)`: V8 (node 20) does not resolve `set` on a
 * typed array in optimised code; each call looked it up through a generic
 * inline cache (LoadIC). --json copies a header text and a process context
 * per event: the lookups were ~2% of a pinned run. Micro-benchmark, 300
 * bytes: 20.6 -> 16.3 ns per copy.
 */
export const copyBytes = Uint8Array.prototype.set;

/**
 * Copies packed constant bytes to `p` of the buffer behind `view`, a word at a
 * time; returns the position after them. Stores up to 3 bytes past that
 * position, which the next write overwrites (ByteOutput keeps slack for it).
 */
export function putPacked(view: DataView, p: number, src: PackedBytes): number {
  const words = src.words;
  for (let i = 0; i < words.length; i++) view.setInt32(p + 4 * i, words[i], true);
  return p + src.bytes.length;
}
