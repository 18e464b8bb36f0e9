/**
 * `rg-replay export FILE... --format parquet|ocsf|ecs` and `rg-replay sql`:
 * the commands' options, one block to register them, and the mapping of
 * their outcome to a summary line and an exit code.
 */
import { readFileSync } from 'node:fs';
import { type Command } from 'commander';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { writeAllSync } from '../common/fd-sink.js';
import { describeDamage } from '../rgc/damage.js';
import { clocksByHost, type ExportResult, type ExportRunOptions, type ExportWriter, prepareInputs, runExport } from './driver.js';
import { loadDuckDB } from './duckdb.js';
import { NdjsonExportWriter } from './ndjson-writer.js';
import { ParquetWriter } from './parquet.js';
import { unmappedKinds } from './ocsf-map.js';
import { runSql, type SqlOptions } from './sql.js';

export interface ExportOptions extends ExportRunOptions {
  format?: string;
  output?: string;
  append?: boolean;
  index?: string;
}

const FORMATS = ['parquet', 'ocsf', 'ecs'] as const;

function stderr(line: string): void {
  process.stderr.write(`rg-replay: ${line}\n`);
}

export async function runExportCommand(files: string[], opts: ExportOptions): Promise<number> {
  const format = opts.format ?? 'parquet';
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`, ExitCode.Usage);
  if (format === 'parquet' && opts.output === undefined) throw new CliError('--format parquet needs -o DIR (the dataset directory)', ExitCode.Usage);
  const inputs = await prepareInputs(files);
  let damagePrinted = 0;
  const hooks = { onDamage: (p: string, d: Parameters<typeof describeDamage>[0]) => { if (damagePrinted++ < 20) stderr(`${p}: ${describeDamage(d)}`); } };
  let writer: ExportWriter;
  let parquet: ParquetWriter | null = null;
  const clockFor = clocksByHost(inputs);
  if (format === 'parquet') {
    const duck = await loadDuckDB();
    parquet = await ParquetWriter.open(duck, { outDir: opts.output!, append: opts.append === true, batchRows: envBatchRows() }, clockFor);
    writer = parquet;
  } else {
    writer = NdjsonExportWriter.open(format as 'ocsf' | 'ecs', opts.output ?? null, clockFor, opts.index);
  }
  const result = await runExport(inputs, opts, writer, hooks, (table) => {
    if (parquet !== null) parquet.table = table;
    if (writer instanceof NdjsonExportWriter) writer.table = table;
  });
  return summarise(result, format, opts.output ?? null, parquet);
}

/** BATCH_ROWS override for tests that want several batches from a small capture. */
function envBatchRows(): number | undefined {
  const n = Number(process.env.RG_EXPORT_BATCH_ROWS);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function summarise(r: ExportResult, format: string, output: string | null, parquet: ParquetWriter | null): number {
  const { stats } = r;
  const classes = parquet !== null ? [...parquet.rowsByClass].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(' ') : '';
  const where = output ?? 'stdout';
  stderr(`exported ${r.events} events${r.alerts > 0 ? ` and ${r.alerts} findings` : ''} from ${r.inputs.length} capture(s) as ${format} to ${where}`
    + (parquet !== null ? ` (${parquet.filesWritten.length} files; rows by class_uid ${classes || 'none'})` : ''));
  const unmapped = unmappedKinds();
  if (unmapped.length > 0) stderr(`note: kinds without an OCSF mapping are exported as Base Event (class_uid 0): ${unmapped.join(', ')}`);
  for (const f of stats.files) {
    if (f.damage_count > 20) stderr(`${f.path}: ${f.damage_count - 20} more damage reports`);
    if (!f.complete && !f.damaged) stderr(`${f.path}: incomplete: no end record; all ${f.frames} frames read were exported`);
  }
  if (stats.lost.kernel + stats.lost.user > 0) stderr(`warning: the capture lost ${stats.lost.kernel} events in the kernel and ${stats.lost.user} in user space`);
  if (stats.invalid.total > 0) stderr(`warning: ${stats.invalid.total} records failed schema checks and have no row (see rg-replay audit)`);
  if (stats.damaged) return ExitCode.Damaged;
  if (!stats.complete) return ExitCode.Incomplete;
  return ExitCode.Ok;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** Registers `export` and `sql` on rg-replay's program. */
export function registerExportCommands(program: Command, addFilters: (c: Command) => Command): void {
  const exp = program.command('export')
    .description('export captures for other tools: an OCSF Parquet dataset (DuckDB, Spark, Athena/Trino, ClickHouse, security lakes), OCSF or ECS NDJSON')
    .argument('<files...>', 'capture files or directories of captures')
    .option('--format <format>', 'parquet (a Hive-partitioned dataset, needs -o DIR and DuckDB), ocsf (NDJSON), ecs (NDJSON, Elasticsearch/OpenSearch _bulk lines)', 'parquet')
    .option('-o, --output <path>', 'parquet: the dataset directory (new or empty); ocsf/ecs: a file (default stdout)')
    .option('--append', 'parquet: add to an existing dataset directory')
    .option('--index <name>', 'ecs: the index or data stream in the bulk action lines', 'logs-rand_guard.events-default')
    .option('--detect', 'also export the built-in detections\' alerts (OCSF Detection Finding 2004)')
    .option('--rules <file>', 'also export alerts of these TOML rules (repeatable)', collect, [])
    .option('--sigma <path>', 'also export alerts of these Sigma rules (file or directory, repeatable)', collect, [])
    .option('--alert-port <port>', 'alert on connects to this port (repeatable)', collect, [])
    .option('--alert-cidr <cidr>', 'alert on connects into this network (repeatable)', collect, []);
  addFilters(exp)
    .addHelpText('after', `
Examples:
  rg-replay export host.rgc --format parquet -o lake/          OCSF Parquet, host=/day=/class_uid= partitions
  rg-replay export captures/ --detect --format parquet -o lake/ with Detection Findings
  rg-replay export host.rgc --format ecs | curl -s -H 'Content-Type: application/x-ndjson' --data-binary @- localhost:9200/_bulk
See docs/fleet.md for DuckDB, ClickHouse, Spark and Athena/Trino over the dataset.`)
    .action(async (files: string[], opts: ExportOptions) => {
      process.exitCode = await runExportCommand(files, opts);
    });

  program.command('sql')
    .description('run SQL (DuckDB) over captures or an exported Parquet dataset: views events and one per OCSF class')
    .argument('<inputs...>', 'capture files, directories of captures, or one exported dataset directory; then the query as the last argument')
    .option('--json', 'one JSON object per row (NDJSON)')
    .option('--max-rows <n>', 'rows to print in the terminal table (default 1000; --json prints all)')
    .option('-f, --file <sql>', 'read the query from this file (then every argument is an input)')
    .addHelpText('after', `
Views: events (every event: class_uid, time, actor, ...), process_activity, file_system_activity,
network_activity, dns_activity, detection_finding (with --detect), base_event.
Examples:
  rg-replay sql host.rgc "SELECT actor.process.file.path AS exe, count(*) n FROM file_system_activity GROUP BY 1 ORDER BY n DESC"
  rg-replay sql lake/ "SELECT time, dst_endpoint.ip, dst_endpoint.port FROM network_activity ORDER BY time" --json`)
    .option('--detect', 'captures: also run the built-in detections (view detection_finding)')
    .action(async (inputs: string[], opts: SqlOptions & { file?: string }) => {
      let query: string;
      if (opts.file !== undefined) {
        try {
          query = readFileSync(opts.file, 'utf8');
        } catch (e) {
          throw new CliError(`cannot read ${opts.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, ExitCode.Io);
        }
      } else {
        if (inputs.length < 2) throw new CliError('sql needs at least one input and a query (the last argument, or -f FILE)', ExitCode.Usage);
        query = inputs.pop()!;
      }
      process.exitCode = await runSql(inputs, query, opts, (text) => writeAllSync(1, Buffer.from(text)));
    });
}
