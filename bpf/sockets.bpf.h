/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Network hooks beyond connect: listeners (bind, listen, accept), TCP outcomes
 * (inet_sock_set_state), UDP sends and DNS messages (sock_send_length,
 * sock_recv_length, with the packet itself from net_dev_queue), Unix sockets,
 * and TCP Fast Open. Included by rg.bpf.c; the bind, listen, accept and Unix
 * handlers are called from its sys_exit dispatch.
 *
 * Where an address comes from, in order of trust:
 *  1. struct sock: what the socket is bound or connected to (bind, listen,
 *     accept, connected UDP, TCP states).
 *  2. The packet the kernel queued (net_dev_queue, in the sender's context):
 *     the destination and payload of an unconnected UDP send.
 *  3. The caller's memory, only when the kernel holds nothing to read (a
 *     failed bind, a send whose packet never reached a device): recorded with
 *     EVENT_FLAG_FROM_USER_MEMORY, what was asked for, not what happened.
 *
 * Programs that get a trusted struct sock (the tp_btf tracepoints) keep
 * per-socket state in sk storage; the sys_exit paths reach sockets through
 * the fd table, as untrusted pointers that can be read but not handed to
 * helpers, so they read the cookie the tracepoints assigned (0 if none yet).
 */
#ifndef RG_SOCKETS_BPF_H
#define RG_SOCKETS_BPF_H

#include "common.bpf.h"
#include "paths.bpf.h"
#include "net.bpf.h"

#define AF_UNIX 1
#define PF_IO_WORKER 0x00000010
#define PF_KTHREAD 0x00200000

/*
 * x86_64 numbers of the syscalls a send or receive tracepoint may run under
 * (to find the fd and the caller's buffer). An ia32 task's numbers differ:
 * syscall_nr() gives -1 for those, so their arguments are never guessed at.
 */
#define NR_read 0
#define NR_write 1
#define NR_readv 19
#define NR_writev 20
#define NR_connect 42
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#define NR_recvmmsg 299
#define NR_sendmmsg 307
#define NR_io_uring_enter 426

#define MSG_FASTOPEN 0x20000000
/* net_unix.op */
#define RG_UNIX_BIND 1
#define RG_UNIX_CONNECT 2
#define RG_UNIX_ACCEPT 3
#define DNS_PORT 53
/* Iovecs gathered into a DNS payload (glibc writes a TCP query as length + message). */
#define DNS_IOVECS 4

/* sendto/sendmsg to the same (process, socket, destination) within this long count as repeats. */
const volatile __u64 udp_repeat_window_ns = 60ULL * 1000 * 1000 * 1000;
/* The window is checked every this many repeats (a power of two). */
#define UDP_REPEAT_CHECK 64

/* ---- maps ---------------------------------------------------------------- */

/*
 * Per TCP socket (and per UDP socket that sent DNS): who owns it, for state
 * changes that run in softirq where `current` is whoever was interrupted.
 * BPF_F_CLONE: a connection accepted from a listener starts with a copy of the
 * listener's entry, so its first state change is attributed to the listener.
 */
struct sock_state {
	struct rg_event_header owner_hdr; /* the owner's identity as of its last task-context state change */
	__u64 established_ns;
	__u16 owner;                      /* RG_OWNER_*: how owner_hdr was learnt; 0 = not yet */
	__u8 dns;                         /* 1: sent to port 53; its responses are recorded */
	__u8 fastopen;                    /* 1: a send (MSG_FASTOPEN, TCP_FASTOPEN_CONNECT's first, io_uring's) began this connection, not yet recorded */
	__u16 local_port;                 /* the bound port: the kernel releases it (inet_num = 0) before the close is traced */
	__u8 followed;                    /* 1: owner_hdr's process was followed (--follow) when it was learnt */
	__u8 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct sock_state);
} SOCK_STATE SEC(".maps");

#define RG_OWNER_UNKNOWN 0
#define RG_OWNER_CURRENT 1
#define RG_OWNER_LAST_TASK 2
#define RG_OWNER_LISTENER 3

/* The last UDP datagram this task queued to a device: what sock_send_length pairs with its send. */
struct tx_packet {
	__u64 sk;
	__u32 size;           /* UDP payload bytes */
	__u32 payload_size;   /* bytes of payload[] copied (DNS only) */
	__u16 family;
	__u16 port;
	__s32 nr;             /* the system call it was queued in (syscall_nr): paired only with a send in the same */
	__u8 addr[ADDR_LEN];
	__u8 payload[DNS_PAYLOAD_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tx_packet);
} TX_PACKET SEC(".maps");

/* Repeat suppression for UDP sends: one record per (process, socket, destination) and window. */
struct udp_dest {
	__u64 cookie;
	__u32 tgid;
	__u16 family;
	__u16 port;
	__u8 addr[ADDR_LEN];
};

struct udp_seen {
	__u64 recorded_ns;
	__u32 repeats;
	__s32 fd;
	__u16 protocol;
	__u16 connected;
	__u16 ev_flags;
	__u16 reserved;
	struct rg_event_header hdr; /* the last record's: who the summary at stop is about */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct udp_dest);
	__type(value, struct udp_seen);
} UDP_SEEN SEC(".maps");

/* Sends suppressed as repeats, per CPU (summed by user space): the total behind every `repeats`. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} UDP_REPEATS SEC(".maps");

/*
 * Where a DNS payload is gathered from user iovecs. Offsets and lengths are
 * masked with DNS_MASK (a power of two above DNS_PAYLOAD_LEN, so the mask
 * changes no value that can occur): the verifier then sees offset + length
 * below DNS_SCRATCH_LEN.
 */
#define DNS_MASK 511
#define DNS_SCRATCH_LEN (2 * (DNS_MASK + 1))
_Static_assert(DNS_PAYLOAD_LEN <= DNS_MASK, "DNS_MASK must bound DNS_PAYLOAD_LEN");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[DNS_SCRATCH_LEN]);
} DNS_SCRATCH SEC(".maps");

/* Connections begun by sendto(MSG_FASTOPEN) not yet recorded: a send on a TCP socket looks only while > 0. */
__u32 fastopen_pending = 0;

/* ---- helpers ------------------------------------------------------------- */

/* x86_64 THREAD_SIZE (16 KiB; a KASAN kernel's 32 KiB stacks only make more changes look interrupt-made). */
#define TASK_STACK_SIZE 16384
/* Above every x86_64 system call number (463 in 6.18). */
#define RG_MAX_SYSCALL_NR 1024

/*
 * in_task(), without the preempt count (a per-CPU variable this kernel's
 * kallsyms does not list, so BPF cannot take its address): is the tracepoint
 * running on current's own kernel stack? `ctx`, a tp_btf program's argument
 * array, is a local of the kernel's __bpf_trace_run() and so lies on the stack
 * the tracepoint fired on (the program's own frame may not: the JIT can give
 * a program a private per-CPU stack). Interrupts that find the task in the
 * kernel, their softirqs, local_bh_enable's softirqs and NMIs run on other
 * stacks (x86_64's per-CPU irq stack); ksoftirqd runs softirqs on its own
 * stack but is a kernel thread. An interrupt that finds the task in user
 * mode, and its softirqs, run on the task's stack: told apart by the entry's
 * pt_regs (below). Reading the address needs CAP_PERFMON (pointer leaks
 * allowed), which rg-capture needs anyway. Measured on loopback connects: the
 * listener side's SYN_RECV and ESTABLISHED changes (softirq, in the client's
 * context) read as interrupt, the client's own as task.
 */
