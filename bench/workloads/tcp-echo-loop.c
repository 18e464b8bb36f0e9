/*
 * bench workload: N request/response round trips over one localhost TCP
 * connection (keep-alive: 64 bytes each way), client and a forked echo
 * server; prints "<requests> <elapsed_ns> <cpu_ns>" (CPU of both: the server
 * is waited for). Usage: tcp-echo-loop COUNT
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop-clock.h"

#define MESSAGE 64

/* Reads exactly n bytes; false at end of stream. */
static int read_all(int fd, char *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return 0;
		got += r;
	}
	return 1;
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 100000;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int one = 1;
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, len) != 0 || listen(listener, 1) != 0 ||
	    getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
		perror("tcp-echo-loop: listen");
		return 1;
	}
	long long c0 = cpu_ns();
	pid_t server = fork();
	if (server == 0) {
		int conn = accept(listener, NULL, NULL);
		setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		char buf[MESSAGE];
		while (read_all(conn, buf, MESSAGE))
			if (write(conn, buf, MESSAGE) != MESSAGE)
				_exit(1);
		_exit(0);
	}
	int client = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(client, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror("tcp-echo-loop: connect");
		return 1;
	}
	char buf[MESSAGE] = "ping";
	long long t0 = now_ns();
	for (long i = 0; i < count; i++) {
		if (write(client, buf, MESSAGE) != MESSAGE || !read_all(client, buf, MESSAGE)) {
			perror("tcp-echo-loop: round trip");
			return 1;
		}
	}
	long long t1 = now_ns();
	close(client);
	waitpid(server, NULL, 0);
	long long c1 = cpu_ns();
	printf("%ld %lld %lld\n", count, t1 - t0, c1 - c0);
	return 0;
}
