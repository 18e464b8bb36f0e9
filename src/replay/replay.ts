/**
 * The replay loop: file bytes -> RgcReader -> dispatcher -> session, with
 * every count an analyst needs afterwards (kinds, rejections, loss, damage,
 * time range). One input, or segments of one capture, replay in file order;
 * independent captures are merged in wall-clock order (merge.ts).
 */
import { type Damage } from '../rgc/damage.js';
import { type Manifest } from '../rgc/manifest.js';
import { type CaptureTotals, type EndRecord } from '../rgc/meta-records.js';
import { RecordCursor, RgcReader, type ReadSummary } from '../rgc/reader.js';
import { readInput } from './input.js';
import { type InputContext, type ReplaySession } from './session.js';
import { ManifestSchemaTranslator } from './schema-audit.js';
import { rawKindOf, REASON_CODES } from '../abi/dispatch.js';
import { recordTsNsHi, recordTsNsLo } from '../abi/header-access.js';

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
  return { files: [], minTs: null, maxTs: null };
}

/** Collects what a file says about itself while it is read. */
export class FileState {
  manifest: Manifest | null = null;
  end: EndRecord | null = null;
  stats: CaptureTotals | null = null;
  readonly damage: Damage[] = [];
  damageCount = 0;
  ctx: InputContext;
  /** With --schema manifest: decodes this file's records by its own manifest's layouts. */
  translator: ManifestSchemaTranslator | null = null;

  constructor(readonly path: string, private readonly session: ReplaySession, private readonly hooks: ReplayHooks) {
    this.ctx = session.contextFor(path, null);
  }

  onManifest(m: Manifest): void {
    this.manifest = m;
    this.ctx = this.session.contextFor(this.path, m);
    if (this.session.options.decodeBy === 'manifest') this.translator = new ManifestSchemaTranslator(m.schema, this.session.schema);
  }

  recordDamage = (d: Damage): void => {
    this.damageCount++;
    if (this.damage.length < MAX_DAMAGE_KEPT) this.damage.push(d);
    this.hooks.onDamage?.(this.path, d);
  };

  report(summary: ReadSummary): FileReport {
    return { path: this.path, manifest: this.manifest, summary, end: this.end, totals: this.stats, damage: this.damage, damageCount: this.damageCount };
  }
}

/**
 * The smallest and largest record time of a file as u32 halves (high word,
 * low word), to stay off BigInt per record: MIN_HI, MIN_LO, MAX_HI, MAX_LO.
 */
type TimeRange = Float64Array;
const MIN_HI = 0, MIN_LO = 1, MAX_HI = 2, MAX_LO = 3;
const newTimeRange = (): TimeRange => Float64Array.of(0xffffffff, 0xffffffff, -1, -1);

/**
 * The frame's records decoded by this build's schema (the fast path); returns
 * the record count. Its own function, with nothing after the loop but the
 * return: V8 compiles a long-running loop on the fly (OSR) before code after
 * the loop has ever run, and when that code was the frame handler's own
 * epilogue, the OSR code deoptimised at the end of every frame and was
 * re-entered at the next (rg-replay --json, 1M events: ~200 deopts; the
 * handler's loop mostly ran unoptimised).
 */
function replayRecords(records: RecordCursor, raw: Uint8Array, seq: number, session: ReplaySession, ctx: InputContext, range: TimeRange): number {
  const counts = session.counts;
  let index = 0;
  let minHi = range[MIN_HI], minLo = range[MIN_LO], maxHi = range[MAX_HI], maxLo = range[MAX_LO];
  while (records.next()) {
    const offset = records.offset;
    const length = records.length;
    const code = counts.dispatch(raw, offset, length);
    if (code > 0) {
      const lo = recordTsNsLo(raw, offset);
      const hi = recordTsNsHi(raw, offset);
      // Stored as they change, inside the loop: see above for why nothing follows it.
      if (hi < minHi || (hi === minHi && lo < minLo)) { minHi = hi; minLo = lo; range[MIN_HI] = hi; range[MIN_LO] = lo; }
      if (hi > maxHi || (hi === maxHi && lo > maxLo)) { maxHi = hi; maxLo = lo; range[MAX_HI] = hi; range[MAX_LO] = lo; }
      session.accept(ctx, code, raw, offset);
    } else {
      session.reject(code, raw, offset, length, seq, index);
    }
    index++;
  }
  return index;
}

/** The frame's records decoded by the file's own schema (slow path: --schema manifest). Returns the record count. */
function replayTranslated(t: ManifestSchemaTranslator, records: RecordCursor, raw: Uint8Array, seq: number, session: ReplaySession, ctx: InputContext): number {
  let index = 0;
  while (records.next()) {
    const { offset, length } = records;
    const verdict = t.classify(raw, offset, length);
    if (typeof verdict === 'number') {
      session.counts.countAccepted(verdict);
      const { record, unavailable } = t.translate(verdict, raw, offset);
      session.accept(ctx, verdict, record, 0, unavailable);
    } else {
      session.counts.countRejectedReason(verdict, rawKindOf(raw, offset, length));
      session.reject(-(REASON_CODES.indexOf(verdict) + 1), raw, offset, length, seq, index);
    }
    index++;
  }
  return index;
}

export function foldTimeRange(totals: ReplayTotals, minHi: number, minLo: number, maxHi: number, maxLo: number): void {
  if (maxHi < 0) return;
  const min = (BigInt(minHi) << 32n) | BigInt(minLo);
  const max = (BigInt(maxHi) << 32n) | BigInt(maxLo);
  if (totals.minTs === null || min < totals.minTs) totals.minTs = min;
  if (totals.maxTs === null || max > totals.maxTs) totals.maxTs = max;
}

/** Replays one input in file order through `session`, adding to `totals`. */
export function replayFile(path: string, session: ReplaySession, totals: ReplayTotals, hooks: ReplayHooks = {}): FileReport {
  const file = new FileState(path, session, hooks);
  const sink = session.options.sink;
  const range = newTimeRange();
  sink.begin(null);

  const records = new RecordCursor();
  const reader = new RgcReader({
    manifest(m) {
      file.onManifest(m);
      sink.begin(file.ctx.clock);
    },
    frame(h, raw) {
      const ctx = file.ctx;
      records.reset(raw);
      const index = file.translator !== null
        ? replayTranslated(file.translator, records, raw, h.seq, session, ctx)
        : replayRecords(records, raw, h.seq, session, ctx, range);
      const problem = records.problem;
      if (problem !== null) {
        file.recordDamage({ kind: 'bad_record_length', offset: h.offset, length: 0, seq: h.seq, recordsLost: Math.max(0, h.recordCount - index), detail: problem });
      } else if (index !== h.recordCount) {
        file.recordDamage({ kind: 'bad_record_length', offset: h.offset, length: 0, seq: h.seq, detail: `frame holds ${index} records, header says ${h.recordCount}` });
      }
    },
    stats(t) { file.stats = t; },
    end(e) { file.end = e; file.stats = e; },
    damage: file.recordDamage,
  });
  readInput(path, (chunk) => reader.push(chunk));
  const summary = reader.finish();
  sink.flush();
  foldTimeRange(totals, range[MIN_HI], range[MIN_LO], range[MAX_HI], range[MAX_LO]);
  const report = file.report(summary);
  totals.files.push(report);
  return report;
}
