/**
 * The staging tables of a Parquet export: one per kind, its columns derived
 * from the kind's schema entry (every field, integer types kept exact: a u64
 * is a UBIGINT), plus the export's own columns (provenance, wall time, OCSF
 * activity and status, process references). Record bytes go straight into
 * column buffers; nothing is decoded into objects per event.
 */
import { type FieldLayout } from '../abi/layout.js';
import { EVENT_FLAG_USER_READ_FAILED, HEADER_FIELDS, type KindLayout } from '../abi/schema.js';
import { addressText, splitArgv, bytesToText } from '../abi/values.js';
import { type ChunkWriter, type Column, type ColumnType } from './chunk-writer.js';
import { cStringEnd, escapedText, isUtf8, storableText } from './text-bytes.js';
import { dnsExportOfRecord } from './dns-export.js';

/** Columns every staging table starts with, in this order (see `Common`). */
export const COMMON_COLUMNS: readonly Column[] = [
  { name: 'capture', type: 'UINTEGER' },      // index into the captures table
  { name: 'frame_seq', type: 'UBIGINT' },     // the frame's sequence number in the capture file
  { name: 'record_index', type: 'UINTEGER' }, // the record's index in its frame
  { name: 'time_ns', type: 'BIGINT' },        // wall clock, ns since the epoch; NULL without a manifest clock
  { name: 'day', type: 'INTEGER' },           // days since the epoch (partition); NULL without a clock
  { name: 'activity_id', type: 'UTINYINT' },
  { name: 'status_id', type: 'UTINYINT' },
  { name: 'actor_pid', type: 'UINTEGER' },
  { name: 'actor_ref', type: 'UINTEGER' },    // procs.ref of the actor's snapshot, NULL when not in the table
  { name: 'target_pid', type: 'UINTEGER' },   // Process Activity: the target process
  { name: 'target_ref', type: 'UINTEGER' },
  { name: 'actor_guid', type: 'VARCHAR' },    // only when actor_ref is NULL: the GUID a process not in the table gets
  { name: 'target_guid', type: 'VARCHAR' },
];
export const Common = {
  Capture: 0, FrameSeq: 1, RecordIndex: 2, TimeNs: 3, Day: 4, Activity: 5, Status: 6, ActorPid: 7, ActorRef: 8, TargetPid: 9, TargetRef: 10, ActorGuid: 11, TargetGuid: 12,
} as const;

const SCALAR: Record<string, ColumnType> = { u8: 'UTINYINT', u16: 'USMALLINT', u32: 'UINTEGER', s32: 'INTEGER', u64: 'UBIGINT', s64: 'BIGINT' };

/** Writes one field of a record into the staging row. */
type FieldOp = (w: ChunkWriter, raw: Uint8Array, at: number) => void;

export interface KindStaging {
  readonly kind: KindLayout;
  readonly table: string;
  readonly columns: readonly Column[];
  /** Staging column of each schema field that is stored under its own name, with its SQL type. */
  readonly fieldColumns: ReadonlyMap<string, ColumnType>;
  readonly ops: readonly FieldOp[];
}

