/**
 * The thrift structures of parquet.thrift that the writer emits: PageHeader
 * (data page v1 and dictionary page) and FileMetaData (schema, row groups,
 * column chunks with their statistics, column orders). Field ids are the
 * spec's; only the fields this writer fills are written.
 */
import { type ByteSink } from './byte-sink.js';
import { type SchemaElement, type PhysicalType, type ValueKind } from './schema.js';
import { ThriftWriter, TType } from './thrift.js';

const TYPE_IDS: Readonly<Record<PhysicalType, number>> = { BOOLEAN: 0, INT32: 1, INT64: 2, BYTE_ARRAY: 6 };
export const Encoding = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const;
const CODEC_ZSTD = 6;
const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;
const REPETITION_IDS = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
/** ConvertedType ids (the legacy annotation, written beside the logical type for older readers). */
const CONVERTED: Partial<Record<ValueKind, number>> = {
  string: 0, u8: 11, u16: 12, u32: 13, u64: 14, i8: 15, i16: 16, i32: 17, i64: 18,
};
const CONVERTED_LIST = 3;

export interface Statistics {
  readonly nullCount: number;
  /** PLAIN-encoded (byte arrays without their length), or null when not kept (all null, or too long). */
  readonly min: Uint8Array | null;
  readonly max: Uint8Array | null;
}

export interface ColumnChunkMeta {
  readonly path: readonly string[];
  readonly physical: PhysicalType;
  readonly encodings: readonly number[];
  readonly numValues: number;
  readonly uncompressedSize: number;
  readonly compressedSize: number;
  readonly dataPageOffset: number;
  readonly dictionaryPageOffset: number | null;
  readonly statistics: Statistics;
}

export interface RowGroupMeta {
  readonly columns: readonly ColumnChunkMeta[];
  readonly numRows: number;
  readonly fileOffset: number;
  readonly uncompressedSize: number;
  readonly compressedSize: number;
}

export interface TimestampOptions {
  /** TimestampType.isAdjustedToUTC (see file-writer.ts for why the export writes false). */
  readonly adjustedToUtc: boolean;
}

export function writeDataPageHeader(out: ByteSink, uncompressed: number, compressed: number, numValues: number, encoding: number): void {
  const t = new ThriftWriter(out);
  t.begin();
  t.i32(1, PAGE_DATA);
  t.i32(2, uncompressed);
  t.i32(3, compressed);
  t.struct(5);
  t.i32(1, numValues);
  t.i32(2, encoding);
  t.i32(3, Encoding.RLE);
  t.i32(4, Encoding.RLE);
  t.end();
  t.end();
}

export function writeDictionaryPageHeader(out: ByteSink, uncompressed: number, compressed: number, numValues: number): void {
  const t = new ThriftWriter(out);
  t.begin();
  t.i32(1, PAGE_DICTIONARY);
  t.i32(2, uncompressed);
  t.i32(3, compressed);
  t.struct(7);
  t.i32(1, numValues);
  t.i32(2, Encoding.PLAIN);
  t.end();
  t.end();
}

/**
 * The footer's FileMetaData (without the trailing length and magic).
 * `rowGroups`: each row group's RowGroup struct as rowGroupBytes() wrote it
 * (a list's struct element is encoded on its own: the same bytes here or
 * there); `rows`: theirs together.
 */
export function writeFileMetaData(out: ByteSink, elements: readonly SchemaElement[], rowGroups: readonly Uint8Array[], rows: number, createdBy: string,
  ts: TimestampOptions, keyValues: readonly (readonly [string, string])[] = []): void {
  const t = new ThriftWriter(out);
  t.begin();
  t.i32(1, 2);
  t.list(2, TType.Struct, elements.length);
  for (const e of elements) writeSchemaElement(t, e, ts);
  t.i64(3, rows);
  t.list(4, TType.Struct, rowGroups.length);
  for (const g of rowGroups) out.append(g);
  if (keyValues.length > 0) {
    t.list(5, TType.Struct, keyValues.length);
    for (const [k, v] of keyValues) {
      t.begin();
      t.string(1, k);
      t.string(2, v);
      t.end();
    }
  }
  t.string(6, createdBy);
  // Every leaf sorts by its logical type (TYPE_ORDER): without this, min_value/max_value mean nothing (parquet.thrift).
  const leaves = elements.filter((e) => e.physical !== null).length;
  t.list(7, TType.Struct, leaves);
  for (let i = 0; i < leaves; i++) {
    t.begin();
    t.struct(1);
    t.end();
    t.end();
  }
  t.end();
}

