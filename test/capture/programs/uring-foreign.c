/*
 * io_uring completions that do not come from the request's own completion in
 * its process (found by an exploratory tester):
 *   forge DIR NAME   an UNLINKAT of NAME (dirfd DIR, user_data 7) waits behind
 *                    a 300 ms TIMEOUT it is hard-linked to; meanwhile an
 *                    IORING_OP_MSG_RING (IORING_MSG_DATA) posts a made-up CQE
 *                    into the same ring with user_data 7 and res -2. Prints
 *                    "cqe UD RES" per CQE reaped, then "gone 1" when NAME was
 *                    deleted. Before the fix the made-up CQE was recorded as the
 *                    delete (result -2), and the real one without its path.
 *   defer DIR NAME   on an IORING_SETUP_SINGLE_ISSUER|DEFER_TASKRUN ring, an
 *                    UNLINKAT of NAME and an OPENAT O_CREAT of NAME.created,
 *                    relative to the cwd (DIR), both IOSQE_ASYNC (io-wq runs
 *                    them); the process exits without waiting, so a kernel
 *                    worker posts the CQEs when the ring is torn down. Prints
 *                    "pid PID". Before the fix they were recorded as the
 *                    kworker's, the name joined to the kworker's cwd (/NAME).
 *   linger           submits an ACCEPT on a listening socket no one connects
 *                    to, forks a child that keeps the ring (and the ACCEPT in
 *                    flight) for 3 s, prints "child PID" and exits at once:
 *                    the request outlives the command.
 * Usage: uring-foreign forge DIR NAME | defer DIR NAME | linger
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "../../../scripts/net/uring-mini.h"

/* The next SQE for `opcode` with `user_data`, counted in the tail at once. */
static struct io_uring_sqe *push(struct uring *r, int opcode, __u64 user_data)
{
	struct io_uring_sqe *s = uring_sqe(r, opcode);
	s->user_data = user_data;
	__atomic_store_n(r->sq_tail, *r->sq_tail + 1, __ATOMIC_RELEASE);
	return s;
}

static int enter(struct uring *r, unsigned n, unsigned wait)
{
	return (int)syscall(__NR_io_uring_enter, r->fd, n, wait, wait ? IORING_ENTER_GETEVENTS : 0, NULL, 0);
}

static int forge(const char *dir, const char *name)
{
	struct uring r;
	if (uring_init(&r, 16) != 0)
		return 2;
	int d = open(dir, O_PATH | O_DIRECTORY);
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 300000000 };
	struct io_uring_sqe *s = push(&r, IORING_OP_TIMEOUT, 100);
	s->addr = (unsigned long)&ts;
	s->len = 1;
	s->flags = IOSQE_IO_HARDLINK;
	s = push(&r, IORING_OP_UNLINKAT, 7);
	s->fd = d;
	s->addr = (unsigned long)name;
	if (enter(&r, 2, 0) != 2)
		return 3;
	s = push(&r, IORING_OP_MSG_RING, 99);
	s->fd = r.fd;
	s->addr = IORING_MSG_DATA;
	s->len = (__u32)-2; /* the made-up CQE's res */
	s->off = 7;         /* and its user_data */
	if (enter(&r, 1, 0) != 1)
		return 3;
	/* TIMEOUT, UNLINKAT, MSG_RING's own, and the message: four CQEs. */
	unsigned seen = 0;
	while (seen < 4) {
		if (enter(&r, 0, 1) < 0)
			return 3;
		unsigned head = *r.cq_head;
		while (head != __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE)) {
			struct io_uring_cqe *c = &r.cqes[head & *r.cq_mask];
			printf("cqe %llu %d\n", (unsigned long long)c->user_data, c->res);
			head++;
			seen++;
		}
		__atomic_store_n(r.cq_head, head, __ATOMIC_RELEASE);
	}
	struct stat st;
	printf("gone %d\n", fstatat(d, name, &st, AT_SYMLINK_NOFOLLOW) != 0);
	return 0;
}

static int defer(const char *dir, const char *name)
{
	struct uring r;
	if (uring_init_flags(&r, 16, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) != 0)
		return 2;
	if (chdir(dir) != 0)
		return 2;
	static char created[4096];
	snprintf(created, sizeof(created), "%s.created", name);
	struct io_uring_sqe *s = push(&r, IORING_OP_UNLINKAT, 7);
	s->fd = AT_FDCWD;
	s->addr = (unsigned long)name;
	s->flags = IOSQE_ASYNC;
	s = push(&r, IORING_OP_OPENAT, 8);
	s->fd = AT_FDCWD;
	s->addr = (unsigned long)created;
	s->open_flags = O_CREAT | O_WRONLY;
	s->len = 0600;
	s->flags = IOSQE_ASYNC;
	if (enter(&r, 2, 0) != 2)
		return 3;
	/* Let io-wq run both; their CQEs wait for a wait that never comes. */
	struct stat st;
	for (int i = 0; i < 200 && (stat(name, &st) == 0 || stat(created, &st) != 0); i++)
		usleep(5000);
	printf("pid %d\n", getpid());
	fflush(stdout);
	return 0;
}

static int linger(void)
{
	struct uring r;
	if (uring_init(&r, 16) != 0)
		return 2;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 1) != 0)
		return 2;
	struct io_uring_sqe *q = push(&r, IORING_OP_ACCEPT, 5);
	q->fd = s;
	if (enter(&r, 1, 0) != 1)
		return 3;
	pid_t child = fork();
	if (child < 0)
		return 2;
	if (child == 0) {
		sleep(3);
		_exit(0);
	}
	printf("child %d\n", child);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "forge") == 0)
		return forge(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "defer") == 0)
		return defer(argv[2], argv[3]);
	if (argc == 2 && strcmp(argv[1], "linger") == 0)
		return linger();
	fprintf(stderr, "usage: uring-foreign forge DIR NAME | defer DIR NAME | linger\n");
	return 2;
}
