/*
 * io_uring requests submitted with IOSQE_CQE_SKIP_SUCCESS: the kernel posts
 * no completion when they succeed, so a tracer that records io_uring
 * operations at their completion sees nothing (before this, rand-guard
 * recorded no such open, and said "lost 0"). Each action submits one request
 * with the flag, waits for the kernel to run it (a failure still posts a
 * completion), then prints the truth as the process sees it:
 *   open FILE [trunc]
 *               OPENAT (O_RDONLY, or O_WRONLY|O_TRUNC): "open FD PATH" (the fd
 *               whose /proc/self/fd link is FILE, -1 if none) and "cqe RES"
 *               for every completion posted
 *   connect     CONNECT to a listener of its own on 127.0.0.1: "connect FD
 *               PEER_PORT" (getpeername) and "cqe RES" per completion
 *   listen PORT BIND to 127.0.0.1:PORT then LISTEN, both skipped: "listen FD
 *               PORT" (getsockname) and "cqe RES" per completion
 *   ghost FILE  UNLINKAT of FILE, then 64 NOPs one by one (requests the
 *               kernel allocates where the unlink's was): "ghost RES" (0 when
 *               FILE is gone) and "cqe RES" for every completion posted
 *   fixed FILE  OPENAT of FILE into fixed-file slot 0 (no fd; not skipped):
 *               "fixed RES" (0: opened into the slot)
 *   inroot DIR NAME
 *               OPENAT2 O_CREAT of NAME with RESOLVE_IN_ROOT relative to DIR,
 *               skipped: "inroot CREATED" (1 when DIR/NAME now exists)
 *   overflow FILE
 *               NOPs fill the CQ ring (16 entries), unreaped; then an OPENAT of
 *               FILE (not skipped), whose CQE overflows: "overflow FD" (FILE's
 *               fd, from /proc/self/fd)
 *   mshot N     one multishot ACCEPT on a listener of its own, N connects to
 *               it: "accepted FD PEER_PORT" per CQE (its new socket's peer)
 *   deferred FILE DECOY
 *               on a ring with IORING_SETUP_DEFER_TASKRUN, an OPENAT of FILE
 *               (io-wq runs it at once, the CQE waits until the next wait);
 *               then dup2 of DECOY's fd over the opened fd, then the wait:
 *               "deferred FD" (the fd FILE was opened as)
 *   batch FILE DECOY
 *               one io_uring_enter of three SQEs run inline: OPENAT FILE, CLOSE
 *               of the fd it gets (the lowest free one), OPENAT DECOY (which
 *               gets that number again); their CQEs are posted at the end:
 *               "batch FD" and "cqe RES" for each
 * Usage: uring-skip open FILE [trunc] | connect | listen PORT | ghost FILE | fixed FILE | inroot DIR NAME |
 *        overflow FILE | mshot N | deferred FILE DECOY | batch FILE DECOY
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "../../../scripts/net/uring-mini.h"

#define OP_BIND 56
#define OP_LISTEN 57

/* The next SQE for `opcode`, counted in the tail at once: submitted by the next io_uring_enter. */
static struct io_uring_sqe *push(struct uring *r, int opcode)
{
	struct io_uring_sqe *sqe = uring_sqe(r, opcode);
	__atomic_store_n(r->sq_tail, *r->sq_tail + 1, __ATOMIC_RELEASE);
	return sqe;
}

/* push(), flagged IOSQE_CQE_SKIP_SUCCESS. */
static struct io_uring_sqe *queue(struct uring *r, int opcode)
{
	struct io_uring_sqe *sqe = push(r, opcode);
	sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
	return sqe;
}

/* Submits the n SQEs queued, and gives the kernel time to run them. */
static int submit(struct uring *r, unsigned n)
{
	int got = syscall(__NR_io_uring_enter, r->fd, n, 0, 0, NULL, 0);
	usleep(100000);
	return got == (int)n ? 0 : -1;
}

