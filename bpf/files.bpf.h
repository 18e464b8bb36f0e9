/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * File opens (open, openat, openat2, creat, open_by_handle_at), from the raw
 * sys_exit program (see rg.bpf.c for the dispatch).
 *
 * Opens are recorded at sys_exit, with the arguments taken from the task's
 * saved user registers, and the name as passed is read after the kernel's
 * getname() has faulted its page in (at sys_enter bpf_probe_read_user() cannot
 * fault it in and fails).
 *
 * openat2 alone has a sys_enter program: its flags and mode are not in a
 * register but in the caller's struct open_how, which the kernel copies right
 * after sys_enter and another thread can rewrite any time after that. So the
 * struct is read at sys_enter (handle_openat2_enter, on the syscall's own
 * tracepoint so no other syscall runs a program) and carried to sys_exit per
 * thread (OPENAT2_HOW). At sys_exit it is checked against what is left to
 * check: the caller's struct read again, and the opened file (an O_TRUNC open
 * leaves a regular file empty; one without leaves an old file as it was,
 * which an empty file cannot show). A mismatch sets EVENT_FLAG_DISPUTED; a
 * value that could only be read at sys_exit sets EVENT_FLAG_FROM_USER_MEMORY.
 * Between sys_enter and the kernel's copy is a window of a few hundred ns
 * that nothing here can see into: the checks at exit are what covers it.
 *
 * What the record says was opened comes from the kernel, not from the
 * caller's memory (which another thread can rewrite while the syscall runs):
 * a successful open's path is walked from the struct file the returned fd
 * refers to; a failed open's directory is resolved in the kernel and joined
 * with the name as passed. The name as passed is kept too (path_arg).
 */
#ifndef RG_FILES_BPF_H
#define RG_FILES_BPF_H

#include "common.bpf.h"
#include "paths.bpf.h"

/* include/linux/fs.h: f_mode bit of a file this open created (stable since 4.19) */
#define FMODE_CREATED (1U << 20)
#define S_IFREG 0100000

/* openat2's open_how.flags and .mode as read at sys_enter, for sys_exit. */
struct openat2_how {
	__u64 how;   /* the open_how pointer it was read from: the exit checks it is the same call's */
	__u32 flags;
	__u32 mode;
	__u64 resolve; /* RESOLVE_*: RESOLVE_IN_ROOT makes "/" and ".." the dirfd's, which a join does not */
};

/*
 * Keyed by tid: one openat2 in flight per thread. LRU: an entry whose exit
 * was not seen (capture stopped) cannot fill the map; an evicted one makes
 * its exit read the struct itself (FROM_USER_MEMORY). 4096 threads blocked in
 * openat2 at once (on FIFOs) is far past what a host does.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct openat2_how);
} OPENAT2_HOW SEC(".maps");

/*
 * openat2(dirfd, path, how, size): read how->flags and how->mode before the
 * kernel copies them. The per-syscall tracepoint, not the raw sys_enter one:
 * a raw sys_enter program would run at every syscall of every process (~35 ns
 * each, rg.bpf.c); here other syscalls pay the tracepoint's bitmap test.
 * ia32 syscalls do not reach the per-syscall tracepoints (the kernel skips
 * compat calls there): theirs are read at exit.
 */
SEC("tp/syscalls/sys_enter_openat2")
int handle_openat2_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, id >> 32, RG_KIND_FILE_OPEN))
		return 0;
	struct openat2_how v = { .how = ctx->args[2] };
	struct open_how how = {};
	if (bpf_probe_read_user(&how, sizeof(how), (const void *)v.how) != 0)
		return 0; /* not resident: the exit reads it (the kernel's copy will have faulted it in) */
	v.flags = how.flags;
	v.mode = how.mode;
	v.resolve = how.resolve;
	__u32 tid = id;
	bpf_map_update_elem(&OPENAT2_HOW, &tid, &v, BPF_ANY);
	return 0;
}

/*
 * openat2's flags and mode: as read at sys_enter when that worked, else from
 * the caller's memory now (FROM_USER_MEMORY). Read again now either way: a
 * struct that changed during the call is DISPUTED (the kernel took one of the
 * values, and which is not known). Returns the header flags to add.
 */
