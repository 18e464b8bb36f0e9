/**
 * Replay of a set of inputs: file bytes -> frames -> the frame replayer ->
 * session, with every count an analyst needs afterwards (kinds, rejections,
 * loss, damage, time range). One capture (a file, or its rotated segments)
 * replays in file order; independent captures are merged in wall-clock order
 * (merge.ts). Both go through the same input and frame replayer
 * (capture-input.ts, frame-replayer.ts).
 */
import { type Damage, isDamage } from '../rgc/damage.js';
import { type Manifest } from '../rgc/manifest.js';
import { type CaptureTotals, type EndRecord } from '../rgc/meta-records.js';
import { maxByCpu, type ReadSummary } from '../rgc/reader.js';
import { MAX_FRAME_RAW_BYTES } from '../rgc/format.js';
import { FrameDecompressor } from '../rgc/zstd.js';
import { existingPlainAsciiArena } from '../output/plain-ascii.js';
import { CaptureInput, UNLIMITED } from './capture-input.js';
import { readManifestOnly, segmentChains, withoutCopies } from './manifest-peek.js';
import { noteOnStderr } from './input.js';
import { replayMerged } from './merge.js';
import { type InputContext, type ReplaySession } from './session.js';
import { type ManifestSchemaTranslator, translatorFor } from './schema-audit.js';

/** Damage entries kept in memory per file; the rest are only counted (a hostile file could hold millions). */
const MAX_DAMAGE_KEPT = 1000;

export interface FileReport {
  readonly path: string;
  readonly manifest: Manifest | null;
  readonly summary: ReadSummary;
  readonly end: EndRecord | null;
  /** The latest stats or end totals the file carries, with each loss counter the largest any of them gave. */
  readonly totals: CaptureTotals | null;
  readonly damage: readonly Damage[];
  readonly damageCount: number;
  /** Records the damage reports say were lost, over every report (those past the kept ones too); damage that cannot say (a frame gap) adds none. */
  readonly recordsLost: number;
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
  /** Called after each file of a sequential replay (progress). */
  onFileDone?(): void;
}

export function newTotals(): ReplayTotals {
  return { files: [], minTs: null, maxTs: null };
}

/**
 * The smallest and largest record time of a file as u32 halves (high word,
 * low word), to stay off BigInt per record: MIN_HI, MIN_LO, MAX_HI, MAX_LO.
 */
export type TimeRange = Float64Array;
export const MIN_HI = 0, MIN_LO = 1, MAX_HI = 2, MAX_LO = 3;

/** The segment read before a file of the same input, to check that the file continues it. */
export interface PreviousSegment {
  readonly path: string;
  readonly manifest: Manifest | null;
  /** SHA-256 (hex) of its bytes, when its reader hashed them. */
  readonly sha256: string | null;
}

/** Collects what a file says about itself while it is read. */
export class FileState {
  manifest: Manifest | null = null;
  end: EndRecord | null = null;
  stats: CaptureTotals | null = null;
  readonly damage: Damage[] = [];
  damageCount = 0;
  /** Reports that make the file damaged (a cut tail only makes it incomplete: damage.ts isDamage). */
  private damaging = 0;
  recordsLost = 0;
  ctx: InputContext;
  /** With --schema manifest: decodes this file's records by its own manifest's layouts. */
  translator: ManifestSchemaTranslator | null = null;
  readonly range: TimeRange = Float64Array.of(0xffffffff, 0xffffffff, -1, -1);
  /**
   * Wall-clock minus monotonic time of this file's clock (0 before or
   * without a manifest), as a high part and a low word: ns = hi * 2^32 + lo.
   */
  offsetHi = 0;
  offsetLo = 0;

  constructor(readonly path: string, private readonly session: ReplaySession, private readonly hooks: ReplayHooks,
    private readonly previous: PreviousSegment | null = null) {
    this.ctx = session.contextFor(path, null);
  }

  onManifest(read: Manifest): void {
    const m = this.session.schemas.share(read);
    this.manifest = m;
    this.ctx = this.session.contextFor(this.path, m);
    const offset = m.clock.realtime_ns - m.clock.monotonic_ns;
    this.offsetHi = Number(offset >> 32n);
    this.offsetLo = Number(offset & 0xffffffffn);
    this.translator = translatorFor(m.schema, this.session.schema, this.session.options.decodeBy);
    // The records that follow read their times by this file's clock (and, merged, carry its host and capture).
    this.session.options.sink.begin(this.ctx.clock, this.ctx.origin);
    const link = segmentLinkDamage(this.previous, m);
    if (link !== null) this.recordDamage(link);
  }

  /** A stats record: loss counters are cumulative, so the largest seen is the loss (a lower later one was rewritten; the reader reports it). */
  onStats = (t: CaptureTotals): void => {
    const before = this.stats;
    this.stats = before === null ? t : {
      ...t, lost_user: Math.max(before.lost_user, t.lost_user), lost_kernel_by_cpu: maxByCpu(before.lost_kernel_by_cpu, t.lost_kernel_by_cpu),
    };
  };

