import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRecord, DispatchCounts, InvalidReason, reasonOfCode } from '../../src/abi/dispatch.js';
import { decodeRecord } from '../../src/abi/decode.js';
import { encodeFileFilterConfig, encodeRecord } from '../../src/abi/encode.js';
import { EventKind, EVENT_SCHEMA_VERSION, FILE_FILTER_MAX_PREFIXES, FILE_FILTER_PREFIX_LEN } from '../../src/abi/constants.js';
import { BUILD_SCHEMA, extendSchema, FILE_FILTER_CONFIG, HEADER_SIZE, KIND_BY_ID, KINDS } from '../../src/abi/schema.js';
import { arbitraryRecord } from '../support/arbitrary.js';
import { invalidRecords } from '../support/fixture-set.js';

const reasonOf = (bytes: Uint8Array) => {
  const code = classifyRecord(bytes, 0, bytes.length);
  return code > 0 ? code : reasonOfCode(code);
};

describe('dispatcher', () => {
  it('accepts a well-formed record of every kind', () => {
    for (const k of KINDS) expect(reasonOf(encodeRecord(k.id, { pid: 1 }))).toBe(k.id);
  });

  it('rejects in the documented order: short, version, kind, declared size, record length', () => {
    expect(invalidRecords().slice(0, 6).map(reasonOf)).toEqual([
      InvalidReason.TooShort, InvalidReason.VersionMismatch, InvalidReason.UnknownKind,
      InvalidReason.SizeMismatch, InvalidReason.LengthMismatch, InvalidReason.SizeMismatch,
    ]);
  });

  it('checks the version before the kind and the kind before the size', () => {
    const rec = encodeRecord(EventKind.FileOpen, {});
    const view = new DataView(rec.buffer);
    view.setUint16(0, 7, true);
    view.setUint16(2, 200, true);
    view.setUint32(4, 1, true);
    expect(reasonOf(rec)).toBe(InvalidReason.VersionMismatch);
    view.setUint16(0, EVENT_SCHEMA_VERSION, true);
    expect(reasonOf(rec)).toBe(InvalidReason.UnknownKind);
    view.setUint16(2, EventKind.FileOpen, true);
    expect(reasonOf(rec)).toBe(InvalidReason.SizeMismatch);
  });

  it('classifies any bytes without throwing, and accepts only records whose header matches a kind exactly', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1000 }), (bytes) => {
      const code = classifyRecord(bytes, 0, bytes.length);
      if (code > 0) {
        const kind = KIND_BY_ID[code]!;
        expect(bytes.length).toBe(kind.layout.size);
        expect(new DataView(bytes.buffer, bytes.byteOffset).getUint16(0, true)).toBe(EVENT_SCHEMA_VERSION);
      } else {
        expect(Object.values(InvalidReason)).toContain(reasonOfCode(code));
      }
    }));
  });

  // Random bytes never form a valid record: these are valid records of every kind, from the schema.
  it('accepts every valid record of every kind, decodes each field as written, and rejects it once its header or length lies', () => {
    const extended = extendSchema(BUILD_SCHEMA, [{
      id: 42, name: 'test_extra', eventType: 'test_extra', cliName: 'extra', process: { role: 'activity' },
      capture: { programs: ['handle_extra'], syscalls: [] }, pathFields: [], color: 'white', counter: null,
      fields: [{ name: 'value', type: 'u64', view: 'uint', doc: '' }, { name: 'name', type: 'char', count: 24, view: 'string', doc: '' }], flags: [],
    }]);
    for (const schema of [BUILD_SCHEMA, extended]) {
      fc.assert(fc.property(arbitraryRecord({ schema }), fc.integer({ min: 1, max: 255 }), ({ kind, fields }, otherId) => {
        const bytes = encodeRecord(kind.id, fields, schema);
        const classify = (b: Uint8Array) => classifyRecord(b, 0, b.length, schema);
        expect(classify(bytes)).toBe(kind.id);
        const decoded = decodeRecord(bytes, 0, kind.id, schema).fields;
        for (const [name, value] of Object.entries(fields)) {
          if (value instanceof Uint8Array) expect(Buffer.from(decoded[name] as Uint8Array).subarray(0, value.length).equals(value), name).toBe(true);
          else expect(decoded[name] === value || decoded[name] === BigInt(value as number), name).toBe(true);
        }
        expect(reasonOfCode(classify(bytes.subarray(0, bytes.length - 1)))).toBe(InvalidReason.LengthMismatch);
        const longer = new Uint8Array(bytes.length + 1);
        longer.set(bytes);
        expect(reasonOfCode(classify(longer))).toBe(InvalidReason.LengthMismatch);
        const other = bytes.slice();
        new DataView(other.buffer).setUint16(2, otherId, true);
        const otherKind = schema.byId[otherId];
        const expected = otherKind === undefined ? InvalidReason.UnknownKind : otherKind.layout.size !== bytes.length ? InvalidReason.SizeMismatch : otherId;
        const got = classify(other);
        expect(got > 0 ? got : reasonOfCode(got)).toBe(expected);
        const newer = bytes.slice();
        new DataView(newer.buffer).setUint16(0, schema.version + 1, true);
        expect(reasonOfCode(classify(newer))).toBe(InvalidReason.VersionMismatch);
      }), { numRuns: 300 });
    }
  });

  it('counts rejections by reason and by the kind the header claimed', () => {
    const counts = new DispatchCounts();
    for (const r of invalidRecords()) counts.dispatch(r, 0, r.length);
    expect(counts.acceptedTotal).toBe(1);
    expect(counts.rejectedTotal).toBe(6);
    expect(counts.rejected.get(InvalidReason.SizeMismatch)).toEqual(new Map([[EventKind.FileOpen, 1], [EventKind.ProcessFork, 1]]));
    expect(counts.rejected.get(InvalidReason.UnknownKind)).toEqual(new Map([[99, 1]]));
  });

  it('reads a record at an offset inside a larger buffer', () => {
    const rec = encodeRecord(EventKind.ProcessFork, { pid: 42, child_pid: 43 });
    const big = new Uint8Array(rec.length + 13);
    big.set(rec, 13);
    expect(classifyRecord(big, 13, rec.length)).toBe(EventKind.ProcessFork);
    expect(decodeRecord(big, 13, EventKind.ProcessFork).fields.child_pid).toBe(43);
    expect(classifyRecord(big, 13, HEADER_SIZE - 1)).toBeLessThan(0);
  });
});

