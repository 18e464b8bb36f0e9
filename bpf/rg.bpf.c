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
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "rg_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL"; /* probe_read_user & co are GPL-only */

#define AT_FDCWD -100
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AUID_UNSET 4294967295U
#define STASH_ENTRIES 16384

/* ---- maps ---------------------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* the loader may resize before load */
} EVENTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_capture_config);
} CONFIG SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_file_filter_config);
} FILE_FILTER SEC(".maps");

/* Records we could not reserve ring space for, per CPU (summed by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} LOST SEC(".maps");

/* tgids recorded when config.follow == 1; children inherit, exits remove. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} FOLLOWED SEC(".maps");

/*
 * openat/openat2/open arguments, from sys_enter to sys_exit of the same
 * thread. Task-local storage rather than a hash keyed by pid_tgid: measured
 * here, the hash update at enter plus lookup+delete at exit cost ~330 ns of
 * the ~880 ns both programs took per open; task storage is filled in place,
 * never deleted (freed with the thread), and cannot fill up.
 */
struct open_stash {
	char path[PATH_LEN]; /* first, so the word-wise prefix compare is aligned */
	__u32 flags;
	__u32 mode;
	__s32 dirfd;
	__u16 ev_flags;
	__u8 valid; /* 1 between a recorded sys_enter and its sys_exit */
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* required for task storage */
	__type(key, int);
	__type(value, struct open_stash);
} OPEN_STASH SEC(".maps");

struct connect_stash {
	__u8 addr[ADDR_LEN];
	__s32 fd;
	__u16 family;
	__u16 port;
	__u16 protocol;
	__u16 sock_type;
	__u16 ev_flags;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STASH_ENTRIES);
	__type(key, __u64);
	__type(value, struct connect_stash);
} CONNECT_STASH SEC(".maps");

/* ---- common helpers ------------------------------------------------------ */

static __always_inline const struct rg_capture_config *get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&CONFIG, &zero);
}

/* Should events of `kind` from process `tgid` be recorded? (not for rg-capture itself) */
static __always_inline bool wanted(const struct rg_capture_config *cfg, __u32 tgid, __u32 kind)
{
	if (tgid == cfg->self_tgid)
		return false;
	if (!(cfg->events_mask & (1U << kind)))
		return false;
	if (cfg->follow == 1 && !bpf_map_lookup_elem(&FOLLOWED, &tgid))
		return false;
	return true;
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&LOST, &zero);
	if (lost)
		*lost += 1; /* per-CPU value: no atomics needed */
}

/*
 * Fills every header byte for the current task; `flags` may be OR-ed into later.
 * The task comes from bpf_get_current_task_btf(): a trusted BTF pointer whose
 * fields are read with direct (CO-RE relocated, fault-safe) loads, several
 * times cheaper than a bpf_probe_read_kernel call per BPF_CORE_READ hop.
 */
static __always_inline void fill_header(struct rg_event_header *h, __u16 kind, __u32 size, __u64 pid_tgid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 uid_gid = bpf_get_current_uid_gid();

	h->version = EVENT_SCHEMA_VERSION;
	h->kind = kind;
	h->size = size;
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = task->real_parent->tgid;
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	if (bpf_core_field_exists(task->loginuid))
		h->auid = task->loginuid.val;
	else
		h->auid = AUID_UNSET; /* kernel built without CONFIG_AUDIT */
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->flags = 0;
	h->cpu = bpf_get_smp_processor_id();
	h->mntns = task->nsproxy->mnt_ns->ns.inum; /* a NULL nsproxy (late exit) reads as 0 */
	/* bpf_get_current_comm pads with NULs up to COMM_LEN, so all 16 bytes are written. */
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	if (h->comm[COMM_LEN - 2] != 0)
		h->flags |= EVENT_FLAG_COMM_TRUNCATED;
}

/* Wake the reader only when enough is pending: default wake-ups cost ~3 us per event. */
static __always_inline __u64 submit_flags(const struct rg_capture_config *cfg)
{
	if (cfg->wakeup_bytes == 0)
		return 0;
	if (bpf_ringbuf_query(&EVENTS, BPF_RB_AVAIL_DATA) >= cfg->wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* ---- process: exec ------------------------------------------------------- */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 id = bpf_get_current_pid_tgid();
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, id >> 32, RG_KIND_PROCESS_EXEC))
		return 0;

	struct rg_process_exec *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_EXEC, sizeof(*e), id);
	__builtin_memset(e->filename, 0, sizeof(e->filename));
	__builtin_memset(e->args, 0, sizeof(e->args));
	e->argc = BPF_CORE_READ(bprm, argc);

	struct inode *inode = BPF_CORE_READ(bprm, file, f_inode);
	e->exe_ino = BPF_CORE_READ(inode, i_ino);
	if (BPF_CORE_READ(inode, i_nlink) == 0)
		e->hdr.flags |= EVENT_FLAG_EXE_DELETED;

	/* A return of PATH_LEN means "filled the buffer": it was cut only if more bytes follow. */
	const char *filename = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
	if (n == PATH_LEN) {
		char next = 0;
		bpf_probe_read_kernel(&next, 1, filename + PATH_LEN - 1);
		if (next != 0)
			e->hdr.flags |= EVENT_FLAG_FILENAME_TRUNCATED;
	} else if (n < 0) {
		__builtin_memset(e->filename, 0, sizeof(e->filename));
	}

	/* The new argv sits between mm->arg_start and arg_end of the new image. */
	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
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
	bpf_ringbuf_submit(e, submit_flags(cfg));
	return 0;
}

