/*
 * worker_pool: WORKER_THREADS threads that carry queued jobs to a finished
 * state.
 *
 * Each worker loops: claim (job_store_claim, which decrypts the config) ->
 * log_set_job(id) -> runner.run() with a job_progress that persists each
 * step change through job_store -> finish or retry by outcome:
 *   SUCCEEDED/PARTIAL -> finished; FATAL -> failed without retry;
 *   RETRY -> job_store_retry (backoff, failed after max attempts);
 *   STOPPED -> cancelled if cancel was requested, else handed back.
 * The plaintext config is wiped as soon as run() returns.  Idle workers poll
 * every poll_interval_ms (woken at once by worker_pool_notify(), which the
 * HTTP layer may call after an enqueue).
 *
 * One heartbeat thread renews every running job's lease each lease/3
 * seconds; when the lease is lost, a cancel is requested, or the pool is
 * draining, that job's should_stop() becomes true.
 *
 * Metrics: jobs_finished_total{status} (counter, status = final status
 * or "retry" / "handed_back") and job_duration_seconds (histogram, one
 * observation per run() call), declared by
 * worker_pool_start.
 */
#ifndef AI_SERVICE_WORKER_POOL_H
#define AI_SERVICE_WORKER_POOL_H

#include "common/error.h"
#include "service/job_runner.h"
#include "storage/job_store.h"

#include <stdbool.h>

typedef struct worker_pool worker_pool;

typedef struct worker_pool_options {
    int threads;              /* WORKER_THREADS; 0 = 4 */
    int lease_seconds;        /* JOB_LEASE_SECONDS; 0 = 60 (heartbeat every lease/3) */
    int poll_interval_ms;     /* idle poll; 0 = 500 */
    const char *owner_prefix; /* lease owner prefix; NULL = "<hostname>:<pid>" */
} worker_pool_options;

/* Starts the threads.  store and runner are borrowed and must outlive the
 * pool.  Returns NULL with err set when a thread cannot be started. */
worker_pool *worker_pool_start(job_store *store, const job_runner *runner,
                               const worker_pool_options *opts, err_info *err);

/* Wakes idle workers (a job was enqueued). */
void worker_pool_notify(worker_pool *pool);

/* True once worker_pool_drain has been called (/readyz answers 503). */
bool worker_pool_draining(const worker_pool *pool);

/* Number of jobs running right now. */
int worker_pool_running(const worker_pool *pool);

/* Stops intake, makes every running job's should_stop() true, waits until
 * deadline_ms (monotonic milliseconds, see worker_pool_now_ms) for runners to
 * return; jobs whose runner returned STOPPED are handed back.  Workers still
 * inside run() at the deadline have their jobs handed back by the pool and
 * are abandoned to exit with the process (returns 1 in that case, else 0).
 * A worker whose runner has returned and is recording the outcome keeps its
 * job: drain waits up to WORKER_SETTLE_GRACE_MS more for it (then 1). */
#define WORKER_SETTLE_GRACE_MS 2000
int worker_pool_drain(worker_pool *pool, long long deadline_ms);

/* Joins the threads (after drain) and frees the pool.  Must not be called
 * when drain returned 1. */
void worker_pool_free(worker_pool *pool);

/* CLOCK_MONOTONIC in milliseconds. */
long long worker_pool_now_ms(void);

#endif
