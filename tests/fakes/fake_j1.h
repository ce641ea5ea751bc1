/*
 * fake_j1: a fake of JupiterOne's synchronization ("persister") API
 * (jupiterone.md 1.2, all seven endpoints) on 127.0.0.1 over real HTTP
 * (libmicrohttpd; port 0 = chosen by the kernel).
 *
 * It checks what a client must send (Authorization Bearer key,
 * JupiterOne-Account -- or its legacy name LifeOmic-Account, which SDK 8.x
 * sends --, Content-Type application/json, a UUID
 * JupiterOne-Correlation-Id on uploads; body shapes of start, uploads,
 * finalize, abort, events) and answers like JupiterOne: 401 for bad
 * credentials, 400 {"error":{"code":...}} for bad bodies, 404 for an unknown
 * job, 400 JOB_NOT_AWAITING_UPLOADS for uploads to an ended job.  It records
 * every uploaded object (kind, _key, _type; duplicates counted), finalize and
 * abort calls (partial dataset types, abort reason) and each job's state.
 *
 * Faults (fake_j1_set_faults): 429 with Retry-After and 500 for the next N
 * uploads, 413 for the next N uploads or for any upload body above a size,
 * a delay before every upload answer, and JOB_NOT_AWAITING_UPLOADS for
 * every upload.  Faulted requests record nothing.
 *
 * Thread-safety: the server has its own threads; every function may be
 * called while requests are in flight.
 */
#ifndef AI_TESTS_FAKES_FAKE_J1_H
#define AI_TESTS_FAKES_FAKE_J1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fake_j1 fake_j1;

typedef struct fake_j1_options {
    uint16_t port;            /* 0 = any free port */
    const char *api_key;      /* expected key; NULL = any non-empty Bearer */
    const char *account_id;   /* expected JupiterOne-Account; NULL = any non-empty */
} fake_j1_options;

typedef struct fake_j1_faults {
    int fail_429;             /* answer 429 to the next N uploads ... */
    int retry_after_s;        /* ... with this Retry-After (0 = header absent) */
    int fail_500;             /* answer 500 to the next N uploads */
    int fail_413;             /* answer 413 to the next N uploads */
    size_t max_body_bytes;    /* answer 413 to upload bodies above this (0 = no limit) */
    int delay_ms;             /* sleep before answering each upload */
    bool not_awaiting;        /* answer JOB_NOT_AWAITING_UPLOADS to every upload */
} fake_j1_faults;

typedef enum fake_j1_kind { FAKE_J1_ENTITY = 0, FAKE_J1_RELATIONSHIP = 1 } fake_j1_kind;

typedef struct fake_j1_counts {
    size_t jobs_started;
    size_t upload_requests;      /* every upload request, faulted or not */
    size_t uploads_accepted;     /* 2xx answers to uploads */
    size_t faults_answered;      /* 429/500/413/JOB_NOT_AWAITING answers from faults */
    size_t entities, relationships;  /* objects recorded */
    size_t duplicates;           /* objects whose (kind, _key) was already recorded */
    size_t finalizes, aborts, status_calls, events;
    size_t bad_requests;         /* 400/401/404 answers (headers or bodies wrong) */
    size_t max_concurrent_uploads;
    size_t max_upload_body;      /* largest upload body seen */
} fake_j1_counts;

fake_j1 *fake_j1_start(const fake_j1_options *opts);   /* NULL on failure (stderr says why) */
void fake_j1_stop(fake_j1 *f);
const char *fake_j1_url(const fake_j1 *f);              /* "http://127.0.0.1:PORT" */

void fake_j1_set_faults(fake_j1 *f, const fake_j1_faults *faults);
void fake_j1_counts_get(fake_j1 *f, fake_j1_counts *out);

/* Recorded objects in arrival order.  Strings are copied into the buffers. */
size_t fake_j1_object_count(fake_j1 *f);
bool fake_j1_object(fake_j1 *f, size_t i, fake_j1_kind *kind, char *key, size_t key_size,
                    char *type, size_t type_size);
/* How many times (kind, _key) was recorded. */
size_t fake_j1_object_seen(fake_j1 *f, fake_j1_kind kind, const char *key);
/* Of the first recording of (kind, _key): whether it had a _rawData member
 * and whether that _rawData held a "TRUNCATED" value.  False if never seen. */
bool fake_j1_object_raw(fake_j1 *f, fake_j1_kind kind, const char *key, bool *has_raw_data,
                        bool *truncated);

/* Last job's state (status, last finalize's partial types as a compact JSON
 * array, last abort reason), copied into the buffers; false if no job. */
bool fake_j1_last_job(fake_j1 *f, char *status, size_t status_size, char *partial_json,
                      size_t partial_size, char *abort_reason, size_t reason_size);
/* Ends the last job (status ABORTED) so later uploads get JOB_NOT_AWAITING_UPLOADS. */
void fake_j1_end_last_job(fake_j1 *f);

/* JSON summary (counts, objects per _type, duplicates, finalizes, partial
 * datasets, aborts); malloc'd, caller frees. */
char *fake_j1_summary_json(fake_j1 *f);

#endif
