/**
 * Test-only records of the file and process kinds (issue 13), laid out by the
 * ABI definition: a header from an identity, then the kind's fields by name.
 */
import { EventKind } from '../../src/abi/constants.js';
import { encodeRecord, type FieldInput } from '../../src/abi/encode.js';
import { STATUS, statusMask } from '../../src/abi/kinds-files-processes.js';
import { type Identity } from './records.js';
import { SyscallCall } from '../../src/abi/syscalls.js';

export function kindRecord(kind: number, id: Identity, fields: Record<string, FieldInput>): Uint8Array {
  return encodeRecord(kind, {
    ts_ns: id.ts, pid: id.pid, tid: id.tid ?? id.pid, ppid: id.ppid, uid: id.uid ?? 0, gid: id.gid ?? 0,
    auid: id.auid ?? 4294967295, cgroup_id: id.cgroup_id ?? 1n, flags: id.flags ?? 0, cpu: id.cpu ?? 0,
    mntns: id.mntns ?? 4026531841, comm: id.comm, ...fields,
  });
}

const ROOT_CAPS = 0x1ffffffffffn;
type Ids = [number, number, number, number];

/** A credential record: syscall number, result, uids old -> new (real, effective, saved, fs), gids unchanged. */
export function credRecord(id: Identity, syscall: number, result: number, oldUids: Ids, newUids: Ids, status = 0, args: number[] = []): Uint8Array {
  const caps = (u: Ids) => (u[1] === 0 ? ROOT_CAPS : 0n);
  const named = (prefix: string, u: Ids) => ({
    [`${prefix}_uid`]: u[0], [`${prefix}_euid`]: u[1], [`${prefix}_suid`]: u[2], [`${prefix}_fsuid`]: u[3],
    [`${prefix}_cap_effective`]: caps(u), [`${prefix}_cap_permitted`]: caps(u),
  });
  return kindRecord(EventKind.ProcessCred, { ...id, uid: newUids[0] }, {
    call: syscall, result, arg1: args[0] ?? 0, arg2: args[1] ?? 0, arg3: args[2] ?? 0, status, ...named('old', oldUids), ...named('new', newUids),
  });
}

export function ptraceRecord(id: Identity, request: number, targetPid: number, result: number): Uint8Array {
  return kindRecord(EventKind.ProcessPtrace, id, {
    request, target_pid: targetPid, result, status: result === 0 ? 1 : 0, target_tgid: result === 0 ? targetPid : 0, target_comm: result === 0 ? 'victim' : '',
  });
}

export function processVmRecord(id: Identity, syscall: number, targetPid: number, result: number): Uint8Array {
  return kindRecord(EventKind.ProcessVm, id, {
    call: syscall, target_pid: targetPid, result, status: 1, local_iovcnt: 1, remote_iovcnt: 1, remote_addr: 0x7f0000001000n, remote_len: 8n,
    target_tgid: targetPid, target_comm: 'victim',
  });
}

export function moduleRecord(id: Identity, syscall: number, result: number, name = ''): Uint8Array {
  return kindRecord(EventKind.KernelModule, id, { call: syscall, result, fd: -1, name, params: '' });
}

