/*
 * azure_http: one HTTP exchange over libcurl, with connections reused
 * across the calling job's threads.
 *
 * A transport owns a curl share handle (DNS cache and TLS session cache,
 * each behind its own mutex) and a pool of easy handles, each with its own
 * keep-alive connections: a request borrows an idle handle, so connections
 * and TLS sessions survive from one request to the next whichever thread
 * sends it; a thread driving many requests at once borrows a pooled multi
 * handle instead (azure_http_multi below), whose idle connections likewise
 * outlive the borrower.  Proxy settings (https_proxy/HTTPS_PROXY, http_proxy,
 * all_proxy, no_proxy) are read from the environment once, when the
 * transport is created.
 * HTTP/2 is negotiated over TLS when the server offers it
 * (CURL_HTTP_VERSION_2TLS); TLS peers and host names are always verified;
 * connects time out, and a transfer slower than 1 byte/s for
 * low_speed_timeout_s is aborted (a stalled connection never hangs a job);
 * responses may be gzip-compressed.  Bodies are capped (64 MiB) so a broken
 * server cannot exhaust memory.  Retries, tokens and concurrency limits are
 * the caller's business (azure_client).
 */
#ifndef AI_AZURE_AZURE_HTTP_H
#define AI_AZURE_AZURE_HTTP_H

#include "common/error.h"
#include "common/sbuf.h"

#include <stdatomic.h>
#include <stdint.h>

typedef struct azure_http azure_http;

typedef struct azure_http_options {
    int connect_timeout_ms;
    int low_speed_timeout_s;
    const atomic_bool *cancelled;   /* aborts transfers when set (may be NULL) */
} azure_http_options;

azure_http *azure_http_new(const azure_http_options *opts);
void azure_http_free(azure_http *http);

typedef struct azure_http_request {
    const char *method;          /* "GET" or "POST" */
    const char *url;
    const char *const *headers;  /* "Name: value", NULL-terminated, may be NULL */
    const char *body;            /* POST body or NULL */
} azure_http_request;

typedef struct azure_http_response {
    int status;                  /* 0 when the transfer failed */
    sbuf body;
    char retry_after[64];        /* Retry-After header, "" when absent */
    int64_t remaining_reads;     /* x-ms-ratelimit-remaining-subscription-reads, -1 absent */
    int64_t remaining_tenant_reads; /* x-ms-ratelimit-remaining-tenant-reads, -1 absent */
    char content_type[96];
} azure_http_response;

void azure_http_response_init(azure_http_response *r);
void azure_http_response_free(azure_http_response *r);

/* Performs the exchange.  Returns 0 when an HTTP answer arrived (any
 * status); -1 with ERR_NETWORK (connect, TLS, reset, timeout),
 * ERR_CANCELLED or ERR_NOMEM otherwise. */
int azure_http_perform(azure_http *http, const azure_http_request *req,
                       azure_http_response *resp, err_info *err);

/* Many exchanges driven by one thread (a libcurl multi handle): a thread
 * that keeps several requests in flight waits for all of them in one poll
 * instead of one blocked thread per request.  Multi handles are pooled by
 * the transport and keep their idle connections between borrowers; one is
 * used by one thread at a time. */
typedef struct azure_http_multi azure_http_multi;

azure_http_multi *azure_http_multi_borrow(azure_http *http);
/* Returns m to the pool (m must have no transfer in flight to be kept). */
void azure_http_multi_give_back(azure_http_multi *m);
/* Starts req; resp (initialised) receives the answer; req's strings must
 * stay valid until the transfer is reported done.  0, or -1 (no memory,
 * too many headers) when it was not started. */
int azure_http_multi_start(azure_http_multi *m, const azure_http_request *req,
                           azure_http_response *resp, void *tag, err_info *err);
size_t azure_http_multi_active(const azure_http_multi *m);
/* Drives the transfers, waiting up to timeout_ms for one to finish.
 * Returns the tag of a finished transfer, with *rc and err as
 * azure_http_perform's, or NULL when none finished in time. */
void *azure_http_multi_next(azure_http_multi *m, int timeout_ms, int *rc, err_info *err);

#endif
