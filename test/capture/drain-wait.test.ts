/**
 * How long the drain worker trusts the kernel to wake it: never longer than
 * the ring takes to fill at the peak rate, so a missed wake-up costs latency
 * and not records. (The worker's behaviour on a real ring is in the capture
 * tests: evidence.test.ts, kernel-smoke.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { fallbackWaitMs } from '../../src/capture/ringbuf.js';

const PEAK_BYTES_PER_MS = 780_000; // the fastest ring fill measured on this machine (openat loop, 624-byte file_open records)

describe('fallbackWaitMs', () => {
  it('waits less than the ring takes to fill at the peak rate, for every ring size rg-capture accepts', () => {
    for (let bytes = 1 << 16; bytes <= 1 << 30; bytes *= 2) {
      const wait = fallbackWaitMs(bytes);
      expect(wait, `${bytes}-byte ring`).toBeGreaterThanOrEqual(2);
      if (bytes / PEAK_BYTES_PER_MS >= 2) expect(wait, `${bytes}-byte ring`).toBeLessThan(bytes / PEAK_BYTES_PER_MS);
    }
  });

  it('is 10 ms for the default 8 MiB ring and at most 25 ms for larger ones (stop and live output wait for it)', () => {
    expect(fallbackWaitMs(8 << 20)).toBe(10);
    expect(fallbackWaitMs(1 << 30)).toBe(25);
    expect(fallbackWaitMs(1 << 20)).toBe(2);
  });
});
