/**
 * What `rg-replay export` runs: the writer for the format, the replay, and
 * the mapping of its outcome to a summary line and an exit code. Imported by
 * the command's action (command.ts) only when export runs: its code (and the
 * replay session, writers and rules it pulls in) stays out of every other
 * command's start-up.
 */
import { exactSum } from '../rgc/meta-records.js';
import { setFlagsFromString } from 'node:v8';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { describeDamage } from '../rgc/damage.js';
import { visible } from '../common/visible.js';
import { type ExportOptions } from './command.js';
import { clocksByHost, type ExportInput, type ExportResult, ExportStopped, type FrameRange, prepareInputs, runExport, WHOLE_STREAM } from './driver.js';
import { NdjsonExportWriter } from './ndjson-writer.js';
import { newRunId, ParquetWriter } from './parquet.js';
import { unmappedKinds } from './ocsf-map.js';
import { frameRecordCounts, planRanges, WARM_SHARE, WORKER_START_RECORDS } from './frame-ranges.js';
import { prepareOutDir, removeRunFiles } from './dataset-layout.js';
import { runParallelExport } from './parallel-export.js';
import { inputsNotInDataset, writeRunRecord } from './run-records.js';
import { noteOnStderr } from '../replay/input.js';

/** What a Parquet export wrote, for the summary line. */
interface Written {
  readonly rowsByClass: Map<number, number>;
  readonly filesWritten: readonly string[];
  readonly unindexedStrings: number;
  readonly outOfRangeTimes: number;
}

/** More parts than this gain nothing but catch-up work (and a thread's memory each). */
const MAX_THREADS = 64;

const FORMATS = ['parquet', 'ocsf', 'ecs'] as const;

/** One line on stderr; paths and details may quote the capture: controls are shown, never sent. */
function stderr(line: string): void {
  process.stderr.write(`rg-replay: ${visible(line)}\n`);
}

export async function runExportCommand(files: string[], opts: ExportOptions): Promise<number> {
  const stop = new StopOnSignal();
  try {
    return await exportWithStop(files, opts, stop);
  } finally {
    stop.release();
  }
}

/**
 * SIGINT and SIGTERM while an export runs: the first sets the shared stop
 * word (every part of the export stops at its next frame, its files are
 * dropped, and the command says so); a second exits at once.
 */
class StopOnSignal {
  readonly word = new Int32Array(new SharedArrayBuffer(4));
  signal: NodeJS.Signals | null = null;
  private readonly handler = (sig: NodeJS.Signals): void => {
    if (this.signal !== null) {
      stderr(`forced exit (${sig} again): files of this export may be left behind`);
      process.exit(exitCodeOfSignal(sig));
    }
    this.signal = sig;
    Atomics.store(this.word, 0, 1);
  };

