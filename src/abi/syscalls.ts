/**
 * The syscalls the raw sys_exit program records, with their numbers on
 * x86_64 and on its 32-bit (ia32) compat table, and the id a record's `call`
 * field gives each. The C header gets the numbers and ids from here; the
 * kernel program maps (number, compat) to a call with them, and a test checks
 * that mapping and these numbers against the system's <asm/unistd_*.h>.
 */

/** Syscall ids as records carry them in `call` (u16). Zero is "not recorded". */
export const SyscallCall = {
  Open: 1,
  Openat: 2,
  Openat2: 3,
  Creat: 4,
  OpenByHandleAt: 5,
  Connect: 6,
  /** ia32 only: socketcall(SYS_CONNECT, args) is how older 32-bit libcs connect. */
  Socketcall: 7,
  Execve: 8,
  Execveat: 9,
  Bind: 10,
  Listen: 11,
  Accept: 12,
  Accept4: 13,
  IoUringSetup: 14,
} as const;
export type SyscallCallId = (typeof SyscallCall)[keyof typeof SyscallCall];

export interface SyscallEntry {
  readonly call: SyscallCallId;
  /** The syscall's name in <asm/unistd_64.h> / <asm/unistd_32.h> (`__NR_<name>`). */
  readonly name: string;
  /** arch/x86/entry/syscalls/syscall_64.tbl; null if x86_64 has no such syscall. */
  readonly x86_64: number | null;
  /** arch/x86/entry/syscalls/syscall_32.tbl (int 0x80, 32-bit binaries); null if ia32 has none. */
  readonly ia32: number | null;
}

export const SYSCALLS: readonly SyscallEntry[] = [
  { call: SyscallCall.Open, name: 'open', x86_64: 2, ia32: 5 },
  { call: SyscallCall.Openat, name: 'openat', x86_64: 257, ia32: 295 },
  { call: SyscallCall.Openat2, name: 'openat2', x86_64: 437, ia32: 437 },
  { call: SyscallCall.Creat, name: 'creat', x86_64: 85, ia32: 8 },
  { call: SyscallCall.OpenByHandleAt, name: 'open_by_handle_at', x86_64: 304, ia32: 342 },
  { call: SyscallCall.Connect, name: 'connect', x86_64: 42, ia32: 362 },
  { call: SyscallCall.Socketcall, name: 'socketcall', x86_64: null, ia32: 102 },
  { call: SyscallCall.Execve, name: 'execve', x86_64: 59, ia32: 11 },
  { call: SyscallCall.Execveat, name: 'execveat', x86_64: 322, ia32: 358 },
  // ia32 has no accept(2): 32-bit libcs accept, and older ones bind and listen, through socketcall (not recorded).
  { call: SyscallCall.Bind, name: 'bind', x86_64: 49, ia32: 361 },
  { call: SyscallCall.Listen, name: 'listen', x86_64: 50, ia32: 363 },
  { call: SyscallCall.Accept, name: 'accept', x86_64: 43, ia32: null },
  { call: SyscallCall.Accept4, name: 'accept4', x86_64: 288, ia32: 364 },
  { call: SyscallCall.IoUringSetup, name: 'io_uring_setup', x86_64: 425, ia32: 425 },
];

/** The call a syscall number stands for on one table, or 0 if it is not recorded. */
export function callOfSyscall(nr: number, compat: boolean): SyscallCallId | 0 {
  const e = SYSCALLS.find((s) => (compat ? s.ia32 : s.x86_64) === nr);
  return e === undefined ? 0 : e.call;
}

/** The syscall's name for a `call` id (for output), or null for 0 and unknown ids. */
export function syscallName(call: number): string | null {
  return SYSCALLS.find((s) => s.call === call)?.name ?? null;
}
