/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * io_uring: the operations that matter (OPENAT/OPENAT2, CONNECT, ACCEPT, BIND,
 * LISTEN, UNLINKAT, RENAMEAT, LINKAT, SYMLINKAT, FTRUNCATE), recorded as the kinds of their
 * system calls with EVENT_FLAG_IO_URING. A submission queue entry never
 * passes through sys_exit (the "curing" technique), so the requests are read
 * where io_uring itself reports them: io_uring_submit_req, after the request
 * was prepared (the kernel has copied the path with getname()), and
 * io_uring_complete, with the result. The request is stashed between the two,
 * keyed by its address (never recorded). Sends to port 53 go through
 * sock_send_length like any send (sockets.bpf.h). Included after sockets.bpf.h.
 *
 * io_uring_setup (sys_exit) is recorded too: who sets up a ring at all.
 */
#ifndef RG_IO_URING_BPF_H
#define RG_IO_URING_BPF_H

#include "common.bpf.h"
#include "paths.bpf.h"
#include "files.bpf.h"
#include "sockets.bpf.h"
#include "file_changes.bpf.h"

#define IORING_CQE_F_MORE (1U << 1)
#define IORING_SETUP_DEFER_TASKRUN (1U << 13) /* uapi; not in vmlinux.h (a macro) */
#define NR64_IO_URING_ENTER 426 /* x86_64; io_uring_enter is not among the recorded syscalls' numbers */

/* What a submitted request needs at its completion. 8-byte aligned path (path_passes_filter reads words). */
struct uring_request {
	char path[PATH_LEN];  /* the name as passed: OPENAT's, UNLINKAT's; RENAMEAT's and LINKAT's old name, SYMLINKAT's text */
	char path2[PATH_LEN]; /* RENAMEAT, LINKAT, SYMLINKAT: the new name as passed */
	union {
		__u64 uaddr;  /* CONNECT: the caller's sockaddr (only read if the socket holds no destination) */
		__u64 length; /* FTRUNCATE: the new size */
	};
	__s32 fd;         /* the SQE's fd: dirfd (OPENAT, UNLINKAT), old dirfd (RENAMEAT, LINKAT), socket (CONNECT, ACCEPT, BIND, LISTEN) */
	__u32 open_flags; /* OPENAT: O_*; ACCEPT: accept4 flags; UNLINKAT, RENAMEAT, LINKAT: their flags */
	__u32 mode;       /* OPENAT: mode; LISTEN: backlog */
	__s32 fd2;        /* RENAMEAT, LINKAT, SYMLINKAT: the new name's dirfd */
	__u32 resolve;    /* OPENAT2: RESOLVE_* */
	__u16 ev_flags;   /* EVENT_FLAG_* learnt at submission (names truncated or unreadable, openat2) */
	__u8 opcode;
	__u8 fixed;       /* OPENAT or ACCEPT into a fixed-file slot: the result is no fd */
	__u8 late;        /* fd numbers read now are read late (PATH_FLAG_FD_LATE): set where the record is made */
	__u8 foreign;     /* completed in a kernel thread, not the submitter's process: no fd or directory of its to read */
};

/*
 * Requests in flight, by request: what only the submission holds (the name as passed, freed by the kernel once
 * the open ran; the SQE's fd, which the CQE overwrites). Not an LRU, which let 8,192 pending ACCEPTs evict an
 * OPENAT submitted before them: a kept request is never pushed out. No size is enough (io_uring keeps no limit
 * on requests in flight), so a request that finds the table full is not kept, and its completion is recorded
 * from the request the kernel still holds, flagged SUBMISSION_UNSEEN (uring_request_at_completion): not lost,
 * and not counted as lost (a pending request never completed is no missing record).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* 544 bytes a request: kernel memory as used, not 4.8 MB on every capture */
	__type(key, __u64);
	__type(value, struct uring_request);
} URING_REQUESTS SEC(".maps");

/*
 * Requests submitted with IOSQE_CQE_SKIP_SUCCESS, recorded at submission (RESULT_UNSEEN): the kernel posts a
 * completion only if one fails, so most never leave a table. They are kept here, apart, only to give a
 * failure's record the names: an LRU, whose evictions lose nothing but that (the failure is then recorded
 * from its completion, SUBMISSION_UNSEEN), and which they cannot fill for the requests in flight.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct uring_request);
} URING_SKIPPED SEC(".maps");

/*
 * A kept request by its ring and user_data, what a CQE carries: a multishot ACCEPT's further completions come
 * without their request (req NULL at io_uring_complete), and a completion that overflows the CQ ring reaches
 * only io_uring_cqe_overflow, which has no request either. Two requests in flight with the same user_data on
 * one ring: the later one is found.
 */
struct uring_cqe_key {
	__u64 ring;
	__u64 user_data;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct uring_cqe_key);
	__type(value, __u64);
} URING_BY_CQE SEC(".maps");

