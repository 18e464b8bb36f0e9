/*
 * uring-fastopen: IORING_OP_SENDMSG with MSG_FASTOPEN and a msg_name, on an
 * unconnected TCP socket, to a listener of its own on 127.0.0.1: the kernel
 * connects the socket (its SYN) from io_uring, with no connect() and no
 * sendto(). Prints "fd FD res RES peer PORT listener PORT" (getpeername once
 * the connection is accepted). Before the fix nothing recorded the connect.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include "../../../scripts/net/uring-mini.h"

int main(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), qlen = 5;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	setsockopt(l, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 4) != 0 || getsockname(l, (struct sockaddr *)&a, &len) != 0)
		return 2;
	struct uring r;
	if (uring_init(&r, 4) != 0)
		return 2;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct iovec iov = { "uring-tfo-data", 14 };
	struct msghdr m = { .msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = &iov, .msg_iovlen = 1 };
	struct io_uring_sqe *q = uring_sqe(&r, IORING_OP_SENDMSG);
	q->fd = s;
	q->addr = (unsigned long)&m;
	q->len = 1;
	q->msg_flags = MSG_FASTOPEN;
	int res = uring_run(&r);
	int c = accept(l, NULL, NULL);
	struct pollfd p = { .fd = s, .events = POLLOUT };
	poll(&p, 1, 2000);
	struct sockaddr_in peer;
	len = sizeof(peer);
	int got = getpeername(s, (struct sockaddr *)&peer, &len);
	printf("fd %d res %d peer %d listener %d\n", s, res, got == 0 ? ntohs(peer.sin_port) : -1, ntohs(a.sin_port));
	close(c);
	return 0;
}
