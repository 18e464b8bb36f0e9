/*
 * doors DIR PRINT_EXE: opens and execs that take the other doors, each
 * followed by a line saying what really happened:
 *   creat DIR/created                     "creat <fd> <path from /proc/self/fd>"
 *   open_by_handle_at of DIR/created      "handle <fd> <path from /proc/self/fd>"
 *   execve of a missing file, of a file without x, of a relative name
 *                                         "execve <name> <-errno>"
 *   fexecve of PRINT_EXE copied into a memfd (the child prints its exe)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, int fd)
{
	char link[64], target[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	target[n < 0 ? 0 : n] = 0;
	printf("%s %d %s\n", what, fd, target);
}

static void try_exec(const char *name)
{
	char *argv[] = { (char *)name, "-x", "an argument", NULL };
	char *envp[] = { NULL };
	int r = execve(name, argv, envp);
	printf("execve %s %d\n", name, r < 0 ? -errno : r);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	char path[4096];
	snprintf(path, sizeof(path), "%s/created", argv[1]);
	int fd = creat(path, 0600);
	if (fd < 0)
		return 1;
	show("creat", fd);

	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	h->handle_bytes = MAX_HANDLE_SZ;
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0))
		return 1;
	int mount_fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	int hfd = open_by_handle_at(mount_fd, h, O_RDONLY);
	if (hfd < 0)
		return 1;
	show("handle", hfd);

	snprintf(path, sizeof(path), "%s/not-there", argv[1]);
	try_exec(path);
	snprintf(path, sizeof(path), "%s/created", argv[1]); /* mode 0600: EACCES */
	try_exec(path);
	if (chdir(argv[1]))
		return 1;
	try_exec("./not-there-either");
	fflush(stdout);

	int src = open(argv[2], O_RDONLY);
	struct stat st;
	fstat(src, &st);
	int mem = memfd_create("rg-mem", 0);
	if (sendfile(mem, src, NULL, st.st_size) != st.st_size)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		char *cargv[] = { "rg-mem-prog", NULL };
		char *envp[] = { NULL };
		fexecve(mem, cargv, envp);
		_exit(127);
	}
	int status;
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
