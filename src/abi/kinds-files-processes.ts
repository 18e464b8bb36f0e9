/**
 * Registry entries of the kinds an intruder's work on files and processes
 * leaves (issue 13: ids 10..29), appended to the registry in schema.ts. Each
 * is recorded at the raw sys_exit from the task's saved registers (bpf/
 * file_changes.bpf.h, process_access.bpf.h, privilege.bpf.h); credential
 * changes of a set-id exec come from sched_process_exec.
 *
 * Shared conventions:
 * - `call` is the syscall that produced the record (unlink or unlinkat, kill
 *   or tgkill, ...), printed by name.
 * - `result` is its return value: >= 0 success, < 0 is -errno.
 * - Paths are absolute, made in the kernel: the directory the kernel resolved
 *   a name against (the task's root, its cwd or the dirfd's file) joined
 *   with the name, or an fd's own file; `*_flags` say how. `*_arg` is the name
 *   as passed, read from the caller's memory at exit.
 * - Fields documented "as passed" come from the caller's registers or memory;
 *   everything else is the kernel's own state.
 * - `status` holds the kind's own booleans (one output key per bit).
 */
import {
  BPF_ATTACH_NAME_LEN, BPF_NAME_LEN, COMM_LEN, EventKind, FSTYPE_LEN, MODULE_NAME_LEN, MODULE_PARAMS_LEN, MOUNT_DATA_LEN, PATH_LEN,
} from './constants.js';
import { type KindDefinition, type KindFlagSpec, type SchemaField, type StatusBit } from './kind-types.js';
import { IO_URING_PROGRAMS } from './net-kinds.js';

const path = (name: string, doc: string): SchemaField => ({ name, type: 'char', count: PATH_LEN, countName: 'PATH_LEN', view: 'string', doc });
const call = (which: string): SchemaField => ({ name: 'call', type: 'u16', view: 'syscall', doc: `the syscall: ${which}` });
const pathFlags = (name: string, of: string): SchemaField => ({ name, type: 'u16', view: 'path_flags', doc: `PATH_FLAG_*: how ${of} was made` });
const result = (doc: string): SchemaField => ({ name: 'result', type: 's32', view: 'result', doc });
const reserved = (name = 'reserved', type: 'u16' | 'u32' = 'u32'): SchemaField => ({ name, type, view: 'hidden', doc: 'zero; keeps the record free of padding' });
const status = (type: 'u16' | 'u32', bits: StatusBit[]): SchemaField => ({ name: 'status', type, view: 'status', statusBits: bits, doc: 'the kind\'s own booleans' });
/** The file changes io_uring also makes (UNLINKAT, RENAMEAT, LINKAT, SYMLINKAT: io_uring.bpf.h), flagged as its opens are. */
const uringFlags: readonly KindFlagSpec[] = [
  { flag: 'IO_URING', outputName: 'io_uring' },
  { flag: 'SUBMISSION_UNSEEN', outputName: 'submission_unseen' },
  { flag: 'RESULT_UNSEEN', outputName: 'result_unseen' },
];

const argFlags = [
  { flag: 'FILENAME_TRUNCATED', outputName: 'path_arg_truncated' },
  { flag: 'USER_READ_FAILED', outputName: 'path_arg_unreadable' },
];

