/**
 * A frame held compacted (merges of many inputs) expands back, window by
 * window, to exactly the frame's records, and says where a bad length stopped
 * the walk as the record cursor does; a frame it cannot encode word by word
 * is refused, not altered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordCursor } from '../../src/rgc/reader.js';
import { CompactFrame } from '../../src/replay/compact-frame.js';

/** A frame in the format's layout: each record after its u32 little-endian length. */
function frameOf(records: Uint8Array[], tail: Uint8Array = new Uint8Array(0)): Uint8Array {
  const size = records.reduce((n, r) => n + 4 + r.length, 0) + tail.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const r of records) {
    view.setUint32(at, r.length, true);
    out.set(r, at + 4);
    at += 4 + r.length;
  }
  out.set(tail, at);
  return out;
}

/** Every window's bytes, in order, until the frame is expanded. */
function expandAll(c: CompactFrame): Uint8Array {
  const parts: Uint8Array[] = [];
  while (c.more) {
    const filled = c.expand();
    expect(filled).toBeGreaterThan(0);
    parts.push(c.window.slice(0, filled));
  }
  return Buffer.concat(parts);
}

/** Records of whole words, mostly zeros with runs of bytes, as fixed string buffers make them. */
const record = fc.array(fc.oneof(
  fc.integer({ min: 1, max: 40 }).map((n) => new Uint8Array(4 * n)),
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Uint8Array.from({ length: Math.ceil(b.length / 4) * 4 }, (_, i) => b[i] ?? 0)),
  fc.uint8Array({ minLength: 4, maxLength: 4 }),
), { maxLength: 30 }).map((parts) => Buffer.concat(parts));

describe('compacted frames', () => {
  it('expand to the frame\'s records byte for byte, in windows of whole records', () => {
    // One for every frame, as an input keeps one for all its frames: a window reused must not show the last frame's bytes.
    const c = new CompactFrame();
    fc.assert(fc.property(fc.array(record, { maxLength: 60 }), (records) => {
      const frame = frameOf(records);
      expect(c.encode(frame)).toBe(true);
      expect(c.problem).toBeNull();
      expect(Buffer.from(expandAll(c)).equals(Buffer.from(frame))).toBe(true);
    }), { numRuns: 300 });
  });

  it('hold a record larger than the window, and the frame\'s buffer can change once encoded', () => {
    const big = Uint8Array.from({ length: 40_000 }, (_, i) => (i % 1000 < 10 ? i & 0xff : 0));
    const small = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);
    const frame = frameOf([small, big, small]);
    const copy = frame.slice();
    const c = new CompactFrame();
    expect(c.encode(frame)).toBe(true);
    frame.fill(0xee);
    expect(Buffer.from(expandAll(c)).equals(Buffer.from(copy))).toBe(true);
  });

  it('stop where the record cursor stops on a bad length, keeping the records before it', () => {
    const good = [Uint8Array.of(7, 0, 0, 0, 0, 0, 0, 9)];
    // A length running past the frame, then a prefix cut short.
    for (const tail of [Uint8Array.of(0xff, 0, 0, 0, 1, 2, 3, 4), Uint8Array.of(8, 0)]) {
      const frame = frameOf(good, tail);
      const cursor = new RecordCursor();
      cursor.reset(frame);
      while (cursor.next());
      const c = new CompactFrame();
      expect(c.encode(frame)).toBe(true);
      expect(c.problem).toBe(cursor.problem);
      expect(c.problem).not.toBeNull();
      expect(Buffer.from(expandAll(c)).equals(Buffer.from(frameOf(good)))).toBe(true);
    }
  });

  it('refuse a frame with a record that is not whole words', () => {
    const c = new CompactFrame();
    expect(c.encode(frameOf([Uint8Array.of(1, 2, 3, 4), Uint8Array.of(1, 2, 3, 4, 5, 6)]))).toBe(false);
    expect(c.encode(frameOf([Uint8Array.of(1, 2, 3)]))).toBe(false);
    // The caller keeps such a frame as it is; the next one compacts again.
    expect(c.encode(frameOf([Uint8Array.of(5, 0, 0, 0)]))).toBe(true);
    expect([...expandAll(c)]).toEqual([4, 0, 0, 0, 5, 0, 0, 0]);
  });
});
