/*
 * bench workload: N rounds of openat+close over a few existing paths; prints
 * "<opens> <elapsed_ns> <cpu_ns>"
 * on stdout (CPU: user + system, waited-for children included). Usage: openat-loop ROUNDS
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *const paths[] = { "/etc/hostname", "/etc/passwd", "/etc/hosts", "/usr/bin/env" };
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

/* user + system CPU time of this process and its waited-for children */
static long long cpu_ns(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	long long us = 0;
	us += self.ru_utime.tv_sec * 1000000LL + self.ru_utime.tv_usec + self.ru_stime.tv_sec * 1000000LL + self.ru_stime.tv_usec;
	us += kids.ru_utime.tv_sec * 1000000LL + kids.ru_utime.tv_usec + kids.ru_stime.tv_sec * 1000000LL + kids.ru_stime.tv_usec;
	return us * 1000;
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 100000;
	long long c0 = cpu_ns();
	long long t0 = now_ns();
	for (long i = 0; i < rounds; i++) {
		for (unsigned j = 0; j < NPATHS; j++) {
			int fd = openat(AT_FDCWD, paths[j], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				perror(paths[j]);
				return 1;
			}
			close(fd);
		}
	}
	long long t1 = now_ns();
	long long c1 = cpu_ns();
	printf("%ld %lld %lld\n", rounds * (long)NPATHS, t1 - t0, c1 - c0);
	return 0;
}
