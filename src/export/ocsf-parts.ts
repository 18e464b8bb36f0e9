/**
 * The parts of an OCSF row that repeat across many rows, drawn once each:
 * a capture's metadata, device and attestation; a process as actor or
 * target; a kind's classification for an outcome (activity, status, errno);
 * a path with its name and folder; an address with its endpoint. Each part is
 * a piece of a row object (`{ actor: { process: {...} } }`); the Parquet
 * writer draws a part once per row group for every distinct capture,
 * process, path... its rows use, and shreds its columns from it. The shapes
 * are the OCSF NDJSON export's (ocsf-json.ts), with times in nanoseconds.
 */
import { AF_INET, AF_INET6 } from '../abi/constants.js';
import { type KindLayout } from '../abi/schema.js';
import { addressText, bytesToText, errnoName, splitArgv } from '../abi/values.js';
import { type ProcessNode } from '../replay/process-table.js';
import { clean } from './dataset-layout.js';
import { type ExportInput } from './driver.js';
import { basename, dirname } from './event-facts.js';
import { DIRECTION_NAMES, LAUNCH_TYPES, ocsfOfKind, type OcsfClass, OCSF_VERSION, PRODUCT, SEVERITY_NAMES, STATUS_NAMES } from './ocsf-map.js';
import { attestationOf, deviceOf, processOf } from './ocsf-json.js';
import { type Row } from './parquet/shred.js';
import { type ProcessFacts, type ProcessIdentities } from './process-identity.js';
import { type KeyedColumn } from './parquet/keyed-column.js';
import { type PooledShape } from './parquet/pooled-column.js';
import { type StringPool } from './string-pool.js';
import { type DnsExport } from './dns-export.js';
import { escapedText, isUtf8, storableText } from './text-bytes.js';

const TIMESTAMP_MAX = (1n << 63n) - 1n;
const TIMESTAMP_MIN = -(1n << 63n);

/**
 * A wall time as a Parquet TIMESTAMP(NANOS) holds it (a signed INT64: 1677-09-21 to 2262-04-11), else null: a
 * process's start past 2262 (a hostile start_ns) made the whole export an internal error. Its exact value stays in
 * the record's own columns.
 */
export const timestampNs = (ns: bigint | null): bigint | null => (ns === null || ns > TIMESTAMP_MAX || ns < TIMESTAMP_MIN ? null : ns);

/** Lone surrogates (possible in a damaged or hostile manifest's JSON) as U+FFFD, in every string of `v`: Parquet strings are UTF-8. */
export function cleanDeep<T>(v: T): T {
  if (typeof v === 'string') return clean(v) as T;
  if (Array.isArray(v)) return v.map(cleanDeep) as T;
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, cleanDeep(x)])) as T;
  }
  return v;
}

/** What every row of one capture file repeats. */
export function capturePart(input: ExportInput): Row {
  const m = input.manifest;
  return cleanDeep({
    metadata: {
      version: OCSF_VERSION, product: { name: PRODUCT.name, vendor_name: PRODUCT.vendor_name, version: m?.tool.version ?? null },
      profiles: ['host', 'record_integrity'], log_name: 'rgc', log_provider: m?.tool.name ?? null, correlation_uid: m?.segment.capture_id ?? null,
    },
    device: deviceOf(input),
    src_endpoint: { hostname: m?.host.hostname ?? null },
    attestation_list: attestationOf(input),
    unmapped: { capture_sha256: input.sha256, capture_file: input.fileName },
  });
}

/**
 * A process as of an event: the node's facts and its parent's, or (a
 * process the table never saw) its pid and GUID alone. Drawn into its OCSF
 * object on first use.
 */
export class ProcessView {
  private object: Row | null | undefined;

  constructor(readonly pid: number, readonly facts: ProcessFacts | null, readonly parent: ProcessFacts | null, readonly guid: string | null) {}

  /** A view whose OCSF part is given (a failed launch's attempted program: ocsf-json.ts attemptedProcessOf). */
  static drawn(pid: number, part: Row): ProcessView {
    const v = new ProcessView(pid, null, null, null);
    v.object = part;
    return v;
  }

