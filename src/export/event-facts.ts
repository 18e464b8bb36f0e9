/**
 * One exported event as the NDJSON exports see it: the record's display
 * values (as `rg-replay --json` prints them), its OCSF class, activity and
 * status from the mapping table, its wall time, processes and provenance.
 * The slow, simple path (objects per event): NDJSON export is bound by JSON
 * text anyway; the Parquet path never builds these.
 */
import { eventValues, type DisplayValue } from '../abi/event-values.js';
import { type ProcessNode } from '../replay/process-table.js';
import { type ExportInput, type Provenance } from './driver.js';
import { outputKeys } from '../abi/views.js';
import { activityField, activityOf, directionOf, type KindOcsf, ocsfOfKind, statusOf } from './ocsf-map.js';
import { type DnsExport, dnsExportOfRecord } from './dns-export.js';
import { type ProcessFacts, type ProcessIdentities } from './process-identity.js';
import { storableText } from './text-bytes.js';
import { HEADER_FIELDS, type KindLayout } from '../abi/schema.js';
import { decodeRecord } from '../abi/decode.js';
import { keysDependingOn, unixSizeInvalidKey } from '../abi/views.js';

/** The schema version and record size of kind `kindId` in the input's own manifest (an older schema's), or null. */
export function olderRecordHeader(input: ExportInput, kindId: number): { version: number; size: number } | null {
  const s = input.manifest?.schema;
  const k = s?.kinds.find((x) => x.id === kindId);
  return s === undefined || k === undefined ? null : { version: s.version, size: k.size };
}

export interface EventFacts {
  readonly kind: KindLayout;
  readonly map: KindOcsf;
  /** rg-replay --json's values, strings made storable (stray bytes as \xNN). */
  readonly values: Map<string, DisplayValue>;
  readonly activityId: number;
  readonly statusId: number;
  /** Network and DNS Activity: connection_info.direction_id. */
  readonly directionId: number;
  /** DNS Activity: the message, decoded (null when it did not decode or the kind carries none). */
  readonly dns: DnsExport | null;
  /** Wall clock ns since the epoch, or null without a manifest clock. */
  readonly timeNs: bigint | null;
  readonly actor: ProcessFacts | null;
  /**
   * Null when the record names no acting process: a header pid of 0 (a zeroed header: a TCP change whose owner the
   * kernel did not know) or, for an actor that is the parent, a ppid of 0. No process, GUID or user is made up for it.
   */
  readonly actorPid: number | null;
  /** The acting user's uid (the header's), null when the record names no actor (header pid 0). */
  readonly actorUid: number | null;
  /** The actor's GUID when the table has no node for it (started before the capture, unseen since). */
  readonly actorGuid: string | null;
  readonly actorParent: ProcessFacts | null;
  readonly target: ProcessFacts | null;
  /** Null when the record names no target (a pid field of 0: the kernel did not find the process; unmapped keeps the pid asked for). */
  readonly targetPid: number | null;
  readonly targetGuid: string | null;
  /** A failed launch (target `attempted`): the program the record says was attempted; `target` is then null. */
  readonly attempted: { readonly path: string | null; readonly cmdLine: string | null } | null;
  readonly targetParent: ProcessFacts | null;
  readonly input: ExportInput;
  readonly frameSeq: number;
  readonly recordIndex: number;
}

/**
 * `unavailable`: a record of an older schema rebuilt in this build's layout (schema-audit.ts), these fields
 * not in its file: their values (and those read with them) are null, as rg-replay --json prints them, and
 * the header's version and size are the file's (the rebuilt header says this build's).
 */
