/*
 * --follow's scope under a flood: keeps N processes alive (clone with
 * CLONE_VM: no copied memory), then forks a child that opens FILE and execs
 * /bin/echo. With a FOLLOWED map of 16,384 entries the child was out of
 * scope and went unrecorded, silently. Prints "child PID FD" (the truth).
 * Usage: follow-flood N FILE
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int sleeper(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_pause);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int n = atoi(argv[1]);
	size_t stack = 16384;
	char *stacks = mmap(0, (size_t)n * stack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	pid_t *pids = calloc(n, sizeof(pid_t));
	if (stacks == MAP_FAILED || pids == NULL)
		return 1;
	int made = 0;
	for (; made < n; made++) {
		pids[made] = clone(sleeper, stacks + (size_t)(made + 1) * stack, CLONE_VM | SIGCHLD, NULL);
		if (pids[made] < 0)
			break;
	}
	int status = made == n ? 0 : 1;
	pid_t child = fork();
	if (child == 0) {
		int fd = open(argv[2], O_RDONLY);
		printf("child %d %d\n", getpid(), fd);
		fflush(stdout);
		execl("/bin/echo", "echo", "escaped", (char *)NULL);
		_exit(1);
	}
	int s;
	waitpid(child, &s, 0);
	for (int i = 0; i < made; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < made; i++)
		waitpid(pids[i], &s, 0);
	return status;
}
