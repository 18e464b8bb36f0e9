/*
 * A shell started far below a web server, as a webshell that wants to hide
 * where it came from would start it: `TOP HOP DEPTH PROGRAM ARGS...`.
 * Installed as TOP (named, say, .../nginx) it forks a child that execs HOP
 * (a copy of this program under another name): HOP forks DEPTH times, each
 * process forking the next and waiting for it, so the whole chain is alive
 * (no process is reparented), and the deepest execs PROGRAM ARGS.
 *
 * Before it execs, the deepest process walks its real ancestry in /proc
 * (each process's ppid, from /proc/PID/stat) up to TOP and prints
 * "PID DISTANCE": its pid, and how many parents up TOP is. The test checks
 * the capture against that, not against what it asked for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int wait_for(pid_t child) {
  int status;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      perror("waitpid");
      return 1;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The ppid of `pid`, from /proc/PID/stat (the field after the parenthesised comm); -1 when unreadable. */
static pid_t ppid_of(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *close = strrchr(buf, ')');
  int ppid;
  if (close == NULL || sscanf(close + 1, " %*c %d", &ppid) != 1) return -1;
  return ppid;
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "-") != 0) {
    /* TOP: one child, which becomes HOP. */
    char top[32];
    snprintf(top, sizeof top, "%d", (int)getpid());
    pid_t child = fork();
    if (child < 0) {
      perror("fork");
      return 1;
    }
    if (child == 0) {
      char **args = calloc((size_t)argc + 2, sizeof *args);
      args[0] = argv[1];
      args[1] = "-";
      args[2] = top;
      for (int i = 2; i < argc; i++) args[i + 1] = argv[i];
      execv(argv[1], args);
      perror("execv hop");
      _exit(127);
    }
    return wait_for(child);
  }
  if (argc < 5) {
    fprintf(stderr, "usage: %s HOP DEPTH PROGRAM ARGS...\n", argv[0]);
    return 2;
  }
  /* HOP: argv = HOP - TOP_PID DEPTH PROGRAM ARGS... */
  pid_t top = (pid_t)atoi(argv[2]);
  int depth = atoi(argv[3]);
  for (int i = 0; i < depth; i++) {
    pid_t child = fork();
    if (child < 0) {
      perror("fork");
      return 1;
    }
    if (child > 0) _exit(wait_for(child));
  }
  int distance = 0;
  pid_t p = getpid();
  while (p > 1 && p != top) {
    p = ppid_of(p);
    distance++;
  }
  if (p != top) {
    fprintf(stderr, "top %d is not an ancestor\n", (int)top);
    return 1;
  }
  printf("%d %d\n", (int)getpid(), distance);
  fflush(stdout);
  execv(argv[4], argv + 4);
  perror("execv program");
  return 127;
}
