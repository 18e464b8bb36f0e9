/**
 * A capture's output plan (one file, or rotated segments) and the segment
 * names, apart from segments.ts so the main thread can use them without
 * loading the writer, zstd and CBOR that only the drain worker needs.
 */

export interface SegmentPlan {
  /** The path given with -o ('-' for stdout). */
  readonly output: string;
  readonly rotateBytes: number | null;
  readonly rotateMs: number | null;
  /** Segments kept on disk (oldest deleted first); null keeps all. */
  readonly keep: number | null;
  readonly maxBytes: number | null;
  readonly force: boolean;
}

export function rotates(plan: SegmentPlan): boolean {
  return plan.rotateBytes !== null || plan.rotateMs !== null;
}

/** `host.rgc` -> `host.000003.rgc`: names sort in capture order. */
export function segmentPath(output: string, index: number): string {
  const stem = output.endsWith('.rgc') ? output.slice(0, -4) : output;
  return `${stem}.${String(index).padStart(6, '0')}.rgc`;
}
