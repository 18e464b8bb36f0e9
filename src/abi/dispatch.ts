/**
 * The dispatcher: the one gate every record passes, in capture (live --json)
 * and in replay. It classifies raw bytes as a known kind or as InvalidSchema
 * with a reason, checking in a fixed order and never guessing. It allocates
 * nothing per record so replay can run it millions of times a second.
 */
import { RECORD_HEADER_SIZE, recordKind, recordSize, recordVersion } from './header-access.js';
import { BUILD_SCHEMA, type Schema } from './schema.js';

/** Why a record was rejected, in the order the checks run. */
export const InvalidReason = {
  TooShort: 'too_short',
  VersionMismatch: 'version_mismatch',
  UnknownKind: 'unknown_kind',
  SizeMismatch: 'size_mismatch',
  LengthMismatch: 'length_mismatch',
} as const;
export type InvalidReason = (typeof InvalidReason)[keyof typeof InvalidReason];

/** Reason codes returned by `classifyRecord` (negative, so any value > 0 is a kind id). */
export const REASON_CODES: readonly InvalidReason[] = [
  InvalidReason.TooShort, InvalidReason.VersionMismatch, InvalidReason.UnknownKind,
  InvalidReason.SizeMismatch, InvalidReason.LengthMismatch,
];
const TOO_SHORT = -1;
const VERSION_MISMATCH = -2;
const UNKNOWN_KIND = -3;
const SIZE_MISMATCH = -4;
const LENGTH_MISMATCH = -5;

export function reasonOfCode(code: number): InvalidReason {
  const reason = REASON_CODES[-code - 1];
  if (reason === undefined) throw new RangeError(`dispatch: ${code} is not a rejection code`);
  return reason;
}

/**
 * Classifies the record at `bytes[offset, offset + length)`.
 * Returns its kind id (> 0) or a negative rejection code (see `reasonOfCode`).
 * Checks, in order: shorter than a header; schema version; known kind;
 * declared size equals the kind's struct size; record length equals the declared size.
 */
export function classifyRecord(bytes: Uint8Array, offset: number, length: number, schema: Schema = BUILD_SCHEMA): number {
  return classify(bytes, offset, length, schema.version, schema.sizes);
}

function classify(bytes: Uint8Array, offset: number, length: number, version: number, sizes: Uint32Array): number {
  if (length < RECORD_HEADER_SIZE) return TOO_SHORT;
  if (recordVersion(bytes, offset) !== version) return VERSION_MISMATCH;
  const kind = recordKind(bytes, offset);
  const expected = kind < sizes.length ? sizes[kind] : 0;
  if (expected === 0) return UNKNOWN_KIND;
  const declared = recordSize(bytes, offset);
  if (declared !== expected) return SIZE_MISMATCH;
  if (length !== declared) return LENGTH_MISMATCH;
  return kind;
}

/** The kind field as written in a record's header, or -1 if the record is too short to have one. */
export function rawKindOf(bytes: Uint8Array, offset: number, length: number): number {
  return length >= 4 ? recordKind(bytes, offset) : -1;
}

/**
 * Counts what the dispatcher saw: accepted records by kind, rejected ones by
 * reason and by the kind their header claimed (-1 when too short to tell).
 */
export class DispatchCounts {
  readonly acceptedByKind = new Float64Array(256);
  readonly rejected = new Map<InvalidReason, Map<number, number>>();
  rejectedTotal = 0;
  acceptedTotal = 0;
  private readonly version: number;
  private readonly sizes: Uint32Array;

  constructor(readonly schema: Schema = BUILD_SCHEMA) {
    this.version = schema.version;
    this.sizes = schema.sizes;
  }

  /** Classifies and counts in one step; returns what `classifyRecord` returns. */
  dispatch(bytes: Uint8Array, offset: number, length: number): number {
    const code = classify(bytes, offset, length, this.version, this.sizes);
    if (code > 0) {
      this.acceptedByKind[code]++;
      this.acceptedTotal++;
    } else {
      this.countRejected(code, rawKindOf(bytes, offset, length));
    }
    return code;
  }

  /** Counts a record accepted by another classifier (decoding by a manifest's schema). */
  countAccepted(kind: number): void {
    this.acceptedByKind[kind]++;
    this.acceptedTotal++;
  }

  /** Counts a record rejected by another classifier, by reason name. */
  countRejectedReason(reason: InvalidReason, rawKind: number): void {
    this.countRejected(-(REASON_CODES.indexOf(reason) + 1), rawKind);
  }

  private countRejected(code: number, rawKind: number): void {
    const reason = reasonOfCode(code);
    let byKind = this.rejected.get(reason);
    if (byKind === undefined) {
      byKind = new Map();
      this.rejected.set(reason, byKind);
    }
    byKind.set(rawKind, (byKind.get(rawKind) ?? 0) + 1);
    this.rejectedTotal++;
  }
}
