/*
 * main-thread-exit SECRET PORT MARKER: main() calls pthread_exit() while a
 * second thread goes on to open SECRET, connect to 127.0.0.1:PORT, fork a
 * child that opens MARKER, and then end the process with exit(3). The
 * process ends there, not at pthread_exit: one process_exit, status 3.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char **args;

static void *worker(void *arg)
{
	(void)arg;
	usleep(100 * 1000); /* main() has exited by now */
	close(open(args[1], O_RDONLY));
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(args[2])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	connect(s, (struct sockaddr *)&sa, sizeof(sa));
	close(s);
	pid_t child = fork();
	if (child == 0) {
		close(open(args[3], O_RDONLY));
		_exit(0);
	}
	waitpid(child, NULL, 0);
	exit(3);
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	args = argv;
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_exit(NULL);
}