  onEnd = (e: EndRecord): void => {
    this.end = e;
    this.onStats(e);
  };

  recordDamage = (d: Damage): void => {
    this.damageCount++;
    if (isDamage(d)) this.damaging++;
    this.recordsLost += d.recordsLost ?? 0;
    if (this.damage.length < MAX_DAMAGE_KEPT) this.damage.push(d);
    this.hooks.onDamage?.(this.path, d);
  };

  /**
   * What the file was found to be. Damaged whenever anything was reported as
   * damage: the reader counts what it found, but records lost inside a
   * verified frame (a bad record length, a record count the frame does not
   * hold) are found by the frame replayer, and lost evidence is damage too.
   */
  report(summary: ReadSummary): FileReport {
    const damaged = summary.damaged || this.damaging > 0;
    return {
      path: this.path, manifest: this.manifest, summary: damaged === summary.damaged ? summary : { ...summary, damaged },
      end: this.end, totals: this.stats, damage: this.damage, damageCount: this.damageCount, recordsLost: this.recordsLost,
    };
  }
}

/**
 * Damage when `m` is a later segment of the capture `previous` belongs to but
 * does not continue it: segments between them are missing, or it names
 * another file as the one before it. Null when it continues it, or is of
 * another capture.
 */
export function segmentLinkDamage(previous: PreviousSegment | null, m: Manifest): Damage | null {
  const p = previous?.manifest?.segment;
  if (previous === null || p === undefined || p.capture_id !== m.segment.capture_id) return null;
  const at = m.segment.index;
  if (at > p.index + 1) {
    const missing = at - p.index - 1 === 1 ? `segment ${p.index + 1} is` : `segments ${p.index + 1}..${at - 1} are`;
    return { kind: 'segment_gap', offset: 0, length: 0, detail: `${missing} missing: segment ${at} follows segment ${p.index} (${previous.path}); the events recorded in between are lost` };
  }
  if (at === p.index + 1 && m.segment.previous_sha256 !== null && previous.sha256 !== null && m.segment.previous_sha256 !== previous.sha256) {
    return { kind: 'segment_link', offset: 0, length: 0, detail: `segment ${at} does not continue ${previous.path}: its previous_sha256 is not that file's SHA-256 (${previous.sha256})` };
  }
  return null;
}

export function foldTimeRange(totals: ReplayTotals, range: TimeRange): void {
  if (range[MAX_HI] < 0) return;
  const min = (BigInt(range[MIN_HI]) << 32n) | BigInt(range[MIN_LO]);
  const max = (BigInt(range[MAX_HI]) << 32n) | BigInt(range[MAX_LO]);
  if (totals.minTs === null || min < totals.minTs) totals.minTs = min;
  if (totals.maxTs === null || max > totals.maxTs) totals.maxTs = max;
}

/**
 * Replays one input in file order through `session`, adding to `totals`.
 * Frames are decompressed into the plain-ASCII arena's frame region when the
 * process has made an arena (NDJSON output does) and the region is free: the
 * encoder then copies strings with WebAssembly (src/output/plain-ascii.ts).
 */
export function replayFile(path: string, session: ReplaySession, totals: ReplayTotals, hooks: ReplayHooks = {}, previous: PreviousSegment | null = null): FileReport {
  session.options.sink.begin(null);
  const arena = existingPlainAsciiArena();
  const region = arena?.lendFrames() ?? null;
  const input = new CaptureInput([path], session, hooks, undefined, null, new FrameDecompressor(MAX_FRAME_RAW_BYTES, region), previous);
  try {
    input.run(UNLIMITED);
  } finally {
    if (region !== null) arena!.release(region);
  }
  session.options.sink.flush();
  for (const r of input.reports) foldTimeRange(totals, r.range);
  totals.files.push(...input.reports.map((r) => r.report));
  return input.reports[0].report;
}

/**
 * Replays inputs: the segments of one capture (or a lone file, or stdin) one
 * after the other; anything else merged by wall-clock time, each capture's
 * segments still read in sequence.
 */
export function replayInputs(paths: readonly string[], session: ReplaySession, totals: ReplayTotals, hooks: ReplayHooks = {}): void {
  let chains: string[][];
  if (paths.length === 1) {
    chains = [[...paths]];
  } else {
    const inputs = withoutCopies(paths, paths.map(readManifestOnly), noteOnStderr);
    chains = segmentChains(inputs.paths, inputs.manifests);
  }
  if (chains.length === 1) {
    let previous: PreviousSegment | null = null;
    for (const path of chains[0]) {
      const report = replayFile(path, session, totals, hooks, previous);
      previous = { path, manifest: report.manifest, sha256: report.summary.sha256 };
      hooks.onFileDone?.();
    }
    return;
  }
  // Several captures: each event and alert says which host and capture it came from (a pid alone is ambiguous).
  session.labelled = true;
  replayMerged(chains, session, totals, hooks);
}
