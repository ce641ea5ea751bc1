/*
 * proc_serve: runs `azure-integration serve` as a child process (proc_child)
 * on a free loopback port for process-level tests and benchmarks, with the
 * environment of service-contract.md, and waits until it is ready.
 *
 * The binary is $AI_SERVE_BIN, else $AI_BINARY_DIR/azure-integration (ctest
 * sets AI_BINARY_DIR), else ./azure-integration.
 */
#ifndef AI_TESTS_SUPPORT_PROC_SERVE_H
#define AI_TESTS_SUPPORT_PROC_SERVE_H

#include "support/proc_child.h"

#include <stdbool.h>

typedef struct proc_serve proc_serve;

typedef struct proc_serve_options {
    const char *database_url;       /* DATABASE_URL (required) */
    const char *webhook_secret;     /* WEBHOOK_SECRET (required) */
    const char *encryption_key;     /* CONFIG_ENCRYPTION_KEY (required) */
    const char *j1_url;             /* J1_API_BASE_URL; NULL = unset */
    const char *j1_api_key;         /* J1_API_KEY; NULL = unset */
    const char *azure_url;          /* all three AZURE_*_ENDPOINT/HOST and
                                     * AZURE_STORAGE_URL_TEMPLATE (fake's /__storage);
                                     * NULL = unset */
    int worker_threads;             /* WORKER_THREADS; < 0 = unset */
    int lease_seconds;              /* JOB_LEASE_SECONDS; 0 = unset */
    int max_attempts;               /* JOB_MAX_ATTEMPTS; 0 = unset */
    const char *log_level;          /* LOG_LEVEL; NULL = unset */
    const char *const *extra_env;   /* more "K=V" (NULL-terminated) or NULL */
    const char *log_path;           /* stdout+stderr of serve (appended) */
    int ready_timeout_ms;           /* wait for /readyz 200; 0 = 120 s */
} proc_serve_options;

/* Starts serve and waits until GET /readyz answers 200.  NULL (and a
 * message on stderr, plus the tail of the log) when it exits or does not
 * become ready in time (the child is killed then). */
proc_serve *proc_serve_start(const proc_serve_options *opts);

/* "http://127.0.0.1:<port>" */
const char *proc_serve_url(const proc_serve *s);
proc_child *proc_serve_child(proc_serve *s);

/* SIGKILL now (a crash) and reap. */
void proc_serve_kill9(proc_serve *s);

/* SIGTERM, then waits up to timeout_ms.  Returns 1 when it exited
 * (*exit_code = exit status, or 128+signal; *elapsed_ms, may be NULL),
 * 0 on timeout. */
int proc_serve_term(proc_serve *s, int timeout_ms, int *exit_code, long long *elapsed_ms);

/* Kills it if still running, frees. NULL is a no-op. */
void proc_serve_free(proc_serve *s);

/* A free TCP port on 127.0.0.1 (bound, read and closed). 0 on failure. */
int proc_free_port(void);

/* Path of the azure-integration binary (static buffer). */
const char *proc_serve_binary(void);

/* Reads a whole file (malloc'd, NUL-terminated) or NULL. */
char *proc_read_file(const char *path, size_t *len);

/* Number of occurrences of needle in hay[0..len) (binary safe). */
size_t proc_count(const char *hay, size_t len, const char *needle);

#endif
