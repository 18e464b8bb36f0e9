/**
 * Writes a capture: manifest first, then records batched into independent,
 * checksummed zstd frames, each announced by a frame header that carries its
 * sequence number and the hash chain, with stats and an end record.
 *
 * Every frame is handed to the sink as soon as it is sealed, so a writer killed
 * mid-capture leaves a file that replays up to its last sealed frame.
 */
import { createHash, sign, type Hash, type KeyObject } from 'node:crypto';
import { encodeManifest, type Manifest } from './manifest.js';
import { recordTsNs, TS_NS_OFFSET } from '../abi/header-access.js';
import {
  FRAME_FIELD, FRAME_HEADER_CHECKED, FRAME_HEADER_PAYLOAD, MAX_FRAME_RAW_BYTES, MAX_RECORD_BYTES, RECORD_LENGTH_PREFIX,
  SKIPPABLE_HEADER_SIZE, SKIPPABLE_MAGIC, TAG_END, TAG_FRAME, TAG_MANIFEST, TAG_STATS, TARGET_FRAME_RAW_BYTES,
} from './format.js';
import { type CaptureTotals, type EndRecord, encodeTotals, type StopReason } from './meta-records.js';
import { FrameCompressor } from './zstd.js';

/** Where bytes go. `write` must take all bytes or throw (the capture stops on a write error). */
export interface ByteSink {
  write(bytes: Uint8Array): void;
}

export interface WriterOptions {
  /** zstd level; low levels keep capture CPU per event small. */
  readonly compressionLevel?: number;
  /** Seal a frame once it holds this many raw bytes. */
  readonly targetFrameBytes?: number;
  /** Ed25519 private key: signs the end record. */
  readonly signingKey?: KeyObject;
  /**
   * Hard limit on the file size. A frame that would not fit (with room kept for
   * the end record) is not written: its records are counted as dropped and the
   * writer is `full`; the caller should then end the capture.
   */
  readonly maxBytes?: number;
}

/** Room kept for the end record (CBOR of a few counters, a hash and a signature) under maxBytes. */
export const END_RECORD_RESERVE = 4096;

export class RgcWriter {
  private readonly chain: Hash = createHash('sha256');
  private readonly compressor: FrameCompressor;
  private readonly targetFrameBytes: number;
  private readonly frame: Uint8Array;
  private readonly frameView: DataView;
  private frameUsed = 0;
  private frameRecords = 0;
  private firstTs = 0n;
  private lastTs = 0n;
  /**
   * Where in the open frame the records holding firstTs and lastTs start (-1:
   * none yet): read as bigints once per frame, at flush. Three bigints per
   * record made most of the drain worker's garbage, and its scavenges stalled
   * the drain (a full ring under a 2M-open loop).
   */
  private firstTsAt = -1;
  private lastTsAt = -1;
  private seq = 0;
  private recordsTotal = 0;
  private bytesTotal = 0;
  private ended = false;
  private dropped = 0;
  private isFull = false;

  constructor(private readonly sink: ByteSink, manifest: Manifest, private readonly options: WriterOptions = {}) {
    this.targetFrameBytes = Math.min(options.targetFrameBytes ?? TARGET_FRAME_RAW_BYTES, MAX_FRAME_RAW_BYTES - MAX_RECORD_BYTES);
    this.frame = new Uint8Array(this.targetFrameBytes + MAX_RECORD_BYTES + RECORD_LENGTH_PREFIX);
    this.frameView = new DataView(this.frame.buffer);
    this.compressor = new FrameCompressor(options.compressionLevel ?? 1, this.frame.length);
    const body = encodeManifest(manifest);
    const payload = new Uint8Array(8 + body.length);
    const view = new DataView(payload.buffer);
    view.setUint32(0, TAG_MANIFEST, true);
    view.setUint32(4, manifest.format_version, true);
    payload.set(body, 8);
    this.emit(skippable(payload));
  }

  /** File bytes written so far. */
  get bytesWritten(): number {
    return this.bytesTotal;
  }

  /** Records in sealed frames (already handed to the sink). */
  get recordsWritten(): number {
    return this.recordsTotal;
  }

  /** Records appended so far, sealed or still in the open frame. */
  get recordsAppended(): number {
    return this.recordsTotal + this.frameRecords;
  }

  get framesWritten(): number {
    return this.seq;
  }

  /** True once a frame did not fit under maxBytes; further records are dropped. */
  get full(): boolean {
    return this.isFull;
  }

  /** Records dropped because the file reached maxBytes. */
  get droppedRecords(): number {
    return this.dropped;
  }

  /** SHA-256 of every byte written so far (after `end`, of the whole file). */
  fileSha256(): string {
    return this.chain.copy().digest('hex');
  }

  /** Raw bytes waiting in the open frame. */
  get pendingBytes(): number {
    return this.frameUsed;
  }

  /** Appends one record verbatim. Seals the frame first if the record would overflow it. */
  append(bytes: Uint8Array, offset: number, length: number): void {
    if (this.ended) throw new Error('rgc: append after end');
    if (length > MAX_RECORD_BYTES) throw new RangeError(`rgc: record of ${length} bytes exceeds ${MAX_RECORD_BYTES}`);
    if (this.isFull) {
      this.dropped++;
      return;
    }
    if (this.frameUsed + RECORD_LENGTH_PREFIX + length > this.frame.length) this.flush();
    const at = this.frameUsed;
    this.frameView.setUint32(at, length, true);
    this.frame.set(bytes.subarray(offset, offset + length), at + RECORD_LENGTH_PREFIX);
    this.frameUsed = at + RECORD_LENGTH_PREFIX + length;
    if (length >= TS_NS_OFFSET + 8) {
      if (this.frameRecords === 0) this.firstTsAt = at + RECORD_LENGTH_PREFIX;
      this.lastTsAt = at + RECORD_LENGTH_PREFIX;
    }
    this.frameRecords++;
    if (this.frameUsed >= this.targetFrameBytes) this.flush();
  }

