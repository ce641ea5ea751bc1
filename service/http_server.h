/*
 * http_server: the HTTP listener (libmicrohttpd), independent of what the
 * routes do (handlers/api.h).
 *
 *  - routes: api_routes(); an unknown path is 404, a known path with another
 *    method 405 with Allow, both as {"error":{"code","message"}}.
 *  - request id: X-Request-Id from the client when it is 1-64 characters of
 *    [A-Za-z0-9._-], else a fresh uuid; echoed in the X-Request-Id response
 *    header and set as the log context while the handler runs.
 *  - body limit: API_MAX_BODY (1 MiB).  A Content-Length above it is
 *    answered 413 before the body is read; a chunked body is counted while
 *    it is read, discarded beyond the limit and answered 413 (the connection
 *    is dropped when a client keeps sending far beyond it).  The request body
 *    is wiped after the handler ran (it may hold a client secret).
 *  - connection limit and per-connection idle timeout (thread per connection).
 *  - metrics: http_requests_total{route,method,status} and
 *    http_request_duration_seconds{route}; route is the pattern
 *    ("/v1/jobs/{jobId}"), "unmatched" otherwise; method is one of the
 *    methods HTTP defines, "other" otherwise (both bounded whatever clients
 *    send).
 */
#ifndef AI_SERVICE_HTTP_SERVER_H
#define AI_SERVICE_HTTP_SERVER_H

#include "common/error.h"
#include "handlers/api.h"

#include <stddef.h>

typedef struct http_server_options {
    const char *host;            /* numeric address or name, e.g. "0.0.0.0", "::" */
    int port;                    /* 0 = any free port (see http_server_port) */
    int connection_limit;        /* 0 = 512 */
    int connection_timeout_s;    /* idle timeout; 0 = 30 */
    size_t max_body;             /* 0 = API_MAX_BODY */
} http_server_options;

typedef struct http_server http_server;

/* Binds and starts serving.  ctx is borrowed and must outlive the server.
 * NULL with err (ERR_INVALID for a bad address, ERR_IO when the port cannot
 * be bound, naming HTTP_ADDR). */
http_server *http_server_start(const http_server_options *opts, const api_context *ctx,
                               err_info *err);
/* The bound port (useful with port 0). */
int http_server_port(const http_server *s);
/* Stops accepting, waits for the connection threads, frees. */
void http_server_stop(http_server *s);

#endif
