/**
 * rg-replay's command line: decode captures offline. Parses the command line,
 * calls the replay library, and maps every failure to one line and a
 * documented exit code.
 */
import { exactSum } from '../rgc/meta-records.js';
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { BrokenPipeError, writeAllSync } from '../common/fd-sink.js';
import { TOOL_VERSION } from '../common/version.js';
import { terminalSafeJson, visible } from '../common/visible.js';
import { ByteOutput, byteOutputSize } from '../output/byte-output.js';
import { plainAsciiArena } from '../output/plain-ascii.js';
import { describeDamage } from '../rgc/damage.js';
import { FormatError } from '../rgc/errors.js';
import { auditExitCode, buildAudit, formatAuditText } from './audit.js';
import { type EventSink, NdjsonSink, NullSink, TextSink } from '../output/sinks.js';
import { ProcessContextEncoder } from './context-json.js';
import { compileFilter, filterArgs, type FilterOptions, kindNames, pathFieldNames } from './filters.js';
import { expandInputs } from './input.js';
import { type ProcessNode } from './process-table.js';
import { type FileReport, newTotals, replayInputs, type ReplayHooks } from './replay.js';
import { ReplaySession } from './session.js';
import { buildStats, formatStatsText } from './stats.js';
import { SelectionCounter, selectedStats } from './selected-stats.js';
import { PathFlagCounter } from './path-tally.js';
import { treeJson, treeJsonText, treeText } from './tree.js';
import { loadPublicKey } from '../common/keys.js';
import { checkSegmentChain, formatVerifyText, verifyExitCode, verifyFile } from './verify.js';
import { Progress } from './progress.js';

interface MainOptions extends FilterOptions {
  json?: boolean;
  stats?: boolean;
  color?: boolean;
  alerts?: boolean;
  detect?: boolean;
  withEvents?: boolean;
  rules?: string[];
  sigma?: string[];
  alertPort?: string[];
  alertCidr?: string[];
  context?: boolean;
  schema?: string;
}

/** Damage lines printed per file before summarising the rest. */
const DAMAGE_LINES = 20;
const collect = (v: string, acc: string[]) => [...acc, v];

/** Writes to stdout, ending quietly if the reader went away (`| head`). */
function writeQuietly(s: string): void {
  try {
    writeAllSync(1, Buffer.from(s));
  } catch (e) {
    if (!(e instanceof BrokenPipeError)) throw e;
  }
}

/** One line on stderr; messages quote paths, file contents and rule text: controls are shown, never sent. */
function stderr(line: string): void {
  process.stderr.write(`rg-replay: ${visible(line)}\n`);
}

interface RunResult {
  readonly session: ReplaySession;
  readonly stats: ReturnType<typeof buildStats>;
  readonly files: readonly FileReport[];
}

/** Replays inputs through a session: sequentially for one capture's segments, merged by time otherwise. */
export async function runSession(paths: string[], opts: MainOptions, sinkFor: (context: ProcessContextEncoder | null) => EventSink<ProcessNode>, needTable: boolean): Promise<RunResult> {
  const inputs = expandInputs(paths);
  if (inputs.length > 1 && inputs.includes('-')) throw new CliError('stdin (-) can only be replayed on its own', ExitCode.Usage);
  const filter = compileFilter(opts);
  // Rules are loaded only when asked for: a plain replay starts without them (and without node:net, which CIDR tests need).
  const wantsRules = opts.alerts === true || opts.detect === true || (opts.rules ?? []).length > 0 || (opts.sigma ?? []).length > 0;
  const alerts = wantsRules ? await (await import('./rules/setup.js')).buildAlertEngine(opts) : null;
  for (const line of alerts?.sigma?.notLoadedLines() ?? []) stderr(line);
  // The table feeds context (printed output only), --pid/--tree, tree view and rules: --stats needs none of them.
  const withProcesses = needTable || (opts.context !== false && !opts.stats) || filter.active || alerts !== null;
  let session: ReplaySession;
  const contextEncoder = opts.context === false ? null : new ProcessContextEncoder((host) => session.clockForHost(host), (node) => session.net.activity(node));
  session = new ReplaySession({
    sink: sinkFor(withProcesses ? contextEncoder : null), filter, withProcesses, keepProcessHistory: needTable, alerts,
    // --stats counts every event the filters pass (its sink prints nothing): --alerts must not hide them from the count.
    alertsOnly: opts.alerts === true && !opts.stats, withSourceEvents: opts.withEvents === true, decodeBy: parseSchemaMode(opts.schema),
    // Network state reaches printed events (names, context), rules and the tree, never --stats.
    withNetwork: !opts.stats || needTable || alerts !== null,
  });
  const totals = newTotals();
  let printed = 0;
  const progress = Progress.maybe(inputs);
  const hooks: ReplayHooks = {
    onDamage(p, d) { if (printed++ < DAMAGE_LINES) stderr(`${p}: ${describeDamage(d)}`); },
    onFileDone() {
      printed = 0;
      progress?.update(totals.files.reduce((n, f) => n + f.summary.bytesRead, 0));
    },
  };
  replayInputs(inputs, session, totals, hooks);
  progress?.clear();
  session.finish();
  const stats = buildStats(totals, session.counts, session.schema);
  const notes = session.hostNotes();
  return { session, stats: notes.length > 0 ? { ...stats, host_notes: notes } : stats, files: totals.files };
}

