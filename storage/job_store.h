/*
 * job_store: the job queue and job status in PostgreSQL (tables jobs,
 * job_events, job_steps; see migrations/0001_jobs.sql).
 *
 * Queue rules:
 *  - enqueue is idempotent on eventId (job_events.event_id is the primary
 *    key; concurrent identical posts produce one job) and coalesces per
 *    instance: when the instance already has a queued job, that job is
 *    returned and the event id is recorded as an alias of it.
 *  - claim takes the oldest runnable job (queued with run_after <= now, or
 *    running with an expired lease: the worker died) with FOR UPDATE SKIP
 *    LOCKED, never for an instance that already has another running job with
 *    a live lease (a partial unique index on instance_id WHERE
 *    status='running' enforces it); attempts is incremented.
 *  - heartbeat extends the lease; it reports a lost lease (another worker
 *    took the job) and a requested cancel.
 *  - retry puts the job back with jittered exponential backoff (run_after)
 *    unless max_attempts is reached, then the job fails.
 *  - hand back (drain) returns a running job to queued without counting the
 *    attempt.
 *  - a job whose cancel was requested while it ran never goes back to the
 *    queue: retry and hand back end it cancelled.
 *  - retention: a job that finished more than retention_days ago is deleted
 *    with its steps and event ids (a claim runs the purge at most every
 *    JOB_PURGE_INTERVAL_MS per process); the table, the scrape's counts and
 *    the encrypted configs it keeps stay bounded.
 * Every statement is parameterized.  Config is stored only encrypted
 * (config_crypto, AAD = job id) and only job_store_claim returns it.
 * Thread safe: all state is in the database; calls check out their own
 * connection from the pool.
 */
#ifndef AI_STORAGE_JOB_STORE_H
#define AI_STORAGE_JOB_STORE_H

#include "common/error.h"
#include "service/job_runner.h"
#include "storage/config_crypto.h"
#include "storage/db_pool.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct job_store job_store;

typedef struct job_store_options {
    int max_attempts;        /* JOB_MAX_ATTEMPTS; 0 = 3 */
    int lease_seconds;       /* JOB_LEASE_SECONDS; 0 = 60 */
    int backoff_base_ms;     /* first retry delay; 0 = 30000 */
    int backoff_max_ms;      /* cap; 0 = 15 minutes */
    int retention_days;      /* JOB_RETENTION_DAYS: finished jobs older are deleted; 0 = kept */
} job_store_options;

/* Deletes up to `limit` jobs that finished more than retention_days ago,
 * oldest first, with their steps and event ids; *deleted (may be NULL) gets
 * the count.  Nothing when retention_days is 0. */
int job_store_purge_finished(job_store *s, int limit, int *deleted, err_info *err);

/* pool and crypto are borrowed and must outlive the store. */
job_store *job_store_new(db_pool *pool, const config_crypto *crypto,
                         const job_store_options *opts, err_info *err);
void job_store_free(job_store *s);

/* A validated event (the HTTP layer checks types and lengths). */
typedef struct job_event {
    const char *event_id;             /* 1-128 chars */
    const char *account_id;
    const char *instance_id;
    const char *instance_name;
    const char *instance_description; /* may be NULL */
    const char *j1_job_id;            /* may be NULL */
    const cJSON *config;              /* serialized and encrypted; never stored in plaintext */
} job_event;

typedef enum job_enqueue_outcome {
    JOB_ENQUEUE_CREATED,          /* new job: answer 202 */
    JOB_ENQUEUE_DUPLICATE_EVENT,  /* eventId seen before: 200 with that job */
    JOB_ENQUEUE_COALESCED         /* instance already had a queued job: 200 with it */
} job_enqueue_outcome;

/* job_id_out receives the job's id (uuid text).  ERR_DATABASE when the
 * database is unreachable (HTTP 503). */
int job_store_enqueue(job_store *s, const job_event *ev, char job_id_out[37],
                      job_enqueue_outcome *outcome, err_info *err);

/* A claimed job.  Owned by the caller; free with job_store_claimed_free()
 * (which wipes the plaintext config). */
typedef struct job_claimed {
    char job_id[37];
    char *event_id;
    char *account_id;
    char *instance_id;
    char *instance_name;
    char *instance_description;   /* may be NULL */
    char *j1_job_id;              /* may be NULL */
    char *previous_sync_job_id;   /* upload sync job of an earlier attempt, or NULL */
    cJSON *config;                /* decrypted */
    int attempt;                  /* 1 for the first attempt */
    int max_attempts;
} job_claimed;

/* Claims one runnable job for worker `owner` (unique per worker thread,
 * e.g. "<host>:<pid>:<n>").  Returns 1 with *out set, 0 when nothing is
 * runnable, -1 on error.  A job whose config cannot be decrypted (key
 * removed) is failed at once with a clear error and 0 is returned for it. */
