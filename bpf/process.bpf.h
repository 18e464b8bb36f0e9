/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Process lifecycle: exec, fork and exit, from the sched_process_*
 * tracepoints (BTF-typed: their arguments are trusted pointers), and failed
 * execve/execveat from the raw sys_exit program (see rg.bpf.c).
 *
 * A process is a thread group: a fork that makes a thread is not recorded,
 * process_exit means the whole group is gone (not its main thread: a
 * pthread_exit() of main() leaves the process running), and an exec from a
 * non-main thread keeps the process (the kernel gives the thread the group's
 * pid and ends the old leader without ending the group).
 */
#ifndef RG_PROCESS_BPF_H
#define RG_PROCESS_BPF_H

#include "common.bpf.h"
#include "paths.bpf.h"

/* include/linux/sched/signal.h: signal_struct.flags bit of exit_group() or a fatal signal */
#define SIGNAL_GROUP_EXIT 0x00000004

/* ---- process: exec ------------------------------------------------------- */

/*
 * What the new program's fd `fd` (0: stdin, 1: stdout) is: its inode number
 * and file type (S_IFMT >> 12: 1 a pipe, 12 a socket, ...), or 0 and 0 when it
 * is not open. The two ends of one pipe have the same inode: `curl ... | sh`
 * is told from two programs that merely ran side by side.
 */
