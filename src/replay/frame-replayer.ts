/**
 * The frame replayer, shared by sequential and merged replay: walks a data
 * frame's records through the dispatcher (this build's schema, or the file's
 * own with --schema manifest) into the session, keeping the file's time range
 * and checking the frame's record count. It replays up to a time limit: with
 * none, a frame is one tight loop (sequential replay); merged replay gives the
 * time of the next input's record, and the replayer stops at the first record
 * past it, holding it (counted, not yet shown) until its input's next turn.
 * A frame held compacted (a merge of many inputs: compact-frame.ts) is walked
 * window by window, each window of records as a frame of its own.
 */
import { rawKindOf, REASON_CODES } from '../abi/dispatch.js';
import { recordTsNsHi, recordTsNsLo } from '../abi/header-access.js';
import { type FrameHeader, RecordCursor } from '../rgc/reader.js';
import { type FileState, MAX_HI, MAX_LO, MIN_HI, MIN_LO, type TimeRange } from './replay.js';
import { type CompactFrame } from './compact-frame.js';
import { type ManifestSchemaTranslator } from './schema-audit.js';
import { type InputContext, type ReplaySession } from './session.js';

/** The largest u32 word: (NO_LIMIT, NO_LIMIT) as a limit lets every record through. */
export const NO_LIMIT = 0xffffffff;

export class FrameReplayer {
  private readonly records = new RecordCursor();
  private file: FileState | null = null;
  private header: FrameHeader | null = null;
  private raw: Uint8Array = new Uint8Array(0);
  /** The frame, when held compacted: `raw` is then its window of expanded records. */
  private compact: CompactFrame | null = null;
  /** Position of the next record within the frame. */
  private index = 0;
  /** A record past the last limit: counted by the dispatcher, not yet given to the session. */
  held = false;
  private heldCode = 0;
  private heldRaw: Uint8Array = new Uint8Array(0);
  private heldOffset = 0;
  private heldUnavailable: readonly string[] | null = null;
  /** The held record's ts_ns (this file's monotonic clock), as high and low words. */
  heldHi = 0;
  heldLo = 0;

  constructor(private readonly session: ReplaySession) {}

  /** Starts on a frame of `file`; `raw` must stay valid until `run` returns false. */
  begin(file: FileState, h: FrameHeader, raw: Uint8Array): void {
    this.file = file;
    this.header = h;
    this.raw = raw;
    this.index = 0;
    this.compact = null;
    this.records.reset(raw);
  }

  /** Starts on a frame of `file` held compacted; `compact` must stay as it is until `run` returns false. */
  beginCompact(file: FileState, h: FrameHeader, compact: CompactFrame): void {
    this.file = file;
    this.header = h;
    this.index = 0;
    this.compact = compact;
    const filled = compact.expand();
    this.raw = compact.window;
    this.records.reset(this.raw, filled);
  }

  /**
   * Replays the frame's records up to ts_ns (limHi, limLo) inclusive. Returns
   * true when it stopped at a later record (now held), false when the frame
   * is done (or none was begun).
   */
  run(limHi: number, limLo: number): boolean {
    if (this.held) {
      if (this.heldHi > limHi || (this.heldHi === limHi && this.heldLo > limLo)) return true;
      this.held = false;
      this.session.accept(this.file!.ctx, this.heldCode, this.heldRaw, this.heldOffset, this.heldUnavailable);
    }
    const h = this.header;
    if (h === null) return false;
    const file = this.file!;
    const t = file.translator;
    for (;;) {
      this.index = t === null
        ? replayRecords(this, this.records, this.raw, h.seq, this.session, file.ctx, file.range, this.index, limHi, limLo)
        : replayTranslated(this, t, this.records, this.raw, h.seq, this.session, file.ctx, file.range, this.index, limHi, limLo);
      if (this.held) return true;
      const c = this.compact;
      if (c === null || !c.more) break;
      const filled = c.expand();
      this.raw = c.window;
      this.records.reset(this.raw, filled);
    }
    this.header = null;
    // A compacted frame's windows are whole records: where its walk stopped was found when it was compacted.
    const problem = this.compact === null ? this.records.problem : this.compact.problem;
    this.compact = null;
    if (problem !== null) {
      file.recordDamage({ kind: 'bad_record_length', offset: h.offset, length: 0, seq: h.seq, recordsLost: Math.max(0, h.recordCount - this.index), detail: problem });
    } else if (this.index !== h.recordCount) {
      // Fewer than the header says: the rest are lost. More: all replayed, but the frame is not as it was written.
      const lost = h.recordCount > this.index ? { recordsLost: h.recordCount - this.index } : {};
      file.recordDamage({ kind: 'bad_record_length', offset: h.offset, length: 0, seq: h.seq, ...lost, detail: `frame holds ${this.index} records, header says ${h.recordCount}` });
    }
    return false;
  }

