/**
 * The Parquet writer's RLE / bit-packing hybrid encoder against independent
 * decoders: any values of any width 1..32, fed as runs and array slices in
 * any mix, decode to exactly what went in. hyparquet's readRleBitPackedHybrid
 * decodes widths up to 24 (it shifts bytes into a 32-bit int: wider packed
 * values overflow it; our levels and dictionary indices take at most 20: a
 * dictionary passes its 4 MB limit before 2^20 entries);
 * a decoder written here from Parquet's Encodings.md, with BigInt, takes all.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteSink } from '../../src/export/parquet/byte-sink.js';
import { RleEncoder } from '../../src/export/parquet/rle.js';

// Not among hyparquet's package exports: its decoder, imported by file (types from its declarations).
const hyparquetEncoding = '../../node_modules/hyparquet/src/encoding.js';
const { readRleBitPackedHybrid } = await import(hyparquetEncoding) as typeof import('../../node_modules/hyparquet/types/encoding.js');

/** Values of `width` bits with long and short runs (runs are what the encoder decides on). */
const valuesOf = (width: number) => fc.array(
  fc.tuple(fc.integer({ min: 0, max: width === 32 ? 0xffffffff : 2 ** width - 1 }), fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 600 }))),
  { maxLength: 60 },
).map((runs) => runs.flatMap(([v, n]) => Array<number>(n).fill(v)));

/** Encodings.md: runs of `varint header`; header & 1: (header >> 1) groups of 8 values bit-packed LSB first, else a value repeated (header >> 1) times, in ceil(width / 8) bytes. */
function decodeHybrid(bytes: Uint8Array, width: number, count: number): number[] {
  const out: number[] = [];
  let at = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (out.length < count) {
    const header = varint();
    if (header % 2 === 1) {
      const n = Math.floor(header / 2) * 8;
      let bits = 0n;
      const nBytes = (n * width) / 8;
      for (let i = 0; i < nBytes; i++) bits |= BigInt(bytes[at + i]) << BigInt(8 * i);
      at += nBytes;
      for (let i = 0; i < n; i++) out.push(Number((bits >> BigInt(i * width)) & ((1n << BigInt(width)) - 1n)));
    } else {
      let v = 0;
      for (let i = 0; i < Math.ceil(width / 8); i++) v += bytes[at++] * 2 ** (8 * i);
      for (let i = 0; i < Math.floor(header / 2); i++) out.push(v);
    }
  }
  expect(at).toBe(bytes.length);
  return out.slice(0, count);
}

describe('RLE / bit-packed hybrid encoder', () => {
  it('decodes to exactly its input, whatever the width and the mix of run() and array() calls', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 32 }).chain((width) => fc.tuple(fc.constant(width), valuesOf(width), fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }))),
      ([width, values, asRuns]) => {
        const out = new ByteSink(64);
        const rle = new RleEncoder();
        rle.start(out, width);
        // Feed the input in slices, some as array(), some run by run.
        let i = 0;
        for (let s = 0; i < values.length; s++) {
          const end = Math.min(values.length, i + 1 + ((s * 97) % 700));
          if (asRuns[s % asRuns.length]) {
            while (i < end) {
              let j = i + 1;
              while (j < end && values[j] === values[i]) j++;
              rle.run(values[i] | 0, j - i);
              i = j;
            }
          } else {
            rle.array(Int32Array.from(values.slice(i, end)), 0, end - i);
            i = end;
          }
        }
        rle.finish();
        const bytes = out.written().slice();
        const decoded = new Array<number>(values.length);
        expect(decodeHybrid(bytes, width, values.length)).toEqual(values);
        if (width <= 24) {
          readRleBitPackedHybrid({ view: new DataView(bytes.buffer), offset: 0 }, width, decoded, bytes.length);
          expect(decoded.map((v) => v >>> 0)).toEqual(values);
        }
      },
    ), { numRuns: 300 });
  });

  it('writes key runs (keyRuns, keyLevels: a value per key, runs of keys) as the same bytes as array() over the rows they cover', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 30 }))), { maxLength: 200 }),
      fc.array(fc.integer({ min: 0, max: 2 ** 20 - 1 }), { minLength: 41, maxLength: 41 }),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 41, maxLength: 41 }),
      (width, keyRuns, values, levels) => {
        const mask = width === 32 ? -1 : 2 ** width - 1;
        const valueOf = Int32Array.from(values, (v) => v & mask);
        // Few distinct values too (neighbouring keys with equal values merge into one run).
        for (let k = 0; k < valueOf.length; k += 3) valueOf[k] = valueOf[0];
        const levelOf = Uint8Array.from(levels);
        const keys = Int32Array.from(keyRuns, ([k]) => k);
        const lens = Int32Array.from(keyRuns, ([, n]) => n);
        const rowKeys = keyRuns.flatMap(([k, n]) => Array<number>(n).fill(k));
        const encode = (feed: (rle: RleEncoder) => void, w: number) => {
          const out = new ByteSink(64);
          const rle = new RleEncoder();
          rle.start(out, w);
          feed(rle);
          rle.finish();
          return Buffer.from(out.written());
        };
        // Values: every run, and only the runs whose key's level is 2.
        expect(encode((rle) => rle.keyRuns(keys, lens, keys.length, valueOf, null, 0), width))
          .toEqual(encode((rle) => rle.array(Int32Array.from(rowKeys, (k) => valueOf[k]), 0, rowKeys.length), width));
        const defined = rowKeys.filter((k) => levelOf[k] === 2);
        let given = -1;
        expect(encode((rle) => { given = rle.keyRuns(keys, lens, keys.length, valueOf, levelOf, 2); }, width))
          .toEqual(encode((rle) => rle.array(Int32Array.from(defined, (k) => valueOf[k]), 0, defined.length), width));
        expect(given).toBe(defined.length);
        expect(encode((rle) => rle.keyLevels(keys, lens, keys.length, levelOf), 2))
          .toEqual(encode((rle) => rle.array(Uint8Array.from(rowKeys, (k) => levelOf[k]), 0, rowKeys.length), 2));
      },
    ), { numRuns: 300 });
  });

  it('writes levels seen a word at a time (array with words over the same bytes) as the same bytes as one at a time', () => {
    fc.assert(fc.property(valuesOf(2), fc.nat(40), fc.nat(40), (values, skip, cut) => {
      const bytes = Uint8Array.from(values);
      const from = Math.min(skip, bytes.length);
      const to = Math.max(from, bytes.length - cut);
      const words = new Int32Array(bytes.buffer, 0, bytes.length >> 2);
      const encode = (w: Int32Array | null) => {
        const out = new ByteSink(64);
        const rle = new RleEncoder();
        rle.start(out, 2);
        rle.array(bytes, from, to, w);
        rle.finish();
        return Buffer.from(out.written());
      };
      expect(encode(words)).toEqual(encode(null));
    }), { numRuns: 300 });
  });
});
