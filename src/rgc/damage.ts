/** What a reader found wrong with a file, precisely enough to act on. */
export type DamageKind =
  | 'bad_manifest'        // manifest unreadable or not as the format defines it: records still replay, wall-clock times are unknown
  | 'bad_frame_header'    // a frame header failed its check or declared impossible sizes
  | 'bad_data_frame'      // a data frame failed to decompress or its checksum/size did not match
  | 'frame_gap'           // sequence numbers skipped: frames are missing
  | 'duplicate_frame'     // a sequence number seen before: skipped, not replayed twice
  | 'reordered_frame'     // a frame that was missing (a gap) turns up later: out of order, replayed
  | 'bad_record_length'   // a record length inside a verified frame ran past the frame
  | 'bad_meta'            // a stats or end record was unreadable or held values of the wrong type (not trusted)
  | 'unexpected_frame'    // a zstd frame without our header, or a second manifest
  | 'garbage'             // bytes that belong to no frame, skipped while resynchronising
  | 'truncated'           // the file ends in the middle of a frame
  | 'after_end'           // bytes after the end record
  | 'totals_mismatch'     // the end record's totals disagree with what was read, or a cumulative counter went down
  | 'chain_broken'        // a frame header's or the end record's hash chain differs from the bytes before it
  | 'signature_missing'   // the manifest names a signing key but the end record carries no signature
  | 'segment_gap'         // segments of the capture between two given ones are missing
  | 'segment_link';       // a segment's previous_sha256 is not the SHA-256 of the segment given before it

export interface Damage {
  readonly kind: DamageKind;
  /** File offset where the damaged region starts, and its length in bytes (0 when it is a point). */
  readonly offset: number;
  readonly length: number;
  /** Frame sequence number concerned, when known. */
  readonly seq?: number;
  /** Records known to be lost (from the damaged frame's header), when known. */
  readonly recordsLost?: number;
  readonly detail: string;
}

/**
 * A file cut short (`truncated`) is incomplete, not damaged: a recorder killed
 * or a disk filled mid-write leaves exactly that, and everything before the
 * cut was read. Every other kind makes the capture damaged.
 */
export function isDamage(d: Damage): boolean {
  return d.kind !== 'truncated';
}

export function describeDamage(d: Damage): string {
  const where = d.length > 0 ? `bytes ${d.offset}-${d.offset + d.length - 1}` : `byte ${d.offset}`;
  const seq = d.seq !== undefined ? ` frame ${d.seq}` : '';
  const lost = d.recordsLost !== undefined ? ` (${d.recordsLost} records lost)` : '';
  return `${d.kind} at ${where}${seq}: ${d.detail}${lost}`;
}
