/**
 * The event schema and kind registry: the one description of every record
 * that crosses the ring buffer, and of everything each part of the tool knows
 * about a kind. The C header, the manifest, the dispatcher, the decoders, the
 * NDJSON and text writers, the process table, filters, stats, the tree and
 * rg-capture's program and --events lists are all derived from the tables
 * below. Adding a kind is adding an entry here (and its BPF program).
 */
import {
  ADDR_LEN, ARGS_LEN, COMM_LEN, EVENT_SCHEMA_VERSION, EventKind, FILE_FILTER_MAX_PREFIXES, FILE_FILTER_PREFIX_LEN, PATH_LEN,
} from './constants.js';
import { defineSchema } from './define-schema.js';
import { IO_URING_PROGRAMS, NET_KIND_DEFINITIONS, TCP_STATE_PROGRAM } from './net-kinds.js';

export { defineSchema, extendSchema } from './define-schema.js';
import { type KindDefinition, type HeaderFlag, type KindLayout, type Schema, type SchemaField } from './kind-types.js';
import { type StructLayout, layoutStruct } from './layout.js';
import { FILES_PROCESSES_KINDS } from './kinds-files-processes.js';

export * from './kind-types.js';

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
  { name: 'comm', type: 'char', count: COMM_LEN, countName: 'COMM_LEN', view: 'string', doc: 'task comm, NUL-terminated' },
];

/**
 * Header flag bits (u16 `flags`). A bit's meaning is the same in every kind
 * that can set it. Reserved for this round: 6..9 issue 12 (8 now io_uring's RESULT_UNSEEN), 10..11 issue 13,
 * 12..15 issue 14. A flag only one kind needs belongs in that kind's body.
 */
export const HEADER_FLAGS: readonly HeaderFlag[] = [
  { name: 'FILENAME_TRUNCATED', bit: 0, doc: 'a path or filename filled its buffer: it was cut' },
  { name: 'ARGS_TRUNCATED', bit: 1, doc: 'argv filled its buffer: it was cut' },
  { name: 'COMM_TRUNCATED', bit: 2, doc: 'comm filled all 15 characters the kernel keeps, so the real name may be longer' },
  { name: 'USER_READ_FAILED', bit: 3, doc: 'a user-memory read (path, argv, sockaddr) failed; the string or address is empty, not garbage' },
  { name: 'EXE_DELETED', bit: 4, doc: 'the executed file had no links left when it ran (deleted, or a memfd)' },
  { name: 'OPENAT2', bit: 5, doc: 'the open came through openat2(2) rather than openat(2)/open(2)' },
  { name: 'COMPAT', bit: 6, doc: 'a 32-bit (ia32) syscall of a 64-bit kernel: int 0x80 or a 32-bit binary (schema 2)' },
  {
    name: 'SUBMISSION_UNSEEN', bit: 7,
    doc: "an io_uring operation recorded from its completion alone, its submission not kept (the table of requests in flight was full, or it was submitted before the capture): what only the submission held is not known (the name as passed is empty, a failed open has no path, a socket's fd is -1)",
  },
  {
    name: 'RESULT_UNSEEN', bit: 8,
    doc: "an io_uring operation submitted with IOSQE_CQE_SKIP_SUCCESS, so the kernel reports no success: recorded at its submission with what was asked (the name as passed and the directory it joins, the address asked for), its result not known (the record's result is 0 and reads as null); a failure is reported all the same, and recorded again at its completion with its error",
  },
  { name: 'ARG2_TRUNCATED', bit: 10, doc: "a record's second name as passed (a rename's new name, a link's, a mount's source) filled its buffer: it was cut" },
  { name: 'ARG2_UNREADABLE', bit: 11, doc: "a record's second name as passed could not be read from the caller's memory: it is empty" },
  { name: 'IO_URING', bit: 12, doc: 'the operation came through an io_uring submission queue entry, not a system call' },
  {
    name: 'FROM_USER_MEMORY', bit: 13,
    doc: "an address or payload was read from the caller's memory, the kernel holding none to read (a failed bind, a send whose packet was not seen): asked for, not verified",
  },
  { name: 'FASTOPEN', bit: 14, doc: 'a TCP connection begun by sendto/sendmsg(MSG_FASTOPEN): data rides on the SYN' },
  {
    name: 'DISPUTED', bit: 15,
    doc: "a value the kernel copied from the caller's memory (openat2's open_how) does not fit what was left at exit: the caller's copy changed during the call, or the opened file does not show its effect; what the kernel used is not known",
  },
];