  /** Keeps the record that crossed the limit for the next run. */
  hold(code: number, raw: Uint8Array, offset: number, hi: number, lo: number, unavailable: readonly string[] | null): void {
    this.held = true;
    this.heldCode = code;
    this.heldRaw = raw;
    this.heldOffset = offset;
    this.heldHi = hi;
    this.heldLo = lo;
    this.heldUnavailable = unavailable;
  }
}

/**
 * The frame's records decoded by this build's schema (the fast path), from
 * record `index` on; returns the index after the last record walked. Its own
 * function, with nothing after the loop but the return: V8 compiles a
 * long-running loop on the fly (OSR) before code after the loop has ever run,
 * and when that code was the frame handler's own epilogue, the OSR code
 * deoptimised at the end of every frame and was re-entered at the next
 * (rg-replay --json, 1M events: ~200 deopts; the handler's loop mostly ran
 * unoptimised). Sequential replay never takes the hold branch.
 */
function replayRecords(r: FrameReplayer, records: RecordCursor, raw: Uint8Array, seq: number, session: ReplaySession, ctx: InputContext, range: TimeRange,
  index: number, limHi: number, limLo: number): number {
  const counts = session.counts;
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
      if (hi > limHi || (hi === limHi && lo > limLo)) {
        r.hold(code, raw, offset, hi, lo, null);
        return index + 1;
      }
      session.accept(ctx, code, raw, offset);
    } else {
      session.reject(code, raw, offset, length, seq, index);
    }
    index++;
  }
  return index;
}

/**
 * The frame's records decoded by the file's own schema (--schema manifest),
 * rebuilt in this build's layout. A record whose file lacks ts_ns has no
 * time: it is kept out of the time range and sorts as time 0.
 */
function replayTranslated(r: FrameReplayer, t: ManifestSchemaTranslator, records: RecordCursor, raw: Uint8Array, seq: number, session: ReplaySession,
  ctx: InputContext, range: TimeRange, index: number, limHi: number, limLo: number): number {
  while (records.next()) {
    const { offset, length } = records;
    const verdict = t.classify(raw, offset, length);
    if (typeof verdict === 'number') {
      session.counts.countAccepted(verdict);
      const { record, unavailable } = t.translate(verdict, raw, offset);
      const lo = recordTsNsLo(record, 0);
      const hi = recordTsNsHi(record, 0);
      if (t.timed(verdict)) {
        if (hi < range[MIN_HI] || (hi === range[MIN_HI] && lo < range[MIN_LO])) { range[MIN_HI] = hi; range[MIN_LO] = lo; }
        if (hi > range[MAX_HI] || (hi === range[MAX_HI] && lo > range[MAX_LO])) { range[MAX_HI] = hi; range[MAX_LO] = lo; }
      }
      if (hi > limHi || (hi === limHi && lo > limLo)) {
        r.hold(verdict, record, 0, hi, lo, unavailable);
        return index + 1;
      }
      session.accept(ctx, verdict, record, 0, unavailable);
    } else {
      session.counts.countRejectedReason(verdict, rawKindOf(raw, offset, length));
      session.reject(-(REASON_CODES.indexOf(verdict) + 1), raw, offset, length, seq, index);
    }
    index++;
  }
  return index;
}
