// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * rand-guard kernel side: one CO-RE object, tracepoints only (fentry/fexit,
 * LSM and kprobes are not available on the capture hosts we target).
 *
 * Each handler reads top to bottom: get ids, filter, reserve, fill, submit.
 * Every byte of every record is written: records are evidence and must be
 * deterministic, and bpf_ringbuf_reserve() hands out uninitialised memory.
 * The record layouts live in rg_abi.h (GENERATED from src/abi, never edit).
 */
#include "common.bpf.h"
#include "process.bpf.h"
#include "files.bpf.h"
#include "net.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL"; /* probe_read_user & co are GPL-only */

/* ---- the one syscall-exit program ------------------------------------------ */

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
#define NR_open 2
#define NR_connect 42
#define NR_openat 257
#define NR_openat2 437
/* arch/x86/include/asm/thread_info.h: thread_info.status bit of a 32-bit (ia32) syscall in progress */
#define TS_COMPAT 0x0002

/*
 * Opens and connects come from one program on the raw sys_exit tracepoint,
 * dispatched on the syscall number, instead of one tp/syscalls/sys_exit_*
 * program per syscall. Each per-syscall tracepoint runs through the kernel's
 * perf_syscall_exit() (perf buffer allocation, fake regs, trace_call_bpf)
 * before the program; the raw tracepoint calls the program directly with the
 * registers and the return value. The price: every syscall of every process
 * now runs this program, which returns after two loads and a few compares.
 * Measured on a 2-core 6.18 VM, traced vs untraced, paired rounds: openat
 * loop +30.0% -> +27.4% (6 rounds; 31.4 -> 28.1 in 10 noisier ones; the
 * per-open BPF time is unchanged, ~360-390 ns, the saving is the kernel's);
 * fork/exec within noise of before (~36 syscalls per fork+exec+wait); but a
 * getppid() loop +32% -> +52%: every other syscall pays ~35 ns more, the
 * cost of running any program here (an empty one costs the same).
 *
 * Same point, same data as the sys_exit_* tracepoints: both hang off
 * trace_sys_exit(regs, ret) in syscall_exit_work(); regs is the task's saved
 * user registers (what bpf_task_pt_regs() returns), ret is regs->ax, and the
 * syscall number is regs->orig_ax, as syscall_get_nr() reads it.
 * 32-bit syscalls are skipped as those tracepoints skip them: on x86 their
 * trace_get_syscall_nr() reports -1 while in_32bit_syscall(), that is while
 * TS_COMPAT is set in current's thread_info.status (set at ia32 syscall entry,
 * cleared only on the return to user mode, after this tracepoint; ia32 numbers
 * overlap ours: 437 is openat2 there too, 42 is pipe) or orig_ax carries the
 * x32 bit (__X32_SYSCALL_BIT, never equal to the numbers compared here).
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	if (nr != NR_openat && nr != NR_open && nr != NR_openat2 && nr != NR_connect)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	if (task->thread_info.status & TS_COMPAT)
		return 0;
	if (nr == NR_openat)
		return open_exit(task, regs, ret, CALL_OPENAT);
	if (nr == NR_open)
		return open_exit(task, regs, ret, CALL_OPEN); /* legacy open(2): static and old binaries */
	if (nr == NR_openat2)
		return open_exit(task, regs, ret, CALL_OPENAT2);
	return connect_exit(task, regs, ret);
}
