/**
 * Several independent captures (other hosts, other boots, or captures to
 * compare) replayed as one stream in wall-clock order, through one session
 * and so one process table. Each input is read lazily in small chunks, so
 * memory stays bounded by a few frames per input.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { recordTsNs, recordTsNsHi, recordTsNsLo } from '../abi/header-access.js';
import { RecordCursor, RgcReader } from '../rgc/reader.js';
import { describeIoError } from './input.js';
import { FileState, foldTimeRange, type FileReport, type ReplayHooks, type ReplayTotals } from './replay.js';
import { type ReplaySession } from './session.js';

const CHUNK = 64 << 10;

interface QueuedFrame { seq: number; recordCount: number; offset: number; raw: Uint8Array }

/** One input as a pull stream of accepted records, each with its wall-clock time. */
class MergeInput {
  readonly file: FileState;
  private readonly reader: RgcReader;
  private readonly fd: number;
  private readonly chunk = new Uint8Array(CHUNK);
  private readonly frames: QueuedFrame[] = [];
  private readonly cursor = new RecordCursor();
  private frame: QueuedFrame | null = null;
  private index = 0;
  private eof = false;
  summary: ReturnType<RgcReader['finish']> | null = null;
  /** The current record. */
  code = 0;
  raw: Uint8Array = new Uint8Array(0);
  offset = 0;
  wallNs = 0n;
  minHi = 0xffffffff; minLo = 0xffffffff; maxHi = -1; maxLo = -1;

  constructor(readonly path: string, private readonly session: ReplaySession, hooks: ReplayHooks) {
    this.file = new FileState(path, session, hooks);
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new CliError(`cannot open ${path}: ${describeIoError(e)}`, ExitCode.Io);
    }
    this.reader = new RgcReader({
      manifest: (m) => this.file.onManifest(m),
      // The reader reuses its buffer: keep a copy until the records are merged out.
      frame: (h, raw) => { this.frames.push({ seq: h.seq, recordCount: h.recordCount, offset: h.offset, raw: raw.slice() }); },
      stats: (t) => { this.file.stats = t; },
      end: (e) => { this.file.end = e; this.file.stats = e; },
      damage: this.file.recordDamage,
    });
  }

  /** Moves to the next accepted record (rejected ones are reported on the way); false at the end. */
  advance(): boolean {
    const counts = this.session.counts;
    for (;;) {
      if (this.frame !== null && this.cursor.next()) {
        const { offset, length } = this.cursor;
        const raw = this.frame.raw;
        const code = counts.dispatch(raw, offset, length);
        const index = this.index++;
        if (code <= 0) {
          this.session.reject(code, raw, offset, length, this.frame.seq, index);
          continue;
        }
        const lo = recordTsNsLo(raw, offset);
        const hi = recordTsNsHi(raw, offset);
        if (hi < this.minHi || (hi === this.minHi && lo < this.minLo)) { this.minHi = hi; this.minLo = lo; }
        if (hi > this.maxHi || (hi === this.maxHi && lo > this.maxLo)) { this.maxHi = hi; this.maxLo = lo; }
        const mono = recordTsNs(raw, offset);
        this.wallNs = this.file.ctx.clock !== null ? this.file.ctx.clock.realtimeNs(mono) : mono;
        this.code = code;
        this.raw = raw;
        this.offset = offset;
        return true;
      }
      if (this.frame !== null) this.finishFrame(this.frame);
      const next = this.frames.shift();
      if (next !== undefined) {
        this.frame = next;
        this.index = 0;
        this.cursor.reset(next.raw);
        continue;
      }
      this.frame = null;
      if (this.eof) return false;
      this.pull();
    }
  }

  private finishFrame(f: QueuedFrame): void {
    const problem = this.cursor.problem;
    if (problem !== null) this.file.recordDamage({ kind: 'bad_record_length', offset: f.offset, length: 0, seq: f.seq, detail: problem });
    else if (this.index !== f.recordCount) this.file.recordDamage({ kind: 'bad_record_length', offset: f.offset, length: 0, seq: f.seq, detail: `frame holds ${this.index} records, header says ${f.recordCount}` });
  }

  private pull(): void {
    const n = readSync(this.fd, this.chunk, 0, CHUNK, null);
    if (n === 0) {
      this.eof = true;
      closeSync(this.fd);
      this.summary = this.reader.finish();
      return;
    }
    this.reader.push(this.chunk.subarray(0, n));
  }
}

/** Replays `paths` merged by wall-clock time (ties keep command-line order). */
export function replayMerged(paths: readonly string[], session: ReplaySession, totals: ReplayTotals, hooks: ReplayHooks = {}): FileReport[] {
  const inputs = paths.map((p) => new MergeInput(p, session, hooks));
  const live = inputs.filter((i) => i.advance());
  const sink = session.options.sink;
  while (live.length > 0) {
    // Few inputs: a linear scan for the earliest beats a heap.
    let best = 0;
    for (let i = 1; i < live.length; i++) if (live[i].wallNs < live[best].wallNs) best = i;
    const input = live[best];
    sink.begin(input.file.ctx.clock);
    session.accept(input.file.ctx, input.code, input.raw, input.offset);
    if (!input.advance()) live.splice(best, 1);
  }
  sink.flush();
  return inputs.map((i) => {
    foldTimeRange(totals, i.minHi, i.minLo, i.maxHi, i.maxLo);
    const report = i.file.report(i.summary!);
    totals.files.push(report);
    return report;
  });
}