static __always_inline bool in_task_context(struct task_struct *task, void *ctx)
{
	__u64 base = (__u64)task->stack;
	if ((__u64)ctx - base >= TASK_STACK_SIZE || (task->flags & PF_KTHREAD))
		return false;
	if (task->flags & PF_IO_WORKER)
		return true; /* never in user mode: an interrupt finds it in the kernel, and runs on the irq stack */
	/*
	 * An interrupt that finds the task in user mode runs on the task's own stack, and so do the softirqs
	 * at its exit (measured: a loopback FIN_WAIT2 -> CLOSE of another process's socket read as made by the
	 * node or chromium process it interrupted, in 2 runs of 10; 0 of 30 with this check). The entry's
	 * pt_regs tell: a system call (and the work at its return: a close's deferred fput) leaves its number
	 * in orig_ax; a system interrupt -1 (the timer, IPIs); a device interrupt its vector, sign-extended
	 * from one byte. A device interrupt with a vector from 32 to 127 still reads as a system call: that
	 * case is left (no per-CPU preempt count to read here).
	 */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	long nr = regs->orig_ax;
	return nr >= 0 && nr < RG_MAX_SYSCALL_NR;
}

/* The struct socket behind fd of task, or NULL: an untrusted pointer, read with plain loads. */
static __always_inline struct socket *socket_of_fd(struct task_struct *task, long fd)
{
	return socket_of_file(file_of_fd(task, fd));
}

/*
 * The x86_64 syscall task is in (from its saved registers), for the
 * tracepoints that run inside one; -1 for an ia32 syscall, whose numbers and
 * argument registers are another table's.
 */
static __always_inline long syscall_nr(struct task_struct *task, struct pt_regs *regs)
{
	if (task->thread_info.status & TS_COMPAT)
		return -1;
	return regs->orig_ax;
}

/* A socket's two ends as the kernel holds them. Ports in host byte order. */
struct sock_ends {
	__u8 local[ADDR_LEN];
	__u8 peer[ADDR_LEN];
	__u16 family;
	__u16 local_port;
	__u16 peer_port;
	__u16 protocol;
};

static __always_inline void read_sock_ends(const struct sock *sk, struct sock_ends *a)
{
	__u16 family = sk->__sk_common.skc_family;
	a->family = family;
	a->protocol = sk->sk_protocol;
	a->local_port = sk->__sk_common.skc_num;
	a->peer_port = bpf_ntohs(sk->__sk_common.skc_dport);
	if (family == AF_INET) {
		__builtin_memcpy(a->local, &sk->__sk_common.skc_rcv_saddr, 4);
		__builtin_memcpy(a->peer, &sk->__sk_common.skc_daddr, 4);
	} else if (family == AF_INET6) {
		__builtin_memcpy(a->local, &sk->__sk_common.skc_v6_rcv_saddr, 16);
		__builtin_memcpy(a->peer, &sk->__sk_common.skc_v6_daddr, 16);
	}
}

/* The cookie a tracepoint program assigned, or 0: sys_exit cannot assign one (untrusted sk). */
static __always_inline __u64 assigned_cookie(const struct sock *sk)
{
	return sk->__sk_common.skc_cookie.counter;
}

/*
 * Reads an AF_INET/AF_INET6 sockaddr into family/port/addr: from user memory, or (kernel != 0) a copy the
 * kernel made (io_uring's, which the caller can no longer change).
 * Returns 1 if read, 0 for another family, -1 if unreadable.
 */
static __always_inline int read_inet_sockaddr(const void *src, int kernel, __u16 *family, __u16 *port, __u8 *addr)
{
	__u16 fam = 0;
	if (!src || (kernel ? bpf_probe_read_kernel(&fam, sizeof(fam), src) : bpf_probe_read_user(&fam, sizeof(fam), src)) != 0)
		return -1;
	if (fam == AF_INET) {
		struct sockaddr_in sin;
		if ((kernel ? bpf_probe_read_kernel(&sin, sizeof(sin), src) : bpf_probe_read_user(&sin, sizeof(sin), src)) != 0)
			return -1;
		*port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(addr, &sin.sin_addr, 4);
	} else if (fam == AF_INET6) {
		struct sockaddr_in6 sin6;
		if ((kernel ? bpf_probe_read_kernel(&sin6, sizeof(sin6), src) : bpf_probe_read_user(&sin6, sizeof(sin6), src)) != 0)
			return -1;
		*port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(addr, &sin6.sin6_addr, 16);
	} else {
		return 0;
	}
	*family = fam;
	return 1;
}

static __always_inline int read_user_inet_sockaddr(const void *uaddr, __u16 *family, __u16 *port, __u8 *addr)
{
	return read_inet_sockaddr(uaddr, 0, family, port, addr);
}

/* ---- bind, listen, accept (sys_exit) --------------------------------------- */

static __always_inline int bind_exit(const struct syscall_exit *sc, const struct rg_capture_config *cfg, struct socket *sock);
static __always_inline int unix_exit(const struct syscall_exit *sc, const struct rg_capture_config *cfg, struct socket *sock, __u16 op);

/* bind(2): the address the kernel bound (the port it chose for port 0); a Unix socket's path. */
static __noinline int net_bind_exit(const struct syscall_exit *sc)
{
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;
	struct socket *sock = socket_of_fd(sc->task, (int)syscall_arg(sc, 0));
	if (!sock)
		return 0;
	__u16 family = sock->sk->__sk_common.skc_family;
	if (family == AF_UNIX)
		return unix_exit(sc, cfg, sock, RG_UNIX_BIND);
	if (family != AF_INET && family != AF_INET6)
		return 0; /* netlink, packet, vsock, ...: not recorded */
	return bind_exit(sc, cfg, sock);
}

static __always_inline int bind_exit(const struct syscall_exit *sc, const struct rg_capture_config *cfg, struct socket *sock)
{
	struct task_struct *task = sc->task;
	if (!wanted(cfg, task->tgid, RG_KIND_NET_BIND))
		return 0;
	struct sock *sk = sock->sk;
	struct sock_ends a = {};
	__u16 ev_flags = sc->compat ? EVENT_FLAG_COMPAT : 0;
	read_sock_ends(sk, &a);
	if (sc->ret != 0) {
		/* Nothing bound: what was asked for, from the caller's memory. */
		__builtin_memset(a.local, 0, sizeof(a.local));
		a.local_port = 0;
		ev_flags |= EVENT_FLAG_FROM_USER_MEMORY;
		if (read_user_inet_sockaddr((const void *)syscall_arg(sc, 1), &a.family, &a.local_port, a.local) < 0)
			ev_flags |= EVENT_FLAG_USER_READ_FAILED;
	}
	struct rg_net_bind *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_BIND, sizeof(*e), task);
	e->hdr.flags |= ev_flags;
	e->fd = (int)syscall_arg(sc, 0);
	e->result = sc->ret;
	e->family = a.family;
	e->port = a.local_port;
	e->protocol = a.protocol;
	e->sock_type = sock->type;
	__builtin_memcpy(e->addr, a.local, sizeof(e->addr));
	e->sock_cookie = assigned_cookie(sk);
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* listen(2): the local address and port from the kernel's socket. */
static __noinline int net_listen_exit(const struct syscall_exit *sc)
{
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_NET_LISTEN))
		return 0;
	int fd = (int)syscall_arg(sc, 0);
	struct socket *sock = socket_of_fd(task, fd);
	if (!sock)
		return 0;
	struct sock *sk = sock->sk;
	struct sock_ends a = {};
	read_sock_ends(sk, &a);
	if (a.family != AF_INET && a.family != AF_INET6)
		return 0; /* a Unix listener is recorded at its bind, with its path */
	struct rg_net_listen *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_LISTEN, sizeof(*e), task);
	e->hdr.flags |= sc->compat ? EVENT_FLAG_COMPAT : 0;
	e->fd = fd;
	e->result = sc->ret;
	e->backlog = (int)syscall_arg(sc, 1);
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

