/** Hand-built .rgc pieces for hostile-input tests: valid framing around invalid content. */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { FRAME_FIELD, FRAME_HEADER_CHECKED, FRAME_HEADER_PAYLOAD, SKIPPABLE_MAGIC, TAG_END, TAG_FRAME } from '../../src/rgc/format.js';
import { decodeEnd, encodeTotals } from '../../src/rgc/meta-records.js';
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

/**
 * The pieces one after the other, with the hash chain a writer would have
 * written: each piece that starts with a frame header whose check holds, or
 * with an unsigned end record, gets the SHA-256 of every byte before it (and
 * a frame header its check again). For files whose point is not the chain.
 */
export function chained(pieces: readonly Uint8Array[]): Buffer {
  const out: Buffer[] = [];
  const hash = createHash('sha256');
  for (const piece of pieces) {
    let p = Buffer.from(piece);
    const tag = p.length >= 12 && p.readUInt32LE(0) === SKIPPABLE_MAGIC ? p.readUInt32LE(8) : -1;
    if (tag === TAG_FRAME && p.readUInt32LE(4) === FRAME_HEADER_PAYLOAD && p.length >= 8 + FRAME_HEADER_PAYLOAD) {
      const payload = p.subarray(8, 8 + FRAME_HEADER_PAYLOAD);
      if (Buffer.from(headerCheck(payload.subarray(0, FRAME_HEADER_CHECKED))).equals(payload.subarray(FRAME_HEADER_CHECKED))) {
        hash.copy().digest().copy(payload, FRAME_FIELD.chain);
        Buffer.from(headerCheck(payload.subarray(0, FRAME_HEADER_CHECKED))).copy(payload, FRAME_HEADER_CHECKED);
      }
    } else if (tag === TAG_END && p.readUInt32LE(4) === p.length - 8 && p.readUInt32LE(12) === p.length - 16) {
      const e = decodeEnd(p.subarray(16));
      if (e !== null) {
        const body = encodeTotals({ ...e, chain_sha256: hash.copy().digest() });
        const head = Buffer.alloc(16);
        head.writeUInt32LE(SKIPPABLE_MAGIC, 0);
        head.writeUInt32LE(8 + body.length, 4);
        head.writeUInt32LE(TAG_END, 8);
        head.writeUInt32LE(body.length, 12);
        p = Buffer.concat([head, body]);
      }
    }
    hash.update(p);
    out.push(p);
  }
  return Buffer.concat(out);
}

/** A frame header with a correct check (so the reader trusts it) followed by its zstd frame; its chain is zeros (see `chained`). */
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
