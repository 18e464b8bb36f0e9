/**
 * What the main thread and the workers of a parallel Parquet export
 * (parallel-export.ts, export-worker.ts) say to each other: the job, the
 * outcome, damage found on the way, and errors as data, rebuilt on the main
 * thread as the class they were so that rg-replay prints the same one line
 * and exit code as a one-thread export.
 */
import { CliError, type ExitCode } from '../common/exit-codes.js';
import { type Damage } from '../rgc/damage.js';
import { FormatError, type FormatProblem } from '../rgc/errors.js';
import { type StatsReport } from '../replay/stats.js';
import { type ExportInput, type ExportResult, ExportStopped, type ExportRunOptions } from './driver.js';

export interface PartJob {
  readonly inputs: readonly ExportInput[];
  readonly opts: ExportRunOptions;
  readonly outDir: string;
  readonly fileRows: number | undefined;
  readonly run: string;
  /** Its name in file names: w1, w2, ... */
  readonly part: string;
  readonly first: number;
  readonly end: number;
  readonly stop: SharedArrayBuffer;
  /** The last part reads every frame: it reports damage as found, and its stats are the run's. */
  readonly last: boolean;
}

/** What one part did. */
export interface PartOutcome {
  readonly events: number;
  readonly alerts: number;
  readonly olderSchemaEvents: number;
  readonly warmEvents: number;
  readonly warmAlerts: number;
  readonly rangeAccepted: number;
  readonly rangeRejected: number;
  readonly rowsByClass: [number, number][];
  readonly filesWritten: string[];
  /** Strings stored without deduplication (string-pool.ts, MAX_PROBES). */
  readonly unindexedStrings: number;
  /** Rows whose wall time a TIMESTAMP(NANOS) cannot hold (parquet.ts). */
  readonly outOfRangeTimes: number;
  /** The last part's (it read the whole stream); null for the others. */
  readonly stats: StatsReport | null;
  /** What the detections let go of: the last part's are the whole stream's. */
  readonly limitWarnings: readonly string[];
}

/** What a part's run and writer did; `withStats`: the last part's whole-stream stats. */
export function partOutcome(r: ExportResult, writer: { readonly rowsByClass: Map<number, number>; readonly filesWritten: string[]; readonly unindexedStrings: number; readonly outOfRangeTimes: number },
  withStats: boolean): PartOutcome {
  return {
    events: r.events, alerts: r.alerts, olderSchemaEvents: r.olderSchemaEvents, warmEvents: r.warmEvents, warmAlerts: r.warmAlerts,
    rangeAccepted: r.rangeAccepted, rangeRejected: r.rangeRejected,
    rowsByClass: [...writer.rowsByClass], filesWritten: writer.filesWritten, unindexedStrings: writer.unindexedStrings, outOfRangeTimes: writer.outOfRangeTimes, stats: withStats ? r.stats : null,
    limitWarnings: r.limitWarnings,
  };
}

export type ErrorData =
  | { readonly kind: 'cli'; readonly message: string; readonly exitCode: ExitCode }
  | { readonly kind: 'format'; readonly message: string; readonly problem: FormatProblem }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'internal'; readonly message: string; readonly stack: string | undefined };

export type PartMessage =
  | { readonly type: 'damage'; readonly path: string; readonly damage: Damage }
  | { readonly type: 'done'; readonly outcome: PartOutcome }
  | { readonly type: 'failed'; readonly error: ErrorData };

export function errorData(e: unknown): ErrorData {
  if (e instanceof ExportStopped) return { kind: 'stopped' };
  if (e instanceof CliError) return { kind: 'cli', message: e.message, exitCode: e.exitCode };
  if (e instanceof FormatError) return { kind: 'format', message: e.message, problem: e.problem };
  if (e instanceof Error) return { kind: 'internal', message: e.message, stack: e.stack };
  return { kind: 'internal', message: String(e), stack: undefined };
}

/** The error a part failed with, as the class rg-replay's error handler maps to its line and exit code. */
export function errorFrom(d: ErrorData): Error {
  switch (d.kind) {
    case 'cli': return new CliError(d.message, d.exitCode);
    case 'format': return new FormatError(d.problem, d.message);
    case 'stopped': return new ExportStopped();
    case 'internal': {
      const e = new Error(d.message);
      if (d.stack !== undefined) e.stack = d.stack;
      return e;
    }
  }
}
