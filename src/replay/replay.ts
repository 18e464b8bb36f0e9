/**
 * The replay loop: file bytes -> RgcReader -> dispatcher -> sink, with every
 * count an analyst needs afterwards (kinds, rejections, loss, damage, time range).
 */
import { DispatchCounts, rawKindOf, reasonOfCode } from '../abi/dispatch.js';
import { type Damage } from '../rgc/damage.js';
import { type Manifest } from '../rgc/manifest.js';
import { type CaptureTotals, type EndRecord } from '../rgc/meta-records.js';
import { RecordCursor, RgcReader, type ReadSummary } from '../rgc/reader.js';
import { WallClock } from '../output/wall-clock.js';
import { readInput } from './input.js';
import { type EventSink } from './sinks.js';

/** Damage entries kept in memory per file; the rest are only counted (a hostile file could hold millions). */
const MAX_DAMAGE_KEPT = 1000;

export interface FileReport {
  readonly path: string;
  readonly manifest: Manifest | null;
  readonly summary: ReadSummary;
  readonly end: EndRecord | null;
  /** The latest stats or end totals the file carries. */
  readonly totals: CaptureTotals | null;
  readonly damage: readonly Damage[];
  readonly damageCount: number;
}

export interface ReplayTotals {
  readonly counts: DispatchCounts;
  readonly files: FileReport[];
  /** Smallest and largest ts_ns of accepted records (null when none). */
  minTs: bigint | null;
  maxTs: bigint | null;
}

export interface ReplayHooks {
  /** Called with each damage as it is found (stderr reporting). */
  onDamage?(path: string, d: Damage): void;
}

export function newTotals(): ReplayTotals {
  return { counts: new DispatchCounts(), files: [], minTs: null, maxTs: null };
}

/** Replays one input into `sink`, adding to `totals`. */
export function replayFile(path: string, sink: EventSink, totals: ReplayTotals, hooks: ReplayHooks = {}): FileReport {
  let manifest: Manifest | null = null;
  let end: EndRecord | null = null;
  let stats: CaptureTotals | null = null;
  const damage: Damage[] = [];
  let damageCount = 0;
  const counts = totals.counts;
  // Time range tracked as two u32 halves to stay off BigInt per record.
  let minHi = 0xffffffff, minLo = 0xffffffff, maxHi = -1, maxLo = -1;
  sink.begin(null);

  const recordDamage = (d: Damage) => {
    damageCount++;
    if (damage.length < MAX_DAMAGE_KEPT) damage.push(d);
    hooks.onDamage?.(path, d);
  };

  const records = new RecordCursor();
  const reader = new RgcReader({
    manifest(m) {
      manifest = m;
      sink.begin(new WallClock(m.clock.realtime_ns, m.clock.monotonic_ns));
    },
    frame(h, raw) {
      let index = 0;
      // The time range in locals for the frame, folded into the file's once per frame (see RecordCursor).
      let fMinHi = minHi, fMinLo = minLo, fMaxHi = maxHi, fMaxLo = maxLo;
      records.reset(raw);
      while (records.next()) {
        const offset = records.offset;
        const length = records.length;
        const code = counts.dispatch(raw, offset, length);
        if (code > 0) {
          const lo = (raw[offset + 8] | (raw[offset + 9] << 8) | (raw[offset + 10] << 16) | (raw[offset + 11] << 24)) >>> 0;
          const hi = (raw[offset + 12] | (raw[offset + 13] << 8) | (raw[offset + 14] << 16) | (raw[offset + 15] << 24)) >>> 0;
          if (hi < fMinHi || (hi === fMinHi && lo < fMinLo)) { fMinHi = hi; fMinLo = lo; }
          if (hi > fMaxHi || (hi === fMaxHi && lo > fMaxLo)) { fMaxHi = hi; fMaxLo = lo; }
          sink.event(code, raw, offset);
        } else {
          sink.rejected({ reason: reasonOfCode(code), rawKind: rawKindOf(raw, offset, length), length, frameSeq: h.seq, index });
        }
        index++;
      }
      minHi = fMinHi; minLo = fMinLo; maxHi = fMaxHi; maxLo = fMaxLo;
      const problem = records.problem;
      if (problem !== null) {
        recordDamage({ kind: 'bad_record_length', offset: h.offset, length: 0, seq: h.seq, recordsLost: Math.max(0, h.recordCount - index), detail: problem });
      } else if (index !== h.recordCount) {
        recordDamage({ kind: 'bad_record_length', offset: h.offset, length: 0, seq: h.seq, detail: `frame holds ${index} records, header says ${h.recordCount}` });
      }
    },
    stats(t) { stats = t; },
    end(e) { end = e; stats = e; },
    damage: recordDamage,
  });
  readInput(path, (chunk) => reader.push(chunk));
  const summary = reader.finish();
  sink.flush();
  if (maxHi >= 0) {
    const min = (BigInt(minHi) << 32n) | BigInt(minLo);
    const max = (BigInt(maxHi) << 32n) | BigInt(maxLo);
    if (totals.minTs === null || min < totals.minTs) totals.minTs = min;
    if (totals.maxTs === null || max > totals.maxTs) totals.maxTs = max;
  }
  const report: FileReport = { path, manifest, summary, end, totals: stats, damage, damageCount };
  totals.files.push(report);
  return report;
}