  get ocsf(): Row | null {
    if (this.object === undefined) this.object = processOf(this.facts, this.pid, this.parent, this.guid, timestampNs) as Row | null;
    return this.object;
  }
}

/** Process views, one per node and identity version: re-drawn when the node (or its parent) changes, not per event. */
export class ProcessViews {
  private readonly byNode = new WeakMap<ProcessNode, { view: ProcessView; version: number; parent: ProcessNode | null; parentVersion: number }>();
  private unseen = new Map<string, ProcessView>();
  private lastNode: ProcessNode | null = null;
  private lastView: ProcessView | null = null;
  private lastVersion = -1;
  private lastParent: ProcessNode | null = null;
  private lastParentVersion = -1;

  constructor(private readonly ids: ProcessIdentities) {}

  /** A new input: GUIDs of unseen processes use its capture id. */
  beginInput(): void {
    this.unseen = new Map();
  }

  of(node: ProcessNode): ProcessView {
    const parent = node.parent;
    const parentVersion = parent === null ? -1 : parent.version;
    if (node === this.lastNode && node.version === this.lastVersion && parent === this.lastParent && parentVersion === this.lastParentVersion) return this.lastView!;
    let s = this.byNode.get(node);
    if (s === undefined || s.version !== node.version || s.parent !== parent || s.parentVersion !== parentVersion) {
      const view = new ProcessView(node.pid, this.ids.facts(node), parent === null ? null : this.ids.facts(parent), null);
      s = { view, version: node.version, parent, parentVersion };
      this.byNode.set(node, s);
    }
    this.lastNode = node;
    this.lastView = s.view;
    this.lastVersion = node.version;
    this.lastParent = parent;
    this.lastParentVersion = parentVersion;
    return s.view;
  }

  /** A process the table has not seen (it started before the capture): its pid and the GUID it would get. */
  unseenOf(host: string, pid: number): ProcessView {
    const key = `${host}\u0000${pid}`;
    let v = this.unseen.get(key);
    if (v === undefined) {
      v = new ProcessView(pid, null, null, this.ids.guidOfUnseen(host, pid));
      this.unseen.set(key, v);
    }
    return v;
  }
}

/**
 * A kind's classification for one outcome, as a value that keys it: the
 * kind, activity_id, status_id and the errno of its result (0 when none).
 * A small integer (no allocation per event) for every errno a kernel
 * returns; a hostile record's huge "errno" gets a string key of its own.
 */
export function statusKey(kindId: number, activity: number, status: number, errno: number): number | string {
  if (errno < 4096) return ((kindId * 128 + activity) * 4 + status) * 4096 + errno;
  return `${kindId}:${activity}:${status}:${errno}`;
}

/** The classification columns of a status key, and the kind's event_type. */
export function statusPart(cls: OcsfClass, kinds: readonly (KindLayout | undefined)[], key: number | string): Row {
  let kindId: number;
  let activity: number;
  let status: number;
  let errno: number;
  if (typeof key === 'string') {
    [kindId, activity, status, errno] = key.split(':').map(Number);
  } else {
    errno = key % 4096;
    status = Math.floor(key / 4096) % 4;
    activity = Math.floor(key / 16384) % 128;
    kindId = Math.floor(key / 2097152);
  }
  const kind = kinds[kindId]!;
  const m = ocsfOfKind(kind);
  const activityName = cls.activities[activity] ?? null;
  return {
    class_uid: cls.uid, class_name: cls.name, category_uid: cls.categoryUid, category_name: cls.categoryName,
    activity_id: activity, activity_name: activityName, type_uid: cls.uid * 100 + activity, type_name: `${cls.name}: ${activityName ?? 'Unknown'}`,
    severity_id: 1, severity: SEVERITY_NAMES[1], status_id: status, status: STATUS_NAMES[status] ?? null,
    status_code: errno === 0 ? null : errnoName(errno),
    launch_type_id: m.launchTypeId ?? null, launch_type: m.launchTypeId === undefined ? null : LAUNCH_TYPES[m.launchTypeId] ?? null,
    unmapped: { event_type: kind.eventType },
  };
}

