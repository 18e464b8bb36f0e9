/**
 * A CBOR decoder (RFC 8949) for the format's own metadata: the manifest and
 * the stats and end records. It gives the values cbor-x's decoder gave with
 * the options the format used (maps as plain objects, 64-bit integers as
 * bigint, byte strings as views of the input), and fails (throws) on what
 * our writer never emits: tags (but 64, a Uint8Array), simple values other
 * than false, true, null and undefined, indefinite-length strings.
 *
 * Why not cbor-x's decoder: its `read` and its string reader run hot enough
 * over a 31 KB manifest for V8 to compile them with TurboFan, and `read`
 * then deoptimised on the manifest's next value: ~14 ms of CPU at the start
 * of every replay on a pinned CPU (rg-replay on a 13-event capture, --no-opt
 * against default), a fifth of a short replay's time. This one does little
 * work per item and leaves strings to TextDecoder: it stays in V8's baseline
 * tiers.
 *
 * Bounded on hostile input: lengths are checked against the bytes left before
 * anything is allocated, nesting is limited, and trailing bytes are an error.
 */

import { Buffer } from 'node:buffer';

/** Deeper than any metadata we write (the manifest nests about six levels). */
const MAX_DEPTH = 256;
const TAG_UINT8_ARRAY = 64;

const utf8 = new TextDecoder('utf-8');

export class CborError extends Error {}

/**
 * An item whose decoded value is known in advance: where its exact bytes
 * stand as an element of the top-level map or array, they are compared, not
 * decoded, and `value` (shared, never to be changed) is the element.
 */
export interface KnownItem {
  readonly bytes: Uint8Array;
  readonly value: unknown;
}

/** Decodes exactly one CBOR item filling all of `bytes`; throws CborError on anything else. */
export function decodeCborItem(bytes: Uint8Array, known: KnownItem | null = null): unknown {
  const r = new CborReader(bytes, known);
  const value = r.item(0);
  if (r.pos !== bytes.length) throw new CborError('cbor: bytes after the item');
  return value;
}

class CborReader {
  pos = 0;
  private readonly view: DataView;
  private arrayBudget: number;

