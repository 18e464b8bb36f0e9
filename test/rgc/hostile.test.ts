/**
 * Files crafted to attack the analyst's machine: absurd lengths, bogus and
 * deeply nested CBOR, duplicated and reordered frames, decompression bombs.
 * The reader must neither crash, hang, nor allocate by an untrusted length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventKind } from '../../src/abi/constants.js';
import { encodeRecord } from '../../src/abi/encode.js';
import { type Damage } from '../../src/rgc/damage.js';
import { FormatError } from '../../src/rgc/errors.js';
import { MAX_FRAME_COMPRESSED_BYTES, SKIPPABLE_MAGIC, TAG_MANIFEST } from '../../src/rgc/format.js';
import { decodeManifest } from '../../src/rgc/manifest.js';
import { forEachRecord, RgcReader } from '../../src/rgc/reader.js';
import { chained, frame, recordStream, skippable } from '../support/craft.js';
import { listItems } from '../support/frames.js';
import { writeSynthetic } from '../support/synthetic.js';
import { allKindsRecords } from '../support/fixture-set.js';

/** The reader's buffer never needs more than one maximal frame plus one pushed slice. */
const BUFFER_BOUND = 2 * (MAX_FRAME_COMPRESSED_BYTES + (1 << 20));

function read(bytes: Uint8Array) {
  const damage: Damage[] = [];
  let records = 0;
  const reader = new RgcReader({
    frame(_h, raw) { forEachRecord(raw, () => { records++; }); },
    damage(d) { damage.push(d); },
  });
  let formatError: FormatError | null = null;
  try {
    reader.push(bytes);
    reader.finish();
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    formatError = e;
  }
  expect(reader.bufferCapacity).toBeLessThanOrEqual(BUFFER_BOUND);
  return { damage, records, formatError, kinds: damage.map((d) => d.kind) };
}

const good = writeSynthetic({ records: allKindsRecords().slice(0, 6), frameBreaks: [2] });
const items = listItems(good);
const manifest = good.subarray(0, items[0].length);
const record = encodeRecord(EventKind.FileOpen, { pid: 1, path: '/x' });

