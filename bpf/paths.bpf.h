/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Paths from the kernel's own state, for hooks where bpf_d_path() is not
 * allowed (tracepoints): walked by hand from a struct path (dentry up its
 * d_parent chain, crossing mounts through mnt_mountpoint/mnt_parent), bounded,
 * written into per-CPU scratch from the root down. Entry points:
 *
 *   path_of_file(out, s, file)          the path of an open file (what /proc/PID/fd/N shows)
 *   path_of_fs_path(out, s, path)       the path of a struct path (a cwd, a root)
 *   file_of_fd(task, fd)                the struct file behind a task's fd, or NULL
 *   path_of_dir_and_name(s, task, dirfd, name)
 *                                       a failed call's path: the directory the kernel
 *                                       resolved the name against, joined with the name
 *   name_last_not_followed(s, flags)    its flags for a call that does not follow the
 *                                       name's last component (unlink, rename)
 *   path_passes_filter(filter, path)    the --watch-prefix filter
 *
 * Each returns the PATH_FLAG_* bits that say how the path was made. Paths are
 * absolute in the task's mount namespace (a chroot is not applied: the path
 * names the file from the namespace root), canonical (symlinks as the kernel
 * resolved them, no "//", "/./", ".."), cut at PATH_LEN - 1 bytes.
 */
#ifndef RG_PATHS_BPF_H
#define RG_PATHS_BPF_H

#include "common.bpf.h"

/* include/uapi/linux/magic.h: filesystems whose files the kernel names itself (d_op->d_dname) */
#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534F434B
#define ANON_INODE_FS_MAGIC 0x09041934
#define PID_FS_MAGIC 0x50494446
#define TMPFS_MAGIC 0x01021994
#define HUGETLBFS_MAGIC 0x958458f6

/* ---- walking a struct path --------------------------------------------------- */

/* One walk up from a dentry: the state bpf_loop() hands each step (pointers kept as numbers). */
struct walk_up_state {
	__u64 dentry;          /* struct dentry * */
	__u64 mnt;             /* struct mount * */
	__u32 depth;           /* components stored in names[]/lens[], leaf first */
	__u32 reached_root;
	struct scratch *s;
};

/*
 * One step up: a mount root goes to the mount point in the parent mount (no
 * component); the namespace root (a mount that is its own parent) or a
 * dentry that is its own parent ends the walk; anything else is a component.
 */
static long walk_up_step(__u64 i, struct walk_up_state *w)
{
	struct dentry *d = KERNEL_PTR(w->dentry, struct dentry);
	struct mount *m = KERNEL_PTR(w->mnt, struct mount);
	if (w->dentry == (__u64)m->mnt.mnt_root) {
		struct mount *up = m->mnt_parent;
		if ((__u64)up == w->mnt) {
			w->reached_root = 1;
			return 1;
		}
		w->dentry = (__u64)m->mnt_mountpoint;
		w->mnt = (__u64)up;
		return 0;
	}
	struct dentry *parent = d->d_parent;
	if ((__u64)parent == w->dentry) {
		w->reached_root = 1; /* a disconnected tree: d_path shows it from here too */
		return 1;
	}
	__u32 k = w->depth;
	if (k >= PATH_WALK_MAX)
		return 1;
	w->s->dentries[k & (PATH_WALK_MAX - 1)] = w->dentry;
	w->depth = k + 1;
	w->dentry = (__u64)parent;
	return 0;
}

/* Writing the components back down, root first: the state of each bpf_loop() step. */
struct write_down_state {
	char *out;             /* a path_buf's s[] */
	struct scratch *s;
	__u32 depth;
	__u32 pos;             /* bytes written */
	__u32 starts;          /* components whose start is in s->starts[] */
	__u16 flags;
};

/* Bytes a dentry keeps its name in when it is short (DNAME_INLINE_LEN on 64-bit: 5 words). */
#define INLINE_NAME_WORDS 5

