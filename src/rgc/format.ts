/**
 * The .rgc container, byte for byte (docs/FORMAT.md is the prose version).
 *
 * A capture is a valid zstd stream: metadata lives in zstd *skippable* frames,
 * which `zstd -dc` ignores, and records live in ordinary zstd frames, so
 * decompressing the whole file yields exactly the length-prefixed records.
 *
 *   file     = manifest (frame-header data-frame | stats)* end?
 *   skippable frame = u32 magic 0x184D2A5E | u32 payload size | payload
 *   payload  = 4-byte ASCII tag | body
 *
 * Every limit below bounds an allocation made from a length read out of a
 * file: a reader never allocates more than these, whatever the file says.
 */

import { fieldOf, layoutStruct, type StructLayout } from '../abi/layout.js';

export const FORMAT_VERSION = 1;

/** zstd reserves 0x184D2A50..0x184D2A5F for skippable frames; we use one value for all our metadata. */
export const SKIPPABLE_MAGIC = 0x184d2a5e;
export const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
export const SKIPPABLE_BASE = 0x184d2a50;
export const ZSTD_MAGIC = 0xfd2fb528;
export const SKIPPABLE_HEADER_SIZE = 8;

/** Payload tags (read as little-endian u32 of the ASCII bytes). */
export const TAG_MANIFEST = tagValue('RGCM');
export const TAG_FRAME = tagValue('RGCF');
export const TAG_STATS = tagValue('RGCS');
export const TAG_END = tagValue('RGCE');

export function tagValue(ascii: string): number {
  return (ascii.charCodeAt(0) | (ascii.charCodeAt(1) << 8) | (ascii.charCodeAt(2) << 16) | (ascii.charCodeAt(3) << 24)) >>> 0;
}

/**
 * Frame header payload (after the 8-byte skippable header), 80 bytes, laid
 * out like a record (natural alignment, little-endian, no padding). Readers
 * and writers use the named offsets in FRAME_FIELD, never literal ones.
 */
export const FRAME_HEADER: StructLayout = layoutStruct('rgc_frame_header', [
  { name: 'tag', type: 'u32', doc: "'RGCF'" },
  { name: 'record_count', type: 'u32', doc: 'records in the data frame that follows' },
  { name: 'seq', type: 'u64', doc: 'frames are numbered 0, 1, 2, ... in write order' },
  { name: 'raw_size', type: 'u32', doc: 'bytes the data frame decompresses to' },
  { name: 'compressed_size', type: 'u32', doc: 'bytes of the zstd frame that follows' },
  { name: 'first_ts', type: 'u64', doc: 'ts_ns of the first and last record (0 when none)' },
  { name: 'last_ts', type: 'u64', doc: 'ts_ns of the last record' },
  { name: 'chain', type: 'bytes', count: 32, doc: 'SHA-256 of every file byte before this frame header' },
  { name: 'check', type: 'bytes', count: 8, doc: 'first 8 bytes of SHA-256 of the payload before it: a damaged header is caught before its sizes are trusted' },
]);
const at = (name: string) => fieldOf(FRAME_HEADER, name).offset;
/** Offsets of the frame header's fields within its payload. */
export const FRAME_FIELD = {
  tag: at('tag'), recordCount: at('record_count'), seq: at('seq'), rawSize: at('raw_size'), compressedSize: at('compressed_size'),
  firstTs: at('first_ts'), lastTs: at('last_ts'), chain: at('chain'), check: at('check'),
} as const;
export const FRAME_HEADER_PAYLOAD = FRAME_HEADER.size;
/** Bytes of the payload the check covers: everything before it. */
export const FRAME_HEADER_CHECKED = FRAME_FIELD.check;

/** Largest manifest payload accepted. */
export const MAX_MANIFEST_BYTES = 1 << 20;
/** Largest stats or end payload accepted. */
export const MAX_META_BYTES = 64 << 10;
/** Writers aim for data frames of about this many raw bytes (and at most ~1 s of events). */
export const TARGET_FRAME_RAW_BYTES = 1 << 20;
/** Readers reject frames that claim more raw bytes than this. */
export const MAX_FRAME_RAW_BYTES = 4 << 20;
/** Readers reject data frames larger than this (zstd's bound for MAX_FRAME_RAW_BYTES, rounded up). */
export const MAX_FRAME_COMPRESSED_BYTES = MAX_FRAME_RAW_BYTES + (64 << 10);
/** Largest single record; the kernel's are < 1 KiB. */
export const MAX_RECORD_BYTES = 64 << 10;
/** Each record in a data frame is preceded by its length. */
export const RECORD_LENGTH_PREFIX = 4;
