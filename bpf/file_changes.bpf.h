/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What is done to files and mounts besides opening them: deletes, renames,
 * links, mode, owner and size changes, mounts, memfd_create. From the raw
 * sys_exit program (rg.bpf.c dispatches), arguments from the saved registers.
 *
 * Every path is absolute and made in the kernel (paths.bpf.h): a name the
 * call was given is resolved against the directory the kernel resolved it
 * against (its root, cwd, or the dirfd's file) and joined lexically; an fd
 * (fchmod, fchown, ftruncate, AT_EMPTY_PATH) names its file's own path. The
 * name as passed is kept beside it (*_arg). At sys_exit a deleted or renamed
 * name no longer leads to a file, so even a successful call's path is the
 * directory's and the name's, not a file's: a symlink in the middle of the
 * name, or at its end for a call that follows it (chmod, truncate), is not
 * followed (PATH_FLAG_DIR_* says so, never PATH_FLAG_FROM_FILE, and
 * PATH_FLAG_LEXICAL when the name could hold such a symlink). A name cut at
 * PATH_LEN - 1 bytes makes a path that is not the file's at all (a ".." past
 * the cut goes up): PATH_FLAG_TRUNCATED.
 */
#ifndef RG_FILE_CHANGES_BPF_H
#define RG_FILE_CHANGES_BPF_H

#include "common.bpf.h"
#include "paths.bpf.h"

#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define UMOUNT_NOFOLLOW 0x8
#define MOVE_MOUNT_F_SYMLINKS 0x01
#define MOVE_MOUNT_T_SYMLINKS 0x10
#define MS_BIND 0x1000
#define MOVE_MOUNT_F_EMPTY_PATH 0x04
#define MOVE_MOUNT_T_EMPTY_PATH 0x40

/*
 * The name in s->arg.s of this CPU's scratch resolved into s->path.s: joined
 * with the directory the kernel resolves it against, or (empty_means_fd and
 * an empty name) the dirfd's own file. follows_last: the call follows a
 * symlink that is the name's last component (chmod, truncate; not unlink,
 * rename). cut: the name was cut at PATH_LEN - 1 bytes. Returns the
 * PATH_FLAG_* bits. A global function: the verifier checks its path walks
 * once, not once per caller (a rename resolves two names; io_uring's
 * operations resolve the names io_uring copied, io_uring.bpf.h).
 */
__attribute__((noinline)) int resolve_copied_name(long dirfd, int empty_means_fd, int follows_last, int cut)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct scratch *s = get_scratch();
	if (!s)
		return PATH_FLAG_UNRESOLVED;
	if (!(empty_means_fd && s->arg.s[0] == 0)) {
		__u16 pf = path_of_dir_and_name(s, task, dirfd);
		if (!follows_last)
			pf = name_last_not_followed(s, pf);
		/* the join saw only the name's first PATH_LEN - 1 bytes: never present it as the file's path */
		if (cut)
			pf |= PATH_FLAG_TRUNCATED;
		return pf;
	}
	struct file *f = file_of_fd(task, dirfd);
	if (!f) {
		end_path(s->path.s, 0);
		return PATH_FLAG_UNRESOLVED;
	}
	return path_of_file(s->path.s, s, f);
}

/*
 * The name as passed (user memory) into s->arg.s of this CPU's scratch and
 * its resolved path into s->path.s (resolve_copied_name); an fd-only call
 * (uname 0) is the dirfd's own file. Returns the PATH_FLAG_* bits, and the
 * read's EVENT_FLAG_FILENAME_TRUNCATED or _USER_READ_FAILED shifted left by 16.
 */
__attribute__((noinline)) int resolve_name(long dirfd, unsigned long uname, int empty_means_fd, int follows_last)
{
	struct scratch *s = get_scratch();
	if (!s)
		return PATH_FLAG_UNRESOLVED;
	__u16 rf = 0;
	if (uname) {
		rf = read_user_path(s->arg.s, (const char *)uname);
		if (rf & EVENT_FLAG_USER_READ_FAILED) {
			end_path(s->arg.s, 0);
			end_path(s->path.s, 0);
			return PATH_FLAG_UNRESOLVED | (rf << 16);
		}
	} else {
		end_path(s->arg.s, 0);
		empty_means_fd = 1;
	}
	return resolve_copied_name(dirfd, empty_means_fd, follows_last, (rf & EVENT_FLAG_FILENAME_TRUNCATED) != 0) | (rf << 16);
}