static __always_inline __u16 openat2_how(const struct syscall_exit *sc, __u32 *flags, __u32 *mode, __u64 *resolve)
{
	__u64 uhow = syscall_arg(sc, 2);
	__u32 tid = bpf_get_current_pid_tgid();
	struct openat2_how *entry = bpf_map_lookup_elem(&OPENAT2_HOW, &tid);
	struct openat2_how at_entry = {};
	bool have_entry = false;
	if (entry) {
		at_entry = *entry;
		bpf_map_delete_elem(&OPENAT2_HOW, &tid);
		have_entry = at_entry.how == uhow;
	}
	struct open_how how = {};
	bool have_exit = bpf_probe_read_user(&how, sizeof(how), (const void *)uhow) == 0;
	if (have_entry) {
		*flags = at_entry.flags;
		*mode = at_entry.mode;
		*resolve = at_entry.resolve | (have_exit ? how.resolve : 0); /* either's RESOLVE_IN_ROOT counts */
		if (have_exit && ((__u32)how.flags != at_entry.flags || (__u32)how.mode != at_entry.mode))
			return EVENT_FLAG_DISPUTED;
		return 0;
	}
	if (!have_exit)
		return EVENT_FLAG_USER_READ_FAILED;
	*flags = how.flags;
	*mode = how.mode;
	*resolve = how.resolve;
	return EVENT_FLAG_FROM_USER_MEMORY;
}

/*
 * Does the file an openat2 opened fit its O_TRUNC? The kernel truncates an
 * existing regular file it opens with O_TRUNC (any access mode) and keeps no
 * trace of the flag (do_dentry_open clears it from f_flags): what is left is
 * the size. An O_TRUNC open of a file not empty at exit, or an open without
 * it of an old file found empty, does not fit (a write between the open and
 * this exit, or a file that was empty already, looks the same: DISPUTED says
 * the record cannot tell, not that it lied).
 */
static __always_inline bool trunc_fits(struct file *f, __u32 flags)
{
	if ((flags & O_PATH) || (f->f_inode->i_mode & S_IFMT) != S_IFREG || (f->f_mode & FMODE_CREATED))
		return true;
	bool empty = f->f_inode->i_size == 0;
	return (flags & O_TRUNC) ? empty : !empty;
}

/*
 * Was f opened the way this call asked? The fd is read from the table at
 * sys_exit, after fd_install(): another thread can close it and open
 * something else under the same number in between. A file whose access mode,
 * O_APPEND or O_PATH differ from the call's cannot be the one it opened.
 * (One opened with the same flags can: that is not detectable here.)
 */
static __always_inline bool opened_as_asked(struct file *f, __u32 flags)
{
	__u32 got = f->f_flags;
	if ((flags & O_PATH) || (got & O_PATH))
		return (flags & O_PATH) && (got & O_PATH);
	return (got & O_ACCMODE) == (flags & O_ACCMODE) && ((got ^ flags) & O_APPEND) == 0;
}

/*
 * The path of the file the call's fd refers to, into out (a path_buf or the
 * record's path field, followed by PATH_LEN bytes of slack), with its inode
 * and device. Returns the PATH_FLAG_* bits.
 */
static __always_inline __u16 opened_file_path(char *out, struct scratch *s, struct task_struct *task, long fd, __u32 flags,
					      __u64 *ino, __u32 *dev)
{
	struct file *f = file_of_fd(task, fd);
	if (!f) {
		end_path(out, 0);
		return PATH_FLAG_UNRESOLVED; /* another thread closed the fd before sys_exit */
	}
	__u16 path_flags = path_of_file(out, s, f);
	*ino = f->f_inode->i_ino;
	*dev = f->f_inode->i_sb->s_dev;
	if (!opened_as_asked(f, flags))
		path_flags |= PATH_FLAG_FD_REUSED;
	return path_flags;
}

/*
 * A failed open's path (or an io_uring open's recorded at submission): its directory joined with the name in
 * s->arg.s. With O_NOFOLLOW, or O_CREAT|O_EXCL, the kernel does not follow a symlink that is the name's last
 * component (the open fails instead), so that component makes the path no less the kernel's (not LEXICAL); a
 * name cut at PATH_LEN - 1 bytes makes a path that is not the file's (TRUNCATED), as for the other kinds.
 */
