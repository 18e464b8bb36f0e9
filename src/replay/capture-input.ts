/**
 * One input of a replay: a capture file, or the rotated segments of one
 * capture read one after the other. It replays through the frame replayer up
 * to a wall-clock limit, so that merged replay can interleave inputs. It
 * opens its first file only when it first runs (in a merge: when the merge
 * reaches its first record), holds one decompressed frame (compacted, in a
 * merge of many inputs) while it waits for its next turn, and closes each
 * file at its end.
 *
 * Wall-clock times are exact 64-bit nanoseconds held as two doubles, a high
 * part (any sign, |hi| < 2^34) and a low word (0 <= lo < 2^32): merge order
 * is decided per run of records without a bigint per record.
 */
import { type FrameDecompressor } from '../rgc/zstd.js';
import { CompactFrame } from './compact-frame.js';
import { FrameReplayer, NO_LIMIT } from './frame-replayer.js';
import { FrameSource } from './frame-source.js';
import { CHUNK_BYTES } from './input.js';
import { FileState, type FileReport, type PreviousSegment, type ReplayHooks, type TimeRange } from './replay.js';
import { type ReplaySession } from './session.js';

const WORD = 4294967296;

/** As a wall-clock limit's high part: lets every record through (sequential replay). */
export const UNLIMITED = Infinity;
/** As a wall-clock limit's high part: lets no record through (runs an input up to its first record). */
export const BEFORE_ALL = -Infinity;

export class CaptureInput {
  private readonly replayer: FrameReplayer;
  private next = 0;
  private file: FileState | null = null;
  private source: FrameSource | null = null;
  /** Holds the frame compacted, when the decompressor is shared; made when the input opens, kept for its next files. */
  private compact: CompactFrame | null = null;
  /** One per file finished, in file order. */
  readonly reports: { report: FileReport; range: TimeRange }[] = [];
  /** Wall-clock time of the held record: the input's place in the merge. */
  headHi = 0;
  headLo = 0;

  /**
   * `chunk`: the read buffer; merged replay shares one among all inputs
   * (reads are synchronous, each push is copied). `shared`: a decompressor
   * shared by inputs that hold their frames compacted (a merge of many).
   * `decompressor`: otherwise, one for all the input's files (read one after
   * the other), else each file has its own.
   */
  constructor(readonly paths: readonly string[], private readonly session: ReplaySession, private readonly hooks: ReplayHooks,
    private readonly chunk: Uint8Array = new Uint8Array(CHUNK_BYTES), private readonly shared: FrameDecompressor | null = null,
    private readonly decompressor: FrameDecompressor | null = null, private readonly previous: PreviousSegment | null = null) {
    this.replayer = new FrameReplayer(session);
  }

  /**
   * Replays records up to the wall-clock limit (limHi, limLo) inclusive. True:
   * it stopped at a later record, whose time is now (headHi, headLo); false:
   * the input is done, every file reported and closed.
   */
  run(limHi: number, limLo = 0): boolean {
    if (this.source === null && !this.openNext()) return false;
    this.session.options.sink.begin(this.file!.ctx.clock, this.file!.ctx.origin);
    for (;;) {
      const file = this.file!;
      let hi = NO_LIMIT, lo = NO_LIMIT;
      if (limHi !== Infinity) {
        // The limit in this file's monotonic clock.
        lo = limLo - file.offsetLo;
        const borrow = lo < 0 ? 1 : 0;
        lo += borrow * WORD;
        hi = limHi - file.offsetHi - borrow;
        if (hi > NO_LIMIT) { hi = NO_LIMIT; lo = NO_LIMIT; } else if (hi < 0) { hi = -1; lo = 0; }
      }
      if (this.replayer.run(hi, lo)) {
        const headLo = this.replayer.heldLo + file.offsetLo;
        const carry = headLo >= WORD ? 1 : 0;
        this.headLo = headLo - carry * WORD;
        this.headHi = this.replayer.heldHi + file.offsetHi + carry;
        return true;
      }
      const source = this.source!;
      if (source.next()) {
        // Sequential replay only: a merge's inputs interleave, so one file's share of its bytes says little.
        if (limHi === Infinity && source.size > 0) this.session.options.sink.progress?.(source.header!.offset / source.size);
        if (source.compacted) this.replayer.beginCompact(this.file!, source.header!, source.compact!);
        else this.replayer.begin(this.file!, source.header!, source.raw);
        continue;
      }
      this.reports.push({ report: this.file!.report(source.summary!), range: this.file!.range });
      this.source = null;
      if (!this.openNext()) return false;
    }
  }

  private openNext(): boolean {
    if (this.next >= this.paths.length) return false;
    const path = this.paths[this.next++];
    // Each file after the first continues the one before it (segments of one capture).
    const before = this.reports.at(-1)?.report;
    const previous = before === undefined ? this.previous : { path: before.path, manifest: before.manifest, sha256: before.summary.sha256 };
    const file = new FileState(path, this.session, this.hooks, previous);
    this.file = file;
    this.compact ??= this.shared === null ? null : new CompactFrame();
    this.source = new FrameSource(path, file, this.chunk, this.shared ?? this.decompressor ?? undefined, this.compact);
    return true;
  }
}