/*
 * accept/accept4 (and io_uring ACCEPT): both ends from the new socket, which
 * the kernel connected. Failed accepts are not recorded: a non-blocking
 * server's EAGAIN loop would flood the ring with nothing learnt.
 */
static __always_inline int emit_accept(struct task_struct *task, const struct rg_capture_config *cfg, int listen_fd,
				       long ret, __u32 flags, struct socket *sock, __u16 ev_flags)
{
	struct sock *sk = sock->sk;
	struct sock_ends a = {};
	read_sock_ends(sk, &a);
	if (a.family != AF_INET && a.family != AF_INET6)
		return 0;
	struct rg_net_accept *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_ACCEPT, sizeof(*e), task);
	e->hdr.flags |= ev_flags;
	e->fd = listen_fd;
	e->result = ret;
	e->accept_flags = flags;
	e->family = a.family;
	e->protocol = a.protocol;
	e->sock_type = sock->type;
	e->port = a.local_port;
	e->peer_port = a.peer_port;
	e->reserved = 0;
	__builtin_memcpy(e->addr, a.local, sizeof(e->addr));
	__builtin_memcpy(e->peer_addr, a.peer, sizeof(e->peer_addr));
	e->sock_cookie = assigned_cookie(sk);
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

static __noinline int net_accept_exit(const struct syscall_exit *sc)
{
	long ret = sc->ret;
	if (ret < 0)
		return 0;
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;
	struct socket *sock = socket_of_fd(task, ret);
	if (!sock)
		return 0;
	if (sock->sk->__sk_common.skc_family == AF_UNIX)
		return unix_exit(sc, cfg, sock, RG_UNIX_ACCEPT);
	if (!wanted(cfg, task->tgid, RG_KIND_NET_ACCEPT))
		return 0;
	__u32 flags = sc->call == RG_CALL_ACCEPT4 ? syscall_arg(sc, 3) : 0;
	return emit_accept(task, cfg, (int)syscall_arg(sc, 0), ret, flags, sock, sc->compat ? EVENT_FLAG_COMPAT : 0);
}

/* ---- Unix sockets -------------------------------------------------------- */

/*
 * Copies a sockaddr_un path (len bytes of sun_path, from kernel memory when
 * `user` is false) into e->path: an abstract name (leading NUL) without its
 * NUL, a filesystem path up to its NUL. Returns the header flags to add.
 */
static __always_inline __u16 copy_unix_path(struct rg_net_unix *e, const char *sun_path, int len, bool user)
{
	__builtin_memset(e->path, 0, sizeof(e->path));
	e->path_size = 0;
	e->abstract = 0;
	if (len <= 0)
		return 0;
	if (len > UNIX_PATH_LEN)
		len = UNIX_PATH_LEN;
	char first = 0;
	long err = user ? bpf_probe_read_user(&first, 1, sun_path) : bpf_probe_read_kernel(&first, 1, sun_path);
	if (err != 0)
		return EVENT_FLAG_USER_READ_FAILED;
	e->path_size = len;
	if (first == 0) {
		/* Abstract: len bytes, NULs included; the name is kept without its leading NUL. */
		e->abstract = 1;
		__u64 n = len - 1; /* 0 <= len - 1 < UNIX_PATH_LEN */
		barrier_var(n);
		if (n >= UNIX_PATH_LEN)
			n = UNIX_PATH_LEN - 1; /* never taken; the bound the verifier needs */
		if (n > 0)
			err = user ? bpf_probe_read_user(e->path, n, sun_path + 1) : bpf_probe_read_kernel(e->path, n, sun_path + 1);
	} else {
		/*
		 * A pathname: len bytes as they are, not a string read, which keeps room for a NUL: a name that fills
		 * all UNIX_PATH_LEN bytes has none (the kernel adds its own past sun_path), and would lose its last
		 * byte. Replay reads a pathname up to its NUL within path_size.
		 */
		__u64 n = len; /* 0 < len <= UNIX_PATH_LEN */
		barrier_var(n);
		if (n > UNIX_PATH_LEN)
			n = UNIX_PATH_LEN; /* never taken; the bound the verifier needs */
		err = user ? bpf_probe_read_user(e->path, n, sun_path) : bpf_probe_read_kernel(e->path, n, sun_path);
	}
	return err != 0 ? EVENT_FLAG_USER_READ_FAILED : 0;
}

/* The pid the kernel recorded for sk's peer (SO_PEERCRED), or 0. */
static __always_inline __u32 peer_pid_of(const struct sock *sk)
{
	struct pid *pid = sk->sk_peer_pid;
	if (!pid)
		return 0;
	return pid->numbers[0].nr; /* in the initial pid namespace, as the header's pids are */
}

/*
 * bind: the address the kernel bound (unix_sk(sk)->addr); connect: the
 * listener's address the kernel connected to (unix_sk(peer)->addr); accept:
 * the listener's address, which the new socket shares. On failure, the
 * address asked for, from the caller's memory.
 */
static __always_inline int unix_exit(const struct syscall_exit *sc, const struct rg_capture_config *cfg, struct socket *sock, __u16 op)
{
	struct task_struct *task = sc->task;
	long ret = sc->ret;
	if (!wanted(cfg, task->tgid, RG_KIND_NET_UNIX))
		return 0;
	struct sock *sk = sock->sk;
	struct unix_sock *us = KERNEL_PTR(sk, struct unix_sock);
	struct unix_address *ua = NULL;
	if (ret >= 0) {
		if (op == RG_UNIX_CONNECT) {
			struct sock *peer = us->peer;
			if (peer)
				ua = KERNEL_PTR(peer, struct unix_sock)->addr;
		} else {
			ua = us->addr;
		}
	}
	struct rg_net_unix *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_UNIX, sizeof(*e), task);
	e->hdr.flags |= sc->compat ? EVENT_FLAG_COMPAT : 0;
	e->op = op;
	e->sock_type = sock->type;
	e->fd = (int)syscall_arg(sc, 0); /* accept: the listening socket; result is the new fd */
	e->result = ret;
	e->peer_pid = ret >= 0 && op != RG_UNIX_BIND ? peer_pid_of(sk) : 0;
	if (ua) {
		int len = ua->len - (int)__builtin_offsetof(struct sockaddr_un, sun_path);
		const char *sun_path = (const char *)&ua->name + __builtin_offsetof(struct sockaddr_un, sun_path);
		e->hdr.flags |= copy_unix_path(e, sun_path, len, false);
	} else {
		/* Failed, or the kernel holds no address (an unbound peer): what the caller asked for. */
		const char *uaddr = (const char *)syscall_arg(sc, 1);
		int len = (int)syscall_arg(sc, 2) - (int)__builtin_offsetof(struct sockaddr_un, sun_path);
		if (op == RG_UNIX_ACCEPT || !uaddr) {
			e->hdr.flags |= copy_unix_path(e, NULL, 0, false);
		} else {
			e->hdr.flags |= EVENT_FLAG_FROM_USER_MEMORY |
					copy_unix_path(e, uaddr + __builtin_offsetof(struct sockaddr_un, sun_path), len, true);
		}
	}
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/*
 * connect(2) on an AF_UNIX socket; returns 1 when it was one (recorded or
 * not), 0 to let connect_exit (net.bpf.h) judge it. ia32's socketcall
 * connects go to connect_exit, which records IPv4 and IPv6 only.
 */
