/*
 * j1_sync_client: one HTTP request to JupiterOne's synchronization API, with
 * the retry policy of jupiterone.md 1.6 applied to transient failures.
 *
 * Every request carries Authorization (Bearer key), JupiterOne-Account and
 * Content-Type; uploads add a JupiterOne-Correlation-Id that the caller keeps
 * across the retries of one batch.  j1_sync_call retries connection errors,
 * 5xx and 429 with jittered exponential backoff; a 429 or 503 with
 * Retry-After (delta seconds or an HTTP date) waits that long instead (capped);
 * it returns any other answer (2xx, 413, 4xx) to the caller, which
 * knows what 413 or JOB_NOT_AWAITING_UPLOADS mean for it.  The client holds
 * no per-request state, so several threads may call it at once (each call
 * uses its own curl easy handle).  The API key is registered with the log
 * redactor and never placed in an err_info.
 */
#ifndef AI_J1_SYNC_CLIENT_H
#define AI_J1_SYNC_CLIENT_H

#include "common/error.h"
#include "common/sbuf.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct j1_sync_client j1_sync_client;

typedef struct j1_retry_policy {
    int max_attempts;        /* total attempts, >= 1 */
    int initial_ms;          /* first backoff delay */
    int max_ms;              /* cap of any delay, Retry-After included */
} j1_retry_policy;

typedef struct j1_response {
    long status;             /* HTTP status of the last attempt */
    sbuf body;               /* its body (caller frees with j1_response_free) */
    int retries;             /* attempts beyond the first */
    bool without_key;        /* sent with no Authorization header (no API key) */
} j1_response;

int j1_sync_client_new(const char *base_url, const char *api_key, const char *account_id,
                       j1_sync_client **out, err_info *err);
void j1_sync_client_free(j1_sync_client *c);

/* Performs method on base_url+path with the JSON body (NULL for GET).
 * correlation_id may be NULL.  `cancel`, when non-NULL and set, stops
 * further retries and the transfer in flight (-1 with ERR_CANCELLED).
 * Returns 0 when an HTTP answer was obtained (any status, after retries of
 * 5xx/429 were exhausted), -1 with ERR_NETWORK when no answer came after all
 * attempts. */
int j1_sync_call(j1_sync_client *c, const char *method, const char *path,
                 const char *body, size_t body_len, const char *correlation_id,
                 const j1_retry_policy *policy, atomic_bool *cancel,
                 j1_response *resp, err_info *err);

/* A POST body produced as it is sent, never joined in memory (an upload of
 * many objects is read from the objects themselves).  rewind() is called
 * before every attempt; read() fills up to size bytes of buf and returns
 * how many (0 at the end); the bytes read add up to `length`. */
typedef struct j1_body_source {
    size_t length;
    void *ctx;
    void (*rewind)(void *ctx);
    size_t (*read)(void *ctx, char *buf, size_t size);
} j1_body_source;

/* j1_sync_call with a POST body from `source`. */
int j1_sync_call_source(j1_sync_client *c, const char *path, const j1_body_source *source,
                        const char *correlation_id, const j1_retry_policy *policy,
                        atomic_bool *cancel, j1_response *resp, err_info *err);

void j1_response_free(j1_response *r);

/* Error code of a {"error":{"code":...}} body, copied into buf ("" if none). */
void j1_response_error_code(const j1_response *r, char *buf, size_t size);

/* Fills err from a non-2xx answer: "<context> (API response: code=..., message=...)". */
int j1_response_to_err(const j1_response *r, const char *context, err_info *err);

#endif
