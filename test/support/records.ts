/**
 * Test-only record builders: bytes exactly as the kernel program lays them
 * out, built from the ABI definition (never from hand-typed offsets).
 */
import {
  AF_INET, AF_INET6, ARGS_LEN, EventKind, PATH_FLAG_DIR_CWD, PATH_FLAG_DIR_ROOT, PATH_FLAG_FROM_FILE, PATH_LEN,
} from '../../src/abi/constants.js';
import { EVENT_FLAG_ARGS_TRUNCATED } from '../../src/abi/schema.js';
import { encodeRecord, type FieldInput } from '../../src/abi/encode.js';
import { SyscallCall } from '../../src/abi/syscalls.js';

export interface Identity {
  ts: bigint; pid: number; tid?: number; ppid: number; uid?: number; gid?: number; auid?: number;
  comm: string | Uint8Array; cgroup_id?: bigint; cpu?: number; mntns?: number; flags?: number;
}

function header(id: Identity): Record<string, FieldInput> {
  return {
    ts_ns: id.ts, pid: id.pid, tid: id.tid ?? id.pid, ppid: id.ppid, uid: id.uid ?? 0, gid: id.gid ?? 0,
    auid: id.auid ?? 4294967295, cgroup_id: id.cgroup_id ?? 1n, flags: id.flags ?? 0, cpu: id.cpu ?? 0,
    mntns: id.mntns ?? 4026531841, comm: id.comm,
  };
}

/** argv as the kernel lays it out: NUL-separated, cut at ARGS_LEN (flagged). */
function argvBytes(argv: (string | Uint8Array)[]): { args: Uint8Array; truncated: boolean } {
  const enc = new TextEncoder();
  const parts = argv.map((a) => (typeof a === 'string' ? enc.encode(a) : a));
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let at = 0;
  for (const p of parts) { joined.set(p, at); at += p.length + 1; }
  return { args: joined.subarray(0, Math.min(joined.length, ARGS_LEN)), truncated: joined.length > ARGS_LEN };
}

/** What the kernel adds to an exec (schema 2): the program's path and the cwd; by default the filename and /. */
export interface ExecTruth { exePath?: string | Uint8Array; cwd?: string | Uint8Array; exeDev?: number; oldTid?: number; exePathFlags?: number }

export function execRecord(id: Identity, filename: string | Uint8Array, argv: (string | Uint8Array)[], exeIno = 0n, truth: ExecTruth = {}): Uint8Array {
  const { args, truncated } = argvBytes(argv);
  const flags = (id.flags ?? 0) | (truncated ? EVENT_FLAG_ARGS_TRUNCATED : 0);
  return encodeRecord(EventKind.ProcessExec, {
    ...header({ ...id, flags }), argc: argv.length, args_size: args.length, exe_ino: exeIno,
    exe_dev: truth.exeDev ?? (254 << 20), old_tid: truth.oldTid ?? id.tid ?? id.pid,
    exe_path_flags: truth.exePathFlags ?? PATH_FLAG_FROM_FILE, cwd_flags: 0, reserved: 0,
    filename: clampPath(filename), exe_path: clampPath(truth.exePath ?? filename), cwd: clampPath(truth.cwd ?? '/'), args,
  });
}

export function execFailedRecord(id: Identity, filename: string, path: string, argv: string[], result: number, pathFlags = PATH_FLAG_DIR_ROOT): Uint8Array {
  const { args, truncated } = argvBytes(argv);
  return encodeRecord(EventKind.ExecFailed, {
    ...header({ ...id, flags: (id.flags ?? 0) | (truncated ? EVENT_FLAG_ARGS_TRUNCATED : 0) }),
    result, dirfd: -100, at_flags: 0, argc: argv.length, args_size: args.length, path_flags: pathFlags, call: SyscallCall.Execve,
    filename: clampPath(filename), path: clampPath(path), args,
  });
}

export function forkRecord(id: Identity, childPid: number): Uint8Array {
  return encodeRecord(EventKind.ProcessFork, { ...header(id), child_pid: childPid, child_tid: childPid });
}

