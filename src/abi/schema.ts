/**
 * The event schema: the one description of every record that crosses the ring
 * buffer. The C header, the manifest written into captures, the dispatcher, the
 * decoders and the NDJSON writer are all derived from the tables below.
 */
import {
  ADDR_LEN, ARGS_LEN, COMM_LEN, EVENT_FLAG_ARGS_TRUNCATED, EVENT_FLAG_COMM_TRUNCATED,
  EVENT_FLAG_EXE_DELETED, EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_OPENAT2, EVENT_FLAG_USER_READ_FAILED,
  EventKind, type EventKindId, FILE_FILTER_MAX_PREFIXES, FILE_FILTER_PREFIX_LEN, PATH_LEN,
} from './constants.js';
import { type FieldSpec, type StructLayout, layoutStruct } from './layout.js';

/**
 * How a field is presented in output. The schema says what a value means;
 * src/output decides how to print each meaning.
 */
export type FieldView =
  | 'uint' | 'int'
  | 'string'      // NUL-terminated text
  | 'argv'        // NUL-separated strings, length in a sibling field
  | 'open_flags'  // O_* bits
  | 'result'      // >= 0 success value, < 0 is -errno
  | 'family'      // AF_* number
  | 'addr'        // IPv4/IPv6 bytes, read with the family field
  | 'exit_status' // wait(2) status word
  | 'hidden';     // carried in the record, not printed (lengths, reserved words)

export interface SchemaField extends FieldSpec {
  readonly view: FieldView;
}

/** A header flag bit that a kind can set, and the boolean it becomes in output. */
export interface KindFlag {
  readonly bit: number;
  readonly outputName: string;
}

export interface KindDefinition {
  readonly id: EventKindId;
  /** Name used in code and the C header (`struct rg_<name>`). */
  readonly name: string;
  /** `event_type` in output. */
  readonly eventType: string;
  readonly fields: readonly SchemaField[];
  readonly flags: readonly KindFlag[];
}

export interface KindLayout extends KindDefinition {
  /** The whole record: header then the kind's own fields. */
  readonly layout: StructLayout;
  /** Only the kind's own fields, offsets relative to the record start. */
  readonly bodyFields: StructLayout['fields'];
}

/** The common header, first in every record. 72 bytes, no padding. */
export const HEADER_FIELDS: readonly SchemaField[] = [
  { name: 'version', type: 'u16', view: 'hidden', doc: 'EVENT_SCHEMA_VERSION of the writer' },
  { name: 'kind', type: 'u16', view: 'hidden', doc: 'enum rg_event_kind' },
  { name: 'size', type: 'u32', view: 'hidden', doc: 'size of the whole record, fixed per kind' },
  { name: 'ts_ns', type: 'u64', view: 'uint', doc: 'bpf_ktime_get_ns(): CLOCK_MONOTONIC, nanoseconds' },
  { name: 'pid', type: 'u32', view: 'uint', doc: 'process id (tgid)' },
  { name: 'tid', type: 'u32', view: 'uint', doc: 'thread id' },
  { name: 'ppid', type: 'u32', view: 'uint', doc: 'parent process id (tgid of real_parent)' },
  { name: 'uid', type: 'u32', view: 'uint', doc: 'real user id' },
  { name: 'gid', type: 'u32', view: 'uint', doc: 'real group id' },
  { name: 'auid', type: 'u32', view: 'uint', doc: 'login user id (audit loginuid; 4294967295 = unset)' },
  { name: 'cgroup_id', type: 'u64', view: 'uint', doc: 'cgroup v2 id of the task' },
  { name: 'flags', type: 'u16', view: 'hidden', doc: 'EVENT_FLAG_* bits' },
  { name: 'cpu', type: 'u16', view: 'uint', doc: 'CPU the event was recorded on' },
  { name: 'mntns', type: 'u32', view: 'uint', doc: 'mount namespace inode number (tells containers apart)' },
  { name: 'comm', type: 'char', count: COMM_LEN, view: 'string', doc: 'task comm, NUL-terminated' },
];

export const HEADER: StructLayout = layoutStruct('rg_event_header', HEADER_FIELDS);
export const HEADER_SIZE = HEADER.size;