int job_store_claim(job_store *s, const char *owner, job_claimed **out, err_info *err);
void job_store_claimed_free(job_claimed *job);

/* Extends the lease of job_id held by owner.  *lease_lost = true when the
 * job is no longer ours (lease expired and retaken, or finished elsewhere);
 * *cancel_requested reflects POST .../cancel.  Either pointer may be NULL. */
int job_store_heartbeat(job_store *s, const char *job_id, const char *owner, bool *lease_lost,
                        bool *cancel_requested, err_info *err);

/* Final status: "succeeded", "partial", "failed" or "cancelled"; error may
 * be NULL.  Only applies while owner holds the job (else ERR_CONFLICT). */
int job_store_finish(job_store *s, const char *job_id, const char *owner, const char *status,
                     const char *error, err_info *err);

/* Transient failure: queued again with run_after = now + jittered
 * exponential backoff, or failed when attempts >= max_attempts, or cancelled
 * when a cancel was requested.  *new_status (may be NULL): "queued",
 * "failed" or "cancelled" (a static string). */
int job_store_retry(job_store *s, const char *job_id, const char *owner, const char *error,
                    const char **new_status, err_info *err);

/* Drain: back to queued now, lease cleared, attempt not counted (cancelled
 * instead when a cancel was requested).  *new_status (may be NULL):
 * "queued" or "cancelled". */
int job_store_hand_back(job_store *s, const char *job_id, const char *owner,
                        const char **new_status, err_info *err);

typedef enum job_cancel_outcome {
    JOB_CANCEL_CANCELLED,   /* was queued: cancelled now */
    JOB_CANCEL_REQUESTED,   /* running: stops at the next step boundary */
    JOB_CANCEL_FINISHED     /* already finished: 409 */
} job_cancel_outcome;
/* ERR_NOT_FOUND for an unknown id. */
int job_store_cancel(job_store *s, const char *job_id, job_cancel_outcome *outcome,
                     err_info *err);

/* Progress (callers: the worker's job_progress).  Only while the job is
 * running under owner's lease; otherwise (finished, cancelled, handed
 * back, or retaken by another worker after the lease expired) they fail
 * with ERR_CONFLICT and change nothing, so a stalled worker cannot
 * overwrite the steps, totals or sync job id of the attempt that replaced
 * it.  steps_planned replaces the job's step list (a new attempt starts
 * from a fresh plan); step_update upserts one step by id (an unplanned
 * step is appended). */
int job_store_steps_planned(job_store *s, const char *job_id, const char *owner,
                            const job_step_report *steps, size_t count, err_info *err);
int job_store_step_update(job_store *s, const char *job_id, const char *owner,
                          const job_step_report *step, err_info *err);
int job_store_upload_update(job_store *s, const char *job_id, const char *owner,
                            const char *sync_job_id, const char *status, err_info *err);
int job_store_totals_update(job_store *s, const char *job_id, const char *owner,
                            const job_totals *totals, err_info *err);

/* The job document of GET /v1/jobs/{id}, exactly in the contract's shape
 * (jobId, eventId, accountId, integrationInstanceId, status, attempts,
 * createdAt, startedAt, finishedAt, error, steps[], totals{}, upload{}).
 * Never includes config.  *out = NULL (return 0) when the id is unknown or
 * not a uuid. */
int job_store_get(job_store *s, const char *job_id, cJSON **out, err_info *err);

typedef struct job_list_filter {
    const char *instance_id;   /* NULL = any */
    const char *status;        /* NULL = any; one of the six statuses */
    int limit;                 /* 1..100; 0 = 50 */
} job_list_filter;
/* {"jobs":[<job documents without steps>]}, newest first.  ERR_INVALID for
 * an unknown status or limit out of range. */
int job_store_list(job_store *s, const job_list_filter *filter, cJSON **out, err_info *err);

/* Counts for /metrics: jobs by status and queue depth (queued and runnable
 * now).  job_store_register_metrics() declares the gauges jobs{status} and
 * queue_depth and registers a metrics_on_scrape collector that fills them
 * (one GROUP BY query per scrape); call it once after job_store_new.  The
 * metrics registry has no unregister: the store must outlive every later
 * scrape (free it at process exit, or after metrics_reset()). */
typedef struct job_store_counts {
    int64_t by_status[6];  /* queued, running, succeeded, partial, failed, cancelled */
    int64_t queue_depth;
} job_store_counts;
int job_store_counts_get(job_store *s, job_store_counts *out, err_info *err);
void job_store_register_metrics(job_store *s);

/* "queued", "running", ... by index of job_store_counts.by_status. */
const char *job_store_status_name(int index);

#endif