/* ---- process: fork ------------------------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 child_pid = BPF_CORE_READ(child, pid);
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	if (child_pid != child_tgid)
		return 0; /* a new thread, not a new process */

	__u64 id = bpf_get_current_pid_tgid();
	__u32 parent_tgid = id >> 32;
	/* Propagate follow before any other filter, so descendants are never missed. */
	if (bpf_map_lookup_elem(&FOLLOWED, &parent_tgid)) {
		__u8 one = 1;
		bpf_map_update_elem(&FOLLOWED, &child_tgid, &one, BPF_ANY);
	}

	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, parent_tgid, RG_KIND_PROCESS_FORK))
		return 0;

	struct rg_process_fork *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_PROCESS_FORK, sizeof(*e), id);
	e->child_pid = child_tgid;
	e->child_tid = child_pid;
	bpf_ringbuf_submit(e, submit_flags(cfg));
	return 0;
}

/* ---- process: exit ------------------------------------------------------- */

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if ((__u32)id != tgid)
		return 0; /* only the thread-group leader ends the process */

	const struct rg_capture_config *cfg = get_config();
	if (cfg && wanted(cfg, tgid, RG_KIND_PROCESS_EXIT)) {
		struct rg_process_exit *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
		if (e) {
			fill_header(&e->hdr, RG_KIND_PROCESS_EXIT, sizeof(*e), id);
			e->start_ns = BPF_CORE_READ(p, start_time);
			e->exit_status = BPF_CORE_READ(p, exit_code); /* set by do_exit before this tracepoint */
			e->reserved = 0;
			bpf_ringbuf_submit(e, submit_flags(cfg));
		} else {
			count_lost();
		}
	}
	/* After the emit: the follow check above still needs the entry. */
	bpf_map_delete_elem(&FOLLOWED, &tgid);
	return 0;
}

/* ---- file: open, openat, openat2 ----------------------------------------- */

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

/* prefix_count == 0 means no filter; an unreadable path never matches an active filter. */
static __always_inline bool path_passes_filter(const struct open_stash *s)
{
	__u32 zero = 0;
	const struct rg_file_filter_config *f = bpf_map_lookup_elem(&FILE_FILTER, &zero);
	if (!f || f->prefix_count == 0)
		return true;
	if (s->ev_flags & EVENT_FLAG_USER_READ_FAILED)
		return false;
	for (__u32 i = 0; i < FILE_FILTER_MAX_PREFIXES; i++) {
		if (i >= f->prefix_count)
			break;
		__u32 len = f->prefix_lens[i];
		if (len == 0 || len > FILE_FILTER_PREFIX_LEN)
			continue;
		if (prefix_matches(s->path, f->prefixes + i * FILE_FILTER_PREFIX_LEN, len))
			return true;
	}
	return false;
}

/* sys_enter half of every open flavour: filter, read the path, stash it for sys_exit. */
static __always_inline int open_enter(int dirfd, const char *upath, __u32 flags, __u32 mode, __u16 ev_flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;
	/* The readiness canary: rg-capture's own opens pass every filter while armed. */
	bool canary = tgid == cfg->self_tgid && cfg->canary_armed == 1;
	if (!canary && !wanted(cfg, tgid, RG_KIND_FILE_OPEN))
		return 0;

	struct open_stash *s = bpf_task_storage_get(&OPEN_STASH, bpf_get_current_task_btf(), 0,
						    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_lost(); /* no memory for this thread's stash: the open cannot be recorded */
		return 0;
	}
	/* probe_read_user_str does not pad, so zero first: stale bytes would leak into records. */
	__builtin_memset(s->path, 0, sizeof(s->path));
	s->flags = flags;
	s->mode = mode;
	s->dirfd = dirfd;
	s->ev_flags = ev_flags;
	s->pad = 0;

	long n = bpf_probe_read_user_str(s->path, sizeof(s->path), upath);
	if (n < 0) {
		__builtin_memset(s->path, 0, sizeof(s->path));
		s->ev_flags |= EVENT_FLAG_USER_READ_FAILED;
	} else if (n == PATH_LEN) {
		/* PATH_LEN is returned both for exactly PATH_LEN-1 chars and for longer paths. */
		char next = 0;
		if (bpf_probe_read_user(&next, 1, upath + PATH_LEN - 1) == 0 && next != 0)
			s->ev_flags |= EVENT_FLAG_FILENAME_TRUNCATED;
	}
	s->valid = canary || path_passes_filter(s);
	return 0;
}