const KIND_DEFINITIONS: readonly KindDefinition[] = [
  {
    id: EventKind.ProcessExec, name: 'process_exec', eventType: 'process_start',
    fields: [
      { name: 'argc', type: 'u32', view: 'uint', doc: 'argument count of the new program' },
      { name: 'args_size', type: 'u32', view: 'hidden', doc: 'bytes of args[] holding argv (NUL-separated)' },
      { name: 'exe_ino', type: 'u64', view: 'uint', doc: 'inode number of the executed file' },
      { name: 'filename', type: 'char', count: PATH_LEN, view: 'string', doc: 'path given to execve' },
      { name: 'args', type: 'char', count: ARGS_LEN, view: 'argv', doc: 'argv, NUL-separated, args_size bytes' },
    ],
    flags: [
      { bit: EVENT_FLAG_FILENAME_TRUNCATED, outputName: 'filename_truncated' },
      { bit: EVENT_FLAG_ARGS_TRUNCATED, outputName: 'argv_truncated' },
      { bit: EVENT_FLAG_COMM_TRUNCATED, outputName: 'comm_truncated' },
      { bit: EVENT_FLAG_USER_READ_FAILED, outputName: 'argv_unreadable' },
      { bit: EVENT_FLAG_EXE_DELETED, outputName: 'exe_deleted' },
    ],
  },
  {
    id: EventKind.ProcessFork, name: 'process_fork', eventType: 'process_fork',
    fields: [
      { name: 'child_pid', type: 'u32', view: 'uint', doc: 'tgid of the new process' },
      { name: 'child_tid', type: 'u32', view: 'uint', doc: 'tid of the new process main thread' },
    ],
    flags: [],
  },
  {
    id: EventKind.ProcessExit, name: 'process_exit', eventType: 'process_exit',
    fields: [
      { name: 'start_ns', type: 'u64', view: 'uint', doc: 'task start time, CLOCK_MONOTONIC ns' },
      { name: 'exit_status', type: 'u32', view: 'exit_status', doc: 'wait(2) status: code << 8 | signal' },
      { name: 'reserved', type: 'u32', view: 'hidden', doc: 'zero; keeps the record free of padding' },
    ],
    flags: [],
  },
  {
    id: EventKind.FileOpen, name: 'file_open', eventType: 'file_open',
    fields: [
      { name: 'open_flags', type: 'u32', view: 'open_flags', doc: 'O_* flags' },
      { name: 'mode', type: 'u32', view: 'uint', doc: 'mode for O_CREAT/O_TMPFILE' },
      { name: 'result', type: 's32', view: 'result', doc: 'fd on success, -errno on failure' },
      { name: 'dirfd', type: 's32', view: 'int', doc: 'directory fd a relative path is resolved against (-100 = cwd)' },
      { name: 'path', type: 'char', count: PATH_LEN, view: 'string', doc: 'path as passed to the syscall' },
    ],
    flags: [
      { bit: EVENT_FLAG_FILENAME_TRUNCATED, outputName: 'path_truncated' },
      { bit: EVENT_FLAG_USER_READ_FAILED, outputName: 'path_unreadable' },
      { bit: EVENT_FLAG_OPENAT2, outputName: 'openat2' },
    ],
  },
  {
    id: EventKind.NetConnect, name: 'net_connect', eventType: 'net_connect',
    fields: [
      { name: 'fd', type: 's32', view: 'int', doc: 'socket fd' },
      { name: 'result', type: 's32', view: 'result', doc: '0 on success, -errno on failure (-EINPROGRESS for non-blocking)' },
      { name: 'family', type: 'u16', view: 'family', doc: 'AF_INET or AF_INET6' },
      { name: 'port', type: 'u16', view: 'uint', doc: 'destination port, host byte order' },
      { name: 'protocol', type: 'u16', view: 'uint', doc: 'IPPROTO_* of the socket, 0 if unknown' },
      { name: 'sock_type', type: 'u16', view: 'uint', doc: 'SOCK_* type of the socket, 0 if unknown' },
      { name: 'addr', type: 'bytes', count: ADDR_LEN, view: 'addr', doc: 'destination address, network byte order' },
    ],
    flags: [
      { bit: EVENT_FLAG_USER_READ_FAILED, outputName: 'addr_unreadable' },
    ],
  },
];

function layoutKind(def: KindDefinition): KindLayout {
  const layout = layoutStruct(`rg_${def.name}`, [...HEADER_FIELDS, ...def.fields]);
  return { ...def, layout, bodyFields: layout.fields.slice(HEADER_FIELDS.length) };
}

export const KINDS: readonly KindLayout[] = KIND_DEFINITIONS.map(layoutKind);

/** Indexed by kind id; `undefined` for ids that are not kinds. */
export const KIND_BY_ID: readonly (KindLayout | undefined)[] = (() => {
  const table: (KindLayout | undefined)[] = [];
  for (const k of KINDS) table[k.id] = k;
  return table;
})();

/** Record size by kind id, 0 for unknown ids: the dispatcher's size table. */
export const KIND_SIZE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (const k of KINDS) table[k.id] = k.layout.size;
  return table;
})();

export function kindByEventType(eventType: string): KindLayout | undefined {
  return KINDS.find((k) => k.eventType === eventType);
}

/** Settings of the kernel-side path-prefix filter, written into the FILE_FILTER map. */
export const FILE_FILTER_CONFIG: StructLayout = layoutStruct('rg_file_filter_config', [
  { name: 'prefix_count', type: 'u32', doc: 'prefixes in use; 0 = no filter, every open is recorded' },
  { name: 'prefixes', type: 'char', count: FILE_FILTER_MAX_PREFIXES * FILE_FILTER_PREFIX_LEN, doc: '[FILE_FILTER_MAX_PREFIXES][FILE_FILTER_PREFIX_LEN]' },
  { name: 'prefix_lens', type: 'u32', count: FILE_FILTER_MAX_PREFIXES, doc: 'length of each prefix, without NUL' },
]);

/** Capture settings, written into the CONFIG map before the programs run. */
export const CAPTURE_CONFIG: StructLayout = layoutStruct('rg_capture_config', [
  { name: 'self_tgid', type: 'u32', doc: "rg-capture's own tgid: its events are dropped (except the canary)" },
  { name: 'events_mask', type: 'u32', doc: 'bit (1 << kind) set = record that kind' },
  { name: 'follow', type: 'u32', doc: '1 = record only processes in the FOLLOWED map (and their descendants)' },
  { name: 'wakeup_bytes', type: 'u32', doc: 'force a ring-buffer wake-up once this much data is unconsumed' },
  { name: 'canary_armed', type: 'u32', doc: "1 = emit rg-capture's own file opens so it can see its readiness canary" },
]);