function parseSchemaMode(s: string | undefined): 'build' | 'manifest' {
  if (s === undefined || s === 'build' || s === 'manifest') return s ?? 'build';
  throw new CliError(`--schema must be 'build' or 'manifest', got ${JSON.stringify(s)}`, ExitCode.Usage);
}

export function reportAndExit(result: RunResult): number {
  const { stats, session } = result;
  for (const f of stats.files) {
    if (f.damage_count > DAMAGE_LINES) stderr(`${f.path}: ${f.damage_count - DAMAGE_LINES} more damage reports (see --stats)`);
    if (!f.complete && !f.damaged) stderr(`${f.path}: incomplete: no end record (the capture was killed or the file was cut); all ${f.frames} frames read replayed`);
  }
  if (exactSum([stats.lost.kernel, stats.lost.user]) > 0) stderr(`warning: the capture lost ${stats.lost.kernel} events in the kernel and ${stats.lost.user} in user space`);
  if (stats.invalid.total > 0) stderr(`warning: ${stats.invalid.total} records failed schema checks (reported as invalid_record)`);
  for (const note of stats.host_notes ?? []) stderr(`note: ${note}`);
  if (session.options.alerts !== null) {
    const undecided = session.options.alerts.undecidedCount;
    stderr(`${session.alertCount} alert(s)${undecided > 0 ? `, ${undecided} of them undecided (a rule may have matched a value the capture cut: \`undecided\` names the fields)` : ''}`);
    for (const w of session.options.alerts.limitWarnings(session.table, session.net)) stderr(w);
  }
  if (stats.damaged) return ExitCode.Damaged;
  if (!stats.complete) return ExitCode.Incomplete;
  return ExitCode.Ok;
}

export async function runReplay(paths: string[], opts: MainOptions): Promise<number> {
  const batch = 256 << 10;
  // NDJSON lines are written into the plain-ASCII arena, where its strings are copied by WebAssembly (src/output/plain-ascii.ts).
  const arena = opts.json && !opts.stats ? plainAsciiArena() : null;
  const region = arena?.lendOutput(byteOutputSize(batch)) ?? undefined;
  try {
    const out = new ByteOutput((bytes) => writeAllSync(1, bytes), batch, region);
    // --color forces colour (into a pager: | less -R); otherwise only on a terminal, and never with NO_COLOR.
    const useColor = !opts.json && (opts.color === true || (opts.color !== false && process.stdout.isTTY === true && !process.env.NO_COLOR));
    // With filters, --stats counts what they select (selected-stats.ts); without, the sink is not asked and prints nothing.
    const filters = filterArgs(opts);
    const counter = opts.stats && filters.length > 0 ? new SelectionCounter<ProcessNode>() : null;
    // --stats counts the paths the kernel did not make whole (path-tally.ts): of the events the filters select, as the kinds.
    let pathCounter: PathFlagCounter<ProcessNode> | null = null;
    const result = await runSession(paths, opts, (context) => {
      if (opts.stats) return (pathCounter = new PathFlagCounter(counter ?? new NullSink()));
      return opts.json ? new NdjsonSink(out, context) : new TextSink(out, useColor, context);
    }, false);
    if (opts.stats) {
      const all = { ...result.stats, paths: pathCounter!.tally(result.files) };
      const stats = counter === null ? all : selectedStats(all, counter, filters, result.files, result.session.schema);
      const text = opts.json ? terminalSafeJson(stats) + '\n' : formatStatsText(stats);
      writeAllSync(1, Buffer.from(text));
    }
    return reportAndExit(result);
  } finally {
    if (region !== undefined) arena!.release(region);
  }
}

export function addFilterOptions(c: Command): Command {
  return c
    .option('--kind <kinds>', `only these event types (${kindNames()}; repeatable or comma-separated)`, collect, [])
    .option('--pid <pid>', 'only events of this process (repeatable)', collect, [])
    .option('--tree', 'with --pid: include all descendants')
    .option('--comm <name>', 'only events whose comm is exactly this (repeatable)', collect, [])
    .option('--uid <uid>', 'only events of this user id (repeatable)', collect, [])
    .option('--path-prefix <path>', `only events with a path under this one (${pathFieldNames()}; repeatable)`, collect, [])
    .option('--port <port>', 'only network events with this port at either end (repeatable)', collect, [])
    .option('--addr <cidr>', 'only network events with an address at either end in this network, e.g. 10.0.0.0/8 (repeatable)', collect, [])
    .option('--exe <path>', 'only events of processes running this program (its full path; repeatable)', collect, [])
    .option('--failed', 'only calls that failed (result < 0)')
    .option('--writes', 'only changes to files: opens for writing, deletes, renames, links, chmod, chown, truncate')
    .option('--since <time>', 'from this wall-clock time (ISO-8601) or offset from capture start (90s, 5m)')
    .option('--until <time>', 'up to this wall-clock time or offset from capture start');
}

function addRuleOptions(c: Command): Command {
  return c
    .option('--detect', 'run the built-in detections and print alerts after their source events')
    .option('--alerts', 'print only alerts (built-in detections plus --rules)')
    .option('--with-events', 'with --alerts: also print each alert\'s source event')
    .option('--rules <file>', 'TOML rule file (repeatable); see rules/*.toml', collect, [])
    .option('--sigma <path>', 'Sigma rule file or directory (repeatable); see rules/sigma/ and rg-replay sigma-check', collect, [])
    .option('--alert-port <port>', 'alert on connects to this port (repeatable; replaces the default list)', collect, [])
    .option('--alert-cidr <cidr>', 'alert on connects into this network (repeatable)', collect, []);
}

/** rg-replay's program; `addCommands` registers commands that live above replay (export, sql: src/cli/rg-replay.ts). */
export function buildProgram(addCommands: (program: Command) => void = () => {}): Command {
  const program = new Command('rg-replay')
    .description('Decode rand-guard captures (.rgc) offline: no root, no kernel access needed.')
    .version(TOOL_VERSION)
    .argument('<files...>', 'capture files, directories of captures, or - for stdin')
    .option('--json', 'one JSON object per event (NDJSON); with --stats, the summary as JSON')
    .option('--stats', 'print a summary (counts by kind, invalid records, loss, time range) instead of events; with filters, the counts and time range are of the events they select, beside the capture\'s totals')
    .option('--color', 'color text output even when stdout is not a terminal')
    .option('--no-color', 'never color text output (NO_COLOR is honoured too)')
    .option('--no-context', 'leave out the process context of each event')
    .option('--schema <which>', "decode by 'build' (this build's layouts, default) or 'manifest' (the file's own layouts, for the fields this build knows)");
  addFilterOptions(program);
  addRuleOptions(program);
  program
    .addHelpText('after', `
Commands:
  rg-replay tree FILE...       the process tree, with what each process did
  rg-replay audit FILE...      the file's schema against this build's, invalid records, loss, damage
  rg-replay verify FILE...     checksums, hash chain, totals, signature: was the file altered?
  rg-replay sigma-check PATH   which Sigma rules load, and why the others do not
  rg-replay export FILE...     OCSF Parquet dataset (-o DIR), OCSF or ECS NDJSON (--format ocsf|ecs)
  rg-replay sql FILE... QUERY  SQL (DuckDB) over captures or an exported dataset
  rg-replay report FILE... -o report.html   an investigator's report: one self-contained HTML page

Examples:
  rg-replay captures/demo.rgc --json                 every event as NDJSON, with process context
  rg-replay host.rgc --alerts                        only what the built-in detections flag
  rg-replay host.rgc --pid 4242 --tree --kind file_open
  rg-replay host.rgc --sigma rules/sigma/ --alerts     SigmaHQ's Linux rules over the capture
  rg-replay segments/ --since 2026-11-25T08:00:00Z --until 10m

Exit codes: 0 ok, 2 usage, 3 input unreadable, 4 not a capture / unsupported version,
            5 damaged (frames or records lost), 6 incomplete (no end record), 7 verify: altered, 1 internal error.`)
    .exitOverride()
    .enablePositionalOptions()
    // Help and version as one synchronous write: through process.stdout, `--help | head -1` could die of an EPIPE event.
    .configureOutput({ writeOut: writeQuietly, writeErr: (s) => process.stderr.write(s) })
    .action(async (files: string[], opts: MainOptions) => {
      process.exitCode = await runReplay(files, opts);
    });

  program.command('tree')
    .description('print the process tree the capture saw, with counts of what each process did')
    .argument('<files...>', 'capture files or directories')
    .option('--json', 'the tree as JSON')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const result = await runSession(files, { context: false }, () => new NullSink(), true);
      const table = result.session.table!;
      const s = result.session;
      const text = opts.json ? treeJsonText(treeJson(table, s.clockForHost, s.net, s.originOfHost, s.recordersOfHost)) + '\n' : treeText(table, s.net, s.originOfHost, s.recordersOfHost);
      writeAllSync(1, Buffer.from(text));
      process.exitCode = reportAndExit(result);
    });

  program.command('audit')
    .description("compare the file's schema with this build's, kind by kind; count invalid records, loss and damage")
    .argument('<files...>', 'capture files or directories')
    .option('--json', 'the audit as JSON')
    .option('--schema <which>', "judge records by 'build' (this build's layouts) or 'manifest' (the file's own layouts)", 'build')
    .action(async (files: string[], opts: { json?: boolean; schema: string }) => {
      const pathCounter = new PathFlagCounter<ProcessNode>(new NullSink());
      const result = await runSession(files, { context: false, schema: parseSchemaMode(opts.schema) }, () => pathCounter, false);
      const report = buildAudit({ ...result.stats, paths: pathCounter.tally(result.files) }, result.files, opts.schema === 'manifest' ? 'manifest' : 'build');
      writeAllSync(1, Buffer.from(opts.json ? terminalSafeJson(report) + '\n' : formatAuditText(report)));
      process.exitCode = auditExitCode(report, reportAndExit(result));
    });

  program.command('sigma-check')
    .description('list every Sigma rule under the paths: loaded (and for which log source), or not loaded and why')
    .argument('<paths...>', 'Sigma rule files or directories')
    .option('--json', 'the list and a summary as JSON')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      // Loaded here: the Sigma engine is half of rg-replay's code, and only this command and --sigma need it.
      const [{ loadReplaySigmaRules }, { checkJson, formatCheckText }] = await Promise.all([import('./sigma/runner.js'), import('../sigma/check.js')]);
      const set = loadReplaySigmaRules(paths);
      writeAllSync(1, Buffer.from(opts.json ? terminalSafeJson(checkJson(set.reports)) + '\n' : formatCheckText(set.reports)));
    });

  program.command('verify')
    .description('check checksums, hash chain, sequence numbers, totals and signature; print a verdict and the file SHA-256')
    .argument('<files...>', 'capture files (or directories of segments)')
    .option('--pubkey <file>', 'Ed25519 public key (PEM) that must have signed the end record')
    .option('--json', 'one JSON object per file')
    .addHelpText('after', '\nExit codes: 0 verified, 6 incomplete (no end record, nothing altered), 7 altered, 4 not a capture or an unsupported format version, 3 unreadable.')
    .action((files: string[], opts: { pubkey?: string; json?: boolean }) => {
      const key = opts.pubkey ? loadPublicKey(opts.pubkey) : null;
      const reports = expandInputs(files).map((f) => verifyFile(f, key));
      checkSegmentChain(reports);
      const text = reports.map((r) => (opts.json ? terminalSafeJson(r) + '\n' : formatVerifyText(r))).join('');
      writeAllSync(1, Buffer.from(text));
      process.exitCode = verifyExitCode(reports);
    });

  addCommands(program);
  return program;
}

export async function main(argv: string[], addCommands: (program: Command) => void = () => {}): Promise<void> {
  try {
    await buildProgram(addCommands).parseAsync(argv);
  } catch (e) {
    process.exitCode = exitCodeFor(e);
  }
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  if (e instanceof BrokenPipeError) return ExitCode.Ok;
  if (e instanceof CliError) {
    stderr(e.message);
    return e.exitCode;
  }
  if (e instanceof FormatError) {
    stderr(e.message);
    return ExitCode.NotCapture;
  }
  const detail = e instanceof Error ? (process.env.RG_DEBUG ? e.stack ?? e.message : e.message) : String(e);
  stderr(`internal error (please report; RG_DEBUG=1 shows details): ${detail}`);
  return ExitCode.Internal;
}
