/*
 * j1_uploader: a graph_sink that streams a serve job's graph to JupiterOne's
 * synchronization ("persister") API while collection runs.
 *
 * j1_uploader_new() starts a synchronization job (POST .../jobs) and returns
 * an uploader whose sink re-batches incoming chunks by serialized size
 * (jupiterone.md 1.5: <= 5,000,000 bytes, _rawData dropped from an object
 * alone over the limit, an object still over it skipped and counted, and
 * its _type sent as a partial dataset at finalize so that JupiterOne keeps
 * the copy it holds instead of deleting it), and
 * hands batches to a small pool of upload threads (at most 6 requests in
 * flight, 2 more queued).  write_chunk blocks while the queue is full, so memory
 * stays bounded whatever the tenant size.
 *
 * Retries: 5xx, 429 (Retry-After honoured, capped) and connection errors are
 * retried with jittered exponential backoff; 413 splits the batch in halves
 * (never drops), and a single object still refused gets its _rawData shrunk
 * as the SDK does before the upload fails.  JOB_NOT_AWAITING_UPLOADS is fatal.
 * Finalize (5 attempts) and abort (3) are retried too; an error answer to a
 * retry whose earlier attempt took effect (its answer lost) counts as done
 * when the job's status shows it.
 * finish() waits for every upload then finalizes with the partial types;
 * after any fatal error finish() aborts the job instead and fails; abort()
 * aborts with the reason.  The state callback reports the sync job id and
 * status (AWAITING_UPLOADS, FINALIZE_PENDING, FINISHED, ABORTED, ...) so the
 * job's status can show them; it is called from the caller's thread.
 *
 * The API key is registered with log_secret_register and never appears in a
 * log line or an err_info.
 */
#ifndef AI_J1_UPLOADER_H
#define AI_J1_UPLOADER_H

#include "common/error.h"
#include "engine/graph_sink.h"

#include <stddef.h>

typedef struct j1_uploader j1_uploader;

/* Called whenever the sync job's state changes: job id (NULL before start
 * succeeded) and status text (e.g. "AWAITING_UPLOADS", "FINISHED",
 * "ABORTED").  Strings are valid only during the call. */
typedef void (*j1_state_fn)(void *arg, const char *sync_job_id, const char *status);

typedef struct j1_uploader_settings {
    const char *base_url;            /* https://api.us.jupiterone.io; http only on loopback */
    const char *api_key;             /* secret */
    const char *account_id;          /* JupiterOne-Account */
    const char *instance_id;         /* integrationInstanceId (required) */
    const char *integration_job_id;  /* optional; NULL to omit */
    j1_state_fn on_state;            /* optional */
    void *on_state_arg;
    /* Tuning (0 = default): batch byte limit (5,000,000), uploads in flight
     * (6, max 6), attempts per request (5), first backoff delay ms (200),
     * backoff cap ms (10,000). */
    size_t batch_limit_bytes;
    int concurrency;
    int max_attempts;
    int backoff_initial_ms;
    int backoff_max_ms;
} j1_uploader_settings;

/* Starts the synchronization job.  On failure nothing is left behind. */
int j1_uploader_new(const j1_uploader_settings *settings, j1_uploader **out, err_info *err);

/* The sink view; valid until j1_uploader_free. */
graph_sink j1_uploader_sink(j1_uploader *u);

/* Sync job id (never NULL after a successful _new) and last known status. */
const char *j1_uploader_job_id(const j1_uploader *u);
/* Copies the last known status into buf. */
void j1_uploader_status(j1_uploader *u, char *buf, size_t size);

typedef struct j1_upload_stats {
    size_t entities_uploaded, relationships_uploaded;
    size_t batches_uploaded, retries, splits;
    size_t objects_skipped_oversize, raw_data_dropped;
    size_t bytes_uploaded;
} j1_upload_stats;
void j1_uploader_stats(j1_uploader *u, j1_upload_stats *out);

/* Aborts a synchronization job this service started in an earlier attempt
 * of the same job (a process killed mid-upload), so that what it uploaded
 * is never finalized and the new attempt's upload is the only one.  An
 * answer saying the job already ended (finalized, aborted, unknown) counts
 * as done.  Uses settings' base_url, api_key and account_id. */
int j1_abort_sync_job(const j1_uploader_settings *settings, const char *sync_job_id,
                      const char *reason, err_info *err);

/* Stops upload threads (aborting the sync job if neither finish nor abort
 * was called) and frees.  NULL is a no-op. */
void j1_uploader_free(j1_uploader *u);

#endif
