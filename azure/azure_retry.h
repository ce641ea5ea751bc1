/*
 * azure_retry: the retry policy of Azure requests, as pure functions so it
 * can be tested without a network.
 *
 * Classification (azure_retry_classify):
 *   2xx/3xx          done
 *   401              refresh the token and retry once (a token revoked or
 *                    expired early); a second 401 is final (ERR_AUTH)
 *   429, 503         throttled: wait Retry-After (timefmt_retry_after_ms),
 *                    capped; without the header, backoff
 *   408, other 5xx   transient: jittered exponential backoff
 *   (except 501, 505: the server will never do it)
 *   transport error  resets, timeouts, refused connections: backoff
 *   other 4xx        final
 * Backoff is "full jitter" (AWS architecture blog): a uniform draw in
 * [d/2, d] where d = base * 2^(attempt-1), capped, so that many clients
 * that failed together do not retry together.
 */
#ifndef AI_AZURE_AZURE_RETRY_H
#define AI_AZURE_AZURE_RETRY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef enum azure_retry_action {
    AZURE_RETRY_DONE = 0,      /* success: stop */
    AZURE_RETRY_FAIL,          /* final error: stop */
    AZURE_RETRY_REFRESH_TOKEN, /* 401: new token, retry once */
    AZURE_RETRY_THROTTLED,     /* 429/503: Retry-After or backoff */
    AZURE_RETRY_BACKOFF        /* transient: backoff */
} azure_retry_action;

/* status 0 = the transfer failed (transport error). */
azure_retry_action azure_retry_classify(int status);

/* Jittered exponential backoff for attempt n (1-based), in ms, <= cap_ms. */
int64_t azure_retry_backoff_ms(int attempt, int base_ms, int cap_ms);

#endif