function writeSchemaElement(t: ThriftWriter, e: SchemaElement, ts: TimestampOptions): void {
  t.begin();
  if (e.physical !== null) t.i32(1, TYPE_IDS[e.physical]);
  if (e.repetition !== null) t.i32(3, REPETITION_IDS[e.repetition]);
  t.string(4, e.name);
  if (e.numChildren !== null) t.i32(5, e.numChildren);
  const converted = e.isList ? CONVERTED_LIST : e.value === null ? undefined : CONVERTED[e.value];
  if (converted !== undefined) t.i32(6, converted);
  if (e.isList) {
    t.struct(10);
    t.struct(3);
    t.end();
    t.end();
  } else if (e.value !== null) {
    writeLogicalType(t, e.value, ts);
  }
  t.end();
}

const INT_TYPES: Partial<Record<ValueKind, [number, boolean]>> = {
  u8: [8, false], u16: [16, false], u32: [32, false], u64: [64, false], i8: [8, true], i16: [16, true], i32: [32, true], i64: [64, true],
};

function writeLogicalType(t: ThriftWriter, v: ValueKind, ts: TimestampOptions): void {
  if (v === 'string') {
    t.struct(10);
    t.struct(1);
    t.end();
    t.end();
  } else if (v === 'timestamp_ns') {
    t.struct(10);
    t.struct(8);
    t.bool(1, ts.adjustedToUtc);
    t.struct(2);
    t.struct(3);
    t.end();
    t.end();
    t.end();
    t.end();
  } else if (INT_TYPES[v] !== undefined) {
    const [bits, signed] = INT_TYPES[v]!;
    t.struct(10);
    t.struct(10);
    t.i8(1, bits);
    t.bool(2, signed);
    t.end();
    t.end();
  }
}

/**
 * Row group `ordinal`'s RowGroup struct, for the footer (writeFileMetaData).
 * Written when the row group ends, not when the file does: a file of 32
 * row groups of ~300 column chunks each then has its footer ready at its
 * end (the export's last file closes while the export waits).
 */
export function rowGroupBytes(out: ByteSink, g: RowGroupMeta, ordinal: number): void {
  writeRowGroup(new ThriftWriter(out), g, ordinal);
}

const textEncoder = new TextEncoder();

/** A column's path, each name as UTF-8 (encoded once per leaf: every row group names every column). */
const encodedPaths = new WeakMap<readonly string[], Uint8Array[]>();

function encodedPath(path: readonly string[]): Uint8Array[] {
  let e = encodedPaths.get(path);
  if (e === undefined) encodedPaths.set(path, (e = path.map((p) => textEncoder.encode(p))));
  return e;
}

function writeRowGroup(t: ThriftWriter, g: RowGroupMeta, ordinal: number): void {
  t.begin();
  t.list(1, TType.Struct, g.columns.length);
  for (const c of g.columns) {
    t.begin();
    // Deprecated and used inconsistently by past writers: 0, as parquet.thrift asks, since no ColumnMetaData is written outside the footer.
    t.i64(2, 0);
    t.struct(3);
    t.i32(1, TYPE_IDS[c.physical]);
    t.list(2, TType.I32, c.encodings.length);
    for (const e of c.encodings) t.listI32(e);
    t.list(3, TType.Binary, c.path.length);
    for (const p of encodedPath(c.path)) t.listBinary(p);
    t.i32(4, CODEC_ZSTD);
    t.i64(5, c.numValues);
    t.i64(6, c.uncompressedSize);
    t.i64(7, c.compressedSize);
    t.i64(9, c.dataPageOffset);
    if (c.dictionaryPageOffset !== null) t.i64(11, c.dictionaryPageOffset);
    t.struct(12);
    t.i64(3, c.statistics.nullCount);
    if (c.statistics.max !== null && c.statistics.min !== null) {
      t.binary(5, c.statistics.max);
      t.binary(6, c.statistics.min);
      t.bool(7, true);
      t.bool(8, true);
    }
    t.end();
    t.end();
    t.end();
  }
  t.i64(2, g.uncompressedSize);
  t.i64(3, g.numRows);
  t.i64(5, g.fileOffset);
  t.i64(6, g.compressedSize);
  t.i16(7, ordinal);
  t.end();
}

