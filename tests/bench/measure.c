/* measure: runs one command as the child of this small process and writes
 * what wait4() says of it to OUTFILE, one line:
 *
 *   WALL_US CPU_US MAXRSS_KIB      (CPU = user + sys, in microseconds)
 *
 *   measure OUTFILE COMMAND [ARG...]
 *
 * Why not from the Python driver directly: a child's ru_maxrss starts at
 * its parent's peak (exec keeps the larger of the two), and the driver's is
 * ~17 MB, above the smaller rows. From here it starts at this program's ~1 MB,
 * as /usr/bin/time's %M does; and the CPU comes in microseconds, not
 * /usr/bin/time's 10 ms ticks. BENCH_PRELOAD, when set, becomes the child's
 * LD_PRELOAD (the PAM rows' pam_wrapper/nss_wrapper), so this process runs
 * without them. Exits with the child's status (128 + signal when killed).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s OUTFILE COMMAND [ARG...]\n", argv[0]);
    return 2;
  }
  const char *preload = getenv("BENCH_PRELOAD");
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid = fork();
  if (pid < 0) {
    perror("measure: fork");
    return 1;
  }
  if (pid == 0) {
    if (preload != NULL) {
      setenv("LD_PRELOAD", preload, 1);
      unsetenv("BENCH_PRELOAD");
    }
    execvp(argv[2], argv + 2);
    perror("measure: exec");
    _exit(127);
  }
  int status;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) != pid) {
    perror("measure: wait4");
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  long wall_us = (end.tv_sec - start.tv_sec) * 1000000L + (end.tv_nsec - start.tv_nsec) / 1000;
  long cpu_us = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000L + usage.ru_utime.tv_usec +
                usage.ru_stime.tv_usec;
  FILE *out = fopen(argv[1], "w");
  if (out == NULL || fprintf(out, "%ld %ld %ld\n", wall_us, cpu_us, usage.ru_maxrss) < 0 || fclose(out) != 0) {
    perror("measure: OUTFILE");
    return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
