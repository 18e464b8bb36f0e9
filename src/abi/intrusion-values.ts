/**
 * What the numbers of the file and process kinds mean (issue 13): modes,
 * ptrace requests, signals, capability sets, and the flag words of rename,
 * *at, mount, memfd, module and BPF calls. Pure functions of the value, shared
 * by every output and the rules, so all of them agree.
 */

/** `4755` and `rwsr-xr-x` for mode 04755: the permission bits as chmod takes them and as ls shows them. */
export function modeOctal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

export function modeText(mode: number): string {
  const rwx = (bits: number, special: boolean, on: string, off: string) =>
    `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? on : off) : bits & 1 ? 'x' : '-'}`;
  return rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, 's', 'S')
    + rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, 's', 'S')
    + rwx(mode & 7, (mode & 0o1000) !== 0, 't', 'T');
}

const PTRACE_REQUESTS: Record<number, string> = {
  0: 'PTRACE_TRACEME', 1: 'PTRACE_PEEKTEXT', 2: 'PTRACE_PEEKDATA', 3: 'PTRACE_PEEKUSER', 4: 'PTRACE_POKETEXT',
  5: 'PTRACE_POKEDATA', 6: 'PTRACE_POKEUSER', 7: 'PTRACE_CONT', 8: 'PTRACE_KILL', 9: 'PTRACE_SINGLESTEP',
  12: 'PTRACE_GETREGS', 13: 'PTRACE_SETREGS', 14: 'PTRACE_GETFPREGS', 15: 'PTRACE_SETFPREGS', 16: 'PTRACE_ATTACH',
  17: 'PTRACE_DETACH', 18: 'PTRACE_GETFPXREGS', 19: 'PTRACE_SETFPXREGS', 24: 'PTRACE_SYSCALL',
  25: 'PTRACE_GET_THREAD_AREA', 26: 'PTRACE_SET_THREAD_AREA', 30: 'PTRACE_ARCH_PRCTL', 31: 'PTRACE_SYSEMU',
  32: 'PTRACE_SYSEMU_SINGLESTEP', 33: 'PTRACE_SINGLEBLOCK',
  0x4200: 'PTRACE_SETOPTIONS', 0x4201: 'PTRACE_GETEVENTMSG', 0x4202: 'PTRACE_GETSIGINFO', 0x4203: 'PTRACE_SETSIGINFO',
  0x4204: 'PTRACE_GETREGSET', 0x4205: 'PTRACE_SETREGSET', 0x4206: 'PTRACE_SEIZE', 0x4207: 'PTRACE_INTERRUPT',
  0x4208: 'PTRACE_LISTEN', 0x4209: 'PTRACE_PEEKSIGINFO', 0x420a: 'PTRACE_GETSIGMASK', 0x420b: 'PTRACE_SETSIGMASK',
  0x420c: 'PTRACE_SECCOMP_GET_FILTER', 0x420d: 'PTRACE_SECCOMP_GET_METADATA', 0x420e: 'PTRACE_GET_SYSCALL_INFO',
  0x420f: 'PTRACE_GET_RSEQ_CONFIGURATION', 0x4210: 'PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG',
  0x4211: 'PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG', 0x4212: 'PTRACE_SET_SYSCALL_INFO',
};

/** `PTRACE_ATTACH` (x86_64 numbering); numbers without a name as `PTRACE_0x4299`. */
export function ptraceRequestName(request: number): string {
  return PTRACE_REQUESTS[request] ?? `PTRACE_0x${request.toString(16)}`;
}

const SIGNALS = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV',
  'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN',
  'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

/** `SIGKILL`; 0 (a probe: does the process exist?) is ``; real-time signals `SIGRTMIN+n` (the kernel's SIGRTMIN is 32). */
export function signalName(sig: number): string {
  if (sig === 0) return '';
  if (sig < SIGNALS.length) return SIGNALS[sig];
  if (sig >= 32 && sig <= 64) return `SIGRTMIN+${sig - 32}`;
  return `SIG${sig}`;
}

/** A capability set as /proc/PID/status prints it: 16 hex digits (`000001ffffffffff`). */
export function capsHex(caps: bigint): string {
  return caps.toString(16).padStart(16, '0');
}

export type BitNames = readonly (readonly [number, string])[];

