/*
 * The "curing" technique: file and network actions done through io_uring
 * submission queue entries, never as system calls of their own. Each argument
 * group is one action; each prints one JSON line with what the kernel returned,
 * so a test can compare the capture with what really happened:
 *
 *   io-uring-curing open PATH             IORING_OP_OPENAT (read-only)
 *   io-uring-curing connect ADDR PORT     socket(2), then IORING_OP_CONNECT (IPv4)
 *   io-uring-curing listen ADDR PORT      socket(2), IORING_OP_BIND + IORING_OP_LISTEN (6.11+)
 *   io-uring-curing dns SERVER NAME       a DNS A query by IORING_OP_SENDMSG to SERVER:53 (unconnected UDP)
 *
 * Build: cc -O2 -o io-uring-curing io-uring-curing.c (no liburing: raw syscalls, uring-mini.h).
 */
#include "uring-mini.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

/* Not in Debian 12's 6.1 headers. */
#define OP_BIND 56
#define OP_LISTEN 57

static struct sockaddr_in inet4(const char *addr, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		fprintf(stderr, "io-uring-curing: not an IPv4 address: %s\n", addr);
		exit(2);
	}
	return a;
}

/* A DNS query for NAME, type A, into buf; returns its length. */
static size_t dns_query(unsigned char *buf, const char *name)
{
	size_t n = 0;
	buf[n++] = 0x4a; buf[n++] = 0x17;           /* id */
	buf[n++] = 0x01; buf[n++] = 0x00;           /* RD */
	buf[n++] = 0; buf[n++] = 1;                 /* one question */
	for (int i = 0; i < 6; i++) buf[n++] = 0;
	for (const char *p = name; *p;) {
		const char *dot = p;
		while (*dot && *dot != '.') dot++;
		buf[n++] = (unsigned char)(dot - p);
		memcpy(buf + n, p, dot - p);
		n += dot - p;
		p = *dot ? dot + 1 : dot;
	}
	buf[n++] = 0;
	buf[n++] = 0; buf[n++] = 1;                 /* A */
	buf[n++] = 0; buf[n++] = 1;                 /* IN */
	return n;
}

int main(int argc, char **argv)
{
	struct uring r;
	if (uring_init(&r, 8) != 0) {
		perror("io-uring-curing: io_uring_setup");
		return 1;
	}
	printf("{\"op\":\"setup\",\"pid\":%d,\"ring_fd\":%d}\n", getpid(), r.fd);
	for (int i = 1; i < argc;) {
		const char *op = argv[i];
		struct io_uring_sqe *s;
		if (strcmp(op, "open") == 0 && i + 1 < argc) {
			s = uring_sqe(&r, IORING_OP_OPENAT);
			s->fd = AT_FDCWD;
			s->addr = (unsigned long)argv[i + 1];
			s->open_flags = O_RDONLY | O_CLOEXEC;
			printf("{\"op\":\"open\",\"path\":\"%s\",\"res\":%d}\n", argv[i + 1], uring_run(&r));
			i += 2;
		} else if (strcmp(op, "connect") == 0 && i + 2 < argc) {
			struct sockaddr_in a = inet4(argv[i + 1], argv[i + 2]);
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			s = uring_sqe(&r, IORING_OP_CONNECT);
			s->fd = fd;
			s->addr = (unsigned long)&a;
			s->off = sizeof(a);
			printf("{\"op\":\"connect\",\"fd\":%d,\"res\":%d}\n", fd, uring_run(&r));
			i += 3;
		} else if (strcmp(op, "listen") == 0 && i + 2 < argc) {
			struct sockaddr_in a = inet4(argv[i + 1], argv[i + 2]);
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			s = uring_sqe(&r, OP_BIND);
			s->fd = fd;
			s->addr = (unsigned long)&a;
			s->addr2 = sizeof(a);
			int bound = uring_run(&r);
			s = uring_sqe(&r, OP_LISTEN);
			s->fd = fd;
			s->len = 16;
			printf("{\"op\":\"listen\",\"fd\":%d,\"bind\":%d,\"res\":%d}\n", fd, bound, uring_run(&r));
			i += 3;
		} else if (strcmp(op, "dns") == 0 && i + 2 < argc) {
			struct sockaddr_in a = inet4(argv[i + 1], "53");
			unsigned char q[300];
			struct iovec iov = { .iov_base = q, .iov_len = dns_query(q, argv[i + 2]) };
			struct msghdr msg = { .msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = &iov, .msg_iovlen = 1 };
			int fd = socket(AF_INET, SOCK_DGRAM, 0);
			s = uring_sqe(&r, IORING_OP_SENDMSG);
			s->fd = fd;
			s->addr = (unsigned long)&msg;
			printf("{\"op\":\"dns\",\"fd\":%d,\"size\":%zu,\"res\":%d}\n", fd, iov.iov_len, uring_run(&r));
			i += 3;
		} else {
			fprintf(stderr, "io-uring-curing: bad action at %s (open PATH | connect ADDR PORT | listen ADDR PORT | dns SERVER NAME)\n", op);
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
