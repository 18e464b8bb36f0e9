/**
 * One OCSF class's Parquet table, derived from the kind registry: its schema
 * (OCSF columns, then `unmapped` with every field of every kind of the class)
 * and, for every leaf, where its values come from:
 *
 * - a key column: the leaf's value is a function of one thing per row (the
 *   capture, the actor process, the target process, the kind's outcome, the
 *   uid, a string of the record...). Rows store that thing's small key; the
 *   thing is drawn once per row group (ocsf-parts.ts) and its columns are
 *   written as dictionary indices in runs;
 * - a direct column: a number of the record (ts_ns, pid, ...), the wall time
 *   or the provenance, written per row straight from the record bytes.
 *
 * And for every kind, its plan: which bytes of its records go to which
 * direct column, and which of its fields key which key column. Nothing here
 * names a kind: a new kind's entry in the registry is its table.
 */
import { type FieldLayout } from '../abi/layout.js';
import { HEADER_FIELDS, HEADER_SIZE, KINDS, type KindLayout, type SchemaField } from '../abi/schema.js';
import { exitCodeOf, exitSignalOf } from '../abi/values.js';
import { activityField, DETECTION_FINDING, type KindOcsf, ocsfOfKind, type OcsfClass } from './ocsf-map.js';
import {
  addrPart, argvPart, blobPart, hexPart, dnsPart, errnoPart, filePart, fillFile, fillRaw, fillText, flagsPart, type LeafFill, NET_HEADER, netPart, pooledText, type ProcessView,
  statusPart, stringPart, userPart,
} from './ocsf-parts.js';
import { buildSchema, group, type GroupSpec, leaf, list, type ParquetSchema, type SchemaSpec, type ValueKind } from './parquet/schema.js';
import { type Row } from './parquet/shred.js';
import { type StringPool } from './string-pool.js';
import { type DnsExport } from './dns-export.js';

/** Where a leaf's values come from (its schema tag). */
export type LeafSource = { readonly key: number } | { readonly direct: number };

/** What a key column's keys stand for. */
export type KeyKind = 'capture' | 'process' | 'number' | 'string';

export interface KeyColumnSpec {
  readonly name: string;
  readonly kind: KeyKind;
  /** The row part of a key's thing (null: the row has none). `string` keys are ids into the row group's string pool. */
  readonly render: (thing: unknown, pool: StringPool) => Row;
  /**
   * Leaves filled straight from the string pool (`string` keys), by leaf path
   * ('unmapped.path'): the row group's many distinct paths are drawn without
   * a row object each. The other leaves of the column come from `render`.
   */
  readonly fills?: Readonly<Record<string, LeafFill>>;
}

/** How a direct column is filled. */
export type DirectFill = 'record' | 'time' | 'frame_seq' | 'record_index' | 'computed';

export interface DirectSpec {
  readonly path: readonly string[];
  readonly value: ValueKind;
  readonly fill: DirectFill;
  /** Every row has a value (no definition levels kept): the column is the record's for every kind of the class. */
  readonly alwaysDefined: boolean;
  /** Definition level of a row without a value (the column's parent is present, the value is null). */
  readonly nullLevel: number;
}

/** How a record integer becomes a column value: its width, and the column's (INT32 or INT64); s32 is the one signed type to widen. */
export const enum CopyOp { U8, U16, W32, W64, U8To64, U16To64, U32To64, S32To64 }

/** A record field copied into a direct column: source offset, how, the column and its maximum definition level. */
export interface Copy { readonly from: number; readonly op: CopyOp; readonly direct: number; readonly maxDef: number }

/**
 * A string-like field interned into the string pool, and the key columns its id goes to. `slot`: where a
 * builder keeps the field's last id, the likeliest next one: its own key column's index, shared by the
 * fields of that name of every kind (a file opened, then chmod-ed and renamed: the same `path`).
 * `how`: a C string, the buffer's bytes, or (view unix_path) a Unix socket address's text as rg-replay
 * prints it (abi/unix-path.ts), read with its size and abstract fields (`unix`: their offsets).
 */
export interface Interned {
  readonly offset: number;
  readonly size: number;
  readonly keys: readonly number[];
  readonly how: 'cstring' | 'bytes' | 'unix';
  readonly slot: number;
  readonly unix?: { readonly sizeOffset: number; readonly abstractOffset: number };
}