/* Where a request is built before it goes into URING_REQUESTS (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uring_request);
} URING_SCRATCH SEC(".maps");

/* Reads a kernel path (a getname() copy) into dst[PATH_LEN], NUL-padded; returns EVENT_FLAG_* to add. */
static __always_inline __u16 read_kernel_path(char *dst, const char *kpath)
{
	long n = bpf_probe_read_kernel_str(dst, PATH_LEN, kpath);
	if (n < 0) {
		__builtin_memset(dst, 0, PATH_LEN);
		return EVENT_FLAG_USER_READ_FAILED;
	}
	zero_tail(dst, n);
	if (n == PATH_LEN) {
		char next = 0;
		if (bpf_probe_read_kernel(&next, 1, kpath + PATH_LEN - 1) == 0 && next != 0)
			return EVENT_FLAG_FILENAME_TRUNCATED;
	}
	return 0;
}

/* A two-name request's names (io_uring's getname() copies) into path and path2, the second's flags as ARG2_*. */
static __always_inline void uring_read_names(struct uring_request *r, const char *first, const char *second)
{
	r->ev_flags |= read_kernel_path(r->path, first);
	__u16 f2 = read_kernel_path(r->path2, second);
	r->ev_flags |= ((f2 & EVENT_FLAG_FILENAME_TRUNCATED) ? EVENT_FLAG_ARG2_TRUNCATED : 0) |
		       ((f2 & EVENT_FLAG_USER_READ_FAILED) ? EVENT_FLAG_ARG2_UNREADABLE : 0);
}

static __always_inline __u32 uring_kind(__u8 op)
{
	switch (op) {
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
		return RG_KIND_FILE_OPEN;
	case IORING_OP_CONNECT:
		return RG_KIND_NET_CONNECT;
	case IORING_OP_ACCEPT:
		return RG_KIND_NET_ACCEPT;
	case IORING_OP_BIND:
		return RG_KIND_NET_BIND;
	case IORING_OP_LISTEN:
		return RG_KIND_NET_LISTEN;
	case IORING_OP_UNLINKAT:
		return RG_KIND_FILE_DELETE;
	case IORING_OP_RENAMEAT:
		return RG_KIND_FILE_RENAME;
	case IORING_OP_LINKAT:
	case IORING_OP_SYMLINKAT:
		return RG_KIND_FILE_LINK;
	case IORING_OP_FTRUNCATE:
		return RG_KIND_FILE_TRUNCATE;
	}
	return 0;
}

/*
 * A request's fields from what the kernel holds in it; the op's own data lives in req->cmd, laid out as its
 * io_* struct (io_uring/opdef.c). At submission (`at_submission`) the name as passed is still there and
 * req->cqe.fd is the SQE's fd. At a completion whose submission was not kept, io_uring has freed the name
 * and the CQE's flags overwrote the fd: the path stays empty, fd -1 (an open's dirfd is still read), and the
 * request is flagged SUBMISSION_UNSEEN.
 */
static __always_inline void uring_request_read(struct uring_request *r, struct io_kiocb *req, __u8 op, __u32 kind, int at_submission)
{
	r->opcode = op;
	r->fd = at_submission ? req->cqe.fd : -1;
	r->uaddr = 0;
	r->open_flags = 0;
	r->mode = 0;
	r->ev_flags = at_submission ? 0 : EVENT_FLAG_SUBMISSION_UNSEEN;
	r->fixed = 0;
	r->late = 0;
	r->foreign = 0;
	r->fd2 = AT_FDCWD;
	r->resolve = 0;
	__builtin_memset(r->path, 0, sizeof(r->path));
	__builtin_memset(r->path2, 0, sizeof(r->path2));
	void *cmd = &req->cmd;
	if (kind == RG_KIND_FILE_OPEN) {
		struct io_open *o = cmd;
		r->fd = BPF_CORE_READ(o, dfd);
		r->open_flags = BPF_CORE_READ(o, how.flags);
		r->mode = BPF_CORE_READ(o, how.mode);
		r->resolve = BPF_CORE_READ(o, how.resolve);
		r->ev_flags |= op == IORING_OP_OPENAT2 ? EVENT_FLAG_OPENAT2 : 0;
		if (at_submission)
			r->ev_flags |= read_kernel_path(r->path, BPF_CORE_READ(o, filename, name));
		r->fixed = BPF_CORE_READ(o, file_slot) != 0;
	} else if (kind == RG_KIND_NET_CONNECT) {
		r->uaddr = (__u64)BPF_CORE_READ((struct io_connect *)cmd, addr);
	} else if (kind == RG_KIND_NET_ACCEPT) {
		struct io_accept *a = cmd;
		r->open_flags = BPF_CORE_READ(a, flags);
		r->fixed = BPF_CORE_READ(a, file_slot) != 0;
	} else if (kind == RG_KIND_NET_LISTEN) {
		r->mode = BPF_CORE_READ((struct io_listen *)cmd, backlog);
	} else if (kind == RG_KIND_FILE_DELETE) {
		struct io_unlink *u = cmd;
		r->fd = BPF_CORE_READ(u, dfd);
		r->open_flags = BPF_CORE_READ(u, flags);
		if (at_submission)
			r->ev_flags |= read_kernel_path(r->path, BPF_CORE_READ(u, filename, name));
	} else if (kind == RG_KIND_FILE_RENAME) {
		struct io_rename *n = cmd;
		r->fd = BPF_CORE_READ(n, old_dfd);
		r->fd2 = BPF_CORE_READ(n, new_dfd);
		r->open_flags = BPF_CORE_READ(n, flags);
		if (at_submission)
			uring_read_names(r, BPF_CORE_READ(n, oldpath, name), BPF_CORE_READ(n, newpath, name));
	} else if (kind == RG_KIND_FILE_LINK) {
		/* LINKAT and SYMLINKAT share io_link; a symlink's old_dfd is not set (its target is text). */
		struct io_link *l = cmd;
		r->fd = op == IORING_OP_SYMLINKAT ? AT_FDCWD : BPF_CORE_READ(l, old_dfd);
		r->fd2 = BPF_CORE_READ(l, new_dfd);
		r->open_flags = op == IORING_OP_SYMLINKAT ? 0 : BPF_CORE_READ(l, flags);
		if (at_submission)
			uring_read_names(r, BPF_CORE_READ(l, oldpath, name), BPF_CORE_READ(l, newpath, name));
	} else if (kind == RG_KIND_FILE_TRUNCATE) {
		r->length = BPF_CORE_READ((struct io_ftrunc *)cmd, len);
	}
}