static __always_inline void stdio_of(struct task_struct *task, int fd, __u64 *ino, __u16 *type)
{
	*ino = 0;
	*type = 0;
	struct file *f = file_of_fd(task, fd);
	if (!f)
		return;
	struct inode *inode = f->f_inode;
	*ino = inode->i_ino;
	*type = (inode->i_mode & S_IFMT) >> 12;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_PROCESS_EXEC))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;

	/*
	 * What runs, from the kernel: mm->exe_file, set to the file exec opened
	 * (a script: its interpreter; /proc/self/fd/3: the file or memfd behind
	 * it), as /proc/PID/exe shows it; and the working directory.
	 */
	struct file *exe = p->mm->exe_file;
	__u16 exe_flags;
	__u32 exe_dev = 0;
	if (exe) {
		exe_flags = path_of_file(s->path.s, s, exe);
		exe_dev = exe->f_inode->i_sb->s_dev;
	} else {
		exe_flags = PATH_FLAG_UNRESOLVED;
		end_path(s->path.s, 0);
	}
	__u16 cwd_flags = path_of_fs_path(s->path2.s, s, &p->fs->pwd);

	struct rg_process_exec *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_EXEC, sizeof(*e), task);
	__builtin_memcpy(e->exe_path, s->path.s, sizeof(e->exe_path));
	__builtin_memcpy(e->cwd, s->path2.s, sizeof(e->cwd));
	e->exe_path_flags = exe_flags;
	e->cwd_flags = cwd_flags;
	e->exe_dev = exe_dev;
	e->old_tid = old_pid; /* the tid before exec: differs from pid when a non-main thread exec-ed */
	e->reserved = 0;
	stdio_of(task, 0, &e->stdin_ino, &e->stdin_type);
	stdio_of(task, 1, &e->stdout_ino, &e->stdout_type);
	e->stdio_reserved = 0;
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
		if (bpf_map_update_elem(&FOLLOWED, &child_tgid, &one, BPF_ANY) != 0)
			count_lost(); /* the child and its descendants go unrecorded: say so */
	}

	/*
	 * rg-capture forks nothing but the command, so that fork is the command's
	 * birth, not rg-capture's own activity: record it, or the command's root
	 * process would have no observed start.
	 */
	if (parent_tgid == cfg->self_tgid) {
		if (!(cfg->events_mask & (1ULL << RG_KIND_PROCESS_FORK)))
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
	/*
	 * The process ends when its last thread does: group_dead, the tracepoint's
	 * second argument since it has one (6.x: struct
	 * trace_event_raw_sched_process_exit gained the field with it); before,
	 * the group's live count, already decremented by this thread.
	 */
	struct trace_event_raw_sched_process_exit *tp = NULL;
	bool group_dead;
	if (bpf_core_field_exists(tp->group_dead))
		group_dead = ctx[1] != 0;
	else
		group_dead = p->signal->live.counter == 0;
	if (!group_dead)
		return 0; /* a thread, or the old leader of an exec from another thread */

	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	const struct rg_capture_config *cfg = get_config();
	if (cfg && wanted(cfg, tgid, RG_KIND_PROCESS_EXIT)) {
		struct rg_process_exit *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
		if (e) {
			fill_header(&e->hdr, RG_KIND_PROCESS_EXIT, sizeof(*e), task);
			struct task_struct *leader = p->group_leader;
			e->start_ns = leader->start_time;
			/* what wait(2) reports for the process (wait_task_zombie): the group's code, or the leader's */
			struct signal_struct *sig = p->signal;
			e->exit_status = (sig->flags & SIGNAL_GROUP_EXIT) ? sig->group_exit_code : leader->exit_code;
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

/* ---- process: failed execve / execveat (from sys_exit) ---------------------- */

/* Copying a failed exec's argv from user memory, one argument per bpf_loop() step. */
struct argv_state {
	__u64 argv;            /* user pointer to the pointer array */
	char *out;             /* scratch args[2 * ARGS_LEN] */
	__u32 pos;
	__u32 argc;
	__u16 flags;           /* EVENT_FLAG_* */
	bool compat;           /* 32-bit pointers */
};

static long argv_step(__u64 i, struct argv_state *a)
{
	__u64 arg = 0;
	long err = a->compat ? bpf_probe_read_user(&arg, 4, (const void *)(a->argv + i * 4))
			     : bpf_probe_read_user(&arg, 8, (const void *)(a->argv + i * 8));
	if (err != 0) {
		a->flags |= EVENT_FLAG_USER_READ_FAILED;
		return 1;
	}
	if (arg == 0)
		return 1;
	if (a->pos >= ARGS_LEN) {
		a->flags |= EVENT_FLAG_ARGS_TRUNCATED;
		return 1;
	}
	long n = bpf_probe_read_user_str(a->out + (a->pos & (ARGS_LEN - 1)), ARGS_LEN, (const void *)arg);
	if (n <= 0) {
		a->flags |= EVENT_FLAG_USER_READ_FAILED;
		return 1;
	}
	a->pos += n;
	a->argc++;
	return 0;
}

/* Most arguments of a failed exec read (each at least a NUL: ARGS_LEN bounds the bytes anyway). */
#define EXEC_FAILED_MAX_ARGS 128

/*
 * A failed execve/execveat: what an intruder tried to run. Nothing was
 * opened, so the name is resolved as a failed open's is (the directory from
 * the kernel, the name as passed joined to it); fexecve (AT_EMPTY_PATH with
 * an empty name) names the dirfd's file. Filename and argv are read from the
 * caller's memory at exit. A successful exec returns 0 here, in the new
 * program: handle_exec recorded it.
 */
static __noinline int exec_failed_exit(const struct syscall_exit *sc)
{
	if (sc->ret >= 0)
		return 0;
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_EXEC_FAILED))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;

	long dirfd = AT_FDCWD;
	__u32 at_flags = 0;
	const char *upath;
	__u64 argv;
	if (sc->call == RG_CALL_EXECVEAT) {
		dirfd = (int)syscall_arg(sc, 0);
		upath = (const char *)syscall_arg(sc, 1);
		argv = syscall_arg(sc, 2);
		at_flags = syscall_arg(sc, 4);
	} else {
		upath = (const char *)syscall_arg(sc, 0);
		argv = syscall_arg(sc, 1);
	}
	__u16 ev_flags = sc->compat ? EVENT_FLAG_COMPAT : 0;
	ev_flags |= read_user_path(s->arg.s, upath);
	__u16 path_flags;
	if (ev_flags & EVENT_FLAG_USER_READ_FAILED) {
		path_flags = PATH_FLAG_UNRESOLVED;
		end_path(s->path.s, 0);
	} else if (s->arg.s[0] == 0 && (at_flags & AT_EMPTY_PATH)) {
		struct file *f = file_of_fd(task, dirfd);
		if (f) {
			path_flags = PATH_FLAG_DIR_FD | path_of_file(s->path.s, s, f);
		} else {
			path_flags = PATH_FLAG_UNRESOLVED;
			end_path(s->path.s, 0);
		}
	} else {
		path_flags = path_of_dir_and_name(s, task, dirfd);
		/* joined from a name cut at PATH_LEN - 1 bytes: not the program's path, however it reads */
		if (ev_flags & EVENT_FLAG_FILENAME_TRUNCATED)
			path_flags |= PATH_FLAG_TRUNCATED;
	}
	struct argv_state a = { .argv = argv, .out = s->args, .compat = sc->compat };
	bpf_loop(EXEC_FAILED_MAX_ARGS, argv_step, &a, 0);
	__u32 args_size = a.pos;
	if (args_size > ARGS_LEN) {
		args_size = ARGS_LEN;
		a.flags |= EVENT_FLAG_ARGS_TRUNCATED;
	}

	struct rg_exec_failed *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_EXEC_FAILED, sizeof(*e), task);
	e->hdr.flags |= ev_flags | a.flags;
	__builtin_memcpy(e->filename, s->arg.s, sizeof(e->filename));
	__builtin_memcpy(e->path, s->path.s, sizeof(e->path));
	__builtin_memset(e->args, 0, sizeof(e->args));
	if (args_size >= ARGS_LEN)
		__builtin_memcpy(e->args, s->args, ARGS_LEN);
	else if (args_size > 0)
		bpf_probe_read_kernel(e->args, args_size, s->args);
	e->result = sc->ret;
	e->dirfd = dirfd;
	e->at_flags = at_flags;
	e->argc = a.argc;
	e->args_size = args_size;
	e->path_flags = path_flags;
	e->call = sc->call;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

#endif /* RG_PROCESS_BPF_H */