static __noinline int unix_connect_exit(const struct syscall_exit *sc)
{
	if (sc->call != RG_CALL_CONNECT)
		return 0;
	struct socket *sock = socket_of_fd(sc->task, (int)syscall_arg(sc, 0));
	if (!sock || sock->sk->__sk_common.skc_family != AF_UNIX)
		return 0;
	const struct rg_capture_config *cfg = get_config();
	if (cfg)
		unix_exit(sc, cfg, sock, RG_UNIX_CONNECT);
	return 1;
}

/* ---- TCP outcomes (inet_sock_set_state) ---------------------------------- */

/* States a connection reaches only after it was established. */
static __always_inline bool was_established(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_CLOSE_WAIT ||
	       state == TCP_LAST_ACK || state == TCP_CLOSING || state == TCP_TIME_WAIT;
}

/* Version, kind, size, time, cpu of a record whose identity fields came from elsewhere. */
static __always_inline void stamp_header(struct rg_event_header *h, __u16 kind, __u32 size)
{
	h->version = EVENT_SCHEMA_VERSION;
	h->kind = kind;
	h->size = size;
	h->ts_ns = bpf_ktime_get_ns();
	h->cpu = bpf_get_smp_processor_id();
}

/*
 * Every TCP state change of every socket passes here, often in softirq (a
 * SYN-ACK, a RST, a timer), where `current` is whoever was interrupted. So the
 * owner is learnt in task context (connect, listen, close, io_uring's worker)
 * and kept in SOCK_STATE; a record made in softirq carries the owner's
 * identity as of then (owner = last_task), the listener's for a connection
 * not yet acted on by any task (owner = listener, inherited through
 * BPF_F_CLONE), or none (owner = unknown: a listener older than the capture;
 * the header's identity fields are then zero).
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_inet_sock_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;
	struct sock *s = (struct sock *)sk;
	/* Assigned here, so bind/listen/accept records made at sys_exit can carry it. */
	__u64 cookie = bpf_get_socket_cookie(s);
	struct sock_state *st = bpf_sk_storage_get(&SOCK_STATE, s, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return 0;
	__u16 local_port = sk->__sk_common.skc_num;
	if (local_port != 0)
		st->local_port = local_port;
	struct task_struct *task = bpf_get_current_task_btf();
	bool task_ctx = in_task_context(task, ctx);
	if (task_ctx) {
		fill_header(&st->owner_hdr, 0, 0, task);
		st->owner = newstate == TCP_LISTEN ? RG_OWNER_LISTENER : RG_OWNER_LAST_TASK;
		if (cfg->follow == 1) {
			__u32 tgid = task->tgid;
			st->followed = bpf_map_lookup_elem(&FOLLOWED, &tgid) != NULL;
		}
		if (newstate == TCP_SYN_SENT) {
			long nr = syscall_nr(task, (struct pt_regs *)bpf_task_pt_regs(task));
			if (nr == NR_connect && wanted(cfg, task->tgid, RG_KIND_NET_CONNECT)) {
				/* What connect_exit records if the fd names another socket by then (net.bpf.h). */
				struct connecting *cn = bpf_task_storage_get(&CONNECTING, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
				if (cn) {
					__builtin_memset(&cn->c, 0, sizeof(cn->c));
					cn->c.family = sk->__sk_common.skc_family;
					cn->c.port = bpf_ntohs(sk->__sk_common.skc_dport);
					cn->c.protocol = IPPROTO_TCP;
					cn->c.sock_type = sk->sk_type;
					if (cn->c.family == AF_INET)
						__builtin_memcpy(cn->c.addr, &sk->__sk_common.skc_daddr, 4);
					else
						__builtin_memcpy(cn->c.addr, &sk->__sk_common.skc_v6_daddr, 16);
					cn->cookie = cookie;
				}
			}
			/*
			 * Begun by a send, not a connect: the kernel holds the send's data in fastopen_req while the
			 * send connects (tcp_sendmsg_fastopen), whether sendto/sendmsg or io_uring's SEND/SENDMSG
			 * made it (whose system call number is io_uring_enter's, or none in its worker).
			 */
			struct tcp_sock *tp = bpf_skc_to_tcp_sock(s);
			if (tp && tp->fastopen_req && !st->fastopen) {
				st->fastopen = 1; /* recorded as a connect when the send returns (sock_send_length) */
				__sync_fetch_and_add(&fastopen_pending, 1);
			}
		}
	}

	__u16 outcome;
	if (oldstate == TCP_SYN_SENT && newstate == TCP_ESTABLISHED)
		outcome = 1; /* out_established */
	else if (oldstate == TCP_SYN_SENT && newstate == TCP_CLOSE)
		outcome = 2; /* out_failed */
	else if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED)
		outcome = 3; /* in_established */
	else if (newstate == TCP_CLOSE && was_established(oldstate))
		outcome = 4; /* closed */
	else
		return 0;

	__u16 owner = task_ctx ? RG_OWNER_CURRENT : st->owner;
	__u32 owner_tgid = owner != RG_OWNER_UNKNOWN ? st->owner_hdr.pid : 0;
	__u64 established = st->established_ns;
	if (outcome == 1 || outcome == 3)
		st->established_ns = bpf_ktime_get_ns();
	/*
	 * Followed by what the owner was when it was learnt, not by what it is now: a connection keeps closing
	 * after its process exited (FIN_WAIT2 to TIME_WAIT in softirq), and the exit took the process out of
	 * FOLLOWED, which dropped the `closed` record.
	 */
	if (!task_ctx && owner != RG_OWNER_UNKNOWN && st->followed) {
		if (owner_tgid == cfg->self_tgid || !(cfg->events_mask & (1ULL << RG_KIND_NET_TCP_STATE)))
			return 0;
	} else if (!wanted(cfg, owner_tgid, RG_KIND_NET_TCP_STATE)) {
		return 0;
	}

	struct rg_net_tcp_state *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	if (owner != RG_OWNER_UNKNOWN)
		__builtin_memcpy(&e->hdr, &st->owner_hdr, sizeof(e->hdr));
	else
		__builtin_memset(&e->hdr, 0, sizeof(e->hdr));
	stamp_header(&e->hdr, RG_KIND_NET_TCP_STATE, sizeof(*e));
	struct sock_ends a = {};
	read_sock_ends(sk, &a);
	if (a.local_port == 0)
		a.local_port = st->local_port;
	e->outcome = outcome;
	e->family = a.family;
	e->old_state = oldstate;
	e->new_state = newstate;
	e->port = a.local_port;
	e->peer_port = a.peer_port;
	e->owner = owner;
	e->reserved = 0;
	e->result = outcome == 2 || outcome == 4 ? -sk->sk_err : 0;
	e->reserved2 = 0;
	__builtin_memcpy(e->addr, a.local, sizeof(e->addr));
	__builtin_memcpy(e->peer_addr, a.peer, sizeof(e->peer_addr));
	e->bytes_sent = 0;
	e->bytes_received = 0;
	e->duration_ns = 0;
	if (outcome == 4) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(s);
		if (tp) {
			e->bytes_sent = tp->bytes_sent;
			/* bytes_received counts sequence numbers: a received FIN (tcp_fin sets SOCK_DONE) is one, not payload. */
			__u64 received = tp->bytes_received;
			if ((s->__sk_common.skc_flags & (1UL << SOCK_DONE)) && received > 0)
				received--;
			e->bytes_received = received;
		}
		if (established)
			e->duration_ns = e->hdr.ts_ns - established;
	}
	e->sock_cookie = cookie;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- the datagram a send queued (net_dev_queue) ---------------------------- */

