/**
 * One Parquet file, written front to back: `PAR1`, then row group after row
 * group (each column chunk's pages as the caller hands them over:
 * compressed, after their page headers), then the footer (FileMetaData, its
 * length, `PAR1`). Pages go to the file through a buffer as they are made;
 * only the column chunks' metadata stays in memory until the footer.
 *
 * The file is written under a hidden temporary name beside its final one and
 * renamed when complete, so a reader of the directory (a `*.parquet` glob)
 * never sees a file without its footer, and an export that fails leaves none.
 */
import { closeSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeAllSync } from '../../common/fd-sink.js';
import { ByteSink } from './byte-sink.js';
import { type ColumnChunkMeta, Encoding, rowGroupBytes, type Statistics, writeDataPageHeader, writeDictionaryPageHeader, writeFileMetaData } from './metadata.js';
import { type Leaf, type ParquetSchema } from './schema.js';
import { PageCompressor } from './zstd-pages.js';

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // PAR1
const FLUSH_BYTES = 1 << 20;

/** FileMetaData.created_by of the export's files. */
export const PARQUET_CREATED_BY = 'rand-guard version 0.1.0 (parquet writer)';

export interface FileWriterOptions {
  /** FileMetaData.created_by: `<app> version <version>`. */
  readonly createdBy: string;
  /**
   * TimestampType.isAdjustedToUTC of timestamp columns. The export's times are
   * UTC instants, but it writes false: DuckDB reads a UTC-adjusted
   * TIMESTAMP(NANOS) as TIMESTAMP WITH TIME ZONE, which holds microseconds,
   * and would drop the nanoseconds the evidence has (see docs/fleet.md).
   */
  readonly timestampAdjustedToUtc?: boolean;
  readonly keyValues?: readonly (readonly [string, string])[];
  readonly compressor?: PageCompressor;
}

/**
 * A column chunk as written (its pages' bytes, offsets relative to its
 * start), kept to be written again: a row group whose chunk would be the same
 * bytes (a capture's constant columns, row group after row group) repeats it
 * instead of encoding and compressing it again.
 */
export interface RecordedChunk {
  readonly bytes: Uint8Array;
  readonly dictionaryOffset: number | null;
  readonly dataOffset: number;
  readonly numValues: number;
  readonly uncompressed: number;
  readonly encodings: readonly number[];
  readonly statistics: Statistics;
}

interface OpenChunk {
  readonly leaf: Leaf;
  readonly start: number;
  dictionaryOffset: number | null;
  dataOffset: number | null;
  numValues: number;
  uncompressed: number;
  compressed: number;
  readonly encodings: Set<number>;
}

export class ParquetFileWriter {
  private readonly out = new ByteSink(FLUSH_BYTES + (64 << 10));
  private readonly header = new ByteSink(256);
  /** Bytes written to the file so far, buffered ones included: the offset of the next byte. */
  private position = 0;
  /** Each row group's metadata as the footer has it (rowGroupBytes: written when the row group ends). */
  private readonly rowGroups: Uint8Array[] = [];
  private columns: ColumnChunkMeta[] = [];
  private rowGroupStart = 0;
  private chunk: OpenChunk | null = null;
  /** The open chunk's bytes, when beginColumn was asked to record them. */
  private recording: ByteSink | null = null;
  private readonly recorder = new ByteSink(1024);
  private readonly compressor: PageCompressor;
  private closed = false;
  rows = 0;

  private constructor(readonly path: string, private readonly tmpPath: string, private fd: number, readonly schema: ParquetSchema,
    private readonly options: FileWriterOptions) {
    this.compressor = options.compressor ?? new PageCompressor();
    this.put(MAGIC);
  }

  /** Creates `path` (which must not exist) through its temporary name. Throws the file system's error. */
  static create(path: string, schema: ParquetSchema, options: FileWriterOptions): ParquetFileWriter {
    const tmpPath = join(dirname(path), `.${basename(path)}.tmp`);
    const fd = openSync(tmpPath, 'wx', 0o644);
    return new ParquetFileWriter(path, tmpPath, fd, schema, options);
  }

  /** Bytes in the file so far (a size estimate for rotating files). */
  get size(): number {
    return this.position;
  }

  /** Opens `leaf`'s chunk; with `record`, endColumn returns its bytes and metadata (a RecordedChunk). */
  beginColumn(leaf: Leaf, record = false): void {
    if (this.chunk !== null) throw new Error('parquet: a column chunk is already open');
    if (leaf.index !== this.columns.length) throw new Error(`parquet: column ${leaf.path.join('.')} written out of order`);
    if (this.columns.length === 0) this.rowGroupStart = this.position;
    this.chunk = { leaf, start: this.position, dictionaryOffset: null, dataOffset: null, numValues: 0, uncompressed: 0, compressed: 0, encodings: new Set() };
    this.recording = record ? this.recorder : null;
    this.recorder.reset();
  }

  /** `leaf`'s chunk: the bytes and metadata of a chunk recorded before (same leaf, same rows). */
  repeatColumn(leaf: Leaf, r: RecordedChunk): void {
    this.beginColumn(leaf);
    const start = this.position;
    this.put(r.bytes);
    this.columns.push({
      path: leaf.path, physical: leaf.physical, encodings: r.encodings, numValues: r.numValues, uncompressedSize: r.uncompressed,
      compressedSize: r.bytes.length, dataPageOffset: start + r.dataOffset, dictionaryPageOffset: r.dictionaryOffset === null ? null : start + r.dictionaryOffset,
      statistics: r.statistics,
    });
    this.chunk = null;
  }

