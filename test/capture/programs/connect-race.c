/*
 * connect-race N MODE: N blocking connects to 127.0.0.1 while another thread
 * rewrites the sockaddr they are given. MODE "port": the port flips between
 * two listeners of ours; MODE "family": sa_family flips between AF_INET and
 * AF_UNIX. After each connect it prints what the kernel really connected to:
 * "<i> <result> <peer port>" (getpeername; port 0 when connect failed).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in sa;
static volatile int done;
static int family_mode;
static unsigned short ports[2];

/* Runs the calling thread on CPU cpu only (of two or more): the rewrite must race the call in parallel, not take turns with it. */
static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *rewriter(void *arg)
{
	(void)arg;
	pin(1);
	while (!done) {
		for (int k = 0; k < 2; k++) {
			if (family_mode)
				__atomic_store_n(&sa.sin_family, k ? AF_UNIX : AF_INET, __ATOMIC_RELAXED);
			else
				__atomic_store_n(&sa.sin_port, htons(ports[k]), __ATOMIC_RELAXED);
			for (volatile int i = 0; i < 200; i++)
				;
		}
	}
	return NULL;
}

static void *acceptor(void *arg)
{
	int l = *(int *)arg;
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	return NULL;
}

static int listener(unsigned short *port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4096) || getsockname(l, (struct sockaddr *)&a, &len))
		exit(1);
	*port = ntohs(a.sin_port);
	return l;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int n = atoi(argv[1]);
	family_mode = strcmp(argv[2], "family") == 0;
	static int ls[2];
	pthread_t t;
	for (int k = 0; k < 2; k++) {
		ls[k] = listener(&ports[k]);
		pthread_create(&t, NULL, acceptor, &ls[k]);
	}
	printf("ports %d %d\n", ports[0], ports[1]);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(ports[0]);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_create(&t, NULL, rewriter, NULL);
	pin(0);
	for (int i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		int r = connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
		struct sockaddr_in peer = { 0 };
		socklen_t len = sizeof(peer);
		if (r != 0 || getpeername(s, (struct sockaddr *)&peer, &len) != 0)
			peer.sin_port = 0;
		printf("%d %d %d %d\n", i, s, r, ntohs(peer.sin_port));
		close(s);
	}
	done = 1;
	fflush(stdout);
	_exit(0);
}
