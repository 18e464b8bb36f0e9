/*
 * bench workload: N rounds of fork + execve(/bin/true) + waitpid; prints
 * "<rounds> <elapsed_ns> <cpu_ns>"
 * on stdout (CPU: user + system, waited-for children included). Usage: forkexec-loop ROUNDS
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop-clock.h"

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