  constructor(private readonly bytes: Uint8Array, private readonly known: KnownItem | null) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.arrayBudget = bytes.length;
  }

  item(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new CborError('cbor: nested too deeply');
    const bytes = this.bytes;
    if (this.pos >= bytes.length) throw new CborError('cbor: ends inside an item');
    if (depth === 1 && this.known !== null && this.isKnown(this.known.bytes)) return this.known.value;
    const initial = bytes[this.pos++];
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 7) return this.simple(info);
    if (info === 31) return this.indefinite(major, depth);
    const n = this.argument(info);
    switch (major) {
      case 0: return n;
      case 1: return typeof n === 'bigint' ? -1n - n : -1 - n;
      case 2: {
        const start = this.take(n);
        return bytes.subarray(start, this.pos);
      }
      case 3: {
        const start = this.take(n);
        return utf8.decode(bytes.subarray(start, this.pos));
      }
      case 4: {
        const length = this.count(n, 1);
        // Nested arrays each pass the check above: their lengths also spend one budget of the input's size.
        if ((this.arrayBudget -= length) < 0) throw new CborError('cbor: array lengths past the end');
        const array = new Array<unknown>(length);
        for (let i = 0; i < length; i++) array[i] = this.item(depth + 1);
        return array;
      }
      case 5: {
        const length = this.count(n, 2);
        const object: Record<string, unknown> = {};
        for (let i = 0; i < length; i++) {
          const key = safeKey(this.item(depth + 1));
          object[key] = this.item(depth + 1);
        }
        return object;
      }
      default: {
        // Tag 64 (uint8 typed array) + a byte string: how cbor-x's encoder writes a Uint8Array.
        if (n !== TAG_UINT8_ARRAY) throw new CborError(`cbor: tag ${String(n)} is not part of the format`);
        const content = this.item(depth + 1);
        if (!(content instanceof Uint8Array)) throw new CborError('cbor: tag 64 without a byte string');
        return new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
      }
    }
  }

  /** True (and moved past them) when the known item's bytes come next. */
  private isKnown(k: Uint8Array): boolean {
    const at = this.pos;
    const b = this.bytes;
    if (b[at] !== k[0] || k.length > b.length - at || !Buffer.from(b.buffer, b.byteOffset + at, k.length).equals(k)) return false;
    this.pos = at + k.length;
    return true;
  }

  /** An item's argument: a number, or a bigint when it was written in 8 bytes (as cbor-x decoded those). */
  private argument(info: number): number | bigint {
    if (info < 24) return info;
    const at = this.pos;
    const view = this.view;
    let width: number;
    let n: number | bigint;
    switch (info) {
      case 24: width = 1; n = at < view.byteLength ? view.getUint8(at) : -1; break;
      case 25: width = 2; n = at + 2 <= view.byteLength ? view.getUint16(at) : -1; break;
      case 26: width = 4; n = at + 4 <= view.byteLength ? view.getUint32(at) : -1; break;
      case 27: width = 8; n = at + 8 <= view.byteLength ? view.getBigUint64(at) : -1; break;
      default: throw new CborError(`cbor: reserved additional information ${info}`);
    }
    if (n === -1) throw new CborError('cbor: ends inside an argument');
    this.pos = at + width;
    return n;
  }

  /** A length as a count of items, each at least `minBytes` long: never more than the bytes left can hold. */
  private count(n: number | bigint, minBytes: number): number {
    const length = lengthOf(n);
    if (length * minBytes > this.bytes.length - this.pos) throw new CborError('cbor: length past the end');
    return length;
  }

  /** Moves past the next `n` bytes (a string's); returns where they start. */
  private take(n: number | bigint): number {
    const start = this.pos;
    const length = lengthOf(n);
    if (length > this.bytes.length - start) throw new CborError('cbor: string past the end');
    this.pos = start + length;
    return start;
  }

  private simple(info: number): unknown {
    const view = this.view;
    const at = this.pos;
    switch (info) {
      case 20: return false;
      case 21: return true;
      case 22: return null;
      case 23: return undefined;
      case 25:
        if (at + 2 > view.byteLength) break;
        this.pos = at + 2;
        return float16(view.getUint16(at));
      case 26:
        if (at + 4 > view.byteLength) break;
        this.pos = at + 4;
        return view.getFloat32(at);
      case 27:
        if (at + 8 > view.byteLength) break;
        this.pos = at + 8;
        return view.getFloat64(at);
      default: throw new CborError(`cbor: simple value ${info} is not part of the format`);
    }
    throw new CborError('cbor: ends inside a float');
  }

  /** An indefinite-length array or map (cbor-x read them; our writer uses definite lengths). */
  private indefinite(major: number, depth: number): unknown {
    if (major === 4) {
      const array: unknown[] = [];
      while (!this.stop()) array.push(this.item(depth + 1));
      return array;
    }
    if (major === 5) {
      const object: Record<string, unknown> = {};
      while (!this.stop()) {
        const key = safeKey(this.item(depth + 1));
        object[key] = this.item(depth + 1);
      }
      return object;
    }
    throw new CborError(`cbor: indefinite length for major type ${major}`);
  }

  /** Consumes a break (0xff) if one is next. */
  private stop(): boolean {
    if (this.pos >= this.bytes.length) throw new CborError('cbor: ends inside an indefinite-length item');
    if (this.bytes[this.pos] !== 0xff) return false;
    this.pos++;
    return true;
  }
}

/** A length written in 8 bytes is read as bigint: below 2^32 it is a length like any other (cbor-x took those too). */
function lengthOf(n: number | bigint): number {
  if (typeof n === 'number') return n;
  if (n > 0xffffffffn) throw new CborError('cbor: a length over 2^32');
  return Number(n);
}

/** A map key as an object property, as cbor-x made it: `__proto__` renamed, numbers and the like as text, anything else refused. */
function safeKey(key: unknown): string {
  if (typeof key === 'string') return key === '__proto__' ? '__proto_' : key;
  if (typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint') return key.toString();
  if (key === null || key === undefined) return String(key);
  throw new CborError(`cbor: a map key of type ${typeof key}`);
}

/** IEEE 754 half precision. */
function float16(h: number): number {
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}
