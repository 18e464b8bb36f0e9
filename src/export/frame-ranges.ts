/**
 * How a parallel export splits its inputs: the data frames of all inputs,
 * in order, cut into contiguous ranges, one per part (parallel-export.ts).
 *
 * A part whose range starts at frame k first replays frames 0..k-1 for
 * state only (the process table and what rows depend on), which costs about
 * WARM_SHARE of exporting them, so equal ranges would make the last part the
 * long pole. The cuts instead give every part the same estimated time:
 * part 0 the most frames, each later part fewer by what its catch-up costs.
 * Only the speed depends on the estimate; which rows each part writes does
 * not (ranges are frame numbers, and the last part runs to the end).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { FRAME_FIELD, FRAME_HEADER_PAYLOAD, SKIPPABLE_BASE, SKIPPABLE_HEADER_SIZE, SKIPPABLE_MAGIC, SKIPPABLE_MAGIC_MASK, TAG_FRAME } from '../rgc/format.js';

/**
 * Cost of replaying a record for state only, relative to exporting it.
 * Measured on the work capture (1.81M events, mostly file opens), thread CPU
 * time: ~45 ms per 100 frames (~160k records) replayed for state, ~330-420
 * ms exported; most of the catch-up is zstd decompression (~40%), the
 * dispatcher and the process table.
 */
export const WARM_SHARE = 0.13;
/**
 * A worker's late start, in records the first part exports meanwhile: the
 * thread and its isolate with the export's modules (~120 ms of CPU), and its
 * code running unoptimised a while longer than the first part's, which has
 * been running since the capture's hashing (~100 ms): ~220 ms at ~2.2 us a
 * record. It also keeps a capture too small to pay for a thread (below
 * ~115k records) on one.
 */
export const WORKER_START_RECORDS = 100_000;

/**
 * The record count of each data frame of `paths`, in file order, as their
 * frame headers state, read without decompressing (two small reads a frame).
 * A file's walk ends at anything that is not one of our frames (damage: the
 * reader resynchronises there; its frames then count as the last part's).
 * An unreadable file adds nothing: the export itself reports it.
 */
export function frameRecordCounts(paths: readonly string[]): number[] {
  const out: number[] = [];
  for (const path of paths) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      continue;
    }
    try {
      walkFrames(fd, out);
    } catch {
      // A read error: the export reports it when it reads the file.
    } finally {
      closeSync(fd);
    }
  }
  return out;
}

function walkFrames(fd: number, out: number[]): void {
  const head = Buffer.alloc(SKIPPABLE_HEADER_SIZE + FRAME_HEADER_PAYLOAD);
  let pos = 0;
  for (;;) {
    const n = readSync(fd, head, 0, head.length, pos);
    if (n < SKIPPABLE_HEADER_SIZE + 4) return;
    const magic = head.readUInt32LE(0);
    const size = head.readUInt32LE(4);
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 !== SKIPPABLE_BASE) return;
    if (magic === SKIPPABLE_MAGIC && head.readUInt32LE(8) === TAG_FRAME && size === FRAME_HEADER_PAYLOAD && n === head.length) {
      const p = SKIPPABLE_HEADER_SIZE;
      out.push(head.readUInt32LE(p + FRAME_FIELD.recordCount));
      pos += SKIPPABLE_HEADER_SIZE + size + head.readUInt32LE(p + FRAME_FIELD.compressedSize);
    } else {
      // The manifest, stats, the end record, someone else's metadata.
      pos += SKIPPABLE_HEADER_SIZE + size;
    }
  }
}

/**
 * The first frame of each part's range, for up to `parts` parts over frames
 * holding `records[i]` records: [0, c1, c2, ...], strictly increasing, each
 * below the number of frames (fewer parts when there are fewer frames, or
 * when a part would get none). Part i exports frames [c_i, c_{i+1}); the last
 * part runs to the end.
 *
 * Part i's estimated time, in exported records: start_i + WARM_SHARE * x_i +
 * (x_{i+1} - x_i), where x_i counts the records before its first frame and
 * start_i is WORKER_START_RECORDS for every part but the first. The cuts
 * solve for one time T shared by all parts (bisection on T), then each x_i
 * is rounded to the nearest frame boundary.
 */
export function planRanges(records: readonly number[], parts: number, warmShare = WARM_SHARE, startRecords = WORKER_START_RECORDS): number[] {
  const before = [0];
  for (const n of records) before.push(before[before.length - 1] + n);
  const total = before[before.length - 1];
  if (parts <= 1 || records.length <= 1 || total === 0) return [0];
  const cutsFor = (t: number): number[] => {
    const x = [0, t];
    for (let i = 1; i < parts - 1; i++) x.push(x[i] + t - startRecords - warmShare * x[i]);
    return x;
  };
  // The last part's time falls as T grows: find the T where it equals T.
  let lo = 0;
  let hi = total + startRecords;
  for (let i = 0; i < 60; i++) {
    const t = (lo + hi) / 2;
    const x = cutsFor(t);
    const lastStart = x[parts - 1];
    const last = startRecords + warmShare * lastStart + (total - lastStart);
    if (last > t) lo = t;
    else hi = t;
  }
  const cuts = [0];
  for (const x of cutsFor(lo).slice(1)) {
    const frame = nearestBoundary(before, x);
    if (frame > cuts[cuts.length - 1] && frame < records.length) cuts.push(frame);
  }
  return cuts;
}

/** The frame index k (0..frames) whose records-before count is nearest to x. */
function nearestBoundary(before: readonly number[], x: number): number {
  let lo = 0;
  let hi = before.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && x - before[lo - 1] < before[lo] - x ? lo - 1 : lo;
}