/* Resolves a name (resolve_name) and adds its read flags to *ev as the caller's header bits. */
static __always_inline __u16 resolve(long dirfd, const char *uname, bool empty_means_fd, bool follows_last, __u16 *ev, __u16 trunc_bit, __u16 unread_bit)
{
	int r = resolve_name(dirfd, (unsigned long)uname, empty_means_fd, follows_last);
	__u16 rf = r >> 16;
	if (rf & EVENT_FLAG_FILENAME_TRUNCATED)
		*ev |= trunc_bit;
	if (rf & EVENT_FLAG_USER_READ_FAILED)
		*ev |= unread_bit;
	return r & 0xffff;
}

/*
 * The handlers below are global functions: the verifier checks each once, on
 * its own, instead of once per path through the one sys_exit program (their
 * path walks made that exceed its 1M-instruction budget). So they take only
 * numbers and find the task and its saved registers again.
 */
static __always_inline struct syscall_exit syscall_exit_of(long call, long ret, int compat)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct syscall_exit sc = {
		.task = task, .regs = (struct pt_regs *)bpf_task_pt_regs(task), .ret = ret, .call = call, .compat = compat != 0,
	};
	return sc;
}

/* With --watch-prefix, does this path pass? (true without a filter; filter_keeps, paths.bpf.h) */
static __always_inline bool path_wanted(const char *path, __u16 path_flags)
{
	const struct rg_file_filter_config *filter = active_filter();
	return !filter || filter_keeps(filter, path, path_flags);
}

/* ---- delete: unlink, unlinkat, rmdir ----------------------------------------- */

/* A delete's record from the path and name in scratch (s->path.s, s->arg.s); also io_uring's UNLINKAT. */
static __always_inline int emit_delete(struct task_struct *task, const struct rg_capture_config *cfg, const struct scratch *s,
				       __u16 call, __u16 ev, __u16 pf, int res, int dirfd, __u32 at_flags)
{
	struct rg_file_delete *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_FILE_DELETE, sizeof(*e), task);
	e->hdr.flags |= ev;
	e->call = call;
	e->path_flags = pf;
	e->result = res;
	e->dirfd = dirfd;
	e->at_flags = at_flags;
	e->status = call == RG_CALL_RMDIR || (at_flags & AT_REMOVEDIR) ? DELETE_DIRECTORY : 0;
	__builtin_memcpy(e->path, s->path.s, PATH_LEN);
	__builtin_memcpy(e->path_arg, s->arg.s, PATH_LEN);
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

__attribute__((noinline)) int delete_exit(long call, long ret, int compat)
{
	struct syscall_exit exit = syscall_exit_of(call, ret, compat);
	const struct syscall_exit *sc = &exit;
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_FILE_DELETE))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	long dirfd = AT_FDCWD;
	__u32 at_flags = 0;
	const char *uname;
	if (sc->call == RG_CALL_UNLINKAT) {
		dirfd = (int)syscall_arg(sc, 0);
		uname = (const char *)syscall_arg(sc, 1);
		at_flags = syscall_arg(sc, 2);
	} else {
		uname = (const char *)syscall_arg(sc, 0);
	}
	__u16 ev = sc->compat ? EVENT_FLAG_COMPAT : 0;
	__u16 pf = resolve(dirfd, uname, false, false, &ev, EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_USER_READ_FAILED);
	if (!path_wanted(s->path.s, pf))
		return 0;
	return emit_delete(task, cfg, s, sc->call, ev, pf, sc->ret, dirfd, at_flags);
}

/* ---- mode, owner, size: chmod, chown, truncate families -------------------- */

