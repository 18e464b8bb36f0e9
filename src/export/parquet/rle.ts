/**
 * The RLE / bit-packing hybrid (Encodings.md, RLE = 3) for definition and
 * repetition levels and dictionary indices. Input comes as runs (`run(v, n)`:
 * a value n times) or as an array scanned into runs, so a column whose value
 * repeats for a whole row group costs one call, not one per row. A run of 8
 * or more becomes an RLE run; shorter ones are gathered into bit-packed
 * groups of 8. A run first tops up an unfinished group of 8 (bit-packed runs
 * hold whole groups only), and only the very end pads the last group with zeros.
 *
 * Values that change at every row (a path's dictionary index) are the
 * expensive case: they are copied into the literal buffer in tight loops and
 * packed 8 at a time, with no call per value.
 */
import { type ByteSink } from './byte-sink.js';

/** Literal values kept before a bit-packed run is written: 63 groups of 8 keep its header one byte. */
const MAX_LITERALS = 504;

export class RleEncoder {
  private out!: ByteSink;
  private width = 0;
  private byteWidth = 0;
  private readonly literals = new Int32Array(MAX_LITERALS + 8);
  private nLiterals = 0;
  /** The run being gathered (not yet decided: RLE run or literals). */
  private runValue = 0;
  private runCount = 0;

  /** Starts an encoding of `bitWidth`-bit values (0..32) appended to `out`. */
  start(out: ByteSink, bitWidth: number): void {
    this.out = out;
    this.width = bitWidth;
    this.byteWidth = (bitWidth + 7) >> 3;
    this.nLiterals = 0;
    this.runCount = 0;
  }

  /** `value` repeated `count` times. */
  run(value: number, count: number): void {
    if (count <= 0) return;
    if (value === this.runValue) {
      this.runCount += count;
      return;
    }
    if (this.runCount > 0) this.commit();
    this.runValue = value;
    this.runCount = count;
  }

  /**
   * `values[from, to)`. `words`: levels as bytes (values a Uint8Array) also
   * seen 4 at a time through an Int32Array over the same memory: a long run
   * (a kind's field, null in the other kinds' rows) is skipped a word a step.
   */
  array(values: ArrayLike<number>, from: number, to: number, words: Int32Array | null = null): void {
    let i = from;
    // Continue the pending run first.
    if (this.runCount > 0) {
      const v = this.runValue;
      while (i < to && values[i] === v) i++;
      this.runCount += i - from;
      if (i === to) return;
      this.commit();
    }
    const lits = this.literals;
    while (i < to) {
      const v = values[i];
      let j = i + 1;
      if (words !== null && j + 8 <= to && values[j] === v) {
        while ((j & 3) !== 0 && values[j] === v) j++;
        const w = (v * 0x01010101) | 0;
        if ((j & 3) === 0) while (j + 4 <= to && words[j >> 2] === w) j += 4;
      }
      while (j < to && values[j] === v) j++;
      const n = j - i;
      if (n >= 8 || j === to) {
        // Long enough for an RLE run (or the input's last run, which may continue): decide in commit().
        this.runValue = v;
        this.runCount = n;
        if (j < to) this.commit();
        i = j;
        continue;
      }
      // A short run: straight into the literals.
      let nl = this.nLiterals;
      for (let k = 0; k < n; k++) {
        lits[nl++] = v;
        if (nl === MAX_LITERALS) {
          this.nLiterals = nl;
          this.flushLiterals();
          nl = 0;
        }
      }
      this.nLiterals = nl;
      i = j;
    }
  }

  /**
   * Key runs' values: run r is `lens[r]` times `valueOf[keys[r]]`, as run()
   * takes them one call each (the same bytes as array() over the rows they
   * cover), without the rows laid out: run() per run. With `defOf`, runs
   * whose key's level is not `max` have no value and are left out. Returns
   * the rows given a value.
   */
  keyRuns(keys: Int32Array, lens: Int32Array, count: number, valueOf: Int32Array, defOf: Uint8Array | null, max: number): number {
    let rows = 0;
    for (let r = 0; r < count; r++) {
      const k = keys[r];
      if (defOf !== null && defOf[k] !== max) continue;
      rows += lens[r];
      this.run(valueOf[k], lens[r]);
    }
    return rows;
  }