/*
 * Copies a component's name to out + pos. Most names are short and sit in
 * the dentry itself (d_shortname, 6.14+): five direct 8-byte loads and
 * stores copy it, several times cheaper than a bpf_probe_read_kernel() call
 * (the stores past the name land where the next component or the NUL
 * padding goes, or in the buffer's slack half). Longer names are read with
 * the helper. Returns false if the name could not be read.
 */
static __always_inline bool copy_name(char *out, __u32 pos, struct dentry *d, __u32 len)
{
	const unsigned char *name = d->d_name.name;
	if (bpf_core_field_exists(d->d_shortname) &&
	    (__u64)name == (__u64)&d->d_shortname && len <= INLINE_NAME_WORDS * 8) {
		__u64 *dst = (__u64 *)(out + (pos & (PATH_LEN - 1)));
		for (int i = 0; i < INLINE_NAME_WORDS; i++)
			dst[i] = d->d_shortname.words[i];
		return true;
	}
	return bpf_probe_read_kernel(out + (pos & (PATH_LEN - 1)), len & (PATH_LEN - 1), name) == 0;
}

static long write_down_step(__u64 i, struct write_down_state *w)
{
	__u32 k = (w->depth - 1 - (__u32)i) & (PATH_WALK_MAX - 1);
	__u32 pos = w->pos;
	if (pos >= PATH_LEN - 1) {
		w->flags |= PATH_FLAG_TRUNCATED;
		return 1;
	}
	if (w->starts < PATH_WALK_MAX)
		w->s->starts[w->starts++ & (PATH_WALK_MAX - 1)] = pos;
	w->out[pos & (PATH_LEN - 1)] = '/';
	pos++;
	struct dentry *d = KERNEL_PTR(w->s->dentries[k], struct dentry);
	__u32 len = d->d_name.len;
	__u32 room = PATH_LEN - 1 - pos;
	if (len > room) {
		len = room;
		w->flags |= PATH_FLAG_TRUNCATED;
	}
	/* pos < PATH_LEN and len < PATH_LEN: the copy ends inside the buffer's slack half at worst */
	if (len > 0 && !copy_name(w->out, pos, d, len))
		w->flags |= PATH_FLAG_INCOMPLETE; /* a name freed under us: cannot happen under RCU, but never guess */
	w->pos = pos + len;
	return 0;
}

/* NUL-terminates out at pos (< PATH_LEN) and zeroes the rest of its first PATH_LEN bytes. */
static __always_inline void end_path(char *out, __u32 pos)
{
	zero_tail(out, pos & (PATH_LEN - 1));
}

/*
 * Writes the path of dentry in mount vfsmnt into out[0..PATH_LEN),
 * and the start of each component into s->starts (for path_of_dir_and_name).
 * Sets *pos to the length written (0 for the root: the caller writes "/").
 */
static __always_inline __u16 walk_path(char *out, struct scratch *s, __u64 dentry, __u64 vfsmnt, __u32 *pos, __u32 *starts)
{
	struct walk_up_state up = {
		.dentry = dentry,
		/* container_of(vfsmnt, struct mount, mnt): struct mount is kernel-internal, its offset CO-RE relocated */
		.mnt = vfsmnt - bpf_core_field_offset(struct mount, mnt),
		.s = s,
	};
	bpf_loop(PATH_WALK_MAX * 2, walk_up_step, &up, 0);
	struct write_down_state down = { .out = out, .s = s, .depth = up.depth };
	__u16 flags = 0;
	if (!up.reached_root)
		flags |= PATH_FLAG_INCOMPLETE;
	bpf_loop(up.depth, write_down_step, &down, 0);
	*pos = down.pos;
	*starts = down.starts;
	return flags | down.flags;
}

/* The path of a struct path (a task's cwd or root), "/" for the namespace root. */
static __always_inline __u16 path_of_fs_path(char *out, struct scratch *s, const struct path *p)
{
	__u32 pos, starts;
	__u16 flags = walk_path(out, s, (__u64)p->dentry, (__u64)p->mnt, &pos, &starts);
	if (pos == 0)
		out[pos++] = '/';
	end_path(out, pos);
	return flags;
}