/* Which argument holds what, per call: the fd-or-dirfd, the name (or none), the at-flags (or none). */
struct attr_args {
	long dirfd;
	const char *uname;
	__u32 at_flags;
	bool fd_only;     /* fchmod, fchown, ftruncate */
	bool empty_is_fd; /* the *at calls with AT_EMPTY_PATH */
};

__attribute__((noinline)) int chmod_exit(long call, long ret, int compat)
{
	struct syscall_exit exit = syscall_exit_of(call, ret, compat);
	const struct syscall_exit *sc = &exit;
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_FILE_CHMOD))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	long dirfd = AT_FDCWD;
	const char *uname = NULL;
	__u32 mode, at_flags = 0;
	switch (sc->call) {
	case RG_CALL_CHMOD:
		uname = (const char *)syscall_arg(sc, 0);
		mode = syscall_arg(sc, 1);
		break;
	case RG_CALL_FCHMOD:
		dirfd = (int)syscall_arg(sc, 0);
		mode = syscall_arg(sc, 1);
		break;
	default: /* fchmodat(dirfd, name, mode), fchmodat2(dirfd, name, mode, flags) */
		dirfd = (int)syscall_arg(sc, 0);
		uname = (const char *)syscall_arg(sc, 1);
		mode = syscall_arg(sc, 2);
		if (sc->call == RG_CALL_FCHMODAT2)
			at_flags = syscall_arg(sc, 3);
		break;
	}
	__u16 ev = sc->compat ? EVENT_FLAG_COMPAT : 0;
	/* chmod and fchmodat follow a symlink at the end of the name; fchmodat2 unless AT_SYMLINK_NOFOLLOW */
	__u16 pf = resolve(dirfd, uname, (at_flags & AT_EMPTY_PATH) != 0, !(at_flags & AT_SYMLINK_NOFOLLOW), &ev,
			   EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_USER_READ_FAILED);
	if (!path_wanted(s->path.s, pf))
		return 0;
	struct rg_file_chmod *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_FILE_CHMOD, sizeof(*e), task);
	e->hdr.flags |= ev;
	e->call = sc->call;
	e->path_flags = pf;
	e->result = sc->ret;
	e->dirfd = dirfd;
	e->mode = mode;
	e->at_flags = at_flags;
	e->reserved = 0;
	__builtin_memcpy(e->path, s->path.s, PATH_LEN);
	__builtin_memcpy(e->path_arg, s->arg.s, PATH_LEN);
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