export interface KindPlan {
  readonly kind: KindLayout;
  readonly map: KindOcsf;
  readonly resultOffset: number;
  /** The record's fields copied to direct columns: the header's (headerCopies), then the kind's own (bodyCopies). */
  readonly copies: readonly Copy[];
  /** The header's fields copied to direct columns: the same for every kind of the table. */
  readonly headerCopies: readonly Copy[];
  readonly bodyCopies: readonly Copy[];
  readonly strings: readonly Interned[];
  /** argv buffers: field, its size field's offset, key column. */
  readonly argv: readonly { readonly offset: number; readonly size: number; readonly sizeOffset: number; readonly key: number }[];
  /** Addresses: field, family field, key column (unmapped text). */
  readonly addrs: readonly { readonly offset: number; readonly size: number; readonly family: FieldLayout | null; readonly key: number }[];
  /**
   * Network and DNS Activity's endpoints and connection_info (null outside them): the remote end (null when the
   * kind has none), the protocol (a field, a number every record has, or null), the local end, the direction
   * (a field that selects it, or a fixed id).
   */
  readonly net: {
    readonly key: number;
    readonly remote: { readonly addr: FieldLayout; readonly family: FieldLayout; readonly port: FieldLayout } | null;
    readonly protocol: FieldLayout | number | null;
    readonly local: { readonly addr: FieldLayout; readonly port: FieldLayout } | null;
    readonly direction: { readonly field: FieldLayout; readonly ids: Readonly<Record<number, number>> } | number;
  } | null;
  /** The field whose value selects the activity (an activity by field), or null. */
  readonly activityField: FieldLayout | null;
  /** DNS Activity: the key column of the decoded message (a key per row), or -1. */
  readonly dnsKey: number;
  /** Result fields: offset and the key column of their errno name. */
  readonly errors: readonly { readonly offset: number; readonly key: number }[];
  /** Per-row numbers derived from fields (exit codes): field offset and the direct column. */
  readonly computed: readonly { readonly offset: number; readonly direct: number; readonly of: (v: number) => number }[];
  /** The kind's flag bits (the mask its booleans read). */
  readonly flagMask: number;
  readonly flagsOffset: number;
  readonly actorIsParent: boolean;
  /** Process Activity's target: none, the recording process, the child whose pid is at this offset, or the program attempted (`attempted`). */
  readonly target: 'none' | 'self' | 'attempted' | number;
  /** A failed launch's attempted program: its path and argv fields (target 'attempted'), else null. */
  readonly attempted: { readonly path: FieldLayout; readonly args: FieldLayout; readonly argsSize: FieldLayout | null } | null;
  /** Set on a plan for records of an older schema (translatedPlan): rows are added with an adder of its own. */
  readonly translated?: true;
}

export interface ClassTable {
  readonly cls: OcsfClass;
  readonly kinds: readonly KindLayout[];
  readonly schema: ParquetSchema;
  readonly keyColumns: readonly KeyColumnSpec[];
  readonly directs: readonly DirectSpec[];
  /** By kind id. */
  readonly plans: readonly (KindPlan | undefined)[];
  /** Indices of the direct columns every row fills the same way. */
  readonly timeDirect: number;
  readonly frameSeqDirect: number;
  readonly recordIndexDirect: number;
  /** Slots of interned fields are 0 .. stringSlots - 1. */
  readonly stringSlots: number;
  /** The header's fields copied to direct columns, every kind's the same (in every row, at the same offsets). */
  readonly headerCopies: readonly Copy[];
}

/** Key columns every event table has, at these indices. */
export const KEY_CAPTURE = 0;
export const KEY_ACTOR = 1;
export const KEY_STATUS = 2;
export const KEY_UID = 3;
export const KEY_FLAGS = 4;
export const KEY_TARGET = 5;

