/**
 * Rows as JS objects, shredded into column buffers the Dremel way (the
 * Parquet paper's record shredding): for every leaf, each row gives one or
 * more entries with a repetition level (which list the entry continues) and
 * a definition level (how many optional fields on its path are present).
 * This is the writer's general path, for rows that are few (alerts) and for
 * the property tests; the export's event rows fill their columns directly.
 */
import { type ColumnEncoder } from './column-encoder.js';
import { writeDenseColumn } from './write-dense.js';
import { DenseColumn } from './dense-column.js';
import { type ParquetFileWriter } from './file-writer.js';
import { type CellValue, ValueError } from './plain.js';
import { type Leaf, type ParquetSchema } from './schema.js';

export type Row = { readonly [key: string]: unknown };

export class RowShredder {
  readonly columns: DenseColumn[];
  rows = 0;

  constructor(readonly schema: ParquetSchema) {
    this.columns = schema.leaves.map((l) => new DenseColumn(l));
  }

  /** Adds a row; a value that does not fit its column (wrong type, out of range, a missing required field) throws ValueError. */
  add(row: Row): void {
    for (const col of this.columns) shredLeaf(col, row);
    this.rows++;
  }

  /** Bytes held by the buffered rows. */
  get bytes(): number {
    return this.columns.reduce((n, c) => n + c.bytes, 0);
  }

  /** Writes the buffered rows as one row group of `file`, then empties the buffers. */
  writeRowGroup(file: ParquetFileWriter, enc: ColumnEncoder): void {
    if (this.rows === 0) return;
    for (const col of this.columns) writeDenseColumn(file, enc, col);
    file.endRowGroup(this.rows);
    for (const col of this.columns) col.reset();
    this.rows = 0;
  }
}

/** Where a leaf's entries go: a column's buffers, or the per-key entries of a keyed column. */
export interface LeafSink {
  readonly leaf: Leaf;
  nullEntry(rep: number, def: number): void;
  valueEntry(rep: number, v: CellValue): void;
}

/** Appends the entries of `row` (an object holding the leaf's path) for `sink`'s leaf. */
export function shredLeaf(sink: LeafSink, row: unknown): void {
  const leaf = sink.leaf;
  if (leaf.maxRep > 0) {
    shred(sink, row, 0, 0, 0);
    return;
  }
  // Outside lists: one entry, found by walking the path (most leaves; this is the export's per-key path).
  const steps = leaf.steps;
  let node = row;
  let def = 0;
  for (let i = 0; i < steps.length; i++) {
    if (node === null || typeof node !== 'object' || node instanceof Uint8Array || Array.isArray(node)) {
      throw new ValueError(`parquet: ${leaf.keys.slice(0, i).join('.') || 'a row'} is not an object`);
    }
    const child = (node as Row)[steps[i].key];
    if (child === null || child === undefined) {
      if (steps[i].def === def) throw new ValueError(`parquet: required field ${leaf.keys.slice(0, i + 1).join('.')} is missing`);
      sink.nullEntry(0, def);
      return;
    }
    node = child;
    def = steps[i].def;
  }
  sink.valueEntry(0, node as CellValue);
}

/** Appends `node`'s entries for `col`'s leaf, from step `at` of its path, at repetition `rep` and definition `def` so far. */
function shred(col: LeafSink, node: unknown, at: number, rep: number, def: number): void {
  const leaf = col.leaf;
  if (at === leaf.steps.length) {
    col.valueEntry(rep, node as CellValue);
    return;
  }
  const step = leaf.steps[at];
  if (node === null || typeof node !== 'object' || Array.isArray(node) || node instanceof Uint8Array) {
    throw new ValueError(`parquet: ${leaf.keys.slice(0, at).join('.') || 'a row'} is not an object`);
  }
  const child = (node as Row)[step.key];
  if (child === null || child === undefined) {
    if (step.def === def) {
      // A required field: its definition level is its parent's.
      throw new ValueError(`parquet: required field ${leaf.keys.slice(0, at + 1).join('.')} is missing`);
    }
    col.nullEntry(rep, def);
    return;
  }
  if (!step.list) {
    shred(col, child, at + 1, rep, step.def);
    return;
  }
  if (!Array.isArray(child)) throw new ValueError(`parquet: ${leaf.keys.slice(0, at + 1).join('.')} is not a list`);
  if (child.length === 0) {
    col.nullEntry(rep, step.def);
    return;
  }
  for (let i = 0; i < child.length; i++) {
    const r = i === 0 ? rep : step.rep;
    const el: unknown = child[i];
    if (el === null || el === undefined) {
      if (step.elementDef === step.def + 1) throw new ValueError(`parquet: ${leaf.keys.slice(0, at + 1).join('.')} has a null element`);
      col.nullEntry(r, step.def + 1);
    } else {
      shred(col, el, at + 1, r, step.elementDef);
    }
  }
}
