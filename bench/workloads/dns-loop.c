/*
 * bench workload: N DNS queries and answers, as a resolver sends them: a
 * connected UDP socket to 127.0.0.53:53, one query, its answer, the next. A
 * thread of this program answers (a fixed A record). Run it in a network
 * namespace of its own (`unshare --net`): it brings up lo there, so port 53
 * is free and nothing of the host is touched. Prints
 * "<queries> <elapsed_ns> <cpu_ns>". Usage: dns-loop COUNT
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "loop-clock.h"

static int server;

static void *answer(void *arg)
{
	(void)arg;
	unsigned char buf[512];
	struct sockaddr_in peer;
	for (;;) {
		socklen_t len = sizeof(peer);
		ssize_t n = recvfrom(server, buf, sizeof(buf) - 16, 0, (struct sockaddr *)&peer, &len);
		if (n < 12)
			continue;
		buf[2] = 0x81; buf[3] = 0x80;            /* a response, no error */
		buf[7] = 1;                              /* one answer */
		static const unsigned char a[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 66, 0, 1 };
		memcpy(buf + n, a, sizeof(a));
		sendto(server, buf, n + sizeof(a), 0, (struct sockaddr *)&peer, len);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 10000;
	struct ifreq lo = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (ioctl(s, SIOCGIFFLAGS, &lo) != 0 || (lo.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &lo)) != 0) {
		perror("dns-loop: lo up (run it under unshare --net as root)");
		return 1;
	}
	struct sockaddr_in dns = { .sin_family = AF_INET, .sin_port = htons(53) };
	inet_pton(AF_INET, "127.0.0.53", &dns.sin_addr);
	server = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(server, (struct sockaddr *)&dns, sizeof(dns)) != 0) {
		perror("dns-loop: bind 127.0.0.53:53");
		return 1;
	}
	pthread_t t;
	pthread_create(&t, NULL, answer, NULL);
	int client = socket(AF_INET, SOCK_DGRAM, 0);
	connect(client, (struct sockaddr *)&dns, sizeof(dns));
	/* example.com, type A, class IN */
	unsigned char q[] = { 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	unsigned char r[512];
	long long c0 = cpu_ns();
	long long t0 = now_ns();
	for (long i = 0; i < count; i++) {
		q[0] = i >> 8;
		q[1] = i;
		if (send(client, q, sizeof(q), 0) != sizeof(q) || recv(client, r, sizeof(r), 0) < 12) {
			perror("dns-loop: query");
			return 1;
		}
	}
	long long t1 = now_ns();
	long long c1 = cpu_ns();
	printf("%ld %lld %lld\n", count, t1 - t0, c1 - c0);
	return 0;
}
