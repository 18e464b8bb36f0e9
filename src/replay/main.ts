/**
 * rg-replay's command line: decode captures offline. Parses the command line, calls the
 * replay library, and maps every failure to one line and a documented exit code.
 */
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { BrokenPipeError, writeAllSync } from '../common/fd-sink.js';
import { ByteOutput } from '../output/byte-output.js';
import { FormatError } from '../rgc/errors.js';
import { describeDamage } from '../rgc/damage.js';
import { expandInputs } from './input.js';
import { newTotals, replayFile } from './replay.js';
import { type EventSink, NdjsonSink, NullSink, TextSink } from './sinks.js';
import { buildStats, formatStatsText } from './stats.js';
import { TOOL_VERSION } from '../common/version.js';
import { checkSegmentChain, formatVerifyText, loadPublicKey, verifyExitCode, verifyFile } from './verify.js';

interface MainOptions {
  json?: boolean;
  stats?: boolean;
  color?: boolean;
}

/** Damage lines printed per file before summarising the rest. */
const DAMAGE_LINES = 20;

function stderr(line: string): void {
  process.stderr.write(`rg-replay: ${line}\n`);
}

export function runReplay(paths: string[], opts: MainOptions): number {
  const inputs = expandInputs(paths);
  const out = new ByteOutput((bytes) => writeAllSync(1, bytes));
  const useColor = opts.color !== false && !opts.json && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const sink: EventSink = opts.stats ? new NullSink() : opts.json ? new NdjsonSink(out) : new TextSink(out, useColor);
  const totals = newTotals();
  let printed = 0;
  for (const path of inputs) {
    printed = 0;
    replayFile(path, sink, totals, {
      onDamage(p, d) {
        if (printed++ < DAMAGE_LINES) stderr(`${p}: ${describeDamage(d)}`);
      },
    });
  }
  const stats = buildStats(totals);
  if (opts.stats) {
    const text = opts.json ? JSON.stringify(stats) + '\n' : formatStatsText(stats);
    writeAllSync(1, Buffer.from(text));
  }
  for (const f of stats.files) {
    if (f.damage_count > DAMAGE_LINES) stderr(`${f.path}: ${f.damage_count - DAMAGE_LINES} more damage reports (see --stats)`);
    if (!f.complete && !f.damaged) stderr(`${f.path}: incomplete: no end record (the capture was killed or the file was cut); all ${f.frames} frames read replayed`);
  }
  if (stats.lost.kernel + stats.lost.user > 0) stderr(`warning: the capture lost ${stats.lost.kernel} events in the kernel and ${stats.lost.user} in user space`);
  if (stats.invalid.total > 0) stderr(`warning: ${stats.invalid.total} records failed schema checks (reported as invalid_record)`);
  if (stats.damaged) return ExitCode.Damaged;
  if (!stats.complete) return ExitCode.Incomplete;
  return ExitCode.Ok;
}

export function buildProgram(): Command {
  const program = new Command('rg-replay')
    .description('Decode rand-guard captures (.rgc) offline: no root, no kernel access needed.')
    .version(TOOL_VERSION)
    .argument('<files...>', 'capture files, directories of captures, or - for stdin')
    .option('--json', 'one JSON object per event (NDJSON); with --stats, the summary as JSON')
    .option('--stats', 'print a summary (counts by kind, invalid records, loss, time range) instead of events')
    .option('--no-color', 'never color text output (NO_COLOR is honoured too)')
    .addHelpText('after', `
Examples:
  rg-replay captures/demo.rgc --json            every event as NDJSON
  rg-replay host.rgc --stats                    what the capture holds, and whether it is intact
  zstd -dc host.rgc | xxd | head                the raw records (a capture is a valid zstd stream)

Exit codes: 0 ok, 2 usage, 3 input unreadable, 4 not a capture / unsupported version,
            5 damaged (frames skipped), 6 incomplete (no end record), 1 internal error.`)
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .action((files: string[], opts: MainOptions) => {
      process.exitCode = runReplay(files, opts);
    });
  program.command('verify')
    .description('check checksums, hash chain, sequence numbers, totals and signature; print a verdict and the file SHA-256')
    .argument('<files...>', 'capture files (or directories of segments)')
    .option('--pubkey <file>', 'Ed25519 public key (PEM) that must have signed the end record')
    .option('--json', 'one JSON object per file')
    .addHelpText('after', '\nExit codes: 0 verified, 6 incomplete (no end record, nothing altered), 7 altered, 3 unreadable, 4 not a capture.')
    .action((files: string[], opts: { pubkey?: string; json?: boolean }) => {
      const key = opts.pubkey ? loadPublicKey(opts.pubkey) : null;
      const reports = expandInputs(files).map((f) => verifyFile(f, key));
      checkSegmentChain(reports);
      const text = reports.map((r) => (opts.json ? JSON.stringify(r) + '\n' : formatVerifyText(r))).join('');
      writeAllSync(1, Buffer.from(text));
      process.exitCode = verifyExitCode(reports);
    });
  return program;
}

export function main(argv: string[]): void {
  try {
    buildProgram().parse(argv);
  } catch (e) {
    process.exitCode = exitCodeFor(e);
  }
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
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
