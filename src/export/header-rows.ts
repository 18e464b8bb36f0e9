/**
 * The numbers every row of a class has in the same place: the record
 * header's fields (ts_ns, pid, tid, uid, cgroup_id, ...: the same offsets in
 * every kind), the wall time and the provenance (frame sequence, record
 * index). Gathered row-major, a row's words in one copy per event (by its
 * kind's row adder: row-adders.ts, from rowWords and headerWords), and
 * transposed into their columns at the row group's end, one column at a time
 * in a loop of its own. Copied field by field into each column instead, these
 * 17 values were half of the per-event copying (a column, its level, its
 * slot and a switch each).
 */
import { type DenseColumn } from './parquet/dense-column.js';
import { CopyOp, type Copy } from './ocsf-table.js';
import { sharedWords } from './shared-memory.js';

/** Rows transposed at a time (see transpose). */
const BLOCK_ROWS = 2048;

/** A value of the row and where it goes: its byte offset in the row, how it is read, its column (every row has one, unless `timed`). */
interface RowValue {
  readonly at: number;
  readonly op: CopyOp;
  readonly column: DenseColumn;
  /** Only rows with a wall time have it (the time column: its definition levels say which). */
  readonly timed: boolean;
}

export class HeaderRows {
  /** Words of the header copied per row (its fields that go to columns, rounded up to a word). */
  readonly headerWords: number;
  /** Words per row: the header's, then time (2), frame sequence (2), record index (1). */
  readonly rowWords: number;
  /** Row r's words at r * rowWords (written by the row adders: row-adders.ts). */
  words: Int32Array = new Int32Array(0);
  private view: DataView = new DataView(this.words.buffer);
  private readonly values: RowValue[];
  /** Rows with a wall time. */
  timed = 0;

  constructor(headerCopies: readonly Copy[], columns: readonly DenseColumn[], time: DenseColumn, frameSeq: DenseColumn, recordIndex: DenseColumn) {
    let end = 0;
    for (const c of headerCopies) end = Math.max(end, c.from + widthOf(c.op));
    this.headerWords = (end + 3) >> 2;
    this.rowWords = this.headerWords + 5;
    const t = this.headerWords * 4;
    this.values = [
      ...headerCopies.map((c) => ({ at: c.from, op: c.op, column: columns[c.direct], timed: false })),
      { at: t, op: CopyOp.W64, column: time, timed: true },
      { at: t + 8, op: CopyOp.W64, column: frameSeq, timed: false },
      { at: t + 16, op: CopyOp.W32, column: recordIndex, timed: false },
    ];
    for (const v of this.values) {
      if (!v.timed && v.column.defs !== null) throw new Error(`export: ${v.column.leaf.path.join('.')} is not in every row`);
    }
  }

  /** Room for `rows` rows. */
  ensure(rows: number): void {
    if (this.words.length >= rows * this.rowWords) return;
    const next = sharedWords(rows * this.rowWords);
    next.set(this.words);
    this.words = next;
    this.view = new DataView(next.buffer);
  }

  /** Bytes held (the writer's memory budget). */
  get bytes(): number {
    return this.words.length * 4;
  }

  /** The rows' words and how many are timed, handed to another thread; these rows are left empty. */
  take(): { words: Int32Array; timed: number } {
    const taken = { words: this.words, timed: this.timed };
    this.adopt(new Int32Array(0), 0);
    return taken;
  }

  /** Words and timed count from take() (another builder's of the same table) become these rows'. */
  adopt(words: Int32Array, timed: number): void {
    this.words = words;
    this.view = new DataView(words.buffer, words.byteOffset, words.byteLength);
    this.timed = timed;
  }

  /** What the gathered values would hold in their columns (PartitionBuilder.heldBytes). */
  heldBytes(rows: number): number {
    let n = 0;
    for (const v of this.values) n += (v.timed ? this.timed : rows) * v.column.width;
    return n;
  }