#define IP_OFFSET_MASK 0x1FFF   /* IPv4 frag_off: the fragment's offset, in 8-byte units */
#define IP6_OFFSET_MASK 0xFFF8  /* IPv6 fragment header frag_off: the offset, in 8-byte units, shifted by 3 */
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_DEST 60
/* IPv6 extension headers walked before the UDP header; a packet with more is not paired (its send falls back). */
#define IP6_EXT_HEADERS 4

#define IPOPT_END 0
#define IPOPT_NOOP 1
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137
#define IPV4_OPTIONS_MAX 40

/* The walk over IPv4 options (bpf_loop: the verifier checks one step, not every path through 40). */
struct ipv4_opts_walk {
	__u8 o[64];
	__u32 off;
	__u32 len;
	__u32 daddr;
};

static long ipv4_opts_step(__u64 i, struct ipv4_opts_walk *w)
{
	__u32 off = w->off;
	if (off >= w->len || off >= IPV4_OPTIONS_MAX)
		return 1;
	__u8 type = w->o[off & 63];
	if (type == IPOPT_END)
		return 1;
	if (type == IPOPT_NOOP) {
		w->off = off + 1;
		return 0;
	}
	__u32 olen = w->o[(off + 1) & 63];
	if (olen < 2 || off + olen > w->len)
		return 1;
	if ((type == IPOPT_LSRR || type == IPOPT_SSRR) && olen >= 7) {
		__u32 at = off + olen - 4;
		w->daddr = (__u32)w->o[at & 63] | (__u32)w->o[(at + 1) & 63] << 8 | (__u32)w->o[(at + 2) & 63] << 16 |
			   (__u32)w->o[(at + 3) & 63] << 24;
		return 1;
	}
	w->off = off + olen;
	return 0;
}

/*
 * The datagram's destination when its IPv4 header carries a source route (IP_OPTIONS with LSRR or SSRR): the
 * header's daddr is then the first hop, and the kernel writes the real destination into the option's last
 * address (ip_options_build). `options`: the `len` bytes of options after the fixed header.
 */
static __noinline __u32 ipv4_final_destination(const unsigned char *options, __u32 len, __u32 daddr)
{
	struct ipv4_opts_walk w = { .len = len, .daddr = daddr };
	if (len > IPV4_OPTIONS_MAX || bpf_probe_read_kernel(w.o, IPV4_OPTIONS_MAX, options) != 0)
		return daddr;
	bpf_loop(IPV4_OPTIONS_MAX, ipv4_opts_step, &w, 0);
	return w.daddr;
}

/* Forgets the task's queued datagram, if it has one: what it holds is not this send's. */
static __always_inline int tx_packet_forget(struct task_struct *task)
{
	struct tx_packet *pkt = bpf_task_storage_get(&TX_PACKET, task, 0, 0);
	if (pkt)
		pkt->sk = 0;
	return 0;
}

/*
 * Runs for every packet queued to a device, in the sender's context for a
 * UDP send (udp_sendmsg -> ip_send_skb -> dev_queue_xmit): the destination
 * and payload the kernel really put on the wire, which the sender's memory
 * (racy, rewritable by another thread) is not. Kept per task, with the
 * system call it was queued in, for the send's sock_send_length, which follows
 * on the same task in the same call. Other packets return after two loads.
 *
 * Only a datagram's first IP fragment is the datagram's: the UDP header (the
 * port, the size) is in it, and a later fragment's first bytes are the
 * sender's payload, which could be written to look like a header to port 53.
 * The offset is read from the IP header the kernel built (for IPv6, from the
 * fragment header behind at most IP6_EXT_HEADERS extension headers). A
 * connected socket's datagram to its own peer is left to sock_send_length,
 * which reads the socket; one to any other address (sendto on a connected
 * socket, which UDP allows) is kept. A datagram held for neighbour resolution
 * is queued later from softirq (skipped: `current` is not its sender): its
 * send falls back to the socket or the caller's memory.
 */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(handle_net_dev_queue, struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	if (!sk)
		return 0;
	__u16 protocol = sk->sk_protocol;
	if (protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	unsigned char *head = skb->head;
	__u64 nh = skb->network_header;
	__u64 tail = skb->tail;
	/* One read for the IP header and, where it follows at once (no options), the UDP header: ~15 ns a read. */
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
		__u8 bytes[sizeof(struct ipv6hdr) + sizeof(struct udphdr)];
	} hdrs;
	if (bpf_probe_read_kernel(&hdrs, sizeof(hdrs), head + nh) != 0)
		goto forget;
	__u8 version = hdrs.bytes[0] >> 4;
	__u64 th; /* where the UDP header is, from the IP headers (not skb->transport_header: a later fragment's points at payload) */
	__u8 next;
	__u32 daddr4 = hdrs.v4.daddr;
	if (version == 4) {
		if (hdrs.v4.frag_off & bpf_htons(IP_OFFSET_MASK))
			return 0; /* a later fragment: the first one's header is kept */
		th = nh + hdrs.v4.ihl * 4;
		next = hdrs.v4.protocol;
		if (hdrs.v4.ihl > 5)
			daddr4 = ipv4_final_destination(head + nh + sizeof(struct iphdr), (hdrs.v4.ihl - 5) * 4, daddr4);
	} else if (version == 6) {
		th = nh + sizeof(struct ipv6hdr);
		next = hdrs.v6.nexthdr;
		for (int i = 0; i < IP6_EXT_HEADERS; i++) {
			if (next == IPPROTO_UDP || next == IPPROTO_UDPLITE)
				break;
			if (next == NEXTHDR_FRAGMENT) {
				struct frag_hdr fh;
				if (bpf_probe_read_kernel(&fh, sizeof(fh), head + th) != 0)
					goto forget;
				if (fh.frag_off & bpf_htons(IP6_OFFSET_MASK))
					return 0; /* a later fragment */
				next = fh.nexthdr;
				th += sizeof(fh);
			} else if (next == NEXTHDR_HOP || next == NEXTHDR_ROUTING || next == NEXTHDR_DEST) {
				struct ipv6_opt_hdr oh;
				if (bpf_probe_read_kernel(&oh, sizeof(oh), head + th) != 0)
					goto forget;
				next = oh.nexthdr;
				th += (oh.hdrlen + 1) * 8;
			} else {
				break;
			}
		}
	} else {
		goto forget;
	}
	if (next != IPPROTO_UDP && next != IPPROTO_UDPLITE)
		goto forget; /* not a UDP header where the walk ended: this packet says nothing sure */
	struct udphdr uh;
	__u32 ip_len = version == 4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	if (th == nh + ip_len) {
		__builtin_memcpy(&uh, hdrs.bytes + (version == 4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)), sizeof(uh));
	} else if (bpf_probe_read_kernel(&uh, sizeof(uh), head + th) != 0) {
		goto forget;
	}
	/* A connected socket's datagram to its peer (not DNS, whose bytes are wanted): sock_send_length reads the socket. */
	if (sk->__sk_common.skc_state == TCP_ESTABLISHED && uh.dest == sk->__sk_common.skc_dport && uh.dest != bpf_htons(DNS_PORT)) {
		if (version == 4 && daddr4 == sk->__sk_common.skc_daddr)
			return 0;
		if (version == 6) {
			struct in6_addr peer = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
			const __u64 *a = (const __u64 *)&peer, *b = (const __u64 *)&hdrs.v6.daddr;
			if (a[0] == b[0] && a[1] == b[1])
				return 0;
		}
	}
	/* Queued from softirq (after neighbour resolution): `current` is not the sender; its storage is left alone. */
	if (!in_task_context(task, ctx))
		return 0;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !(wanted(cfg, task->tgid, RG_KIND_NET_UDP_SEND) || wanted(cfg, task->tgid, RG_KIND_NET_DNS)))
		return 0;
	struct tx_packet *pkt = bpf_task_storage_get(&TX_PACKET, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!pkt)
		return 0;
	__builtin_memset(pkt->addr, 0, sizeof(pkt->addr));
	if (version == 4) {
		pkt->family = AF_INET;
		__builtin_memcpy(pkt->addr, &daddr4, 4);
	} else {
		pkt->family = AF_INET6;
		__builtin_memcpy(pkt->addr, &hdrs.v6.daddr, 16);
	}
	pkt->port = bpf_ntohs(uh.dest);
	__u32 ulen = bpf_ntohs(uh.len);
	pkt->size = ulen > sizeof(uh) ? ulen - sizeof(uh) : 0;
	pkt->payload_size = 0;
	pkt->nr = syscall_nr(task, (struct pt_regs *)bpf_task_pt_regs(task));
	if (pkt->port == DNS_PORT) {
		/* Only the linear part: a small datagram is built there whole. 64-bit arithmetic throughout, or
		 * the compiler's 32-bit zero-extensions hide the clamp from the verifier. */
		__u64 start = th + sizeof(uh);
		__u64 end = tail;
		__u64 n = end > start ? end - start : 0;
		if (n > pkt->size)
			n = pkt->size;
		if (n > DNS_PAYLOAD_LEN)
			n = DNS_PAYLOAD_LEN;
		if (bpf_probe_read_kernel(pkt->payload, n, head + start) == 0)
			pkt->payload_size = n;
	}
	pkt->sk = (__u64)sk;
	return 0;