const flagMask = (name: string): number => 1 << HEADER_FLAGS.find((f) => f.name === name)!.bit;
export const EVENT_FLAG_FILENAME_TRUNCATED = flagMask('FILENAME_TRUNCATED');
export const EVENT_FLAG_ARGS_TRUNCATED = flagMask('ARGS_TRUNCATED');
export const EVENT_FLAG_COMM_TRUNCATED = flagMask('COMM_TRUNCATED');
export const EVENT_FLAG_USER_READ_FAILED = flagMask('USER_READ_FAILED');
export const EVENT_FLAG_EXE_DELETED = flagMask('EXE_DELETED');
export const EVENT_FLAG_OPENAT2 = flagMask('OPENAT2');
export const EVENT_FLAG_COMPAT = flagMask('COMPAT');
export const EVENT_FLAG_SUBMISSION_UNSEEN = flagMask('SUBMISSION_UNSEEN');
export const EVENT_FLAG_RESULT_UNSEEN = flagMask('RESULT_UNSEEN');
export const EVENT_FLAG_ARG2_TRUNCATED = flagMask('ARG2_TRUNCATED');
export const EVENT_FLAG_ARG2_UNREADABLE = flagMask('ARG2_UNREADABLE');
export const EVENT_FLAG_IO_URING = flagMask('IO_URING');
export const EVENT_FLAG_FROM_USER_MEMORY = flagMask('FROM_USER_MEMORY');
export const EVENT_FLAG_FASTOPEN = flagMask('FASTOPEN');
export const EVENT_FLAG_DISPUTED = flagMask('DISPUTED');