  /**
   * Fills each value's column from rows [0, rows), BLOCK_ROWS rows at a time:
   * a block's rows (~150 KB) stay in the cache while every column takes its
   * values from them (a column at a time over the whole row group read its
   * ~5 MB once per column: measured 144 ms of the work capture's export).
   */
  transpose(rows: number): void {
    for (const v of this.values) {
      v.column.ensureValues(rows);
      v.column.nValues = 0;
    }
    for (let from = 0; from < rows; from += BLOCK_ROWS) {
      const to = Math.min(rows, from + BLOCK_ROWS);
      for (const v of this.values) {
        const col = v.column;
        col.nValues = v.timed ? this.transposeTimed(v, col, from, to) : this.transposeAll(v, col.fixed32, from, to);
      }
    }
    this.timed = 0;
  }

  /** Rows [from, to) of value `v` into `f` (every row has it: row r is value r). Returns `to`, the values the column has. */
  private transposeAll(v: RowValue, f: Int32Array, from: number, to: number): number {
    const stride = this.rowWords;
    const w = this.words;
    const word = from * stride + (v.at >> 2);
    const wordOp = v.op === CopyOp.W32 || v.op === CopyOp.W64 || v.op === CopyOp.U32To64 || v.op === CopyOp.S32To64;
    if (wordOp && (v.at & 3) !== 0) return this.transposeByView(v, f, from, to);
    switch (v.op) {
      case CopyOp.W32:
        for (let r = from, i = word; r < to; r++, i += stride) f[r] = w[i];
        break;
      case CopyOp.W64:
        for (let r = from, i = word; r < to; r++, i += stride) {
          f[2 * r] = w[i];
          f[2 * r + 1] = w[i + 1];
        }
        break;
      case CopyOp.U32To64:
        for (let r = from, i = word; r < to; r++, i += stride) {
          f[2 * r] = w[i];
          f[2 * r + 1] = 0;
        }
        break;
      case CopyOp.S32To64:
        for (let r = from, i = word; r < to; r++, i += stride) {
          f[2 * r] = w[i];
          f[2 * r + 1] = w[i] >> 31;
        }
        break;
      default:
        return this.transposeByView(v, f, from, to);
    }
    return to;
  }

  /** Fields narrower than a word (or not at a word's offset), read where they are. */
  private transposeByView(v: RowValue, f: Int32Array, from: number, to: number): number {
    const view = this.view;
    const rowBytes = this.rowWords * 4;
    for (let r = from, at = from * rowBytes + v.at; r < to; r++, at += rowBytes) {
      switch (v.op) {
        case CopyOp.U8: f[r] = view.getUint8(at); break;
        case CopyOp.U16: f[r] = view.getUint16(at, true); break;
        case CopyOp.W32: f[r] = view.getInt32(at, true); break;
        case CopyOp.W64: f[2 * r] = view.getInt32(at, true); f[2 * r + 1] = view.getInt32(at + 4, true); break;
        case CopyOp.U8To64: f[2 * r] = view.getUint8(at); f[2 * r + 1] = 0; break;
        case CopyOp.U16To64: f[2 * r] = view.getUint16(at, true); f[2 * r + 1] = 0; break;
        case CopyOp.U32To64: f[2 * r] = view.getInt32(at, true); f[2 * r + 1] = 0; break;
        case CopyOp.S32To64: { const lo = view.getInt32(at, true); f[2 * r] = lo; f[2 * r + 1] = lo >> 31; break; }
      }
    }
    return to;
  }

  /** Rows [from, to) of the time into its column, after the col.nValues it has: only rows with a time have one. Returns the values it has. */
  private transposeTimed(v: RowValue, col: DenseColumn, from: number, to: number): number {
    const stride = this.rowWords;
    const w = this.words;
    const f = col.fixed32;
    const defs = col.defs!;
    const max = col.leaf.maxDef;
    let n = col.nValues;
    for (let r = from, i = from * stride + (v.at >> 2); r < to; r++, i += stride) {
      if (defs[r] !== max) continue;
      f[2 * n] = w[i];
      f[2 * n + 1] = w[i + 1];
      n++;
    }
    return n;
  }
}

function widthOf(op: CopyOp): number {
  return op === CopyOp.U8 || op === CopyOp.U8To64 ? 1 : op === CopyOp.U16 || op === CopyOp.U16To64 ? 2 : op === CopyOp.W64 ? 8 : 4;
}