/*
 * A request whose submission was not kept (the table was full, or it was submitted before the capture),
 * rebuilt at its completion from what the kernel still holds in it: the opcode, an open's dirfd, flags,
 * mode and fixed slot, an accept's flags and slot, a connect's sockaddr pointer, a listen's backlog. Not the
 * name as passed (io_uring freed its copy once the open ran: path_arg is empty and a failed open has no
 * path) nor the SQE's fd for a socket operation (the CQE's flags overwrote it: fd is -1). Returns NULL for
 * an operation that is not recorded, or a process that is not.
 */
static __always_inline struct uring_request *uring_request_at_completion(struct io_kiocb *req, struct task_struct *task,
									  const struct rg_capture_config *cfg)
{
	__u8 op = req->opcode;
	__u32 kind = uring_kind(op);
	if (kind == 0 || !wanted(cfg, task->tgid, kind))
		return NULL;
	__u32 zero = 0;
	struct uring_request *r = bpf_map_lookup_elem(&URING_SCRATCH, &zero);
	if (!r)
		return NULL;
	uring_request_read(r, req, op, kind, 0);
	return r;
}

/* The socket a request operated on: req->file, a struct socket for socket files (untrusted pointer). */
static __always_inline struct socket *uring_socket(void *req)
{
	return socket_of_file(KERNEL_PTR(req, struct io_kiocb)->file);
}

/*
 * The sockaddr a CONNECT or BIND asked for, as io_uring copied it into the kernel when it prepared the
 * request (move_addr_to_kernel): what the kernel acts on, which the caller can no longer change. NULL when
 * the request holds no copy (a completed CONNECT's may have been recycled).
 *
 * Where the copy sits depends on the kernel: io_uring kept it in an io_async_msghdr's `addr` until 2026,
 * and since ("io_uring/net: ... use the sockaddr directly", also in stable kernels) async_data is the
 * sockaddr_storage itself; no type tells them apart. The first two bytes do: in the newer layout they are
 * the family, AF_INET (2) or AF_INET6 (10); in the older they are the low bits of an iovec pointer (or 0),
 * a multiple of 8, never 2 or 10.
 */
static __always_inline const void *uring_asked_sockaddr(void *req)
{
	struct io_async_msghdr *io = BPF_CORE_READ(KERNEL_PTR(req, struct io_kiocb), async_data);
	__u16 first = 0;
	if (!io || bpf_probe_read_kernel(&first, sizeof(first), io) != 0)
		return NULL;
	if (first == AF_INET || first == AF_INET6)
		return io;
	return &io->addr;
}

/*
 * The open as open_exit (files.bpf.h) records one: the opened file's path
 * from the kernel, or a failure's directory joined with the name. The name
 * as passed (path_arg) is io_uring's own getname() copy, taken at
 * submission: kernel memory, which the caller can no longer change.
 */
