/*
 * thread-exec MARKER: a second thread execs /bin/sh -c 'cat MARKER; exit 5'
 * while main() waits. The kernel ends main() and gives the exec-ing thread
 * the process's pid: the same process goes on as sh, and its child cat is
 * its descendant.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *marker;

static void *execer(void *arg)
{
	(void)arg;
	printf("exec-tid %ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	char script[4200];
	snprintf(script, sizeof(script), "cat '%s' > /dev/null; exit 5", marker);
	execl("/bin/sh", "sh", "-c", script, (char *)NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	marker = argv[1];
	pthread_t t;
	pthread_create(&t, NULL, execer, NULL);
	for (;;)
		pause();
}
