/*
 * serve: the `serve` process assembled: config -> database pool ->
 * migrations -> config encryption -> job store -> job runner (production:
 * job_engine) -> worker pool -> HTTP server.
 *
 * Shutdown (SIGTERM / SIGINT, or serve_shutdown): /readyz answers 503 at
 * once, the workers stop taking jobs and running jobs are asked to stop at
 * the next step boundary (a job that does not stop in time is handed back
 * to the queue for another replica), then the HTTP server stops.  The whole
 * sequence ends within SERVE_DRAIN_MS (the contract's 30 s with margin).
 * Events posted during the drain are still queued (another replica or the
 * next start runs them).
 */
#ifndef AI_SERVICE_SERVE_H
#define AI_SERVICE_SERVE_H

#include "common/error.h"
#include "service/config.h"
#include "service/job_runner.h"

#include <stdbool.h>

#define SERVE_DRAIN_MS 25000

typedef struct serve serve;

typedef struct serve_options {
    const job_runner *runner;   /* NULL = the production job_engine; tests pass their own */
    int poll_interval_ms;       /* idle worker poll; 0 = worker_pool default */
    int backoff_base_ms;        /* retry backoff; 0 = job_store default */
} serve_options;

/* Starts everything; cfg is borrowed and must outlive the serve object.
 * NULL with err when any part cannot start (the error says which). */
serve *serve_start(const service_config *cfg, const serve_options *opts, err_info *err);
/* Bound HTTP port. */
int serve_port(const serve *s);
/* Marks the process as draining (/readyz 503) without waiting; idempotent.
 * serve_shutdown does this itself. */
void serve_begin_drain(serve *s);
/* True once the shutdown began. */
bool serve_draining(const serve *s);
/* Drain (see above) with deadline drain_ms from now, then frees everything.
 * Returns 0, or 1 when a worker was still running at the deadline (its job
 * was handed back; the process should exit now). */
int serve_shutdown(serve *s, int drain_ms);

/* For cmd_serve: starts, waits for SIGTERM/SIGINT, shuts down.  Returns
 * the exit code (0, or 1 when the start failed). */
int serve_run(const service_config *cfg);

#endif
