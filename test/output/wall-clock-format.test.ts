/**
 * WallClock.format (--stats, tree, process start times) agrees with the
 * per-event fast path (put), also for times before the epoch: a zero or
 * hostile clock put such times in `1970-01-01T00:00:00.-499999999Z`.
 */
import { describe, expect, it } from 'vitest';
import { WallClock } from '../../src/output/wall-clock.js';

describe('WallClock.format', () => {
  it('floors times before the epoch to the second before and a positive fraction', () => {
    // Realtime 0 read at monotonic 1 s: monotonic 0.5 s is half a second before the epoch.
    const clock = new WallClock(0n, 1_000_000_000n);
    expect(clock.format(500_000_001n)).toBe('1969-12-31T23:59:59.500000001Z');
    expect(clock.format(600_000_000n)).toBe('1969-12-31T23:59:59.600000000Z');
    expect(clock.format(0n)).toBe('1969-12-31T23:59:59.000000000Z');
    expect(clock.format(1_000_000_000n)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(clock.format(1_000_000_001n)).toBe('1970-01-01T00:00:00.000000001Z');
  });

  it('agrees with putIso (the per-event text path) on both sides of the epoch', () => {
    const clock = new WallClock(0n, 1_000_000_000n);
    const out = new Uint8Array(64);
    const view = new DataView(out.buffer);
    const rec = new DataView(new ArrayBuffer(8));
    for (const t of [0n, 1n, 499_999_999n, 500_000_001n, 999_999_999n, 1_000_000_000n, 2_500_000_000n]) {
      rec.setBigUint64(0, t, true);
      const end = clock.putIso(out, view, 0, rec, 0);
      expect(clock.format(t)).toBe(Buffer.from(out.subarray(0, end)).toString());
    }
  });
});
