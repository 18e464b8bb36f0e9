/**
 * The bounded structures a big capture goes through: the row pool keeps the
 * rows with the smallest keys that fit its budget (whatever the order they
 * come in), and the timeline's bins count every event once at any span.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonLength, positionHash, rowKey, RowPool, TIER_EVIDENCE, TIER_NOTABLE, TIER_ROUTINE, tierOf } from '../../src/report/event-rows.js';
import { DISPLAY_BINS, HistogramBuilder } from '../../src/report/histogram.js';

const row = (tier: number, order: number, a = `path-${order}`) => ({ key: rowKey(tier, order), order, t: order * 10, k: 0, p: 0, c: 'comm', a, b: '' });

describe('row pool', () => {
  it('keeps the rows with the smallest keys, by tier first, in time order', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(TIER_EVIDENCE, TIER_NOTABLE, TIER_ROUTINE), fc.nat(1000)), { maxLength: 300 }), fc.integer({ min: 1, max: 60 }), (offers, maxRows) => {
      const pool = new RowPool({ maxRows, maxBytes: 1 << 30 });
      const rows = offers.map(([tier], order) => row(tier, order));
      for (const r of rows) pool.offer(r);
      const expected = [...rows].sort((x, y) => x.key - y.key).slice(0, maxRows).sort((x, y) => x.t - y.t).map((r) => r.order);
      expect(pool.rows().map((r) => r.order)).toEqual(expected);
      expect(pool.dropped.reduce((a, b) => a + b, 0)).toBe(Math.max(0, rows.length - maxRows));
    }), { numRuns: 200 });
  });

  it('counts each distinct string once against its byte budget, and gives the bytes back on eviction', () => {
    const pool = new RowPool({ maxRows: 1000, maxBytes: 1 << 30 });
    for (let i = 0; i < 100; i++) pool.offer(row(TIER_ROUTINE, i, 'same'));
    const oneString = pool.bytes() - 100 * 30;
    expect(oneString).toBe(jsonLength('same') + jsonLength('comm') + jsonLength(''));
    pool.trimTo(10 * 30 + oneString);
    expect(pool.size).toBe(10);
    pool.trimTo(0);
    expect(pool.size).toBe(0);
    expect(pool.bytes()).toBe(0);
  });

  it('stays within its byte budget with distinct long strings', () => {
    const pool = new RowPool({ maxRows: 10_000, maxBytes: 50_000 });
    for (let i = 0; i < 5000; i++) pool.offer(row(TIER_ROUTINE, i, `/${'x'.repeat(200)}/${i}`));
    expect(pool.bytes()).toBeLessThanOrEqual(50_000);
    expect(pool.size).toBeGreaterThan(150);
    expect(pool.size).toBeLessThan(300);
  });

  it('counts escapes at their JSON size', () => {
    expect(jsonLength('abc')).toBe(6);
    expect(jsonLength('<')).toBe(9);
    expect(jsonLength('\udc80')).toBe(9);
  });

  it('hashes positions uniformly enough that a sample is not every k-th event', () => {
    const kept = new Set<number>();
    for (let i = 0; i < 10_000; i++) if (positionHash(i) < 2 ** 32 / 10) kept.add(i % 10);
    expect(kept.size).toBe(10);
    expect(tierOf(rowKey(TIER_NOTABLE, 7))).toBe(TIER_NOTABLE);
  });
});

describe('timeline histogram', () => {
  it('counts every event once, in at most DISPLAY_BINS bins, whatever the span', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.double({ min: -1e12, max: 1e15, noNaN: true }), fc.nat(2)), { minLength: 1, maxLength: 3000 }), (events) => {
      const h = new HistogramBuilder(3);
      for (const [t, k] of events) h.add(Math.round(t), k);
      const out = h.finish();
      for (let k = 0; k < 3; k++) expect(out.series[k].reduce((a, b) => a + b, 0)).toBe(events.filter((e) => e[1] === k).length);
      expect(out.series[0].length).toBeLessThanOrEqual(DISPLAY_BINS);
      const first = Math.min(...events.map(([t]) => Math.round(t)));
      const last = Math.max(...events.map(([t]) => Math.round(t)));
      expect(out.start_ns).toBeLessThanOrEqual(first);
      expect(out.start_ns + out.bin_ns * out.series[0].length).toBeGreaterThan(last);
    }), { numRuns: 100 });
  });
});
