/*
 * api: what every HTTP handler sees, independent of the HTTP library.
 *
 * The server (service/http_server.c, libmicrohttpd) turns a request into an
 * api_request, finds the route in api_routes() and calls its handler, which
 * fills an api_response.  Handlers therefore never touch sockets and can be
 * unit tested with plain structs.  The route table is the single list of
 * what the server answers (tests/openapi checks it against openapi.yaml).
 *
 * Errors are answered as {"error":{"code":"...","message":"..."}}; the
 * message names the offending field and never echoes a value (values may be
 * secrets or hostile text).
 */
#ifndef AI_HANDLERS_API_H
#define AI_HANDLERS_API_H

#include "common/sbuf.h"
#include "storage/db_pool.h"
#include "storage/job_store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest request body accepted (413 beyond). */
#define API_MAX_BODY (1024 * 1024)
/* Accepted distance between X-Signature-Timestamp and now. */
#define API_SIGNATURE_WINDOW_S 300

/* What handlers need from the process; borrowed, outlives the server. */
typedef struct api_context {
    db_pool *pool;
    job_store *store;
    const char *webhook_secret;          /* HMAC key of POST /v1/events */
    int64_t (*now_s)(void);              /* wall clock in epoch seconds; NULL = time() */
    bool (*draining)(void *arg);         /* /readyz answers 503 while true; NULL = never */
    void (*job_enqueued)(void *arg);     /* wakes the workers; may be NULL */
    void *arg;                           /* passed to draining / job_enqueued */
} api_context;

typedef struct api_request {
    const char *method;
    const char *path;
    const char *path_param;              /* {jobId} of the matched route, or NULL */
    const char *body;                    /* not NUL-terminated; may be NULL when body_len 0 */
    size_t body_len;
    const char *request_id;
    /* Header / query look-up (case-insensitive header names); NULL when absent. */
    const char *(*header)(void *ctx, const char *name);
    const char *(*query)(void *ctx, const char *name);
    void *ctx;
} api_request;

typedef struct api_response {
    int status;
    const char *content_type;            /* static string; NULL = application/json */
    sbuf body;
    char location[192];                  /* Location header when not empty */
    int retry_after;                     /* Retry-After seconds when > 0 */
    char allow[32];                      /* Allow header (405) when not empty */
} api_response;

void api_response_init(api_response *r);
void api_response_free(api_response *r);

/* Fills r with {"error":{"code":code,"message":message}} and status. */
void api_error(api_response *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Answers a storage error: ERR_DATABASE -> 503 with Retry-After, ERR_INVALID
 * -> 400, ERR_NOT_FOUND -> 404, ERR_CONFLICT -> 409, else 500.  The message
 * is the error's own (storage errors never hold secrets) without SQL. */
void api_error_from(api_response *r, const err_info *e);
/* Serializes json (not freed) as the body with status. */
void api_json(api_response *r, int status, const cJSON *json);

typedef int (*api_handler_fn)(const api_context *ctx, const api_request *req, api_response *res);

typedef struct api_route {
    const char *method;        /* "GET" / "POST" */
    const char *pattern;       /* "/v1/jobs/{jobId}": at most one {param}, a whole segment */
    api_handler_fn handler;
} api_route;

/* The server's routes (static table), count in *n. */
const api_route *api_routes(size_t *n);

/* Matches path against pattern; on success the {param} segment is copied
 * into param (NUL-terminated; empty when the pattern has none) and true is
 * returned.  A segment longer than param_size-1 does not match. */
bool api_route_match(const char *pattern, const char *path, char *param, size_t param_size);

#endif
