/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Network connects, from the raw sys_exit program (see rg.bpf.c for the dispatch).
 */
#ifndef RG_NET_BPF_H
#define RG_NET_BPF_H

#include "common.bpf.h"

/* ---- network: connect ---------------------------------------------------- */

/*
 * Connects are recorded from sys_exit alone, like opens: fd and sockaddr come
 * from the task's saved user registers. A sys_enter_connect program would make
 * more than connect pay: once any sys_enter_* tracepoint has a program, every
 * syscall of every process takes the sys_enter tracing path. One run each way
 * measured the overhead on an openat loop that never connects at about 36%
 * with such a program and 33% without (single runs on a noisy shared VM).
 * And at sys_exit move_addr_to_kernel() has already faulted the sockaddr in,
 * so a sockaddr in a page the process had not touched yet reads fine, with
 * no per-thread stash and no retry.
 */

/* What a connect record carries besides the header and the result. */
struct connect_info {
	__u8 addr[ADDR_LEN];
	__u16 family;
	__u16 port;
	__u16 protocol;
	__u16 sock_type;
};

/* Best effort IPPROTO_* and SOCK_* of fd: fd table -> file -> socket -> sock. */
static __always_inline void read_socket_kind(struct connect_info *c, int fd)
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

/*
 * Reads family, port and address of an AF_INET/AF_INET6 sockaddr into c.
 * Returns 1 if read, 0 for other families (not network connections), -1 if
 * the memory could not be read (c's address fields are then left zero).
 */
static __always_inline int read_sockaddr(struct connect_info *c, const void *uaddr)
{
	__u16 family = 0;
	if (bpf_probe_read_user(&family, sizeof(family), uaddr) != 0)
		return -1;
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
		return 0; /* AF_UNIX, AF_NETLINK, ...: not network connections */
	}
	c->family = family;
	return 1;
}

static __always_inline int connect_exit(struct task_struct *task, struct pt_regs *regs, long ret)
{
	const struct rg_capture_config *cfg = get_config();
	if (!cfg || !wanted(cfg, task->tgid, RG_KIND_NET_CONNECT))
		return 0;

	int fd = PT_REGS_PARM1_SYSCALL(regs);
	const void *uaddr = (const void *)PT_REGS_PARM2_SYSCALL(regs);
	struct connect_info c = {};
	__u16 ev_flags = 0;
	int read = read_sockaddr(&c, uaddr);
	if (read == 0)
		return 0;
	if (read < 0)
		ev_flags = EVENT_FLAG_USER_READ_FAILED; /* family unknown: recorded, never guessed */
	read_socket_kind(&c, fd);

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
	bpf_ringbuf_submit(e, submit_flags(cfg, sizeof(*e)));
	return 0;
}

#endif /* RG_NET_BPF_H */