forget:
	/* This packet says nothing sure: the sender's kept one, if any, is not this send's either. */
	if (in_task_context(task, ctx))
		tx_packet_forget(task);
	return 0;
}

/* ---- DNS messages -------------------------------------------------------- */

/*
 * Gathers up to `limit` bytes from `count` user iovecs into scratch (which is
 * DNS_SCRATCH_LEN long, so every masked offset + length is provably in bounds).
 * Returns the bytes gathered; sets EVENT_FLAG_USER_READ_FAILED on a bad read.
 */
static __always_inline __u32 gather_user_iovecs(__u8 *scratch, const struct iovec *iov, __u64 count, __u64 limit, __u16 *flags)
{
	__u64 off = 0;
	for (int i = 0; i < DNS_IOVECS; i++) {
		if (i >= count || off >= DNS_PAYLOAD_LEN || off >= limit)
			break;
		struct iovec v;
		if (bpf_probe_read_user(&v, sizeof(v), &iov[i]) != 0) {
			*flags |= EVENT_FLAG_USER_READ_FAILED;
			break;
		}
		__u64 n = v.iov_len;
		if (n > limit - off)
			n = limit - off;
		if (n > DNS_PAYLOAD_LEN - off)
			n = DNS_PAYLOAD_LEN - off;
		/* No-ops for the values possible here (off < DNS_PAYLOAD_LEN, n <= DNS_PAYLOAD_LEN), but bounds the verifier can see. */
		barrier_var(off);
		barrier_var(n);
		off &= DNS_MASK;
		n &= DNS_MASK;
		if (bpf_probe_read_user(scratch + off, n, v.iov_base) != 0) {
			*flags |= EVENT_FLAG_USER_READ_FAILED;
			break;
		}
		off += n;
	}
	return off;
}

/*
 * The bytes a send or receive syscall passed, from the caller's memory, by
 * syscall: one buffer (sendto, recvfrom, write, read) or iovecs (sendmsg,
 * recvmsg, writev, readv). sendmmsg/recvmmsg and io_uring do not say which
 * message this is: unreadable.
 */
static __always_inline __u32 gather_syscall_payload(__u8 *scratch, struct pt_regs *regs, long nr, __u64 limit, __u16 *flags)
{
	if (nr == NR_sendto || nr == NR_recvfrom || nr == NR_write || nr == NR_read) {
		__u64 n = limit > DNS_PAYLOAD_LEN ? DNS_PAYLOAD_LEN : limit;
		barrier_var(n); /* keeps the mask below, which is what the verifier bounds n by */
		n &= DNS_MASK;
		if (bpf_probe_read_user(scratch, n, (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs)) != 0) {
			*flags |= EVENT_FLAG_USER_READ_FAILED;
			return 0;
		}
		return n;
	}
	if (nr == NR_writev || nr == NR_readv)
		return gather_user_iovecs(scratch, (const struct iovec *)PT_REGS_PARM2_CORE_SYSCALL(regs), PT_REGS_PARM3_CORE_SYSCALL(regs), limit, flags);
	if (nr == NR_sendmsg || nr == NR_recvmsg) {
		struct user_msghdr msg;
		if (bpf_probe_read_user(&msg, sizeof(msg), (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs)) != 0) {
			*flags |= EVENT_FLAG_USER_READ_FAILED;
			return 0;
		}
		return gather_user_iovecs(scratch, msg.msg_iov, msg.msg_iovlen, limit, flags);
	}
	*flags |= EVENT_FLAG_USER_READ_FAILED;
	return 0;
}

/* Zeroes buf[n..DNS_PAYLOAD_LEN) of an 8-byte aligned buf (as zero_tail does for paths), n <= DNS_PAYLOAD_LEN. */
static __always_inline void zero_payload_tail(__u8 *buf, __u32 n)
{
	__u64 *w = (__u64 *)buf;
	__u32 k = n / 8;
	if (n % 8) {
		__u32 word = k;
		barrier_var(word);
		if (word < DNS_PAYLOAD_LEN / 8) /* always: n % 8 != 0 means n < DNS_PAYLOAD_LEN */
			w[word] &= (1ULL << (n % 8 * 8)) - 1;
		k++;
	}
	for (__u32 i = k; i < DNS_PAYLOAD_LEN / 8; i++) {
		__u32 j = i;
		barrier_var(j); /* as in zero_tail: no variable memset, an index the verifier bounds */
		if (j < DNS_PAYLOAD_LEN / 8)
			w[j] = 0;
	}
}