__attribute__((noinline)) int chown_exit(long call, long ret, int compat)
{
	struct syscall_exit exit = syscall_exit_of(call, ret, compat);
	const struct syscall_exit *sc = &exit;
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_FILE_CHOWN))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	long dirfd = AT_FDCWD;
	const char *uname = NULL;
	__u32 uid, gid, at_flags = 0;
	/* on ia32 chown, fchown and lchown take 16-bit ids (0xffff: unchanged), their 32 twins full ones */
	bool id16 = sc->compat && (sc->call == RG_CALL_CHOWN || sc->call == RG_CALL_FCHOWN || sc->call == RG_CALL_LCHOWN);
	switch (sc->call) {
	case RG_CALL_FCHOWN:
	case RG_CALL_FCHOWN32:
		dirfd = (int)syscall_arg(sc, 0);
		uid = syscall_arg(sc, 1);
		gid = syscall_arg(sc, 2);
		break;
	case RG_CALL_FCHOWNAT:
		dirfd = (int)syscall_arg(sc, 0);
		uname = (const char *)syscall_arg(sc, 1);
		uid = syscall_arg(sc, 2);
		gid = syscall_arg(sc, 3);
		at_flags = syscall_arg(sc, 4);
		break;
	default: /* chown, lchown and their 32 twins (lchown: as AT_SYMLINK_NOFOLLOW) */
		uname = (const char *)syscall_arg(sc, 0);
		uid = syscall_arg(sc, 1);
		gid = syscall_arg(sc, 2);
		break;
	}
	if (id16) {
		uid = (uid & 0xffff) == 0xffff ? 0xffffffff : uid & 0xffff;
		gid = (gid & 0xffff) == 0xffff ? 0xffffffff : gid & 0xffff;
	}
	__u16 ev = sc->compat ? EVENT_FLAG_COMPAT : 0;
	/* lchown (and lchown32) and fchownat with AT_SYMLINK_NOFOLLOW change a symlink itself */
	bool follows = !(at_flags & AT_SYMLINK_NOFOLLOW) && sc->call != RG_CALL_LCHOWN && sc->call != RG_CALL_LCHOWN32;
	__u16 pf = resolve(dirfd, uname, (at_flags & AT_EMPTY_PATH) != 0, follows, &ev, EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_USER_READ_FAILED);
	if (!path_wanted(s->path.s, pf))
		return 0;
	struct rg_file_chown *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_FILE_CHOWN, sizeof(*e), task);
	e->hdr.flags |= ev;
	e->call = sc->call;
	e->path_flags = pf;
	e->result = sc->ret;
	e->dirfd = dirfd;
	e->owner_uid = uid;
	e->owner_gid = gid;
	e->at_flags = at_flags;
	__builtin_memcpy(e->path, s->path.s, PATH_LEN);
	__builtin_memcpy(e->path_arg, s->arg.s, PATH_LEN);
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* A truncate's record from the path and name in scratch (s->path.s, s->arg.s); also io_uring's FTRUNCATE. */
static __always_inline int emit_truncate(struct task_struct *task, const struct rg_capture_config *cfg, const struct scratch *s,
					 __u16 call, __u16 ev, __u16 pf, int res, int fd, __u64 length)
{
	struct rg_file_truncate *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_FILE_TRUNCATE, sizeof(*e), task);
	e->hdr.flags |= ev;
	e->call = call;
	e->path_flags = pf;
	e->result = res;
	e->fd = fd;
	e->reserved = 0;
	e->length = length;
	__builtin_memcpy(e->path, s->path.s, PATH_LEN);
	__builtin_memcpy(e->path_arg, s->arg.s, PATH_LEN);
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

__attribute__((noinline)) int truncate_exit(long call, long ret, int compat)
{
	struct syscall_exit exit = syscall_exit_of(call, ret, compat);
	const struct syscall_exit *sc = &exit;
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_FILE_TRUNCATE))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	bool by_fd = sc->call == RG_CALL_FTRUNCATE || sc->call == RG_CALL_FTRUNCATE64;
	long fd = by_fd ? (int)syscall_arg(sc, 0) : AT_FDCWD;
	const char *uname = by_fd ? NULL : (const char *)syscall_arg(sc, 0);
	__u16 ev = sc->compat ? EVENT_FLAG_COMPAT : 0;
	__u16 pf = resolve(fd, uname, false, true, &ev, EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_USER_READ_FAILED);
	if (!path_wanted(s->path.s, pf))
		return 0;
	/* ia32's truncate64 and ftruncate64 pass the length in two registers, low half first */
	bool split = sc->call == RG_CALL_TRUNCATE64 || sc->call == RG_CALL_FTRUNCATE64;
	__u64 length = split ? (syscall_arg(sc, 1) | (__u64)syscall_arg(sc, 2) << 32) : syscall_arg(sc, 1);
	return emit_truncate(task, cfg, s, sc->call, ev, pf, sc->ret, by_fd ? fd : -1, length);
}

/* ---- two names: rename, link -------------------------------------------------- */

/*
 * Two paths do not fit the scratch space side by side, so these take ring
 * space first and resolve each name straight into the record. With
 * --watch-prefix, a record neither of whose paths passes is discarded; one
 * the full ring refused is counted lost even if the filter would have dropped it.
 */

/* A rename's record, its paths already in it: discarded unless `keep` (the filter passed a path), else finished and submitted. */
static __always_inline int submit_rename(struct rg_file_rename *e, bool keep, struct task_struct *task, const struct rg_capture_config *cfg,
					 __u16 call, __u16 ev, int res, int old_dirfd, int new_dirfd, __u32 flags)
{
	if (!keep) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_FILE_RENAME, sizeof(*e), task);
	e->hdr.flags |= ev;
	e->call = call;
	e->reserved = 0;
	e->result = res;
	e->old_dirfd = old_dirfd;
	e->new_dirfd = new_dirfd;
	e->rename_flags = flags;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* A link's record, its paths already in it: as submit_rename. */