  constructor() {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  /** The error the export ends with: `e`, or, when a signal stopped it, one line saying what was kept. */
  outcome(e: unknown, kept: string): unknown {
    if (this.signal === null || !(e instanceof ExportStopped)) return e;
    return new CliError(`interrupted (${this.signal}): the export stopped; ${kept}`, exitCodeOfSignal(this.signal));
  }

  release(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}

/** 128 + the signal's number, as a shell reports a process a signal ended. */
function exitCodeOfSignal(sig: NodeJS.Signals): ExitCode {
  return sig === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Terminated;
}

async function exportWithStop(files: string[], opts: ExportOptions, stop: StopOnSignal): Promise<number> {
  const format = opts.format ?? 'parquet';
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`, ExitCode.Usage);
  if (format === 'parquet' && opts.output === undefined) throw new CliError('--format parquet needs -o DIR (the dataset directory)', ExitCode.Usage);
  const threads = threadsOf(opts.threads);
  let inputs = await prepareInputs(files);
  if (format === 'parquet' && opts.append === true) {
    // A capture the dataset holds already is not exported again (run-records.ts): its rows would be there twice.
    inputs = inputsNotInDataset(opts.output!, inputs, opts);
    if (inputs.length === 0) {
      noteOnStderr(`nothing to export: every capture given is in ${opts.output!} already`);
      return ExitCode.Ok;
    }
  }
  let damagePrinted = 0;
  const hooks = { onDamage: (p: string, d: Parameters<typeof describeDamage>[0]) => { if (damagePrinted++ < 20) stderr(`${p}: ${describeDamage(d)}`); } };
  const clockFor = clocksByHost(inputs);
  const range: FrameRange = { ...WHOLE_STREAM, stop: stop.word };
  if (format !== 'parquet') {
    const toFile = opts.output !== undefined && opts.output !== '-';
    const ndjson = NdjsonExportWriter.open(format as 'ocsf' | 'ecs', opts.output ?? null, clockFor, opts.index);
    try {
      const result = await runExport(inputs, opts, ndjson, hooks, (table) => { ndjson.table = table; }, range);
      return summarise(result, format, opts.output ?? null, null);
    } catch (e) {
      throw stop.outcome(e, toFile ? `${opts.output!} was removed` : 'what went to stdout is incomplete');
    }
  }
  boundHeapGrowth();
  const outDir = opts.output!;
  prepareOutDir(outDir, opts.append === true);
  const run = newRunId();
  // One part per thread asked for, fewer when the capture is too small for a thread to pay (frame-ranges.ts).
  const cuts = threads !== null && threads > 1 ? planRanges(frameRecordCounts(inputs.map((i) => i.path)), threads, WARM_SHARE, envWorkerStart()) : [0];
  const kept = `no file of it was kept in ${outDir}`;
  if (cuts.length > 1) {
    try {
      const result = await runParallelExport(inputs, opts, cuts, { outDir, fileRows: envFileRows(), run }, hooks, stop.word);
      recordRun(outDir, run, inputs, opts);
      return summarise(result, format, outDir, result);
    } catch (e) {
      throw stop.outcome(e, kept);
    }
  }
  // Default: a writer thread writes row groups while this one gathers the next (row-group-thread.ts); --threads 1: this thread only.
  const parquet = ParquetWriter.join({ outDir, append: opts.append === true, fileRows: envFileRows(), run, writerThread: threads === null, sentViews: envSentViews() }, clockFor);
  let result: ExportResult;
  try {
    result = await runExport(inputs, opts, parquet, hooks, (table) => { parquet.table = table; }, range);
  } catch (e) {
    // As a parallel export does: a failed or interrupted run keeps none of its files (removeRunFiles says why).
    removeRunFiles(outDir, run);
    throw stop.outcome(e, kept);
  }
  recordRun(outDir, run, inputs, opts);
  return summarise(result, format, outDir, parquet);
}

/** The run's record, its last file (run-records.ts); if it cannot be written, none of the run's files is kept. */
function recordRun(outDir: string, run: string, inputs: readonly ExportInput[], opts: ExportOptions): void {
  try {
    writeRunRecord(outDir, run, inputs, opts);
  } catch (e) {
    removeRunFiles(outDir, run);
    throw e;
  }
}

/**
 * --threads: how a Parquet export uses threads. Not given (null): one thread gathers rows and a second writes
 * row groups (row-group-thread.ts: ~20% less wall time than one thread, ~+100 MB peak RSS, docs/fleet.md). 1: one thread
 * only (a busy host, a tight memory budget). N > 1: N parts, each a range of the frames on a thread of its
 * own (parallel-export.ts): each part does the catch-up and its own V8 compiling, so this pays only on
 * idle cores beyond two.
 */
function threadsOf(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > MAX_THREADS) throw new CliError(`--threads must be a whole number from 1 to ${MAX_THREADS}, got ${JSON.stringify(value)}`, ExitCode.Usage);
  return n;
}

/**
 * The Parquet export's live heap is small and flat (a row group's parts, the
 * live processes: ~30 MB at 1M and at 10M events), but what a row group
 * draws lives long enough to be promoted, and V8 lets the old space grow to
 * about 4x its live size between full collections: peak RSS crept from
 * 160 MB at 1M events to 270 MB at 10M. Growing it by at most 1.5x instead
 * keeps 10M within 1.2x of 1M (measured on the loop capture: 152 -> 181 MB)
 * for a few more full collections (user CPU within the noise, +0-6%). V8
 * reads the flag whenever it sets the next limit, so setting it here, after
 * start-up, takes effect for this command only.
 */
function boundHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=50');
}

/** Rows per file (FILE_ROWS) for tests that want several files from a small capture. */
function envFileRows(): number | undefined {
  return envCount('RG_EXPORT_BATCH_ROWS');
}

/** Process views the writer thread keeps (RG_EXPORT_SENT_VIEWS: tests make it forget them often). */
function envSentViews(): number | undefined {
  return envCount('RG_EXPORT_SENT_VIEWS');
}

/** A whole number above 0 from the environment variable `name`, else undefined. */
function envCount(name: string): number | undefined {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** A worker's start in records (RG_EXPORT_WORKER_START_RECORDS: tests split small captures with 0). */
function envWorkerStart(): number {
  const n = Number(process.env.RG_EXPORT_WORKER_START_RECORDS);
  return process.env.RG_EXPORT_WORKER_START_RECORDS !== undefined && Number.isInteger(n) && n >= 0 ? n : WORKER_START_RECORDS;
}

function summarise(r: ExportResult, format: string, output: string | null, parquet: Written | null): number {
  const { stats } = r;
  const classes = parquet !== null ? [...parquet.rowsByClass].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(' ') : '';
  const where = output ?? 'stdout';
  stderr(`exported ${r.events} events${r.alerts > 0 ? ` and ${r.alerts} findings` : ''} from ${r.inputs.length} capture(s) as ${format} to ${where}`
    + (parquet !== null ? ` (${parquet.filesWritten.length} files; rows by class_uid ${classes || 'none'})` : ''));
  if (parquet !== null && parquet.unindexedStrings > 0) {
    stderr(`warning: ${parquet.unindexedStrings} strings of the capture were stored without deduplication: their hashes crowded the export's string table, as bytes chosen to collide would (an attempt to stall the export?); every row holds its value, only their repeats take more room`);
  }
  if (parquet !== null && parquet.outOfRangeTimes > 0) {
    stderr(`warning: ${parquet.outOfRangeTimes} rows have a wall time a Parquet TIMESTAMP(NANOS) cannot hold (before 1677-09-21 or after 2262-04-11): their time is null and they are in day=unknown; unmapped.ts_ns keeps the record's exact monotonic ns`);
  }
  const unmapped = unmappedKinds();
  if (unmapped.length > 0) stderr(`note: kinds without an OCSF mapping are exported as Base Event (class_uid 0): ${unmapped.join(', ')}`);
  for (const f of stats.files) {
    if (f.damage_count > 20) stderr(`${f.path}: ${f.damage_count - 20} more damage reports`);
    if (!f.complete && !f.damaged) stderr(`${f.path}: incomplete: no end record; all ${f.frames} frames read were exported`);
  }
  if (exactSum([stats.lost.kernel, stats.lost.user]) > 0) stderr(`warning: the capture lost ${stats.lost.kernel} events in the kernel and ${stats.lost.user} in user space`);
  if (stats.invalid.total > 0) stderr(`warning: ${stats.invalid.total} records failed schema checks and have no row (see rg-replay audit)`);
  for (const w of r.limitWarnings) stderr(w);
  if (r.olderSchemaEvents > 0) {
    stderr(`note: ${r.olderSchemaEvents} events are of an older schema version: exported as rg-replay FILE --json decodes them, the fields their file did not record null (rg-replay audit FILE lists them)`);
  }
  if (stats.damaged) return ExitCode.Damaged;
  if (!stats.complete) return ExitCode.Incomplete;
  return ExitCode.Ok;
}

