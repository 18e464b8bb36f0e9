/*
 * bench workload: N rounds of fork + execve(/bin/true) + waitpid; prints
 * "<rounds> <elapsed_ns> <cpu_ns>"
 * on stdout (CPU: user + system, waited-for children included). Usage: forkexec-loop ROUNDS
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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
	long rounds = argc > 1 ? atol(argv[1]) : 1000;
	char *const child_argv[] = { "/bin/true", NULL };
	char *const child_env[] = { NULL };
	long long c0 = cpu_ns();
	long long t0 = now_ns();
	for (long i = 0; i < rounds; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			execve("/bin/true", child_argv, child_env);
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "child failed\n");
			return 1;
		}
	}
	long long t1 = now_ns();
	long long c1 = cpu_ns();
	printf("%ld %lld %lld\n", rounds, t1 - t0, c1 - c0);
	return 0;
}