/** `A|B`; bits without a name are one hex remainder, never dropped; `0` when no bit is set. */
export function bitsText(value: number, names: BitNames): string {
  const parts: string[] = [];
  let rest = value >>> 0;
  for (const [bit, name] of names) {
    if ((rest & bit) !== 0) {
      parts.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) parts.push(`0x${rest.toString(16)}`);
  return parts.length === 0 ? '0' : parts.join('|');
}

/** Flag words by what they mean; a field's view names one of these tables. */
export const FLAG_NAMES = {
  /** unlinkat, linkat, fchmodat(2), fchownat (include/uapi/linux/fcntl.h). */
  at: [[0x100, 'AT_SYMLINK_NOFOLLOW'], [0x200, 'AT_REMOVEDIR'], [0x400, 'AT_SYMLINK_FOLLOW'], [0x800, 'AT_NO_AUTOMOUNT'], [0x1000, 'AT_EMPTY_PATH']],
  rename: [[1, 'RENAME_NOREPLACE'], [2, 'RENAME_EXCHANGE'], [4, 'RENAME_WHITEOUT']],
  memfd: [[1, 'MFD_CLOEXEC'], [2, 'MFD_ALLOW_SEALING'], [4, 'MFD_HUGETLB'], [8, 'MFD_NOEXEC_SEAL'], [0x10, 'MFD_EXEC']],
  /** mount(2) MS_* (include/uapi/linux/mount.h). */
  mount: [
    [1, 'MS_RDONLY'], [2, 'MS_NOSUID'], [4, 'MS_NODEV'], [8, 'MS_NOEXEC'], [0x10, 'MS_SYNCHRONOUS'], [0x20, 'MS_REMOUNT'],
    [0x40, 'MS_MANDLOCK'], [0x80, 'MS_DIRSYNC'], [0x100, 'MS_NOSYMFOLLOW'], [0x400, 'MS_NOATIME'], [0x800, 'MS_NODIRATIME'],
    [0x1000, 'MS_BIND'], [0x2000, 'MS_MOVE'], [0x4000, 'MS_REC'], [0x8000, 'MS_SILENT'], [0x10000, 'MS_POSIXACL'],
    [0x20000, 'MS_UNBINDABLE'], [0x40000, 'MS_PRIVATE'], [0x80000, 'MS_SLAVE'], [0x100000, 'MS_SHARED'],
    [0x200000, 'MS_RELATIME'], [0x400000, 'MS_KERNMOUNT'], [0x800000, 'MS_I_VERSION'], [0x1000000, 'MS_STRICTATIME'],
    [0x2000000, 'MS_LAZYTIME'],
  ],
  umount: [[1, 'MNT_FORCE'], [2, 'MNT_DETACH'], [4, 'MNT_EXPIRE'], [8, 'UMOUNT_NOFOLLOW']],
  move_mount: [[1, 'MOVE_MOUNT_F_SYMLINKS'], [2, 'MOVE_MOUNT_F_AUTOMOUNTS'], [4, 'MOVE_MOUNT_F_EMPTY_PATH'], [0x10, 'MOVE_MOUNT_T_SYMLINKS'],
    [0x20, 'MOVE_MOUNT_T_AUTOMOUNTS'], [0x40, 'MOVE_MOUNT_T_EMPTY_PATH'], [0x100, 'MOVE_MOUNT_SET_GROUP'], [0x200, 'MOVE_MOUNT_BENEATH']],
  /** fsmount attr_flags MOUNT_ATTR_* (the access-time field 0x70 is one value, not bits: shown as its remainder). */
  mount_attr: [[1, 'MOUNT_ATTR_RDONLY'], [2, 'MOUNT_ATTR_NOSUID'], [4, 'MOUNT_ATTR_NODEV'], [8, 'MOUNT_ATTR_NOEXEC'],
    [0x80, 'MOUNT_ATTR_NODIRATIME'], [0x100000, 'MOUNT_ATTR_IDMAP'], [0x200000, 'MOUNT_ATTR_NOSYMFOLLOW']],
  /** finit_module MODULE_INIT_*; delete_module takes O_NONBLOCK|O_TRUNC. */
  module_init: [[1, 'MODULE_INIT_IGNORE_MODVERSIONS'], [2, 'MODULE_INIT_IGNORE_VERMAGIC'], [4, 'MODULE_INIT_COMPRESSED_FILE']],
  module_delete: [[0o4000, 'O_NONBLOCK'], [0o1000, 'O_TRUNC']],
} as const satisfies Record<string, BitNames>;
export type FlagTable = keyof typeof FLAG_NAMES;

const BPF_PROG_TYPES = [
  'BPF_PROG_TYPE_UNSPEC', 'BPF_PROG_TYPE_SOCKET_FILTER', 'BPF_PROG_TYPE_KPROBE', 'BPF_PROG_TYPE_SCHED_CLS',
  'BPF_PROG_TYPE_SCHED_ACT', 'BPF_PROG_TYPE_TRACEPOINT', 'BPF_PROG_TYPE_XDP', 'BPF_PROG_TYPE_PERF_EVENT',
  'BPF_PROG_TYPE_CGROUP_SKB', 'BPF_PROG_TYPE_CGROUP_SOCK', 'BPF_PROG_TYPE_LWT_IN', 'BPF_PROG_TYPE_LWT_OUT',
  'BPF_PROG_TYPE_LWT_XMIT', 'BPF_PROG_TYPE_SOCK_OPS', 'BPF_PROG_TYPE_SK_SKB', 'BPF_PROG_TYPE_CGROUP_DEVICE',
  'BPF_PROG_TYPE_SK_MSG', 'BPF_PROG_TYPE_RAW_TRACEPOINT', 'BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'BPF_PROG_TYPE_LWT_SEG6LOCAL',
  'BPF_PROG_TYPE_LIRC_MODE2', 'BPF_PROG_TYPE_SK_REUSEPORT', 'BPF_PROG_TYPE_FLOW_DISSECTOR', 'BPF_PROG_TYPE_CGROUP_SYSCTL',
  'BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE', 'BPF_PROG_TYPE_CGROUP_SOCKOPT', 'BPF_PROG_TYPE_TRACING', 'BPF_PROG_TYPE_STRUCT_OPS',
  'BPF_PROG_TYPE_EXT', 'BPF_PROG_TYPE_LSM', 'BPF_PROG_TYPE_SK_LOOKUP', 'BPF_PROG_TYPE_SYSCALL', 'BPF_PROG_TYPE_NETFILTER',
];

/** `BPF_PROG_TYPE_KPROBE` (uapi enum bpf_prog_type); later types as `BPF_PROG_TYPE_<n>`. */
export function bpfProgTypeName(type: number): string {
  return BPF_PROG_TYPES[type] ?? `BPF_PROG_TYPE_${type}`;
}

/** Lower-case hex of bytes (a BPF program's tag). */
export function hexBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const FILE_TYPES: Record<number, string> = { 0: 'none', 1: 'fifo', 2: 'chr', 4: 'dir', 6: 'blk', 8: 'reg', 10: 'lnk', 12: 'sock' };

/** A file type as S_IFMT >> 12 (`fifo` for a pipe, `sock`, `chr`, `reg`, ...); 0 (`none`): no file. */
export function fileTypeName(type: number): string {
  return FILE_TYPES[type] ?? `type_${type}`;
}

/** Tables of names a `named` view can use (sparse values: PTRACE_SEIZE is 0x4206). */
export const NAME_TABLES = { ptrace_request: ptraceRequestName, bpf_prog_type: bpfProgTypeName, file_type: fileTypeName } as const;
export type NameTable = keyof typeof NAME_TABLES;

export type ViewValue = string | number | boolean;

/** What a field of the file and process kinds' views needs to be printed (a SchemaField is one). */
export interface ValueView {
  readonly view: string;
  readonly name: string;
  readonly key?: string;
  readonly table?: FlagTable;
  readonly nameTable?: NameTable;
  readonly statusBits?: readonly { readonly bit: number; readonly key: string }[];
}

/**
 * The keys and values such a field prints, in order (the keys are outputKeys(f), views.ts):
 * mode: octal (`4755`) and `<key>_text` (`rwsr-xr-x`);
 * bits: names from FLAG_NAMES[table]; named: a name from NAME_TABLES[nameTable];
 * signal: the number and `<key>_name`; caps: hex as /proc prints it; hex: bytes in hex;
 * status: a boolean per bit, under its own key.
 */
export function viewEntries(f: ValueView, value: number | bigint | Uint8Array): [string, ViewValue][] {
  const key = f.key ?? f.name;
  const n = typeof value === 'number' ? value : 0;
  switch (f.view) {
    case 'mode': return [[key, modeOctal(n)], [`${key}_text`, modeText(n)]];
    case 'bits': return [[key, bitsText(n, FLAG_NAMES[f.table!])]];
    case 'named': return [[key, NAME_TABLES[f.nameTable!](n)]];
    case 'signal': return [[key, n], [`${key}_name`, signalName(n)]];
    case 'caps': return [[key, capsHex(value as bigint)]];
    case 'hex': return [[key, hexBytes(value as Uint8Array)]];
    case 'status': return (f.statusBits ?? []).map((b) => [b.key, (n & (1 << b.bit)) !== 0]);
    default: throw new Error(`abi: view ${f.view} is not one of the file and process kinds' views`);
  }
}
