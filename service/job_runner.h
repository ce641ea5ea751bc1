/*
 * job_runner: the one narrow interface between the worker pool (which owns
 * the queue, leases, retries and persistence) and whatever runs a job.
 *
 * The production implementation (service/job_engine.c) runs the ingestion
 * engine with the Azure step table and uploads to JupiterOne; the
 * foundation's tests plug in their own implementation.  The worker:
 *   - builds a job_request with the decrypted config (plaintext lives only in
 *     the worker's memory for the duration of run());
 *   - passes a job_progress whose callbacks persist step results as each step
 *     ends, so GET /v1/jobs/{id} shows live progress;
 *   - maps the returned outcome to the job's final status / retry.
 * Callbacks may be invoked from several threads of one job at once; the
 * implementation of job_progress must be thread-safe.
 */
#ifndef AI_SERVICE_JOB_RUNNER_H
#define AI_SERVICE_JOB_RUNNER_H

#include "common/error.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct job_request {
    const char *job_id;               /* this service's job id */
    const char *account_id;           /* JupiterOne account */
    const char *instance_id;          /* JupiterOne integration instance id */
    const char *instance_name;        /* the Account Name */
    const char *instance_description; /* may be NULL */
    const char *j1_job_id;            /* optional JupiterOne integration job id */
    const char *previous_sync_job_id; /* sync job of an earlier interrupted attempt, or NULL */
    const cJSON *config;              /* decrypted instance config (holds clientSecret) */
    int attempt;                      /* 1 for the first attempt */
} job_request;

/* Step status strings of the HTTP API ("success", "failure", "skipped",
 * "pending", "running"). */
typedef struct job_step_report {
    const char *id;
    const char *name;
    const char *status;
    int64_t entities;
    int64_t relationships;
    int64_t duration_ms;     /* 0 until the step ended */
    const char *error;       /* operator-facing message with hint, or NULL */
} job_step_report;

typedef struct job_totals {
    int64_t entities;
    int64_t relationships;
    int64_t api_requests;
    int64_t throttled;
} job_totals;

typedef struct job_progress {
    void *ctx;
    /* Once, before any step runs: every step of the table with its initial
     * status ("pending", or "skipped" when disabled). */
    void (*steps_planned)(void *ctx, const job_step_report *steps, size_t count);
    /* Each time one step changes status (running, then its final status). */
    void (*step_changed)(void *ctx, const job_step_report *step);
    /* Upload to JupiterOne: synchronization job id and its state. */
    void (*upload_changed)(void *ctx, const char *sync_job_id, const char *status);
    /* Running totals; may be called often. */
    void (*totals_changed)(void *ctx, const job_totals *totals);
    /* Polled at step boundaries: true when the job was cancelled or the
     * process is draining; the runner then stops starting steps. */
    bool (*should_stop)(void *ctx);
} job_progress;

typedef enum job_result {
    JOB_RESULT_SUCCEEDED,   /* every enabled step succeeded, upload finalized */
    JOB_RESULT_PARTIAL,     /* some steps failed; finalized with partial datasets */
    JOB_RESULT_RETRY,       /* transient failure: the worker may retry with backoff */
    JOB_RESULT_FATAL,       /* e.g. bad credentials: fail now, no retry */
    JOB_RESULT_STOPPED      /* should_stop() became true: cancelled or handed back */
} job_result;

typedef struct job_outcome {
    job_result result;
    err_info error;          /* set unless SUCCEEDED */
    job_totals totals;
} job_outcome;

typedef struct job_runner {
    void *ctx;
    /* Runs the job to completion.  Returns 0 when out is filled (whatever the
     * result), -1 only for a bug (out->error says what). */
    int (*run)(void *ctx, const job_request *request, const job_progress *progress,
               job_outcome *out);
} job_runner;

#endif
