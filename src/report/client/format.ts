/** Times and numbers as the page shows them. Relative ns + the report's wall-clock base, exact via BigInt. */
import { type ReportData } from '../model.js';

export class TimeFormat {
  private readonly base: bigint | null;
  constructor(private readonly time: ReportData['time']) {
    this.base = time.base_wall_ns === null ? null : BigInt(time.base_wall_ns);
  }

  /**
   * `2026-11-25T08:21:32.404365670Z` (wall clock), or `+1.234567890 s` when the capture had no clock. `exact`:
   * the same relative time as a decimal, where the data gives one (a time a double cannot hold).
   */
  iso(rel: number, exact?: string): string {
    if (this.base === null || !this.time.wall) return `+${seconds(rel - this.time.first_ns)} s`;
    const total = this.base + (exact !== undefined ? BigInt(exact) : BigInt(Math.round(rel)));
    const sec = total / 1_000_000_000n;
    const ns = total % 1_000_000_000n;
    const d = new Date(Number(sec) * 1000);
    const day = Number.isNaN(d.getTime()) ? '0000-00-00T00:00:00' : d.toISOString().slice(0, 19);
    return `${day}.${ns.toString().padStart(9, '0')}Z`;
  }

  /** `08:21:32.404365670` (UTC time of day) for table cells. */
  clock(rel: number, exact?: string): string {
    const iso = this.iso(rel, exact);
    return iso.startsWith('+') ? iso : iso.slice(11, 29);
  }

  /** Offset from the first event: `+0.012345 s`. */
  offset(rel: number): string {
    return `+${seconds(rel - this.time.first_ns)} s`;
  }
}

function seconds(ns: number): string {
  return (ns / 1e9).toFixed(ns < 1e10 ? 6 : 3);
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function duration(ns: number): string {
  if (ns < 1e3) return `${ns} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns < 60e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns < 3600e9) return `${(ns / 60e9).toFixed(1)} min`;
  return `${(ns / 3600e9).toFixed(1)} h`;
}