// The column types of the OCSF objects, as DuckDB's export wrote them (INTEGER, BIGINT, UINTEGER, VARCHAR, TIMESTAMP_NS).
const STR = leaf('string');
const I32 = leaf('i32');
const I64 = leaf('i64');
const U32 = leaf('u32');
const TS = leaf('timestamp_ns');
const FILE_OF_EXE = group([['name', STR], ['path', STR], ['parent_folder', STR], ['type_id', I32], ['type', STR]]);
const USER = group([['uid', STR], ['uid_numeric', I64]]);
export const PROCESS: GroupSpec = group([
  ['pid', U32], ['uid', STR], ['cpid', STR], ['name', STR], ['cmd_line', STR], ['file', FILE_OF_EXE], ['working_directory', STR], ['created_time', TS],
  ['user', USER],
  ['parent_process', group([['pid', U32], ['uid', STR], ['cpid', STR], ['name', STR], ['cmd_line', STR], ['file', FILE_OF_EXE], ['created_time', TS]])],
]);
export const METADATA: GroupSpec = group([
  ['version', STR], ['product', group([['name', STR], ['vendor_name', STR], ['version', STR]])], ['profiles', list(STR)], ['log_name', STR],
  ['log_provider', STR], ['correlation_uid', STR],
]);
export const DEVICE: GroupSpec = group([
  ['hostname', STR], ['name', STR], ['type_id', I32], ['type', STR], ['boot_uid', STR],
  ['os', group([['name', STR], ['type_id', I32], ['type', STR], ['kernel_release', STR]])],
]);
export const ATTESTATION_LIST = list(group([
  ['uid', STR], ['chain_uid', STR], ['authority_uid', STR],
  ['fingerprint', group([['algorithm_id', I32], ['algorithm', STR], ['encoding_id', I32], ['encoding', STR], ['serialization_id', I32], ['serialization', STR], ['value', STR]])],
]));
/** The classification columns every class starts with. */
export const CLASSIFICATION: readonly (readonly [string, SchemaSpec])[] = [
  ['class_uid', I32], ['class_name', STR], ['category_uid', I32], ['category_name', STR], ['activity_id', I32], ['activity_name', STR],
  ['type_uid', I64], ['type_name', STR], ['severity_id', I32], ['severity', STR], ['status_id', I32], ['status', STR],
];

const SCALAR: Readonly<Record<string, ValueKind>> = { u8: 'u8', u16: 'u16', u32: 'u32', s32: 'i32', u64: 'u64', s64: 'i64' };
const BITS: Readonly<Record<string, number>> = { u8: 8, u16: 16, u32: 32, u64: 64, i32: 32, i64: 64 };

/** A column two kinds both have with different integer types: the narrowest type that holds both (as DuckDB's UNION BY NAME would). */
function widen(a: ValueKind, b: ValueKind, name: string): ValueKind {
  if (a === b) return a;
  const ua = a.startsWith('u');
  const ub = b.startsWith('u');
  if (ua === ub) return BITS[a] >= BITS[b] ? a : b;
  const [u, s] = ua ? [a, b] : [b, a];
  if (BITS[u] < BITS[s]) return s;
  if (BITS[u] <= 32) return 'i64';
  throw new Error(`export: two kinds have a field ${name} as ${a} and ${b}: no Parquet integer holds both`);
}

/** A field's column under `unmapped`: its name, or for bytes that print nowhere (a DNS message) `<name>_raw`, as other bytes JSON cannot hold. */
function columnName(f: FieldLayout, view: SchemaField['view']): string {
  return view === 'hidden' && f.type === 'bytes' ? `${f.name}_raw` : f.name;
}

/** What a kind field becomes under `unmapped`, as the export has always written it. */
type FieldRole = 'scalar' | 'string' | 'argv' | 'addr' | 'hex' | 'blob';

function roleOf(f: FieldLayout, view: SchemaField['view']): FieldRole {
  // Bytes rg-replay prints in hex (a BPF program's tag): that text.
  if (view === 'hex') return 'hex';
  // A scalar array (count > 1) has no one-number column: it is kept as its bytes.
  if (SCALAR[f.type] !== undefined && f.count === 1) return 'scalar';
  if (view === 'string' || (f.type === 'char' && view !== 'argv' && view !== 'hidden')) return 'string';
  if (view === 'argv') return 'argv';
  if (view === 'addr') return 'addr';
  return 'blob';
}

/** A tree of fields being assembled from parts, in first-seen order; each leaf tagged with its source. */
class TreeBuilder {
  private readonly root = new Map<string, Node>();

  /** Adds `spec` at `path` (its parent groups made as needed), every leaf under it tagged `source`. */
  add(path: readonly string[], spec: SchemaSpec, source: LeafSource): void {
    let level = this.root;
    for (const name of path.slice(0, -1)) {
      let n = level.get(name);
      if (n === undefined) {
        n = { kind: 'group', children: new Map() };
        level.set(name, n);
      }
      if (n.kind !== 'group') throw new Error(`export: ${path.join('.')} goes through a column`);
      level = n.children;
    }
    const name = path[path.length - 1];
    if (level.has(name)) throw new Error(`export: column ${path.join('.')} defined twice`);
    level.set(name, { kind: 'spec', spec: tagged(spec, source) });
  }

  build(): GroupSpec {
    const toSpec = (m: Map<string, Node>): GroupSpec => group([...m].map(([k, n]) => [k, n.kind === 'group' ? toSpec(n.children) : n.spec] as const));
    return toSpec(this.root);
  }
}

type Node = { kind: 'group'; children: Map<string, Node> } | { kind: 'spec'; spec: SchemaSpec };

