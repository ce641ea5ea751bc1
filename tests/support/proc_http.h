/*
 * proc_http: a small HTTP client (libcurl) for process-level tests and
 * benchmarks of `serve`, plus the scheduler's event signature
 * (service-contract.md: X-Signature-Timestamp and X-Signature-256 =
 * "sha256=" + hex HMAC-SHA256(WEBHOOK_SECRET, "<timestamp>.<raw body>")).
 *
 * A proc_http client keeps one connection alive between requests (one
 * client per thread).  Answers are owned by the caller.
 */
#ifndef AI_TESTS_SUPPORT_PROC_HTTP_H
#define AI_TESTS_SUPPORT_PROC_HTTP_H

#include <stddef.h>

typedef struct proc_http proc_http;

typedef struct proc_http_answer {
    long status;        /* 0 when no answer (connection refused, timeout) */
    char *body;         /* NUL-terminated, never NULL after a call */
    size_t body_len;
    char *headers;      /* raw response header lines, never NULL after a call */
    double seconds;     /* total time of the request */
} proc_http_answer;

proc_http *proc_http_new(void);
void proc_http_free(proc_http *h);

/* One request.  headers: NULL-terminated "Name: value" lines or NULL;
 * body may be NULL.  timeout_ms 0 = 30 s.  Returns 0 when an answer
 * arrived (any status), -1 otherwise (a->status 0, reason on stderr unless
 * quiet).  Frees any previous contents of *a first. */
int proc_http_request(proc_http *h, const char *method, const char *url,
                      const char *const *headers, const char *body, size_t body_len,
                      int timeout_ms, proc_http_answer *a);

/* GET base_url + path with a client of its own (connection not kept). */
int proc_http_get(const char *url, int timeout_ms, proc_http_answer *a);

/* Value of a header of the answer (case-insensitive name), copied into
 * buf; returns buf or NULL. */
char *proc_http_header(const proc_http_answer *a, const char *name, char *buf, size_t size);

void proc_http_answer_free(proc_http_answer *a);

/* "sha256=<64 hex>" for body signed at timestamp with secret. */
void proc_http_sign(const char *secret, long long timestamp, const char *body, size_t len,
                    char out[72]);

/* POST base_url/v1/events with a valid signature at the current time.
 * ts_offset_s shifts the timestamp (tests of stale signatures); secret
 * NULL sends no signature headers. */
int proc_http_post_event(proc_http *h, const char *base_url, const char *secret,
                         long long ts_offset_s, const char *body, int timeout_ms,
                         proc_http_answer *a);

/* Fetches base_url/metrics and returns the value of the sample whose
 * line starts with `series` (e.g. "jobs_finished_total{status=\"succeeded\"}"),
 * summed over all matching lines; -1 when absent or on error. */
double proc_http_metric(const char *base_url, const char *series);

#endif