/* ---- files ----------------------------------------------------------------- */

/* The struct file behind fd in task's table (as the syscall left it at exit), or NULL. */
static __always_inline struct file *file_of_fd(struct task_struct *task, long fd)
{
	if (fd < 0)
		return NULL;
	struct fdtable *fdt = task_fields(task)->files->fdt;
	if ((__u64)fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	__u64 file = 0;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd & 0xfffffff]) != 0 || file == 0)
		return NULL;
	return KERNEL_PTR(file, struct file);
}

/* d_unlinked(): unhashed and not a root. */
static __always_inline bool dentry_unlinked(struct dentry *d)
{
	return d->d_hash.pprev == NULL && (__u64)d->d_parent != (__u64)d;
}

/*
 * The names d_path() gives files of filesystems with their own d_op->d_dname
 * (pipefs_dname, sockfs_dname, anon_inodefs_dname, pidfs_dname, simple_dname
 * for memfds), told apart by the superblock's magic.
 */
static __always_inline __u16 pseudo_name(char *out, struct dentry *d)
{
	struct super_block *sb = d->d_sb;
	__u64 magic = sb->s_magic;
	__u64 args[2] = { d->d_inode->i_ino, (__u64)d->d_name.name };
	/* bpf_snprintf() wants its format in read-only map memory: static const puts it in .rodata */
	static const char pipe_fmt[] = "pipe:[%lu]";
	static const char socket_fmt[] = "socket:[%lu]";
	static const char anon_fmt[] = "anon_inode:%s";
	static const char pidfd_fmt[] = "anon_inode:[pidfd]";
	static const char memfd_fmt[] = "/%s (deleted)";
	static const char other_fmt[] = "%s:[%lu]";
	long n;
	if (magic == PIPEFS_MAGIC) {
		n = bpf_snprintf(out, PATH_LEN, pipe_fmt, args, 8);
	} else if (magic == SOCKFS_MAGIC) {
		n = bpf_snprintf(out, PATH_LEN, socket_fmt, args, 8);
	} else if (magic == ANON_INODE_FS_MAGIC) {
		n = bpf_snprintf(out, PATH_LEN, anon_fmt, &args[1], 8);
	} else if (magic == PID_FS_MAGIC) {
		n = bpf_snprintf(out, PATH_LEN, pidfd_fmt, NULL, 0);
	} else if (magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC) {
		/* memfd_create(NAME): simple_dname() makes "/memfd:NAME (deleted)" */
		n = bpf_snprintf(out, PATH_LEN, memfd_fmt, &args[1], 8);
	} else {
		/* another pseudo filesystem: its type's name and the inode, never a guess at a path */
		__u64 other[2] = { (__u64)sb->s_type->name, args[0] };
		n = bpf_snprintf(out, PATH_LEN, other_fmt, other, 16);
	}
	__u16 flags = PATH_FLAG_PSEUDO;
	if (n > PATH_LEN)
		flags |= PATH_FLAG_TRUNCATED;
	if (n < 1)
		n = 1;
	end_path(out, n > PATH_LEN ? PATH_LEN - 1 : n - 1);
	return flags;
}

/*
 * The path of an open file, as /proc/PID/fd/N shows it but without the
 * " (deleted)" suffix of an unlinked file (PATH_FLAG_DELETED says so instead,
 * so prefixes and suffixes still match): what d_path(&file->f_path) gives.
 */
static __always_inline __u16 path_of_file(char *out, struct scratch *s, struct file *f)
{
	struct dentry *d = f->f_path.dentry;
	struct vfsmount *mnt = f->f_path.mnt;
	__u16 deleted = dentry_unlinked(d) ? PATH_FLAG_DELETED : 0;
	const struct dentry_operations *ops = d->d_op;
	/* d_path(): a d_dname name, unless the dentry is the root of its own mount */
	if (ops && ops->d_dname && ((__u64)d->d_parent != (__u64)d || (__u64)d != (__u64)mnt->mnt_root))
		return PATH_FLAG_FROM_FILE | deleted | pseudo_name(out, d);
	return PATH_FLAG_FROM_FILE | deleted | path_of_fs_path(out, s, &f->f_path);
}

