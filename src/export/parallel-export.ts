/**
 * `export --format parquet` on several cores: the inputs' data frames, in
 * order, are cut into contiguous ranges (frame-ranges.ts); the main thread
 * exports the first and a worker thread (export-worker.ts) each later one.
 * Every part is a whole one-thread export (driver.ts, ParquetWriter) writing
 * files of its own (part-RUN-wN-SEQ.parquet); a part whose range starts
 * later first replays the frames before it for state only (the process
 * table, detections' state, the GUIDs its rows carry), so its rows are the
 * ones a one-thread export writes for those frames.
 *
 * Counts: rows, events and findings are summed over the parts; the stats
 * (invalid records, loss, damage, completeness) are the last part's, which
 * read every frame through the same replay as a one-thread export. The sums
 * are checked against the last part's whole-stream counts before anything
 * is reported.
 *
 * Failure: the first part to fail raises a shared flag, the others stop at
 * their next frame, and the run's files (every part's, finished or not) are
 * removed; rg-replay prints the failed part's error as its one line, with
 * its exit code.
 */
import { Worker } from 'node:worker_threads';
import { type ReplayHooks } from '../replay/replay.js';
import { type StatsReport } from '../replay/stats.js';
import { type ExportInput, type ExportResult, type ExportRunOptions, runExport, clocksByHost } from './driver.js';
import { type ErrorData, errorData, errorFrom, type PartJob, type PartMessage, type PartOutcome, partOutcome } from './part-messages.js';
import { removeRunFiles } from './dataset-layout.js';
import { ParquetWriter } from './parquet.js';

export interface ParallelParquet {
  readonly outDir: string;
  readonly fileRows: number | undefined;
  readonly run: string;
}

export interface ParallelResult extends ExportResult {
  readonly rowsByClass: Map<number, number>;
  readonly filesWritten: readonly string[];
  readonly unindexedStrings: number;
  readonly outOfRangeTimes: number;
  readonly parts: number;
}

type Settled = { ok: true; outcome: PartOutcome } | { ok: false; error: ErrorData };

/**
 * Exports `inputs` in parts starting at frames `cuts` ([0, ...], at least
 * two). The dataset directory exists (prepareOutDir made it). `stop`: set
 * (non-zero) by a part that fails, or by the caller (a signal): every part
 * stops at its next frame, and no file of the run is kept.
 */
export async function runParallelExport(inputs: readonly ExportInput[], opts: ExportRunOptions, cuts: readonly number[], pq: ParallelParquet,
  hooks: ReplayHooks, stop: Int32Array = new Int32Array(new SharedArrayBuffer(4))): Promise<ParallelResult> {
  const stopBuffer = stop.buffer as SharedArrayBuffer;
  const workers: Promise<Settled>[] = [];
  for (let i = 1; i < cuts.length; i++) {
    const job: PartJob = {
      inputs, opts, outDir: pq.outDir, fileRows: pq.fileRows, run: pq.run, part: `w${i}`,
      first: cuts[i], end: i + 1 < cuts.length ? cuts[i + 1] : Infinity, stop: stopBuffer, last: i === cuts.length - 1,
    };
    workers.push(startPart(job, stop, hooks));
  }
  const mine = await exportFirstPart(inputs, opts, cuts[1], pq, stop);
  const settled = [mine, ...await Promise.all(workers)];
  const failed = settled.find((s): s is Extract<Settled, { ok: false }> => !s.ok && s.error.kind !== 'stopped')
    ?? settled.find((s): s is Extract<Settled, { ok: false }> => !s.ok);
  if (failed !== undefined) {
    removeRunFiles(pq.outDir, pq.run);
    throw errorFrom(failed.error);
  }
  const outcomes = settled.map((s) => (s as Extract<Settled, { ok: true }>).outcome);
  try {
    return merged(outcomes, inputs);
  } catch (e) {
    removeRunFiles(pq.outDir, pq.run);
    throw e;
  }
}

