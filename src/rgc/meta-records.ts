/**
 * Stats and end records: the capture's own account of what it wrote and what
 * it lost, so that loss is never silent and truncation is detectable.
 */
import { decodeCbor, encodeCbor } from './manifest.js';
import { asU64, isRecord } from './manifest-shape.js';

export interface CaptureTotals {
  /** Data frames written so far. */
  readonly frames: number;
  /** Records written so far. */
  readonly records: number;
  /** Ring-buffer reservations that failed in the kernel, per possible CPU (cumulative). */
  readonly lost_kernel_by_cpu: readonly number[];
  /** Records user space had to drop (e.g. after a write error), cumulative. */
  readonly lost_user: number;
  /** CLOCK_MONOTONIC ns when these totals were taken. */
  readonly monotonic_ns: bigint;
}

export type StopReason = 'signal' | 'duration' | 'command_exit' | 'max_size' | 'rotate' | 'write_error' | 'synthetic';

export interface EndRecord extends CaptureTotals {
  readonly stop_reason: StopReason;
  /** SHA-256 of every file byte before the end frame. */
  readonly chain_sha256: Uint8Array;
}

/**
 * A count summed exactly: each counter is a safe integer, their sum need not
 * be (two of 2^53 - 1 added as doubles lose the last digit). A number while
 * it is safe, so JSON and goldens are unchanged; a bigint past 2^53 - 1.
 */
export type ExactCount = number | bigint;

export function exactSum(counts: readonly ExactCount[]): ExactCount {
  let sum = 0n;
  for (const n of counts) sum += BigInt(n);
  return sum <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sum) : sum;
}

export function sumLost(byCpu: readonly number[]): ExactCount {
  return exactSum(byCpu);
}

export function encodeTotals(t: CaptureTotals | EndRecord): Uint8Array {
  return encodeCbor(t);
}

/** Decodes stats or end CBOR; returns null when the shape is wrong (damage, reported by the caller). */
export function decodeTotals(bytes: Uint8Array): CaptureTotals | null {
  const v = decodeCbor(bytes);
  if (!isRecord(v)) return null;
  if (!isCount(v.frames) || !isCount(v.records) || !isCount(v.lost_user)) return null;
  if (!Array.isArray(v.lost_kernel_by_cpu) || v.lost_kernel_by_cpu.length > 8192 || !v.lost_kernel_by_cpu.every(isCount)) return null;
  // A clock reading: an integer, as the writer wrote it (a float or NaN here is damage, not a time).
  const mono = asU64(v.monotonic_ns);
  if (mono === null) return null;
  return { frames: v.frames, records: v.records, lost_kernel_by_cpu: v.lost_kernel_by_cpu as number[], lost_user: v.lost_user, monotonic_ns: mono };
}

export function decodeEnd(bytes: Uint8Array): EndRecord | null {
  const totals = decodeTotals(bytes);
  const v = decodeCbor(bytes);
  if (totals === null || !isRecord(v)) return null;
  if (typeof v.stop_reason !== 'string' || !(v.chain_sha256 instanceof Uint8Array) || v.chain_sha256.length !== 32) return null;
  return { ...totals, stop_reason: v.stop_reason as StopReason, chain_sha256: v.chain_sha256 };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
