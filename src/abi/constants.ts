/**
 * ABI constants shared by the kernel program and user space. The C header in
 * `bpf/rg_abi.h` is generated from this module and the schema next to it.
 */

/**
 * Bumped on any change to a record layout; the dispatcher rejects other
 * versions (and replay decodes older captures by their manifest).
 * 2: paths and addresses from the kernel (file_open.path is the opened file's
 * path, path_arg the path as passed), exec's exe_path/cwd, exec_failed,
 * process_exit per thread group, the compat flag.
 */
export const EVENT_SCHEMA_VERSION = 2;

/** Linux TASK_COMM_LEN: 15 characters and a NUL. */
export const COMM_LEN = 16;
/** Bytes kept of a path (exec filename, open path); longer ones are cut and flagged. */
export const PATH_LEN = 256;
/** Bytes kept of an exec's argv (NUL-separated arguments); longer command lines are cut and flagged. */
export const ARGS_LEN = 512;
/** Bytes of a network address: IPv4 uses the first 4, IPv6 all 16. */
export const ADDR_LEN = 16;

/** Most components (directories and mount crossings) a kernel path walk follows before it gives up. */
export const PATH_WALK_MAX = 64;
/**
 * Bytes kept of a DNS message (a query or response to or from port 53); longer ones are cut and
 * flagged. 288 holds any one-question query whole (12 header + 255 name + 4 + an 11-byte EDNS
 * record), however long its name (data smuggled in names makes them long), and most answers;
 * 512, the classic UDP maximum, made a DNS-heavy load overflow the default ring (632-byte records).
 */
export const DNS_PAYLOAD_LEN = 288;
/** Bytes of sockaddr_un.sun_path (a Unix socket's path, or an abstract name after its leading NUL). */
export const UNIX_PATH_LEN = 108;

/** Kernel-side path-prefix filter: at most this many prefixes of at most this many bytes. */
export const FILE_FILTER_MAX_PREFIXES = 8;
export const FILE_FILTER_PREFIX_LEN = 128;

/** Bytes kept of a kernel module name (the kernel's MODULE_NAME_LEN is 56) and of its parameter string. */
export const MODULE_NAME_LEN = 64;
export const MODULE_PARAMS_LEN = 128;
/** BPF_OBJ_NAME_LEN, and the bytes kept of the kernel function a tracing program attaches to. */
export const BPF_NAME_LEN = 16;
export const BPF_ATTACH_NAME_LEN = 64;
/** Bytes kept of a filesystem type name and of mount(2)'s data (option) string. */
export const FSTYPE_LEN = 32;
export const MOUNT_DATA_LEN = 128;

/** The array lengths a field may name (`countName`), so the C header says `char path[PATH_LEN]`. */
export const ARRAY_LENGTHS: Readonly<Record<string, number>> = {
  COMM_LEN, PATH_LEN, ARGS_LEN, ADDR_LEN, DNS_PAYLOAD_LEN, UNIX_PATH_LEN, FILE_FILTER_MAX_PREFIXES,
  MODULE_NAME_LEN, MODULE_PARAMS_LEN, BPF_NAME_LEN, BPF_ATTACH_NAME_LEN, FSTYPE_LEN, MOUNT_DATA_LEN,
  'FILE_FILTER_MAX_PREFIXES * FILE_FILTER_PREFIX_LEN': FILE_FILTER_MAX_PREFIXES * FILE_FILTER_PREFIX_LEN,
};

/*
 * Bits of a kind's own path_flags fields (schema 2): how a path in the record
 * was made. A successful open's `path` comes from the opened file
 * (FROM_FILE); a failed call has no file, so its directory is resolved in the
 * kernel (the cwd, the dirfd's file, or the task's root for an absolute name)
 * and the name as passed is joined to it lexically (`.`, `..`, `//` folded):
 * LEXICAL says when that join may have passed a symlink the kernel followed.
 * The names are what output prints (`path_flags: "from_file|deleted"`).
 */
