/**
 * ABI constants shared by the kernel program and user space. The C header in
 * `bpf/rg_abi.h` is generated from this module and the schema next to it.
 */

/** Bumped on any change to a record layout; the dispatcher rejects other versions. */
export const EVENT_SCHEMA_VERSION = 1;

/** Linux TASK_COMM_LEN: 15 characters and a NUL. */
export const COMM_LEN = 16;
/** Bytes kept of a path (exec filename, open path); longer ones are cut and flagged. */
export const PATH_LEN = 256;
/** Bytes kept of an exec's argv (NUL-separated arguments); longer command lines are cut and flagged. */
export const ARGS_LEN = 512;
/** Bytes of a network address: IPv4 uses the first 4, IPv6 all 16. */
export const ADDR_LEN = 16;

/** Kernel-side path-prefix filter: at most this many prefixes of at most this many bytes. */
export const FILE_FILTER_MAX_PREFIXES = 8;
export const FILE_FILTER_PREFIX_LEN = 128;

/** Header flag bits (u16). A bit's meaning is the same in every kind that can set it. */
export const EVENT_FLAG_FILENAME_TRUNCATED = 1 << 0;
export const EVENT_FLAG_ARGS_TRUNCATED = 1 << 1;
/** comm filled all 15 characters the kernel keeps, so the real name may be longer. */
export const EVENT_FLAG_COMM_TRUNCATED = 1 << 2;
/** A user-memory read (path, argv, sockaddr) failed; the string or address is empty, not garbage. */
export const EVENT_FLAG_USER_READ_FAILED = 1 << 3;
/** The executed file had no links left when it ran (deleted, or a memfd). */
export const EVENT_FLAG_EXE_DELETED = 1 << 4;
/** The open came through openat2(2) rather than openat(2)/open(2). */
export const EVENT_FLAG_OPENAT2 = 1 << 5;

/** Address families as the kernel numbers them. */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** Event kinds (u16). Zero is never a valid kind. */
export const EventKind = {
  ProcessExec: 1,
  ProcessFork: 2,
  ProcessExit: 3,
  FileOpen: 4,
  NetConnect: 5,
} as const;
export type EventKindId = (typeof EventKind)[keyof typeof EventKind];

/** Event-selection mask bits, one per kind, used by the capture config (bit = 1 << kind). */
export function kindMaskBit(kind: EventKindId): number {
  return 1 << kind;
}
