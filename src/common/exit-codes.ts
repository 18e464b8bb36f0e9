/**
 * Exit codes of rg-replay and rg-capture (documented in the README). Scripts
 * and CI can tell a clean run from damaged evidence from a usage mistake.
 */
export const ExitCode = {
  Ok: 0,
  /** A bug in rand-guard: please report it. */
  Internal: 1,
  /** Bad command line: unknown flag, bad value, conflicting options. */
  Usage: 2,
  /** An input file is missing or unreadable, or an output cannot be written. */
  Io: 3,
  /** The input is not a capture, or its format version is not supported. */
  NotCapture: 4,
  /** The capture was read but is damaged: frames or records were lost, or its metadata was unreadable (details on stderr). */
  Damaged: 5,
  /** The capture was read intact but has no end record (the recorder was killed or the file cut). */
  Incomplete: 6,
  /** `rg-replay verify`: the file fails its checksums, hash chain, totals or signature. */
  VerifyFailed: 7,
  /** `rg-replay audit`: the file's schema differs from this build's, or records failed schema checks. */
  AuditMismatch: 8,
  /** rg-capture: not enough privilege (root, or CAP_BPF + CAP_PERFMON). */
  NoPrivilege: 10,
  /** rg-capture: this kernel or system lacks something capture needs (BTF, tracefs, libbpf). */
  Unsupported: 11,
  /** rg-capture: writing the capture failed (disk full, I/O error); the file replays up to that point. */
  WriteFailed: 12,
  /** Stopped by SIGINT (128 + 2, as a shell reports it): an export keeps nothing of its run. */
  Interrupted: 130,
  /** Stopped by SIGTERM (128 + 15). */
  Terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the program with one line on stderr and a chosen exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCode) {
    super(message);
    this.name = 'CliError';
  }
}
