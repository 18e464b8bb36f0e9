/*
 * An io_uring OPENAT hidden behind a flood: the OPENAT is linked behind a
 * READ of an empty pipe (so it waits), then N ACCEPTs that never complete are
 * submitted, then the pipe is written and the OPENAT runs. With an LRU of
 * 8,192 requests in the kernel program, the OPENAT's entry was evicted and
 * its completion recorded nothing, silently. Prints "openat RES PATH" (the
 * fd's /proc/self/fd link: the truth) and "accepts N".
 * With "first", the ACCEPTs are submitted before the OPENAT: the request
 * table is full when the OPENAT is submitted, and its completion is all the
 * kernel program sees of it.
 * Usage: uring-evict N FILE [first]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
/* The ring's set-up, shared with the network lab's io_uring client (raw syscalls, no liburing). */
#include "../../../scripts/net/uring-mini.h"

/* The next SQE for `opcode` (uring_sqe), counted in the tail at once: submitted by the next io_uring_enter. */
static struct io_uring_sqe *queue(struct uring *r, int opcode)
{
	struct io_uring_sqe *sqe = uring_sqe(r, opcode);
	__atomic_store_n(r->sq_tail, *r->sq_tail + 1, __ATOMIC_RELEASE);
	return sqe;
}

/* N ACCEPTs on a listener nobody connects to: requests that stay in flight. */
static int submit_accepts(struct uring *r, int listener, int n)
{
	int done = 0;
	while (done < n) {
		int chunk = n - done > 2048 ? 2048 : n - done;
		for (int i = 0; i < chunk; i++) {
			struct io_uring_sqe *s = queue(r, IORING_OP_ACCEPT);
			s->fd = listener;
			s->user_data = 100 + done + i;
		}
		if (syscall(__NR_io_uring_enter, r->fd, chunk, 0, 0, NULL, 0) != chunk)
			return -1;
		done += chunk;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "first") == 0))
		return 2;
	int flood = atoi(argv[1]);
	int accepts_first = argc == 4;
	struct uring r;
	int p[2];
	if (uring_init(&r, 4096) != 0 || pipe(p) != 0)
		return 1;
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	if (bind(listener, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(listener, 16) != 0)
		return 1;
	char buf[1];
	struct io_uring_sqe *s;
	if (accepts_first && submit_accepts(&r, listener, flood) != 0)
		return 1;
	s = queue(&r, IORING_OP_READ);
	s->fd = p[0];
	s->addr = (unsigned long)buf;
	s->len = 1;
	s->flags = IOSQE_IO_LINK;
	s->user_data = 1;
	s = queue(&r, IORING_OP_OPENAT);
	s->fd = AT_FDCWD;
	s->addr = (unsigned long)argv[2];
	s->open_flags = O_RDONLY;
	s->user_data = 2;
	if (syscall(__NR_io_uring_enter, r.fd, 2, 0, 0, NULL, 0) != 2)
		return 1;
	if (!accepts_first && submit_accepts(&r, listener, flood) != 0)
		return 1;
	printf("accepts %d\n", flood);
	if (write(p[1], "x", 1) != 1)
		return 1;
	for (;;) {
		syscall(__NR_io_uring_enter, r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
		unsigned head = *r.cq_head;
		int found = 0;
		while (head != __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE)) {
			struct io_uring_cqe *c = &r.cqes[head & *r.cq_mask];
			if (c->user_data == 2) {
				char link[64], path[512] = { 0 };
				snprintf(link, sizeof(link), "/proc/self/fd/%d", c->res);
				if (readlink(link, path, sizeof(path) - 1) < 0)
					strcpy(path, "?");
				printf("openat %d %s\n", c->res, path);
				found = 1;
			}
			head++;
		}
		__atomic_store_n(r.cq_head, head, __ATOMIC_RELEASE);
		if (found)
			return 0;
	}
}
