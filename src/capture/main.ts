/**
 * rg-capture's command line: parse and check options, run the capture, map
 * every failure to one line on stderr and a documented exit code.
 */
import { Command, CommanderError, Option } from 'commander';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { TOOL_VERSION } from '../common/version.js';
import { visible } from '../common/visible.js';
import { CaptureSetupError } from './errors.js';
import { defaultObjectPath } from './object-path.js';
import {
  type CaptureOptions, checkConflicts, checkWatchPrefixes, EVENT_NAMES, parseDuration, parseEvents, parseKeep, parseRingSize,
  parseRotate, parseSize,
} from './options.js';
import { runCapture } from './session.js';

interface RawOptions {
  output: string;
  force?: boolean;
  duration?: string;
  events: string;
  watchPrefix: string[];
  ringSize: string;
  follow?: boolean;
  json?: boolean;
  compressionLevel: string;
  bpfObject?: string;
  maxSize?: string;
  rotate?: string;
  keep?: string;
  signKey?: string;
}

/** One status line; it may quote paths and commands: controls are shown, never sent. */
const line = (text: string) => process.stderr.write(`rg-capture: ${visible(text)}\n`);

export function toCaptureOptions(raw: RawOptions, command: string[]): CaptureOptions {
  checkWatchPrefixes(raw.watchPrefix);
  const level = Number(raw.compressionLevel);
  if (!Number.isInteger(level) || level < -5 || level > 19) throw new CliError(`--compression-level must be an integer from -5 to 19, got ${raw.compressionLevel}`, ExitCode.Usage);
  const o: CaptureOptions & { rotateBytes: number | null; rotateMs: number | null } = {
    output: raw.output, force: raw.force === true,
    durationMs: raw.duration === undefined ? null : parseDuration(raw.duration),
    kinds: parseEvents(raw.events), watchPrefixes: raw.watchPrefix, ringBytes: parseRingSize(raw.ringSize),
    follow: raw.follow === true, liveJson: raw.json === true, command, compressionLevel: level,
    objectPath: raw.bpfObject ?? defaultObjectPath(),
    maxBytes: raw.maxSize === undefined ? null : parseSize(raw.maxSize),
    rotateBytes: null, rotateMs: null,
    keep: raw.keep === undefined ? null : parseKeep(raw.keep),
    signKeyPath: raw.signKey ?? null,
  };
  if (raw.rotate !== undefined) {
    const r = parseRotate(raw.rotate);
    Object.assign(o, { rotateBytes: r.bytes, rotateMs: r.ms });
  }
  checkConflicts(o);
  return o;
}

export function buildProgram(): Command {
  return new Command('rg-capture')
    .description('Record process, file and network events with eBPF into a capture file (needs root or CAP_BPF + CAP_PERFMON).')
    .version(TOOL_VERSION)
    .requiredOption('-o, --output <file>', 'capture file to write, or - for stdout')
    .option('--force', 'replace an existing output file (a new 0600 file is renamed over it, never written through)')
    .option('--duration <time>', 'stop after this long (e.g. 30s, 5m, 2h)')
    .option('--events <list>', `event kinds to record: ${Object.keys(EVENT_NAMES).join(',')}`, Object.keys(EVENT_NAMES).join(','))
    .option('--watch-prefix <path>', 'record only file opens under this path prefix (repeatable, filtered in the kernel)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--ring-size <size>', 'kernel ring buffer size, a power of two', '8M')
    .option('--follow', 'with -- CMD: record only CMD and its descendants')
    .option('--json', 'also print events live as NDJSON on stdout (not with -o -)')
    .option('--max-size <size>', 'stop cleanly before the file exceeds this size (e.g. 500M)')
    .option('--rotate <size|time>', 'start a new segment file at this size (100M) or age (1h): host.000000.rgc, host.000001.rgc, ...')
    .option('--keep <n>', 'with --rotate: keep only the newest N segments')
    .option('--sign-key <file>', 'Ed25519 private key (PEM) to sign the end record (rg-replay verify --pubkey checks it)')
    .addOption(new Option('--compression-level <n>', 'zstd level for capture frames').default('1'))
    .addOption(new Option('--bpf-object <file>', 'kernel object to load (default: the shipped bpf/rg.bpf.o)').hideHelp())
    .argument('[command...]', 'after --: a command to run once capture is ready; capture stops when it exits')
    .addHelpText('after', `
Examples:
  sudo rg-capture -o host.rgc                          record until Ctrl-C
  sudo rg-capture -o host.rgc --duration 30s --events exec,connect
  sudo rg-capture -o build.rgc --follow -- make -j2    record one command's process tree
  sudo rg-capture -o - | ssh analyst 'cat > host.rgc'  stream the capture elsewhere

Exit codes: 0 ok (or CMD's own status), 2 usage, 3 output not writable, 10 no privilege,
            11 host lacks BTF/tracefs/libbpf, 12 write failed during capture, 1 internal error.`)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    program.parse(argv);
    const options = toCaptureOptions(program.opts<RawOptions>(), program.args);
    process.exitCode = await runCapture(options, { line });
  } catch (e) {
    process.exitCode = exitCodeFor(e);
  }
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  if (e instanceof CliError || e instanceof CaptureSetupError) {
    line(e.message);
    if (e.exitCode === ExitCode.Usage) line("see 'rg-capture --help'");
    return e.exitCode;
  }
  const detail = e instanceof Error ? (process.env.RG_DEBUG ? e.stack ?? e.message : e.message) : String(e);
  line(`internal error (please report; RG_DEBUG=1 shows details): ${detail}`);
  return ExitCode.Internal;
}