function tagged(spec: SchemaSpec, source: LeafSource): SchemaSpec {
  if (spec.type === 'leaf') return { ...spec, tag: source };
  if (spec.type === 'list') return { ...spec, element: tagged(spec.element, source) };
  return { ...spec, fields: spec.fields.map(([k, s]) => [k, tagged(s, source)] as const) };
}

/**
 * The event tables, one per OCSF class of the registry's kinds, in the order
 * of each class's first kind: the same list on every thread (the writer
 * thread names a table by its index).
 */
export function eventTables(): ClassTable[] {
  const byClass = new Map<OcsfClass, KindLayout[]>();
  for (const k of KINDS) {
    const cls = ocsfOfKind(k).ocsfClass;
    byClass.set(cls, [...(byClass.get(cls) ?? []), k]);
  }
  return [...byClass].map(([cls, kinds]) => classTable(cls, kinds));
}

/** The table of class `cls`, whose kinds (in registry order) are `kinds`. */
export function classTable(cls: OcsfClass, kinds: readonly KindLayout[]): ClassTable {
  if (cls.uid === DETECTION_FINDING.uid) throw new Error('export: Detection Finding rows are alerts, not events');
  const keyColumns: KeyColumnSpec[] = [];
  const key = (name: string, kind: KeyKind, render: KeyColumnSpec['render'], fills?: KeyColumnSpec['fills']): number => {
    const existing = keyColumns.findIndex((k) => k.name === name);
    if (existing >= 0) return existing;
    keyColumns.push({ name, kind, render, fills });
    return keyColumns.length - 1;
  };
  const byId: (KindLayout | undefined)[] = [];
  for (const k of kinds) byId[k.id] = k;
  key('capture', 'capture', (c) => (c as Row | null) ?? {});
  // A process column's row reads nothing of its view but `ocsf`: the writer thread draws it from that part alone
  // (partition.ts SentViews; test/export/writer-thread.test.ts compares the files with --threads 1's).
  key('actor', 'process', (v) => ({ actor: { process: (v as ProcessView | null)?.ocsf ?? null } }));
  key('status', 'number', (s) => statusPart(cls, byId, s as number));
  // Key 0 (a record that names no actor): no user.
  key('uid', 'number', (u) => (u === null ? { actor: { user: null } } : userPart(u as number)));
  key('flags', 'number', (f) => flagsPart(byId, f as number | null));
  if (cls.uid === 1007) key('target', 'process', (v) => ({ process: (v as ProcessView | null)?.ocsf ?? null }));

  const t = new TreeBuilder();
  const directs: DirectSpec[] = [];
  const direct = (path: string[], value: ValueKind, fill: DirectFill, alwaysDefined: boolean, nullLevel = path.length - 1): number => {
    directs.push({ path, value, fill, alwaysDefined, nullLevel });
    t.add(path, leaf(value), { direct: directs.length - 1 });
    return directs.length - 1;
  };
  const keyed = (k: number) => ({ key: k });

  for (const [name, spec] of CLASSIFICATION) t.add([name], spec, keyed(KEY_STATUS));
  t.add(['status_code'], STR, keyed(KEY_STATUS));
  const timeDirect = direct(['time'], 'timestamp_ns', 'time', false);
  t.add(['metadata'], METADATA, keyed(KEY_CAPTURE));
  t.add(['device'], DEVICE, keyed(KEY_CAPTURE));
  t.add(['actor', 'process'], PROCESS, keyed(KEY_ACTOR));
  t.add(['actor', 'user'], USER, keyed(KEY_UID));

  const maps = kinds.map((k) => ({ k, m: ocsfOfKind(k) }));
  // Class-specific OCSF objects, from the kinds' entries.
  const fileFills = Object.fromEntries((['name', 'path', 'parent_folder', 'type_id', 'type'] as const).map((p) => [`file.${p}`, fillFile(p)]));
  const fileKey = cls.uid === 1001 ? key('file', 'string', (id, pool) => filePart(pooledText(pool, id as number | null).text), fileFills) : -1;
  const isNet = cls.uid === 4001 || cls.uid === 4003;
  const netKey = isNet ? key('net', 'string', (id, pool) => netPart(id === null ? null : pool.bytesOf(id as number))) : -1;
  const dnsKey = cls.uid === 4003 && kinds.some((k) => k.ocsf?.dns !== undefined) ? key('dns', 'process', (d) => dnsPart(d as DnsExport | null)) : -1;
  const exitDirect: number[] = [];
  if (cls.uid === 1007) {
    t.add(['process'], PROCESS, keyed(KEY_TARGET));
    t.add(['launch_type_id'], I32, keyed(KEY_STATUS));
    t.add(['launch_type'], STR, keyed(KEY_STATUS));
    exitDirect.push(direct(['exit_code'], 'i32', 'computed', false));
  }
  if (cls.uid === 1001) t.add(['file'], FILE_OF_EXE, keyed(fileKey));
  const trafficDirect: number[] = [];
  if (isNet) {
    const endpoint = group([['hostname', STR], ['ip', STR], ['port', I32]]);
    t.add(['src_endpoint'], endpoint, keyed(netKey));
    t.add(['dst_endpoint'], endpoint, keyed(netKey));
    t.add(['connection_info'], group([['direction_id', I32], ['direction', STR], ['protocol_num', I32], ['protocol_name', STR], ['protocol_ver_id', I32]]), keyed(netKey));
    // A row of a kind without traffic has no traffic object at all (level 0), not one of nulls.
    if (maps.some(({ m }) => m.traffic !== undefined)) trafficDirect.push(direct(['traffic', 'bytes_out'], 'u64', 'record', false, 0), direct(['traffic', 'bytes_in'], 'u64', 'record', false, 0));
  }
  if (dnsKey >= 0) {
    t.add(['query'], group([['hostname', STR], ['type', STR], ['class', STR], ['packet_uid', I32]]), keyed(dnsKey));
    t.add(['rcode_id'], I32, keyed(dnsKey));
    t.add(['rcode'], STR, keyed(dnsKey));
    t.add(['answers'], list(group([['rdata', STR], ['type', STR], ['class', STR], ['ttl', leaf('u64')], ['packet_uid', I32]])), keyed(dnsKey));
  }
  t.add(['attestation_list'], ATTESTATION_LIST, keyed(KEY_CAPTURE));

  // unmapped: rand-guard's own fields, in the order the export has always used.
  t.add(['unmapped', 'event_type'], STR, keyed(KEY_STATUS));
  const fields = new Map<string, { role: FieldRole; value: ValueKind | null; kinds: KindLayout[] }>();
  for (const k of kinds) {
    for (const [i, f] of k.layout.fields.entries()) {
      const role = roleOf(f, k.schemaFields[i].view);
      const value = role === 'scalar' ? SCALAR[f.type] : null;
      const seen = fields.get(columnName(f, k.schemaFields[i].view));
      if (seen === undefined) {
        fields.set(columnName(f, k.schemaFields[i].view), { role, value, kinds: [k] });
        continue;
      }
      if (seen.role !== role) throw new Error(`export: kinds ${seen.kinds[0].name} and ${k.name} both have a field ${f.name}, as ${seen.role} and ${role}`);
      if (value !== null) seen.value = widen(seen.value!, value, f.name);
      seen.kinds.push(k);
    }
  }
  const scalarDirect = new Map<string, number>();
  const stringKey = new Map<string, number>();
  let argvKey = -1;
  for (const [name, f] of fields) {
    const everyKind = f.kinds.length === kinds.length;
    if (f.role === 'scalar') {
      scalarDirect.set(name, direct(['unmapped', name], f.value!, 'record', everyKind));
    } else if (f.role === 'string') {
      const k = key(`string:${name}`, 'string', (id, pool) => stringPart(name, pooledText(pool, id as number | null)),
        { [`unmapped.${name}`]: fillText, [`unmapped.${name}_raw`]: fillRaw });
      t.add(['unmapped', name], STR, keyed(k));
      t.add(['unmapped', `${name}_raw`], leaf('bytes'), keyed(k));
      stringKey.set(name, k);
    } else if (f.role === 'argv') {
      argvKey = key(`argv:${name}`, 'string', (id, pool) => argvPart(name, id === null ? null : pool.bytesOf(id as number)));
      t.add(['unmapped', name], leaf('bytes'), keyed(argvKey));
      stringKey.set(name, argvKey);
    } else if (f.role === 'addr') {
      const k = key(`addr:${name}`, 'string', (id, pool) => addrPart(name, id === null ? null : pool.bytesOf(id as number)));
      t.add(['unmapped', name], STR, keyed(k));
      stringKey.set(name, k);
    } else if (f.role === 'hex') {
      const k = key(`hex:${name}`, 'string', (id, pool) => hexPart(name, id === null ? null : pool.bytesOf(id as number)));
      t.add(['unmapped', name], STR, keyed(k));
      stringKey.set(name, k);
    } else {
      const k = key(`blob:${name}`, 'string', (id, pool) => blobPart(name, id === null ? null : pool.bytesOf(id as number)));
      t.add(['unmapped', name], leaf('bytes'), keyed(k));
      stringKey.set(name, k);
    }
  }
  if (argvKey >= 0) t.add(['unmapped', 'argv'], list(STR), keyed(argvKey));
  // Derived values, as rg-replay --json prints them: errno names of result fields, exit code and signal, flag booleans.
  const errorKey = new Map<string, number>();
  for (const k of kinds) {
    for (const f of [...HEADER_FIELDS, ...k.fields]) {
      if (f.view !== 'result') continue;
      const name = f.name === 'result' ? 'error' : `${f.name}_error`;
      if (!errorKey.has(name)) {
        const kc = key(`errno:${name}`, 'number', (e) => errnoPart(name, e as number | null));
        t.add(['unmapped', name], STR, keyed(kc));
        errorKey.set(name, kc);
      }
    }
  }
  const exitFields = kinds.some((k) => k.fields.some((f) => f.view === 'exit_status'));
  // A kind's own field of the same name (process_signal's `signal`) is that column: each kind fills it its way.
  const exitCode = exitFields ? (scalarDirect.get('exit_code') ?? direct(['unmapped', 'exit_code'], 'u32', 'computed', false)) : -1;
  const exitSignal = exitFields ? (scalarDirect.get('signal') ?? direct(['unmapped', 'signal'], 'u32', 'computed', false)) : -1;
  const flagNames: string[] = [];
  for (const k of kinds) for (const fl of k.flags) if (!flagNames.includes(fl.outputName)) flagNames.push(fl.outputName);
  for (const name of flagNames) t.add(['unmapped', name], leaf('bool'), keyed(KEY_FLAGS));
  t.add(['unmapped', 'capture_sha256'], STR, keyed(KEY_CAPTURE));
  t.add(['unmapped', 'capture_file'], STR, keyed(KEY_CAPTURE));
  const frameSeqDirect = direct(['unmapped', 'frame_seq'], 'u64', 'frame_seq', true);
  const recordIndexDirect = direct(['unmapped', 'record_index'], 'u32', 'record_index', true);

  const schema = buildSchema(t.build());
  const plans: (KindPlan | undefined)[] = [];
  for (const { k, m } of maps) {
    plans[k.id] = kindPlan(k, m, {
      scalarDirect, directs, stringKey, errorKey, fileKey, netKey, dnsKey, trafficDirect, exitTop: exitDirect[0] ?? -1, exitCode, exitSignal,
    });
  }
  const headerCopies = plans[kinds[0].id]!.headerCopies;
  const same = (a: readonly Copy[], b: readonly Copy[]) => a.length === b.length && a.every((c, i) => c.from === b[i].from && c.op === b[i].op && c.direct === b[i].direct);
  for (const k of kinds) {
    if (!same(plans[k.id]!.headerCopies, headerCopies)) throw new Error(`export: kind ${k.name}'s header fields go to other columns than kind ${kinds[0].name}'s`);
  }
  return { cls, kinds, schema, keyColumns, directs, plans, timeDirect, frameSeqDirect, recordIndexDirect, stringSlots: keyColumns.length, headerCopies };
}