/* ---- a failed call's name, resolved ------------------------------------------ */

/*
 * Joining a name to a directory, one byte of the name per bpf_loop() step.
 * The counters live in per-CPU scratch (struct join_vars), not on the stack:
 * the verifier tracks the exact value of a stack slot, so with them here it
 * walked join_step once for every position it could reach (~1,200 times per
 * call site); a map value is an unknown number to it, and the walk settles in
 * a few steps (handle_sys_exit: 369k -> 182k instructions verified).
 */
struct join_state {
	char *out;             /* holds the directory; the result replaces it */
	const char *name;      /* NUL-terminated, < PATH_LEN bytes */
	struct scratch *s;     /* starts[]: where each component of out begins */
	struct join_vars *v;   /* &s->join */
};

/*
 * Two bits of the join's own state, kept in join_vars.flags above the
 * PATH_FLAG_* bits (a map value, for the reason above) and masked off before
 * the flags are returned: a component other than "." and ".." has been
 * joined (a component after it was then looked up under it: were it a
 * symlink, the kernel went where it points), and the last component joined
 * is such a name.
 */
#define JOIN_SAW_NAME (1 << 15)
#define JOIN_LAST_NAME (1 << 14)
/*
 * The task's root is not its mount namespace's (chroot): a ".." at that root
 * stays there in the kernel's walk (follow_dotdot), while the join, which
 * writes paths from the namespace root, would go up past it. Which ".." meets
 * the root is not known here, so any ".." of a chrooted task's name is LEXICAL.
 */
#define JOIN_CHROOTED (1 << 13)
#define JOIN_PRIVATE (JOIN_SAW_NAME | JOIN_LAST_NAME | JOIN_CHROOTED)
_Static_assert(PATH_FLAG_LEXICAL < JOIN_CHROOTED && PATH_FLAG_FD_REUSED < JOIN_CHROOTED,
	       "PATH_FLAG_* bits reach the join's private bits");

static __always_inline void join_put(struct join_state *j, struct join_vars *v, char c)
{
	if (v->pos < PATH_LEN - 1)
		j->out[v->pos++ & (PATH_LEN - 1)] = c;
	else
		v->flags |= PATH_FLAG_TRUNCATED;
}

/* The end of a component of the name: "." is dropped, ".." drops the last component of out. */
static __always_inline void join_end_component(struct join_state *j, struct join_vars *v)
{
	if (!v->in_comp)
		return; /* "//" */
	v->in_comp = 0;
	if (v->all_dots && v->comp_len <= 2) {
		v->flags &= ~JOIN_LAST_NAME;
		v->pos = v->comp_start;
		if (v->comp_len == 2 && (v->flags & JOIN_CHROOTED))
			v->flags |= PATH_FLAG_LEXICAL;
		if (v->comp_len == 2 && v->depth > 0) {
			v->depth--;
			v->pos = j->s->starts[v->depth & (PATH_WALK_MAX - 1)];
		}
		return;
	}
	v->flags |= JOIN_SAW_NAME | JOIN_LAST_NAME;
	if (v->depth < PATH_WALK_MAX)
		j->s->starts[v->depth++ & (PATH_WALK_MAX - 1)] = v->comp_start;
	else
		v->flags |= PATH_FLAG_INCOMPLETE; /* a later ".." could not find where to go back to */
}

static long join_step(__u64 i, struct join_state *j)
{
	struct join_vars *v = j->v;
	char c = j->name[i & (PATH_LEN - 1)];
	if (c == '/' || c == 0) {
		join_end_component(j, v);
		return c == 0;
	}
	if (!v->in_comp) {
		if (v->flags & JOIN_SAW_NAME)
			v->flags |= PATH_FLAG_LEXICAL; /* a name used as a directory, joined as text */
		v->in_comp = 1;
		v->comp_start = v->pos;
		v->comp_len = 0;
		v->all_dots = 1;
		join_put(j, v, '/');
	}
	join_put(j, v, c);
	v->comp_len++;
	if (c != '.')
		v->all_dots = 0;
	return 0;
}

