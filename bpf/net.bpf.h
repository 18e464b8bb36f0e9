/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Network connects (connect, and ia32 socketcall(SYS_CONNECT)), from the raw
 * sys_exit program (see rg.bpf.c for the dispatch).
 *
 * The destination recorded is the one the kernel stored in the socket
 * whenever it accepted the connect (success, EINPROGRESS): the sockaddr in
 * the caller's memory can be rewritten by another thread while connect()
 * blocks, after the kernel copied it. Only when the socket holds nothing
 * (a refused or failed connect, a bad fd) is the caller's sockaddr read at
 * exit, and marked ADDR_FLAG_UNVERIFIED. Sockets of other families than
 * IPv4/IPv6 (AF_UNIX, netlink, ...) are not network connections: not recorded.
 *
 * No sys_enter program: once any sys_enter_* tracepoint has a program, every
 * syscall of every process takes the sys_enter tracing path (measured: an
 * openat loop that never connects at ~36% overhead with one, 33% without).
 */
#ifndef RG_NET_BPF_H
#define RG_NET_BPF_H

#include "common.bpf.h"
#include "paths.bpf.h"

#define SYS_CONNECT 3 /* linux/net.h: socketcall's call number for connect */

/* What a connect record carries besides the header and the result. */
struct connect_info {
	__u8 addr[ADDR_LEN];
	__u16 family;
	__u16 port;
	__u16 protocol;
	__u16 sock_type;
};

/*
 * The TCP connect a task's connect() began, from the socket that began it
 * (its SYN_SENT change, inet_sock_set_state, in the call): while a blocking
 * connect() waits, another thread can dup2() another socket over its fd, and
 * the fd's socket at exit is then that one. Taken (cookie zeroed) at the
 * call's exit.
 */
struct connecting {
	__u64 cookie; /* the socket's cookie; 0: none */
	struct connect_info c;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct connecting);
} CONNECTING SEC(".maps");

