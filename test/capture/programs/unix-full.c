/*
 * A Unix socket pathname that fills all 108 bytes of sun_path, with no NUL
 * after it (the kernel adds its own past sun_path): binds DIR/xxx...x (108
 * bytes in all), listens, connects to it, then prints the name as
 * getsockname returns it. A tracer that reads the name as a C string into a
 * 108-byte buffer keeps 107 bytes, and the record names another file.
 * Usage: unix-full DIR
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t dir = strlen(argv[1]);
	if (dir + 2 > sizeof(a.sun_path))
		return 2;
	memcpy(a.sun_path, argv[1], dir);
	a.sun_path[dir] = '/';
	memset(a.sun_path + dir + 1, 'x', sizeof(a.sun_path) - dir - 1); /* no NUL: all 108 bytes are the name */
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + sizeof(a.sun_path);
	int server = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(server, (struct sockaddr *)&a, len) != 0 || listen(server, 1) != 0)
		return 1;
	int client = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(client, (struct sockaddr *)&a, len) != 0)
		return 1;
	struct sockaddr_un got = { 0 };
	socklen_t got_len = sizeof(got);
	if (getsockname(server, (struct sockaddr *)&got, &got_len) != 0)
		return 1;
	printf("%.*s\n", (int)sizeof(got.sun_path), got.sun_path);
	return 0;
}
