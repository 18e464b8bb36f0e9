/*
 * File changes through io_uring instead of syscalls: UNLINKAT, RENAMEAT,
 * LINKAT, SYMLINKAT and FTRUNCATE never pass through sys_exit, so a tracer of syscalls
 * misses a log deleted or a binary renamed this way. Each action runs one
 * request relative to a directory fd (DIR opened O_PATH) and prints
 * "res N", the completion's result (with "skip", IOSQE_CQE_SKIP_SUCCESS:
 * "res none" when the kernel posted no completion).
 * Usage: uring-files DIR unlink NAME [skip]
 *        uring-files DIR rename OLD NEW [skip]
 *        uring-files DIR link OLD NEW [skip]
 *        uring-files DIR symlink TEXT NEW [skip]
 *        uring-files DIR ftruncate NAME LENGTH [skip]   (NAME opened O_WRONLY by openat(2) first)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include "../../../scripts/net/uring-mini.h"

#define OP_FTRUNCATE 55 /* 6.9+, newer than these headers */

int main(int argc, char **argv)
{
	struct uring r;
	if (argc < 4 || uring_init(&r, 8) != 0)
		return 2;
	int dir = open(argv[1], O_PATH | O_DIRECTORY);
	if (dir < 0)
		return 1;
	const char *op = argv[2];
	int two = strcmp(op, "unlink") != 0;
	int skip = argc == (two ? 6 : 5) && strcmp(argv[argc - 1], "skip") == 0;
	if (argc != (two ? 5 : 4) + skip)
		return 2;
	struct io_uring_sqe *s;
	if (strcmp(op, "unlink") == 0) {
		s = uring_sqe(&r, IORING_OP_UNLINKAT);
		s->fd = dir;
		s->addr = (unsigned long)argv[3];
	} else if (strcmp(op, "rename") == 0) {
		s = uring_sqe(&r, IORING_OP_RENAMEAT);
		s->fd = dir;
		s->addr = (unsigned long)argv[3];
		s->len = dir;
		s->addr2 = (unsigned long)argv[4];
	} else if (strcmp(op, "link") == 0) {
		s = uring_sqe(&r, IORING_OP_LINKAT);
		s->fd = dir;
		s->addr = (unsigned long)argv[3];
		s->len = dir;
		s->addr2 = (unsigned long)argv[4];
	} else if (strcmp(op, "ftruncate") == 0) {
		int fd = openat(dir, argv[3], O_WRONLY);
		if (fd < 0)
			return 1;
		s = uring_sqe(&r, OP_FTRUNCATE);
		s->fd = fd;
		s->off = strtoull(argv[4], NULL, 10);
	} else if (strcmp(op, "symlink") == 0) {
		s = uring_sqe(&r, IORING_OP_SYMLINKAT);
		s->fd = dir;
		s->addr = (unsigned long)argv[3];
		s->addr2 = (unsigned long)argv[4];
	} else {
		return 2;
	}
	if (skip)
		s->flags = IOSQE_CQE_SKIP_SUCCESS;
	__atomic_store_n(r.sq_tail, *r.sq_tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r.fd, 1, 0, 0, NULL, 0) != 1)
		return 1;
	usleep(100000);
	unsigned head = *r.cq_head;
	if (head == __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE))
		printf("res none\n");
	else
		printf("res %d\n", r.cqes[head & *r.cq_mask].res);
	return 0;
}
