/**
 * The format's CBOR decoder (src/rgc/cbor-decode.ts) against cbor-x's, which
 * it replaced for reading: what our writer encodes reads back the same value
 * (bigint for 8-byte integers, byte strings as bytes, maps as objects), and
 * on arbitrary or cut bytes it never gives a value cbor-x would not.
 */
import { Decoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborError, decodeCborItem } from '../../src/rgc/cbor-decode.js';
import { buildSchemaItem, decodeCbor, decodeManifest, encodeCbor } from '../../src/rgc/manifest.js';
import { syntheticManifest } from '../support/synthetic.js';

/** cbor-x's decoder with the options the format read with before. */
const cborX = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' } as ConstructorParameters<typeof Decoder>[0]);

function cborXOrError(bytes: Uint8Array): { value: unknown } | { error: true } {
  try {
    return { value: cborX.decode(bytes) };
  } catch {
    return { error: true };
  }
}

/** What our writers put in manifests and meta records: nested maps and arrays of text, numbers, bigints, bytes, booleans, null. */
const metadataValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string(), fc.string({ unit: 'grapheme' }), fc.integer(), fc.maxSafeInteger(), fc.double(), fc.float(),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.uint8Array({ maxLength: 40 }),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 6 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 6 })),
})).node;

describe('CBOR decoding of metadata', () => {
  it('reads back what the writer encodes, exactly as cbor-x did', () => {
    fc.assert(fc.property(metadataValue, (v) => {
      const bytes = encodeCbor(v);
      expect(decodeCborItem(bytes)).toStrictEqual(cborX.decode(bytes));
    }), { numRuns: 2000 });
  });

  it('reads a real manifest as cbor-x did', () => {
    const bytes = encodeCbor(syntheticManifest({ host: { hostname: 'h\u00e9\u202e', kernel_release: '6', machine: 'x86_64', boot_id: 'b', users: [[0, 'root'], [1000, 'an\u00e4lyst']] } }));
    expect(decodeCborItem(bytes)).toStrictEqual(cborX.decode(bytes));
  });

  it('integers: 8-byte ones are bigint, shorter ones numbers, whatever their value', () => {
    expect(decodeCborItem(Uint8Array.from([0x1b, 0, 0, 0, 0, 0, 0, 0, 5]))).toBe(5n);
    expect(decodeCborItem(Uint8Array.from([0x3b, 0, 0, 0, 0, 0, 0, 0, 5]))).toBe(-6n);
    expect(decodeCborItem(Uint8Array.from([0x1a, 0xff, 0xff, 0xff, 0xff]))).toBe(0xffffffff);
    expect(decodeCborItem(Uint8Array.from([0x3a, 0xff, 0xff, 0xff, 0xff]))).toBe(-0x100000000);
    expect(decodeCborItem(Uint8Array.from([0xf9, 0x3c, 0x00]))).toBe(1);
    expect(decodeCborItem(Uint8Array.from([0xf9, 0x80, 0x00]))).toBe(-0);
  });

  it('a map key __proto__ is renamed, never the prototype', () => {
    const bytes = Uint8Array.from([0xa1, 0x69, ...Buffer.from('__proto__'), 0xa1, 0x61, 0x78, 0x01]);
    const v = decodeCborItem(bytes) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(v).toStrictEqual(cborX.decode(bytes));
  });

  it('on arbitrary bytes, a value only where cbor-x gives the same one', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      let ours: unknown;
      try {
        ours = decodeCborItem(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(CborError);
        return;
      }
      expect(cborXOrError(bytes)).toStrictEqual({ value: ours });
    }), { numRuns: 20000 });
  });

  it('a cut item fails at every cut, and so do bytes after the item', () => {
    const bytes = encodeCbor({ a: [1, 'two', 3n ** 30n, new Uint8Array([4])], b: { c: null } });
    for (let cut = 0; cut < bytes.length; cut++) expect(decodeCbor(bytes.subarray(0, cut))).toBeNull();
    expect(decodeCbor(Uint8Array.from([...bytes, 0]))).toBeNull();
  });

  it('refuses nesting past its limit and lengths past the input without allocating them', () => {
    expect(decodeCbor(new Uint8Array(100_000).fill(0x81))).toBeNull();
    // An array claiming 2^32-1 items, and 256 nested arrays each claiming all the bytes left.
    expect(decodeCbor(Uint8Array.from([0x9a, 0xff, 0xff, 0xff, 0xff, 0]))).toBeNull();
    const nested = new Uint8Array(256 * 5);
    for (let i = 0; i < 256; i++) nested.set([0x9a, ...[0, 0, 0, 0]], 5 * i);
    for (let i = 0; i < 256; i++) new DataView(nested.buffer).setUint32(5 * i + 1, nested.length - 5 * (i + 1));
    expect(decodeCbor(nested)).toBeNull();
  });
});

describe('manifests of this build: the schema compared, not decoded', () => {
  const full = (bytes: Uint8Array) => decodeCborItem(bytes) as Record<string, unknown>;

  it('gives the value a full decode gives, for this build\'s schema and for another', () => {
    const ours = encodeCbor(syntheticManifest());
    const known = buildSchemaItem();
    expect(Buffer.from(ours).includes(Buffer.from(known.bytes))).toBe(true);
    expect(decodeCborItem(ours, known)).toStrictEqual(full(ours));
    expect((decodeCborItem(ours, known) as Record<string, unknown>).schema).toBe(known.value);
    // One byte of the schema changed (a field's name): decoded, and it shows.
    const other = Uint8Array.from(ours);
    const at = Buffer.from(other).indexOf(Buffer.from('ts_ns'));
    other[at] = 0x54;
    expect(decodeCborItem(other, known)).toStrictEqual(full(other));
    expect(JSON.stringify((decodeCborItem(other, known) as { schema: unknown }).schema, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toContain('Ts_ns');
  });

  it('decodeManifest reads the same manifest either way', () => {
    const bytes = encodeCbor(syntheticManifest());
    const viaKnown = decodeManifest(bytes);
    const plain = full(bytes);
    expect(viaKnown.schema).toStrictEqual(plain.schema);
    expect(viaKnown.host).toStrictEqual(plain.host);
  });

  it('compares only whole elements of the top-level map: the same bytes deeper or cut short are decoded', () => {
    const known = buildSchemaItem();
    const nested = encodeCbor({ a: { schema: syntheticManifest().schema } });
    expect(decodeCborItem(nested, known)).toStrictEqual(full(nested));
    const cut = Uint8Array.from(encodeCbor(syntheticManifest())).subarray(0, 89 + known.bytes.length - 1);
    expect(() => decodeCborItem(cut, known)).toThrow(CborError);
  });
});
