/**
 * One capture file read frame by frame, on demand: the reader is paused after
 * each data frame, so the frame's records are replayed straight from the
 * decompressor's buffer (no copy) and nothing more is read or decompressed
 * until the next frame is asked for. Metadata (manifest, stats, end record,
 * damage) reaches the file's state on the way. The file is open only while
 * its source is: from the constructor to the end of input. Given a compact
 * frame, the source holds each frame compacted instead (compact-frame.ts),
 * and the decompressor's buffer can serve other sources.
 */
import { type FrameHeader, type ReadSummary, RgcReader } from '../rgc/reader.js';
import { type FrameDecompressor } from '../rgc/zstd.js';
import { type CompactFrame } from './compact-frame.js';
import { closeInput, inputSize, openInput, readChunk } from './input.js';
import { type FileState } from './replay.js';

const EMPTY = new Uint8Array(0);

export class FrameSource {
  private fd: number;
  private readonly reader: RgcReader;
  private got = false;
  private ended = false;
  /** The current data frame (valid until the next call of `next`): in `raw`, or in `compact` when `compacted`. */
  header: FrameHeader | null = null;
  raw: Uint8Array = new Uint8Array(0);
  compacted = false;
  /** What the reader found, once the input has ended. */
  summary: ReadSummary | null = null;
  /** The file's size when it is a regular file, else 0 (stdin, a pipe). */
  readonly size: number;

  /**
   * `chunk` is the read buffer (shared by sources read in turn: each push is
   * copied into the reader). `decompressor`: a shared one, for sources that
   * never hold a frame at the same time, or that hold theirs compacted.
   */
  constructor(readonly path: string, file: FileState, private readonly chunk: Uint8Array, decompressor?: FrameDecompressor,
    readonly compact: CompactFrame | null = null) {
    this.fd = openInput(path);
    this.size = inputSize(this.fd);
    this.reader = new RgcReader({
      manifest: (m) => file.onManifest(m),
      frame: (h, raw) => {
        this.header = h;
        this.compacted = compact !== null && compact.encode(raw);
        // A frame that cannot be compacted (a record not word-aligned: damaged or crafted) is copied: the decompressor is shared.
        this.raw = compact === null ? raw : this.compacted ? EMPTY : raw.slice();
        this.got = true;
        return false;
      },
      stats: file.onStats,
      end: file.onEnd,
      damage: file.recordDamage,
    }, { decompressor, source: path });
  }

  /** Moves to the next data frame: true when there is one (`header`, `raw`), false at the end of input (`summary`). */
  next(): boolean {
    if (this.ended) return false;
    this.got = false;
    this.reader.resume();
    while (!this.got) {
      const n = readChunk(this.path, this.fd, this.chunk);
      if (n === 0) {
        this.end();
        return false;
      }
      this.reader.push(this.chunk.subarray(0, n));
    }
    return true;
  }

  private end(): void {
    this.ended = true;
    this.header = null;
    closeInput(this.path, this.fd);
    this.fd = -1;
    this.summary = this.reader.finish();
  }
}
