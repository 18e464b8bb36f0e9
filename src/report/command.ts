/**
 * `rg-replay report FILE... -o report.html`: the investigator's report, one
 * self-contained HTML file. Registered by rg-replay's main with the replay
 * function it uses everywhere, so this module does not import main.
 */
import { closeSync, constants, lstatSync, openSync, readlinkSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Command } from 'commander';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { BrokenPipeError, writeAllSync } from '../common/fd-sink.js';
import { formatBytes } from '../common/format-bytes.js';
import { loadPublicKey } from '../common/keys.js';
import { describeIoError, requireRereadable } from '../replay/input.js';
import { verifyExitCode } from '../replay/verify.js';
import { buildReport, type ReplayRun, type RunReplay } from './build.js';
import { renderReportHtml } from './html.js';

interface ReportOptions {
  output?: string;
  rules?: string[];
  sigma?: string[];
  alertPort?: string[];
  alertCidr?: string[];
  pubkey?: string;
}

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerReportCommand(program: Command, run: RunReplay, exitCodeOf: (run: ReplayRun) => number): void {
  program.command('report')
    .description('write an investigation report: one self-contained HTML file (no network), with alerts, process tree, timeline and events')
    .argument('<files...>', 'capture files or directories (not stdin: each file is read twice, to replay and to verify)')
    .option('-o, --output <file>', 'the HTML file to write (- for stdout)')
    .option('--rules <file>', 'TOML rule file to run besides the built-in detections (repeatable)', collect, [])
    .option('--sigma <path>', 'Sigma rule file or directory to run besides the built-in detections (repeatable); alerts show their ATT&CK tags', collect, [])
    .option('--alert-port <port>', 'alert on connects to this port (repeatable; replaces the default list)', collect, [])
    .option('--alert-cidr <cidr>', 'alert on connects into this network (repeatable)', collect, [])
    .option('--pubkey <file>', 'Ed25519 public key (PEM) that must have signed each capture')
    .addHelpText('after', `
Examples:
  rg-replay report captures/demo.rgc -o demo.html
  rg-replay report host.rgc --pubkey pub.pem --sigma rules/sigma/ -o host.html

The page needs no network and loads nothing: open it from disk in any browser, or print it.
Exit codes: 0 written; 5 damaged or 6 incomplete input (the report is written and says so);
            7 a capture failed verification (written, marked ALTERED); 2 usage; 3 unreadable input or output.`)
    .action(async (files: string[], opts: ReportOptions) => {
      process.exitCode = await writeReport(files, opts, run, exitCodeOf);
    });
}

export async function writeReport(files: string[], opts: ReportOptions, run: RunReplay, exitCodeOf: (run: ReplayRun) => number): Promise<number> {
  if (opts.output === undefined) throw new CliError('report: give the file to write with -o FILE (or -o - for stdout)', ExitCode.Usage);
  if (files.includes('-')) throw new CliError('report reads each capture twice (to replay and to verify): give files, not stdin', ExitCode.Usage);
  requireRereadable(files, 'report reads each capture twice (to replay and to verify)');
  const publicKey = opts.pubkey ? loadPublicKey(opts.pubkey) : null;
  const rules = { detect: true, rules: opts.rules, sigma: opts.sigma, alertPort: opts.alertPort, alertCidr: opts.alertCidr };
  const built = await buildReport(run, { paths: files, rules, publicKey });
  const html = Buffer.from(renderReportHtml(built.data));
  if (opts.output === '-') writeStdout(html);
  else writeReportFile(opts.output, html);
  const d = built.data;
  process.stderr.write(`rg-replay: ${opts.output === '-' ? 'report' : `wrote ${opts.output}`}: ${formatBytes(html.length)}, `
    + `${d.totals.events} events (${d.events.shown} in the table), ${d.processes.total} processes, ${d.alerts.total} alert(s)\n`);
  const replayCode = exitCodeOf(built.run);
  const verifyCode = verifyExitCode(built.verify);
  return verifyCode === ExitCode.VerifyFailed ? verifyCode : replayCode;
}

/** The page on stdout: writeAllSync says a full disk in one line (exit 3), as for every command; a reader that went away ends quietly. */
function writeStdout(bytes: Uint8Array): void {
  writeAllSync(1, bytes);
}

/**
 * Writes the report where `path` leads. A regular file (or none yet) is
 * replaced atomically; through a symlink, the file it points to is (the link
 * stays). A device, FIFO or socket is written into as it is, never replaced:
 * `-o /dev/null` run as root must not turn /dev/null into a file.
 */
function writeReportFile(path: string, bytes: Uint8Array): void {
  let target: string;
  let special: boolean;
  try {
    target = linkTarget(path);
    const st = statSync(target, { throwIfNoEntry: false });
    special = st !== undefined && !st.isFile() && !st.isDirectory();
  } catch (e) {
    throw new CliError(`cannot write ${path}: ${outputError(e)}`, ExitCode.Io);
  }
  if (special) writeInto(path, target, bytes);
  else writeFileAtomically(path, target, bytes);
}

/** Symlinks followed to the path they end at (which may not exist yet: a link to a file still to be written). */
function linkTarget(path: string): string {
  let p = path;
  for (let hops = 0; hops < 40; hops++) {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st === undefined || !st.isSymbolicLink()) return p;
    p = resolve(dirname(p), readlinkSync(p));
  }
  throw Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
}

/** Into a device, FIFO or socket as it is: opened for writing, neither created, truncated nor renamed over. */
function writeInto(path: string, target: string, bytes: Uint8Array): void {
  try {
    const fd = openSync(target, constants.O_WRONLY);
    try {
      writeAllSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new CliError(`cannot write ${path}: ${outputError(e)}`, ExitCode.Io);
  }
}

/** Writes next to the target and renames: a reader never sees half a report. */
function writeFileAtomically(path: string, target: string, bytes: Uint8Array): void {
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeAllSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${outputError(e)}`, ExitCode.Io);
  }
}

function outputError(e: unknown): string {
  if (e instanceof BrokenPipeError) return 'the reader closed the pipe';
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return 'no space left on device';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  if (code === 'ENXIO') return 'no reader (a socket or a FIFO nobody reads)';
  return describeIoError(e);
}