/** The staging table of a kind: its columns and how a record fills them. */
export function kindStaging(kind: KindLayout, tableSuffix: string): KindStaging {
  const columns: Column[] = [...COMMON_COLUMNS];
  const fieldColumns = new Map<string, ColumnType>();
  const ops: FieldOp[] = [];
  const add = (name: string, type: ColumnType): number => {
    columns.push({ name, type });
    return columns.length - 1;
  };
  for (const f of kind.layout.fields) {
    const scalar = SCALAR[f.type];
    const view = [...HEADER_FIELDS, ...kind.fields].find((x) => x.name === f.name)!.view;
    // A scalar array (count > 1) has no one-number column: it is kept as its bytes (BLOB, below).
    if (scalar !== undefined && f.count === 1) {
      const col = add(f.name, scalar);
      fieldColumns.set(f.name, scalar);
      const { offset, size } = f;
      ops.push((w, raw, at) => w.copyBytes(col, raw, at + offset, size));
    } else if (view === 'string' || (f.type === 'char' && view !== 'argv' && view !== 'hidden')) {
      const col = add(f.name, 'VARCHAR');
      const rawCol = add(`${f.name}_raw`, 'BLOB');
      fieldColumns.set(f.name, 'VARCHAR');
      ops.push(stringOp(f, col, rawCol));
    } else if (view === 'argv') {
      const col = add('argv', 'VARCHAR');
      const rawCol = add(f.name, 'BLOB');
      fieldColumns.set(f.name, 'BLOB');
      const sizeField = kind.layout.fields.find((x) => x.name === `${f.name}_size`);
      ops.push(argvOp(f, sizeField, col, rawCol));
    } else if (view === 'addr') {
      const col = add(f.name, 'VARCHAR');
      fieldColumns.set(f.name, 'VARCHAR');
      const family = kind.fields.find((x) => x.view === 'family');
      const flags = kind.layout.fields.find((x) => x.name === 'flags')!;
      ops.push(addrOp(f, family === undefined ? undefined : kind.layout.fields.find((x) => x.name === family.name), flags, col));
    } else {
      // Bytes that print nowhere (a DNS message) keep the `_raw` name of bytes JSON cannot hold.
      const name = view === 'hidden' && f.type === 'bytes' ? `${f.name}_raw` : f.name;
      const col = add(name, 'BLOB');
      fieldColumns.set(name, 'BLOB');
      const { offset, size } = f;
      ops.push((w, raw, at) => w.bytes(col, raw.subarray(at + offset, at + offset + size)));
    }
  }
  if (kind.ocsf?.dns !== undefined) ops.push(dnsOp(kind, DNS_COLUMNS.map((c) => add(c.name, c.type))));
  return { kind, table: `stage_${kind.name}_${tableSuffix}`, columns, fieldColumns, ops };
}

/** DNS Activity: the decoded message's parts (dns-export.ts), for the OCSF projection; not in `unmapped`. */
export const DNS_COLUMNS: readonly Column[] = [
  { name: 'dns_hostname', type: 'VARCHAR' },
  { name: 'dns_qtype', type: 'VARCHAR' },
  { name: 'dns_qclass', type: 'VARCHAR' },
  { name: 'dns_id', type: 'INTEGER' },
  { name: 'dns_rcode_id', type: 'INTEGER' },
  { name: 'dns_answers', type: 'VARCHAR' }, // JSON: [{rdata, type, class, ttl, packet_uid}]
];

function dnsOp(kind: KindLayout, cols: number[]): FieldOp {
  const [hostname, qtype, qclass, id, rcode, answers] = cols;
  return (w, raw, at) => {
    const d = dnsExportOfRecord(kind, raw, at);
    if (d === null) return;
    if (d.query !== null) {
      w.text(hostname, d.query.hostname);
      w.text(qtype, d.query.type);
      w.text(qclass, d.query.class);
    }
    w.i32(id, d.id);
    if (d.rcodeId !== null) w.i32(rcode, d.rcodeId);
    if (d.answers !== null) w.text(answers, JSON.stringify(d.answers));
  };
}

function stringOp(f: FieldLayout, col: number, rawCol: number): FieldOp {
  const { offset, size } = f;
  return (w, raw, at) => {
    const start = at + offset;
    const end = cStringEnd(raw, start, size);
    if (isUtf8(raw, start, end)) {
      w.bytes(col, raw.subarray(start, end));
    } else {
      const exact = raw.subarray(start, end);
      w.text(col, escapedText(exact));
      w.bytes(rawCol, exact);
    }
  };
}

function argvOp(f: FieldLayout, sizeField: FieldLayout | undefined, col: number, rawCol: number): FieldOp {
  const { offset, size } = f;
  return (w, raw, at) => {
    const used = sizeField === undefined ? size : Math.min(size, u32(raw, at + sizeField.offset));
    const bytes = raw.subarray(at + offset, at + offset + used);
    w.bytes(rawCol, bytes);
    w.text(col, JSON.stringify(splitArgv(bytes, used).map((a) => storableText(bytesToText(a)))));
  };
}

function addrOp(f: FieldLayout, family: FieldLayout | undefined, flags: FieldLayout, col: number): FieldOp {
  const { offset, size } = f;
  return (w, raw, at) => {
    // The kernel could not read the address: the bytes are not one (NULL, as NDJSON's "").
    if (((raw[at + flags.offset] | (raw[at + flags.offset + 1] << 8)) & EVENT_FLAG_USER_READ_FAILED) !== 0) return;
    const fam = family === undefined ? 0 : family.size === 2 ? raw[at + family.offset] | (raw[at + family.offset + 1] << 8) : u32(raw, at + family.offset);
    const text = addressText(fam, raw.subarray(at + offset, at + offset + size));
    if (text !== '') w.text(col, text);
  };
}

export function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
