/**
 * `rg-replay export FILE... --format parquet|ocsf|ecs` and `rg-replay sql`:
 * the commands' options and one block to register them. What they run is
 * imported when they run (run-command.ts, sql.ts): rg-replay's other
 * commands start without parsing it (a 10-event replay: ~10 ms sooner).
 */
import { readFileSync } from 'node:fs';
import { type Command } from 'commander';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { writeAllSync } from '../common/fd-sink.js';
import { type ExportRunOptions } from './driver.js';
import { type SqlOptions } from './sql.js';

export interface ExportOptions extends ExportRunOptions {
  format?: string;
  output?: string;
  append?: boolean;
  index?: string;
  threads?: string;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** Registers `export` and `sql` on rg-replay's program. */
export function registerExportCommands(program: Command, addFilters: (c: Command) => Command): void {
  const exp = program.command('export')
    .description('export captures for other tools: an OCSF Parquet dataset (DuckDB, Spark, Athena/Trino, ClickHouse, security lakes), OCSF or ECS NDJSON')
    .argument('<files...>', 'capture files or directories of captures')
    .option('--format <format>', 'parquet (a Hive-partitioned dataset, needs -o DIR), ocsf (NDJSON), ecs (NDJSON, Elasticsearch/OpenSearch _bulk lines)', 'parquet')
    .option('-o, --output <path>', 'parquet: the dataset directory (new or empty); ocsf/ecs: a file (default stdout)')
    .option('--append', 'parquet: add to an existing dataset directory')
    .option('--index <name>', 'ecs: the index or data stream in the bulk action lines', 'logs-rand_guard.events-default')
    .option('--threads <n>', 'parquet: 1 = one thread; N > 1 = N threads, each a range of the capture\'s frames (default: a second thread writes row groups while the first gathers them); ocsf/ecs write one stream on one thread')
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
      const { runExportCommand } = await import('./run-command.js');
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
      const { runSql } = await import('./sql.js');
      process.exitCode = await runSql(inputs, query, opts, (text) => writeAllSync(1, Buffer.from(text)));
    });
}