/* Where a DNS record's server address and payload come from. */
struct dns_info {
	__u8 addr[ADDR_LEN];
	__u16 family;
	__u16 port;
	__u16 direction;
	__u16 flags;
	int fd;
	__u32 message_size;
	const struct tx_packet *pkt; /* the queued datagram (a UDP query), or NULL: from the caller's memory */
};

static __always_inline int emit_dns(struct task_struct *task, const struct rg_capture_config *cfg, struct sock *sk,
			       struct pt_regs *regs, long nr, int ret, struct dns_info *d)
{
	__u32 zero = 0;
	__u8 *scratch = bpf_map_lookup_elem(&DNS_SCRATCH, &zero);
	if (!scratch)
		return 0;
	struct rg_net_dns *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_DNS, sizeof(*e), task);
	__u16 flags = d->flags;
	__u32 size = 0;
	const void *src = scratch;
	if (d->pkt) {
		size = d->pkt->payload_size;
		src = d->pkt->payload;
	} else if (ret > 0) {
		flags |= EVENT_FLAG_FROM_USER_MEMORY;
		size = gather_syscall_payload(scratch, regs, nr, ret, &flags);
	}
	if (size > DNS_PAYLOAD_LEN)
		size = DNS_PAYLOAD_LEN;
	/* A fixed-size copy, then the bytes past the message zeroed: the source's tail is stale. */
	bpf_probe_read_kernel(e->payload, sizeof(e->payload), src);
	zero_payload_tail(e->payload, size);
	if (size < d->message_size)
		flags |= EVENT_FLAG_FILENAME_TRUNCATED;
	e->hdr.flags |= flags;
	e->fd = d->fd;
	e->result = ret;
	e->direction = d->direction;
	e->family = d->family;
	e->port = d->port;
	e->protocol = sk->sk_protocol;
	e->message_size = d->message_size;
	e->payload_size = size;
	__builtin_memcpy(e->addr, d->addr, sizeof(e->addr));
	e->sock_cookie = bpf_get_socket_cookie(sk);
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/* ---- UDP sends, DNS queries, TCP Fast Open (sock_send_length) -------------- */

/* Is this send io_uring's (its worker thread, or inline in io_uring_enter)? Then the syscall's arguments are not the send's. */
static __always_inline bool io_uring_context(struct task_struct *task, long nr)
{
	return (task->flags & PF_IO_WORKER) || nr == NR_io_uring_enter;
}

static __always_inline bool send_syscall(long nr)
{
	return nr == NR_sendto || nr == NR_sendmsg || nr == NR_sendmmsg || nr == NR_write || nr == NR_writev;
}

