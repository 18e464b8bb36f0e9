/**
 * Event filters (--kind, --pid [--tree], --comm, --uid, --path-prefix,
 * --since/--until), compiled once and evaluated on record bytes. Filters only
 * choose what is printed: the process table has already seen every event.
 */
import { EventKind } from '../abi/constants.js';
import { KIND_BY_ID, kindByEventType, KINDS } from '../abi/schema.js';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { ProcessTable, type ProcessNode } from './process-table.js';

export interface FilterOptions {
  kind?: string[];
  pid?: string[];
  tree?: boolean;
  comm?: string[];
  uid?: string[];
  pathPrefix?: string[];
  since?: string;
  until?: string;
}

/** A point in time: absolute wall-clock ns, or an offset from the capture's start. */
export type TimeBound = { kind: 'wall'; ns: bigint } | { kind: 'offset'; ns: bigint };

export interface EventFilter {
  readonly active: boolean;
  /** Wall-clock bounds are resolved per file, against its clock. */
  readonly since: TimeBound | null;
  readonly until: TimeBound | null;
  matches(kind: number, bytes: Uint8Array, at: number, node: ProcessNode, sinceMono: bigint | null, untilMono: bigint | null): boolean;
}

const usage = (m: string) => new CliError(m, ExitCode.Usage);
const fieldOffset = (kind: number, name: string) => KIND_BY_ID[kind]!.layout.fields.find((f) => f.name === name)!;
const OPEN_PATH = fieldOffset(EventKind.FileOpen, 'path');
const EXEC_FILENAME = fieldOffset(EventKind.ProcessExec, 'filename');
const COMM = fieldOffset(EventKind.FileOpen, 'comm');

export function parseTimeBound(text: string, flag: string): TimeBound {
  const offset = /^\+?(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (offset) {
    const scale = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[offset[2] as 'ms'];
    return { kind: 'offset', ns: BigInt(Math.round(Number(offset[1]) * scale)) };
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw usage(`${flag}: ${JSON.stringify(text)} is neither an ISO-8601 time nor an offset like 90s, 5m, 2h`);
  // Keep sub-millisecond digits an ISO string may carry (Date.parse drops them).
  const frac = /\.(\d{4,9})/.exec(text)?.[1] ?? '';
  const extraNs = frac.length > 3 ? BigInt(frac.slice(3).padEnd(6, '0')) : 0n;
  return { kind: 'wall', ns: BigInt(ms) * 1_000_000n + extraNs };
}

export function compileFilter(o: FilterOptions): EventFilter {
  const kinds = new Set<number>();
  for (const name of o.kind ?? []) {
    for (const part of name.split(',')) {
      const k = kindByEventType(part) ?? KINDS.find((x) => x.name === part || x.name.endsWith(`_${part}`));
      if (k === undefined) throw usage(`--kind: unknown kind ${JSON.stringify(part)}; one of ${KINDS.map((x) => x.eventType).join(', ')}`);
      kinds.add(k.id);
    }
  }
  const pids = new Set((o.pid ?? []).map((p) => parseId(p, '--pid')));
  if (o.tree && pids.size === 0) throw usage('--tree needs --pid: the roots of the trees to show');
  const uids = new Set((o.uid ?? []).map((u) => parseId(u, '--uid')));
  const comms = new Set(o.comm ?? []);
  const prefixes = (o.pathPrefix ?? []).map((p) => Buffer.from(p));
  const since = o.since !== undefined ? parseTimeBound(o.since, '--since') : null;
  const until = o.until !== undefined ? parseTimeBound(o.until, '--until') : null;
  const active = kinds.size + pids.size + uids.size + comms.size + prefixes.length > 0 || since !== null || until !== null;
  const tree = o.tree === true;
  return {
    active, since, until,
    matches(kind, bytes, at, node, sinceMono, untilMono) {
      if (kinds.size > 0 && !kinds.has(kind)) return false;
      if (pids.size > 0 && !(tree ? ProcessTable.descendsFrom(node, pids) : pids.has(node.pid))) return false;
      if (uids.size > 0 && !uids.has(u32(bytes, at + 28))) return false;
      if (comms.size > 0 && !comms.has(cText(bytes, at + COMM.offset, COMM.size))) return false;
      if (prefixes.length > 0) {
        const f = kind === EventKind.FileOpen ? OPEN_PATH : kind === EventKind.ProcessExec ? EXEC_FILENAME : null;
        if (f === null || !prefixes.some((p) => startsWith(bytes, at + f.offset, f.size, p))) return false;
      }
      if (sinceMono !== null || untilMono !== null) {
        const ts = (BigInt(u32(bytes, at + 12)) << 32n) | BigInt(u32(bytes, at + 8));
        if (sinceMono !== null && ts < sinceMono) return false;
        if (untilMono !== null && ts > untilMono) return false;
      }
      return true;
    },
  };
}

/** Turns a bound into this file's monotonic clock, given its realtime-monotonic offset and start. */
export function boundToMonotonic(b: TimeBound | null, realtimeMinusMono: bigint | null, startMono: bigint): bigint | null {
  if (b === null) return null;
  if (b.kind === 'offset') return startMono + b.ns;
  if (realtimeMinusMono === null) throw usage('wall-clock --since/--until need the manifest clock, which this capture lacks; use an offset like 90s');
  return b.ns - realtimeMinusMono;
}

function parseId(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw usage(`${flag} needs a number, got ${JSON.stringify(text)}`);
  return n;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function cText(b: Uint8Array, at: number, max: number): string {
  let end = at;
  while (end < at + max && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + at, end - at).toString('utf8');
}

function startsWith(b: Uint8Array, at: number, max: number, prefix: Uint8Array): boolean {
  if (prefix.length > max) return false;
  for (let i = 0; i < prefix.length; i++) if (b[at + i] !== prefix[i]) return false;
  return true;
}