interface PlanColumns {
  scalarDirect: Map<string, number>;
  directs: readonly DirectSpec[];
  stringKey: Map<string, number>;
  errorKey: Map<string, number>;
  fileKey: number;
  netKey: number;
  dnsKey: number;
  /** traffic.bytes_out and bytes_in (empty when the class has no traffic). */
  trafficDirect: readonly number[];
  exitTop: number;
  exitCode: number;
  exitSignal: number;
}

const WIDTH_OF: Readonly<Record<ValueKind, number>> = {
  u8: 4, u16: 4, u32: 4, i8: 4, i16: 4, i32: 4, u64: 8, i64: 8, timestamp_ns: 8, bool: 1, string: 0, bytes: 0,
};

function copyOp(width: number, signed: boolean, to: number): CopyOp {
  if (to === 4) return width === 1 ? CopyOp.U8 : width === 2 ? CopyOp.U16 : CopyOp.W32;
  if (width === 8) return CopyOp.W64;
  if (width === 4) return signed ? CopyOp.S32To64 : CopyOp.U32To64;
  return width === 2 ? CopyOp.U16To64 : CopyOp.U8To64;
}

function kindPlan(k: KindLayout, m: KindOcsf, c: PlanColumns): KindPlan {
  const field = (name: string) => {
    const f = k.layout.fields.find((x) => x.name === name);
    if (f === undefined) throw new Error(`export: kind ${k.name}'s OCSF entry names ${name}, which is not one of its fields`);
    return f;
  };
  const bodyCopies: Copy[] = [];
  const headerCopies: Copy[] = [];
  const strings: Interned[] = [];
  const argv: KindPlan['argv'][number][] = [];
  const addrs: KindPlan['addrs'][number][] = [];
  for (const [i, f] of k.layout.fields.entries()) {
    const view = k.schemaFields[i].view;
    const role = roleOf(f, view);
    if (role === 'scalar') {
      const d = c.scalarDirect.get(f.name)!;
      (f.offset < HEADER_SIZE ? headerCopies : bodyCopies)
        .push({ from: f.offset, op: copyOp(f.size, f.type.startsWith('s'), WIDTH_OF[c.directs[d].value]), direct: d, maxDef: c.directs[d].path.length });
    } else if (role === 'string' && view === 'unix_path') {
      const s = k.schemaFields[i];
      // Its text (a prefix of up to 2 bytes, then the name) is put together in a builder's 512-byte scratch.
      if (f.size + 2 > 512) throw new Error(`export: kind ${k.name}'s Unix path field ${f.name} is too long`);
      const key = c.stringKey.get(f.name)!;
      strings.push({ offset: f.offset, size: f.size, keys: [key], how: 'unix', slot: key, unix: { sizeOffset: field(s.sizeField!).offset, abstractOffset: field(s.abstractField!).offset } });
    } else if (role === 'string') {
      const keys = [c.stringKey.get(f.name)!];
      if (m.filePathField === f.name && c.fileKey >= 0) keys.push(c.fileKey);
      strings.push({ offset: f.offset, size: f.size, keys, how: 'cstring', slot: keys[0] });
    } else if (role === 'argv') {
      const sizeName = k.schemaFields[i].sizeField;
      const sizeField = sizeName === undefined ? null : field(sizeName);
      argv.push({ offset: f.offset, size: f.size, sizeOffset: sizeField === null ? -1 : sizeField.offset, key: c.stringKey.get(f.name)! });
    } else if (role === 'addr') {
      const family = k.fields.find((x) => x.view === 'family');
      addrs.push({ offset: f.offset, size: f.size, family: family === undefined ? null : field(family.name), key: c.stringKey.get(f.name)! });
    } else {
      const key = c.stringKey.get(columnName(f, view))!;
      strings.push({ offset: f.offset, size: f.size, keys: [key], how: 'bytes', slot: key });
    }
  }
  if (m.filePathField !== undefined && c.fileKey >= 0 && !strings.some((s) => s.keys.includes(c.fileKey))) {
    throw new Error(`export: kind ${k.name}'s filePathField ${m.filePathField} is not a string field`);
  }
  const errors = [...HEADER_FIELDS, ...k.fields].filter((f) => f.view === 'result')
    .map((f) => ({ offset: field(f.name).offset, key: c.errorKey.get(f.name === 'result' ? 'error' : `${f.name}_error`)! }));
  const computed: KindPlan['computed'][number][] = [];
  if (m.exitStatusField !== undefined && c.exitTop >= 0) computed.push({ offset: field(m.exitStatusField).offset, direct: c.exitTop, of: exitCodeOf });
  const exitView = k.fields.find((f) => f.view === 'exit_status');
  if (exitView !== undefined) {
    computed.push({ offset: field(exitView.name).offset, direct: c.exitCode, of: exitCodeOf });
    computed.push({ offset: field(exitView.name).offset, direct: c.exitSignal, of: exitSignalOf });
  }
  const d = m.direction ?? 2;
  const net = c.netKey < 0 ? null : {
    key: c.netKey,
    remote: m.dst === undefined ? null : { addr: field(m.dst.addr), family: field(m.dst.family), port: field(m.dst.port) },
    protocol: m.dst === undefined || m.dst.protocol === undefined ? null : typeof m.dst.protocol === 'number' ? m.dst.protocol : field(m.dst.protocol),
    local: m.local === undefined ? null : { addr: field(m.local.addr), port: field(m.local.port) },
    direction: typeof d === 'number' ? d : { field: field(d.field), ids: d.ids },
  };
  if (net !== null && NET_HEADER + 2 * (net.remote?.addr.size ?? 0) + 256 > 512) throw new Error(`export: kind ${k.name}'s address field is too long`);
  if (m.traffic !== undefined && c.trafficDirect.length === 2) {
    for (const [name, d2] of [[m.traffic.bytesOut, c.trafficDirect[0]], [m.traffic.bytesIn, c.trafficDirect[1]]] as const) {
      const f = field(name);
      bodyCopies.push({ from: f.offset, op: copyOp(f.size, false, 8), direct: d2, maxDef: 2 });
    }
  }
  const selector = activityField(m);
  let flagMask = 0;
  for (const f of k.flags) flagMask |= f.bit;
  const target = m.target === undefined ? 'none' : m.target === 'self' ? 'self' : 'attempted' in m.target ? 'attempted' : field(m.target.pidField).offset;
  const tried = m.target !== undefined && m.target !== 'self' && 'attempted' in m.target ? m.target.attempted : null;
  const argsSizeName = tried === null ? undefined : k.schemaFields.find((f) => f.name === tried.args)?.sizeField;
  const attempted = tried === null ? null : { path: field(tried.path), args: field(tried.args), argsSize: argsSizeName === undefined ? null : field(argsSizeName) };
  return {
    kind: k, map: m, resultOffset: m.resultField === undefined ? -1 : field(m.resultField).offset,
    copies: [...headerCopies, ...bodyCopies], headerCopies, bodyCopies, strings, argv, addrs, net, errors, computed,
    activityField: selector === undefined ? null : field(selector), dnsKey: k.ocsf?.dns !== undefined ? c.dnsKey : -1,
    flagMask, flagsOffset: field('flags').offset, actorIsParent: m.actor === 'parent', target, attempted,
  };
}

