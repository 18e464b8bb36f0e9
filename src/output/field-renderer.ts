/**
 * A field's view rendered to packed bytes, kept per value: most fields repeat
 * few values (the same errno, flags, mode, signal), and a capability set (u64)
 * took ~2 us to render afresh, six per credential record. Each cache stops
 * growing at CACHE_LIMIT values, so a field of many distinct values costs a
 * render per record, never unbounded memory. NDJSON and text differ only in
 * how a value is rendered.
 */
import { type SchemaField } from '../abi/schema.js';
import { PackedBytes } from './byte-output.js';

const CACHE_LIMIT = 4096;
const enc = new TextEncoder();

export const packText = (text: string): PackedBytes => new PackedBytes(enc.encode(text));

export abstract class CachedFieldRenderer {
  private readonly cache = new Map<number, PackedBytes>();
  private readonly bigCache = new Map<bigint, PackedBytes>();
  constructor(protected readonly field: SchemaField) {}
  protected abstract render(value: number | bigint | Uint8Array): PackedBytes;
  num(n: number): PackedBytes {
    let v = this.cache.get(n);
    if (v === undefined) {
      v = this.render(n);
      if (this.cache.size < CACHE_LIMIT) this.cache.set(n, v);
    }
    return v;
  }
  big(n: bigint): PackedBytes {
    let v = this.bigCache.get(n);
    if (v === undefined) {
      v = this.render(n);
      if (this.bigCache.size < CACHE_LIMIT) this.bigCache.set(n, v);
    }
    return v;
  }
  bytes(src: Uint8Array, at: number, len: number): PackedBytes {
    return this.render(src.subarray(at, at + len));
  }
}