static __noinline int udp_send(struct sock *sk, int ret)
{
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	long nr = syscall_nr(task, regs);
	bool io_uring = io_uring_context(task, nr);
	struct dns_info d = {};
	d.fd = !io_uring && send_syscall(nr) ? (int)PT_REGS_PARM1_CORE_SYSCALL(regs) : -1;
	d.flags = io_uring ? EVENT_FLAG_IO_URING : 0;
	d.direction = 1;
	bool connected = sk->__sk_common.skc_state == TCP_ESTABLISHED;

	/*
	 * The destination: the packet this send queued, else the connected peer (unless the call named another
	 * address), else the caller's memory. The packet is this send's only if it was queued on this socket in
	 * this same system call: one queued elsewhere (setsockopt(UDP_CORK, 0) sends what was corked) is not
	 * this send's, whose own packet may be held for neighbour resolution.
	 */
	struct tx_packet *pkt = bpf_task_storage_get(&TX_PACKET, task, 0, 0);
	const void *uaddr = NULL;
	bool named = false;
	if (!(pkt && pkt->sk == (__u64)sk && pkt->nr == nr) && !io_uring) {
		if (nr == NR_sendto) {
			uaddr = (const void *)PT_REGS_PARM5_CORE_SYSCALL(regs);
		} else if (nr == NR_sendmsg) {
			struct user_msghdr msg;
			if (bpf_probe_read_user(&msg, sizeof(msg), (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs)) == 0)
				uaddr = msg.msg_name;
		}
		named = uaddr != NULL;
	}
	if (pkt && pkt->sk == (__u64)sk && pkt->nr == nr) {
		pkt->sk = 0; /* one send, one packet: never paired twice */
		d.family = pkt->family;
		d.port = pkt->port;
		d.message_size = pkt->size;
		__builtin_memcpy(d.addr, pkt->addr, sizeof(d.addr));
		d.pkt = pkt;
	} else if (connected && !named) {
		struct sock_ends a = {};
		read_sock_ends(sk, &a);
		d.family = a.family;
		d.port = a.peer_port;
		__builtin_memcpy(d.addr, a.peer, sizeof(d.addr));
		d.message_size = ret > 0 ? ret : 0;
	} else {
		d.flags |= EVENT_FLAG_FROM_USER_MEMORY;
		if (read_user_inet_sockaddr(uaddr, &d.family, &d.port, d.addr) != 1)
			d.flags |= EVENT_FLAG_USER_READ_FAILED;
		d.message_size = ret > 0 ? ret : 0;
	}

	if (d.port == DNS_PORT && !(d.flags & EVENT_FLAG_USER_READ_FAILED)) {
		struct sock_state *st = bpf_sk_storage_get(&SOCK_STATE, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (st)
			st->dns = 1; /* its responses are recorded too */
		if (!wanted(cfg, tgid, RG_KIND_NET_DNS))
			return 0;
		return emit_dns(task, cfg, sk, regs, nr, ret, &d);
	}
	if (!wanted(cfg, tgid, RG_KIND_NET_UDP_SEND))
		return 0;

	__u64 cookie = bpf_get_socket_cookie(sk);
	struct udp_dest key = { .cookie = cookie, .tgid = tgid, .family = d.family, .port = d.port };
	__builtin_memcpy(key.addr, d.addr, sizeof(key.addr));
	__u32 repeats = 0;
	struct udp_seen *seen = bpf_map_lookup_elem(&UDP_SEEN, &key);
	if (seen) {
		/*
		 * A repeat. The clock is read only every 64th (bpf_ktime_get_ns costs ~65 ns in
		 * this VM, a third of this program; tracing programs may not use the coarse
		 * clock): a destination gets a record again once 60 s have passed at one of
		 * those checks.
		 */
		__u32 n = seen->repeats + 1;
		if ((n & (UDP_REPEAT_CHECK - 1)) != 0 || bpf_ktime_get_ns() - seen->recorded_ns < udp_repeat_window_ns) {
			__sync_fetch_and_add(&seen->repeats, 1);
			__u32 zero = 0;
			__u64 *total = bpf_map_lookup_elem(&UDP_REPEATS, &zero);
			if (total)
				*total += 1;
			return 0;
		}
		/* Not an exchange (the BPF target here has no 32-bit one): a repeat counted in between may be lost. */
		repeats = seen->repeats;
		seen->repeats = 0;
		seen->recorded_ns = bpf_ktime_get_ns();
	} else {
		struct udp_seen first = { .recorded_ns = bpf_ktime_get_ns() };
		bpf_map_update_elem(&UDP_SEEN, &key, &first, BPF_ANY);
		seen = bpf_map_lookup_elem(&UDP_SEEN, &key);
	}

	struct rg_net_udp_send *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_UDP_SEND, sizeof(*e), task);
	e->hdr.flags |= d.flags;
	e->fd = d.fd;
	e->result = ret;
	e->datagram_size = d.pkt ? d.message_size : 0;
	e->repeats = repeats;
	e->family = d.family;
	e->port = d.port;
	e->protocol = sk->sk_protocol;
	e->connected = connected;
	e->summary = 0;
	e->reserved = 0;
	e->reserved2 = 0;
	__builtin_memcpy(e->addr, d.addr, sizeof(e->addr));
	e->sock_cookie = cookie;
	if (seen) {
		/* What the summary at stop repeats of this record (the key holds the rest). */
		__builtin_memcpy(&seen->hdr, &e->hdr, sizeof(seen->hdr));
		seen->fd = d.fd;
		seen->protocol = e->protocol;
		seen->connected = connected;
		seen->ev_flags = d.flags;
	}
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

/*
 * At stop, rg-capture runs this once (BPF_PROG_TEST_RUN; it is never
 * attached): every destination with repeats not yet in a record gets a
 * summary record, so no counted send stays only in the kernel. Entries the
 * LRU evicted earlier took their count with them; UDP_REPEATS holds the total.
 */
static long flush_udp_repeats(struct bpf_map *map, struct udp_dest *key, struct udp_seen *seen, void *unused)
{
	if (seen->repeats == 0)
		return 0;
	struct rg_net_udp_send *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memcpy(&e->hdr, &seen->hdr, sizeof(e->hdr));
	stamp_header(&e->hdr, RG_KIND_NET_UDP_SEND, sizeof(*e));
	e->hdr.flags = seen->ev_flags | (seen->hdr.flags & EVENT_FLAG_COMM_TRUNCATED);
	e->fd = seen->fd;
	e->result = 0;
	e->datagram_size = 0;
	e->repeats = seen->repeats;
	e->family = key->family;
	e->port = key->port;
	e->protocol = seen->protocol;
	e->connected = seen->connected;
	e->summary = 1;
	e->reserved = 0;
	e->reserved2 = 0;
	__builtin_memcpy(e->addr, key->addr, sizeof(e->addr));
	e->sock_cookie = key->cookie;
	seen->repeats = 0;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("raw_tp")
int handle_udp_summaries(void *ctx)
{
	bpf_for_each_map_elem(&UDP_SEEN, flush_udp_repeats, NULL, 0);
	return 0;
}

/* sendto(MSG_FASTOPEN) began this TCP connection: recorded as the connect it is. */
static __always_inline int emit_fastopen_connect(struct task_struct *task, const struct rg_capture_config *cfg,
						 struct sock *sk, struct pt_regs *regs, long nr, int ret)
{
	if (!wanted(cfg, task->tgid, RG_KIND_NET_CONNECT))
		return 0;
	struct sock_ends a = {};
	read_sock_ends(sk, &a);
	struct rg_net_connect *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_CONNECT, sizeof(*e), task);
	bool io_uring = io_uring_context(task, nr);
	e->hdr.flags |= EVENT_FLAG_FASTOPEN | (io_uring ? EVENT_FLAG_IO_URING : 0);
	e->fd = !io_uring && send_syscall(nr) ? (int)PT_REGS_PARM1_CORE_SYSCALL(regs) : -1;
	e->result = ret < 0 ? ret : 0; /* the bytes sent are not the connect's result */
	e->family = a.family;
	e->port = a.peer_port;
	e->protocol = a.protocol;
	e->sock_type = sk->sk_type;
	__builtin_memcpy(e->addr, a.peer, sizeof(e->addr));
	e->addr_flags = 0; /* the socket's destination, from the kernel */
	e->call = 0;       /* not a connect(2): the send that began it (fastopen) */
	e->reserved = 0;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

static __noinline int tcp_send(struct sock *sk, int ret)
{
	const struct rg_capture_config *cfg = get_config();
	if (!cfg)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	long nr = syscall_nr(task, regs);
	if (fastopen_pending > 0) {
		struct sock_state *st = bpf_sk_storage_get(&SOCK_STATE, sk, 0, 0);
		if (st && st->fastopen) {
			st->fastopen = 0;
			__sync_fetch_and_add(&fastopen_pending, -1);
			emit_fastopen_connect(task, cfg, sk, regs, nr, ret);
		}
	}
	if (sk->__sk_common.skc_dport != bpf_htons(DNS_PORT) || !wanted(cfg, task->tgid, RG_KIND_NET_DNS))
		return 0;
	bool io_uring = io_uring_context(task, nr);
	struct sock_ends a = {};
	read_sock_ends(sk, &a);
	struct dns_info d = { .family = a.family, .port = a.peer_port, .direction = 1 };
	__builtin_memcpy(d.addr, a.peer, sizeof(d.addr));
	d.fd = !io_uring && send_syscall(nr) ? (int)PT_REGS_PARM1_CORE_SYSCALL(regs) : -1;
	d.flags = io_uring ? EVENT_FLAG_IO_URING | EVENT_FLAG_USER_READ_FAILED : 0;
	d.message_size = ret > 0 ? ret : 0;
	return emit_dns(task, cfg, sk, regs, io_uring ? -1 : nr, ret, &d);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(handle_sock_send_length, struct sock *sk, int ret, int flags)
{
	__u16 protocol = sk->sk_protocol;
	if (protocol == IPPROTO_TCP) {
		/* A TCP send matters only for a pending Fast Open or a DNS server's port: two loads otherwise. */
		if (fastopen_pending == 0 && sk->__sk_common.skc_dport != bpf_htons(DNS_PORT))
			return 0;
		return tcp_send(sk, ret);
	}
	if (protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE)
		return 0;
	return udp_send(sk, ret);
}

/* ---- DNS responses (sock_recv_length) -------------------------------------- */

#define MSG_PEEK 2

static __noinline int dns_response(struct sock *sk, int ret)
{
	const struct rg_capture_config *cfg = get_config();
	struct task_struct *task = bpf_get_current_task_btf();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_NET_DNS))
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	long nr = syscall_nr(task, regs);
	bool io_uring = io_uring_context(task, nr);
	struct dns_info d = { .direction = 2, .message_size = ret };
	d.fd = io_uring || nr < 0 ? -1 : (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
	d.flags = io_uring ? EVENT_FLAG_IO_URING : 0;
	/* A connected socket receives only from its peer; an unconnected one's sender is not recorded (family 0). */
	if (sk->__sk_common.skc_state == TCP_ESTABLISHED) {
		struct sock_ends a = {};
		read_sock_ends(sk, &a);
		d.family = a.family;
		d.port = a.peer_port;
		__builtin_memcpy(d.addr, a.peer, sizeof(d.addr));
	}
	/* The response as the kernel just copied it into the receiver's buffer. */
	return emit_dns(task, cfg, sk, regs, io_uring ? -1 : nr, ret, &d);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(handle_sock_recv_length, struct sock *sk, int ret, int flags)
{
	if (ret <= 0 || (flags & MSG_PEEK))
		return 0; /* nothing received, or received again later */
	__u16 protocol = sk->sk_protocol;
	if (protocol == IPPROTO_TCP) {
		if (sk->__sk_common.skc_dport != bpf_htons(DNS_PORT))
			return 0;
	} else if (protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE) {
		/* Only sockets that sent a query have state with dns set; most UDP sockets have none at all. */
		struct sock_state *st = bpf_sk_storage_get(&SOCK_STATE, sk, 0, 0);
		if (!st || !st->dns)
			return 0;
	} else {
		return 0;
	}
	return dns_response(sk, ret);
}

#endif /* RG_SOCKETS_BPF_H */