/** Every kind of this build, in registry order. Ids are reserved per issue (see PLAN.md): 6..9, 10..29, 30..49. */
export const KIND_DEFINITIONS: readonly KindDefinition[] = [
  {
    id: EventKind.ProcessExec, name: 'process_exec', eventType: 'process_start', cliName: 'exec',
    process: {
      role: 'exec', exe: 'exe_path', exeAsPassed: 'filename', argv: 'args', cwd: 'cwd',
      stdio: { stdinIno: 'stdin_ino', stdinType: 'stdin_type', stdoutIno: 'stdout_ino', stdoutType: 'stdout_type' },
    },
    capture: { programs: ['handle_exec'], syscalls: ['execve', 'execveat'] },
    pathFields: ['exe_path', 'filename'], color: 'green', counter: { key: 'execs', label: 'exec' },
    sigma: { category: 'process_creation' },
    fields: [
      { name: 'argc', type: 'u32', view: 'uint', doc: 'argument count of the new program' },
      { name: 'args_size', type: 'u32', view: 'hidden', doc: 'bytes of args[] holding argv (NUL-separated)' },
      { name: 'exe_ino', type: 'u64', view: 'uint', doc: 'inode number of the executed file' },
      { name: 'exe_dev', type: 'u32', view: 'dev', doc: "device of the executed file's filesystem (kernel dev_t: major << 20 | minor)" },
      { name: 'old_tid', type: 'u32', view: 'uint', doc: 'tid of the exec-ing thread before exec (not pid when a non-main thread exec-ed)' },
      { name: 'exe_path_flags', type: 'u16', view: 'path_flags', doc: 'PATH_FLAG_* of exe_path' },
      { name: 'cwd_flags', type: 'u16', view: 'path_flags', doc: 'PATH_FLAG_* of cwd' },
      { name: 'reserved', type: 'u32', view: 'hidden', doc: 'zero; keeps the record free of padding' },
      { name: 'filename', type: 'char', count: PATH_LEN, countName: 'PATH_LEN', view: 'string', doc: 'path given to execve, as passed (a script: the script)' },
      { name: 'exe_path', type: 'char', count: PATH_LEN, countName: 'PATH_LEN', view: 'string', doc: "the program's path walked in the kernel from mm->exe_file (a script: its interpreter)" },
      { name: 'cwd', type: 'char', count: PATH_LEN, countName: 'PATH_LEN', view: 'string', doc: 'working directory of the process, walked in the kernel' },
      { name: 'args', type: 'char', count: ARGS_LEN, countName: 'ARGS_LEN', view: 'argv', key: 'argv', sizeField: 'args_size', doc: 'argv, NUL-separated, args_size bytes' },
      { name: 'stdin_ino', type: 'u64', view: 'uint', doc: "inode number of the new program's fd 0 (0: not open); a pipe's is shared by its two ends" },
      { name: 'stdout_ino', type: 'u64', view: 'uint', doc: "inode number of the new program's fd 1 (0: not open)" },
      { name: 'stdin_type', type: 'u16', view: 'named', nameTable: 'file_type', doc: 'file type of fd 0 (S_IFMT >> 12: fifo, sock, chr, reg, ...; none: not open)' },
      { name: 'stdout_type', type: 'u16', view: 'named', nameTable: 'file_type', doc: 'file type of fd 1' },
      { name: 'stdio_reserved', type: 'u32', view: 'hidden', doc: 'zero; keeps the record free of padding' },
    ],
    flags: [
      { flag: 'FILENAME_TRUNCATED', outputName: 'filename_truncated' },
      { flag: 'ARGS_TRUNCATED', outputName: 'argv_truncated' },
      { flag: 'COMM_TRUNCATED', outputName: 'comm_truncated' },
      { flag: 'USER_READ_FAILED', outputName: 'argv_unreadable' },
      { flag: 'EXE_DELETED', outputName: 'exe_deleted' },
    ],
    ecs: { category: 'process', type: ['start'] },
    ocsf: { classUid: 1007, activity: 1, actor: 'parent', target: 'self', launchTypeId: 3 },
  },
  {
    id: EventKind.ProcessFork, name: 'process_fork', eventType: 'process_fork', cliName: 'fork',
    process: { role: 'fork', child: 'child_pid' },
    capture: { programs: ['handle_fork'], syscalls: ['fork', 'vfork', 'clone', 'clone3'] },
    pathFields: [], color: 'cyan', counter: { key: 'forks', label: 'fork' },
    fields: [
      { name: 'child_pid', type: 'u32', view: 'uint', doc: 'tgid of the new process' },
      { name: 'child_tid', type: 'u32', view: 'uint', doc: 'tid of the new process main thread' },
    ],
    flags: [],
    ecs: { category: 'process', type: ['start'], childTidField: 'child_tid' },
    ocsf: { classUid: 1007, activity: 1, actor: 'self', target: { pidField: 'child_pid' }, launchTypeId: 2 },
  },
  {
    id: EventKind.ProcessExit, name: 'process_exit', eventType: 'process_exit', cliName: 'exit',
    process: { role: 'exit', status: 'exit_status', start: 'start_ns' },
    capture: { programs: ['handle_exit'], syscalls: ['exit', 'exit_group', 'fatal signals'] },
    pathFields: [], color: 'gray', counter: null,
    sigma: { category: 'process_termination' },
    fields: [
      { name: 'start_ns', type: 'u64', view: 'uint', doc: 'task start time, CLOCK_MONOTONIC ns' },
      { name: 'exit_status', type: 'u32', view: 'exit_status', doc: 'wait(2) status: code << 8 | signal' },
      { name: 'reserved', type: 'u32', view: 'hidden', doc: 'zero; keeps the record free of padding' },
    ],
    flags: [],
    ecs: { category: 'process', type: ['end'] },
    ocsf: { classUid: 1007, activity: 2, actor: 'self', target: 'self', exitStatusField: 'exit_status' },
  },
  {
    id: EventKind.FileOpen, name: 'file_open', eventType: 'file_open', cliName: 'open',
    process: { role: 'activity' },
    // The readiness canary is an open by rg-capture itself, so opens are always attached.
    // io_uring's OPENAT/OPENAT2 are read at submission and recorded at completion (io_uring.bpf.h);
    // openat2's open_how is read at its sys_enter, before the kernel copies it (files.bpf.h).
    capture: {
      programs: ['handle_sys_exit', 'handle_openat2_enter', ...IO_URING_PROGRAMS], syscalls: ['open', 'openat', 'openat2', 'creat', 'open_by_handle_at', 'io_uring OPENAT/OPENAT2'],
      canaryField: 'path',
    },
    pathFields: ['path', 'path_arg'], writes: { openFlags: 'open_flags' }, color: 'blue', counter: { key: 'opens', label: 'open' },
    // Sysmon's FileCreate: a file created or overwritten. A read, or a failed open, changed nothing.
    sigma: { category: 'file_event', writesOnly: true, fields: { TargetFilename: 'path' } },
    fields: [
      { name: 'open_flags', type: 'u32', view: 'open_flags', doc: "O_* flags (openat2: struct open_how's, read from the caller's memory at sys_enter, see open_flags_disputed)" },
      { name: 'mode', type: 'u32', view: 'uint', doc: 'mode for O_CREAT/O_TMPFILE' },
      { name: 'result', type: 's32', view: 'result', doc: 'fd on success, -errno on failure' },
      { name: 'dirfd', type: 's32', view: 'int', doc: 'directory fd a relative path is resolved against (-100 = cwd; open_by_handle_at: mount_fd)' },
      { name: 'ino', type: 'u64', view: 'uint', doc: 'inode number of the opened file (0 on failure)' },
      { name: 'dev', type: 'u32', view: 'dev', doc: "device of the opened file's filesystem (kernel dev_t; 0 on failure)" },
      { name: 'path_flags', type: 'u16', view: 'path_flags', doc: 'PATH_FLAG_*: how path was made' },
      { name: 'call', type: 'u16', view: 'syscall', doc: 'the syscall (SyscallCall id): open, openat, openat2, creat, open_by_handle_at' },
      { name: 'path', type: 'char', count: PATH_LEN, countName: 'PATH_LEN', view: 'string', doc: 'absolute path from the kernel: the opened file, or (failed) the resolved directory joined with the name' },
      { name: 'path_arg', type: 'char', count: PATH_LEN, countName: 'PATH_LEN', view: 'string', doc: "path as passed to the syscall (read from the caller's memory at exit)" },
    ],
    flags: [
      { flag: 'FILENAME_TRUNCATED', outputName: 'path_arg_truncated' },
      { flag: 'USER_READ_FAILED', outputName: 'path_arg_unreadable' },
      { flag: 'OPENAT2', outputName: 'openat2' },
      { flag: 'COMPAT', outputName: 'compat' },
      { flag: 'IO_URING', outputName: 'io_uring' },
      { flag: 'SUBMISSION_UNSEEN', outputName: 'submission_unseen' },
      { flag: 'RESULT_UNSEEN', outputName: 'result_unseen' },
      // openat2: open_flags and mode read from the caller's memory at sys_exit, not sys_enter (an ia32 call, a lost entry)
      { flag: 'FROM_USER_MEMORY', outputName: 'open_flags_from_user_memory' },
      // openat2: the open_how read at sys_enter changed by sys_exit, or the file does not fit its O_TRUNC (files.bpf.h)
      { flag: 'DISPUTED', outputName: 'open_flags_disputed' },
    ],
    ecs: { category: 'file', type: ['access'] },
    ocsf: { classUid: 1001, activity: 14, actor: 'self', resultField: 'result', filePathField: 'path' },
  },
  {
    id: EventKind.NetConnect, name: 'net_connect', eventType: 'net_connect', cliName: 'connect',
    process: { role: 'activity' }, net: 'connect',
    // Fast Open is seen at the SYN_SENT change and recorded when the send returns; io_uring's CONNECT at completion.
    capture: {
      programs: ['handle_sys_exit', TCP_STATE_PROGRAM, 'handle_sock_send_length', ...IO_URING_PROGRAMS],
      syscalls: ['connect', 'socketcall (ia32)', 'sendto/sendmsg(MSG_FASTOPEN)', 'io_uring CONNECT'],
    },
    pathFields: [], color: 'magenta', counter: { key: 'connects', label: 'connect' },
    // Every connect, refused ones too: an attempt to reach a C2 port is evidence.
    sigma: {
      category: 'network_connection', fields: { DestinationIp: 'addr', DestinationPort: 'port', Protocol: 'protocol' }, constants: { Initiated: true },
      // The name the process resolved the address from (replay's network state: its own DNS answers).
      facts: { DestinationHostname: 'dst_hostname' },
    },
    fields: [
      { name: 'fd', type: 's32', view: 'int', doc: 'socket fd' },
      { name: 'result', type: 's32', view: 'result', doc: '0 on success, -errno on failure (-EINPROGRESS for non-blocking)' },
      { name: 'family', type: 'u16', view: 'family', doc: 'AF_INET or AF_INET6' },
      { name: 'port', type: 'u16', view: 'port', doc: 'destination port, host byte order' },
      { name: 'protocol', type: 'u16', view: 'uint', doc: 'IPPROTO_* of the socket, 0 if unknown' },
      { name: 'sock_type', type: 'u16', view: 'uint', doc: 'SOCK_* type of the socket, 0 if unknown' },
      { name: 'addr', type: 'bytes', count: ADDR_LEN, countName: 'ADDR_LEN', view: 'addr', familyField: 'family', doc: 'destination address, network byte order' },
      { name: 'addr_flags', type: 'u16', view: 'addr_flags', doc: "ADDR_FLAG_*: UNVERIFIED = the caller's sockaddr, not the socket's destination" },
      { name: 'call', type: 'u16', view: 'syscall', doc: 'the syscall (SyscallCall id): connect, or socketcall (ia32)' },
      { name: 'reserved', type: 'u32', view: 'hidden', doc: 'zero; keeps the record free of padding' },
    ],
    flags: [
      { flag: 'USER_READ_FAILED', outputName: 'addr_unreadable' },
      { flag: 'COMPAT', outputName: 'compat' },
      { flag: 'IO_URING', outputName: 'io_uring' },
      { flag: 'SUBMISSION_UNSEEN', outputName: 'submission_unseen' },
      { flag: 'RESULT_UNSEEN', outputName: 'result_unseen' },
      { flag: 'FASTOPEN', outputName: 'fastopen' },
    ],
    ecs: { category: 'network', type: ['connection'], typeByActivity: { 1: ['connection', 'start'] } },
    ocsf: {
      classUid: 4001, activity: 'connect_result', actor: 'self', resultField: 'result',
      dst: { addr: 'addr', port: 'port', family: 'family', protocol: 'protocol' },
    },
  },
  {
    id: EventKind.ExecFailed, name: 'exec_failed', eventType: 'exec_failed', cliName: 'exec-failed',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['execve', 'execveat'] },
    pathFields: ['path', 'filename'], color: 'yellow', counter: { key: 'failed_execs', label: 'failed exec' },
    fields: [
      { name: 'result', type: 's32', view: 'result', doc: '-errno of the failed execve/execveat' },
      { name: 'dirfd', type: 's32', view: 'int', doc: 'execveat dirfd (-100 = cwd, and for execve)' },
      { name: 'at_flags', type: 'u32', view: 'uint', doc: 'execveat flags (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW)' },
      { name: 'argc', type: 'u32', view: 'uint', doc: 'arguments read from argv' },
      { name: 'args_size', type: 'u32', view: 'hidden', doc: 'bytes of args[] holding argv (NUL-separated)' },
      { name: 'path_flags', type: 'u16', view: 'path_flags', doc: 'PATH_FLAG_*: how path was made' },
      { name: 'call', type: 'u16', view: 'syscall', doc: 'the syscall (SyscallCall id): execve or execveat' },
      { name: 'filename', type: 'char', count: PATH_LEN, countName: 'PATH_LEN', view: 'string', doc: "path as passed (read from the caller's memory at exit)" },
      { name: 'path', type: 'char', count: PATH_LEN, countName: 'PATH_LEN', view: 'string', doc: "the directory resolved in the kernel joined with filename (execveat AT_EMPTY_PATH: the fd's file)" },
      { name: 'args', type: 'char', count: ARGS_LEN, countName: 'ARGS_LEN', view: 'argv', key: 'argv', sizeField: 'args_size', doc: 'argv, NUL-separated, args_size bytes' },
    ],
    flags: [
      { flag: 'FILENAME_TRUNCATED', outputName: 'filename_truncated' },
      { flag: 'ARGS_TRUNCATED', outputName: 'argv_truncated' },
      { flag: 'COMM_TRUNCATED', outputName: 'comm_truncated' },
      { flag: 'USER_READ_FAILED', outputName: 'unreadable' },
      { flag: 'COMPAT', outputName: 'compat' },
    ],
    // A launch that failed: Process Activity, Launch, status Failure (from result). `process` is the program that failed
    // to start (its path and argv, in the caller's pid: exec keeps it); `actor.process` the caller, its image unchanged.
    ecs: { category: 'process', type: ['start'] },
    ocsf: { classUid: 1007, activity: 1, actor: 'self', target: { attempted: { path: 'path', args: 'args' } }, launchTypeId: 3, resultField: 'result' },
  },
  // Issue 13: what an intruder does to files and processes (ids 10..29).
  ...FILES_PROCESSES_KINDS,
  ...NET_KIND_DEFINITIONS,
];