/* Mounts stacked on one another at "/" (the real root over the initial rootfs, a container's pivot) that are looked through. */
#define ROOT_MOUNTS_MAX 8

/*
 * chroot(): the task's root is not where its mount namespace's paths start,
 * the "/" walk_path() ends at. Its root is that "/" when it is the root of a
 * mount that sits, through mounts stacked at "/", on the namespace's root
 * mount (whose root is where walks end). Deeper stacks than ROOT_MOUNTS_MAX
 * count as chrooted (a ".." is then flagged: never a silent wrong path).
 */
static __always_inline bool task_root_is_not_namespace_root(struct fs_struct *fs)
{
	__u64 d = (__u64)fs->root.dentry;
	struct mount *m = KERNEL_PTR((__u64)fs->root.mnt - bpf_core_field_offset(struct mount, mnt), struct mount);
	for (int i = 0; i < ROOT_MOUNTS_MAX; i++) {
		if (d != (__u64)m->mnt.mnt_root)
			return true;
		struct mount *up = m->mnt_parent;
		if ((__u64)up == (__u64)m)
			return false;
		d = (__u64)m->mnt_mountpoint;
		m = up;
	}
	return true;
}

/*
 * A failed call has no struct file, so its path is made from what the kernel
 * resolved the name against: the task's root for an absolute name, its cwd
 * for AT_FDCWD, else the dirfd's file; the name as passed (s->arg) is joined
 * to that directory lexically ("." and "//" dropped, ".." drops a component).
 * Only that directory is the kernel's: the name's components are text, and a
 * symlink among them (a/b with a -> /etc) led the kernel elsewhere. These
 * hooks run at sys_enter/sys_exit, where the kernel's walk of the name is over
 * and nothing it found is left to read (no nameidata, no held dentry), so such
 * a path is flagged LEXICAL: when a component other than "." or ".." comes
 * before another one, or is the last one (most calls follow a symlink there:
 * open, exec, chmod, truncate; name_last_not_followed() takes that back for
 * those that do not), and for any ".." of a chrooted task (JOIN_CHROOTED). A single-component name ("x", "./x") of a call that does
 * not follow it is exactly the kernel's directory and a name in it. The result
 * is in s->path, NUL-padded. Returns the PATH_FLAG_* bits (DIR_ROOT, DIR_CWD or
 * DIR_FD, or UNRESOLVED with an empty path when the dirfd is not open);
 * s->join.flags keeps what name_last_not_followed() needs.
 */
static __always_inline __u16 path_of_dir_and_name(struct scratch *s, struct task_struct *task, long dirfd)
{
	char *out = s->path.s;
	const char *name = s->arg.s;
	__u64 dentry, mnt;
	__u16 flags;
	struct fs_struct *fs = task_fields(task)->fs;
	if (name[0] == '/') {
		dentry = (__u64)fs->root.dentry;
		mnt = (__u64)fs->root.mnt;
		flags = PATH_FLAG_DIR_ROOT;
	} else if (dirfd == AT_FDCWD) {
		dentry = (__u64)fs->pwd.dentry;
		mnt = (__u64)fs->pwd.mnt;
		flags = PATH_FLAG_DIR_CWD;
	} else {
		struct file *f = file_of_fd(task, dirfd);
		if (!f) {
			end_path(out, 0);
			return PATH_FLAG_UNRESOLVED;
		}
		dentry = (__u64)f->f_path.dentry;
		mnt = (__u64)f->f_path.mnt;
		flags = PATH_FLAG_DIR_FD;
	}
	__u32 pos, depth;
	flags |= walk_path(out, s, dentry, mnt, &pos, &depth);
	struct join_vars *v = &s->join;
	*v = (struct join_vars){ .pos = pos, .depth = depth };
	if (task_root_is_not_namespace_root(fs))
		v->flags |= JOIN_CHROOTED;
	struct join_state j = { .out = out, .name = name, .s = s, .v = v };
	bpf_loop(PATH_LEN, join_step, &j, 0);
	pos = v->pos;
	if (pos == 0)
		out[pos++] = '/';
	end_path(out, pos);
	if (v->flags & JOIN_LAST_NAME)
		flags |= PATH_FLAG_LEXICAL;
	return flags | (v->flags & ~JOIN_PRIVATE);
}

