// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * rand-guard kernel side: one CO-RE object, tracepoints only (fentry/fexit,
 * LSM and kprobes are not available on the capture hosts we target).
 *
 * Each handler reads top to bottom: get ids, filter, reserve, fill, submit.
 * Every byte of every record is written: records are evidence and must be
 * deterministic, and bpf_ringbuf_reserve() hands out uninitialised memory.
 * The record layouts live in rg_abi.h (GENERATED from src/abi, never edit).
 *
 * One file per hook family, included here so all of it stays one object:
 *   common.bpf.h    maps, config, the record header, lost counting, wake-ups, syscall arguments
 *   paths.bpf.h     paths from the kernel: of a file, of a fd, of a cwd, a failed call's name resolved
 *   process.bpf.h   exec, fork, exit (tracepoints) and failed execs (sys_exit)
 *   files.bpf.h     opens (sys_exit)
 *   file_changes.bpf.h  deletes, renames, links, mode/owner/size, mounts, memfd_create (sys_exit)
 *   privilege.bpf.h credentials (sys_exit, exec, fork, exit, an iterator), module and BPF loads (sys_exit)
 *   process_access.bpf.h  ptrace, process_vm_readv/writev, signals to another process (sys_exit)
 *   net.bpf.h       connects (sys_exit)
 *   sockets.bpf.h   bind, listen, accept, Unix sockets (sys_exit); TCP outcomes, UDP sends, DNS,
 *                   TCP Fast Open (sock and net tracepoints)
 *   io_uring.bpf.h  io_uring operations (submission and completion), io_uring_setup (sys_exit)
 *   syscall-map.h   syscall numbers (x86_64 and ia32) -> calls
 */
#include "common.bpf.h"
#include "paths.bpf.h"
#include "process.bpf.h"
#include "files.bpf.h"
#include "file_changes.bpf.h"
#include "privilege.bpf.h"
#include "process_access.bpf.h"
#include "net.bpf.h"
#include "sockets.bpf.h"
#include "io_uring.bpf.h"
#include "syscall-map.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL"; /* probe_read_user & co are GPL-only */

/* ---- the one syscall-exit program ------------------------------------------ */