static __always_inline int submit_link(struct rg_file_link *e, bool keep, struct task_struct *task, const struct rg_capture_config *cfg,
				       __u16 call, __u16 ev, bool symbolic, int res, int old_dirfd, int new_dirfd, __u32 flags)
{
	if (!keep) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_FILE_LINK, sizeof(*e), task);
	e->hdr.flags |= ev;
	e->call = call;
	e->status = symbolic ? LINK_SYMBOLIC : 0;
	e->result = res;
	e->old_dirfd = old_dirfd;
	e->new_dirfd = new_dirfd;
	e->at_flags = flags;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}
__attribute__((noinline)) int rename_exit(long call, long ret, int compat)
{
	struct syscall_exit exit = syscall_exit_of(call, ret, compat);
	const struct syscall_exit *sc = &exit;
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_FILE_RENAME))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	long old_dirfd = AT_FDCWD, new_dirfd = AT_FDCWD;
	const char *old_name, *new_name;
	__u32 flags = 0;
	if (sc->call == RG_CALL_RENAME) {
		old_name = (const char *)syscall_arg(sc, 0);
		new_name = (const char *)syscall_arg(sc, 1);
	} else {
		old_dirfd = (int)syscall_arg(sc, 0);
		old_name = (const char *)syscall_arg(sc, 1);
		new_dirfd = (int)syscall_arg(sc, 2);
		new_name = (const char *)syscall_arg(sc, 3);
		if (sc->call == RG_CALL_RENAMEAT2)
			flags = syscall_arg(sc, 4);
	}
	struct rg_file_rename *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__u16 ev = sc->compat ? EVENT_FLAG_COMPAT : 0;
	e->old_path_flags = resolve(old_dirfd, old_name, false, false, &ev, EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_USER_READ_FAILED);
	bool keep = path_wanted(s->path.s, e->old_path_flags);
	__builtin_memcpy(e->old_path, s->path.s, PATH_LEN);
	__builtin_memcpy(e->old_path_arg, s->arg.s, PATH_LEN);
	e->new_path_flags = resolve(new_dirfd, new_name, false, false, &ev, EVENT_FLAG_ARG2_TRUNCATED, EVENT_FLAG_ARG2_UNREADABLE);
	keep = keep || path_wanted(s->path.s, e->new_path_flags);
	__builtin_memcpy(e->new_path, s->path.s, PATH_LEN);
	__builtin_memcpy(e->new_path_arg, s->arg.s, PATH_LEN);
	return submit_rename(e, keep, task, cfg, sc->call, ev, sc->ret, old_dirfd, new_dirfd, flags);
}

/*
 * link, linkat: the target is an existing file, resolved like any name (or the
 * fd's file: linkat(fd, "", ..., AT_EMPTY_PATH), how an O_TMPFILE file gets a
 * name). symlink, symlinkat: the target is text stored in the link, recorded
 * as passed and never resolved (target and target_arg are the same).
 */
