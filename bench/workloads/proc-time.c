/*
 * bench timer: runs one command as a whole process and reports what its user
 * waits for, the same way for every tool (rg-replay, zstd, sysdig, rg-capture):
 * the clock starts just before fork() and stops when wait4() returns, so
 * start-up and exit are inside; CPU time and peak RSS come from wait4's rusage
 * (every thread of the child, and the children it waited for).
 *
 * Usage: proc-time [-c CPU] [-i IN] [-o OUT | -p | -t] -- CMD ARGS...
 *   -c CPU  run the command on this CPU alone (sched_setaffinity, before exec)
 *   -i IN   the command's stdin (default /dev/null)
 *   -o OUT  the command's stdout goes to this file (default /dev/null)
 *   -p      the command's stdout is a pipe that proc-time drains (1 MiB reads)
 *   -t      the command's stdout is a pseudo-terminal in raw mode, drained the same way
 * stderr is inherited. On its own stdout proc-time prints "pid N" once the
 * command is started, then at exit one line of JSON:
 *   {"exit_code":C,"signal":S,"wall_ms":W,"user_ms":U,"sys_ms":Y,"cpu_ms":U+Y,"max_rss_mb":M,"out_bytes":B,"out_lines":L}
 * (out_bytes and out_lines: what was drained from a pipe or pty; 0 for a file)
 * SIGINT and SIGTERM are passed on to the command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child = -1;

static void forward(int sig)
{
	if (child > 0) kill(child, sig);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int open_pty(int *slave)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) return -1;
	int s = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (s < 0) return -1;
	struct termios t;
	if (tcgetattr(s, &t) == 0) {
		cfmakeraw(&t); /* no output processing: what is measured is the command, not the line discipline */
		tcsetattr(s, TCSANOW, &t);
	}
	*slave = s;
	return master;
}

int main(int argc, char **argv)
{
	int cpu = -1, mode = 'o', opt;
	const char *in = "/dev/null", *out = "/dev/null";
	while ((opt = getopt(argc, argv, "+c:i:o:pt")) != -1) {
		switch (opt) {
		case 'c': cpu = atoi(optarg); break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; mode = 'o'; break;
		case 'p': mode = 'p'; break;
		case 't': mode = 't'; break;
		default: fprintf(stderr, "usage: proc-time [-c CPU] [-i IN] [-o OUT | -p | -t] -- CMD ARGS...\n"); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "proc-time: no command\n");
		return 2;
	}
	int in_fd = open(in, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0) {
		fprintf(stderr, "proc-time: %s: %s\n", in, strerror(errno));
		return 2;
	}
	int out_fd = -1, drain_fd = -1;
	if (mode == 'o') {
		out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	} else if (mode == 'p') {
		int p[2];
		if (pipe2(p, O_CLOEXEC) == 0) {
			drain_fd = p[0];
			out_fd = p[1];
		}
	} else {
		drain_fd = open_pty(&out_fd);
		if (drain_fd < 0) out_fd = -1;
	}
	if (out_fd < 0) {
		fprintf(stderr, "proc-time: cannot set up the command's stdout: %s\n", strerror(errno));
		return 2;
	}
	struct sigaction sa = { .sa_handler = forward };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fflush(stdout);

	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		perror("proc-time: fork");
		return 2;
	}
	if (pid == 0) {
		/* if the bench dies or kills proc-time, the command is asked to stop (rg-capture then detaches cleanly) */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set) < 0) {
				perror("proc-time: sched_setaffinity");
				_exit(126);
			}
		}
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		dup2(in_fd, 0);
		dup2(out_fd, 1);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "proc-time: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	child = pid;
	printf("pid %d\n", pid);
	fflush(stdout);
	close(out_fd);
	close(in_fd);

	long long out_bytes = 0, out_lines = 0;
	if (drain_fd >= 0) {
		static char buf[1 << 20];
		for (;;) {
			ssize_t n = read(drain_fd, buf, sizeof(buf));
			if (n > 0) {
				out_bytes += n;
				for (const char *p = buf, *end = buf + n; (p = memchr(p, '\n', end - p)) != NULL; p++) out_lines++;
			}
			else if (n < 0 && errno == EINTR) continue;
			else break; /* EOF, or EIO from a pty whose last writer closed */
		}
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("proc-time: wait4");
			return 2;
		}
	}
	double wall = now_ms() - t0;
	double user = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3;
	double sys = ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	printf("{\"exit_code\":%d,\"signal\":%d,\"wall_ms\":%.3f,\"user_ms\":%.3f,\"sys_ms\":%.3f,\"cpu_ms\":%.3f,\"max_rss_mb\":%.3f,\"out_bytes\":%lld,\"out_lines\":%lld}\n",
		WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		wall, user, sys, user + sys, ru.ru_maxrss / 1024.0, out_bytes, out_lines);
	return 0;
}
