import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Damage } from '../../src/rgc/damage.js';
import { FormatError } from '../../src/rgc/errors.js';
import { forEachRecord, RgcReader } from '../../src/rgc/reader.js';
import { allKindsRecords } from '../support/fixture-set.js';
import { listItems } from '../support/frames.js';
import { writeSynthetic } from '../support/synthetic.js';

interface Outcome { records: string[]; damage: Damage[]; complete: boolean; formatError: string | null }

function read(bytes: Uint8Array): Outcome {
  const records: string[] = [];
  const damage: Damage[] = [];
  const reader = new RgcReader({
    frame(_h, raw) { forEachRecord(raw, (o, n) => records.push(Buffer.from(raw.subarray(o, o + n)).toString('hex'))); },
    damage(d) { damage.push(d); },
  });
  try {
    reader.push(bytes);
    return { records, damage, complete: reader.finish().complete, formatError: null };
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return { records, damage, complete: false, formatError: e.problem };
  }
}

// Six frames of a few records each, a stats record in the middle, an end record.
const records = allKindsRecords();
const file = writeSynthetic({ records, frameBreaks: [2, 5, 8, 11, 14], statsAfter: [8] });
const items = listItems(file);
const frames = items.filter((i) => i.kind === 'frame');
const data = items.filter((i) => i.kind === 'data');
const all = read(file);
const perFrame = [3, 3, 3, 3, 3, records.length - 15];

describe('damaged captures', () => {
  it('the intact file reads completely', () => {
    expect(all.records.length).toBe(records.length);
    expect(all.damage).toEqual([]);
    expect(all.complete).toBe(true);
    expect(frames.length).toBe(6);
  });

  it('truncated at any offset: exactly the records of the frames before the cut, and the cut reported', () => {
    const manifestEnd = items[0].length;
    for (let cut = 0; cut < file.length; cut++) {
      const out = read(file.subarray(0, cut));
      if (cut < manifestEnd) {
        expect(out.formatError, `cut at ${cut}`).not.toBeNull();
        continue;
      }
      const whole = data.filter((d) => d.offset + d.length <= cut).length;
      const expected = perFrame.slice(0, whole).reduce((a, b) => a + b, 0);
      expect(out.records, `cut at ${cut}`).toEqual(all.records.slice(0, expected));
      expect(out.complete).toBe(false);
      const endsOnBoundary = items.some((i) => i.offset === cut);
      if (!endsOnBoundary) expect(out.damage.map((d) => d.kind), `cut at ${cut}`).toContain('truncated');
    }
    // One full read per byte of a ~9 KB file (schema 2 records are larger): quadratic, ~40-80 s on a busy 2-core machine.
  }, 180_000);

  it('a corrupted data frame is skipped and reported with its sequence number and record count; the rest replays', () => {
    const bad = Uint8Array.from(file);
    bad[data[2].offset + Math.floor(data[2].length / 2)] ^= 0x40;
    const out = read(bad);
    const expected = [...all.records.slice(0, 6), ...all.records.slice(9)];
    expect(out.records).toEqual(expected);
    expect(out.damage).toMatchObject([{ kind: 'bad_data_frame', seq: 2, recordsLost: 3, offset: frames[2].offset }]);
    expect(out.complete).toBe(true);
  });

  it('a corrupted frame header is caught by its check; the reader resynchronises on the next frame', () => {
    const bad = Uint8Array.from(file);
    bad[frames[1].offset + 8 + 20] ^= 0x01; // compressed_size
    const out = read(bad);
    expect(out.records).toEqual([...all.records.slice(0, 3), ...all.records.slice(6)]);
    expect(out.damage.map((d) => d.kind)).toEqual(['bad_frame_header', 'garbage', 'frame_gap']);
  });

  it('a missing frame is reported as a gap', () => {
    const cut = Buffer.concat([file.subarray(0, frames[3].offset), file.subarray(data[3].offset + data[3].length)]);
    const out = read(cut);
    expect(out.records.length).toBe(records.length - 3);
    expect(out.damage.map((d) => [d.kind, d.seq])).toEqual([['frame_gap', 3]]);
    expect(out.damage[0].detail).toMatch(/1 frame\(s\) missing: 3\.\.3/);
  });

  it('a duplicated frame is reported and not replayed twice', () => {
    const frame1 = file.subarray(frames[1].offset, data[1].offset + data[1].length);
    const dup = Buffer.concat([file.subarray(0, frames[2].offset), frame1, file.subarray(frames[2].offset)]);
    const out = read(dup);
    expect(out.records).toEqual(all.records);
    expect(out.damage.map((d) => [d.kind, d.seq])).toEqual([['duplicate_frame', 1]]);
  });

  it('a frame moved later in the file is reported as reordered and its records replayed, not dropped', () => {
    const frame1 = file.subarray(frames[1].offset, data[1].offset + data[1].length);
    const moved = Buffer.concat([file.subarray(0, frames[1].offset), file.subarray(frames[2].offset, frames[4].offset), frame1, file.subarray(frames[4].offset)]);
    const out = read(moved);
    expect([...out.records].sort()).toEqual([...all.records].sort());
    expect(out.records.slice(0, perFrame[0])).toEqual(all.records.slice(0, perFrame[0]));
    expect(out.damage.map((d) => [d.kind, d.seq])).toEqual([['frame_gap', 1], ['reordered_frame', 1]]);
    expect(out.damage[1].detail).toMatch(/frame 1 after frame 3: out of order, replayed here/);
  });

  it('bytes appended after the end record are reported', () => {
    const out = read(Buffer.concat([file, Buffer.from('trailing junk')]));
    expect(out.records).toEqual(all.records);
    expect(out.damage.map((d) => d.kind)).toEqual(['after_end']);
  });

  it('random bit flips never crash the reader, and every record it emits is a record that was written', () => {
    const written = new Set(all.records);
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }), (flips) => {
      const bad = Uint8Array.from(file);
      for (const [at, bit] of flips) bad[at] ^= 1 << bit;
      const out = read(bad);
      // A flip can change a record only inside a frame whose checksum then fails, so nothing altered gets through.
      for (const r of out.records) expect(written.has(r)).toBe(true);
    }), { numRuns: 300 });
  });
});