export function userPart(uid: number): Row {
  return { actor: { user: { uid: String(uid), uid_numeric: uid } } };
}

export function errnoPart(key: string, errno: number | null): Row {
  return { unmapped: { [key]: errno === null ? null : errnoName(errno) } };
}

/** The kind's flag booleans (its own; the class's other flag columns stay null), from `kindId << 16 | flags`. */
export function flagsPart(kinds: readonly (KindLayout | undefined)[], key: number | null): Row {
  if (key === null) return { unmapped: {} };
  const kind = kinds[Math.floor(key / 65536)]!;
  const flags = key % 65536;
  const out: Record<string, boolean> = {};
  for (const f of kind.flags) out[f.outputName] = (flags & f.bit) !== 0;
  return { unmapped: out };
}

/**
 * A string field's text and, when its bytes are not UTF-8, the exact bytes
 * beside it (the text then shows each stray byte as \xNN). UTF-8 text is
 * passed on as its bytes, never decoded.
 */
export function textOf(b: Uint8Array | null, utf8 = b !== null && isUtf8(b, 0, b.length)): { text: Uint8Array | string | null; raw: Uint8Array | null } {
  if (b === null) return { text: null, raw: null };
  return utf8 ? { text: b, raw: null } : { text: escapedText(b), raw: b };
}

/** String `id` of `pool` (null: none) as its text and raw bytes. */
export function pooledText(pool: StringPool, id: number | null): { text: Uint8Array | string | null; raw: Uint8Array | null } {
  return id === null ? { text: null, raw: null } : textOf(pool.bytesOf(id), pool.isUtf8(id));
}

export function stringPart(name: string, s: { text: Uint8Array | string | null; raw: Uint8Array | null }): Row {
  return { unmapped: { [name]: s.text, [`${name}_raw`]: s.raw } };
}

const SLASH = 0x2f;
const ROOT = new Uint8Array([SLASH]);

/**
 * A leaf of a string key column filled straight from the row group's string
 * pool: one entry per key, the same values the key's part (stringPart,
 * filePart) gives the leaf, with UTF-8 bytes as ranges of the pool (no row
 * object, no Uint8Array per string). `id` null: the row has no string.
 */
export type LeafFill = ((col: KeyedColumn, id: number | null, pool: StringPool) => void) & {
  /** The same values as the Parquet writer takes them straight from the pool (pooled-column.ts), where it can. */
  readonly pooled?: PooledShape;
};

/** The definition level of a leaf's null when its parent group is there (as shredLeaf gives it). */
function parentDef(col: KeyedColumn): number {
  const steps = col.leaf.steps;
  return steps.length >= 2 ? steps[steps.length - 2].def : 0;
}

/** stringPart's text leaf (`unmapped.NAME`): the bytes when UTF-8, else the escaped text. */
export const fillText: LeafFill = Object.assign((col: KeyedColumn, id: number | null, pool: StringPool) => {
  if (id === null) col.nullEntry(0, parentDef(col));
  else if (pool.isUtf8(id)) col.rangeEntry(0, pool.startOf(id), pool.startOf(id) + pool.lengthOf(id), true);
  else col.valueEntry(0, escapedText(pool.bytesOf(id)));
}, { pooled: 'text' as const });

/** stringPart's raw leaf (`unmapped.NAME_raw`): the bytes when they are not UTF-8, else null. */
export const fillRaw: LeafFill = Object.assign((col: KeyedColumn, id: number | null, pool: StringPool) => {
  if (id === null || pool.isUtf8(id)) col.nullEntry(0, parentDef(col));
  else col.rangeEntry(0, pool.startOf(id), pool.startOf(id) + pool.lengthOf(id), true);
}, { pooled: 'raw' as const });