static __always_inline int uring_open_done(struct task_struct *task, const struct rg_capture_config *cfg,
					   struct uring_request *r, int res)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	__u16 path_flags;
	__u64 ino = 0;
	__u32 dev = 0;
	/* RESULT_UNSEEN: recorded at submission, nothing opened yet: the directory joined with the name. */
	bool opened = res >= 0 && !(r->ev_flags & EVENT_FLAG_RESULT_UNSEEN);
	if (opened && !r->fixed && !r->foreign) {
		path_flags = opened_file_path(s->path.s, s, task, res, r->open_flags, &ino, &dev);
		path_flags |= r->late ? PATH_FLAG_FD_LATE : 0;
	} else if ((r->ev_flags & (EVENT_FLAG_USER_READ_FAILED | EVENT_FLAG_SUBMISSION_UNSEEN)) || r->foreign) {
		/* The name was unreadable or not kept; or the completion is posted by a kernel thread (uring_completion). */
		end_path(s->path.s, 0);
		path_flags = PATH_FLAG_UNRESOLVED;
	} else {
		/* Failed, not run yet (RESULT_UNSEEN), or opened into a fixed-file slot (no fd to read the file from): the name joined. */
		__builtin_memcpy(s->arg.s, r->path, PATH_LEN);
		path_flags = open_name_path(s, task, r->fd, r->open_flags, r->ev_flags, r->resolve);
		path_flags |= r->late && (path_flags & PATH_FLAG_DIR_FD) ? PATH_FLAG_FD_LATE : 0;
	}
	const struct rg_file_filter_config *filter = active_filter();
	/* A failed open changed nothing: judged by its joined path even when lexical or cut; one not run yet may create. */
	bool failed = res < 0 && !(r->ev_flags & EVENT_FLAG_RESULT_UNSEEN);
	if (filter && !filter_keeps(filter, s->path.s, failed ? path_flags & ~(PATH_FLAG_LEXICAL | PATH_FLAG_TRUNCATED | PATH_FLAG_FD_LATE) : path_flags))
		return 0;
	struct rg_file_open *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_FILE_OPEN, sizeof(*e), task);
	e->hdr.flags |= EVENT_FLAG_IO_URING | r->ev_flags;
	e->open_flags = r->open_flags;
	e->mode = r->mode;
	e->result = res;
	e->dirfd = r->fd;
	e->ino = ino;
	e->dev = dev;
	e->path_flags = path_flags;
	e->call = r->opcode == IORING_OP_OPENAT2 ? RG_CALL_OPENAT2 : RG_CALL_OPENAT; /* the syscall the operation stands for */
	__builtin_memcpy(e->path, s->path.s, sizeof(e->path));
	__builtin_memcpy(e->path_arg, r->path, sizeof(e->path_arg));
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* The destination the socket holds (what the kernel connected to); else the caller's sockaddr, flagged. */
static __always_inline int uring_connect_done(struct task_struct *task, const struct rg_capture_config *cfg,
					      struct uring_request *r, void *req, struct socket *sock, int res)
{
	struct sock_ends a = {};
	__u16 type = 0, flags = EVENT_FLAG_IO_URING | (r->ev_flags & (EVENT_FLAG_SUBMISSION_UNSEEN | EVENT_FLAG_RESULT_UNSEEN)), addr_flags = 0;
	if (sock) {
		read_sock_ends(sock->sk, &a);
		type = sock->type;
	}
	if ((a.family != AF_INET && a.family != AF_INET6) || a.peer_port == 0) {
		__u16 protocol = a.protocol;
		__builtin_memset(&a, 0, sizeof(a));
		a.protocol = protocol;
		addr_flags = ADDR_FLAG_UNVERIFIED;
		/* io_uring's own copy of the address while it holds one; else the caller's memory. */
		const void *asked = uring_asked_sockaddr(req);
		int read = asked ? read_inet_sockaddr(asked, 1, &a.family, &a.peer_port, a.peer)
				 : read_user_inet_sockaddr((const void *)r->uaddr, &a.family, &a.peer_port, a.peer);
		if (read == 0)
			return 0; /* AF_UNIX and others: not a network connection */
		if (read < 0)
			flags |= EVENT_FLAG_USER_READ_FAILED;
	}
	struct rg_net_connect *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_CONNECT, sizeof(*e), task);
	e->hdr.flags |= flags;
	e->fd = r->fd;
	e->result = res;
	e->family = a.family;
	e->port = a.peer_port;
	e->protocol = a.protocol;
	e->sock_type = type;
	__builtin_memcpy(e->addr, a.peer, sizeof(e->addr));
	e->addr_flags = addr_flags;
	e->call = RG_CALL_CONNECT; /* the syscall the operation stands for */
	e->reserved = 0;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

static __always_inline int uring_local_done(struct task_struct *task, const struct rg_capture_config *cfg,
					    struct uring_request *r, void *req, struct socket *sock, int res)
{
	if (!sock)
		return 0;
	struct sock *sk = sock->sk;
	struct sock_ends a = {};
	read_sock_ends(sk, &a);
	if (a.family != AF_INET && a.family != AF_INET6)
		return 0;
	__u16 unseen = r->ev_flags & (EVENT_FLAG_SUBMISSION_UNSEEN | EVENT_FLAG_RESULT_UNSEEN);
	if (r->opcode == IORING_OP_LISTEN) {
		struct rg_net_listen *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
		if (!e) {
			count_lost();
			return 0;
		}
		fill_header(&e->hdr, RG_KIND_NET_LISTEN, sizeof(*e), task);
		e->hdr.flags |= EVENT_FLAG_IO_URING | unseen;
		e->fd = r->fd;
		e->result = res;
		e->backlog = r->mode;
		e->family = a.family;
		e->port = a.local_port;
		e->protocol = a.protocol;
		e->sock_type = sock->type;
		e->reserved = 0;
		__builtin_memcpy(e->addr, a.local, sizeof(e->addr));
		e->sock_cookie = assigned_cookie(sk);
		bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
		return 0;
	}
	struct rg_net_bind *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_BIND, sizeof(*e), task);
	/*
	 * A failed bind leaves the socket unbound; the address asked for sits in io_uring's own copy, not read.
	 * At submission (RESULT_UNSEEN) that copy is what the record holds: the address asked for.
	 */
	__u16 asked_flags = 0;
	if (unseen & EVENT_FLAG_RESULT_UNSEEN) {
		__builtin_memset(a.local, 0, sizeof(a.local));
		a.local_port = 0;
		if (read_inet_sockaddr(uring_asked_sockaddr(req), 1, &a.family, &a.local_port, a.local) != 1)
			asked_flags = EVENT_FLAG_USER_READ_FAILED;
	} else if (res != 0) {
		asked_flags = EVENT_FLAG_USER_READ_FAILED;
		a.local_port = 0;
		__builtin_memset(a.local, 0, sizeof(a.local));
	}
	e->hdr.flags |= EVENT_FLAG_IO_URING | unseen | asked_flags;
	e->fd = r->fd;
	e->result = res;
	e->family = a.family;
	e->port = a.local_port;
	e->protocol = a.protocol;
	e->sock_type = sock->type;
	__builtin_memcpy(e->addr, a.local, sizeof(e->addr));
	e->sock_cookie = assigned_cookie(sk);
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/*
 * UNLINKAT, RENAMEAT, LINKAT, SYMLINKAT: recorded as their syscalls' records are (file_changes.bpf.h), the
 * names from io_uring's own copies taken at submission (kernel memory, past the caller's reach) and each
 * resolved against its dirfd at completion, in the submitter or an io-wq thread of the same process (the
 * same fd table). A request whose submission was not kept has no names (io_uring freed them once the call
 * ran): empty, unresolved.
 */
