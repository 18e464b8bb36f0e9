/**
 * Events per kind over time, for the timeline, from every event (not only the
 * table's rows). The span is unknown until the end, so bins start at 1 µs and
 * double in width whenever there are more than MAX_FINE_BINS of them; at the
 * end they are merged into about DISPLAY_BINS bins. Memory: MAX_FINE_BINS
 * counters per kind, whatever the capture's length.
 */
import { type Histogram } from './model.js';

const MAX_FINE_BINS = 8192;
export const DISPLAY_BINS = 240;

export class HistogramBuilder {
  private width = 1000;
  /** Bin index -> counts per kind; indices relative to `origin`, which the first event sets. */
  private readonly bins = new Map<number, Float64Array>();
  private origin: number | null = null;

  constructor(private readonly kinds: number) {}

  add(t: number, kind: number): void {
    if (this.origin === null) this.origin = t;
    let index = Math.floor((t - this.origin) / this.width);
    let counts = this.bins.get(index);
    if (counts === undefined) {
      if (this.bins.size >= MAX_FINE_BINS) {
        this.coarsen();
        index = Math.floor((t - this.origin) / this.width);
        counts = this.bins.get(index);
      }
      if (counts === undefined) {
        counts = new Float64Array(this.kinds);
        this.bins.set(index, counts);
      }
    }
    counts[kind]++;
  }

  private coarsen(): void {
    const merged = new Map<number, Float64Array>();
    for (const [index, counts] of this.bins) {
      const to = Math.floor(index / 2);
      const target = merged.get(to);
      if (target === undefined) merged.set(to, counts);
      else for (let k = 0; k < counts.length; k++) target[k] += counts[k];
    }
    this.bins.clear();
    for (const [i, c] of merged) this.bins.set(i, c);
    this.width *= 2;
  }

  /** Display bins over [first, last]: each a whole number of fine bins wide. */
  finish(): Histogram {
    if (this.origin === null) return { start_ns: 0, bin_ns: this.width, series: Array.from({ length: this.kinds }, () => []) };
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of this.bins.keys()) { lo = Math.min(lo, i); hi = Math.max(hi, i); }
    const fine = hi - lo + 1;
    const group = Math.max(1, Math.ceil(fine / DISPLAY_BINS));
    const count = Math.ceil(fine / group);
    const series = Array.from({ length: this.kinds }, () => new Array<number>(count).fill(0));
    for (const [i, counts] of this.bins) {
      const at = Math.floor((i - lo) / group);
      for (let k = 0; k < this.kinds; k++) series[k][at] += counts[k];
    }
    return { start_ns: this.origin + lo * this.width, bin_ns: this.width * group, series };
  }
}