/** process_cred.status, process_ptrace/vm/signal.status, memfd_create.status, ... (bit numbers). */
export const STATUS = {
  CRED_OLD_UNKNOWN: { name: 'CRED_OLD_UNKNOWN', bit: 0, key: 'old_unknown', doc: 'no earlier credentials of this thread were kept (the map evicted it): old_* are zero, not known' },
  CRED_SETID_EXEC: { name: 'CRED_SETID_EXEC', bit: 1, key: 'setid_exec', doc: "an exec that gained privileges: set-user/group-id or file capabilities (the kernel's bprm->per_clear)" },
  TARGET_RESOLVED: { name: 'TARGET_RESOLVED', bit: 0, key: 'target_resolved', doc: "the target was found: target_tgid and target_comm are the kernel's" },
  MEMFD_NAME_FROM_KERNEL: { name: 'MEMFD_NAME_FROM_KERNEL', bit: 0, key: 'name_from_kernel', doc: "name is the kernel's (memfd:NAME of the new file), not the caller's string" },
  BPF_FROM_KERNEL: { name: 'BPF_FROM_KERNEL', bit: 0, key: 'from_kernel', doc: 'read from the loaded program (struct bpf_prog), not from the caller\'s attr' },
  BPF_ATTR_UNREADABLE: { name: 'BPF_ATTR_UNREADABLE', bit: 1, key: 'attr_unreadable', doc: "a refused load whose attr could not be read: its fields are zero" },
  DELETE_DIRECTORY: { name: 'DELETE_DIRECTORY', bit: 0, key: 'directory', doc: 'a directory was to be removed (rmdir, AT_REMOVEDIR)' },
  LINK_SYMBOLIC: { name: 'LINK_SYMBOLIC', bit: 0, key: 'symbolic', doc: 'a symbolic link: target is its text, never resolved' },
  MOUNT_FSTYPE_FROM_KERNEL: { name: 'MOUNT_FSTYPE_FROM_KERNEL', bit: 0, key: 'fstype_from_kernel', doc: "fstype is the kernel's (the superblock's or the filesystem context's)" },
  MOUNT_SOURCE_FROM_KERNEL: { name: 'MOUNT_SOURCE_FROM_KERNEL', bit: 1, key: 'source_from_kernel', doc: "source is the new mount's own (what /proc/mounts shows)" },
} as const satisfies Record<string, StatusBit>;

/** A status bit's mask. */
export const statusMask = (b: StatusBit): number => 1 << b.bit;

const ids = (prefix: string, when: string): SchemaField[] => ['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid'].map((id) => ({
  name: `${prefix}_${id}`, type: 'u32', view: 'uint', doc: `${id} ${when}`,
}));
const caps = (prefix: string, when: string): SchemaField[] => ['effective', 'permitted', 'inheritable'].map((set) => ({
  name: `${prefix}_cap_${set}`, type: 'u64', view: 'caps', doc: `capabilities of the ${set} set ${when}`,
}));
const target: SchemaField[] = [
  { name: 'target_tgid', type: 'u32', view: 'uint', doc: 'the target process (global tgid) as the kernel found it; 0 when not found' },
  { name: 'target_comm', type: 'char', count: COMM_LEN, countName: 'COMM_LEN', view: 'string', doc: "the target's comm when found" },
];