__attribute__((noinline)) int link_exit(long call, long ret, int compat)
{
	struct syscall_exit exit = syscall_exit_of(call, ret, compat);
	const struct syscall_exit *sc = &exit;
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_FILE_LINK))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	long old_dirfd = AT_FDCWD, new_dirfd = AT_FDCWD;
	const char *target, *new_name;
	__u32 flags = 0;
	bool symbolic = sc->call == RG_CALL_SYMLINK || sc->call == RG_CALL_SYMLINKAT;
	switch (sc->call) {
	case RG_CALL_LINKAT:
		old_dirfd = (int)syscall_arg(sc, 0);
		target = (const char *)syscall_arg(sc, 1);
		new_dirfd = (int)syscall_arg(sc, 2);
		new_name = (const char *)syscall_arg(sc, 3);
		flags = syscall_arg(sc, 4);
		break;
	case RG_CALL_SYMLINKAT:
		target = (const char *)syscall_arg(sc, 0);
		new_dirfd = (int)syscall_arg(sc, 1);
		new_name = (const char *)syscall_arg(sc, 2);
		break;
	default: /* link, symlink */
		target = (const char *)syscall_arg(sc, 0);
		new_name = (const char *)syscall_arg(sc, 1);
		break;
	}
	struct rg_file_link *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__u16 ev = sc->compat ? EVENT_FLAG_COMPAT : 0;
	bool keep;
	if (symbolic) {
		ev |= read_user_path(e->target_arg, target);
		__builtin_memcpy(e->target, e->target_arg, PATH_LEN);
		e->target_flags = 0;
		keep = false; /* a symlink's text names nothing the filter can judge */
	} else {
		/* link() does not follow a symlink target (since Linux 2.0); linkat() with AT_SYMLINK_FOLLOW does */
		e->target_flags = resolve(old_dirfd, target, (flags & AT_EMPTY_PATH) != 0, (flags & AT_SYMLINK_FOLLOW) != 0, &ev,
					       EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_USER_READ_FAILED);
		keep = path_wanted(s->path.s, e->target_flags);
		__builtin_memcpy(e->target, s->path.s, PATH_LEN);
		__builtin_memcpy(e->target_arg, s->arg.s, PATH_LEN);
	}
	e->new_path_flags = resolve(new_dirfd, new_name, false, false, &ev, EVENT_FLAG_ARG2_TRUNCATED, EVENT_FLAG_ARG2_UNREADABLE);
	keep = keep || path_wanted(s->path.s, e->new_path_flags);
	__builtin_memcpy(e->new_path, s->path.s, PATH_LEN);
	__builtin_memcpy(e->new_path_arg, s->arg.s, PATH_LEN);
	return submit_link(e, keep, task, cfg, sc->call, ev, symbolic, sc->ret, old_dirfd, new_dirfd, flags);
}

/* ---- mounts ----------------------------------------------------------------- */

/* A short user string (fs type, mount data) into a zeroed buffer: bytes after its NUL stay zero. */
static __always_inline void read_mount_text(char *dst, __u32 size, const char *src, __u16 *ev)
{
	__builtin_memset(dst, 0, size);
	if (src && bpf_probe_read_user_str(dst, size, src) < 0)
		*ev |= EVENT_FLAG_USER_READ_FAILED;
}

/* The filesystem type of a mounted file's superblock, from the kernel (move_mount's source). */
static __always_inline bool fstype_of_file(char dst[FSTYPE_LEN], struct file *f)
{
	const char *name = f->f_path.mnt->mnt_sb->s_type->name;
	__builtin_memset(dst, 0, FSTYPE_LEN);
	return bpf_probe_read_kernel_str(dst, FSTYPE_LEN, name) > 0;
}

/* The source name of the mount a file is on (mnt_devname, what /proc/mounts shows), from the kernel. */
static __always_inline bool mount_source(char dst[PATH_LEN], struct file *f)
{
	struct mount *m = KERNEL_PTR((__u64)f->f_path.mnt - bpf_core_field_offset(struct mount, mnt), struct mount);
	const char *name = m->mnt_devname;
	return name && bpf_probe_read_kernel_str(dst, PATH_LEN, name) > 0;
}

/*
 * mount(source, target, fstype, flags, data); umount2(target, flags);
 * move_mount(from_dfd, from, to_dfd, to, flags); fsmount(fs_fd, flags,
 * attr_flags). The target is resolved; a bind mount's source is a path and
 * resolved too (source_flags), other sources are text as passed. fsmount and
 * move_mount take the filesystem type (and fsmount the source) from the
 * kernel's own objects, as nothing else names them.
 */