  /** The chunk's dictionary page: `count` values, PLAIN-encoded in `body`. Before any data page. */
  dictionaryPage(body: Uint8Array, count: number): void {
    const c = this.open();
    if (c.dataOffset !== null || c.dictionaryOffset !== null) throw new Error('parquet: the dictionary page must come first and once');
    c.dictionaryOffset = this.position;
    const z = this.compressor.compress(body);
    this.header.reset();
    writeDictionaryPageHeader(this.header, body.length, z.length, count);
    this.emitPage(c, body.length, z);
    c.encodings.add(Encoding.PLAIN);
  }

  /**
   * A data page (v1): `body` holds repetition levels, definition levels and values; `numValues` counts level entries.
   * Returns the page's compressed body (a view, valid until the next page), for compressedDataPage.
   */
  dataPage(body: Uint8Array, numValues: number, encoding: number): Uint8Array {
    const z = this.compressor.compress(body);
    this.compressedDataPage(body.length, z, numValues, encoding);
    return z;
  }

  /** A data page whose body of `uncompressed` bytes was compressed to `z` before (dataPage gave it for an equal body). */
  compressedDataPage(uncompressed: number, z: Uint8Array, numValues: number, encoding: number): void {
    const c = this.open();
    if (c.dataOffset === null) c.dataOffset = this.position;
    this.header.reset();
    writeDataPageHeader(this.header, uncompressed, z.length, numValues, encoding);
    this.emitPage(c, uncompressed, z);
    c.numValues += numValues;
    c.encodings.add(encoding);
    c.encodings.add(Encoding.RLE);
  }

  /** Closes the chunk; returns it recorded when beginColumn was asked to (else null). */
  endColumn(statistics: Statistics): RecordedChunk | null {
    const c = this.open();
    if (c.dataOffset === null) throw new Error(`parquet: column ${c.leaf.path.join('.')} has no data page`);
    const encodings = [...c.encodings].sort((a, b) => a - b);
    this.columns.push({
      path: c.leaf.path, physical: c.leaf.physical, encodings, numValues: c.numValues,
      uncompressedSize: c.uncompressed, compressedSize: c.compressed, dataPageOffset: c.dataOffset, dictionaryPageOffset: c.dictionaryOffset, statistics,
    });
    this.chunk = null;
    const rec = this.recording;
    if (rec === null) return null;
    this.recording = null;
    return {
      bytes: rec.written().slice(), dictionaryOffset: c.dictionaryOffset === null ? null : c.dictionaryOffset - c.start, dataOffset: c.dataOffset - c.start,
      numValues: c.numValues, uncompressed: c.uncompressed, encodings, statistics,
    };
  }

  /** Closes the row group whose column chunks were just written (every leaf, in order). */
  endRowGroup(numRows: number): void {
    if (this.chunk !== null || this.columns.length !== this.schema.leaves.length) {
      throw new Error(`parquet: row group ended with ${this.columns.length} of ${this.schema.leaves.length} columns`);
    }
    const uncompressed = this.columns.reduce((n, c) => n + c.uncompressedSize, 0);
    const compressed = this.columns.reduce((n, c) => n + c.compressedSize, 0);
    const meta = new ByteSink(1 << 14);
    rowGroupBytes(meta, { columns: this.columns, numRows, fileOffset: this.rowGroupStart, uncompressedSize: uncompressed, compressedSize: compressed }, this.rowGroups.length);
    this.rowGroups.push(meta.written().slice());
    this.columns = [];
    this.rows += numRows;
  }

  /** Writes the footer and gives the file its name. */
  close(): void {
    if (this.closed) return;
    if (this.columns.length !== 0 || this.chunk !== null) throw new Error('parquet: file closed inside a row group');
    const footer = new ByteSink(1 << 16);
    writeFileMetaData(footer, this.schema.elements, this.rowGroups, this.rows, this.options.createdBy, { adjustedToUtc: this.options.timestampAdjustedToUtc ?? false },
      this.options.keyValues ?? []);
    this.put(footer.written());
    const tail = new ByteSink(8);
    tail.u32(footer.length);
    tail.append(MAGIC);
    this.put(tail.written());
    this.flush();
    closeSync(this.fd);
    this.closed = true;
    renameSync(this.tmpPath, this.path);
  }

  /** Drops the unfinished file. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } finally {
      try {
        unlinkSync(this.tmpPath);
      } catch { /* already gone */ }
    }
  }

  private open(): OpenChunk {
    if (this.chunk === null) throw new Error('parquet: no column chunk is open');
    return this.chunk;
  }

  private emitPage(c: OpenChunk, uncompressedBody: number, compressedBody: Uint8Array): void {
    const header = this.header.written();
    c.uncompressed += header.length + uncompressedBody;
    c.compressed += header.length + compressedBody.length;
    this.put(header);
    this.put(compressedBody);
    if (this.recording !== null) {
      this.recording.append(header);
      this.recording.append(compressedBody);
    }
  }

  private put(bytes: Uint8Array): void {
    if (bytes.length >= FLUSH_BYTES) {
      this.flush();
      writeAllSync(this.fd, bytes);
    } else {
      this.out.append(bytes);
      if (this.out.length >= FLUSH_BYTES) this.flush();
    }
    this.position += bytes.length;
  }

  private flush(): void {
    if (this.out.length === 0) return;
    writeAllSync(this.fd, this.out.written());
    this.out.reset();
  }
}

