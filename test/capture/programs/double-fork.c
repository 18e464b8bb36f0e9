/*
 * A daemon's double fork, and the subreaper that takes its orphan.
 *
 *   double-fork reap PROGRAM ARGS...    becomes a child subreaper
 *     (PR_SET_CHILD_SUBREAPER, as container inits and `systemd --user` are),
 *     runs PROGRAM ARGS, and waits for every process handed to it; exits
 *     with PROGRAM's status.
 *   double-fork daemon PROGRAM ARGS...  forks a child that forks the daemon
 *     and exits at once; the daemon waits until the kernel has given it to
 *     its new parent, prints "PID PPID" (its pid and that parent's, from
 *     getppid), and execs PROGRAM ARGS. Exits 0 once the child is gone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int status_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s reap|daemon PROGRAM ARGS...\n", argv[0]);
    return 2;
  }
  if (strcmp(argv[1], "reap") == 0) {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
      perror("prctl");
      return 1;
    }
    pid_t child = fork();
    if (child < 0) {
      perror("fork");
      return 1;
    }
    if (child == 0) {
      execv(argv[2], argv + 2);
      perror("execv");
      _exit(127);
    }
    int result = 1, status;
    for (;;) {
      pid_t done = wait(&status);
      if (done < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (done == child) result = status_of(status);
    }
    return result;
  }
  if (strcmp(argv[1], "daemon") != 0) {
    fprintf(stderr, "%s: reap or daemon, not %s\n", argv[0], argv[1]);
    return 2;
  }
  pid_t middle = fork();
  if (middle < 0) {
    perror("fork");
    return 1;
  }
  if (middle == 0) {
    pid_t self = getpid();
    pid_t daemon = fork();
    if (daemon < 0) _exit(1);
    if (daemon > 0) _exit(0);
    /* The daemon: wait for the middle process to be gone (it may be already) and the kernel to name another parent. */
    struct timespec pause = { 0, 1000000 };
    for (int i = 0; getppid() == self; i++) {
      if (i == 10000) {
        fprintf(stderr, "never reparented\n");
        _exit(1);
      }
      nanosleep(&pause, NULL);
    }
    printf("%d %d\n", (int)getpid(), (int)getppid());
    fflush(stdout);
    execv(argv[2], argv + 2);
    perror("execv");
    _exit(127);
  }
  int status;
  while (waitpid(middle, &status, 0) < 0) {
    if (errno != EINTR) {
      perror("waitpid");
      return 1;
    }
  }
  return status_of(status);
}
