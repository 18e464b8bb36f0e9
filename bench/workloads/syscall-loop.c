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
#include <sys/syscall.h>
#include <unistd.h>

#include "loop-clock.h"

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