/* The struct socket behind f, or NULL if f is not a socket (private_data is a socket only for socket inodes). */
static __always_inline struct socket *socket_of_file(struct file *f)
{
	if (!f || (f->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return NULL;
	return KERNEL_PTR(f->private_data, struct socket);
}

/*
 * The destination the kernel stored in sk (inet_daddr/inet_dport, or
 * sk_v6_daddr for IPv6), with family, protocol and type. Returns true if
 * the socket holds a destination (a port was set).
 */
static __always_inline bool sock_destination(struct connect_info *c, struct socket *sock)
{
	struct sock *sk = sock->sk;
	c->family = sk->__sk_common.skc_family;
	c->sock_type = sock->type;
	c->protocol = sk->sk_protocol;
	__u16 dport = sk->__sk_common.skc_dport;
	if (dport == 0)
		return false;
	c->port = bpf_ntohs(dport);
	if (c->family == AF_INET) {
		*(__u32 *)c->addr = sk->__sk_common.skc_daddr;
	} else {
		__builtin_memcpy(c->addr, &sk->__sk_common.skc_v6_daddr, 16);
	}
	return true;
}

#define AF_UNSPEC 0

/*
 * Reads family, port and address of an AF_INET/AF_INET6 sockaddr in user
 * memory into c. Returns 1 if read, 2 for AF_UNSPEC (connect's "dissolve the
 * association": c->family 0), 0 for other families, -1 if the memory could
 * not be read (c's address fields are then left zero).
 */
static __always_inline int read_user_sockaddr(struct connect_info *c, const void *uaddr)
{
	__u16 family = 0;
	if (bpf_probe_read_user(&family, sizeof(family), uaddr) != 0)
		return -1;
	if (family == AF_UNSPEC) {
		c->family = AF_UNSPEC;
		return 2;
	}
	if (family == AF_INET) {
		struct sockaddr_in sin;
		if (bpf_probe_read_user(&sin, sizeof(sin), uaddr) != 0)
			return -1;
		c->port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(c->addr, &sin.sin_addr, 4);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sin6;
		if (bpf_probe_read_user(&sin6, sizeof(sin6), uaddr) != 0)
			return -1;
		c->port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(c->addr, &sin6.sin6_addr, 16);
	} else {
		return 0;
	}
	c->family = family;
	return 1;
}

static __noinline int connect_exit(const struct syscall_exit *sc)
{
	struct task_struct *task = sc->task;
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_NET_CONNECT))
		return 0;

	long fd;
	const void *uaddr;
	__u16 ev_flags = sc->compat ? EVENT_FLAG_COMPAT : 0;
	if (sc->call == RG_CALL_SOCKETCALL) {
		/* socketcall(call, args): args points to the ia32 connect arguments (fd, addr, addrlen) as u32 */
		if (syscall_arg(sc, 0) != SYS_CONNECT)
			return 0;
		__u32 args[2] = {};
		if (bpf_probe_read_user(args, sizeof(args), (const void *)syscall_arg(sc, 1)) != 0)
			return 0; /* no fd to judge by: nothing says this was a network connect */
		fd = (int)args[0];
		uaddr = (const void *)(__u64)args[1];
	} else {
		fd = (int)syscall_arg(sc, 0);
		uaddr = (const void *)syscall_arg(sc, 1);
	}

	struct connect_info c = {};
	__u16 addr_flags = 0;
	struct socket *sock = socket_of_file(file_of_fd(task, fd));
	long ret = sc->ret;
	bool accepted = ret == 0 || ret == -EINPROGRESS || ret == -EALREADY || ret == -EISCONN;
	bool from_kernel = false;
	struct connecting *began = bpf_task_storage_get(&CONNECTING, task, 0, 0);
	if (began && began->cookie) {
		__u64 cookie = began->cookie;
		began->cookie = 0;
		if (!sock || sock->sk->__sk_common.skc_cookie.counter != cookie) {
			/* The fd names another socket than the one this call connected: that one's destination. */
			c = began->c;
			from_kernel = true;
			sock = NULL;
		}
	}
	if (sock) {
		from_kernel = sock_destination(&c, sock) && accepted;
		if (c.family != AF_INET && c.family != AF_INET6)
			return 0; /* AF_UNIX, AF_NETLINK, ...: not network connections */
	}
	if (!from_kernel) {
		/* The kernel stored nothing (or refused it): the caller's sockaddr, unverified. */
		struct connect_info user = { .protocol = c.protocol, .sock_type = c.sock_type };
		int read = read_user_sockaddr(&user, uaddr);
		if ((read == 0 || read == 2) && !sock)
			return 0; /* not a socket and not an IPv4/IPv6 address: nothing network about it */
		if (read < 0)
			ev_flags |= EVENT_FLAG_USER_READ_FAILED; /* the address is unknown: recorded, never guessed */
		if (read <= 0 && sock)
			user.family = c.family; /* the socket's own family; the caller's address was not IPv4/IPv6 or unreadable */
		/* read == 2: AF_UNSPEC, a disconnect (UDP) or abort (TCP), recorded as family 0, not as 0.0.0.0:0 */
		c = user;
		addr_flags = ADDR_FLAG_UNVERIFIED;
	}

	struct rg_net_connect *e = bpf_ringbuf_reserve(&EVENTS, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_header(&e->hdr, RG_KIND_NET_CONNECT, sizeof(*e), task);
	e->hdr.flags |= ev_flags;
	e->fd = fd;
	e->result = ret;
	e->family = c.family;
	e->port = c.port;
	e->protocol = c.protocol;
	e->sock_type = c.sock_type;
	__builtin_memcpy(e->addr, c.addr, sizeof(e->addr));
	e->addr_flags = addr_flags;
	e->call = sc->call;
	e->reserved = 0;
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

#endif /* RG_NET_BPF_H */
