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
  // Issue 13, files and processes. On ia32 the names without 32 (setuid, chown, ...) take 16-bit ids.
  Unlink: 15,
  Unlinkat: 16,
  Rmdir: 17,
  Rename: 18,
  Renameat: 19,
  Renameat2: 20,
  Link: 21,
  Linkat: 22,
  Symlink: 23,
  Symlinkat: 24,
  Chmod: 25,
  Fchmod: 26,
  Fchmodat: 27,
  Fchmodat2: 28,
  Chown: 29,
  Chown32: 30,
  Fchown: 31,
  Fchown32: 32,
  Lchown: 33,
  Lchown32: 34,
  Fchownat: 35,
  Truncate: 36,
  Ftruncate: 37,
  Truncate64: 38,
  Ftruncate64: 39,
  Mount: 40,
  Umount2: 41,
  Umount: 42,
  MoveMount: 43,
  Fsmount: 44,
  Setuid: 45,
  Setuid32: 46,
  Setgid: 47,
  Setgid32: 48,
  Setreuid: 49,
  Setreuid32: 50,
  Setregid: 51,
  Setregid32: 52,
  Setresuid: 53,
  Setresuid32: 54,
  Setresgid: 55,
  Setresgid32: 56,
  Setfsuid: 57,
  Setfsuid32: 58,
  Setfsgid: 59,
  Setfsgid32: 60,
  Capset: 61,
  Ptrace: 62,
  ProcessVmReadv: 63,
  ProcessVmWritev: 64,
  Kill: 65,
  Tkill: 66,
  Tgkill: 67,
  PidfdSendSignal: 68,
  MemfdCreate: 69,
  InitModule: 70,
  FinitModule: 71,
  DeleteModule: 72,
  Bpf: 73,
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
  { call: SyscallCall.Unlink, name: 'unlink', x86_64: 87, ia32: 10 },
  { call: SyscallCall.Unlinkat, name: 'unlinkat', x86_64: 263, ia32: 301 },
  { call: SyscallCall.Rmdir, name: 'rmdir', x86_64: 84, ia32: 40 },
  { call: SyscallCall.Rename, name: 'rename', x86_64: 82, ia32: 38 },
  { call: SyscallCall.Renameat, name: 'renameat', x86_64: 264, ia32: 302 },
  { call: SyscallCall.Renameat2, name: 'renameat2', x86_64: 316, ia32: 353 },
  { call: SyscallCall.Link, name: 'link', x86_64: 86, ia32: 9 },
  { call: SyscallCall.Linkat, name: 'linkat', x86_64: 265, ia32: 303 },
  { call: SyscallCall.Symlink, name: 'symlink', x86_64: 88, ia32: 83 },
  { call: SyscallCall.Symlinkat, name: 'symlinkat', x86_64: 266, ia32: 304 },
  { call: SyscallCall.Chmod, name: 'chmod', x86_64: 90, ia32: 15 },
  { call: SyscallCall.Fchmod, name: 'fchmod', x86_64: 91, ia32: 94 },
  { call: SyscallCall.Fchmodat, name: 'fchmodat', x86_64: 268, ia32: 306 },
  { call: SyscallCall.Fchmodat2, name: 'fchmodat2', x86_64: 452, ia32: 452 },
  { call: SyscallCall.Chown, name: 'chown', x86_64: 92, ia32: 182 },
  { call: SyscallCall.Chown32, name: 'chown32', x86_64: null, ia32: 212 },
  { call: SyscallCall.Fchown, name: 'fchown', x86_64: 93, ia32: 95 },
  { call: SyscallCall.Fchown32, name: 'fchown32', x86_64: null, ia32: 207 },
  { call: SyscallCall.Lchown, name: 'lchown', x86_64: 94, ia32: 16 },
  { call: SyscallCall.Lchown32, name: 'lchown32', x86_64: null, ia32: 198 },
  { call: SyscallCall.Fchownat, name: 'fchownat', x86_64: 260, ia32: 298 },
  { call: SyscallCall.Truncate, name: 'truncate', x86_64: 76, ia32: 92 },
  { call: SyscallCall.Ftruncate, name: 'ftruncate', x86_64: 77, ia32: 93 },
  { call: SyscallCall.Truncate64, name: 'truncate64', x86_64: null, ia32: 193 },
  { call: SyscallCall.Ftruncate64, name: 'ftruncate64', x86_64: null, ia32: 194 },
  { call: SyscallCall.Mount, name: 'mount', x86_64: 165, ia32: 21 },
  { call: SyscallCall.Umount2, name: 'umount2', x86_64: 166, ia32: 52 },
  { call: SyscallCall.Umount, name: 'umount', x86_64: null, ia32: 22 },
  { call: SyscallCall.MoveMount, name: 'move_mount', x86_64: 429, ia32: 429 },
  { call: SyscallCall.Fsmount, name: 'fsmount', x86_64: 432, ia32: 432 },
  { call: SyscallCall.Setuid, name: 'setuid', x86_64: 105, ia32: 23 },
  { call: SyscallCall.Setuid32, name: 'setuid32', x86_64: null, ia32: 213 },
  { call: SyscallCall.Setgid, name: 'setgid', x86_64: 106, ia32: 46 },
  { call: SyscallCall.Setgid32, name: 'setgid32', x86_64: null, ia32: 214 },
  { call: SyscallCall.Setreuid, name: 'setreuid', x86_64: 113, ia32: 70 },
  { call: SyscallCall.Setreuid32, name: 'setreuid32', x86_64: null, ia32: 203 },
  { call: SyscallCall.Setregid, name: 'setregid', x86_64: 114, ia32: 71 },
  { call: SyscallCall.Setregid32, name: 'setregid32', x86_64: null, ia32: 204 },
  { call: SyscallCall.Setresuid, name: 'setresuid', x86_64: 117, ia32: 164 },
  { call: SyscallCall.Setresuid32, name: 'setresuid32', x86_64: null, ia32: 208 },
  { call: SyscallCall.Setresgid, name: 'setresgid', x86_64: 119, ia32: 170 },
  { call: SyscallCall.Setresgid32, name: 'setresgid32', x86_64: null, ia32: 210 },
  { call: SyscallCall.Setfsuid, name: 'setfsuid', x86_64: 122, ia32: 138 },
  { call: SyscallCall.Setfsuid32, name: 'setfsuid32', x86_64: null, ia32: 215 },
  { call: SyscallCall.Setfsgid, name: 'setfsgid', x86_64: 123, ia32: 139 },
  { call: SyscallCall.Setfsgid32, name: 'setfsgid32', x86_64: null, ia32: 216 },
  { call: SyscallCall.Capset, name: 'capset', x86_64: 126, ia32: 185 },
  { call: SyscallCall.Ptrace, name: 'ptrace', x86_64: 101, ia32: 26 },
  { call: SyscallCall.ProcessVmReadv, name: 'process_vm_readv', x86_64: 310, ia32: 347 },
  { call: SyscallCall.ProcessVmWritev, name: 'process_vm_writev', x86_64: 311, ia32: 348 },
  { call: SyscallCall.Kill, name: 'kill', x86_64: 62, ia32: 37 },
  { call: SyscallCall.Tkill, name: 'tkill', x86_64: 200, ia32: 238 },
  { call: SyscallCall.Tgkill, name: 'tgkill', x86_64: 234, ia32: 270 },
  { call: SyscallCall.PidfdSendSignal, name: 'pidfd_send_signal', x86_64: 424, ia32: 424 },
  { call: SyscallCall.MemfdCreate, name: 'memfd_create', x86_64: 319, ia32: 356 },
  { call: SyscallCall.InitModule, name: 'init_module', x86_64: 175, ia32: 128 },
  { call: SyscallCall.FinitModule, name: 'finit_module', x86_64: 313, ia32: 350 },
  { call: SyscallCall.DeleteModule, name: 'delete_module', x86_64: 176, ia32: 129 },
  { call: SyscallCall.Bpf, name: 'bpf', x86_64: 321, ia32: 357 },
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
