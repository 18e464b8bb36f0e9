/*
 * bench workload: N getppid() system calls (through syscall(2), so libc
 * cannot answer from a cache); prints "<calls> <elapsed_ns> <cpu_ns>" on
 * stdout. Not a target: it shows what a traced host pays on syscalls that
 * are not recorded (every syscall exit runs rg-capture's sys_exit program,
 * which returns at once for them). Usage: syscall-loop CALLS
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long cpu_ns(void)
{
	struct rusage self;
	getrusage(RUSAGE_SELF, &self);
	return (self.ru_utime.tv_sec * 1000000LL + self.ru_utime.tv_usec + self.ru_stime.tv_sec * 1000000LL + self.ru_stime.tv_usec) * 1000;
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 1000000;
	long long c0 = cpu_ns();
	long long t0 = now_ns();
	for (long i = 0; i < calls; i++)
		syscall(SYS_getppid);
	long long t1 = now_ns();
	long long c1 = cpu_ns();
	printf("%ld %lld %lld\n", calls, t1 - t0, c1 - c0);
	return 0;
}