describe('hostile captures', () => {
  it('manifest sizes of 0 and 2^32-1 are refused as "not a capture" without allocating', () => {
    for (const claim of [0, 0xffffffff]) {
      const out = read(skippable(SKIPPABLE_MAGIC, Buffer.from([0x52, 0x47, 0x43, 0x4d, 1, 0, 0, 0]), claim));
      expect(out.formatError?.problem).toBe('bad_manifest');
    }
  });

  it('frame headers claiming 0 or 2^32-1 bytes are rejected before anything is allocated', () => {
    for (const [raw, comp] of [[0xffffffff, 100], [100, 0xffffffff], [100, 0], [0, 0]]) {
      const f = frame({ seq: 0, records: 1, raw: recordStream([record]), rawSizeClaim: raw, compressedSizeClaim: comp });
      const out = read(Buffer.concat([manifest, f]));
      expect(out.kinds[0]).toBe('bad_frame_header');
      expect(out.records).toBe(0);
    }
  });

  it('a foreign skippable frame claiming 2^32-1 bytes is skipped without buffering', () => {
    const out = read(Buffer.concat([manifest, skippable(0x184d2a50, Buffer.alloc(16), 0xffffffff)]));
    expect(out.kinds).toEqual(['truncated']);
  });

  it('record lengths of 0 and 2^32-1 inside a verified frame: the first is an invalid record, the second damage', () => {
    const raw = recordStream([record, new Uint8Array(0), record], [record.length, 0, 0xffffffff]);
    const out = read(chained([manifest, frame({ seq: 0, records: 3, raw })]));
    expect(out.records).toBe(2);
    // (The replay layer reports the record-length damage; the reader passed the verified frame through.)
    expect(out.damage).toEqual([]);
    expect(forEachRecord(raw, () => undefined)).toMatch(/runs past the frame/);
  });

  it('a zstd bomb (4 MiB of zeros claiming 100 bytes) is refused without inflating it', () => {
    const bomb = frame({ seq: 0, records: 1, raw: new Uint8Array(4 << 20), rawSizeClaim: 100 });
    const out = read(chained([manifest, bomb]));
    expect(out.kinds).toEqual(['bad_data_frame']);
    expect(out.damage[0].detail).toMatch(/holds 4194304 bytes, header says 100/);
  });

  it('a zstd frame without a content size that inflates past its claim is stopped at the claim', () => {
    // Frame_Header_Descriptor without content size: hand-build with the simple API, then strip? Use a raw
    // stored block instead: magic, FHD=0 (no FCS, no checksum, window descriptor follows), WD, one raw block.
    const payload = Buffer.alloc(5000, 0x41);
    const blockHeader = Buffer.alloc(3);
    blockHeader.writeUIntLE((payload.length << 3) | 1, 0, 3); // last block, raw
    const zframe = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]), blockHeader, payload]);
    const out = read(chained([manifest, frame({ seq: 0, records: 1, raw: Buffer.alloc(0), compressed: zframe, rawSizeClaim: 64 })]));
    expect(out.kinds).toEqual(['bad_data_frame']);
  });

  it('duplicated and reordered frames are reported; a reordered one is replayed once, a duplicate never twice', () => {
    const f0 = frame({ seq: 0, records: 1, raw: recordStream([record]) });
    const f1 = frame({ seq: 1, records: 1, raw: recordStream([record]) });
    const f2 = frame({ seq: 2, records: 1, raw: recordStream([record]) });
    const out = read(chained([manifest, f0, f2, f1, f2, f1, f0]));
    expect(out.records).toBe(3);
    expect(out.damage.map((d) => [d.kind, d.seq])).toEqual([['frame_gap', 1], ['reordered_frame', 1], ['duplicate_frame', 2], ['duplicate_frame', 1], ['duplicate_frame', 0]]);
  });

  it('remembers a bounded number of gaps: a file skipping a number at every frame cannot grow the reader', () => {
    const frames = Array.from({ length: 3000 }, (_, i) => frame({ seq: 2 * i, records: 1, raw: recordStream([record]) }));
    const late = frame({ seq: 1, records: 1, raw: recordStream([record]) });
    const recent = frame({ seq: 5997, records: 1, raw: recordStream([record]) });
    const out = read(Buffer.concat([manifest, ...frames, late, recent]));
    expect(out.records).toBe(3001);
    expect(out.kinds.slice(-2)).toEqual(['duplicate_frame', 'reordered_frame']);
  });

  it('deeply nested and bogus CBOR manifests are reported as damage, not crashes', () => {
    const nested = Buffer.alloc(200_000, 0x81); // [[[[...
    const huge = Buffer.from('9bffffffffffffffff', 'hex'); // array of 2^64-1 items
    const badUtf8 = Buffer.from('a1637878787fff', 'hex');
    for (const cbor of [nested, huge, badUtf8, Buffer.from('ff', 'hex'), Buffer.alloc(0)]) {
      expect(() => decodeManifest(cbor)).toThrow(FormatError);
      const payload = Buffer.alloc(8);
      payload.writeUInt32LE(TAG_MANIFEST, 0);
      payload.writeUInt32LE(1, 4);
      const out = read(Buffer.concat([skippable(SKIPPABLE_MAGIC, Buffer.concat([payload, cbor])), items.length > 1 ? good.subarray(items[1].offset) : Buffer.alloc(0)]));
      expect(out.kinds[0]).toBe('bad_manifest');
      expect(out.records).toBe(6);
    }
  });

  it('random bytes after a valid manifest never crash, hang or grow the buffer', () => {
    let tried = 0;
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (tail) => {
      tried++;
      read(Buffer.concat([manifest, tail]));
    }), { numRuns: 500 });
    expect(tried).toBe(500);
  });

  it('truncation of a valid file at every offset, and random splices of its pieces, never crash', () => {
    for (let cut = 0; cut <= good.length; cut++) read(good.subarray(0, cut));
    const pieces = items.map((i) => good.subarray(i.offset, i.offset + i.length));
    fc.assert(fc.property(fc.array(fc.nat(pieces.length - 1), { maxLength: 20 }), (order) => {
      read(Buffer.concat([manifest, ...order.map((i) => pieces[i])]));
    }), { numRuns: 300 });
  });
});
