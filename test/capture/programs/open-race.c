/*
 * open-race DIR N: opens DIR/A N times while another thread keeps rewriting
 * the path buffer to DIR/B (one byte differs, so every read of it names one
 * of the two files). After each open it prints what the kernel really opened,
 * from /proc/self/fd: "<i> <tid> <path>". The capture must record exactly
 * that path for each open, whatever the buffer said when it was read.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char path[4096];
static size_t flip_at;
static volatile int done;

/* Runs the calling thread on CPU cpu only (of two or more): the rewrite must race the call in parallel, not take turns with it. */
static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *rewriter(void *arg)
{
	(void)arg;
	pin(1);
	while (!done) {
		__atomic_store_n(&path[flip_at], 'B', __ATOMIC_RELAXED);
		for (volatile int i = 0; i < 50; i++)
			;
		__atomic_store_n(&path[flip_at], 'A', __ATOMIC_RELAXED);
		for (volatile int i = 0; i < 50; i++)
			;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int n = atoi(argv[2]);
	snprintf(path, sizeof(path), "%s/A", argv[1]);
	flip_at = strlen(path) - 1;
	pthread_t t;
	pthread_create(&t, NULL, rewriter, NULL);
	pin(0);
	long tid = syscall(SYS_gettid);
	char link[64], target[4096];
	for (int i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, path, O_RDONLY);
		if (fd < 0) {
			perror("openat");
			return 1;
		}
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			return 1;
		target[len] = 0;
		printf("%d %ld %s\n", i, tid, target);
		close(fd);
	}
	done = 1;
	pthread_join(t, NULL);
	return 0;
}