/** This build's schema: the default of every component that takes one. */
export const BUILD_SCHEMA: Schema = defineSchema(KIND_DEFINITIONS, { version: EVENT_SCHEMA_VERSION, headerFields: HEADER_FIELDS, headerFlags: HEADER_FLAGS });

export const HEADER: StructLayout = BUILD_SCHEMA.header;
export const HEADER_SIZE = HEADER.size;
/** This build's kinds, in registry order. */
export const KINDS: readonly KindLayout[] = BUILD_SCHEMA.kinds;
/** Indexed by kind id; `undefined` for ids that are not kinds. */
export const KIND_BY_ID: readonly (KindLayout | undefined)[] = BUILD_SCHEMA.byId;
/** Record size by kind id, 0 for unknown ids: the dispatcher's size table. */
export const KIND_SIZE: Uint32Array = BUILD_SCHEMA.sizes;

/**
 * Fields whose meaning changed with a schema version: in a capture older
 * than `since`, the kind's field `from` holds what this build calls `to`.
 * Decoding such a capture by its manifest moves the value there, so an old
 * value never appears under a name that now means something else: schema 1's
 * file_open.path was the path as passed (this build's path_arg); schema 2's
 * path is the kernel's, which schema 1 did not record.
 */
export interface RenamedField {
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  readonly since: number;
}

