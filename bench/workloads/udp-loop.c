/*
 * bench workload: N sendto() calls of a 32-byte datagram from one unconnected
 * UDP socket to a local receiver that never reads (the kernel drops what does
 * not fit); prints "<sends> <elapsed_ns> <cpu_ns>". Under capture, the first
 * send is recorded and the rest are counted as repeats in the kernel: this
 * measures what every send pays for that. With "connected", the socket is
 * connected to the receiver and sends with send(): the path a connected
 * socket's datagram to its own peer takes (QUIC, DNS clients that connect).
 * Usage: udp-loop COUNT [connected]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "loop-clock.h"

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 1000000;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(to);
	int rx = socket(AF_INET, SOCK_DGRAM, 0);
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&to, len) != 0 || getsockname(rx, (struct sockaddr *)&to, &len) != 0) {
		perror("udp-loop: socket");
		return 1;
	}
	int connected = argc > 2 && strcmp(argv[2], "connected") == 0;
	if (connected && connect(tx, (struct sockaddr *)&to, len) != 0) {
		perror("udp-loop: connect");
		return 1;
	}
	char payload[32] = "udp-loop";
	long long c0 = cpu_ns();
	long long t0 = now_ns();
	for (long i = 0; i < count; i++) {
		ssize_t n = connected ? send(tx, payload, sizeof(payload), 0) : sendto(tx, payload, sizeof(payload), 0, (struct sockaddr *)&to, sizeof(to));
		if (n != sizeof(payload)) {
			perror("udp-loop: sendto");
			return 1;
		}
	}
	long long t1 = now_ns();
	long long c1 = cpu_ns();
	printf("%ld %lld %lld\n", count, t1 - t0, c1 - c0);
	return 0;
}