__attribute__((noinline)) int mount_exit(long call, long ret, int compat)
{
	struct syscall_exit exit = syscall_exit_of(call, ret, compat);
	const struct syscall_exit *sc = &exit;
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_FS_MOUNT))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct rg_fs_mount *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__u16 ev = sc->compat ? EVENT_FLAG_COMPAT : 0;
	__u16 status = 0;
	__builtin_memset(e->fstype, 0, sizeof(e->fstype));
	__builtin_memset(e->data, 0, sizeof(e->data));
	__builtin_memset(e->source, 0, sizeof(e->source));
	__builtin_memset(e->target, 0, sizeof(e->target));
	__builtin_memset(e->target_arg, 0, sizeof(e->target_arg));
	e->source_flags = 0;
	e->target_flags = 0;
	e->dirfd = AT_FDCWD;
	e->mount_flags = 0;
	e->umount_flags = 0;
	e->move_flags = 0;
	e->attr_flags = 0;
	switch (sc->call) {
	case RG_CALL_MOUNT: {
		__u32 mflags = syscall_arg(sc, 3);
		e->mount_flags = mflags;
		const char *src = (const char *)syscall_arg(sc, 0);
		if (mflags & MS_BIND) {
			e->source_flags = resolve(AT_FDCWD, src, false, true, &ev, EVENT_FLAG_ARG2_TRUNCATED, EVENT_FLAG_ARG2_UNREADABLE);
			__builtin_memcpy(e->source, s->path.s, PATH_LEN);
		} else if (src) {
			__u16 rf = read_user_path(e->source, src);
			ev |= (rf & EVENT_FLAG_FILENAME_TRUNCATED ? EVENT_FLAG_ARG2_TRUNCATED : 0) |
			      (rf & EVENT_FLAG_USER_READ_FAILED ? EVENT_FLAG_ARG2_UNREADABLE : 0);
		}
		read_mount_text(e->fstype, sizeof(e->fstype), (const char *)syscall_arg(sc, 2), &ev);
		/* data is text for most filesystems ("size=1m,mode=755"); kept as passed, cut at MOUNT_DATA_LEN */
		read_mount_text(e->data, sizeof(e->data), (const char *)syscall_arg(sc, 4), &ev);
		e->target_flags = resolve(AT_FDCWD, (const char *)syscall_arg(sc, 1), false, true, &ev,
					       EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_USER_READ_FAILED);
		break;
	}
	case RG_CALL_UMOUNT2:
	case RG_CALL_UMOUNT: /* ia32's umount(name) is umount2(name, 0) */
		e->umount_flags = sc->call == RG_CALL_UMOUNT2 ? syscall_arg(sc, 1) : 0;
		e->target_flags = resolve(AT_FDCWD, (const char *)syscall_arg(sc, 0), false, !(e->umount_flags & UMOUNT_NOFOLLOW), &ev,
					       EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_USER_READ_FAILED);
		break;
	case RG_CALL_MOVE_MOUNT: {
		__u32 mflags = syscall_arg(sc, 4);
		e->move_flags = mflags;
		long from_dfd = (int)syscall_arg(sc, 0);
		e->source_flags = resolve(from_dfd, (const char *)syscall_arg(sc, 1), (mflags & MOVE_MOUNT_F_EMPTY_PATH) != 0,
					       (mflags & MOVE_MOUNT_F_SYMLINKS) != 0, &ev, EVENT_FLAG_ARG2_TRUNCATED, EVENT_FLAG_ARG2_UNREADABLE);
		__builtin_memcpy(e->source, s->path.s, PATH_LEN);
		struct file *from = file_of_fd(task, from_dfd);
		if (from && fstype_of_file(e->fstype, from))
			status |= MOUNT_FSTYPE_FROM_KERNEL;
		e->dirfd = (int)syscall_arg(sc, 2);
		e->target_flags = resolve(e->dirfd, (const char *)syscall_arg(sc, 3), (mflags & MOVE_MOUNT_T_EMPTY_PATH) != 0,
					       (mflags & MOVE_MOUNT_T_SYMLINKS) != 0, &ev, EVENT_FLAG_FILENAME_TRUNCATED, EVENT_FLAG_USER_READ_FAILED);
		break;
	}
	default: { /* fsmount(fs_fd, flags, attr_flags): the filesystem context behind fs_fd */
		e->attr_flags = syscall_arg(sc, 2);
		e->dirfd = (int)syscall_arg(sc, 0);
		struct file *f = file_of_fd(task, e->dirfd);
		char name[12] = {};
		if (f)
			bpf_probe_read_kernel_str(name, sizeof(name), f->f_path.dentry->d_name.name);
		/* anon-inode files are named for what they hold: "[fscontext]" (6.18), "fscontext" before */
		const char *n = name[0] == '[' ? name + 1 : name;
		if (n[0] == 'f' && n[1] == 's' && n[2] == 'c' && n[3] == 'o' && n[8] == 't') {
			struct fs_context *fc = BPF_CORE_READ(f, private_data);
			if (bpf_probe_read_kernel_str(e->fstype, sizeof(e->fstype), BPF_CORE_READ(fc, fs_type, name)) > 0)
				status |= MOUNT_FSTYPE_FROM_KERNEL;
		}
		/* the source as the new mount holds it (what /proc/mounts shows): fsmount moved it out of the context */
		struct file *m = sc->ret >= 0 ? file_of_fd(task, sc->ret) : NULL;
		if (m && mount_source(e->source, m))
			status |= MOUNT_SOURCE_FROM_KERNEL;
		end_path(s->arg.s, 0);
		break;
	}
	}
	__builtin_memcpy(e->target, s->path.s, PATH_LEN);
	__builtin_memcpy(e->target_arg, s->arg.s, PATH_LEN);
	if (sc->call == RG_CALL_FSMOUNT) {
		__builtin_memset(e->target, 0, sizeof(e->target)); /* not mounted anywhere yet: move_mount places it */
		e->target_flags = PATH_FLAG_UNRESOLVED;
	}
	fill_header(&e->hdr, RG_KIND_FS_MOUNT, sizeof(*e), task);
	e->hdr.flags |= ev;
	e->call = sc->call;
	e->status = status;
	e->result = sc->ret;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- memfd_create ------------------------------------------------------- */