/** Part 0, on this thread: frames [0, end). */
async function exportFirstPart(inputs: readonly ExportInput[], opts: ExportRunOptions, end: number, pq: ParallelParquet, stop: Int32Array): Promise<Settled> {
  const writer = ParquetWriter.join({ outDir: pq.outDir, append: true, fileRows: pq.fileRows, run: pq.run, part: 'w0', writerThread: false }, clocksByHost(inputs));
  try {
    const r = await runExport(inputs, opts, writer, {}, (t) => { writer.table = t; }, { first: 0, end, stop });
    return { ok: true, outcome: partOutcome(r, writer, false) };
  } catch (e) {
    const error = errorData(e);
    if (error.kind !== 'stopped') Atomics.store(stop, 0, 1);
    return { ok: false, error };
  }
}

/** A worker for one part; settles when it has said how it ended, or has died without saying. */
function startPart(job: PartJob, stop: Int32Array, hooks: ReplayHooks): Promise<Settled> {
  return new Promise((resolve) => {
    let settled: Settled | null = null;
    // V8 flags are the process's already; a worker rejects the start-up snapshot's (--snapshot-blob).
    const worker = new Worker(exportWorkerUrl(), { workerData: job, execArgv: [], stdout: false, stderr: false });
    const fail = (message: string) => {
      Atomics.store(stop, 0, 1);
      settled ??= { ok: false, error: { kind: 'internal', message, stack: undefined } };
    };
    worker.on('message', (m: PartMessage) => {
      if (m.type === 'damage') hooks.onDamage?.(m.path, m.damage);
      else if (m.type === 'done') settled ??= { ok: true, outcome: m.outcome };
      else settled ??= { ok: false, error: m.error };
    });
    worker.on('error', (e) => fail(`export part ${job.part} failed: ${e instanceof Error ? e.message : String(e)}`));
    worker.on('exit', (code) => {
      if (settled === null) fail(`export part ${job.part} ended (exit code ${code}) without a result`);
      resolve(settled!);
    });
  });
}

/**
 * The worker's script beside this module: the bundle's (dist/bin/export-worker.mjs,
 * this code being in dist/bin or dist/bin/chunks), else tsc's (dist/src/export/).
 */
function exportWorkerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.mjs')) return new URL(/\/chunks\/[^/]+$/.test(here) ? '../export-worker.mjs' : './export-worker.mjs', here);
  return new URL('./export-worker.js', here);
}

/** The parts' outcomes as one export's, after checking that the parts add up to the last part's whole-stream counts. */
function merged(outcomes: readonly PartOutcome[], inputs: readonly ExportInput[]): ParallelResult {
  const last = outcomes[outcomes.length - 1];
  const stats: StatsReport = last.stats!;
  const sum = (f: (o: PartOutcome) => number) => outcomes.reduce((n, o) => n + f(o), 0);
  const events = sum((o) => o.events);
  const alerts = sum((o) => o.alerts);
  const checks: [string, number, number][] = [
    ['events', events, last.warmEvents + last.events],
    ['findings', alerts, last.warmAlerts + last.alerts],
    ['accepted records', sum((o) => o.rangeAccepted), stats.events],
    ['rejected records', sum((o) => o.rangeRejected), stats.invalid.total],
  ];
  for (const [what, parts, whole] of checks) {
    if (parts !== whole) throw new Error(`parallel export: the parts' ${what} add up to ${parts}, the whole stream has ${whole}`);
  }
  const rowsByClass = new Map<number, number>();
  for (const o of outcomes) for (const [c, n] of o.rowsByClass) rowsByClass.set(c, (rowsByClass.get(c) ?? 0) + n);
  return {
    stats, events, alerts, olderSchemaEvents: sum((o) => o.olderSchemaEvents), inputs,
    warmEvents: 0, warmAlerts: 0, rangeAccepted: stats.events, rangeRejected: stats.invalid.total,
    rowsByClass, filesWritten: outcomes.flatMap((o) => o.filesWritten), unindexedStrings: sum((o) => o.unindexedStrings), outOfRangeTimes: sum((o) => o.outOfRangeTimes), parts: outcomes.length,
    limitWarnings: last.limitWarnings,
  };
}


