/**
 * `rg-replay sql INPUT... "QUERY"`: DuckDB over an OCSF Parquet dataset,
 * either one exported before (a directory of .parquet files) or one written
 * from captures into a temporary directory for this query. Views: `events`
 * (the columns every class shares) and one per class (`process_activity`,
 * `file_system_activity`, ...). Rows stream out chunk by chunk: NDJSON with
 * --json, else a table whose every cell has its control characters made
 * visible (captured strings are hostile).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { BrokenPipeError } from '../common/fd-sink.js';
import { terminalSafeJson, visible } from '../common/visible.js';
import { clocksByHost, prepareInputs, runExport } from './driver.js';
import { type Duck, type DuckConnection, loadDuckDB, openDuckDB, sqlString } from './duckdb.js';
import { DETECTION_FINDING, OCSF_CLASSES, type OcsfClass } from './ocsf-map.js';
import { ParquetWriter } from './parquet.js';

export interface SqlOptions {
  json?: boolean;
  maxRows?: string;
  detect?: boolean;
}

/** The view name of a class: its OCSF name in snake case. */
export function viewName(c: OcsfClass): string {
  return c.name.toLowerCase().replaceAll(' ', '_');
}

/** Columns every class has, for the `events` view. */
export const EVENTS_COLUMNS = [
  'class_uid', 'class_name', 'category_uid', 'category_name', 'activity_id', 'activity_name', 'type_uid', 'type_name', 'severity_id', 'severity',
  'status_id', 'status', 'time', 'metadata', 'device', 'actor', 'attestation_list',
];

function isDataset(paths: readonly string[]): boolean {
  if (paths.length !== 1) return false;
  try {
    if (!statSync(paths[0]).isDirectory()) return false;
  } catch {
    return false;
  }
  return readdirSync(paths[0], { recursive: true }).some((f) => String(f).endsWith('.parquet'));
}

/** Creates the views over dataset directory `dir`; returns the names made. */
export async function createViews(conn: DuckConnection, dir: string): Promise<string[]> {
  const made: string[] = [];
  const parts: string[] = [];
  for (const c of [...OCSF_CLASSES, DETECTION_FINDING]) {
    const glob = join(dir, '*', '*', `class_uid=${c.uid}`, '*.parquet');
    const files = classFiles(dir, c.uid);
    if (files === 0) continue;
    // The partition columns (host, day) come from the path; class_uid is in the files too.
    try {
      await conn.run(`CREATE VIEW ${viewName(c)} AS SELECT * EXCLUDE (class_uid), class_uid::INTEGER AS class_uid FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, union_by_name = true)`);
    } catch (e) {
      // DuckDB reads every file's footer here: one that is cut short or damaged is the dataset's fault, not the query's.
      throw new CliError(`sql: a file of the dataset in ${dir} cannot be read: ${firstLine(e)}`, ExitCode.Io);
    }
    made.push(viewName(c));
    parts.push(`SELECT ${EVENTS_COLUMNS.map((k) => (k === 'time' ? '"time"' : k)).join(', ')}, host, day FROM ${viewName(c)}`);
  }
  if (parts.length === 0) throw new CliError(`${dir} holds no OCSF Parquet files (expected host=*/day=*/class_uid=*/*.parquet)`, ExitCode.Io);
  await conn.run(`CREATE VIEW events AS ${parts.join(' UNION ALL BY NAME ')}`);
  return ['events', ...made];
}

