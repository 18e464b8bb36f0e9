/*
 * fd-reuse-race DIR N: the one race left to an attacker. The capture reads
 * the opened file from the fd table at sys_exit, after the kernel installed
 * it; a second thread that closes that fd number and opens another file in
 * that window makes the number name the other file when the exit tracepoint
 * reads it. Thread 1 opens DIR/real (O_RDONLY) N times; thread 2 keeps
 * closing the number thread 1 gets and opening DIR/decoy (O_WRONLY) into it.
 * Prints the fd number thread 1's opens use (the lowest free one), and at
 * the end how many of its opens returned that number (the chances thread 2 had).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char real[4096], decoy[4096];
static volatile int done;
static volatile int target = -1;

/* Closes whatever thread 1 just installed under the number and opens the decoy into it at once. */
static void *swapper(void *arg)
{
	(void)arg;
	int t = target;
	while (!done) {
		if (close(t) != 0)
			continue;
		int fd = open(decoy, O_WRONLY);
		if (fd >= 0)
			close(fd); /* free the number again for thread 1's next open */
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int n = atoi(argv[2]);
	snprintf(real, sizeof(real), "%s/real", argv[1]);
	snprintf(decoy, sizeof(decoy), "%s/decoy", argv[1]);
	int probe = open(real, O_RDONLY);
	printf("fd %d\n", probe);
	fflush(stdout);
	target = probe;
	close(probe);
	pthread_t t;
	pthread_create(&t, NULL, swapper, NULL);
	long into = 0;
	for (int i = 0; i < n; i++) {
		int fd = open(real, O_RDONLY);
		if (fd == probe)
			into++;
		else if (fd >= 0)
			close(fd); /* the number was taken: only opens into it are left for thread 2 */
	}
	done = 1;
	pthread_join(t, NULL);
	printf("opens into fd %d: %ld\n", probe, into);
	return 0;
}
