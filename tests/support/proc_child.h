/*
 * proc_child: child processes for process-level tests and benchmarks
 * (serve, fakes, pg_dump).
 *
 * A child gets the parent's environment plus overrides ("KEY=VALUE"; an
 * entry "KEY=" with nothing after '=' still sets KEY to ""; "KEY" without
 * '=' removes KEY), its stdout and stderr appended to a log file (or
 * inherited), and dies with the parent: PR_SET_PDEATHSIG(SIGKILL) in the
 * child, plus an atexit handler in the parent that SIGKILLs every child
 * still registered.  The environment is built before fork(), so the child
 * only calls async-signal-safe functions until execve() (the parent may
 * have server threads running: the in-process fakes).
 *
 * Every proc_child must be released with proc_child_free(), which kills
 * (SIGKILL) and reaps a child still running.  Not thread-safe per child;
 * the registry of live children is.
 */
#ifndef AI_TESTS_SUPPORT_PROC_CHILD_H
#define AI_TESTS_SUPPORT_PROC_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct proc_child proc_child;

/* argv[0] is the program path (no PATH search); env: NULL-terminated list
 * of overrides or NULL; log_path: file for stdout+stderr (created or
 * appended), NULL = inherit.  stdin is /dev/null.  Returns NULL and
 * prints why on stderr on failure. */
proc_child *proc_child_start(const char *const *argv, const char *const *env,
                             const char *log_path);

pid_t proc_child_pid(const proc_child *c);

/* True while the child has not exited (reaps it when it has). */
bool proc_child_running(proc_child *c);

/* kill(pid, sig) if still running; returns 0 or -1. */
int proc_child_signal(proc_child *c, int sig);

/* Waits up to timeout_ms for the child to exit.  Returns 1 when it exited
 * (*wait_status, may be NULL, receives the waitpid status), 0 on timeout. */
int proc_child_wait(proc_child *c, int timeout_ms, int *wait_status);

/* The waitpid status once the child has exited (0 before). */
int proc_child_status(const proc_child *c);

/* SIGKILL + reap if still running, then free.  NULL is a no-op. */
void proc_child_free(proc_child *c);

/* Monotonic milliseconds and a short sleep, for polling loops. */
long long proc_now_ms(void);
void proc_sleep_ms(int ms);

/* CPU seconds (user + system) and peak RSS (kB) of a live child from
 * /proc/<pid>/stat and /proc/<pid>/status.  Returns 0 or -1. */
int proc_child_usage(const proc_child *c, double *cpu_s, long *peak_rss_kb);

#endif