static __always_inline __u16 open_name_path(struct scratch *s, struct task_struct *task, long dirfd, __u32 flags, __u16 ev_flags, __u64 resolve)
{
	__u16 pf = path_of_dir_and_name(s, task, dirfd);
	if ((flags & O_NOFOLLOW) || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		pf = name_last_not_followed(s, pf);
	/* openat2 RESOLVE_IN_ROOT: the kernel takes "/" and ".." (and absolute symlinks) as the dirfd's, the join does not */
	if (resolve & RESOLVE_IN_ROOT)
		pf |= PATH_FLAG_LEXICAL;
	if (ev_flags & EVENT_FLAG_FILENAME_TRUNCATED)
		pf |= PATH_FLAG_TRUNCATED;
	return pf;
}

/* One open flavour at sys_exit: arguments, the kernel's path, filter, reserve, fill, submit. */
static __noinline int open_exit(const struct syscall_exit *sc)
{
	struct task_struct *task = sc->task;
	__u32 tgid = task->tgid;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;
	/* The readiness canary: rg-capture's own opens pass every filter while armed. */
	bool canary = tgid == cfg->self_tgid && cfg->canary_armed == 1;
	if (!canary && !wanted(cfg, tgid, RG_KIND_FILE_OPEN))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;

	const char *upath = NULL;
	long dirfd = AT_FDCWD;
	__u32 flags = 0, mode = 0;
	__u64 resolve = 0; /* openat2 only */
	__u16 ev_flags = sc->compat ? EVENT_FLAG_COMPAT : 0;
	switch (sc->call) {
	case RG_CALL_OPEN:
		upath = (const char *)syscall_arg(sc, 0);
		flags = syscall_arg(sc, 1);
		mode = syscall_arg(sc, 2);
		break;
	case RG_CALL_CREAT: /* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode) */
		upath = (const char *)syscall_arg(sc, 0);
		flags = O_CREAT | O_WRONLY | O_TRUNC;
		mode = syscall_arg(sc, 1);
		break;
	case RG_CALL_OPENAT:
		dirfd = (int)syscall_arg(sc, 0);
		upath = (const char *)syscall_arg(sc, 1);
		flags = syscall_arg(sc, 2);
		mode = syscall_arg(sc, 3);
		break;
	case RG_CALL_OPENAT2: {
		dirfd = (int)syscall_arg(sc, 0);
		upath = (const char *)syscall_arg(sc, 1);
		/* openat2's flags and mode are in user memory too (struct open_how): read at sys_enter */
		ev_flags |= EVENT_FLAG_OPENAT2 | openat2_how(sc, &flags, &mode, &resolve);
		break;
	}
	default: /* open_by_handle_at(mount_fd, handle, flags): no name; a failure names mount_fd's directory */
		dirfd = (int)syscall_arg(sc, 0);
		flags = syscall_arg(sc, 2);
		break;
	}

	/*
	 * The path: the opened file's, or a failed call's name resolved in the
	 * kernel. A filter judges it before ring space is taken, so it is built in
	 * scratch then; a successful open without a filter (the common case) is
	 * walked straight into the record, which saves a 256-byte copy.
	 */
	const struct rg_file_filter_config *filter = canary ? NULL : active_filter();
	bool direct = sc->ret >= 0 && !filter;
	__u16 path_flags = 0;
	__u64 ino = 0;
	__u32 dev = 0;
	bool arg_read = false;
	if (!direct) {
		if (sc->ret >= 0) {
			path_flags = opened_file_path(s->path.s, s, task, sc->ret, flags, &ino, &dev);
		} else {
			if (upath) {
				ev_flags |= read_user_path(s->arg.s, upath);
				arg_read = true;
			} else {
				end_path(s->arg.s, 0);
			}
			if (ev_flags & EVENT_FLAG_USER_READ_FAILED) {
				path_flags = PATH_FLAG_UNRESOLVED;
				end_path(s->path.s, 0);
			} else {
				path_flags = open_name_path(s, task, dirfd, flags, ev_flags, resolve);
			}
		}
		/* A failed open changed nothing: judged by its joined path even when lexical (most are) or cut. */
		if (filter && !filter_keeps(filter, s->path.s, sc->ret < 0 ? path_flags & ~(PATH_FLAG_LEXICAL | PATH_FLAG_TRUNCATED) : path_flags))
			return 0;
	}

	struct rg_file_open *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_FILE_OPEN, sizeof(*e), task);
	/* path_arg follows path: the slack a path walk may write past PATH_LEN (path_arg is written next) */
	_Static_assert(__builtin_offsetof(struct rg_file_open, path_arg) == __builtin_offsetof(struct rg_file_open, path) + PATH_LEN,
		       "file_open.path_arg must follow path");
	if (direct)
		path_flags = opened_file_path(e->path, s, task, sc->ret, flags, &ino, &dev);
	else
		__builtin_memcpy(e->path, s->path.s, sizeof(e->path));
	/* only openat2's flags can differ from what the kernel used (the others are registers) */
	if (sc->call == RG_CALL_OPENAT2 && sc->ret >= 0 && !(path_flags & (PATH_FLAG_UNRESOLVED | PATH_FLAG_FD_REUSED))) {
		struct file *f = file_of_fd(task, sc->ret);
		if (f && !trunc_fits(f, flags))
			ev_flags |= EVENT_FLAG_DISPUTED;
	}
	if (arg_read)
		__builtin_memcpy(e->path_arg, s->arg.s, sizeof(e->path_arg));
	else if (upath)
		ev_flags |= read_user_path(e->path_arg, upath);
	else
		__builtin_memset(e->path_arg, 0, sizeof(e->path_arg));
	e->hdr.flags |= ev_flags;
	e->open_flags = flags;
	e->mode = mode;
	e->result = sc->ret;
	e->dirfd = dirfd;
	e->ino = ino;
	e->dev = dev;
	e->path_flags = path_flags;
	e->call = sc->call;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

#endif /* RG_FILES_BPF_H */
