/*
 * The clocks every bench workload reports with: "<count> <elapsed_ns> <cpu_ns>".
 * Included by every workload in this folder (bench/workloads.ts recompiles them when it changes).
 */
#ifndef RG_LOOP_CLOCK_H
#define RG_LOOP_CLOCK_H

#include <sys/resource.h>
#include <time.h>

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

#endif
