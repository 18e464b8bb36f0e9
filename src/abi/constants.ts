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

/** The array lengths a field may name (`countName`), so the C header says `char path[PATH_LEN]`. */
export const ARRAY_LENGTHS: Readonly<Record<string, number>> = {
  COMM_LEN, PATH_LEN, ARGS_LEN, ADDR_LEN, FILE_FILTER_MAX_PREFIXES,
  'FILE_FILTER_MAX_PREFIXES * FILE_FILTER_PREFIX_LEN': FILE_FILTER_MAX_PREFIXES * FILE_FILTER_PREFIX_LEN,
};

/** Address families as the kernel numbers them. */
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
} as const;
export type EventKindId = (typeof EventKind)[keyof typeof EventKind];

/** Kinds the capture config's u32 events_mask can select (bit = 1 << kind). */
export const MAX_MASKABLE_KIND = 31;

/** Event-selection mask bit of a kind, for the capture config. */
export function kindMaskBit(kind: number): number {
  // events_mask is a u32 in rg_capture_config: a kind above 31 needs a wider mask (kernel and loader).
  if (!Number.isInteger(kind) || kind < 1 || kind > MAX_MASKABLE_KIND) throw new RangeError(`abi: kind ${kind} does not fit the u32 events_mask`);
  return (1 << kind) >>> 0;
}
