/** fast-check generators for records of any kind, from the schema (not from hand-written field lists). */
import fc from 'fast-check';
import { type FieldInput } from '../../src/abi/encode.js';
import { BUILD_SCHEMA, HEADER, type KindLayout, type Schema } from '../../src/abi/schema.js';
import { type FieldLayout } from '../../src/abi/layout.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function fieldArb(f: FieldLayout, safeU64: boolean): fc.Arbitrary<FieldInput> {
  switch (f.type) {
    case 'u8': return fc.integer({ min: 0, max: 0xff });
    case 'u16': return fc.integer({ min: 0, max: 0xffff });
    case 'u32': return fc.integer({ min: 0, max: 0xffffffff });
    case 's32': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'u64': return safeU64 ? fc.bigInt({ min: 0n, max: MAX_SAFE }) : fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case 's64': return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    // Strings as the kernel writes them: any non-NUL bytes, then NUL padding (or none when full).
    case 'char': return fc.uint8Array({ maxLength: f.size }).map((b) => b.map((x) => (x === 0 ? 0x61 : x)));
    case 'bytes': return fc.uint8Array({ minLength: f.size, maxLength: f.size });
  }
}

export interface ArbitraryRecord {
  kind: KindLayout;
  fields: Record<string, FieldInput>;
}

/** A valid record of any kind of `schema` (default: this build's): the header's version, kind and size are the kind's own. */
export function arbitraryRecord(opts: { safeU64?: boolean; schema?: Schema } = {}): fc.Arbitrary<ArbitraryRecord> {
  return fc.constantFrom(...(opts.schema ?? BUILD_SCHEMA).kinds).chain((kind) => {
    const settable = kind.layout.fields.filter((f) => !['version', 'kind', 'size'].includes(f.name));
    // A size field (of an argv) stays within its buffer, so the argv is meaningful.
    const sizeOf = new Map(kind.schemaFields.filter((f) => f.view === 'argv').map((f) => [f.sizeField!, kind.layout.fields.find((x) => x.name === f.name)!.size]));
    // A Unix socket address (view unix_path) as a hostile record may hold it: NULs anywhere in the name (an abstract
    // name's are part of it), a leading `@`, an abstract flag of any value, and a size within, at or past its buffer.
    const unix = kind.schemaFields.filter((f) => f.view === 'unix_path');
    const unixArbs = new Map<string, fc.Arbitrary<FieldInput>>();
    for (const f of unix) {
      const size = kind.layout.fields.find((x) => x.name === f.name)!.size;
      unixArbs.set(f.name, fc.oneof(fieldArb(kind.layout.fields.find((x) => x.name === f.name)!, false), fc.uint8Array({ maxLength: size }),
        fc.uint8Array({ maxLength: size - 1 }).map((b) => Uint8Array.from([0x40, ...b]))));
      unixArbs.set(f.sizeField!, fc.oneof(fc.integer({ min: 0, max: size }), fc.constantFrom(0, 1, size, size + 1), fc.integer({ min: 0, max: 0xffff })));
      unixArbs.set(f.abstractField!, fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 0xffff })));
    }
    const shape: Record<string, fc.Arbitrary<FieldInput>> = {};
    for (const f of settable) {
      const max = sizeOf.get(f.name);
      shape[f.name] = unixArbs.get(f.name) ?? (max !== undefined ? fc.integer({ min: 0, max }) : fieldArb(f, opts.safeU64 ?? false));
    }
    return fc.record(shape).map((fields) => ({ kind, fields }));
  });
}

export const HEADER_FIELD_COUNT = HEADER.fields.length;