  /** Seals and writes the open frame, if it holds anything. */
  flush(): void {
    if (this.frameRecords === 0) return;
    if (this.firstTsAt >= 0) this.firstTs = recordTsNs(this.frame, this.firstTsAt);
    if (this.lastTsAt >= 0) this.lastTs = recordTsNs(this.frame, this.lastTsAt);
    this.firstTsAt = -1;
    this.lastTsAt = -1;
    const raw = this.frame.subarray(0, this.frameUsed);
    const compressed = this.compressor.compress(raw);
    const limit = this.options.maxBytes;
    if (limit !== undefined && this.bytesTotal + SKIPPABLE_HEADER_SIZE + FRAME_HEADER_PAYLOAD + compressed.length + END_RECORD_RESERVE > limit) {
      this.isFull = true;
      this.dropped += this.frameRecords;
      this.frameUsed = 0;
      this.frameRecords = 0;
      return;
    }
    // Header and data in one buffer, written by one call: a recorder killed between two writes left a header
    // without its frame, and a reader saw a cut it could not tell from damage.
    const framed = new Uint8Array(SKIPPABLE_HEADER_SIZE + FRAME_HEADER_PAYLOAD + compressed.length);
    const header = framed.subarray(0, SKIPPABLE_HEADER_SIZE + FRAME_HEADER_PAYLOAD);
    const view = new DataView(framed.buffer);
    view.setUint32(0, SKIPPABLE_MAGIC, true);
    view.setUint32(4, FRAME_HEADER_PAYLOAD, true);
    const p = SKIPPABLE_HEADER_SIZE;
    view.setUint32(p + FRAME_FIELD.tag, TAG_FRAME, true);
    view.setUint32(p + FRAME_FIELD.recordCount, this.frameRecords, true);
    view.setBigUint64(p + FRAME_FIELD.seq, BigInt(this.seq), true);
    view.setUint32(p + FRAME_FIELD.rawSize, raw.length, true);
    view.setUint32(p + FRAME_FIELD.compressedSize, compressed.length, true);
    view.setBigUint64(p + FRAME_FIELD.firstTs, this.firstTs, true);
    view.setBigUint64(p + FRAME_FIELD.lastTs, this.lastTs, true);
    header.set(this.chain.copy().digest(), p + FRAME_FIELD.chain);
    header.set(headerCheck(header.subarray(p, p + FRAME_HEADER_CHECKED)), p + FRAME_HEADER_CHECKED);
    framed.set(compressed, header.length);
    this.emit(framed);
    this.seq++;
    this.recordsTotal += this.frameRecords;
    this.frameUsed = 0;
    this.frameRecords = 0;
  }

  /** Seals the open frame, then writes a stats record with the writer's totals and the caller's loss counts. */
  writeStats(lostKernelByCpu: readonly number[], lostUser: number, monotonicNs: bigint): CaptureTotals {
    this.flush();
    const totals: CaptureTotals = { frames: this.seq, records: this.recordsTotal, lost_kernel_by_cpu: [...lostKernelByCpu], lost_user: lostUser, monotonic_ns: monotonicNs };
    const record = skippable(tagged(TAG_STATS, encodeTotals(totals)));
    // Under a size limit, stats give way to the end record, which carries the same totals.
    const limit = this.options.maxBytes;
    if (limit === undefined || this.bytesTotal + record.length + END_RECORD_RESERVE <= limit) this.emit(record);
    return totals;
  }

  /** Seals the open frame and writes the end record; the writer accepts nothing after this. */
  end(stopReason: StopReason, lostKernelByCpu: readonly number[], lostUser: number, monotonicNs: bigint): EndRecord {
    this.flush();
    this.ended = true;
    const record: EndRecord = {
      frames: this.seq, records: this.recordsTotal, lost_kernel_by_cpu: [...lostKernelByCpu], lost_user: lostUser,
      monotonic_ns: monotonicNs, stop_reason: stopReason, chain_sha256: this.chain.copy().digest(),
    };
    const body = encodeTotals(record);
    const signature = this.options.signingKey ? sign(null, body, this.options.signingKey) : new Uint8Array(0);
    const payload = new Uint8Array(8 + body.length + signature.length);
    const view = new DataView(payload.buffer);
    view.setUint32(0, TAG_END, true);
    view.setUint32(4, body.length, true);
    payload.set(body, 8);
    payload.set(signature, 8 + body.length);
    this.emit(skippable(payload));
    return record;
  }

  private emit(bytes: Uint8Array): void {
    this.sink.write(bytes);
    this.chain.update(bytes);
    this.bytesTotal += bytes.length;
  }
}

/** First 8 bytes of SHA-256 of a frame header's checked part. */
export function headerCheck(checked: Uint8Array): Uint8Array {
  return createHash('sha256').update(checked).digest().subarray(0, 8);
}

function tagged(tag: number, body: Uint8Array): Uint8Array {
  const payload = new Uint8Array(4 + body.length);
  new DataView(payload.buffer).setUint32(0, tag, true);
  payload.set(body, 4);
  return payload;
}

function skippable(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(SKIPPABLE_HEADER_SIZE + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, SKIPPABLE_MAGIC, true);
  view.setUint32(4, payload.length, true);
  out.set(payload, SKIPPABLE_HEADER_SIZE);
  return out;
}