/** A plan for records of an older schema rebuilt in this build's layout (KindPlan.translated): its fields `unavailable` left out. */
export type TranslatedPlan = KindPlan & { readonly translated: true };

/**
 * `plan` less the fields a record of an older schema did not record (schema-audit.ts: replay rebuilds it in
 * this build's layout, those fields zeroed): their columns, strings, addresses and derived values stay null in
 * its row, never the zeros. A field the row cannot leave out (one that decides its class, activity, outcome,
 * flags, endpoints or target process, or a header field) gives a reason instead: such records cannot be exported.
 */
/**
 * Why records of `kind` whose file lacked the fields `unavailable` cannot be exported (a field that decides
 * their row: class, activity, outcome, flags, endpoints, target process, or a header field), or null.
 */
export function whyNotExportable(kind: KindLayout, unavailable: readonly string[]): string | null {
  const m = ocsfOfKind(kind);
  const named = new Set<string>(['flags']);
  const add = (n: string | null | undefined) => { if (n !== undefined && n !== null) named.add(n); };
  add(m.resultField);
  add(activityField(m));
  if (m.target !== undefined && m.target !== 'self' && 'pidField' in m.target) add(m.target.pidField);
  if (m.dst !== undefined) { add(m.dst.addr); add(m.dst.family); add(m.dst.port); if (typeof m.dst.protocol === 'string') add(m.dst.protocol); }
  if (m.local !== undefined) { add(m.local.addr); add(m.local.port); }
  if (typeof m.direction === 'object') add(m.direction.field);
  if (m.traffic !== undefined) { add(m.traffic.bytesOut); add(m.traffic.bytesIn); }
  add(m.exitStatusField);
  const dns = kind.ocsf?.dns === undefined ? '' : JSON.stringify(kind.ocsf.dns);
  for (const f of kind.layout.fields) {
    if (!unavailable.includes(f.name)) continue;
    if (f.offset < HEADER_SIZE || named.has(f.name) || dns.includes(`"${f.name}"`)) return `its field ${f.name} decides its row (class, outcome, process or endpoints)`;
  }
  return null;
}

