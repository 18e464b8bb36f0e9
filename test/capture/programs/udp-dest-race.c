/*
 * An attacker's race against a recorder that trusts the caller's memory:
 * while the main thread sends N datagrams with sendto() from one socket, a
 * second thread flips the port in the very sockaddr passed to sendto between
 * a real and a decoy port, as fast as it can. The kernel copies the sockaddr
 * once per call, so each datagram goes to whichever port was there at that
 * moment; the copy a recorder reads afterwards may say the other. Two
 * receivers count what really arrived. Prints one JSON line:
 *   {"pid":P,"fd":F,"sent":N,"real":R,"decoy":D,"real_port":..,"decoy_port":..}
 * Usage: udp-dest-race ADDR REAL_PORT DECOY_PORT N
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct sockaddr_in target;
static unsigned short ports[2];
static atomic_int done;
static atomic_long flips;

struct receiver {
	int fd;
	long count;
};

/* The sender and the flipper on different CPUs: taking turns on one, they would never race. */
static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *flip(void *arg)
{
	(void)arg;
	pin(1);
	for (unsigned i = 0; !atomic_load_explicit(&done, memory_order_relaxed); i++) {
		*(volatile unsigned short *)&target.sin_port = htons(ports[i & 1]);
		atomic_fetch_add_explicit(&flips, 1, memory_order_relaxed);
	}
	return NULL;
}

static void *receive(void *arg)
{
	struct receiver *r = arg;
	char buf[64];
	for (;;) {
		if (recv(r->fd, buf, sizeof(buf), 0) > 0)
			r->count++;
		else if (atomic_load(&done))
			return NULL; /* a 100 ms receive timeout after the sender finished: all arrived */
	}
}

static int receiver_socket(const char *addr, unsigned short port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 8 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, addr, &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("udp-dest-race: bind");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: udp-dest-race ADDR REAL_PORT DECOY_PORT N\n");
		return 2;
	}
	ports[0] = atoi(argv[2]);
	ports[1] = atoi(argv[3]);
	int n = atoi(argv[4]);
	struct receiver rx[2] = { { receiver_socket(argv[1], ports[0]), 0 }, { receiver_socket(argv[1], ports[1]), 0 } };
	struct timeval timeout = { .tv_usec = 100000 };
	pthread_t receivers[2], flipper;
	for (int i = 0; i < 2; i++) {
		setsockopt(rx[i].fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
		pthread_create(&receivers[i], NULL, receive, &rx[i]);
	}
	target.sin_family = AF_INET;
	target.sin_port = htons(ports[0]);
	inet_pton(AF_INET, argv[1], &target.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	pin(0);
	pthread_create(&flipper, NULL, flip, NULL);
	while (atomic_load(&flips) < 1000)
		; /* the flipper is running on the other CPU */
	for (int i = 0; i < n; i++)
		sendto(fd, "race", 4, 0, (struct sockaddr *)&target, sizeof(target));
	atomic_store(&done, 1);
	pthread_join(flipper, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(receivers[i], NULL);
	printf("{\"pid\":%d,\"fd\":%d,\"sent\":%d,\"real\":%ld,\"decoy\":%ld,\"real_port\":%u,\"decoy_port\":%u}\n",
	       getpid(), fd, n, rx[0].count, rx[1].count, ports[0], ports[1]);
	return 0;
}
