import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '../../src/abi/dispatch.js';
import { encodeRecord } from '../../src/abi/encode.js';
import { EventKind } from '../../src/abi/constants.js';
import { ByteOutput, byteOutputSize } from '../../src/output/byte-output.js';
import { putCString, putStringBytes } from '../../src/output/json-bytes.js';
import { NdjsonEncoder } from '../../src/output/ndjson.js';
import { FRAME_REGION_BYTES, plainAsciiArena, type PlainAsciiArena } from '../../src/output/plain-ascii.js';
import { FrameCompressor, FrameDecompressor } from '../../src/rgc/zstd.js';
import { MAX_FRAME_RAW_BYTES } from '../../src/rgc/format.js';
import { arbitraryRecord } from '../support/arbitrary.js';

const arena = plainAsciiArena();

/** Runs `f` with both regions lent, giving them back after. */
function withRegions<T>(a: PlainAsciiArena, f: (output: Uint8Array, frames: Uint8Array) => T): T {
  const output = a.lendOutput(byteOutputSize(64 << 10));
  const frames = a.lendFrames();
  if (output === null || frames === null) throw new Error('arena regions already lent');
  try {
    return f(output, frames);
  } finally {
    a.release(output);
    a.release(frames);
  }
}

/** Mostly plain ASCII, with every kind of byte that must stop the plain run. */
const stringBytes = fc.array(fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.constantFrom(0x00, 0x01, 0x09, 0x0a, 0x1f, 0x22, 0x5c, 0x7f, 0x80, 0xa0, 0xc3, 0xe2, 0xff) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
), { maxLength: 300 });

describe('plain-ASCII arena (WebAssembly copy of plain string runs)', () => {
  it('is available on this Node (SIMD WebAssembly)', () => {
    expect(arena).not.toBeNull();
  });

  it('writes every string exactly as the JavaScript path does, wherever it starts and ends', () => {
    const a = arena!;
    withRegions(a, (output, frames) => {
      const jsOut = new Uint8Array(output.length);
      const ov = new DataView(output.buffer, output.byteOffset, output.byteLength);
      const jv = new DataView(jsOut.buffer);
      fc.assert(fc.property(stringBytes, fc.nat(64), fc.nat(400), fc.nat(40), fc.boolean(), (chars, srcStart, max, outStart, cString) => {
        // The string somewhere in the frame region, followed by plain bytes the copy must not take.
        const at = 7 + srcStart;
        frames.fill(0x41, at, at + chars.length + 64);
        frames.set(chars, at);
        const sv = new DataView(frames.buffer, frames.byteOffset, frames.byteLength);
        const end = at + Math.min(max, chars.length);
        const srcAt = a.addressOf(frames);
        const dstAt = a.addressOf(output);
        expect(srcAt).toBeGreaterThan(0);
        expect(dstAt).toBe(0);
        const p = cString ? putCString(output, ov, outStart, frames, sv, at, end - at, srcAt, dstAt) : putStringBytes(output, ov, outStart, frames, sv, at, end, srcAt, dstAt);
        const copy = frames.slice(at, end + 64);
        const cv = new DataView(copy.buffer);
        const q = cString ? putCString(jsOut, jv, outStart, copy, cv, 0, end - at, -1, -1) : putStringBytes(jsOut, jv, outStart, copy, cv, 0, end - at, -1, -1);
        expect(p).toBe(q);
        expect(Buffer.from(output.subarray(outStart, p)).toString('latin1')).toBe(Buffer.from(jsOut.subarray(outStart, q)).toString('latin1'));
      }), { numRuns: 3000 });
    });
  });

  it('prints every record as the encoder does outside the arena', () => {
    const a = arena!;
    withRegions(a, (output, frames) => {
      fc.assert(fc.property(fc.array(arbitraryRecord({ safeU64: true }), { minLength: 1, maxLength: 20 }), fc.nat(3), (records, skew) => {
        // Records back to back in the frame region, as a decompressed frame holds them.
        const encoded = records.map(({ kind, fields }) => encodeRecord(kind.id, fields));
        let at = skew;
        const offsets = encoded.map((r) => { frames.set(r, at); at += r.length; return at - r.length; });
        const inArena: Buffer[] = [];
        const outA = new ByteOutput((b) => inArena.push(Buffer.from(b)), 64 << 10, output);
        const encA = new NdjsonEncoder(null);
        const outside: Buffer[] = [];
        const outB = new ByteOutput((b) => outside.push(Buffer.from(b)), 64 << 10);
        const encB = new NdjsonEncoder(null);
        encoded.forEach((r, i) => {
          encA.writeEvent(outA, classifyRecord(r, 0, r.length), frames, offsets[i]);
          encB.writeEvent(outB, classifyRecord(r, 0, r.length), r, 0);
        });
        outA.flush();
        outB.flush();
        expect(Buffer.concat(inArena).toString('latin1')).toBe(Buffer.concat(outside).toString('latin1'));
      }), { numRuns: 300 });
    });
  });

  it('copies a path with WebAssembly and stops at its NUL, escapes and UTF-8', () => {
    const a = arena!;
    withRegions(a, (output, frames) => {
      const record = encodeRecord(EventKind.FileOpen, { path: Uint8Array.from([...Buffer.from('/usr/lib/x86_64-linux-gnu/libc.so.6 "q" \\ '), 0xc3, 0xa9, 0x0a, 0xff]) });
      frames.set(record, 5);
      const chunks: Buffer[] = [];
      const out = new ByteOutput((b) => chunks.push(Buffer.from(b)), 64 << 10, output);
      new NdjsonEncoder(null).writeEvent(out, classifyRecord(record, 0, record.length), frames, 5);
      out.flush();
      expect(Buffer.concat(chunks).toString('utf8')).toContain('"path":"/usr/lib/x86_64-linux-gnu/libc.so.6 \\"q\\" \\\\ é\\n\\udcff"');
    });
  });

  it('has room in its frame region for the largest frame a reader accepts', () => {
    expect(FRAME_REGION_BYTES).toBe(MAX_FRAME_RAW_BYTES + 1);
  });

  it('lends each region to one holder at a time', () => {
    const a = arena!;
    const output = a.lendOutput(1000);
    expect(output).not.toBeNull();
    expect(a.lendOutput(1000)).toBeNull();
    a.release(output!);
    expect(a.lendOutput(1000)).not.toBeNull();
    a.release(output!);
    const frames = a.lendFrames();
    expect(frames?.length).toBe(FRAME_REGION_BYTES);
    expect(a.lendFrames()).toBeNull();
    a.release(frames!);
    // A region too small for what is asked is not lent.
    expect(a.lendOutput(1 << 30)).toBeNull();
  });

  it('decompresses frames into the frame region when given it', () => {
    const a = arena!;
    const frames = a.lendFrames()!;
    try {
      const raw = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xff);
      const frame = new FrameCompressor(3, raw.length).compress(raw).slice();
      const result = new FrameDecompressor(MAX_FRAME_RAW_BYTES, frames).decompress(frame, raw.length);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(a.addressOf(result.raw)).toBe(a.addressOf(frames));
      expect(Buffer.compare(result.raw, raw)).toBe(0);
    } finally {
      a.release(frames);
    }
  });
});