export function eventFactsOf(kindId: number, raw: Uint8Array, at: number, node: ProcessNode, p: Provenance, ids: ProcessIdentities,
  lookup: (host: string, pid: number) => ProcessNode | undefined, unavailable: readonly string[] | null = null): EventFacts {
  const { kind, values } = eventValues(kindId, raw, at);
  // Every schema field, as the Parquet export has them: the hidden ones (version, kind, size, flags, lengths) too.
  const decoded = decodeRecord(raw, at, kindId).fields;
  for (const f of [...HEADER_FIELDS, ...kind.fields]) {
    const v = decoded[f.name];
    // Numbers where rg-replay --json prints a rendering (O_* names, AF_* names, path flag names, a syscall's name,
    // major:minor, an enum's name): bit tests and joins need the value.
    if (f.view === 'open_flags' || f.view === 'family' || f.view === 'exit_status' || f.view === 'path_flags' || f.view === 'addr_flags'
      || f.view === 'syscall' || f.view === 'dev' || f.view === 'enum') values.set(f.name, v as number);
    // The file and process kinds' codes likewise (mode bits, flag words, named values, signals, capability sets, status
    // bits): the number, without the renderings rg-replay adds (mode_text, signal_name, one boolean per status bit).
    else if (f.view === 'mode' || f.view === 'bits' || f.view === 'named' || f.view === 'signal' || f.view === 'caps' || f.view === 'status') {
      for (const key of outputKeys(f)) values.delete(key);
      values.set(f.name, typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v as number);
    }
    else if (f.view === 'hidden' && !(v instanceof Uint8Array)) values.set(f.name, typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v);
    // A Unix socket path's text, without the boolean rg-replay adds for a size sun_path cannot hold: the size itself is
    // exported (path_size, a number), as in the Parquet export.
    else if (f.view === 'unix_path') values.delete(unixSizeInvalidKey(f));
  }
  for (const [k, v] of values) {
    if (typeof v === 'string') values.set(k, storableText(v));
    else if (Array.isArray(v)) values.set(k, v.map(storableText));
  }
  for (const f of kind.fields) {
    // An address the record does not hold prints as "" in rg-replay --json; here it is absent, as in the Parquet export.
    if (f.view === 'addr' && values.get(f.name) === '') values.delete(f.name);
  }
  if (unavailable !== null) {
    const file = olderRecordHeader(p.input, kindId);
    if (file !== null) {
      values.set('version', file.version);
      values.set('size', file.size);
    }
    for (const name of unavailable) {
      // null: unknown (DisplayValue has no null: the NDJSON writers take it as JSON's).
      values.set(name, null as unknown as DisplayValue);
      for (const key of keysDependingOn(kind, name)) if (values.has(key)) values.set(key, null as unknown as DisplayValue);
    }
  }
  const map = ocsfOfKind(kind);
  const result = map.resultField === undefined ? null : (values.get(map.resultField) as number);
  const byField = (name: string | undefined) => (name === undefined ? null : (decoded[name] as number));
  const ts = BigInt(values.get('ts_ns') as number | string);
  const actorNode = map.actor === 'parent' ? node.parent : node;
  let targetNode: ProcessNode | null = null;
  let targetPid: number | null = null;
  let attempted: EventFacts['attempted'] = null;
  if (map.target === 'self') {
    targetNode = node;
    targetPid = node.pid;
  } else if (map.target !== undefined && 'attempted' in map.target) {
    // The program that failed to start, as the record gives it, in the caller's pid (exec keeps it): no GUID, no
    // facts of the table (those are the caller's current image, the actor's).
    targetPid = node.pid;
    const path = values.get(map.target.attempted.path) as string | null;
    const argv = values.get('argv') as string[] | null | undefined;
    attempted = { path: path === '' ? null : path, cmdLine: argv === null || argv === undefined ? null : argv.join(' ') };
  } else if (map.target !== undefined) {
    // A target pid field of 0: the kernel did not resolve the process (target_tgid: "0 when not found").
    const pid = values.get(map.target.pidField) as number;
    targetPid = pid === 0 ? null : pid;
    targetNode = targetPid === null ? null : lookup(node.host, targetPid) ?? null;
  }
  const facts = (n: ProcessNode | null) => (n === null ? null : ids.facts(n));
  const noActor = node.pid === 0;
  const actorPid = noActor ? null : map.actor === 'parent' ? (node.ppid === 0 ? null : node.ppid) : node.pid;
  return {
    kind, map, values, activityId: activityOf(map, result, byField(activityField(map))), statusId: statusOf(map, result, byField(activityField(map))),
    directionId: directionOf(map, byField(typeof map.direction === 'object' ? map.direction.field : undefined)),
    dns: dnsExportOfRecord(kind, raw, at),
    timeNs: p.clock === null ? null : p.clock.realtimeNs(ts),
    actor: actorPid === null ? null : facts(actorNode), actorPid, actorUid: noActor ? null : values.get('uid') as number,
    actorParent: actorPid === null ? null : facts(actorNode?.parent ?? null),
    actorGuid: actorNode === null && actorPid !== null ? ids.guidOfUnseen(node.host, actorPid) : null,
    target: facts(targetNode), targetPid, targetParent: facts(targetNode?.parent ?? null),
    targetGuid: targetNode === null && targetPid !== null && attempted === null ? ids.guidOfUnseen(node.host, targetPid) : null, attempted,
    input: p.input, frameSeq: p.frameSeq, recordIndex: p.recordIndex,
  };
}

/** ns since the epoch -> RFC 3339 with nanoseconds. */
export function isoNs(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const frac = String(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).padStart(9, '0');
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${frac}Z`;
}

export function basename(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut < 0 ? path : path.slice(cut + 1);
}

export function dirname(path: string): string | null {
  const cut = path.lastIndexOf('/');
  if (cut < 0) return null;
  return cut === 0 ? '/' : path.slice(0, cut);
}

/** Drops null and undefined members, recursively (OCSF and ECS leave absent attributes out). */
export function compact<T>(v: T): T {
  if (Array.isArray(v)) return v.map(compact) as T;
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === null || x === undefined) continue;
    out[k] = compact(x);
  }
  return out as T;
}
