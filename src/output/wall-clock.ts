/**
 * Monotonic ns -> ISO-8601 wall-clock text, from the realtime/monotonic pair
 * the capture took at start. The date-and-seconds part is cached because
 * consecutive events nearly always share it.
 */
import { type PackedBytes, putPacked } from './byte-output.js';
import { put8, put9, putU64At, putUint } from './json-bytes.js';

export class WallClock {
  /** realtime - monotonic, split into whole seconds and ns (0 <= ns < 1e9). */
  private readonly offsetSec: number;
  private readonly offsetNs: number;
  private cachedSec = Number.NaN;
  /** `YYYY-MM-DDTHH:MM:SS.` of `cachedSec`, as little-endian words. */
  private readonly cachedWords = new Int32Array(5);
  /** The monotonic second putMonotonicAndWall printed last, its start in ns, its digits as two little-endian words, and how many (0 for second 0). */
  private monoSec = 0;
  private monoStart = Number.NEGATIVE_INFINITY;
  private monoWord0 = 0;
  private monoWord1 = 0;
  private monoDigits = 0;
  /** `YYYY-MM-DDTHH:MM:SS` of `formattedSec`, for format(). */
  private formattedSec = Number.NaN;
  private formattedText = '';

  constructor(realtimeNs: bigint, monotonicNs: bigint) {
    const offset = realtimeNs - monotonicNs;
    let sec = offset / 1_000_000_000n;
    let ns = offset % 1_000_000_000n;
    if (ns < 0n) { ns += 1_000_000_000n; sec -= 1n; }
    this.offsetSec = Number(sec);
    this.offsetNs = Number(ns);
  }

  /**
   * Writes `"YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"` at `p` of `b` (`view` is over all
   * of `b`) for the u64 monotonic time at `at` in `record`; returns the position
   * after the closing quote. Reads the time itself rather than taking its u32
   * halves: a call V8 does not inline boxes a number >= 2^30 into a fresh heap
   * number, and this was the last allocation per event (--json on 1M events:
   * 17 -> 11 scavenges, the same as --stats).
   */
  put(b: Uint8Array, view: DataView, p: number, record: DataView, at: number): number {
    b[p] = 34;
    p = this.putIso(b, view, p + 1, record, at);
    b[p] = 34;
    return p + 1;
  }

  /**
   * Writes the u64 monotonic time at `at` in `record` as its decimal digits,
   * then `between` (the NDJSON key of the wall-clock time), then the time as
   * `put` does; returns the position after it: the same bytes as putU64At,
   * putPacked and put in a row. Events come in time order, so the monotonic
   * second is nearly always the last event's: its digits and where it starts
   * are kept, the ns are a subtraction from that start (no division), and both
   * ns texts are int32 digit work. Micro-benchmark, 1M times of the work
   * capture's spacing: 33 ns for the three calls, 23 ns for this.
   */
  putMonotonicAndWall(b: Uint8Array, view: DataView, p: number, record: DataView, at: number, between: PackedBytes): number {
    const lo = record.getUint32(at, true);
    const hi = record.getUint32(at + 4, true);
    // From 2^53 ns (104 days of uptime) on, the exact path through BigInt.
    if (hi >= 0x200000) return this.put(b, view, putPacked(view, putU64At(view, p, record, at), between), record, at);
    const t = hi * 4294967296 + lo;
    let d = t - this.monoStart;
    if (!(d >= 0 && d < 1e9)) d = t - this.cacheMonoSecond(t);
    const ns = d | 0;
    if (this.monoDigits === 0) {
      p = putUint(view, p, ns);
    } else {
      // Up to 7 digits (sec < 2^53 / 10^9): what the second word stores past them, the ns digits overwrite.
      view.setInt32(p, this.monoWord0, true);
      view.setInt32(p + 4, this.monoWord1, true);
      p = put9(view, p + this.monoDigits, ns);
    }
    p = putPacked(view, p, between);
    // The carry without a branch: a branch first taken after V8 optimised this function deoptimised it.
    const sum = ns + this.offsetNs;
    const carry = (999999999 - sum) >>> 31;
    const wallNs = sum - carry * 1000000000;
    const wallSec = this.monoSec + this.offsetSec + carry;
    if (wallSec !== this.cachedSec) this.cacheSecond(wallSec);
    b[p] = 34;
    const w = this.cachedWords;
    view.setInt32(p + 1, w[0], true);
    view.setInt32(p + 5, w[1], true);
    view.setInt32(p + 9, w[2], true);
    view.setInt32(p + 13, w[3], true);
    view.setInt32(p + 17, w[4], true);
    p = put9(view, p + 21, wallNs);
    // `Z"`
    view.setInt16(p, 0x225a, true);
    return p + 2;
  }

