/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * One process reaching into another: ptrace, process_vm_readv/writev and
 * signals, from the raw sys_exit program (rg.bpf.c dispatches). The target is
 * looked up in the kernel, so the record names the process that was really
 * reached (its global tgid and comm), not only the number the caller passed.
 */
#ifndef RG_PROCESS_ACCESS_BPF_H
#define RG_PROCESS_ACCESS_BPF_H

#include "common.bpf.h"
#include "paths.bpf.h"

#define PTRACE_TRACEME 0
#define PID_FS_MAGIC 0x50494446 /* "PIDF": include/uapi/linux/magic.h */

/* Tasks by pid number: as the caller's pid namespace numbers them, and in the initial one (kfuncs). */
extern struct task_struct *bpf_task_from_vpid(s32 vpid) __ksym;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

/* Copies a task's comm, NUL-terminated and zero-padded (the kernel may leave stale bytes after the NUL). */
static __always_inline void copy_comm(char dst[COMM_LEN], const char *src)
{
	__builtin_memset(dst, 0, COMM_LEN);
	bpf_probe_read_kernel_str(dst, COMM_LEN, src);
}

/*
 * The target, by the pid number the caller passed (its namespace's) or, with
 * `global`, by the initial namespace's: its tgid and comm. Returns the status
 * to record: TARGET_RESOLVED, 0 when there is no such task (never was, or
 * reaped), or -1 when it is the caller itself (not one process acting on another).
 */
static __always_inline int resolve_target(struct task_struct *self, __s32 pid, bool global, __u32 *tgid, char comm[COMM_LEN])
{
	*tgid = 0;
	__builtin_memset(comm, 0, COMM_LEN);
	if (pid <= 0)
		return 0;
	struct task_struct *t = global ? bpf_task_from_pid(pid) : bpf_task_from_vpid(pid);
	if (!t)
		return 0;
	int status = -1;
	if (t->tgid != self->tgid) {
		*tgid = t->tgid;
		copy_comm(comm, t->comm);
		status = TARGET_RESOLVED;
	}
	bpf_task_release(t);
	return status;
}

/* ---- ptrace ------------------------------------------------------------- */

static __noinline int ptrace_exit(const struct syscall_exit *sc)
{
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_PROCESS_PTRACE))
		return 0;
	struct rg_process_ptrace *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_PTRACE, sizeof(*e), task);
	if (sc->compat)
		e->hdr.flags |= EVENT_FLAG_COMPAT;
	long request = (long)syscall_arg(sc, 0);
	e->request = request;
	e->target_pid = syscall_arg(sc, 1);
	e->result = sc->ret;
	e->addr = syscall_arg(sc, 2);
	e->data = syscall_arg(sc, 3);
	e->reserved = 0;
	if (request == PTRACE_TRACEME) {
		/* the pid argument is ignored: the tracer-to-be is the parent */
		struct task_struct *parent = task->real_parent;
		e->target_tgid = parent->tgid;
		copy_comm(e->target_comm, parent->comm);
		e->status = TARGET_RESOLVED;
	} else {
		int st = resolve_target(task, e->target_pid, false, &e->target_tgid, e->target_comm);
		e->status = st > 0 ? st : 0; /* a thread of its own process: recorded, with the target unresolved */
	}
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- process_vm_readv / process_vm_writev -------------------------------- */

static __noinline int process_vm_exit(const struct syscall_exit *sc)
{
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_PROCESS_VM))
		return 0;
	struct rg_process_vm *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_VM, sizeof(*e), task);
	if (sc->compat)
		e->hdr.flags |= EVENT_FLAG_COMPAT;
	e->call = sc->call;
	e->target_pid = syscall_arg(sc, 0);
	e->result = sc->ret;
	e->local_iovcnt = syscall_arg(sc, 2);
	e->remote_iovcnt = syscall_arg(sc, 4);
	e->reserved = 0;
	e->reserved2 = 0;
	/* The first remote iovec, as the caller left it: where in the target it read or wrote. */
	const void *riov = (const void *)syscall_arg(sc, 3);
	e->remote_addr = 0;
	e->remote_len = 0;
	if (e->remote_iovcnt > 0) {
		if (sc->compat) {
			__u32 iov[2] = {};
			if (bpf_probe_read_user(iov, sizeof(iov), riov) == 0) {
				e->remote_addr = iov[0];
				e->remote_len = iov[1];
			}
		} else {
			__u64 iov[2] = {};
			if (bpf_probe_read_user(iov, sizeof(iov), riov) == 0) {
				e->remote_addr = iov[0];
				e->remote_len = iov[1];
			}
		}
	}
	int st = resolve_target(task, e->target_pid, false, &e->target_tgid, e->target_comm);
	e->status = st > 0 ? st : 0;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- signals to another process ----------------------------------------- */

/* The pid number, in the initial namespace, of the process a pidfd refers to (0: not a pidfd). */
static __always_inline __s32 pidfd_global_pid(struct task_struct *task, int pidfd)
{
	struct file *file = file_of_fd(task, pidfd);
	if (!file)
		return 0;
	struct inode *inode = file->f_inode;
	/* pidfs (6.9+) keeps the struct pid in the inode; older anon-inode pidfds are not resolved here */
	if (inode->i_sb->s_magic != PID_FS_MAGIC)
		return 0;
	struct pid *pid = BPF_CORE_READ(inode, i_private);
	if (!pid)
		return 0;
	return BPF_CORE_READ(pid, numbers[0].nr);
}

/*
 * kill, tkill, tgkill, pidfd_send_signal: a signal to another process. A
 * process signalling itself (raise, abort, pthread_kill) is not recorded;
 * one to a process group (kill(0 or -pgrp), kill(-1)) is, without a target.
 */
static __noinline int signal_exit(const struct syscall_exit *sc)
{
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_PROCESS_SIGNAL))
		return 0;
	__s32 target_pid = syscall_arg(sc, 0);
	__s32 target_tid = 0;
	__u32 sig;
	if (sc->call == RG_CALL_TGKILL) {
		target_tid = syscall_arg(sc, 1);
		sig = syscall_arg(sc, 2);
	} else {
		sig = syscall_arg(sc, 1);
		if (sc->call == RG_CALL_TKILL)
			target_tid = target_pid;
	}
	__u32 target_tgid;
	char comm[COMM_LEN];
	int st;
	if (sc->call == RG_CALL_PIDFD_SEND_SIGNAL)
		st = resolve_target(task, pidfd_global_pid(task, target_pid), true, &target_tgid, comm);
	else
		st = resolve_target(task, target_tid > 0 ? target_tid : target_pid, false, &target_tgid, comm);
	if (st < 0)
		return 0;

	struct rg_process_signal *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_SIGNAL, sizeof(*e), task);
	if (sc->compat)
		e->hdr.flags |= EVENT_FLAG_COMPAT;
	e->call = sc->call;
	e->status = st;
	e->signal = sig;
	e->target_pid = target_pid;
	e->target_tid = target_tid;
	e->result = sc->ret;
	e->target_tgid = target_tgid;
	__builtin_memcpy(e->target_comm, comm, sizeof(comm));
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

#endif /* RG_PROCESS_ACCESS_BPF_H */
