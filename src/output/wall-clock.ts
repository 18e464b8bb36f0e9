/**
 * Monotonic ns -> ISO-8601 wall-clock text, from the realtime/monotonic pair
 * the capture took at start. The date-and-seconds part is cached because
 * consecutive events nearly always share it.
 */
import { type ByteOutput } from './byte-output.js';

export class WallClock {
  /** realtime - monotonic, split into whole seconds and ns (0 <= ns < 1e9). */
  private readonly offsetSec: number;
  private readonly offsetNs: number;
  private cachedSec = Number.NaN;
  private cachedPrefix = new Uint8Array(20);

  constructor(realtimeNs: bigint, monotonicNs: bigint) {
    const offset = realtimeNs - monotonicNs;
    let sec = offset / 1_000_000_000n;
    let ns = offset % 1_000_000_000n;
    if (ns < 0n) { ns += 1_000_000_000n; sec -= 1n; }
    this.offsetSec = Number(sec);
    this.offsetNs = Number(ns);
  }

  /** Writes `"YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"` for the monotonic time lo/hi (u32 halves). */
  write(out: ByteOutput, lo: number, hi: number): void {
    let sec: number;
    let ns: number;
    if (hi < 0x200000) {
      const t = hi * 4294967296 + lo;
      sec = Math.floor(t / 1e9);
      ns = t - sec * 1e9;
      if (ns < 0) { sec--; ns += 1e9; } else if (ns >= 1e9) { sec++; ns -= 1e9; }
    } else {
      const t = (BigInt(hi) << 32n) | BigInt(lo);
      sec = Number(t / 1_000_000_000n);
      ns = Number(t % 1_000_000_000n);
    }
    sec += this.offsetSec;
    ns += this.offsetNs;
    if (ns >= 1e9) { sec++; ns -= 1e9; }
    if (sec !== this.cachedSec) this.cacheSecond(sec);
    const b = out.buf;
    let p = out.pos;
    b[p++] = 34;
    b.set(this.cachedPrefix, p);
    p += 20;
    for (let i = 8; i >= 0; i--) {
      const q = Math.floor(ns / 10);
      b[p + i] = 48 + (ns - q * 10);
      ns = q;
    }
    p += 9;
    b[p++] = 90;
    b[p++] = 34;
    out.pos = p;
  }

  /** The ISO text for a monotonic time, for slow paths (text output, stats). */
  format(monotonicNs: bigint): string {
    const total = monotonicNs + BigInt(this.offsetSec) * 1_000_000_000n + BigInt(this.offsetNs);
    const sec = total / 1_000_000_000n;
    const ns = total % 1_000_000_000n;
    return `${isoSeconds(Number(sec))}.${ns.toString().padStart(9, '0')}Z`;
  }

  /** Realtime ns for a monotonic time. */
  realtimeNs(monotonicNs: bigint): bigint {
    return monotonicNs + BigInt(this.offsetSec) * 1_000_000_000n + BigInt(this.offsetNs);
  }

  private cacheSecond(sec: number): void {
    const text = `${isoSeconds(sec)}.`;
    for (let i = 0; i < 20; i++) this.cachedPrefix[i] = text.charCodeAt(i);
    this.cachedSec = sec;
  }
}

/** `YYYY-MM-DDTHH:MM:SS` (UTC) for whole seconds; years outside 0..9999 are clamped by Date's range. */
function isoSeconds(sec: number): string {
  const d = new Date(sec * 1000);
  if (Number.isNaN(d.getTime())) return '0000-00-00T00:00:00';
  const iso = d.toISOString();
  // toISOString gives +YYYYYY for years beyond 9999; keep the fixed-width form the cache expects.
  return iso.length === 24 ? iso.slice(0, 19) : '9999-12-31T23:59:59';
}