/*
 * The new file's name as the kernel gave it ("memfd:NAME", which an exec of
 * it shows too) and its inode, from the fd the call returned. A failed call
 * has no file: the name as passed, without MEMFD_NAME_FROM_KERNEL.
 */
static __noinline int memfd_exit(const struct syscall_exit *sc)
{
	struct task_struct *task = sc->task;
	long ret = sc->ret;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_MEMFD_CREATE))
		return 0;
	struct rg_memfd_create *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_MEMFD_CREATE, sizeof(*e), task);
	if (sc->compat)
		e->hdr.flags |= EVENT_FLAG_COMPAT;
	e->memfd_flags = syscall_arg(sc, 1);
	e->result = ret;
	e->ino = 0;
	e->status = 0;
	e->reserved = 0;
	__builtin_memset(e->name, 0, sizeof(e->name));
	struct file *file = ret >= 0 ? file_of_fd(task, ret) : NULL;
	if (file) {
		bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
		/* Still the memfd (another thread could have closed and reused the fd number since)? */
		const char *p = e->name;
		if (p[0] == 'm' && p[1] == 'e' && p[2] == 'm' && p[3] == 'f' && p[4] == 'd' && p[5] == ':') {
			e->ino = BPF_CORE_READ(file, f_inode, i_ino);
			e->status = MEMFD_NAME_FROM_KERNEL;
		} else {
			__builtin_memset(e->name, 0, sizeof(e->name));
		}
	}
	if (!(e->status & MEMFD_NAME_FROM_KERNEL)) {
		const char *uname = (const char *)syscall_arg(sc, 0);
		long n = bpf_probe_read_user_str(e->name, sizeof(e->name), uname);
		if (n < 0) {
			__builtin_memset(e->name, 0, sizeof(e->name));
			e->hdr.flags |= EVENT_FLAG_USER_READ_FAILED;
		} else if (n == PATH_LEN) {
			char next = 0;
			if (bpf_probe_read_user(&next, 1, uname + PATH_LEN - 1) == 0 && next != 0)
				e->hdr.flags |= EVENT_FLAG_FILENAME_TRUNCATED;
		}
	}
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}


#endif /* RG_FILE_CHANGES_BPF_H */
