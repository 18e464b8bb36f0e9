/*
 * bench workload: a busy host in miniature, for the REAL capture the replay
 * benchmarks read. Each round opens 8 paths from a varied set (libraries,
 * config files, /proc entries, missing files under deep directories, some
 * O_CREAT|O_WRONLY in a scratch dir); every 8th round it connects over TCP to
 * its own listener on 127.0.0.1 (accepts and closes), connects a UDP socket,
 * and tries a closed port (ECONNREFUSED); every 64th round it forks and
 * execs /bin/true (exec, fork, exit and the loader's opens).
 * Prints "<rounds> <elapsed_ns> <cpu_ns>" on stdout. Usage: mixed-loop ROUNDS [SCRATCH_DIR]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop-clock.h"

static const char *const existing[] = {
	"/etc/hostname", "/etc/passwd", "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/ld.so.cache",
	"/etc/os-release", "/etc/group", "/usr/bin/env", "/usr/bin/true", "/bin/sh", "/proc/self/status",
	"/proc/self/stat", "/proc/meminfo", "/proc/loadavg", "/proc/self/maps",
};
#define NEXISTING (sizeof(existing) / sizeof(existing[0]))

static const char *const missing_dirs[] = {
	"/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3", "/usr/local/lib/python3/site-packages/pkg",
	"/home/alice/project/node_modules/.pnpm/left-pad@1.3.0/node_modules", "/var/cache/app/objects/ab",
	"/opt/vendor/share/locale/en_US/LC_MESSAGES", "/srv/www/static/assets/img",
};
#define NMISSING (sizeof(missing_dirs) / sizeof(missing_dirs[0]))

static void open_close(const char *path, int flags)
{
	int fd = openat(AT_FDCWD, path, flags, 0600);
	if (fd >= 0) close(fd);
}

static void connect_once(int type, const struct sockaddr_in *to, int listener)
{
	int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (s < 0) return;
	if (connect(s, (const struct sockaddr *)to, sizeof(*to)) == 0 && listener >= 0) {
		int a = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (a >= 0) close(a);
	}
	close(s);
}

static int fork_exec_true(void)
{
	char *const argv[] = { "/bin/true", "--bench", NULL };
	char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	pid_t pid = fork();
	if (pid < 0) return -1;
	if (pid == 0) {
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	int status;
	return waitpid(pid, &status, 0) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 100000;
	const char *scratch = argc > 2 ? argv[2] : ".";
	char path[512];

	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(addr);
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(listener, 64) < 0
		|| getsockname(listener, (struct sockaddr *)&addr, &alen) < 0) {
		perror("listener");
		return 1;
	}
	/* a port nobody listens on: bind, note it, close */
	struct sockaddr_in refused = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int tmp = socket(AF_INET, SOCK_STREAM, 0);
	alen = sizeof(refused);
	bind(tmp, (struct sockaddr *)&refused, sizeof(refused));
	getsockname(tmp, (struct sockaddr *)&refused, &alen);
	close(tmp);
	struct sockaddr_in dns = { .sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(0x0a000002) };

	long long c0 = cpu_ns();
	long long t0 = now_ns();
	for (long i = 0; i < rounds; i++) {
		for (int j = 0; j < 4; j++) open_close(existing[(i * 4 + j) % NEXISTING], O_RDONLY | O_CLOEXEC);
		snprintf(path, sizeof(path), "%s/lib%ld.so.%ld", missing_dirs[i % NMISSING], i % 97, i % 7);
		open_close(path, O_RDONLY | O_CLOEXEC);
		snprintf(path, sizeof(path), "%s/%s", missing_dirs[(i + 3) % NMISSING], i & 1 ? "config.json" : "index.html");
		open_close(path, O_RDONLY);
		snprintf(path, sizeof(path), "%s/out-%ld.tmp", scratch, i % 64);
		open_close(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/%d/fd/%ld", getpid(), i % 4);
		open_close(path, O_RDONLY | O_CLOEXEC);
		if (i % 8 == 0) {
			connect_once(SOCK_STREAM, &addr, listener);
			connect_once(SOCK_DGRAM, &dns, -1);
			connect_once(SOCK_STREAM, &refused, -1);
		}
		if (i % 64 == 0 && fork_exec_true() < 0) {
			perror("fork");
			return 1;
		}
	}
	long long t1 = now_ns();
	long long c1 = cpu_ns();
	for (long k = 0; k < 64 && k < rounds; k++) {
		snprintf(path, sizeof(path), "%s/out-%ld.tmp", scratch, k);
		unlink(path);
	}
	printf("%ld %lld %lld\n", rounds, t1 - t0, c1 - c0);
	return 0;
}