/*
 * The flags of the path path_of_dir_and_name() just made, for a call that
 * does not follow the name's last component (unlink, rmdir, rename, link's
 * names, lchown, AT_SYMLINK_NOFOLLOW): LEXICAL only if one of the name's
 * directory components was joined as text.
 */
static __always_inline __u16 name_last_not_followed(const struct scratch *s, __u16 flags)
{
	if (!(flags & (PATH_FLAG_DIR_ROOT | PATH_FLAG_DIR_CWD | PATH_FLAG_DIR_FD)))
		return flags;
	return (flags & ~PATH_FLAG_LEXICAL) | (s->join.flags & PATH_FLAG_LEXICAL);
}

/* ---- the --watch-prefix filter ------------------------------------------------- */

/* Does path start with prefix[0..len)? Compared 8 bytes at a time (prefix bytes past len are 0). */
static __always_inline bool prefix_matches(const char *path, const char *prefix, __u32 len)
{
	for (__u32 off = 0; off < FILE_FILTER_PREFIX_LEN; off += 8) {
		if (off >= len)
			return true;
		__u64 a = *(const __u64 *)(path + off);
		__u64 b = *(const __u64 *)(prefix + off);
		__u32 left = len - off;
		if (left < 8) {
			__u64 mask = (1ULL << (left * 8)) - 1; /* little-endian: low bytes come first */
			return ((a ^ b) & mask) == 0;
		}
		if (a != b)
			return false;
	}
	return true;
}

/* FILE_FILTER if it has prefixes, else NULL (every open is recorded). */
static __always_inline const struct rg_file_filter_config *active_filter(void)
{
	__u32 zero = 0;
	const struct rg_file_filter_config *f = bpf_map_lookup_elem(&FILE_FILTER, &zero);
	return f && f->prefix_count != 0 ? f : NULL;
}

/* Does path (a path_buf, NUL-padded) start with one of the filter's prefixes? */
static __always_inline bool path_passes_filter(const struct rg_file_filter_config *f, const char *path)
{
	for (__u32 i = 0; i < FILE_FILTER_MAX_PREFIXES; i++) {
		if (i >= f->prefix_count)
			break;
		__u32 len = f->prefix_lens[i];
		if (len == 0 || len > FILE_FILTER_PREFIX_LEN)
			continue;
		if (prefix_matches(path, f->prefixes + i * FILE_FILTER_PREFIX_LEN, len))
			return true;
	}
	return false;
}

/*
 * Does the --watch-prefix filter keep a path made with path_flags? A path joined past names the kernel may
 * have followed (LEXICAL), made from a cut name (TRUNCATED, not from a file), from an fd number read at
 * another moment than the kernel's (FD_LATE, io_uring) or not made at all (UNRESOLVED: an fd closed first)
 * may be any file: it is kept. Else its prefix decides.
 */
static __always_inline bool filter_keeps(const struct rg_file_filter_config *f, const char *path, __u16 path_flags)
{
	if (path_flags & (PATH_FLAG_LEXICAL | PATH_FLAG_UNRESOLVED | PATH_FLAG_FD_LATE))
		return true;
	if ((path_flags & PATH_FLAG_TRUNCATED) && !(path_flags & PATH_FLAG_FROM_FILE))
		return true;
	return path_passes_filter(f, path);
}

#endif /* RG_PATHS_BPF_H */