/** One record of each file and process kind, with the values worth showing (for the synthetic fixtures). */
export function filesProcessesRecords(at: (t: number, extra?: Partial<Identity>) => Identity): Uint8Array[] {
  const nonUtf8 = Uint8Array.from([...new TextEncoder().encode('/tmp/bad-'), 0xff, 0x41]);
  const tag = Uint8Array.from([0x59, 0xf4, 0xa9, 0x31, 0x74, 0x4d, 0xcd, 0xc6]);
  return [
    kindRecord(EventKind.FileDelete, at(30, { comm: 'rm' }), { call: SyscallCall.Unlinkat, path_flags: 4, result: 0, dirfd: 3, at_flags: 0x200, status: 1, path: '/var/log/old', path_arg: 'old' }),
    kindRecord(EventKind.FileDelete, at(31, { comm: 'rm' }), { call: SyscallCall.Unlink, path_flags: 2, result: -2, dirfd: -100, path: nonUtf8, path_arg: 'bad' }),
    kindRecord(EventKind.FileRename, at(32, { comm: 'mv' }), {
      call: SyscallCall.Renameat2, old_path_flags: 4, new_path_flags: 4, result: 0, old_dirfd: 3, new_dirfd: 3, rename_flags: 2,
      old_path: '/etc/cron.d/.new', old_path_arg: '.new', new_path: '/etc/cron.d/job', new_path_arg: 'job',
    }),
    kindRecord(EventKind.FileLink, at(33, { comm: 'ln' }), {
      call: SyscallCall.Symlink, target_flags: 0, new_path_flags: 2, status: 1, result: 0, old_dirfd: -100, new_dirfd: -100,
      target: '/dev/null', target_arg: '/dev/null', new_path: '/root/.bash_history', new_path_arg: '.bash_history',
    }),
    kindRecord(EventKind.FileChmod, at(34, { comm: 'chmod' }), { call: SyscallCall.Fchmodat, path_flags: 4, result: 0, dirfd: 3, mode: 0o4755, path: '/tmp/rootshell', path_arg: 'rootshell' }),
    kindRecord(EventKind.FileChown, at(35, { comm: 'chown' }), { call: SyscallCall.Fchown, path_flags: 1, result: 0, dirfd: 4, owner_uid: 0, owner_gid: 0xffffffff, path: '/tmp/rootshell' }),
    kindRecord(EventKind.FileTruncate, at(36, { comm: 'truncate' }), { call: SyscallCall.Truncate, path_flags: 2, result: 0, fd: -1, length: 0n, path: '/var/log/wtmp', path_arg: 'wtmp' }),
    kindRecord(EventKind.FsMount, at(37, { comm: 'mount' }), {
      call: SyscallCall.Mount, source_flags: 2, target_flags: 8, result: 0, dirfd: -100, mount_flags: 0x1000, fstype: '', data: '',
      source: '/tmp/empty', target: '/proc/1234', target_arg: '/proc/1234',
    }),
    kindRecord(EventKind.FsMount, at(38, { comm: 'newapi' }), {
      call: SyscallCall.Fsmount, target_flags: 0x100, status: 3, result: 5, dirfd: 3, attr_flags: 0x2 | 0x4, fstype: 'tmpfs', source: 'rg-newapi',
    }),
    credRecord(at(39, { uid: 1000, comm: 'exploit' }), SyscallCall.Setuid, 0, [1000, 1000, 0, 1000], [1000, 0, 0, 0], 0, [0, 0, 0]),
    credRecord(at(40, { uid: 65534, comm: 'sudo' }), SyscallCall.Execve, 0, [65534, 65534, 65534, 65534], [65534, 0, 0, 0], statusMask(STATUS.CRED_SETID_EXEC)),
    credRecord(at(41, { uid: 0, comm: 'sshd' }), SyscallCall.Setresuid, 0, [0, 0, 0, 0], [1000, 1000, 1000, 1000], statusMask(STATUS.CRED_OLD_UNKNOWN), [1000, 1000, 1000]),
    ptraceRecord(at(42, { comm: 'inject' }), 16, 4300, 0),
    kindRecord(EventKind.ProcessPtrace, at(43, { comm: 'inject' }), { request: 5, target_pid: 4300, result: 0, status: 1, addr: 0x7ffd00001000n, data: 0x9090909090909090n, target_tgid: 4300, target_comm: 'victim' }),
    processVmRecord(at(44, { comm: 'inject' }), SyscallCall.ProcessVmWritev, 4300, 8),
    kindRecord(EventKind.ProcessSignal, at(45, { comm: 'kill' }), { call: SyscallCall.Kill, status: 1, signal: 9, target_pid: 4300, result: 0, target_tgid: 4300, target_comm: 'victim' }),
    kindRecord(EventKind.ProcessSignal, at(46, { comm: 'kill' }), { call: SyscallCall.Kill, signal: 0, target_pid: -1, result: -1 }),
    kindRecord(EventKind.MemfdCreate, at(47, { comm: 'loader' }), { memfd_flags: 1, result: 3, ino: 4321n, status: 1, name: 'memfd:payload' }),
    moduleRecord(at(48, { comm: 'insmod' }), SyscallCall.InitModule, -38),
    kindRecord(EventKind.KernelModule, at(49, { comm: 'insmod' }), { call: SyscallCall.FinitModule, result: -38, module_flags: 0, fd: 3, params: 'hide=1', path: '/tmp/rootkit.ko' }),
    kindRecord(EventKind.BpfProgLoad, at(50, { comm: 'loader' }), {
      prog_type: 26, insn_cnt: 42, result: 4, prog_id: 77, expected_attach_type: 24, attach_btf_id: 1234, status: 1, tag, prog_name: 'hide_pid', attach_to: '__x64_sys_getdents64',
    }),
  ];
}