static __always_inline __u16 uring_name(struct scratch *s, const struct uring_request *r, const char *name, long dirfd, bool unknown, bool cut,
					 bool empty_means_fd, bool follows_last)
{
	__builtin_memcpy(s->arg.s, name, PATH_LEN);
	/* Foreign (a kernel thread posting the completion): its fd table and cwd are not the submitter's. */
	if (unknown || r->foreign) {
		end_path(s->path.s, 0);
		return PATH_FLAG_UNRESOLVED;
	}
	return resolve_copied_name(dirfd, empty_means_fd, follows_last, cut);
}

/* A file change's path flags, FD_LATE added when the dirfd was read late (r->late) and the path was made from it. */
static __always_inline __u16 uring_late(const struct uring_request *r, __u16 pf)
{
	return r->late && (pf & PATH_FLAG_DIR_FD) ? pf | PATH_FLAG_FD_LATE : pf;
}

#define URING_NAME_UNKNOWN (EVENT_FLAG_USER_READ_FAILED | EVENT_FLAG_SUBMISSION_UNSEEN)
#define URING_NAME2_UNKNOWN (EVENT_FLAG_ARG2_UNREADABLE | EVENT_FLAG_SUBMISSION_UNSEEN)

static __always_inline int uring_delete_done(struct task_struct *task, const struct rg_capture_config *cfg, struct uring_request *r, int res)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	__u16 ev = r->ev_flags;
	__u16 pf = uring_late(r, uring_name(s, r, r->path, r->fd, ev & URING_NAME_UNKNOWN, ev & EVENT_FLAG_FILENAME_TRUNCATED, false, false));
	if (!path_wanted(s->path.s, pf))
		return 0;
	/* call: the syscall the operation stands for */
	return emit_delete(task, cfg, s, RG_CALL_UNLINKAT, EVENT_FLAG_IO_URING | ev, pf, res, r->fd, r->open_flags);
}

static __always_inline int uring_rename_done(struct task_struct *task, const struct rg_capture_config *cfg, struct uring_request *r, int res)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct rg_file_rename *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__u16 ev = r->ev_flags;
	e->old_path_flags = uring_late(r, uring_name(s, r, r->path, r->fd, ev & URING_NAME_UNKNOWN, ev & EVENT_FLAG_FILENAME_TRUNCATED, false, false));
	bool keep = path_wanted(s->path.s, e->old_path_flags);
	__builtin_memcpy(e->old_path, s->path.s, PATH_LEN);
	__builtin_memcpy(e->old_path_arg, s->arg.s, PATH_LEN);
	e->new_path_flags = uring_late(r, uring_name(s, r, r->path2, r->fd2, ev & URING_NAME2_UNKNOWN, ev & EVENT_FLAG_ARG2_TRUNCATED, false, false));
	keep = keep || path_wanted(s->path.s, e->new_path_flags);
	__builtin_memcpy(e->new_path, s->path.s, PATH_LEN);
	__builtin_memcpy(e->new_path_arg, s->arg.s, PATH_LEN);
	/* io_uring's RENAMEAT takes renameat2's flags */
	return submit_rename(e, keep, task, cfg, RG_CALL_RENAMEAT2, EVENT_FLAG_IO_URING | ev, res, r->fd, r->fd2, r->open_flags);
}

static __always_inline int uring_link_done(struct task_struct *task, const struct rg_capture_config *cfg, struct uring_request *r, int res)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct rg_file_link *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__u16 ev = r->ev_flags;
	bool symbolic = r->opcode == IORING_OP_SYMLINKAT;
	bool keep;
	__u32 flags = r->open_flags;
	if (symbolic) {
		/* a symlink's text, as passed, never resolved */
		__builtin_memcpy(e->target_arg, r->path, PATH_LEN);
		__builtin_memcpy(e->target, r->path, PATH_LEN);
		e->target_flags = 0;
		keep = false;
	} else {
		e->target_flags = uring_late(r, uring_name(s, r, r->path, r->fd, ev & URING_NAME_UNKNOWN, ev & EVENT_FLAG_FILENAME_TRUNCATED,
							   (flags & AT_EMPTY_PATH) != 0, (flags & AT_SYMLINK_FOLLOW) != 0));
		keep = path_wanted(s->path.s, e->target_flags);
		__builtin_memcpy(e->target, s->path.s, PATH_LEN);
		__builtin_memcpy(e->target_arg, s->arg.s, PATH_LEN);
	}
	e->new_path_flags = uring_late(r, uring_name(s, r, r->path2, r->fd2, ev & URING_NAME2_UNKNOWN, ev & EVENT_FLAG_ARG2_TRUNCATED, false, false));
	keep = keep || path_wanted(s->path.s, e->new_path_flags);
	__builtin_memcpy(e->new_path, s->path.s, PATH_LEN);
	__builtin_memcpy(e->new_path_arg, s->arg.s, PATH_LEN);
	return submit_link(e, keep, task, cfg, symbolic ? RG_CALL_SYMLINKAT : RG_CALL_LINKAT, EVENT_FLAG_IO_URING | ev, symbolic, res, r->fd, r->fd2, flags);
}