/** filePart's leaf `part` of the path string `id`, as filePart(pooledText(pool, id).text) gives it. */
export function fillFile(part: 'name' | 'path' | 'parent_folder' | 'type_id' | 'type'): LeafFill {
  if (part === 'type_id') return Object.assign((col: KeyedColumn) => col.valueEntry(0, 0), { pooled: { constant: 0 } });
  if (part === 'type') return Object.assign((col: KeyedColumn) => col.valueEntry(0, 'Unknown'), { pooled: { constant: 'Unknown' } });
  const fill = (col: KeyedColumn, id: number | null, pool: StringPool): void => {
    if (id === null) {
      col.nullEntry(0, parentDef(col));
      return;
    }
    if (!pool.isUtf8(id)) {
      const v = (filePart(escapedText(pool.bytesOf(id))).file as Record<string, string | null>)[part];
      if (v === null) col.nullEntry(0, parentDef(col));
      else col.valueEntry(0, v);
      return;
    }
    const start = pool.startOf(id);
    const end = start + pool.lengthOf(id);
    if (part === 'path') {
      col.rangeEntry(0, start, end, true);
      return;
    }
    const bytes = pool.arenaBytes;
    let cut = end - 1;
    while (cut >= start && bytes[cut] !== SLASH) cut--;
    if (part === 'name') col.rangeEntry(0, cut + 1, end);
    else if (cut < start) col.nullEntry(0, parentDef(col));
    else col.rangeEntry(0, start, cut === start ? start + 1 : cut);
  };
  // A path is its whole string, as a text leaf is (UTF-8 only: an escaped one is a value of its own, not pooled).
  return Object.assign(fill, { pooled: part === 'path' ? 'text' as const : part === 'name' ? 'name' as const : 'folder' as const });
}

/** File System Activity's `file`: the path (as its field's text), its last component and its folder. */
export function filePart(text: Uint8Array | string | null): Row {
  if (text === null) return { file: { name: null, path: null, parent_folder: null, type_id: 0, type: 'Unknown' } };
  let name: Uint8Array | string;
  let folder: Uint8Array | string | null;
  if (typeof text === 'string') {
    name = basename(text);
    folder = dirname(text);
  } else {
    const cut = text.lastIndexOf(SLASH);
    name = text.subarray(cut + 1);
    folder = cut < 0 ? null : cut === 0 ? ROOT : text.subarray(0, cut);
  }
  return { file: { name, path: text, parent_folder: folder, type_id: 0, type: 'Unknown' } };
}

/** Bytes rg-replay prints in hex (a BPF program's tag), as that text. */
export function hexPart(name: string, b: Uint8Array | null): Row {
  return { unmapped: { [name]: b === null ? null : Buffer.from(b).toString('hex') } };
}

export function blobPart(name: string, b: Uint8Array | null): Row {
  return { unmapped: { [name]: b } };
}

/** An argv buffer: its bytes (the field's own column) and the list `argv`, each argument as storable text. */
export function argvPart(name: string, b: Uint8Array | null): Row {
  if (b === null) return { unmapped: { [name]: null, argv: null } };
  return { unmapped: { [name]: b, argv: splitArgv(b, b.length).map((a) => storableText(bytesToText(a))) } };
}

/**
 * The bytes an address is interned as: [unreadable, family (u32 LE), address...];
 * the part is its text, or null when the kernel could not read it or the family is not an IP one.
 */
export function addressTextOf(b: Uint8Array): string | null {
  if (b[0] !== 0) return null;
  const family = b[1] | (b[2] << 8) | (b[3] << 16) | (b[4] << 24);
  return addressText(family, b.subarray(5)) || null;
}

export function addrPart(name: string, b: Uint8Array | null): Row {
  return { unmapped: { [name]: b === null ? null : addressTextOf(b) } };
}

/**
 * Network and DNS Activity's endpoints, interned as: [0] unreadable, [1..4]
 * family (u32 LE), [5..6] remote port, [7..10] protocol (0: none), [11]
 * direction_id, [12] bit 0: a remote end, bit 1: a local end, bit 2: a
 * hostname, [13..14] local port, [15] remote address size, [16] local
 * address size, [17] hostname size; then the remote address, the local
 * address and the hostname (UTF-8).
 */
export const NET_HEADER = 18;

const PROTOCOL_NAMES: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'ipv6-icmp' };

