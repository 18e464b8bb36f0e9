import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { decodeRecord } from '../../src/abi/decode.js';
import { encodeRecord } from '../../src/abi/encode.js';
import { forEachRecord, RgcReader } from '../../src/rgc/reader.js';
import { arbitraryRecord } from '../support/arbitrary.js';
import { writeSynthetic } from '../support/synthetic.js';

/** Reads a capture pushed in the given chunks; returns its records (copied) and the summary. */
function readAll(bytes: Uint8Array, cuts: number[] = []) {
  const records: Uint8Array[] = [];
  const reader = new RgcReader({
    frame(_h, raw) {
      const problem = forEachRecord(raw, (o, n) => records.push(raw.slice(o, o + n)));
      expect(problem).toBeNull();
    },
  });
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let last = 0;
  for (const p of [...points, bytes.length]) {
    reader.push(bytes.subarray(last, p));
    last = p;
  }
  return { records, summary: reader.finish() };
}

describe('capture round trip', () => {
  it('any events encode, write, read and decode back to themselves', () => {
    fc.assert(fc.property(fc.array(arbitraryRecord(), { maxLength: 40 }), fc.integer({ min: 256, max: 4096 }), (events, frameBytes) => {
      const encoded = events.map((e) => encodeRecord(e.kind.id, e.fields));
      const file = writeSynthetic({ records: encoded, writer: { targetFrameBytes: frameBytes } });
      const { records, summary } = readAll(file);
      expect(summary.complete).toBe(true);
      expect(summary.damaged).toBe(false);
      expect(records.length).toBe(events.length);
      records.forEach((bytes, i) => {
        const kind = classifyRecord(bytes, 0, bytes.length);
        expect(kind).toBe(events[i].kind.id);
        const { fields } = decodeRecord(bytes, 0, kind);
        for (const [name, value] of Object.entries(events[i].fields)) {
          const got = fields[name];
          if (value instanceof Uint8Array) {
            expect(Array.from((got as Uint8Array).subarray(0, value.length))).toEqual(Array.from(value));
            expect((got as Uint8Array).subarray(value.length).every((b) => b === 0)).toBe(true);
          } else {
            expect(typeof got === 'bigint' ? got : Number(got)).toEqual(typeof got === 'bigint' ? BigInt(value as bigint) : value);
          }
        }
      });
    }), { numRuns: 60 });
  });

  it('splitting the input at any points gives identical records', () => {
    const events = fc.sample(arbitraryRecord(), { numRuns: 50, seed: 7 });
    const file = writeSynthetic({ records: events.map((e) => encodeRecord(e.kind.id, e.fields)), writer: { targetFrameBytes: 2048 }, statsAfter: [10, 30] });
    const whole = readAll(file);
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 30 }), (cuts) => {
      const split = readAll(file, cuts);
      expect(split.summary).toEqual(whole.summary);
      expect(split.records).toEqual(whole.records);
    }), { numRuns: 200 });
    // Byte-at-a-time is the extreme split.
    expect(readAll(file, Array.from({ length: file.length }, (_, i) => i)).records).toEqual(whole.records);
  });

  it('is a valid zstd stream: `zstd -dc` yields exactly the length-prefixed records', () => {
    const events = fc.sample(arbitraryRecord(), { numRuns: 30, seed: 3 });
    const encoded = events.map((e) => encodeRecord(e.kind.id, e.fields));
    const file = writeSynthetic({ records: encoded, writer: { targetFrameBytes: 1024 }, statsAfter: [5] });
    const plain = execFileSync('zstd', ['-dc'], { input: file });
    const expected = Buffer.concat(encoded.flatMap((r) => {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(r.length);
      return [len, Buffer.from(r)];
    }));
    expect(plain.equals(expected)).toBe(true);
  });
});
