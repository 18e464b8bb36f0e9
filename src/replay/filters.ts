/**
 * Event filters (--kind, --pid [--tree], --comm, --uid, --path-prefix,
 * --port, --addr, --exe, --failed, --writes, --since/--until), compiled once and evaluated on record bytes. Filters only
 * choose what is printed: the process table has already seen every event.
 */
import { type BlockList } from 'node:net';
import { cStringEnd, cStringStartsWith, u16le, u32le } from '../abi/bytes.js';
import { ADDR_LEN, AF_INET, AF_INET6 } from '../abi/constants.js';
import { COMM_OFFSET, COMM_SIZE, recordComm, recordTsNsHi, recordTsNsLo, recordUid } from '../abi/header-access.js';
import { type FieldLayout, fieldOf } from '../abi/layout.js';
import { unixPathStartsWith } from '../abi/unix-path.js';
import { addressText, opensForWrite } from '../abi/values.js';
import { BUILD_SCHEMA, type KindLayout, type Schema } from '../abi/schema.js';
import { CliError, ExitCode } from '../common/exit-codes.js';
import { ProcessTable, type ProcessNode } from './process-table.js';
import { cidrBlock } from './rules/evaluate.js';

export interface FilterOptions {
  kind?: string[];
  pid?: string[];
  tree?: boolean;
  comm?: string[];
  uid?: string[];
  pathPrefix?: string[];
  /** Events with this port at either end (fields of view `port`); repeatable. */
  port?: string[];
  /** Events with an address at either end (fields of view `addr`) in this network; repeatable. */
  addr?: string[];
  since?: string;
  until?: string;
  /** Only events of processes whose current program is one of these paths. */
  exe?: string[];
  /** Only events whose call failed (result < 0). */
  failed?: boolean;
  /** Only events that change files (the registry's `writes`): opens for writing, deletes, renames, links, chmod, chown, truncate. */
  writes?: boolean;
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

/** The event types --kind lists in help and errors (it also takes a kind's C name and its rg-capture --events name). */
export function kindNames(schema: Schema = BUILD_SCHEMA): string {
  return schema.kinds.map((k) => k.eventType).join(', ');
}

/** The fields --path-prefix looks at, for help: `process_start filename, file_open path`. */
export function pathFieldNames(schema: Schema = BUILD_SCHEMA): string {
  return schema.kinds.filter((k) => k.paths.length > 0).map((k) => `${k.eventType} ${k.pathFields.join('/')}`).join(', ');
}

/** A path field --path-prefix reads: a C string, or (view unix_path) a Unix socket address with its size and abstract fields' offsets. */
interface PathField {
  readonly offset: number;
  readonly size: number;
  readonly unix: { readonly size: number; readonly abstract: number } | null;
}

function pathField(k: KindLayout, f: FieldLayout): PathField {
  const s = k.schemaFields[k.layout.fields.indexOf(f)];
  if (s.view !== 'unix_path') return { offset: f.offset, size: f.size, unix: null };
  const offsetOf = (name: string | undefined) => k.layout.fields.find((x) => x.name === name)!.offset;
  return { offset: f.offset, size: f.size, unix: { size: offsetOf(s.sizeField), abstract: offsetOf(s.abstractField) } };
}

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

/** The filters as command-line arguments, in a fixed order (for --stats to say what its counts follow). */
export function filterArgs(o: FilterOptions): string[] {
  const args: string[] = [];
  const each = (flag: string, values: readonly string[] | undefined) => { for (const v of values ?? []) args.push(flag, v); };
  each('--kind', o.kind);
  each('--pid', o.pid);
  if (o.tree) args.push('--tree');
  each('--comm', o.comm);
  each('--uid', o.uid);
  each('--exe', o.exe);
  each('--path-prefix', o.pathPrefix);
  each('--port', o.port);
  each('--addr', o.addr);
  if (o.failed) args.push('--failed');
  if (o.writes) args.push('--writes');
  if (o.since !== undefined) args.push('--since', o.since);
  if (o.until !== undefined) args.push('--until', o.until);
  return args;
}

export function compileFilter(o: FilterOptions, schema: Schema = BUILD_SCHEMA): EventFilter {
  const kinds = new Set<number>();
  for (const name of o.kind ?? []) {
    for (const part of name.split(',')) {
      const k = schema.kinds.find((x) => x.eventType === part || x.name === part || x.cliName === part);
      if (k === undefined) throw usage(`--kind: unknown kind ${JSON.stringify(part)}; one of ${kindNames(schema)}`);
      kinds.add(k.id);
    }
  }
  const pids = new Set((o.pid ?? []).map((p) => parseId(p, '--pid')));
  if (o.tree && pids.size === 0) throw usage('--tree needs --pid: the roots of the trees to show');
  const uids = new Set((o.uid ?? []).map((u) => parseId(u, '--uid')));
  const comms = new Set(o.comm ?? []);
  const commBytes = [...comms].map((c) => Buffer.from(c));
  const prefixes = (o.pathPrefix ?? []).map((p) => Buffer.from(p));
  // Per kind id, the fields --path-prefix looks at (the kind's pathFields); kinds without paths never match.
  const pathsById: (readonly PathField[] | undefined)[] = [];
  for (const k of schema.kinds) pathsById[k.id] = k.paths.map((f) => pathField(k, f));
  const ports = new Set((o.port ?? []).map(parsePort));
  const network = networkFilter(o.addr ?? []);
  // Per kind id, its port fields and its address fields with their family field; kinds without never match.
  const portsById: (readonly number[] | undefined)[] = [];
  const addrsById: (readonly { offset: number; family: number }[] | undefined)[] = [];
  for (const k of schema.kinds) {
    const offsetOf = (name: string | undefined) => k.layout.fields.find((f) => f.name === name)!.offset;
    portsById[k.id] = k.layout.fields.filter((_, i) => k.schemaFields[i].view === 'port').map((f) => f.offset);
    addrsById[k.id] = k.layout.fields.flatMap((f, i) => (k.schemaFields[i].view === 'addr' ? [{ offset: f.offset, family: offsetOf(k.schemaFields[i].familyField) }] : []));
  }
  const since = o.since !== undefined ? parseTimeBound(o.since, '--since') : null;
  const until = o.until !== undefined ? parseTimeBound(o.until, '--until') : null;
  // Per kind id: its result field (--failed) and whether, and by which open flags, it writes (--writes).
  const resultById: (FieldLayout | undefined)[] = [];
  const writesById: (FieldLayout | 'always' | undefined)[] = [];
  for (const k of schema.kinds) {
    const i = k.schemaFields.findIndex((f) => f.view === 'result');
    if (i >= 0) resultById[k.id] = k.layout.fields[i];
    if (k.writes !== undefined) writesById[k.id] = k.writes === 'always' ? 'always' : fieldOf(k.layout, k.writes.openFlags);
  }
  const exes = new Set(o.exe ?? []);
  const failed = o.failed === true;
  const writes = o.writes === true;
  const active = kinds.size + pids.size + uids.size + comms.size + prefixes.length + ports.size + exes.size > 0 || network !== null || since !== null || until !== null
    || failed || writes;
  const tree = o.tree === true;
  /**
   * A comm equals a name when their bytes do, for an ASCII comm; any other
   * comm is decoded as before (Buffer's UTF-8, with U+FFFD for broken bytes).
   * Why: decoding every comm was an allocation per event (--comm on a real
   * 1M-event capture: --json 26% slower; now within noise).
   */
  const commMatches = (bytes: Uint8Array, at: number): boolean => {
    const start = at + COMM_OFFSET;
    const end = cStringEnd(bytes, start, COMM_SIZE);
    for (let i = start; i < end; i++) if (bytes[i] >= 0x80) return comms.has(Buffer.from(recordComm(bytes, at)).toString('utf8'));
    for (let k = 0; k < commBytes.length; k++) {
      const c = commBytes[k];
      if (c.length !== end - start) continue;
      let same = true;
      for (let i = 0; i < c.length && same; i++) same = bytes[start + i] === c[i];
      if (same) return true;
    }
    return false;
  };
  const pathMatches = (kind: number, bytes: Uint8Array, at: number): boolean => {
    const paths = pathsById[kind];
    if (paths === undefined) return false;
    for (let f = 0; f < paths.length; f++) {
      const p = paths[f];
      if (p.unix === null) {
        for (let k = 0; k < prefixes.length; k++) if (cStringStartsWith(bytes, at + p.offset, p.size, prefixes[k])) return true;
        continue;
      }
      // A Unix socket address, as printed: `@` before an abstract name (abi/unix-path.ts).
      const size = u16le(bytes, at + p.unix.size);
      const abstract = u16le(bytes, at + p.unix.abstract);
      for (let k = 0; k < prefixes.length; k++) if (unixPathStartsWith(bytes, at + p.offset, p.size, size, abstract, prefixes[k])) return true;
    }
    return false;
  };
  const portMatches = (kind: number, bytes: Uint8Array, at: number): boolean => {
    const offsets = portsById[kind];
    if (offsets === undefined) return false;
    for (let f = 0; f < offsets.length; f++) if (ports.has(u16le(bytes, at + offsets[f]))) return true;
    return false;
  };
  const addrMatches = (kind: number, bytes: Uint8Array, at: number): boolean => {
    const addrs = addrsById[kind];
    if (addrs === undefined) return false;
    for (let f = 0; f < addrs.length; f++) {
      const a = addrs[f];
      if (network!(u16le(bytes, at + a.family), bytes.subarray(at + a.offset, at + a.offset + ADDR_LEN))) return true;
    }
    return false;
  };
  // The time bounds as u32 halves, compared with the record's ts_ns halves: no BigInt per event. Recomputed when an input's bound changes.
  let sinceKey: bigint | null = null, sinceHi = 0, sinceLo = 0;
  let untilKey: bigint | null = null, untilHi = 0, untilLo = 0;
  return {
    active, since, until,
    matches(kind, bytes, at, node, sinceMono, untilMono) {
      if (kinds.size > 0 && !kinds.has(kind)) return false;
      if (pids.size > 0 && !(tree ? ProcessTable.descendsFrom(node, pids) : pids.has(node.pid))) return false;
      if (uids.size > 0 && !uids.has(recordUid(bytes, at))) return false;
      if (comms.size > 0 && !commMatches(bytes, at)) return false;
      if (exes.size > 0 && (node.exe === null || !exes.has(node.exe))) return false;
      if (failed) {
        const r = resultById[kind];
        if (r === undefined || (u32le(bytes, at + r.offset) | 0) >= 0) return false;
      }
      if (writes) {
        const w = writesById[kind];
        if (w === undefined || (w !== 'always' && !opensForWrite(u32le(bytes, at + w.offset)))) return false;
      }
      if (prefixes.length > 0 && !pathMatches(kind, bytes, at)) return false;
      if (ports.size > 0 && !portMatches(kind, bytes, at)) return false;
      if (network !== null && !addrMatches(kind, bytes, at)) return false;
      if (sinceMono !== null || untilMono !== null) {
        const hi = recordTsNsHi(bytes, at);
        const lo = recordTsNsLo(bytes, at);
        if (sinceMono !== null) {
          if (sinceMono !== sinceKey) { sinceKey = sinceMono; sinceHi = Number(sinceMono >> 32n); sinceLo = Number(sinceMono & 0xffffffffn); }
          if (hi < sinceHi || (hi === sinceHi && lo < sinceLo)) return false;
        }
        if (untilMono !== null) {
          if (untilMono !== untilKey) { untilKey = untilMono; untilHi = Number(untilMono >> 32n); untilLo = Number(untilMono & 0xffffffffn); }
          if (hi > untilHi || (hi === untilHi && lo > untilLo)) return false;
        }
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

/**
 * A decimal number of at most `max`, or null. Number() would read '' and ' '
 * as 0 (an empty --uid then selected root's events), and 0x115c or 1e3 as
 * numbers no one typed in decimal: only digits are taken.
 */
function decimal(text: string, max: number): number | null {
  if (!/^[0-9]{1,10}$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

function parsePort(text: string): number {
  const n = decimal(text, 65535);
  if (n === null) throw usage(`--port needs a port number (0-65535), got ${JSON.stringify(text)}`);
  return n;
}

/** A test of (family, address bytes) against the --addr networks, or null without --addr. */
function networkFilter(cidrs: readonly string[]): ((family: number, addr: Uint8Array) => boolean) | null {
  if (cidrs.length === 0) return null;
  let block: BlockList;
  try {
    block = cidrBlock(cidrs);
  } catch (e) {
    throw usage(`--addr: ${(e as Error).message}`);
  }
  return (family, addr) => {
    if (family !== AF_INET && family !== AF_INET6) return false;
    const text = addressText(family, addr);
    // An IPv4-mapped IPv6 address is the IPv4 host it maps.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    return mapped !== null ? block.check(mapped[1], 'ipv4') : block.check(text, family === AF_INET ? 'ipv4' : 'ipv6');
  };
}

function parseId(text: string, flag: string): number {
  const n = decimal(text, 0xffffffff);
  if (n === null) throw usage(`${flag} needs a number, got ${JSON.stringify(text)}`);
  return n;
}