/* The fd whose /proc/self/fd link is path (through any symlink in it), or -1. */
static int fd_of(const char *path)
{
	char real[PATH_MAX] = { 0 };
	if (!realpath(path, real)) /* the file the kernel opened through any symlink in the name */
		strcpy(real, path);
	int found = -1;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char link[300], target[512] = { 0 };
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		if (readlink(link, target, sizeof(target) - 1) > 0 && strcmp(target, real) == 0)
			found = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

/* Prints "cqe RES" for every completion the kernel posted. */
static void completions(struct uring *r)
{
	unsigned head = *r->cq_head;
	while (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
		printf("cqe %d\n", r->cqes[head & *r->cq_mask].res);
		head++;
	}
	__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return a;
}

/* A TCP listener on 127.0.0.1 at a port the kernel picks, that port's address in *a: its fd, -1 on failure. */
static int loopback_listener(struct sockaddr_in *a, int backlog)
{
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t len = sizeof(*a);
	*a = loopback(0);
	if (bind(listener, (struct sockaddr *)a, sizeof(*a)) != 0 || listen(listener, backlog) != 0 ||
	    getsockname(listener, (struct sockaddr *)a, &len) != 0)
		return -1;
	return listener;
}

int main(int argc, char **argv)
{
	struct uring r;
	int deferred = argc >= 2 && strcmp(argv[1], "deferred") == 0;
	/* IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN (6.1+) */
	if (argc < 2 || uring_init_flags(&r, 8, deferred ? (1U << 12) | (1U << 13) : 0) != 0)
		return 2;
	struct io_uring_sqe *s;
	if (strcmp(argv[1], "open") == 0 && (argc == 3 || (argc == 4 && strcmp(argv[3], "trunc") == 0))) {
		s = queue(&r, IORING_OP_OPENAT);
		s->fd = AT_FDCWD;
		s->addr = (unsigned long)argv[2];
		s->open_flags = argc == 4 ? O_WRONLY | O_TRUNC : O_RDONLY;
		if (submit(&r, 1) != 0)
			return 1;
		printf("open %d %s\n", fd_of(argv[2]), argv[2]);
	} else if (strcmp(argv[1], "connect") == 0 && argc == 2) {
		struct sockaddr_in a;
		int listener = loopback_listener(&a, 4);
		if (listener < 0)
			return 1;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		s = queue(&r, IORING_OP_CONNECT);
		s->fd = fd;
		s->addr = (unsigned long)&a;
		s->off = sizeof(a);
		if (submit(&r, 1) != 0)
			return 1;
		struct sockaddr_in peer = { 0 };
		socklen_t len = sizeof(peer);
		int port = getpeername(fd, (struct sockaddr *)&peer, &len) == 0 ? ntohs(peer.sin_port) : -1;
		printf("connect %d %d\n", fd, port);
	} else if (strcmp(argv[1], "listen") == 0 && argc == 3) {
		struct sockaddr_in a = loopback(atoi(argv[2]));
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		s = queue(&r, OP_BIND);
		s->fd = fd;
		s->addr = (unsigned long)&a;
		s->addr2 = sizeof(a);
		s->flags |= IOSQE_IO_LINK;
		s = queue(&r, OP_LISTEN);
		s->fd = fd;
		s->len = 16;
		if (submit(&r, 2) != 0)
			return 1;
		struct sockaddr_in local = { 0 };
		socklen_t len = sizeof(local);
		int port = getsockname(fd, (struct sockaddr *)&local, &len) == 0 ? ntohs(local.sin_port) : -1;
		int listening = 0;
		len = sizeof(listening);
		getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
		printf("listen %d %d %d\n", fd, port, listening);
	} else if (strcmp(argv[1], "ghost") == 0 && argc == 3) {
		s = queue(&r, IORING_OP_UNLINKAT);
		s->fd = AT_FDCWD;
		s->addr = (unsigned long)argv[2];
		if (submit(&r, 1) != 0)
			return 1;
		printf("ghost %d\n", access(argv[2], F_OK) == 0 ? -1 : 0);
		for (int i = 0; i < 64; i++) {
			s = uring_sqe(&r, IORING_OP_NOP);
			s->user_data = 1000 + i;
			if (uring_run(&r) != 0)
				return 1;
		}
	} else if (strcmp(argv[1], "fixed") == 0 && argc == 3) {
		int sparse[1] = { -1 };
		if (syscall(__NR_io_uring_register, r.fd, IORING_REGISTER_FILES, sparse, 1) != 0)
			return 1;
		s = uring_sqe(&r, IORING_OP_OPENAT);
		s->fd = AT_FDCWD;
		s->addr = (unsigned long)argv[2];
		s->open_flags = O_RDONLY;
		s->file_index = 1; /* slot 0 */
		printf("fixed %d\n", uring_run(&r));
	} else if (strcmp(argv[1], "inroot") == 0 && argc == 4) {
		struct open_how how = { .flags = O_CREAT | O_WRONLY | O_EXCL, .mode = 0600, .resolve = RESOLVE_IN_ROOT };
		int dir = open(argv[2], O_PATH | O_DIRECTORY);
		if (dir < 0)
			return 1;
		s = queue(&r, IORING_OP_OPENAT2);
		s->fd = dir;
		s->addr = (unsigned long)argv[3];
		s->len = sizeof(how);
		s->off = (unsigned long)&how;
		if (submit(&r, 1) != 0)
			return 1;
		char made[PATH_MAX];
		snprintf(made, sizeof(made), "%s/%s", argv[2], argv[3]);
		printf("inroot %d\n", access(made, F_OK) == 0);
	} else if (strcmp(argv[1], "overflow") == 0 && argc == 3) {
		/* The CQ ring has twice the SQ ring's entries: NOPs in batches of 4 until it is full. */
		for (unsigned done = 0; done < *r.cq_mask + 1; done += 4) {
			for (int i = 0; i < 4; i++) {
				s = push(&r, IORING_OP_NOP);
			}
			if (syscall(__NR_io_uring_enter, r.fd, 4, 0, 0, NULL, 0) != 4)
				return 1;
		}
		s = push(&r, IORING_OP_OPENAT);
		s->fd = AT_FDCWD;
		s->addr = (unsigned long)argv[2];
		s->open_flags = O_RDONLY;
		if (syscall(__NR_io_uring_enter, r.fd, 1, 0, 0, NULL, 0) != 1)
			return 1;
		usleep(100000);
		printf("overflow %d\n", fd_of(argv[2]));
		return 0; /* the CQEs stay where they are: the ring full, the OPENAT's in the overflow list */
	} else if (strcmp(argv[1], "mshot") == 0 && argc == 3) {
		int n = atoi(argv[2]);
		struct sockaddr_in a;
		int listener = loopback_listener(&a, 16);
		if (listener < 0)
			return 1;
		s = push(&r, IORING_OP_ACCEPT);
		s->fd = listener;
		s->ioprio = 1; /* IORING_ACCEPT_MULTISHOT */
		if (syscall(__NR_io_uring_enter, r.fd, 1, 0, 0, NULL, 0) != 1)
			return 1;
		for (int i = 0; i < n; i++) {
			int c = socket(AF_INET, SOCK_STREAM, 0);
			if (connect(c, (struct sockaddr *)&a, sizeof(a)) != 0)
				return 1;
			struct sockaddr_in local = { 0 };
			socklen_t l = sizeof(local);
			getsockname(c, (struct sockaddr *)&local, &l);
			int got = 0;
			while (!got) {
				syscall(__NR_io_uring_enter, r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
				unsigned head = *r.cq_head;
				while (head != __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE)) {
					struct io_uring_cqe *c2 = &r.cqes[head & *r.cq_mask];
					if (c2->res >= 0) {
						printf("accepted %d %d\n", c2->res, ntohs(local.sin_port));
						got = 1;
					}
					head++;
				}
				__atomic_store_n(r.cq_head, head, __ATOMIC_RELEASE);
			}
		}
		return 0;
	} else if (strcmp(argv[1], "batch") == 0 && argc == 4) {
		int fd = open("/dev/null", O_RDONLY); /* the lowest free number: the first OPENAT's */
		close(fd);
		s = push(&r, IORING_OP_OPENAT);
		s->fd = AT_FDCWD;
		s->addr = (unsigned long)argv[2];
		s->open_flags = O_RDONLY;
		s = push(&r, IORING_OP_CLOSE);
		s->fd = fd;
		s = push(&r, IORING_OP_OPENAT);
		s->fd = AT_FDCWD;
		s->addr = (unsigned long)argv[3];
		s->open_flags = O_RDONLY;
		if (syscall(__NR_io_uring_enter, r.fd, 3, 0, 0, NULL, 0) != 3)
			return 1;
		printf("batch %d\n", fd);
	} else if (deferred && argc == 4) {
		s = push(&r, IORING_OP_OPENAT);
		s->fd = AT_FDCWD;
		s->addr = (unsigned long)argv[2];
		s->open_flags = O_RDONLY;
		s->flags = IOSQE_ASYNC; /* an io-wq worker opens it now; the CQE is posted at the next wait */
		if (syscall(__NR_io_uring_enter, r.fd, 1, 0, 0, NULL, 0) != 1)
			return 1;
		usleep(100000);
		int fd = fd_of(argv[2]);
		int decoy = open(argv[3], O_RDONLY);
		if (fd < 0 || decoy < 0 || dup2(decoy, fd) != fd)
			return 1;
		syscall(__NR_io_uring_enter, r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
		printf("deferred %d\n", fd);
	} else {
		return 2;
	}
	completions(&r);
	return 0;
}