/*
 * The path of a file the request holds (untrusted pointer, passed as a number) into s->path.s. A global
 * function: its path walk is verified once, not inlined in each io_uring program.
 */
__attribute__((noinline)) int uring_path_of_file(__u64 file)
{
	struct scratch *s = get_scratch();
	if (!s)
		return PATH_FLAG_UNRESOLVED;
	if (!file) {
		end_path(s->path.s, 0);
		return PATH_FLAG_UNRESOLVED;
	}
	return path_of_file(s->path.s, s, KERNEL_PTR(file, struct file));
}

/*
 * FTRUNCATE (6.9+): the file the kernel truncated, req->file, a fixed file's too. At submission (RESULT_UNSEEN)
 * io_uring has not looked the file up yet: the fd's, unless it is a fixed-file index (then unresolved).
 */
static __always_inline int uring_truncate_done(struct task_struct *task, const struct rg_capture_config *cfg, struct uring_request *r,
					       void *req, int res)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct io_kiocb *k = KERNEL_PTR(req, struct io_kiocb);
	struct file *f;
	if (r->ev_flags & EVENT_FLAG_RESULT_UNSEEN)
		f = (k->flags & REQ_F_FIXED_FILE) ? NULL : file_of_fd(task, r->fd);
	else
		f = k->file;
	/* As a plain number: the verifier lets a global function take no kernel pointer (read back from the stack). */
	__u64 file = 0;
	bpf_probe_read_kernel(&file, sizeof(file), &f);
	__u16 pf = uring_path_of_file(file);
	pf |= (r->ev_flags & EVENT_FLAG_RESULT_UNSEEN) && !(pf & PATH_FLAG_UNRESOLVED) ? PATH_FLAG_FD_LATE : 0; /* the fd's file at submission */
	if (!path_wanted(s->path.s, pf))
		return 0;
	__builtin_memset(s->arg.s, 0, PATH_LEN); /* no name: the fd's (or slot's) file */
	/* call: the syscall the operation stands for */
	return emit_truncate(task, cfg, s, RG_CALL_FTRUNCATE, EVENT_FLAG_IO_URING | r->ev_flags, pf, res, r->fd, r->length);
}

/* The file changes uring_file_change_done records. */
static __always_inline bool uring_file_change(__u8 op)
{
	return op == IORING_OP_UNLINKAT || op == IORING_OP_RENAMEAT || op == IORING_OP_LINKAT || op == IORING_OP_SYMLINKAT ||
	       op == IORING_OP_FTRUNCATE;
}

/* An operation's record at its completion (or, RESULT_UNSEEN, at its submission), by kind. */
static __always_inline void uring_file_change_done(struct task_struct *task, const struct rg_capture_config *cfg, struct uring_request *r,
						   void *req, int res)
{
	__u8 op = r->opcode;
	if (op == IORING_OP_FTRUNCATE)
		uring_truncate_done(task, cfg, r, req, res);
	else if (op == IORING_OP_UNLINKAT)
		uring_delete_done(task, cfg, r, res);
	else if (op == IORING_OP_RENAMEAT)
		uring_rename_done(task, cfg, r, res);
	else
		uring_link_done(task, cfg, r, res);
}

/*
 * A request submitted with IOSQE_CQE_SKIP_SUCCESS: the kernel posts no completion when it succeeds, so
 * io_uring_complete never fires for it (the "no CQE" way to hide an open). It is recorded here, at its
 * submission, flagged RESULT_UNSEEN: what was asked (the name as passed and the directory it joins, the
 * address asked for from io_uring's own copy; a file change's names joined with their directories), result 0
 * standing for "not known". A failure still posts a completion (the kernel drops the skip when a request
 * fails): the request is kept as any other and its completion recorded with its error. An ACCEPT so
 * submitted is not recorded (its new socket is not known), nor a BIND or LISTEN on a fixed-file socket (no
 * fd to read the socket from at submission).
 */