/* sys_exit half: emit the stashed open with the syscall's result. */
static __always_inline int open_exit(long ret)
{
	struct open_stash *s = bpf_task_storage_get(&OPEN_STASH, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->valid)
		return 0;
	s->valid = 0;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;

	struct rg_file_open *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_FILE_OPEN, sizeof(*e), bpf_get_current_pid_tgid());
	e->hdr.flags |= s->ev_flags;
	e->open_flags = s->flags;
	e->mode = s->mode;
	e->result = ret;
	e->dirfd = s->dirfd;
	__builtin_memcpy(e->path, s->path, sizeof(e->path));
	bpf_ringbuf_submit(e, submit_flags(cfg));
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int handle_openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter((int)ctx->args[0], (const char *)ctx->args[1], ctx->args[2], ctx->args[3], 0);
}

SEC("tp/syscalls/sys_exit_openat")
int handle_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

SEC("tp/syscalls/sys_enter_openat2")
int handle_openat2_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};
	__u16 ev_flags = EVENT_FLAG_OPENAT2;
	/* flags/mode live in user memory; a failed read is recorded, path still read */
	if (bpf_probe_read_user(&how, sizeof(how.flags) + sizeof(how.mode), (const void *)ctx->args[2]) != 0) {
		how.flags = 0;
		how.mode = 0;
		ev_flags |= EVENT_FLAG_USER_READ_FAILED;
	}
	return open_enter((int)ctx->args[0], (const char *)ctx->args[1], how.flags, how.mode, ev_flags);
}

SEC("tp/syscalls/sys_exit_openat2")
int handle_openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

/* Legacy open(2): still called directly by static and old binaries on x86_64. */
SEC("tp/syscalls/sys_enter_open")
int handle_open_enter(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter(AT_FDCWD, (const char *)ctx->args[0], ctx->args[1], ctx->args[2], 0);
}

SEC("tp/syscalls/sys_exit_open")
int handle_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

/* ---- network: connect ---------------------------------------------------- */

/* Best effort IPPROTO_* and SOCK_* of fd: fd table -> file -> socket -> sock. */
static __always_inline void read_socket_kind(struct connect_stash *c, int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) != 0 || !file)
		return;
	/* private_data is a struct socket only for socket inodes */
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	c->sock_type = BPF_CORE_READ(sock, type);
	c->protocol = BPF_CORE_READ(sock, sk, sk_protocol);
}

SEC("tp/syscalls/sys_enter_connect")
int handle_connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, id >> 32, RG_KIND_NET_CONNECT))
		return 0;

	const void *uaddr = (const void *)ctx->args[1];
	struct connect_stash c = {};
	c.fd = (int)ctx->args[0];
	if (bpf_probe_read_user(&c.family, sizeof(c.family), uaddr) != 0) {
		c.family = 0;
		c.ev_flags = EVENT_FLAG_USER_READ_FAILED;
	} else if (c.family == AF_INET) {
		struct sockaddr_in sin;
		if (bpf_probe_read_user(&sin, sizeof(sin), uaddr) == 0) {
			c.port = bpf_ntohs(sin.sin_port);
			__builtin_memcpy(c.addr, &sin.sin_addr, 4);
		} else {
			c.ev_flags = EVENT_FLAG_USER_READ_FAILED;
		}
	} else if (c.family == AF_INET6) {
		struct sockaddr_in6 sin6;
		if (bpf_probe_read_user(&sin6, sizeof(sin6), uaddr) == 0) {
			c.port = bpf_ntohs(sin6.sin6_port);
			__builtin_memcpy(c.addr, &sin6.sin6_addr, 16);
		} else {
			c.ev_flags = EVENT_FLAG_USER_READ_FAILED;
		}
	} else {
		return 0; /* AF_UNIX, AF_NETLINK, ...: not network connections */
	}
	read_socket_kind(&c, c.fd);
	if (bpf_map_update_elem(&CONNECT_STASH, &id, &c, BPF_ANY) != 0)
		count_lost();
	return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int handle_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct connect_stash *c = bpf_map_lookup_elem(&CONNECT_STASH, &id);
	if (!c)
		return 0;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		goto out;

	struct rg_net_connect *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		goto out;
	}
	fill_header(&e->hdr, RG_KIND_NET_CONNECT, sizeof(*e), id);
	e->hdr.flags |= c->ev_flags;
	e->fd = c->fd;
	e->result = ctx->ret;
	e->family = c->family;
	e->port = c->port;
	e->protocol = c->protocol;
	e->sock_type = c->sock_type;
	__builtin_memcpy(e->addr, c->addr, sizeof(e->addr));
	bpf_ringbuf_submit(e, submit_flags(cfg));
out:
	bpf_map_delete_elem(&CONNECT_STASH, &id);
	return 0;
}