/**
 * The text of bytes a row group's endpoints repeat (a host's name, a peer's
 * address), kept for the last bytes seen: an endpoint key is mostly a
 * connection of its own (its ports), its addresses and name mostly not
 * (work capture: netPart was ~2 us a key, most of it decoding the same
 * hostname and addresses again).
 */
class LastText {
  private bytes = new Uint8Array(32);
  private length = -1;
  private tag = 0;
  private text: string | null = null;

  /** The text kept for b[from, to) and `tag` (what else the text depends on: a family), or undefined when the last were others. */
  find(b: Uint8Array, from: number, to: number, tag: number): string | null | undefined {
    const n = to - from;
    if (n !== this.length || tag !== this.tag) return undefined;
    const kept = this.bytes;
    for (let i = 0; i < n; i++) if (kept[i] !== b[from + i]) return undefined;
    return this.text;
  }

  keep(b: Uint8Array, from: number, to: number, tag: number, text: string | null): string | null {
    const n = to - from;
    if (n > this.bytes.length) this.bytes = new Uint8Array(Math.max(2 * this.bytes.length, n));
    this.bytes.set(b.subarray(from, to));
    this.length = n;
    this.tag = tag;
    this.text = text;
    return text;
  }
}

const UTF8 = new TextDecoder();
const lastHostname = new LastText();
const lastRemote = new LastText();
const lastLocal = new LastText();

function hostnameText(b: Uint8Array, from: number, to: number): string | null {
  const kept = lastHostname.find(b, from, to, 0);
  return kept !== undefined ? kept : lastHostname.keep(b, from, to, 0, UTF8.decode(b.subarray(from, to)));
}

/** An endpoint's address as text (null: unreadable, or not an IP family), through `last`. */
function ipText(last: LastText, b: Uint8Array, from: number, to: number, family: number, unreadable: boolean): string | null {
  if (unreadable) return null;
  const kept = last.find(b, from, to, family);
  return kept !== undefined ? kept : last.keep(b, from, to, family, addressText(family, b.subarray(from, to)) || null);
}

/** src_endpoint, dst_endpoint and connection_info, as ocsf-json.ts networkOf draws them (the initiator is src_endpoint). */
export function netPart(b: Uint8Array | null): Row {
  if (b === null) return {};
  const unreadable = b[0] !== 0;
  const family = b[1] | (b[2] << 8) | (b[3] << 16) | (b[4] << 24);
  const remoteAt = NET_HEADER;
  const localAt = remoteAt + b[15];
  const hostAt = localAt + b[16];
  const hostEnd = hostAt + b[17];
  const hostname = (b[12] & 4) === 0 ? null : hostnameText(b, hostAt, hostEnd);
  if ((b[12] & 1) === 0) return { src_endpoint: { hostname }, dst_endpoint: null, connection_info: null };
  const remoteIp = ipText(lastRemote, b, remoteAt, localAt, family, unreadable);
  const remote = remoteIp === null ? null : { hostname: null, ip: remoteIp, port: b[5] | (b[6] << 8) };
  const hasLocal = (b[12] & 2) !== 0;
  const local = { hostname, ip: hasLocal ? ipText(lastLocal, b, localAt, hostAt, family, unreadable) : null, port: hasLocal ? b[13] | (b[14] << 8) : null };
  const direction = b[11];
  const protocol = (b[7] | (b[8] << 8) | (b[9] << 16) | (b[10] << 24)) >>> 0;
  return {
    src_endpoint: direction === 1 ? remote : local,
    dst_endpoint: direction === 1 ? local : remote,
    connection_info: {
      direction_id: direction, direction: DIRECTION_NAMES[direction] ?? null, protocol_num: protocol === 0 ? null : protocol,
      protocol_name: PROTOCOL_NAMES[protocol] ?? null, protocol_ver_id: family === AF_INET ? 4 : family === AF_INET6 ? 6 : 0,
    },
  };
}

/** DNS Activity's query, response code and answers, decoded from the record (dns-export.ts). */
export function dnsPart(d: DnsExport | null): Row {
  if (d === null) return {};
  return { query: d.query, rcode_id: d.rcodeId, rcode: d.rcode, answers: d.answers } as unknown as Row;
}