export const FILES_PROCESSES_KINDS: readonly KindDefinition[] = [
  {
    id: EventKind.FileDelete, name: 'file_delete', eventType: 'file_delete', cliName: 'delete',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit', ...IO_URING_PROGRAMS], syscalls: ['unlink', 'unlinkat', 'rmdir', 'io_uring UNLINKAT'] },
    pathFields: ['path'], writes: 'always', color: 'red', counter: { key: 'deletes', label: 'delete' },
    sigma: { category: 'file_delete', fields: { TargetFilename: 'path' } },
    ecs: { category: 'file', type: ['deletion'] },
    ocsf: { classUid: 1001, activity: 4, actor: 'self', resultField: 'result', filePathField: 'path' },
    fields: [
      call('unlink, unlinkat or rmdir'), pathFlags('path_flags', 'path'), result('0 or -errno'),
      { name: 'dirfd', type: 's32', view: 'int', doc: 'unlinkat: the directory fd as passed (-100 = cwd); -100 otherwise' },
      { name: 'at_flags', type: 'u16', view: 'bits', table: 'at', doc: 'unlinkat flags as passed (AT_REMOVEDIR)' },
      status('u16', [STATUS.DELETE_DIRECTORY]),
      path('path', 'absolute path of what was (to be) removed: the resolved directory joined with the name'),
      path('path_arg', 'the name as passed'),
    ],
    flags: [...argFlags, ...uringFlags],
  },
  {
    id: EventKind.FileRename, name: 'file_rename', eventType: 'file_rename', cliName: 'rename',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit', ...IO_URING_PROGRAMS], syscalls: ['rename', 'renameat', 'renameat2', 'io_uring RENAMEAT'] },
    pathFields: ['old_path', 'new_path'], writes: 'always', color: 'yellow', counter: { key: 'renames', label: 'rename' },
    // A file put in place by a rename is a file created there (Sysmon's FileCreate): `mv job /etc/cron.d/` meets the cron rules.
    sigma: { category: 'file_event', writesOnly: true, fields: { TargetFilename: 'new_path' } },
    ecs: { category: 'file', type: ['change'] },
    ocsf: { classUid: 1001, activity: 5, actor: 'self', resultField: 'result', filePathField: 'old_path' },
    fields: [
      call('rename, renameat or renameat2'), pathFlags('old_path_flags', 'old_path'), pathFlags('new_path_flags', 'new_path'), reserved('reserved', 'u16'),
      result('0 or -errno'),
      { name: 'old_dirfd', type: 's32', view: 'int', doc: 'renameat(2): olddirfd as passed (-100 = cwd)' },
      { name: 'new_dirfd', type: 's32', view: 'int', doc: 'renameat(2): newdirfd as passed (-100 = cwd)' },
      { name: 'rename_flags', type: 'u32', view: 'bits', table: 'rename', doc: 'renameat2 flags as passed (RENAME_NOREPLACE, EXCHANGE, WHITEOUT)' },
      path('old_path', 'absolute path of the name renamed'), path('old_path_arg', 'the old name as passed'),
      path('new_path', 'absolute path of the new name'), path('new_path_arg', 'the new name as passed'),
    ],
    flags: [
      { flag: 'FILENAME_TRUNCATED', outputName: 'old_path_arg_truncated' },
      { flag: 'USER_READ_FAILED', outputName: 'old_path_arg_unreadable' },
      { flag: 'ARG2_TRUNCATED', outputName: 'new_path_arg_truncated' },
      { flag: 'ARG2_UNREADABLE', outputName: 'new_path_arg_unreadable' },
      ...uringFlags,
    ],
  },
  {
    id: EventKind.FileLink, name: 'file_link', eventType: 'file_link', cliName: 'link',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit', ...IO_URING_PROGRAMS], syscalls: ['link', 'linkat', 'symlink', 'symlinkat', 'io_uring LINKAT', 'io_uring SYMLINKAT'] },
    pathFields: ['target', 'new_path'], writes: 'always', color: 'cyan', counter: { key: 'links', label: 'link' },
    sigma: { category: 'file_event', writesOnly: true, fields: { TargetFilename: 'new_path' } },
    ecs: { category: 'file', type: ['creation'] },
    ocsf: { classUid: 1001, activity: 1, actor: 'self', resultField: 'result', filePathField: 'new_path' },
    fields: [
      call('link, linkat, symlink or symlinkat'), pathFlags('target_flags', 'target (0: a symlink\'s text)'), pathFlags('new_path_flags', 'new_path'),
      status('u16', [STATUS.LINK_SYMBOLIC]),
      result('0 or -errno'),
      { name: 'old_dirfd', type: 's32', view: 'int', doc: 'linkat: olddirfd as passed (-100 = cwd)' },
      { name: 'new_dirfd', type: 's32', view: 'int', doc: 'linkat, symlinkat: newdirfd as passed (-100 = cwd)' },
      { name: 'at_flags', type: 'u32', view: 'bits', table: 'at', doc: 'linkat flags as passed (AT_SYMLINK_FOLLOW, AT_EMPTY_PATH)' },
      path('target', 'hard link: absolute path of the existing file (or the fd\'s file); symbolic: the link\'s text as passed'),
      path('target_arg', 'the target as passed'),
      path('new_path', 'absolute path of the new name'), path('new_path_arg', 'the new name as passed'),
    ],
    flags: [
      { flag: 'FILENAME_TRUNCATED', outputName: 'target_arg_truncated' },
      { flag: 'USER_READ_FAILED', outputName: 'target_arg_unreadable' },
      { flag: 'ARG2_TRUNCATED', outputName: 'new_path_arg_truncated' },
      { flag: 'ARG2_UNREADABLE', outputName: 'new_path_arg_unreadable' },
      ...uringFlags,
    ],
  },
  {
    id: EventKind.FileChmod, name: 'file_chmod', eventType: 'file_chmod', cliName: 'chmod',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['chmod', 'fchmod', 'fchmodat', 'fchmodat2'] },
    pathFields: ['path'], writes: 'always', color: 'yellow', counter: { key: 'chmods', label: 'chmod' },
    ecs: { category: 'file', type: ['change'] },
    ocsf: { classUid: 1001, activity: 7, actor: 'self', resultField: 'result', filePathField: 'path' },
    fields: [
      call('chmod, fchmod, fchmodat or fchmodat2'), pathFlags('path_flags', 'path'), result('0 or -errno'),
      { name: 'dirfd', type: 's32', view: 'int', doc: 'fchmod: the fd; fchmodat(2): the directory fd (-100 = cwd); -100 for chmod' },
      { name: 'mode', type: 'u32', view: 'mode', doc: 'the mode asked for, as passed (printed as 4755 and rwsr-xr-x)' },
      { name: 'at_flags', type: 'u32', view: 'bits', table: 'at', doc: 'fchmodat2 flags as passed (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH)' },
      reserved(),
      path('path', 'absolute path of the file: the fd\'s, or the resolved directory joined with the name'), path('path_arg', 'the name as passed (empty for an fd)'),
    ],
    flags: argFlags,
  },
  {
    id: EventKind.FileChown, name: 'file_chown', eventType: 'file_chown', cliName: 'chown',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['chown', 'fchown', 'lchown', 'fchownat'] },
    pathFields: ['path'], writes: 'always', color: 'yellow', counter: { key: 'chowns', label: 'chown' },
    ecs: { category: 'file', type: ['change'] },
    ocsf: { classUid: 1001, activity: 7, actor: 'self', resultField: 'result', filePathField: 'path' },
    fields: [
      call('chown, fchown, lchown or fchownat'), pathFlags('path_flags', 'path'), result('0 or -errno'),
      { name: 'dirfd', type: 's32', view: 'int', doc: 'fchown: the fd; fchownat: the directory fd (-100 = cwd); -100 otherwise' },
      { name: 'owner_uid', type: 'u32', view: 'uint', doc: 'the owner asked for, as passed (4294967295 = unchanged)' },
      { name: 'owner_gid', type: 'u32', view: 'uint', doc: 'the group asked for, as passed (4294967295 = unchanged)' },
      { name: 'at_flags', type: 'u32', view: 'bits', table: 'at', doc: 'fchownat flags as passed (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH)' },
      path('path', 'absolute path of the file: the fd\'s, or the resolved directory joined with the name'), path('path_arg', 'the name as passed (empty for an fd)'),
    ],
    flags: argFlags,
  },
  {
    id: EventKind.FileTruncate, name: 'file_truncate', eventType: 'file_truncate', cliName: 'truncate',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit', ...IO_URING_PROGRAMS], syscalls: ['truncate', 'ftruncate', 'io_uring FTRUNCATE'] },
    pathFields: ['path'], writes: 'always', color: 'yellow', counter: { key: 'truncates', label: 'truncate' },
    ecs: { category: 'file', type: ['change'] },
    ocsf: { classUid: 1001, activity: 3, actor: 'self', resultField: 'result', filePathField: 'path' },
    fields: [
      call('truncate or ftruncate'), pathFlags('path_flags', 'path'), result('0 or -errno'),
      { name: 'fd', type: 's32', view: 'int', doc: 'ftruncate: the fd as passed; -1 for truncate' },
      reserved(),
      { name: 'length', type: 'u64', view: 'uint', doc: 'the new size, as passed' },
      path('path', 'absolute path of the file: the fd\'s, or the resolved name'), path('path_arg', 'the name as passed (empty for an fd)'),
    ],
    flags: [...argFlags, ...uringFlags],
  },
  {
    id: EventKind.FsMount, name: 'fs_mount', eventType: 'fs_mount', cliName: 'mount',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['mount', 'umount2', 'move_mount', 'fsmount'] },
    pathFields: ['source', 'target'], color: 'magenta', counter: { key: 'mounts', label: 'mount' },
    // Mount (12) and Unmount (13) are both this kind's: Other, with `call` saying which.
    ecs: { category: 'file', type: ['change'] },
    ocsf: { classUid: 1001, activity: 99, actor: 'self', resultField: 'result', filePathField: 'target' },
    fields: [
      call('mount, umount2, move_mount or fsmount'),
      pathFlags('source_flags', 'source (0: text as passed, or the kernel\'s)'), pathFlags('target_flags', 'target'),
      status('u16', [STATUS.MOUNT_FSTYPE_FROM_KERNEL, STATUS.MOUNT_SOURCE_FROM_KERNEL]),
      result('0, the mount fd (fsmount), or -errno'),
      { name: 'dirfd', type: 's32', view: 'int', doc: 'move_mount: to_dfd; fsmount: the filesystem context fd; -100 otherwise' },
      { name: 'mount_flags', type: 'u32', view: 'bits', table: 'mount', doc: 'mount: MS_* flags as passed' },
      { name: 'umount_flags', type: 'u32', view: 'bits', table: 'umount', doc: 'umount2: MNT_* flags as passed' },
      { name: 'move_flags', type: 'u32', view: 'bits', table: 'move_mount', doc: 'move_mount: MOVE_MOUNT_* flags as passed' },
      { name: 'attr_flags', type: 'u32', view: 'bits', table: 'mount_attr', doc: 'fsmount: MOUNT_ATTR_* flags as passed' },
      { name: 'fstype', type: 'char', count: FSTYPE_LEN, countName: 'FSTYPE_LEN', view: 'string', doc: 'filesystem type: as passed (mount), or the kernel\'s (move_mount, fsmount)' },
      { name: 'data', type: 'char', count: MOUNT_DATA_LEN, countName: 'MOUNT_DATA_LEN', view: 'string', doc: 'mount: the option string as passed' },
      path('source', 'mount: a bind mount\'s resolved source path, else the source as passed; move_mount: the mount moved; fsmount: the new mount\'s source'),
      path('target', 'absolute path of the mount point (umount2: of the mount removed); empty for fsmount'),
      path('target_arg', 'the target as passed'),
    ],
    flags: [
      { flag: 'FILENAME_TRUNCATED', outputName: 'target_arg_truncated' },
      { flag: 'USER_READ_FAILED', outputName: 'arg_unreadable' },
      { flag: 'ARG2_TRUNCATED', outputName: 'source_arg_truncated' },
      { flag: 'ARG2_UNREADABLE', outputName: 'source_arg_unreadable' },
    ],
  },
  {
    id: EventKind.ProcessCred, name: 'process_cred', eventType: 'process_cred', cliName: 'cred',
    process: { role: 'cred', euid: 'new_euid', egid: 'new_egid' },
    capture: {
      programs: ['handle_sys_exit', 'cred_fork', 'cred_exec', 'cred_exit_task'], iterators: ['cred_seed'],
      syscalls: ['setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid', 'capset', 'set-id execve/execveat'],
    },
    pathFields: [], color: 'red', counter: { key: 'creds', label: 'cred' },
    ecs: { category: 'process', type: ['change'] },
    ocsf: { classUid: 1007, activity: 5, actor: 'self', target: 'self', resultField: 'result' },
    fields: [
      call('a set*id call, capset, or execve/execveat for an exec that changed credentials'),
      status('u16', [STATUS.CRED_OLD_UNKNOWN, STATUS.CRED_SETID_EXEC]),
      result('return value (setfsuid and setfsgid return the previous id)'),
      { name: 'arg1', type: 'u32', view: 'uint', doc: 'first id as passed (4294967295 = unchanged); 0 for capset and exec' },
      { name: 'arg2', type: 'u32', view: 'uint', doc: 'second id as passed (setre*id, setres*id)' },
      { name: 'arg3', type: 'u32', view: 'uint', doc: 'third id as passed (setres*id)' },
      reserved(),
      ...ids('old', 'before the call (as the capture last saw the thread)'),
      ...ids('new', 'after the call (the task\'s real_cred at exit)'),
      ...caps('old', 'before'),
      ...caps('new', 'after'),
    ],
    flags: [],
  },
  {
    id: EventKind.ProcessPtrace, name: 'process_ptrace', eventType: 'process_ptrace', cliName: 'ptrace',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['ptrace'] },
    pathFields: [], color: 'red', counter: { key: 'ptraces', label: 'ptrace' },
    ecs: { category: 'process', type: ['access'] },
    ocsf: { classUid: 1007, activity: 3, actor: 'self', target: { pidField: 'target_tgid' }, resultField: 'result' },
    fields: [
      { name: 'request', type: 'u32', view: 'named', nameTable: 'ptrace_request', doc: 'PTRACE_* request' },
      { name: 'target_pid', type: 's32', view: 'int', doc: "pid as passed (in the caller's pid namespace)" },
      result('0 or -errno'),
      status('u32', [STATUS.TARGET_RESOLVED]),
      { name: 'addr', type: 'u64', view: 'uint', doc: 'addr as passed' },
      { name: 'data', type: 'u64', view: 'uint', doc: 'data as passed' },
      ...target,
      reserved(),
    ],
    flags: [],
  },
  {
    id: EventKind.ProcessVm, name: 'process_vm', eventType: 'process_vm', cliName: 'vm',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['process_vm_readv', 'process_vm_writev'] },
    pathFields: [], color: 'red', counter: { key: 'vm_accesses', label: 'process_vm' },
    // Open (3) for both: a read is an access, a write an injection; `call` says which.
    ecs: { category: 'process', type: ['access'], typeByCall: { process_vm_writev: ['change'] } },
    ocsf: { classUid: 1007, activity: 3, actor: 'self', target: { pidField: 'target_tgid' }, resultField: 'result' },
    fields: [
      call('process_vm_readv or process_vm_writev'), status('u16', [STATUS.TARGET_RESOLVED]),
      { name: 'target_pid', type: 's32', view: 'int', doc: "pid as passed (in the caller's pid namespace)" },
      result('bytes copied, or -errno'),
      { name: 'local_iovcnt', type: 'u32', view: 'uint', doc: 'local iovec count as passed' },
      { name: 'remote_iovcnt', type: 'u32', view: 'uint', doc: 'remote iovec count as passed' },
      reserved(),
      { name: 'remote_addr', type: 'u64', view: 'uint', doc: "first remote iovec's base as passed (0 if unreadable)" },
      { name: 'remote_len', type: 'u64', view: 'uint', doc: "first remote iovec's length as passed" },
      ...target,
      reserved('reserved2'),
    ],
    flags: [],
  },
  {
    id: EventKind.ProcessSignal, name: 'process_signal', eventType: 'process_signal', cliName: 'signal',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['kill', 'tkill', 'tgkill', 'pidfd_send_signal'] },
    pathFields: [], color: 'yellow', counter: { key: 'signals', label: 'signal' },
    ecs: { category: 'process', type: ['info'] },
    ocsf: { classUid: 1007, activity: 99, actor: 'self', target: { pidField: 'target_tgid' }, resultField: 'result' },
    fields: [
      call('kill, tkill, tgkill or pidfd_send_signal'), status('u16', [STATUS.TARGET_RESOLVED]),
      { name: 'signal', type: 'u32', view: 'signal', doc: 'signal number as passed (0 probes whether the target exists)' },
      { name: 'target_pid', type: 's32', view: 'int', doc: 'kill: pid as passed (0, -1 and -pgrp address groups); tgkill: tgid; tkill: tid; pidfd_send_signal: the pidfd' },
      { name: 'target_tid', type: 's32', view: 'int', doc: 'tkill, tgkill: thread id as passed; 0 otherwise' },
      result('0 or -errno'),
      ...target,
    ],
    flags: [],
  },
  {
    id: EventKind.MemfdCreate, name: 'memfd_create', eventType: 'memfd_create', cliName: 'memfd',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['memfd_create'] },
    pathFields: [], color: 'magenta', counter: { key: 'memfds', label: 'memfd' },
    ecs: { category: 'file', type: ['creation'] },
    ocsf: { classUid: 1001, activity: 1, actor: 'self', resultField: 'result', filePathField: 'name' },
    fields: [
      { name: 'memfd_flags', type: 'u32', view: 'bits', table: 'memfd', doc: 'MFD_* flags as passed' },
      result('the new fd, or -errno'),
      { name: 'ino', type: 'u64', view: 'uint', doc: "the new file's inode number (0 on failure): an exec of it has this exe_ino" },
      status('u32', [STATUS.MEMFD_NAME_FROM_KERNEL]),
      reserved(),
      { name: 'name', type: 'char', count: PATH_LEN, countName: 'PATH_LEN', view: 'string', doc: "the file's name as the kernel gave it (memfd:NAME); the name as passed when the call failed" },
    ],
    flags: [
      { flag: 'FILENAME_TRUNCATED', outputName: 'name_truncated' },
      { flag: 'USER_READ_FAILED', outputName: 'name_unreadable' },
    ],
  },
  {
    id: EventKind.KernelModule, name: 'kernel_module', eventType: 'kernel_module', cliName: 'module',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['init_module', 'finit_module', 'delete_module'] },
    pathFields: ['path'], color: 'red', counter: { key: 'modules', label: 'module' },
    // OCSF's Kernel Extension Activity (1002) is not a class the exporter writes: a process's Other activity, `call` says which.
    ecs: { category: 'driver', type: ['start'], typeByCall: { delete_module: ['end'] } },
    ocsf: { classUid: 1007, activity: 99, actor: 'self', target: 'self', resultField: 'result' },
    fields: [
      call('init_module, finit_module or delete_module'), pathFlags('path_flags', 'path'),
      result('0 or -errno (-ENOSYS: the kernel has no module support)'),
      { name: 'module_flags', type: 'u32', view: 'uint', doc: 'finit_module MODULE_INIT_* or delete_module O_* flags as passed' },
      { name: 'fd', type: 's32', view: 'int', doc: 'finit_module: the fd as passed; -1 otherwise' },
      { name: 'image_len', type: 'u64', view: 'uint', doc: 'init_module: length of the image as passed' },
      { name: 'name', type: 'char', count: MODULE_NAME_LEN, countName: 'MODULE_NAME_LEN', view: 'string', doc: 'delete_module: the module name as passed' },
      { name: 'params', type: 'char', count: MODULE_PARAMS_LEN, countName: 'MODULE_PARAMS_LEN', view: 'string', doc: 'init_module, finit_module: the parameter string as passed' },
      path('path', "finit_module: absolute path of the fd's file"),
    ],
    flags: [
      { flag: 'USER_READ_FAILED', outputName: 'arg_unreadable' },
    ],
  },
  {
    id: EventKind.BpfProgLoad, name: 'bpf_prog_load', eventType: 'bpf_prog_load', cliName: 'bpf',
    process: { role: 'activity' },
    capture: { programs: ['handle_sys_exit'], syscalls: ['bpf(BPF_PROG_LOAD)'] },
    pathFields: [], color: 'red', counter: { key: 'bpf_loads', label: 'bpf' },
    ecs: { category: 'driver', type: ['start'] },
    ocsf: { classUid: 1007, activity: 99, actor: 'self', target: 'self', resultField: 'result' },
    fields: [
      { name: 'prog_type', type: 'u32', view: 'named', nameTable: 'bpf_prog_type', doc: 'BPF_PROG_TYPE_*' },
      { name: 'insn_cnt', type: 'u32', view: 'uint', doc: 'instructions' },
      result('the program fd, or -errno'),
      { name: 'prog_id', type: 'u32', view: 'uint', doc: "the kernel's id of the loaded program (bpftool prog show id N); 0 on failure" },
      { name: 'expected_attach_type', type: 'u32', view: 'uint', doc: 'enum bpf_attach_type' },
      { name: 'attach_btf_id', type: 'u32', view: 'uint', doc: 'BTF id of the attach target (tracing programs)' },
      status('u32', [STATUS.BPF_FROM_KERNEL, STATUS.BPF_ATTR_UNREADABLE]),
      reserved(),
      { name: 'tag', type: 'bytes', count: 8, view: 'hex', doc: "the kernel's tag (hash) of the program" },
      { name: 'prog_name', type: 'char', count: BPF_NAME_LEN, countName: 'BPF_NAME_LEN', view: 'string', doc: 'program name' },
      { name: 'attach_to', type: 'char', count: BPF_ATTACH_NAME_LEN, countName: 'BPF_ATTACH_NAME_LEN', view: 'string', doc: 'the kernel function a tracing program attaches to' },
    ],
    flags: [],
  },
];

/** The status bits as masks, for the C side's names and for tests. */
export const CRED_OLD_UNKNOWN = statusMask(STATUS.CRED_OLD_UNKNOWN);
export const CRED_SETID_EXEC = statusMask(STATUS.CRED_SETID_EXEC);
export const TARGET_RESOLVED = statusMask(STATUS.TARGET_RESOLVED);
export const MEMFD_NAME_FROM_KERNEL = statusMask(STATUS.MEMFD_NAME_FROM_KERNEL);
export const BPF_FROM_KERNEL = statusMask(STATUS.BPF_FROM_KERNEL);
export const BPF_ATTR_UNREADABLE = statusMask(STATUS.BPF_ATTR_UNREADABLE);
export const DELETE_DIRECTORY = statusMask(STATUS.DELETE_DIRECTORY);
export const LINK_SYMBOLIC = statusMask(STATUS.LINK_SYMBOLIC);
export const MOUNT_FSTYPE_FROM_KERNEL = statusMask(STATUS.MOUNT_FSTYPE_FROM_KERNEL);
export const MOUNT_SOURCE_FROM_KERNEL = statusMask(STATUS.MOUNT_SOURCE_FROM_KERNEL);