  /** Keeps the second of monotonic time `t` (its start, digits) for putMonotonicAndWall; returns its start. */
  private cacheMonoSecond(t: number): number {
    let sec = Math.floor(t / 1e9);
    // t / 1e9 may round up to the next integer just below it.
    if (sec * 1e9 > t) sec--;
    const text = sec === 0 ? '' : String(sec);
    const word = (from: number) => {
      let w = 0;
      for (let i = 0; i < 4 && from + i < text.length; i++) w |= text.charCodeAt(from + i) << (8 * i);
      return w;
    };
    this.monoWord0 = word(0);
    this.monoWord1 = word(4);
    this.monoDigits = text.length;
    this.monoSec = sec;
    this.monoStart = sec * 1e9;
    return this.monoStart;
  }

  /** Writes `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` without quotes (text output); see `put`. */
  putIso(b: Uint8Array, view: DataView, p: number, record: DataView, at: number): number {
    const lo = record.getUint32(at, true);
    const hi = record.getUint32(at + 4, true);
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
    // The cached 20-byte `YYYY-MM-DDTHH:MM:SS.` as five word stores.
    const w = this.cachedWords;
    view.setInt32(p, w[0], true);
    view.setInt32(p + 4, w[1], true);
    view.setInt32(p + 8, w[2], true);
    view.setInt32(p + 12, w[3], true);
    view.setInt32(p + 16, w[4], true);
    // ns < 10^9: the first of nine digits, then eight.
    const first = Math.floor(ns / 1e8);
    b[p + 20] = 48 + first;
    p = put8(view, p + 21, ns - first * 1e8);
    b[p] = 90;
    return p + 1;
  }

  /**
   * The ISO text for a monotonic time, for slower paths (text output, stats,
   * process start times in the NDJSON context). The date part of the last
   * second is kept: process contexts are rendered for every new process, and
   * Date's toISOString per call was ~1 µs of each (90 ms of a 1M-event
   * synthetic replay with 100k processes).
   */
  format(monotonicNs: bigint): string {
    const total = monotonicNs + BigInt(this.offsetSec) * 1_000_000_000n + BigInt(this.offsetNs);
    // Floored: a time before the epoch (a hostile or zero clock) is the second before it plus a positive fraction,
    // as --json's own path writes it (BigInt division truncates toward zero: `00:00:00.-499999999`).
    let whole = total / 1_000_000_000n;
    let ns = total % 1_000_000_000n;
    if (ns < 0n) {
      whole -= 1n;
      ns += 1_000_000_000n;
    }
    const sec = Number(whole);
    if (sec !== this.formattedSec) {
      this.formattedSec = sec;
      this.formattedText = isoSeconds(sec);
    }
    return `${this.formattedText}.${ns.toString().padStart(9, '0')}Z`;
  }

  /** Realtime ns for a monotonic time. */
  realtimeNs(monotonicNs: bigint): bigint {
    return monotonicNs + BigInt(this.offsetSec) * 1_000_000_000n + BigInt(this.offsetNs);
  }

  private cacheSecond(sec: number): void {
    const text = `${isoSeconds(sec)}.`;
    const w = this.cachedWords;
    for (let i = 0; i < 5; i++) {
      const c = (k: number) => text.charCodeAt(4 * i + k);
      w[i] = c(0) | (c(1) << 8) | (c(2) << 16) | (c(3) << 24);
    }
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

/**
 * Runs putMonotonicAndWall over made-up times that cross seconds, into `out`
 * (scratch). Why: the first new second of a replay came after V8 had
 * optimised the method, and its two cache calls, never run, had no type
 * feedback: two deopts and two more TurboFan compiles on the replay's CPU
 * (work capture, pinned). The method gets its feedback store only after
 * a few calls, hence the rounds.
 */
export function warmUpWallClock(out: Uint8Array, ov: DataView, between: PackedBytes): void {
  const clock = new WallClock(1_700_000_000_000_000_000n, 1_000_000_000_000n);
  const record = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 24; i++) {
    record.setBigUint64(0, 1_000_000_000_000n + BigInt(i) * 400_000_000n, true);
    clock.putMonotonicAndWall(out, ov, 0, record, 0, between);
  }
}