/*
 * Every syscall recorded at its exit comes through this one program on the
 * raw sys_exit tracepoint, dispatched on the syscall number, instead of one
 * tp/syscalls/sys_exit_* program per syscall. Each per-syscall tracepoint
 * runs through the kernel's perf_syscall_exit() (perf buffer allocation, fake
 * regs, trace_call_bpf) before the program; the raw tracepoint calls the
 * program directly with the registers and the return value. The price: every
 * syscall of every process runs this program, which returns after one load
 * and a compare tree (maybe_recorded). Measured on a 2-core 6.18 VM, traced vs
 * untraced, paired rounds: openat loop +30.0% -> +27.4% against per-syscall
 * tracepoints; a getppid() loop +32% -> +52%: every other syscall pays
 * ~35 ns, the cost of running any program here (an empty one costs the same).
 *
 * Same point, same data as the sys_exit_* tracepoints: both hang off
 * trace_sys_exit(regs, ret) in syscall_exit_work(); regs is the task's saved
 * user registers (what bpf_task_pt_regs() returns), ret is regs->ax, and the
 * syscall number is regs->orig_ax, as syscall_get_nr() reads it.
 *
 * 32-bit (ia32) syscalls have their own numbers (which overlap x86_64's: 11
 * is execve there, munmap here) and argument registers. A task is in one
 * while TS_COMPAT is set in its thread_info.status (set at ia32 syscall
 * entry, cleared only on the return to user mode, after this tracepoint);
 * their records carry EVENT_FLAG_COMPAT. x32 syscalls (orig_ax with
 * __X32_SYSCALL_BIT) match no number here and are not recorded.
 *
 * Adding a syscall: its numbers in src/abi/syscalls.ts, a case in
 * syscall-map.h, a case below calling its handler.
 *
 * Stack: this program's frame is the largest of the handlers inlined into
 * it, and the verifier adds the frames of every call chain below it (a
 * path handler's path walk and its bpf_loop callback) against 512 bytes.
 * Kernels that give tracing programs a private stack skip that sum; others
 * do not (a 6.18.44 build here refused the object: "combined stack size of
 * 4 calls is 544"). So every handler with a large frame (open, connect, a
 * failed exec and the path handlers) is a subprogram of its own, never
 * inlined: this frame stays ~32 bytes, and an open pays one BPF-to-BPF call.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	if (!maybe_recorded(nr))
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	bool compat = (task->thread_info.status & TS_COMPAT) != 0;
	struct syscall_exit sc = {
		.task = task, .regs = regs, .ret = ret, .compat = compat,
		.call = call_of_syscall(nr, compat),
	};
	switch (sc.call) {
	case RG_CALL_OPEN:
	case RG_CALL_OPENAT:
	case RG_CALL_OPENAT2:
	case RG_CALL_CREAT:
	case RG_CALL_OPEN_BY_HANDLE_AT:
		return open_exit(&sc);
	case RG_CALL_CONNECT:
	case RG_CALL_SOCKETCALL:
		if (unix_connect_exit(&sc))
			return 0; /* an AF_UNIX socket: net_unix */
		return connect_exit(&sc);
	case RG_CALL_BIND:
		return net_bind_exit(&sc);
	case RG_CALL_LISTEN:
		return net_listen_exit(&sc);
	case RG_CALL_ACCEPT:
	case RG_CALL_ACCEPT4:
		return net_accept_exit(&sc);
	case RG_CALL_IO_URING_SETUP:
		return io_uring_setup_exit(&sc);
	case RG_CALL_EXECVE:
	case RG_CALL_EXECVEAT:
		return exec_failed_exit(&sc);
	/* path handlers are global functions (file_changes.bpf.h): numbers in, no pointers */
	case RG_CALL_UNLINK: case RG_CALL_UNLINKAT: case RG_CALL_RMDIR:
		return delete_exit(sc.call, ret, compat);
	case RG_CALL_RENAME: case RG_CALL_RENAMEAT: case RG_CALL_RENAMEAT2:
		return rename_exit(sc.call, ret, compat);
	case RG_CALL_LINK: case RG_CALL_LINKAT: case RG_CALL_SYMLINK: case RG_CALL_SYMLINKAT:
		return link_exit(sc.call, ret, compat);
	case RG_CALL_CHMOD: case RG_CALL_FCHMOD: case RG_CALL_FCHMODAT: case RG_CALL_FCHMODAT2:
		return chmod_exit(sc.call, ret, compat);
	case RG_CALL_CHOWN: case RG_CALL_CHOWN32: case RG_CALL_FCHOWN: case RG_CALL_FCHOWN32:
	case RG_CALL_LCHOWN: case RG_CALL_LCHOWN32: case RG_CALL_FCHOWNAT:
		return chown_exit(sc.call, ret, compat);
	case RG_CALL_TRUNCATE: case RG_CALL_FTRUNCATE: case RG_CALL_TRUNCATE64: case RG_CALL_FTRUNCATE64:
		return truncate_exit(sc.call, ret, compat);
	case RG_CALL_MOUNT: case RG_CALL_UMOUNT2: case RG_CALL_UMOUNT: case RG_CALL_MOVE_MOUNT: case RG_CALL_FSMOUNT:
		return mount_exit(sc.call, ret, compat);
	case RG_CALL_MEMFD_CREATE:
		return memfd_exit(&sc);
	case RG_CALL_PTRACE:
		return ptrace_exit(&sc);
	case RG_CALL_PROCESS_VM_READV: case RG_CALL_PROCESS_VM_WRITEV:
		return process_vm_exit(&sc);
	case RG_CALL_KILL: case RG_CALL_TKILL: case RG_CALL_TGKILL: case RG_CALL_PIDFD_SEND_SIGNAL:
		return signal_exit(&sc);
	case RG_CALL_INIT_MODULE: case RG_CALL_FINIT_MODULE: case RG_CALL_DELETE_MODULE:
		return module_exit(&sc);
	case RG_CALL_BPF:
		return bpf_load_exit(&sc);
	case RG_CALL_SETUID: case RG_CALL_SETUID32: case RG_CALL_SETGID: case RG_CALL_SETGID32:
	case RG_CALL_SETREUID: case RG_CALL_SETREUID32: case RG_CALL_SETREGID: case RG_CALL_SETREGID32:
	case RG_CALL_SETRESUID: case RG_CALL_SETRESUID32: case RG_CALL_SETRESGID: case RG_CALL_SETRESGID32:
	case RG_CALL_SETFSUID: case RG_CALL_SETFSUID32: case RG_CALL_SETFSGID: case RG_CALL_SETFSGID32:
	case RG_CALL_CAPSET:
		return cred_exit(&sc);
	default:
		return 0;
	}
}