describe('FileFilterConfig encoder', () => {
  it('lays out count, prefixes and lengths at the schema offsets', () => {
    const bytes = encodeFileFilterConfig(['/etc/', '/home/user/.ssh']);
    const view = new DataView(bytes.buffer);
    const [count, prefixes, lens] = FILE_FILTER_CONFIG.fields;
    expect(bytes.length).toBe(FILE_FILTER_CONFIG.size);
    expect(view.getUint32(count.offset, true)).toBe(2);
    expect(new TextDecoder().decode(bytes.subarray(prefixes.offset, prefixes.offset + 5))).toBe('/etc/');
    expect(new TextDecoder().decode(bytes.subarray(prefixes.offset + FILE_FILTER_PREFIX_LEN, prefixes.offset + FILE_FILTER_PREFIX_LEN + 15))).toBe('/home/user/.ssh');
    expect(view.getUint32(lens.offset, true)).toBe(5);
    expect(view.getUint32(lens.offset + 4, true)).toBe(15);
  });

  it('refuses empty, too long or too many prefixes', () => {
    expect(() => encodeFileFilterConfig([''])).toThrow(/1-128 bytes/);
    expect(() => encodeFileFilterConfig(['/' + 'x'.repeat(FILE_FILTER_PREFIX_LEN)])).toThrow(/1-128 bytes/);
    expect(() => encodeFileFilterConfig(Array.from({ length: FILE_FILTER_MAX_PREFIXES + 1 }, (_, i) => `/p${i}`))).toThrow(/at most 8/);
  });
});
