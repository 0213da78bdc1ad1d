/* private_tmp: runs COMMAND with a /tmp of its own: a new mount namespace,
 * a fresh tmpfs on /tmp, and DIR (a directory under /tmp the command needs)
 * bound back at its path. Nothing outside the command sees any of it.
 *
 *   private_tmp DIR COMMAND [ARG...]
 *
 * Why: make bench's 200 concurrent logins run pamtester under pam_wrapper,
 * which copies the PAM services to /tmp/pam.X for the life of each process,
 * X one character: its names run out long before 200 processes
 * (concurrent_logins.py). A small program, so the 200 start quickly: from
 * Python a fork with a preexec_fn costs ~15 ms each, vfork and exec of this
 * ~3 ms. BENCH_PRELOAD, when set, becomes COMMAND's LD_PRELOAD (this
 * program runs without it). Needs CAP_SYS_ADMIN (root).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what) {
  perror(what);
  return 126;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s DIR COMMAND [ARG...]\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  if (unshare(CLONE_NEWNS) != 0) return fail("private_tmp: unshare");
  /* Our mounts must not propagate back to the host's namespace. */
  if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return fail("private_tmp: mount --make-rprivate /");
  int keep = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* DIR, still reachable once /tmp is covered */
  if (keep < 0) return fail("private_tmp: DIR");
  if (mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777") != 0) return fail("private_tmp: tmpfs on /tmp");
  /* DIR's parents on the new tmpfs (mkdir -p), then DIR bound over the last. */
  char path[4096];
  if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) return fail("private_tmp: DIR too long");
  for (char *p = path + 1; *p != '\0'; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(path, 0755);
    *p = '/';
  }
  mkdir(path, 0700);
  char source[64];
  snprintf(source, sizeof source, "/proc/self/fd/%d", keep);
  if (mount(source, dir, NULL, MS_BIND, NULL) != 0) return fail("private_tmp: bind DIR");
  close(keep);
  const char *preload = getenv("BENCH_PRELOAD");
  if (preload != NULL) {
    setenv("LD_PRELOAD", preload, 1);
    unsetenv("BENCH_PRELOAD");
  }
  execvp(argv[2], argv + 2);
  return fail("private_tmp: exec");
}