function classFiles(dir: string, classUid: number): number {
  let n = 0;
  for (const host of safeList(dir)) {
    for (const day of safeList(join(dir, host))) {
      n += safeList(join(dir, host, day, `class_uid=${classUid}`)).filter((f) => f.endsWith('.parquet')).length;
    }
  }
  return n;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export async function runSql(inputs: string[], query: string, opts: SqlOptions, write: (text: string) => void): Promise<number> {
  const duck = await loadDuckDB();
  const scratch = mkdtempSync(join(tmpdir(), 'rg-sql-'));
  // Ctrl-C or SIGTERM while captures are exported for the query, or while it runs: the scratch dataset (as large as
  // the captures' rows) is removed before the exit, not left in the temporary directory.
  const onSignal = (sig: NodeJS.Signals): void => {
    rmSync(scratch, { recursive: true, force: true });
    process.stderr.write(`rg-replay: interrupted (${sig}): the query stopped\n`);
    // The signal again, with its default action: the process ends now. process.exit() would wait for DuckDB's
    // threads to finish the query (its destructor joins them: a long query kept the process alive).
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.kill(process.pid, sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let exit: number = ExitCode.Ok;
  try {
    let dataset: string;
    if (isDataset(inputs)) {
      dataset = inputs[0];
    } else {
      dataset = join(scratch, 'dataset');
      exit = await exportForQuery(inputs, dataset, opts);
    }
    const db = await openDuckDB(duck, join(scratch, 'spill'));
    const conn = await db.connect();
    try {
      await createViews(conn, dataset);
      await printQuery(duck, conn, query, opts, write, dataset);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(scratch, { recursive: true, force: true });
  }
  return exit;
}

async function exportForQuery(paths: string[], dir: string, opts: SqlOptions): Promise<number> {
  const inputs = await prepareInputs(paths);
  const writer = ParquetWriter.open({ outDir: dir, append: false }, clocksByHost(inputs));
  const r = await runExport(inputs, { detect: opts.detect }, writer, {}, (t) => { writer.table = t; });
  if (r.olderSchemaEvents > 0) {
    process.stderr.write(`rg-replay: note: ${r.olderSchemaEvents} events are of an older schema version: in the query's tables as rg-replay FILE --json decodes them, the fields their file did not record null (rg-replay audit FILE lists them)\n`);
  }
  if (r.stats.damaged) return ExitCode.Damaged;
  if (!r.stats.complete) return ExitCode.Incomplete;
  return ExitCode.Ok;
}

/** The first line of a DuckDB error. */
function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/**
 * What DuckDB says when a file of the dataset cannot be read as Parquet (cut
 * short, bytes flipped): its read, decompression and metadata errors. Anything
 * else is the query's (syntax, names, types, casts).
 */
const UNREADABLE = /^(IO Error|Invalid Error)|Failed to read file|No magic bytes|[Cc]orrupt|[Dd]ecompress|\.parquet\b/;

/** A DuckDB error while the query runs, as one line: the dataset's fault (exit 3) or the query's (exit 2). */
function queryFailure(e: unknown, dataset: string): CliError {
  const line = firstLine(e);
  if (UNREADABLE.test(line)) return new CliError(`sql: a file of the dataset in ${dataset} cannot be read: ${line}`, ExitCode.Io);
  return new CliError(`sql: ${line}`, ExitCode.Usage);
}

async function printQuery(duck: Duck, conn: DuckConnection, query: string, opts: SqlOptions, write: (text: string) => void, dataset: string): Promise<void> {
  try {
    await streamQuery(duck, conn, query, opts, write);
  } catch (e) {
    // Ours (a closed stdout, a CliError) as they are; the rest is DuckDB's.
    if (e instanceof CliError || e instanceof BrokenPipeError) throw e;
    throw queryFailure(e, dataset);
  }
}

async function streamQuery(duck: Duck, conn: DuckConnection, query: string, opts: SqlOptions, write: (text: string) => void): Promise<void> {
  const result = await conn.stream(query);
  const { JsonDuckDBValueConverter } = duck.api;
  const names = result.columnNames();
  const limit = opts.json ? Infinity : Math.max(1, Number(opts.maxRows ?? 1000) || 1000);
  const rows: string[][] = [];
  let total = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const converted = chunk.convertRows(JsonDuckDBValueConverter);
    for (const row of converted) {
      total++;
      if (opts.json) {
        const obj: Record<string, unknown> = {};
        names.forEach((n, i) => { obj[n] = row[i]; });
        write(`${terminalSafeJson(obj)}\n`);
      } else if (rows.length < limit) {
        rows.push(row.map(cellText));
      }
    }
  }
  if (!opts.json) write(formatTable(names.map(visible), rows, total));
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return visible(typeof v === 'string' ? v : JSON.stringify(v));
}

function formatTable(names: string[], rows: string[][], total: number): string {
  const width = names.map((n, i) => Math.min(80, Math.max(n.length, ...rows.map((r) => r[i].length))));
  const cut = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (cells: string[]) => `${cells.map((c, i) => cut(c, width[i])).join(' | ')}\n`;
  let out = line(names) + `${width.map((w) => '-'.repeat(w)).join('-+-')}\n`;
  for (const r of rows) out += line(r);
  out += total > rows.length ? `(${total} rows, ${rows.length} shown; --json prints all)\n` : `(${total} row${total === 1 ? '' : 's'})\n`;
  return out;
}

