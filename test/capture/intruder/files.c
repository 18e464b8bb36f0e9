/*
 * What an intruder does to files and mounts, for the real-kernel tests: each
 * mode works inside DIR (an absolute path), makes known syscalls through
 * syscall(2) and prints one JSON object per call: the call, its arguments
 * and the raw result (-errno on failure), so a test can compare the capture
 * with what really happened. Paths in the output are the ones a correct
 * record resolves to. Built by the tests with the system's cc.
 *
 *   files delete DIR     unlink, unlinkat (file and AT_REMOVEDIR), rmdir relative to the cwd, a missing file
 *   files rename DIR     rename, renameat, renameat2 NOREPLACE (refused) and EXCHANGE
 *   files link DIR       link, linkat, symlink, symlinkat
 *   files attr DIR       chmod 4755, fchmod, fchmodat, fchmodat2, chown, fchown, lchown, fchownat, truncate, ftruncate
 *   files mount DIR      mount tmpfs, a bind mount, umount2, and fsopen/fsmount/move_mount
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#define SYS_move_mount 429
#endif
#ifndef FSCONFIG_CMD_CREATE
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char *dir;

static long sys(long nr, long a, long b, long c, long d, long e)
{
	long r = syscall(nr, a, b, c, d, e, 0L);
	return r < 0 ? -errno : r;
}

static char *in_dir(const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static void make_file(const char *name)
{
	int fd = open(in_dir(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (write(fd, "x\n", 2) != 2)
		exit(3);
	close(fd);
}

/* One JSON line: "call", "result", then `more` (already JSON). */
static void report(const char *call, long result, const char *fmt, ...)
{
	char more[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(more, sizeof(more), fmt, ap);
	va_end(ap);
	printf("{\"call\":\"%s\",\"result\":%ld%s%s}\n", call, result, more[0] ? "," : "", more);
	fflush(stdout);
}

static int do_delete(void)
{
	make_file("a");
	make_file("b");
	mkdir(in_dir("d"), 0755);
	mkdir(in_dir("e"), 0755);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	report("unlink", sys(SYS_unlink, (long)in_dir("a"), 0, 0, 0, 0), "\"path\":\"%s\",\"arg\":\"%s\"", in_dir("a"), in_dir("a"));
	report("unlinkat", sys(SYS_unlinkat, dfd, (long)"b", 0, 0, 0), "\"path\":\"%s\",\"arg\":\"b\",\"dirfd\":%d,\"flags\":0", in_dir("b"), dfd);
	report("unlinkat", sys(SYS_unlinkat, dfd, (long)"d", AT_REMOVEDIR, 0, 0), "\"path\":\"%s\",\"arg\":\"d\",\"dirfd\":%d,\"flags\":%d", in_dir("d"), dfd, AT_REMOVEDIR);
	if (chdir(dir) != 0)
		return 3;
	report("rmdir", sys(SYS_rmdir, (long)"./e/", 0, 0, 0, 0), "\"path\":\"%s\",\"arg\":\"./e/\"", in_dir("e"));
	report("unlink", sys(SYS_unlink, (long)"missing", 0, 0, 0, 0), "\"path\":\"%s\",\"arg\":\"missing\"", in_dir("missing"));
	return 0;
}

static int do_rename(void)
{
	make_file("a");
	make_file("b");
	make_file("c");
	mkdir(in_dir("sub"), 0755);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int sfd = open(in_dir("sub"), O_RDONLY | O_DIRECTORY);
	report("rename", sys(SYS_rename, (long)in_dir("a"), (long)in_dir("a2"), 0, 0, 0),
	       "\"old\":\"%s\",\"new\":\"%s\"", in_dir("a"), in_dir("a2"));
	report("renameat", sys(SYS_renameat, dfd, (long)"b", sfd, (long)"b2", 0),
	       "\"old\":\"%s\",\"new\":\"%s/sub/b2\",\"olddirfd\":%d,\"newdirfd\":%d", in_dir("b"), dir, dfd, sfd);
	report("renameat2", sys(SYS_renameat2, dfd, (long)"c", dfd, (long)"a2", RENAME_NOREPLACE),
	       "\"old\":\"%s\",\"new\":\"%s\",\"flags\":%d", in_dir("c"), in_dir("a2"), RENAME_NOREPLACE);
	report("renameat2", sys(SYS_renameat2, dfd, (long)"c", dfd, (long)"a2", RENAME_EXCHANGE),
	       "\"old\":\"%s\",\"new\":\"%s\",\"flags\":%d", in_dir("c"), in_dir("a2"), RENAME_EXCHANGE);
	return 0;
}

static int do_link(void)
{
	make_file("t");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	report("link", sys(SYS_link, (long)in_dir("t"), (long)in_dir("hard"), 0, 0, 0),
	       "\"target\":\"%s\",\"new\":\"%s\"", in_dir("t"), in_dir("hard"));
	report("linkat", sys(SYS_linkat, dfd, (long)"t", dfd, (long)"hard2", AT_SYMLINK_FOLLOW),
	       "\"target\":\"%s\",\"new\":\"%s\",\"flags\":%d", in_dir("t"), in_dir("hard2"), AT_SYMLINK_FOLLOW);
	/* A symlink's target is stored as written, never resolved. */
	report("symlink", sys(SYS_symlink, (long)"/dev/null", (long)in_dir(".bash_history"), 0, 0, 0),
	       "\"target\":\"/dev/null\",\"new\":\"%s\"", in_dir(".bash_history"));
	report("symlinkat", sys(SYS_symlinkat, (long)"../t", dfd, (long)"soft", 0, 0),
	       "\"target\":\"../t\",\"new\":\"%s\"", in_dir("soft"));
	report("link", sys(SYS_link, (long)in_dir("missing"), (long)in_dir("nope"), 0, 0, 0),
	       "\"target\":\"%s\",\"new\":\"%s\"", in_dir("missing"), in_dir("nope"));
	return 0;
}

static int do_attr(void)
{
	make_file("f");
	make_file("g");
	symlink("f", in_dir("lnk"));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int fd = open(in_dir("g"), O_RDWR);
	report("chmod", sys(SYS_chmod, (long)in_dir("f"), 04755, 0, 0, 0), "\"path\":\"%s\",\"mode\":%d", in_dir("f"), 04755);
	report("fchmod", sys(SYS_fchmod, fd, 02750, 0, 0, 0), "\"path\":\"%s\",\"fd\":%d,\"mode\":%d", in_dir("g"), fd, 02750);
	report("fchmodat", sys(SYS_fchmodat, dfd, (long)"f", 01777, 0, 0), "\"path\":\"%s\",\"dirfd\":%d,\"mode\":%d", in_dir("f"), dfd, 01777);
	/* A symlink's own mode cannot be changed: refused. */
	report("fchmodat2", sys(SYS_fchmodat2, dfd, (long)"lnk", 0600, AT_SYMLINK_NOFOLLOW, 0),
	       "\"path\":\"%s\",\"dirfd\":%d,\"mode\":%d,\"flags\":%d", in_dir("lnk"), dfd, 0600, AT_SYMLINK_NOFOLLOW);
	report("chown", sys(SYS_chown, (long)in_dir("f"), 1000, 1000, 0, 0), "\"path\":\"%s\",\"uid\":1000,\"gid\":1000", in_dir("f"));
	report("fchown", sys(SYS_fchown, fd, 0, -1, 0, 0), "\"path\":\"%s\",\"fd\":%d,\"uid\":0,\"gid\":-1", in_dir("g"), fd);
	report("lchown", sys(SYS_lchown, (long)in_dir("lnk"), 1000, 1000, 0, 0), "\"path\":\"%s\",\"uid\":1000,\"gid\":1000", in_dir("lnk"));
	report("fchownat", sys(SYS_fchownat, dfd, (long)"f", 0, 0, 0), "\"path\":\"%s\",\"dirfd\":%d,\"uid\":0,\"gid\":0,\"flags\":0", in_dir("f"), dfd);
	report("truncate", sys(SYS_truncate, (long)in_dir("f"), 0, 0, 0, 0), "\"path\":\"%s\",\"length\":0", in_dir("f"));
	report("ftruncate", sys(SYS_ftruncate, fd, 10, 0, 0, 0), "\"path\":\"%s\",\"fd\":%d,\"length\":10", in_dir("g"), fd);
	return 0;
}

static int do_mount(void)
{
	mkdir(in_dir("t"), 0755);
	mkdir(in_dir("b"), 0755);
	mkdir(in_dir("n"), 0755);
	report("mount", sys(SYS_mount, (long)"rg-tmp", (long)in_dir("t"), (long)"tmpfs", MS_NOSUID | MS_NODEV, (long)"size=1m"),
	       "\"source\":\"rg-tmp\",\"target\":\"%s\",\"fstype\":\"tmpfs\",\"flags\":%d,\"data\":\"size=1m\"", in_dir("t"), MS_NOSUID | MS_NODEV);
	report("mount", sys(SYS_mount, (long)in_dir("t"), (long)in_dir("b"), 0, MS_BIND, 0),
	       "\"source\":\"%s\",\"target\":\"%s\",\"flags\":%d", in_dir("t"), in_dir("b"), MS_BIND);
	report("umount2", sys(SYS_umount2, (long)in_dir("b"), MNT_DETACH, 0, 0, 0), "\"target\":\"%s\",\"flags\":%d", in_dir("b"), MNT_DETACH);
	report("umount2", sys(SYS_umount2, (long)in_dir("t"), 0, 0, 0, 0), "\"target\":\"%s\",\"flags\":0", in_dir("t"));
	/* The new mount API: a filesystem context, a detached mount, then moved into place. */
	long fsfd = sys(SYS_fsopen, (long)"tmpfs", 0, 0, 0, 0);
	sys(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, (long)"source", (long)"rg-newapi", 0);
	sys(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, 0, 0, 0);
	long mfd = sys(SYS_fsmount, fsfd, 0, 0, 0, 0);
	report("fsmount", mfd, "\"fsfd\":%ld,\"source\":\"rg-newapi\",\"fstype\":\"tmpfs\"", fsfd);
	report("move_mount", sys(SYS_move_mount, mfd, (long)"", AT_FDCWD, (long)in_dir("n"), MOVE_MOUNT_F_EMPTY_PATH),
	       "\"target\":\"%s\",\"fstype\":\"tmpfs\",\"flags\":%d", in_dir("n"), MOVE_MOUNT_F_EMPTY_PATH);
	close(mfd);
	close(fsfd);
	report("umount2", sys(SYS_umount2, (long)in_dir("n"), MNT_DETACH, 0, 0, 0), "\"target\":\"%s\",\"flags\":%d", in_dir("n"), MNT_DETACH);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 || argv[2][0] != '/')
		return 2;
	dir = argv[2];
	const char *mode = argv[1];
	if (!strcmp(mode, "delete"))
		return do_delete();
	if (!strcmp(mode, "rename"))
		return do_rename();
	if (!strcmp(mode, "link"))
		return do_link();
	if (!strcmp(mode, "attr"))
		return do_attr();
	if (!strcmp(mode, "mount"))
		return do_mount();
	fprintf(stderr, "files: unknown mode\n");
	return 2;
}