  /** As keyRuns, for key runs' levels (`levelOf[keys[r]]`, every run). */
  keyLevels(keys: Int32Array, lens: Int32Array, count: number, levelOf: Uint8Array): void {
    for (let r = 0; r < count; r++) this.run(levelOf[keys[r]], lens[r]);
  }

  /** Writes what is pending; the encoding is complete. */
  finish(): void {
    if (this.runCount > 0) this.commit();
    if (this.nLiterals > 0) {
      while (this.nLiterals % 8 !== 0) this.literals[this.nLiterals++] = 0;
      this.flushLiterals();
    }
  }

  /** The gathered run: tops up the literals' last group, then an RLE run if 8 or more remain, else literals. */
  private commit(): void {
    let n = this.runCount;
    const v = this.runValue;
    this.runCount = 0;
    const lits = this.literals;
    const partial = this.nLiterals & 7;
    if (partial !== 0) {
      const fill = Math.min(8 - partial, n);
      for (let i = 0; i < fill; i++) lits[this.nLiterals++] = v;
      n -= fill;
      if (this.nLiterals === MAX_LITERALS) this.flushLiterals();
    }
    if (n >= 8) {
      if (this.nLiterals > 0) this.flushLiterals();
      this.rleRun(v, n);
      return;
    }
    let nl = this.nLiterals;
    for (let i = 0; i < n; i++) {
      lits[nl++] = v;
      if (nl === MAX_LITERALS) {
        this.nLiterals = nl;
        this.flushLiterals();
        nl = 0;
      }
    }
    this.nLiterals = nl;
  }

  private rleRun(value: number, count: number): void {
    const out = this.out;
    // Run lengths must stay below 2^31 (Encodings.md); ours are bounded by a row group far below that.
    out.varint(count * 2);
    out.reserve(4);
    for (let i = 0; i < this.byteWidth; i++) out.bytes[out.length++] = (value >>> (i * 8)) & 0xff;
  }

  /** One bit-packed run of the gathered literals (a multiple of 8), least significant bit first. */
  private flushLiterals(): void {
    const n = this.nLiterals;
    const out = this.out;
    const width = this.width;
    out.varint((n / 8) * 2 + 1);
    out.reserve((n * width) / 8);
    const b = out.bytes;
    let at = out.length;
    const lits = this.literals;
    if (width <= 16) {
      // Two bytes at a time: with fewer than 16 bits pending, one more value leaves under 32 (one test per value, not a loop).
      let acc = 0;
      let bits = 0;
      for (let i = 0; i < n; i++) {
        acc |= lits[i] << bits;
        bits += width;
        if (bits >= 16) {
          b[at++] = acc;
          b[at++] = acc >>> 8;
          acc >>>= 16;
          bits -= 16;
        }
      }
      // n is a multiple of 8: the bits left fill whole bytes.
      for (; bits > 0; bits -= 8) {
        b[at++] = acc;
        acc >>>= 8;
      }
    } else if (width <= 24) {
      let acc = 0;
      let bits = 0;
      for (let i = 0; i < n; i++) {
        acc |= lits[i] << bits;
        bits += width;
        while (bits >= 8) {
          b[at++] = acc & 0xff;
          acc >>>= 8;
          bits -= 8;
        }
      }
    } else {
      // Wider values do not fit a 32-bit accumulator with up to 7 bits already in it: use a double (exact below 2^53).
      let acc = 0;
      let bits = 0;
      for (let i = 0; i < n; i++) {
        acc += (lits[i] >>> 0) * 2 ** bits;
        bits += width;
        while (bits >= 8) {
          b[at++] = acc % 256;
          acc = Math.floor(acc / 256);
          bits -= 8;
        }
      }
    }
    out.length = at;
    this.nLiterals = 0;
  }
}