export const RENAMED_FIELDS: readonly RenamedField[] = [
  { kind: 'file_open', from: 'path', to: 'path_arg', since: 2 },
];

/**
 * The name under which a capture of schema `version` holds this build's
 * field `name` of kind `kind`, or undefined when it cannot hold it (the name
 * meant something else then).
 */
export function fieldNameInVersion(kind: string, version: number, name: string): string | undefined {
  const renamed = RENAMED_FIELDS.filter((r) => r.kind === kind && version < r.since);
  return renamed.find((r) => r.to === name)?.from ?? (renamed.some((r) => r.from === name) ? undefined : name);
}

export function kindByEventType(eventType: string, schema: Schema = BUILD_SCHEMA): KindLayout | undefined {
  return schema.kinds.find((k) => k.eventType === eventType);
}

/** Settings of the kernel-side path-prefix filter, written into the FILE_FILTER map. */
export const FILE_FILTER_CONFIG: StructLayout = layoutStruct('rg_file_filter_config', [
  { name: 'prefix_count', type: 'u32', doc: 'prefixes in use; 0 = no filter, every open is recorded' },
  {
    name: 'prefixes', type: 'char', count: FILE_FILTER_MAX_PREFIXES * FILE_FILTER_PREFIX_LEN,
    countName: 'FILE_FILTER_MAX_PREFIXES * FILE_FILTER_PREFIX_LEN', doc: '[FILE_FILTER_MAX_PREFIXES][FILE_FILTER_PREFIX_LEN]',
  },
  { name: 'prefix_lens', type: 'u32', count: FILE_FILTER_MAX_PREFIXES, countName: 'FILE_FILTER_MAX_PREFIXES', doc: 'length of each prefix, without NUL' },
]);

/** Capture settings, written into the CONFIG map before the programs run. */
export const CAPTURE_CONFIG: StructLayout = layoutStruct('rg_capture_config', [
  { name: 'events_mask', type: 'u64', doc: 'bit (1 << kind) set = record that kind (kinds 1..63)' },
  { name: 'self_tgid', type: 'u32', doc: "rg-capture's own tgid: its events are dropped (except the canary)" },
  { name: 'follow', type: 'u32', doc: '1 = record only processes in the FOLLOWED map (and their descendants)' },
  { name: 'wakeup_bytes', type: 'u32', doc: 'force a ring-buffer wake-up once this much data is unconsumed' },
  { name: 'canary_armed', type: 'u32', doc: "1 = emit rg-capture's own file opens so it can see its readiness canary" },
]);
