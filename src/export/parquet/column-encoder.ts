/**
 * Scratch space shared by every column chunk a writer encodes: the page
 * body, a second sink for values written beside the levels, two RLE
 * encoders, a bit writer for booleans, one dictionary per value kind. And
 * what every chunk ends with: its statistics.
 */
import { ByteSink } from './byte-sink.js';
import { ValueDictionary } from './dictionary.js';
import { type Statistics } from './metadata.js';
import { BitWriter, type OrderKey, statBytes } from './plain.js';
import { RleEncoder } from './rle.js';
import { levelWidth, type Leaf } from './schema.js';

/** A data page's target size before compression: larger chunks are cut into pages of about this much value data. */
export const PAGE_BYTES = 1 << 20;

export class ColumnEncoder {
  readonly body = new ByteSink(1 << 16);
  /** Values, gathered while the levels are written into `body`, then appended to it. */
  readonly values = new ByteSink(1 << 16);
  readonly rle = new RleEncoder();
  readonly valueRle = new RleEncoder();
  readonly bits = new BitWriter();
  private readonly dictionaries = new Map<string, ValueDictionary>();
  /** Dictionary-encode dense byte-array columns when their values repeat (tests turn it off to force PLAIN). */
  denseDictionary = true;

  /** The (emptied) dictionary for `leaf`'s value kind. */
  dictionary(leaf: Leaf): ValueDictionary {
    let d = this.dictionaries.get(leaf.value);
    if (d === undefined) {
      d = new ValueDictionary(leaf.value);
      this.dictionaries.set(leaf.value, d);
    }
    d.reset();
    return d;
  }

  /** Writes a levels section (4-byte length, then the RLE hybrid) into `body`, fed by `emit`. */
  levels(max: number, emit: (rle: RleEncoder) => void): void {
    const body = this.body;
    const at = body.length;
    body.u32(0);
    this.rle.start(body, levelWidth(max));
    emit(this.rle);
    this.rle.finish();
    body.patchU32(at, body.length - at - 4);
  }
}

/** A chunk's statistics; min and max left out when either is too long to keep. */
export function statistics(leaf: Leaf, nullCount: number, min: OrderKey | null, max: OrderKey | null): Statistics {
  const lo = min === null ? null : statBytes(leaf.value, min);
  const hi = max === null ? null : statBytes(leaf.value, max);
  return lo === null || hi === null ? { nullCount, min: null, max: null } : { nullCount, min: lo, max: hi };
}

/** Bit width of dictionary indices for `count` entries (at least 1: some readers reject 0). */
export function indexWidth(count: number): number {
  return count <= 2 ? 1 : levelWidth(count - 1);
}
