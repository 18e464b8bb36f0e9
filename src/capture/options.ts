/**
 * rg-capture's options, parsed and checked once into a typed value: a bad
 * duration, size or event name is a usage error before anything is touched.
 */
import { FILE_FILTER_MAX_PREFIXES, FILE_FILTER_PREFIX_LEN } from '../abi/constants.js';
import { BUILD_SCHEMA, type Schema } from '../abi/schema.js';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { eventNames } from './programs.js';

/** `--events` names of this build's kinds -> kind ids (the registry's cliName). */
export const EVENT_NAMES: Readonly<Record<string, number>> = eventNames();

export interface CaptureOptions {
  /** Output path, or '-' for stdout. */
  readonly output: string;
  readonly force: boolean;
  readonly durationMs: number | null;
  readonly kinds: ReadonlySet<number>;
  readonly watchPrefixes: readonly string[];
  readonly ringBytes: number;
  readonly follow: boolean;
  readonly liveJson: boolean;
  readonly command: readonly string[];
  readonly compressionLevel: number;
  readonly objectPath: string;
  /** Stop cleanly before the file would exceed this many bytes. */
  readonly maxBytes: number | null;
  readonly rotateBytes: number | null;
  readonly rotateMs: number | null;
  readonly keep: number | null;
  /** PKCS#8 PEM file of an Ed25519 private key that signs the end record. */
  readonly signKeyPath: string | null;
}

/** `--rotate 100M` (size: K, M, G, T) or `--rotate 1h` (duration: ms, s, m, h). */
export function parseRotate(text: string): { bytes: number | null; ms: number | null } {
  if (/^\d+(\.\d+)?(ms|s|m|h)$/.test(text.trim())) return { bytes: null, ms: parseDuration(text) };
  return { bytes: parseSize(text), ms: null };
}

export function parseKeep(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw usage(`--keep needs a whole number of segments >= 1, got ${JSON.stringify(text)}`);
  return n;
}

const usage = (message: string) => new CliError(message, ExitCode.Usage);

/** `500ms`, `30s`, `5m`, `2h`, or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw usage(`bad duration ${JSON.stringify(text)}: use e.g. 500ms, 30s, 5m, 2h`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms'];
  const ms = Number(m[1]) * scale;
  if (!(ms > 0) || ms > 366 * 24 * 3_600_000) throw usage(`duration ${JSON.stringify(text)} is out of range`);
  return Math.round(ms);
}

/** `4096`, `64K`, `8M`, `1G` (powers of 1024; a trailing B or iB is allowed). */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?$/i.exec(text.trim());
  if (!m) throw usage(`bad size ${JSON.stringify(text)}: use e.g. 64K, 8M, 1G`);
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2].toUpperCase() as ''];
  const bytes = Math.round(Number(m[1]) * scale);
  if (!(bytes > 0) || !Number.isSafeInteger(bytes)) throw usage(`size ${JSON.stringify(text)} is out of range`);
  return bytes;
}

export function parseEvents(text: string, schema: Schema = BUILD_SCHEMA): Set<number> {
  const names = schema === BUILD_SCHEMA ? EVENT_NAMES : eventNames(schema);
  const kinds = new Set<number>();
  for (const name of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const kind = names[name];
    if (kind === undefined) throw usage(`unknown event ${JSON.stringify(name)}: choose from ${Object.keys(names).join(',')}`);
    kinds.add(kind);
  }
  if (kinds.size === 0) throw usage('--events needs at least one event kind');
  return kinds;
}

export function parseRingSize(text: string): number {
  const bytes = parseSize(text);
  if ((bytes & (bytes - 1)) !== 0 || bytes < 4096 || bytes > 1 << 30) {
    throw usage(`ring buffer size must be a power of two between 4K and 1G, got ${text}`);
  }
  return bytes;
}

export function checkWatchPrefixes(prefixes: readonly string[]): void {
  if (prefixes.length > FILE_FILTER_MAX_PREFIXES) throw usage(`at most ${FILE_FILTER_MAX_PREFIXES} --watch-prefix values, got ${prefixes.length}`);
  for (const p of prefixes) {
    const n = Buffer.byteLength(p);
    if (n === 0 || n > FILE_FILTER_PREFIX_LEN) throw usage(`--watch-prefix must be 1-${FILE_FILTER_PREFIX_LEN} bytes: ${JSON.stringify(p)}`);
  }
}

/** Cross-option rules that commander cannot express. */
export function checkConflicts(o: CaptureOptions): void {
  if (o.liveJson && o.output === '-') throw usage('--json prints events on stdout, which -o - already uses for the capture');
  if (o.follow && o.command.length === 0) throw usage('--follow needs a command to follow: rg-capture -o FILE --follow -- CMD ARGS...');
  const rotating = o.rotateBytes !== null || o.rotateMs !== null;
  if (rotating && o.output === '-') throw usage('--rotate writes segment files: it cannot write to stdout (-o -)');
  if (o.keep !== null && !rotating) throw usage('--keep applies to --rotate segments');
  if (rotating && o.maxBytes !== null) throw usage('--max-size and --rotate do not combine: bound disk use with --rotate SIZE --keep N');
  if (o.maxBytes !== null && o.maxBytes < 64 << 10) throw usage('--max-size must be at least 64K (a manifest and an end record must fit)');
  if (o.rotateBytes !== null && o.rotateBytes < 64 << 10) throw usage('--rotate SIZE must be at least 64K');
}
