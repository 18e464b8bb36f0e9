/**
 * Where the capture goes: one file (or stdout), or a chain of segments for
 * long captures (--rotate SIZE|DURATION, --keep N). Each segment is a complete
 * capture with its own manifest and end record, linked to the one before by
 * that file's SHA-256.
 */
import { closeSync, fsyncSync, rmSync } from 'node:fs';
import { type KeyObject } from 'node:crypto';
import { writeAllSync } from '../common/fd-sink.js';
import { type Manifest } from '../rgc/manifest.js';
import { type StopReason } from '../rgc/meta-records.js';
import { RgcWriter } from '../rgc/writer.js';
import { clockPair } from './libc.js';
import { createNewFile, replaceFile } from './output-file.js';
import { rotates, segmentPath, type SegmentPlan } from './segment-plan.js';

export { rotates, segmentPath, type SegmentPlan } from './segment-plan.js';

/** Alternatives to a segment name already taken: `host.000003.rgc` -> `host.000003.1.rgc`, `.2`, ... */
const MAX_ALTERNATIVES = 100;

/**
 * Creates the file of a later segment (the first is opened at start, where an
 * existing name is an error). With --force an existing name is replaced.
 * Without it, a name someone created in the meantime (a planted file, a
 * symlink) is never written: the next free alternative is used and `notice`
 * says which. Returns the fd and the path actually written.
 */
export function createSegmentFile(path: string, force: boolean, notice: (text: string) => void): { fd: number; path: string } {
  if (force) return { fd: replaceFile(path), path };
  for (let k = 0; k <= MAX_ALTERNATIVES; k++) {
    const candidate = k === 0 ? path : `${path.slice(0, -4)}.${k}.rgc`;
    try {
      const fd = createNewFile(candidate);
      if (k > 0) notice(`segment ${path} already exists and was not written by this capture; writing ${candidate} instead`);
      return { fd, path: candidate };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`segment ${path} and its ${MAX_ALTERNATIVES} alternatives all exist`);
}

export interface WriterSettings {
  readonly compressionLevel: number;
  readonly signingKey?: KeyObject;
  /** One line for the user (a segment written under another name). */
  readonly notice?: (text: string) => void;
}

export class SegmentedOutput {
  writer: RgcWriter;
  private index = 0;
  private openedAt = Date.now();
  private fd: number;
  private readonly paths: string[] = [];
  /** Cumulative counts at the start of the current segment: each segment reports its own share. */
  private lostKernelBase: number[] = [];
  private lostUserBase = 0;
  private completedRecords = 0;
  private completedBytes = 0;
  private completedFrames = 0;

  constructor(private readonly plan: SegmentPlan, firstFd: number, private readonly manifest: Manifest, private readonly settings: WriterSettings) {
    this.fd = firstFd;
    if (rotates(plan)) this.paths.push(segmentPath(plan.output, 0));
    this.writer = this.newWriter(manifest);
  }

  get recordsAppended(): number { return this.completedRecords + this.writer.recordsAppended; }
  get bytesWritten(): number { return this.completedBytes + this.writer.bytesWritten; }
  get framesWritten(): number { return this.completedFrames + this.writer.framesWritten; }

  /** Ends this segment and opens the next when it is big or old enough (the open frame goes into this one). */
  maybeRotate(lostKernelByCpu: readonly number[], lostUser: number): void {
    if (!rotates(this.plan)) return;
    const big = this.plan.rotateBytes !== null && this.writer.bytesWritten + this.writer.pendingBytes / 8 >= this.plan.rotateBytes;
    const old = this.plan.rotateMs !== null && Date.now() - this.openedAt >= this.plan.rotateMs;
    if (!big && !old) return;
    this.endSegment('rotate', lostKernelByCpu, lostUser);
    this.completedRecords += this.writer.recordsWritten;
    this.completedBytes += this.writer.bytesWritten;
    this.completedFrames += this.writer.framesWritten;
    const previous = this.writer.fileSha256();
    this.index++;
    const created = createSegmentFile(segmentPath(this.plan.output, this.index), this.plan.force, this.settings.notice ?? (() => {}));
    this.fd = created.fd;
    this.paths.push(created.path);
    this.openedAt = Date.now();
    const clock = clockPair();
    this.writer = this.newWriter({
      ...this.manifest,
      clock: { source: 'CLOCK_MONOTONIC', realtime_ns: clock.realtimeNs, monotonic_ns: clock.monotonicNs },
      segment: { ...this.manifest.segment, index: this.index, previous_sha256: previous },
    });
    this.lostKernelBase = [...lostKernelByCpu];
    this.lostUserBase = lostUser;
    this.prune();
  }

  /** Ends the current (last) segment. */
  finish(reason: StopReason, lostKernelByCpu: readonly number[], lostUser: number): void {
    this.endSegment(reason, lostKernelByCpu, lostUser);
  }

  writeStats(lostKernelByCpu: readonly number[], lostUser: number): void {
    this.writer.writeStats(this.share(lostKernelByCpu), lostUser - this.lostUserBase, process.hrtime.bigint());
  }

  private endSegment(reason: StopReason, lostKernelByCpu: readonly number[], lostUser: number): void {
    this.writer.end(reason, this.share(lostKernelByCpu), lostUser - this.lostUserBase, process.hrtime.bigint());
    // The first fd belongs to the main thread (it opened it to fail fast); it closes that one.
    if (this.index > 0) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
  }

  private share(lostKernelByCpu: readonly number[]): number[] {
    return lostKernelByCpu.map((n, cpu) => n - (this.lostKernelBase[cpu] ?? 0));
  }

  private prune(): void {
    if (this.plan.keep === null) return;
    while (this.paths.length > this.plan.keep) rmSync(this.paths.shift()!, { force: true });
  }

  private newWriter(manifest: Manifest): RgcWriter {
    const fd = this.fd;
    return new RgcWriter({ write: (bytes) => writeAllSync(fd, bytes) }, manifest, {
      compressionLevel: this.settings.compressionLevel,
      signingKey: this.settings.signingKey,
      maxBytes: this.plan.maxBytes ?? undefined,
    });
  }
}
