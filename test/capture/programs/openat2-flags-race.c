/*
 * openat2-flags-race FILE N: N times, writes 8 bytes to FILE, then opens it
 * with openat2(O_WRONLY) while another thread keeps flipping the open_how's
 * flags between O_WRONLY|O_TRUNC and O_WRONLY (the kernel copies the struct
 * once, at the start of the call; the flip can land before or after). What
 * the kernel did is the file's size right after the open (fstat on the new
 * fd): 0 is a truncation. Prints "<i> <tid> <fd> TRUNCATED|kept". The record
 * must say O_TRUNC exactly when the open truncated, or say it cannot tell.
 * From a tester's reproducer (the flags were read at sys_exit: ~5% wrong).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct open_how how;
static volatile int done;

/* Runs the calling thread on CPU cpu only: the flip must race the call in parallel, not take turns with it. */
static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *flipper(void *arg)
{
	(void)arg;
	pin(1);
	while (!done) {
		__atomic_store_n(&how.flags, O_WRONLY | O_TRUNC, __ATOMIC_RELAXED);
		__atomic_store_n(&how.flags, O_WRONLY, __ATOMIC_RELAXED);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *file = argv[1];
	int n = atoi(argv[2]);
	how.flags = O_WRONLY;
	pthread_t t;
	pthread_create(&t, NULL, flipper, NULL);
	pin(0);
	long tid = syscall(SYS_gettid);
	for (int i = 0; i < n; i++) {
		int w = open(file, O_WRONLY | O_CREAT, 0644);
		if (w < 0 || write(w, "logdata\n", 8) != 8) {
			perror("write");
			return 1;
		}
		close(w);
		int fd = syscall(SYS_openat2, AT_FDCWD, file, &how, sizeof(how));
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			perror("openat2");
			return 1;
		}
		printf("%d %ld %d %s\n", i, tid, fd, st.st_size == 0 ? "TRUNCATED" : "kept");
		close(fd);
	}
	done = 1;
	pthread_join(t, NULL);
	return 0;
}
