/*
 * connect-dup2: a blocking connect() that waits (the listener's accept queue
 * is full: the SYN is dropped and sent again 1 s later), while another thread
 * dup2()s a decoy UDP socket, connected elsewhere, over the connecting fd.
 * connect() returns 0 for the first socket; the fd then names the decoy.
 * Prints "fd FD result R peer PORT decoy PORT": PORT from getpeername() of a
 * dup of the connecting socket, and of the decoy. Before the fix the record
 * named the decoy's destination (the fd's socket at exit).
 * Run it in a private network namespace (fixed loopback ports).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int fd, decoy;

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return a;
}

static int peer_port(int s)
{
	struct sockaddr_in p;
	socklen_t len = sizeof(p);
	return getpeername(s, (struct sockaddr *)&p, &len) == 0 ? ntohs(p.sin_port) : -1;
}

static void *swap(void *unused)
{
	usleep(200000);
	dup2(decoy, fd);
	return unused;
}

int main(void)
{
	struct sockaddr_in target = loopback(4444), elsewhere = loopback(8053);
	int one = 1;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&target, sizeof(target)) != 0 || listen(l, 0) != 0)
		return 2;
	int filler = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(filler, (struct sockaddr *)&target, sizeof(target)) != 0) /* fills the accept queue */
		return 2;
	int sink = socket(AF_INET, SOCK_DGRAM, 0);
	decoy = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(sink, (struct sockaddr *)&elsewhere, sizeof(elsewhere)) != 0 || connect(decoy, (struct sockaddr *)&elsewhere, sizeof(elsewhere)) != 0)
		return 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	int keep = dup(fd); /* to ask the kernel about the connecting socket afterwards */
	pthread_t t;
	pthread_create(&t, NULL, swap, NULL);
	pid_t child = fork();
	if (child == 0) { /* frees the queue after the swap: the SYN sent again gets in */
		usleep(500000);
		close(accept(l, NULL, NULL));
		_exit(0);
	}
	int r = connect(fd, (struct sockaddr *)&target, sizeof(target));
	pthread_join(t, NULL);
	waitpid(child, NULL, 0);
	printf("fd %d result %d peer %d decoy %d\n", fd, r, peer_port(keep), peer_port(fd));
	return 0;
}
