/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Process lifecycle: exec, fork and exit, from the sched_process_*
 * tracepoints (BTF-typed: their arguments are trusted pointers).
 */
#ifndef RG_PROCESS_BPF_H
#define RG_PROCESS_BPF_H

#include "common.bpf.h"

/* ---- process: exec ------------------------------------------------------- */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_PROCESS_EXEC))
		return 0;

	struct rg_process_exec *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_EXEC, sizeof(*e), task);
	__builtin_memset(e->filename, 0, sizeof(e->filename));
	__builtin_memset(e->args, 0, sizeof(e->args));
	/* p and bprm are trusted BTF arguments: direct (CO-RE relocated, fault-safe) loads, no helper per hop. */
	e->argc = bprm->argc;

	struct inode *inode = bprm->file->f_inode;
	e->exe_ino = inode->i_ino;
	if (inode->i_nlink == 0)
		e->hdr.flags |= EVENT_FLAG_EXE_DELETED;

	/* A return of PATH_LEN means "filled the buffer": it was cut only if more bytes follow. */
	const char *filename = bprm->filename;
	long n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
	if (n == PATH_LEN) {
		char next = 0;
		bpf_probe_read_kernel(&next, 1, filename + PATH_LEN - 1);
		if (next != 0)
			e->hdr.flags |= EVENT_FLAG_FILENAME_TRUNCATED;
	} else if (n < 0) {
		__builtin_memset(e->filename, 0, sizeof(e->filename));
	}

	/*
	 * The new argv sits between mm->arg_start and arg_end of the new image. No
	 * retry as for opens: exec's copy_strings() has just written these pages
	 * through get_user_pages(), so they are resident (0 failures in 3000 execs).
	 */
	struct mm_struct *mm = p->mm;
	unsigned long start = mm->arg_start;
	unsigned long end = mm->arg_end;
	__u64 len = end > start ? end - start : 0;
	if (len > ARGS_LEN) {
		len = ARGS_LEN;
		e->hdr.flags |= EVENT_FLAG_ARGS_TRUNCATED;
	}
	e->args_size = 0;
	if (len > 0) {
		if (bpf_probe_read_user(e->args, len, (const void *)start) == 0) {
			e->args_size = len;
		} else {
			/* the helper zeroes the buffer on failure; say so rather than emit garbage */
			e->hdr.flags |= EVENT_FLAG_USER_READ_FAILED;
		}
	}
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- process: fork ------------------------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 child_pid = child->pid;
	__u32 child_tgid = child->tgid;
	if (child_pid != child_tgid)
		return 0; /* a new thread, not a new process */

	struct task_struct *task = bpf_get_current_task_btf();
	__u32 parent_tgid = task->tgid;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;
	/*
	 * Propagate follow before any other filter, so descendants are never missed.
	 * rg-capture forks nothing but the command, so its children are followed
	 * from the fork on: user space learns the pid only after the child may
	 * already have exec'd, too late for the command's first exec and opens.
	 */
	if (cfg->follow == 1 &&
	    (parent_tgid == cfg->self_tgid || bpf_map_lookup_elem(&FOLLOWED, &parent_tgid))) {
		__u8 one = 1;
		bpf_map_update_elem(&FOLLOWED, &child_tgid, &one, BPF_ANY);
	}

	/*
	 * rg-capture forks nothing but the command, so that fork is the command's
	 * birth, not rg-capture's own activity: record it, or the command's root
	 * process would have no observed start.
	 */
	if (parent_tgid == cfg->self_tgid) {
		if (!(cfg->events_mask & (1U << RG_KIND_PROCESS_FORK)))
			return 0;
	} else if (!wanted(cfg, parent_tgid, RG_KIND_PROCESS_FORK)) {
		return 0;
	}

	struct rg_process_fork *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_FORK, sizeof(*e), task);
	e->child_pid = child_tgid;
	e->child_tid = child_pid;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- process: exit ------------------------------------------------------- */

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	if (task->pid != tgid)
		return 0; /* only the thread-group leader ends the process */

	const struct rg_capture_config *cfg = get_config();
	if (cfg && wanted(cfg, tgid, RG_KIND_PROCESS_EXIT)) {
		struct rg_process_exit *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
		if (e) {
			fill_header(&e->hdr, RG_KIND_PROCESS_EXIT, sizeof(*e), task);
			e->start_ns = p->start_time;
			e->exit_status = p->exit_code; /* set by do_exit before this tracepoint */
			e->reserved = 0;
			bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
		} else {
			count_lost();
		}
	}
	/* After the emit: the follow check above still needs the entry. */
	bpf_map_delete_elem(&FOLLOWED, &tgid);
	return 0;
}

#endif /* RG_PROCESS_BPF_H */