export const PATH_FLAGS: readonly { readonly name: string; readonly bit: number; readonly doc: string }[] = [
  { name: 'from_file', bit: 0, doc: 'walked in the kernel from an open file (the opened file, the program)' },
  { name: 'dir_cwd', bit: 1, doc: "a failed call: the name as passed, joined to the task's working directory" },
  { name: 'dir_fd', bit: 2, doc: "a failed call: the name as passed, joined to the path of the dirfd's file" },
  { name: 'dir_root', bit: 3, doc: "a failed call with an absolute name: joined to the task's root directory" },
  { name: 'truncated', bit: 4, doc: 'longer than PATH_LEN - 1 bytes: its beginning is kept' },
  { name: 'incomplete', bit: 5, doc: 'the walk stopped before the root (more than PATH_WALK_MAX components)' },
  { name: 'deleted', bit: 6, doc: 'the file was unlinked (the kernel shows such a path with " (deleted)")' },
  { name: 'pseudo', bit: 7, doc: 'a name the kernel gives an object outside any tree: pipe:[N], socket:[N], anon_inode:..., /memfd:...' },
  { name: 'unresolved', bit: 8, doc: 'no path: the fd or directory could not be found, or another thread closed the new fd before sys_exit' },
  { name: 'fd_reused', bit: 9, doc: "the file under the returned fd was not opened with this call's access mode: another thread reused the fd number before sys_exit" },
  {
    name: 'lexical', bit: 10,
    doc: 'joined lexically: the name\'s directory components (or its last component, for a call that follows it) were not resolved by the kernel, so a symlink among them is not followed: the file may be elsewhere',
  },
  {
    name: 'fd_late', bit: 11,
    doc: 'io_uring: the fd number (the opened fd, or the dirfd) was read at another moment than the kernel used it (a completion the ring defers, IORING_SETUP_DEFER_TASKRUN; a request recorded at submission): another file may have had the number then',
  },
];
const pathFlag = (name: string) => 1 << PATH_FLAGS.find((f) => f.name === name)!.bit;
export const PATH_FLAG_FROM_FILE = pathFlag('from_file');
export const PATH_FLAG_DIR_CWD = pathFlag('dir_cwd');
export const PATH_FLAG_DIR_FD = pathFlag('dir_fd');
export const PATH_FLAG_DIR_ROOT = pathFlag('dir_root');
export const PATH_FLAG_TRUNCATED = pathFlag('truncated');
export const PATH_FLAG_INCOMPLETE = pathFlag('incomplete');
export const PATH_FLAG_DELETED = pathFlag('deleted');
export const PATH_FLAG_PSEUDO = pathFlag('pseudo');
export const PATH_FLAG_UNRESOLVED = pathFlag('unresolved');
export const PATH_FLAG_FD_REUSED = pathFlag('fd_reused');
export const PATH_FLAG_LEXICAL = pathFlag('lexical');
export const PATH_FLAG_FD_LATE = pathFlag('fd_late');

/** Bits of net_connect.addr_flags (schema 2). */
export const ADDR_FLAGS: readonly { readonly name: string; readonly bit: number; readonly doc: string }[] = [
  { name: 'unverified', bit: 0, doc: "the destination is the caller's sockaddr read at exit: the socket held none" },
];
export const ADDR_FLAG_UNVERIFIED = 1 << ADDR_FLAGS[0].bit;

/** Address families as the kernel numbers them. */
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

/**
 * Ids of this build's kinds, for tests, fixtures and detection content. Code
 * outside src/abi never names a kind: it reads the registry (schema.ts).
 */
export const EventKind = {
  ProcessExec: 1,
  ProcessFork: 2,
  ProcessExit: 3,
  FileOpen: 4,
  NetConnect: 5,
  ExecFailed: 6,
  // Issue 13, files and processes: ids 10..29.
  FileDelete: 10,
  FileRename: 11,
  FileLink: 12,
  FileChmod: 13,
  FsMount: 14,
  ProcessCred: 15,
  ProcessPtrace: 16,
  ProcessVm: 17,
  ProcessSignal: 18,
  MemfdCreate: 19,
  KernelModule: 20,
  BpfProgLoad: 21,
  FileChown: 22,
  FileTruncate: 23,
  NetBind: 30,
  NetListen: 31,
  NetAccept: 32,
  NetTcpState: 33,
  NetUdpSend: 34,
  NetDns: 35,
  NetUnix: 36,
  IoUringSetup: 37,
} as const;
export type EventKindId = (typeof EventKind)[keyof typeof EventKind];

/** Kinds the capture config's u64 events_mask can select (bit = 1 << kind). */
export const MAX_MASKABLE_KIND = 63;

/** Event-selection mask bit of a kind, for the capture config's u64 events_mask. */
export function kindMaskBit(kind: number): bigint {
  if (!Number.isInteger(kind) || kind < 1 || kind > MAX_MASKABLE_KIND) throw new RangeError(`abi: kind ${kind} does not fit the u64 events_mask (1..${MAX_MASKABLE_KIND})`);
  return 1n << BigInt(kind);
}

/** The events_mask selecting `kinds`. */
export function kindMask(kinds: Iterable<number>): bigint {
  let mask = 0n;
  for (const kind of kinds) mask |= kindMaskBit(kind);
  return mask;
}