static __always_inline void uring_submitted_unseen(struct task_struct *task, const struct rg_capture_config *cfg,
						   struct uring_request *r, struct io_kiocb *req)
{
	__u8 op = r->opcode;
	/* The SQE's fd is a fixed-file index, not an fd, with IOSQE_FIXED_FILE. */
	struct socket *sock = (req->flags & REQ_F_FIXED_FILE) ? NULL : socket_of_fd(task, r->fd);
	r->ev_flags |= EVENT_FLAG_RESULT_UNSEEN;
	r->late = 1; /* the kernel reads the dirfd when it runs the request, which may be later (linked behind another) */
	if (op == IORING_OP_OPENAT || op == IORING_OP_OPENAT2)
		uring_open_done(task, cfg, r, 0);
	else if (op == IORING_OP_CONNECT)
		uring_connect_done(task, cfg, r, req, sock, 0);
	else if (op == IORING_OP_BIND || op == IORING_OP_LISTEN)
		uring_local_done(task, cfg, r, req, sock, 0);
	else if (uring_file_change(op))
		uring_file_change_done(task, cfg, r, req, 0);
	r->ev_flags &= ~EVENT_FLAG_RESULT_UNSEEN;
	r->late = 0;
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(handle_io_uring_submit_req, struct io_kiocb *req)
{
	__u8 op = req->opcode;
	__u32 kind = uring_kind(op);
	if (kind == 0)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	const struct rg_capture_config *cfg = get_config();
	__u64 key = (__u64)req;
	/*
	 * An entry at this address can be a request the tracepoint never saw complete (a skipped success, a
	 * CQ overflow): a request of an operation we record replaces it, or, not recorded, removes it, so that
	 * no later request is taken for it. (One we do not record is told apart at completion by its opcode.)
	 */
	bpf_map_delete_elem(&URING_SKIPPED, &key);
	if (!cfg || !wanted(cfg, task->tgid, kind)) {
		bpf_map_delete_elem(&URING_REQUESTS, &key);
		return 0;
	}
	__u32 zero = 0;
	struct uring_request *r = bpf_map_lookup_elem(&URING_SCRATCH, &zero);
	if (!r)
		return 0;
	uring_request_read(r, req, op, kind, 1);
	if (req->flags & REQ_F_CQE_SKIP) {
		uring_submitted_unseen(task, cfg, r, req);
		bpf_map_delete_elem(&URING_REQUESTS, &key);
		bpf_map_update_elem(&URING_SKIPPED, &key, r, BPF_ANY);
		return 0;
	}
	/* Full (-E2BIG) or no memory: the completion records it without the submission (SUBMISSION_UNSEEN). */
	if (bpf_map_update_elem(&URING_REQUESTS, &key, r, BPF_ANY) == 0) {
		struct uring_cqe_key ck = { .ring = (__u64)req->ctx, .user_data = req->cqe.user_data };
		bpf_map_update_elem(&URING_BY_CQE, &ck, &key, BPF_ANY);
	}
	return 0;
}

/*
 * Completions run in the submitter (inline, or its task work) or in an
 * io-wq worker thread of the same process: either way `current` belongs to
 * the process, and shares its fd table. A multishot request (ACCEPT) keeps
 * its entry while the kernel says more completions follow.
 */
/*
 * One completion of request req (a kernel pointer, maybe held as a number): res and the CQE's flags.
 * by_cqe: found by ring and user_data (a multishot ACCEPT's further CQEs, an overflowed CQE): recorded only
 * from a kept entry of the same opcode, never rebuilt from what may no longer be that request. aux: a CQE
 * the kernel posted without a request: a multishot ACCEPT's further completion, or a message another
 * request posted into this ring (IORING_OP_MSG_RING, with any user_data and result, by any process that
 * holds the ring): only an ACCEPT's entry can be the first; any other is left for its own completion.
 */
static __always_inline int uring_completion(void *ring, void *req, int res, __u32 cqe_flags, __u64 user_data, bool by_cqe, bool aux)
{
	__u64 key = (__u64)req;
	const struct rg_capture_config *cfg = get_config();
	struct task_struct *task = bpf_get_current_task_btf();
	struct uring_request *r = bpf_map_lookup_elem(&URING_REQUESTS, &key);
	bool kept = r != NULL, skipped = false;
	if (!kept && !by_cqe) {
		r = bpf_map_lookup_elem(&URING_SKIPPED, &key);
		skipped = r != NULL;
	}
	/*
	 * An entry of another opcode is stale: a request the tracepoint never saw complete, whose address an
	 * operation we do not record now has (a NOP, a READ). It is not this request: dropped, never recorded as it.
	 */
	if (r && r->opcode != KERNEL_PTR(req, struct io_kiocb)->opcode) {
		bpf_map_delete_elem(kept ? (void *)&URING_REQUESTS : (void *)&URING_SKIPPED, &key);
		r = NULL;
		kept = skipped = false;
	}
	if (aux && r && r->opcode != IORING_OP_ACCEPT)
		return 0;
	/*
	 * A kernel thread posts the completions of a ring torn down after its process exited (a ring that defers
	 * them, IORING_SETUP_DEFER_TASKRUN, or requests failed once their submitter was gone): the record is the
	 * request's task's (req->tctx->task), and its names are not resolved (the kworker's fd table and cwd are
	 * not the submitter's, whose own are gone): unresolved, the name as passed kept.
	 */
	bool foreign = (task->flags & PF_KTHREAD) != 0;
	struct task_struct *actor = task;
	if (foreign) {
		struct task_struct *owner = KERNEL_PTR(req, struct io_kiocb)->tctx->task;
		if (owner)
			actor = owner;
	}
	if (!r && cfg && !by_cqe)
		r = uring_request_at_completion(KERNEL_PTR(req, struct io_kiocb), actor, cfg);
	if (!r)
		return 0;
	r->foreign = foreign;
	/*
	 * Late: a ring that defers its completions posts them when the process next waits (the operation ran
	 * before, in io-wq); a batch of SQEs run inline posts its CQEs together at its end, after the others ran
	 * (a CLOSE and another OPENAT among them can reuse the number). In io_uring_enter with to_submit > 1.
	 */
	bool defers = (KERNEL_PTR(ring, struct io_ring_ctx)->flags & IORING_SETUP_DEFER_TASKRUN) != 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	/* (An io-wq worker completes right after its operation; its saved registers are its creator's.) */
	r->late = defers || (!(task->flags & PF_IO_WORKER) && syscall_nr(task, regs) == NR64_IO_URING_ENTER && regs->si > 1);
	task = actor;
	if (cfg) {
		__u8 op = r->opcode;
		if (op == IORING_OP_OPENAT || op == IORING_OP_OPENAT2) {
			uring_open_done(task, cfg, r, res);
		} else if (op == IORING_OP_CONNECT) {
			uring_connect_done(task, cfg, r, req, uring_socket(req), res);
		} else if (uring_file_change(op)) {
			uring_file_change_done(task, cfg, r, req, res);
		} else if (op == IORING_OP_ACCEPT) {
			struct socket *sock = res >= 0 && !r->fixed ? socket_of_fd(task, res) : NULL;
			if (sock)
				emit_accept(task, cfg, r->fd, res, r->open_flags, sock, EVENT_FLAG_IO_URING | (r->ev_flags & EVENT_FLAG_SUBMISSION_UNSEEN));
		} else {
			uring_local_done(task, cfg, r, req, uring_socket(req), res);
		}
	}
	if (kept && !(cqe_flags & IORING_CQE_F_MORE)) {
		bpf_map_delete_elem(&URING_REQUESTS, &key);
		struct uring_cqe_key ck = { .ring = (__u64)ring, .user_data = user_data };
		bpf_map_delete_elem(&URING_BY_CQE, &ck);
	}
	if (skipped)
		bpf_map_delete_elem(&URING_SKIPPED, &key);
	return 0;
}

/* The kept request a CQE without one names (ring, user_data), as a number; 0 if none. */
static __always_inline __u64 uring_request_of_cqe(void *ring, __u64 user_data)
{
	struct uring_cqe_key ck = { .ring = (__u64)ring, .user_data = user_data };
	__u64 *found = bpf_map_lookup_elem(&URING_BY_CQE, &ck);
	return found ? *found : 0;
}

/*
 * Completions run in the submitter (inline, or its task work) or in an
 * io-wq worker thread of the same process: either way `current` belongs to
 * the process, and shares its fd table. A multishot request (ACCEPT) keeps
 * its entry while the kernel says more completions follow; those come as
 * CQEs without a request, found by ring and user_data.
 */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(handle_io_uring_complete, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
	__u64 user_data = cqe->user_data;
	if (req)
		return uring_completion(ring, req, cqe->res, cqe->flags, user_data, false, false);
	__u64 found = uring_request_of_cqe(ring, user_data);
	if (!found)
		return 0;
	return uring_completion(ring, (void *)found, cqe->res, cqe->flags, user_data, true, true);
}

/*
 * A completion the CQ ring had no room for goes to the overflow list, and io_uring_complete does not fire for
 * it: without this, a process that leaves its CQ full had its opens, unlinks and connects unrecorded. Runs
 * where the completion would have (the request still alive).
 */
SEC("tp_btf/io_uring_cqe_overflow")
int BPF_PROG(handle_io_uring_cqe_overflow, void *ring, __u64 user_data, __s32 res, __u32 cflags, void *ocqe)
{
	__u64 found = uring_request_of_cqe(ring, user_data);
	if (!found)
		return 0;
	return uring_completion(ring, (void *)found, res, cflags, user_data, true, false);
}

/* ---- io_uring_setup (sys_exit) -------------------------------------------- */

/* The ring as the kernel set it up, read from the new fd's io_ring_ctx. */
static __noinline int io_uring_setup_exit(const struct syscall_exit *sc)
{
	struct task_struct *task = sc->task;
	long ret = sc->ret;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_IO_URING_SETUP))
		return 0;
	struct rg_io_uring_setup *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_IO_URING_SETUP, sizeof(*e), task);
	e->hdr.flags |= sc->compat ? EVENT_FLAG_COMPAT : 0;
	e->result = ret;
	e->entries = syscall_arg(sc, 0);
	e->sq_entries = 0;
	e->cq_entries = 0;
	e->setup_flags = 0;
	e->reserved = 0;
	if (ret >= 0) {
		struct file *file = file_of_fd(task, ret);
		if (file) {
			/* Another thread may have replaced the fd already: only a ring's anon inode is read as one. */
			__u64 name[2] = {};
			bpf_probe_read_kernel_str(name, sizeof(name), file->f_path.dentry->d_name.name);
			/* "[io_uring]" and its NUL, as two little-endian words */
			if (name[0] != 0x6e6972755f6f695bULL || (name[1] & 0xffffff) != 0x5d67)
				goto done;
			struct io_ring_ctx *ctx = KERNEL_PTR(file->private_data, struct io_ring_ctx);
			e->setup_flags = ctx->flags;
			e->sq_entries = ctx->sq_entries;
			e->cq_entries = ctx->cq_entries;
		}
	}
done:
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

#endif /* RG_IO_URING_BPF_H */
