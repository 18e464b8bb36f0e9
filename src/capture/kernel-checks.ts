/**
 * Pre-flight checks before loading the BPF object, each failing with one
 * CaptureSetupError line that says what is missing and how to fix it. Run
 * them in this order: privileges, BTF, tracefs (mounting needs privileges).
 */
import { existsSync, readFileSync } from 'node:fs';
import { CaptureSetupError, SetupExit } from './errors.js';
import { errnoText, getLibc, lastErrno } from './libc.js';

export const BTF_PATH = '/sys/kernel/btf/vmlinux';
export const TRACEFS_PATH = '/sys/kernel/tracing';
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/** Effective capability mask of this process, from /proc/self/status. */
export function effectiveCaps(status = readFileSync('/proc/self/status', 'utf8')): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m === null ? 0n : BigInt(`0x${m[1]}`);
}

/** True when root, or holding CAP_BPF and CAP_PERFMON (what loading and attaching tracepoints needs). */
export function hasBpfPrivileges(euid = process.geteuid?.() ?? -1, caps = effectiveCaps()): boolean {
  if (euid === 0) return true;
  const need = (1n << CAP_BPF) | (1n << CAP_PERFMON);
  return (caps & need) === need;
}

export function checkPrivileges(): void {
  if (!hasBpfPrivileges()) {
    throw new CaptureSetupError('needs root or CAP_BPF + CAP_PERFMON', SetupExit.NoPermission);
  }
}

/** CO-RE relocations need the running kernel's BTF. */
export function checkBtf(path = BTF_PATH): void {
  if (!existsSync(path)) {
    throw new CaptureSetupError(
      `no kernel BTF at ${path}: capture needs a kernel built with CONFIG_DEBUG_INFO_BTF=y`, SetupExit.Unavailable);
  }
}

/**
 * libbpf resolves `tp/` tracepoint ids through tracefs. Many minimal hosts do
 * not mount it; as root we mount it ourselves (mount(2) directly, so the
 * `mount` binary need not exist). Returns true if we mounted it.
 */
export function ensureTracefs(path = TRACEFS_PATH): boolean {
  if (existsSync(`${path}/events/syscalls`)) return false;
  if (process.geteuid?.() !== 0) {
    throw new CaptureSetupError(
      `tracefs is not mounted at ${path}: run \`mount -t tracefs nodev ${path}\` as root`, SetupExit.Unavailable);
  }
  if (getLibc().mount('nodev', path, 'tracefs', 0, null) !== 0) {
    const errno = lastErrno();
    throw new CaptureSetupError(`cannot mount tracefs at ${path}: ${errnoText(errno)}`, SetupExit.Unavailable);
  }
  if (!existsSync(`${path}/events/syscalls`)) {
    throw new CaptureSetupError(
      `tracefs at ${path} has no syscall events: the kernel needs CONFIG_FTRACE_SYSCALLS=y`, SetupExit.Unavailable);
  }
  return true;
}

/** All pre-flight checks; throws the first failure. */
export function runKernelChecks(): { mountedTracefs: boolean } {
  checkPrivileges();
  checkBtf();
  return { mountedTracefs: ensureTracefs() };
}
