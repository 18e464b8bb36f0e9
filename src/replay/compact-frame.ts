/**
 * A data frame held without its runs of zero words, for merges of many
 * inputs. Each open input of a merge holds the frame it is in the middle of
 * until its next turn; decompressed, that is a frame of ~1 MB per input (a
 * hundred inputs: 105 MB). Records are mostly the zeros of their fixed
 * string buffers: without them, frames of the bench's hosts and of real
 * captures take 21-31% of their size. The input's records are expanded back,
 * a window of a few dozen at a time, into the frame layout (length prefix,
 * bytes) that the frame replayer walks with its record cursor, so decoding
 * is unchanged and the records are the file's bytes exactly.
 *
 * Encoding, per record: its length in bytes, then tokens until its words are
 * covered: a zero run (ZERO_RUN | words) or a literal (n < ZERO_RUN, then n
 * words). Only word-aligned records are encoded this way (every kind's size
 * is a multiple of 8); a frame holding any other is not compacted.
 */
import { RecordCursor } from '../rgc/reader.js';

const ZERO_RUN = 0x80000000;
/** Window of expanded records (grown for a record larger than it). */
const WINDOW_BYTES = 16 << 10;
/** The held encoding grows in steps of this many words (16 KB), never shrinks: inputs' frames compact to about the same size. */
const STEP_WORDS = 4096;

/** One encoding buffer for every input (encoding is synchronous), grown to the largest frame's worst case. */
let scratch = new Uint32Array(0);
const cursor = new RecordCursor();

export class CompactFrame {
  private words = new Uint32Array(0);
  private used = 0;
  /** Read position in `words`. */
  private pos = 0;
  /** Why the frame's walk stopped before its end (a bad record length), as the record cursor said, or null. */
  problem: string | null = null;
  /** Expanded records in frame layout; `expand` says how many bytes of it hold them. */
  window = new Uint8Array(0);
  private window32 = new Uint32Array(0);

  /**
   * Encodes the frame `raw` (its buffer may be reused once this returns).
   * False, keeping nothing, when a record is not word-aligned.
   */
  encode(raw: Uint8Array): boolean {
    if ((raw.byteOffset & 3) !== 0) return false;
    const src = new Uint32Array(raw.buffer, raw.byteOffset, raw.length >> 2);
    // Worst case: a one-word record is its length, a token and the word (1.5 words per word of frame).
    const need = ((raw.length >> 2) * 3 >> 1) + 8;
    if (scratch.length < need) scratch = new Uint32Array(need);
    const out = scratch;
    let o = 0;
    cursor.reset(raw);
    while (cursor.next()) {
      const offset = cursor.offset, length = cursor.length;
      if ((offset & 3) !== 0 || (length & 3) !== 0) return false;
      out[o++] = length;
      let i = offset >> 2;
      const end = i + (length >> 2);
      while (i < end) {
        let j = i + 1;
        if (src[i] === 0) {
          while (j < end && src[j] === 0) j++;
          out[o++] = ZERO_RUN + (j - i);
        } else {
          // A lone zero word stays in the literal: as a run it would cost a word too, and split the literal.
          while (j < end && (src[j] !== 0 || (j + 1 < end && src[j + 1] !== 0))) j++;
          out[o++] = j - i;
          for (let k = i; k < j; k++) out[o++] = src[k];
        }
        i = j;
      }
    }
    this.problem = cursor.problem;
    if (this.words.length < o) this.words = new Uint32Array(Math.ceil(o / STEP_WORDS) * STEP_WORDS);
    this.words.set(out.subarray(0, o));
    this.used = o;
    this.pos = 0;
    return true;
  }

  /** True while records remain to be expanded. */
  get more(): boolean {
    return this.pos < this.used;
  }

  /** Expands the next records into `window` (at least one, as many as fit); returns the bytes it filled. */
  expand(): number {
    const words = this.words;
    let pos = this.pos;
    let w = 0;
    while (pos < this.used) {
      const length = words[pos];
      const recordWords = length >> 2;
      if ((w + 1 + recordWords) * 4 > this.window.length) {
        if (w > 0) break;
        this.growWindow((1 + recordWords) * 4);
      }
      const win = this.window32;
      const b = this.window;
      // The length prefix is little-endian in the frame format, whatever this machine's order.
      const p = w * 4;
      b[p] = length & 0xff;
      b[p + 1] = (length >>> 8) & 0xff;
      b[p + 2] = (length >>> 16) & 0xff;
      b[p + 3] = length >>> 24;
      w++;
      pos++;
      const end = w + recordWords;
      while (w < end) {
        const t = words[pos++];
        if (t >= ZERO_RUN) {
          const n = t - ZERO_RUN;
          win.fill(0, w, w + n);
          w += n;
        } else {
          for (let k = 0; k < t; k++) win[w + k] = words[pos + k];
          pos += t;
          w += t;
        }
      }
    }
    this.pos = pos;
    return w * 4;
  }

  private growWindow(bytes: number): void {
    this.window = new Uint8Array(Math.max(WINDOW_BYTES, Math.ceil(bytes / WINDOW_BYTES) * WINDOW_BYTES));
    this.window32 = new Uint32Array(this.window.buffer);
  }
}