export function translatedPlan(plan: KindPlan, unavailable: readonly string[]): TranslatedPlan | string {
  const k = plan.kind;
  const why = whyNotExportable(k, unavailable);
  if (why !== null) return why;
  const gone = k.layout.fields.filter((f) => unavailable.includes(f.name));
  const within = (offset: number) => gone.some((f) => offset >= f.offset && offset < f.offset + f.size);
  const argvGone = (a: KindPlan['argv'][number]) => within(a.offset) || (a.sizeOffset >= 0 && within(a.sizeOffset));
  const addrGone = (a: KindPlan['addrs'][number]) => within(a.offset) || (a.family !== null && within(a.family.offset));
  const bodyCopies = plan.bodyCopies.filter((c) => !within(c.from));
  return {
    ...plan, translated: true,
    bodyCopies, copies: [...plan.headerCopies, ...bodyCopies],
    strings: plan.strings.filter((s) => !within(s.offset) && (s.unix === undefined || (!within(s.unix.sizeOffset) && !within(s.unix.abstractOffset)))),
    argv: plan.argv.filter((a) => !argvGone(a)),
    addrs: plan.addrs.filter((a) => !addrGone(a)),
    errors: plan.errors.filter((e) => !within(e.offset)),
    computed: plan.computed.filter((c) => !within(c.offset)),
  };
}