/**
 * A process tree as deep as a traced host likes: `first` (a child of `firstPpid`) runs `exe`, then each
 * pid first + i forks first + i + 1 and exits (i < depth), all named `comm`, from `startTs` on; `tail`
 * gives the deepest process's own records (its identity, the next timestamp).
 */
export function forkChainRecords(first: number, depth: number, exe: string, startTs: bigint, tail: (deepest: Identity) => Uint8Array[], comm = 'chain',
  firstPpid = 1): Uint8Array[] {
  let ts = startTs;
  const records = [execRecord({ ts: ts++, pid: first, ppid: firstPpid, comm }, exe, [exe])];
  for (let i = 0; i < depth; i++) {
    const id = { pid: first + i, ppid: i === 0 ? firstPpid : first + i - 1, comm };
    records.push(forkRecord({ ...id, ts: ts++ }, first + i + 1));
    records.push(exitRecord({ ...id, ts: ts++ }, ts, 0));
  }
  records.push(...tail({ ts, pid: first + depth, ppid: first + depth - 1, comm }));
  return records;
}

export function exitRecord(id: Identity, startNs: bigint, exitCode: number, signal = 0): Uint8Array {
  return encodeRecord(EventKind.ProcessExit, { ...header(id), start_ns: startNs, exit_status: ((exitCode & 0xff) << 8) | signal, reserved: 0 });
}

/** What the kernel adds to an open (schema 2); by default the path as passed is the kernel's path too. */
export interface OpenTruth { pathArg?: string | Uint8Array; pathFlags?: number; ino?: bigint; dev?: number; call?: number }

export function openRecord(id: Identity, path: string | Uint8Array, openFlags: number, result: number, mode = 0, dirfd = -100, truth: OpenTruth = {}): Uint8Array {
  const absolute = (typeof path === 'string' ? path.charCodeAt(0) : path[0]) === 0x2f;
  const pathFlags = truth.pathFlags ?? (result >= 0 ? PATH_FLAG_FROM_FILE : absolute ? PATH_FLAG_DIR_ROOT : PATH_FLAG_DIR_CWD);
  return encodeRecord(EventKind.FileOpen, {
    ...header(id), open_flags: openFlags, mode, result, dirfd,
    ino: truth.ino ?? (result >= 0 ? 1000n + BigInt(result) : 0n), dev: truth.dev ?? (result >= 0 ? 254 << 20 : 0),
    path_flags: pathFlags, call: truth.call ?? SyscallCall.Openat, path: clampPath(path), path_arg: clampPath(truth.pathArg ?? path),
  });
}

export function connectRecord(id: Identity, family: number, addr: number[], port: number, result: number, fd = 3, addrFlags = 0): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes.set(addr);
  return encodeRecord(EventKind.NetConnect, {
    ...header(id), fd, result, family, port, protocol: 6, sock_type: 1, addr: bytes, addr_flags: addrFlags, call: SyscallCall.Connect, reserved: 0,
  });
}

export const ipv4 = (a: number, b: number, c: number, d: number) => ({ family: AF_INET, addr: [a, b, c, d] });
export const ipv6 = (groups: number[]) => ({ family: AF_INET6, addr: groups.flatMap((g) => [g >> 8, g & 0xff]) });

/** The kernel keeps at most PATH_LEN bytes, the last being NUL unless truncated. */
function clampPath(path: string | Uint8Array): Uint8Array {
  const bytes = typeof path === 'string' ? new TextEncoder().encode(path) : path;
  return bytes.subarray(0, PATH_LEN);
}

/** A shell's short life, one event of each common kind (exec, open, connect, exit) a millisecond apart from `t0`. */
export function shellSession(t0 = 1000_000000000n): Uint8Array[] {
  const id = (i: number): Identity => ({ ts: t0 + BigInt(i) * 1_000_000n, pid: 100, ppid: 1, comm: 'sh' });
  return [
    execRecord(id(0), '/bin/sh', ['sh', '-c', 'x']),
    openRecord(id(1), '/etc/passwd', 0, 3),
    connectRecord(id(2), 2, [10, 0, 0, 1], 4444, 0),
    exitRecord(id(3), t0, 0),
  ];
}
