/*
 * bench workload: N rounds of openat+close over a few existing paths; prints
 * "<opens> <elapsed_ns> <cpu_ns>"
 * on stdout (CPU: user + system, waited-for children included). Usage: openat-loop ROUNDS
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "loop-clock.h"

static const char *const paths[] = { "/etc/hostname", "/etc/passwd", "/etc/hosts", "/usr/bin/env" };
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

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
