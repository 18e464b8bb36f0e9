/** Hand-built .rgc pieces for hostile-input tests: valid framing around invalid content. */
import { createRequire } from 'node:module';
import { FRAME_FIELD, FRAME_HEADER_CHECKED, FRAME_HEADER_PAYLOAD, SKIPPABLE_MAGIC, TAG_FRAME } from '../../src/rgc/format.js';
import { headerCheck } from '../../src/rgc/writer.js';

const zstd = createRequire(import.meta.url)('zstd-napi') as { compress(b: Uint8Array): Buffer };

export function skippable(magic: number, payload: Uint8Array, sizeClaim = payload.length): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(magic >>> 0, 0);
  head.writeUInt32LE(sizeClaim >>> 0, 4);
  return Buffer.concat([head, payload]);
}

export interface FrameSpec {
  seq: number;
  records?: number;
  raw: Uint8Array;
  /** Override what the header claims. */
  rawSizeClaim?: number;
  compressed?: Uint8Array;
  compressedSizeClaim?: number;
}

/** A frame header with a correct check (so the reader trusts it) followed by its zstd frame. */
export function frame(f: FrameSpec): Buffer {
  const compressed = f.compressed ?? zstd.compress(f.raw);
  const payload = Buffer.alloc(FRAME_HEADER_PAYLOAD);
  payload.writeUInt32LE(TAG_FRAME, FRAME_FIELD.tag);
  payload.writeUInt32LE(f.records ?? 0, FRAME_FIELD.recordCount);
  payload.writeBigUInt64LE(BigInt(f.seq), FRAME_FIELD.seq);
  payload.writeUInt32LE((f.rawSizeClaim ?? f.raw.length) >>> 0, FRAME_FIELD.rawSize);
  payload.writeUInt32LE((f.compressedSizeClaim ?? compressed.length) >>> 0, FRAME_FIELD.compressedSize);
  Buffer.from(headerCheck(payload.subarray(0, FRAME_HEADER_CHECKED))).copy(payload, FRAME_HEADER_CHECKED);
  return Buffer.concat([skippable(SKIPPABLE_MAGIC, payload), compressed]);
}

/** Length-prefixed records as a data frame holds them. */
export function recordStream(records: Uint8Array[], lengthClaims?: number[]): Buffer {
  return Buffer.concat(records.flatMap((r, i) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE((lengthClaims?.[i] ?? r.length) >>> 0);
    return [len, Buffer.from(r)];
  }));
}
