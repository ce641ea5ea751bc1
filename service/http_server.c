/* http_server: see http_server.h. */
#include "service/http_server.h"

#include "common/log.h"
#include "common/metrics.h"
#include "common/random.h"
#include "common/timefmt.h"
#include "storage/config_crypto.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A chunked body is drained at most this far beyond the limit before the
 * connection is dropped. */
#define DRAIN_SLACK (8u * 1024 * 1024)

struct http_server {
    struct MHD_Daemon *daemon;
    const api_context *ctx;
    size_t max_body;
    int port;
};

typedef struct req_state {
    sbuf body;
    size_t received;
    bool too_large;
    bool answered;     /* a response was queued at the first call */
    char request_id[65];
    int64_t start_ms;
} req_state;

static void declare_metrics(void)
{
    metrics_declare("http_requests_total", METRIC_COUNTER,
                    "HTTP requests answered, by route pattern, method and status", NULL, 0);
    metrics_declare("http_request_duration_seconds", METRIC_HISTOGRAM,
                    "HTTP request duration in seconds, by route pattern", NULL, 0);
}

static const char *header_of(void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_HEADER_KIND, name);
}

static const char *query_of(void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_GET_ARGUMENT_KIND, name);
}

static void pick_request_id(struct MHD_Connection *conn, char out[65])
{
    const char *given = header_of(conn, "X-Request-Id");
    if (given) {
        size_t n = strlen(given);
        if (n >= 1 && n <= 64 &&
            strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                n) {
            memcpy(out, given, n + 1);
            return;
        }
    }
    random_uuid_weak(out);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, const req_state *st,
                                     const api_response *res)
{
    const char *body = sbuf_str(&res->body);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(res->body.len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            res->content_type ? res->content_type : "application/json");
    MHD_add_response_header(r, "X-Request-Id", st->request_id);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (res->location[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, res->location);
    if (res->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", res->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (res->allow[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, res->allow);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return rc;
}

/* The method as a metrics label: the client chooses the method, so only
 * the ones HTTP defines are kept; any other is "other" (one series per
 * made-up method would grow the registry without bound). */
static const char *method_label(const char *method)
{
    static const char *const KNOWN[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                        "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (strcmp(method, KNOWN[i]) == 0)
            return KNOWN[i];
    return "other";
}

static void record(const char *route, const char *method, int status, const req_state *st)
{
    sbuf labels = SBUF_INIT;
    sbuf_puts(&labels, "route=\"");
    metrics_escape_label(&labels, route);
    sbuf_puts(&labels, "\",method=\"");
    metrics_escape_label(&labels, method_label(method));
    sbuf_printf(&labels, "\",status=\"%d\"", status);
    metrics_counter_add("http_requests_total", sbuf_str(&labels), 1);
    sbuf_reset(&labels);
    sbuf_puts(&labels, "route=\"");
    metrics_escape_label(&labels, route);
    sbuf_puts(&labels, "\"");
    double secs = (double)(timefmt_monotonic_ms() - st->start_ms) / 1000.0;
    metrics_histogram_observe("http_request_duration_seconds", sbuf_str(&labels), secs);
    sbuf_free(&labels);
}

static bool quiet_route(const char *route)
{
    return strcmp(route, "/healthz") == 0 || strcmp(route, "/readyz") == 0 ||
           strcmp(route, "/metrics") == 0;
}

/* The route pattern matching url (any method), or "unmatched": the label
 * of the request in metrics and logs. */
static const char *route_label(const char *url)
{
    size_t n;
    const api_route *routes = api_routes(&n);
    char param[160];
    for (size_t i = 0; i < n; i++)
        if (api_route_match(routes[i].pattern, url, param, sizeof param))
            return routes[i].pattern;
    return "unmatched";
}

/* Finds the route and runs it; fills res; returns the route label. */
static const char *dispatch(http_server *s, struct MHD_Connection *conn, const char *method,
                            const char *url, req_state *st, api_response *res)
{
    size_t n;
    const api_route *routes = api_routes(&n);
    char param[160];
    const char *matched_pattern = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!api_route_match(routes[i].pattern, url, param, sizeof param))
            continue;
        matched_pattern = routes[i].pattern;
        if (strcmp(routes[i].method, method) != 0) {
            size_t used = strlen(res->allow);
            if (!strstr(res->allow, routes[i].method))
                snprintf(res->allow + used, sizeof res->allow - used, "%s%s", used ? ", " : "",
                         routes[i].method);
            continue;
        }
        res->allow[0] = '\0';
        api_request req = {.method = method,
                           .path = url,
                           .path_param = param[0] ? param : NULL,
                           .body = st->body.data,
                           .body_len = st->body.len,
                           .request_id = st->request_id,
                           .header = header_of,
                           .query = query_of,
                           .ctx = conn};
        if (routes[i].handler(s->ctx, &req, res) != 0)
            api_error(res, 500, "internal", "internal error; see the service log for the request id");
        return routes[i].pattern;
    }
    if (matched_pattern) {
        api_error(res, 405, "method_not_allowed", "this path accepts %s", res->allow);
        return matched_pattern;
    }
    api_error(res, 404, "not_found", "no such route");
    return "unmatched";
}

static enum MHD_Result finish(http_server *s, struct MHD_Connection *conn, const char *method,
                              const char *url, req_state *st)
{
    api_response res;
    api_response_init(&res);
    log_set_request(st->request_id);
    const char *route;
    if (st->too_large) {
        api_error(&res, 413, "payload_too_large", "the request body is larger than %zu bytes",
                  s->max_body);
        route = route_label(url);
    } else {
        route = dispatch(s, conn, method, url, st, &res);
    }
    enum MHD_Result rc = send_response(conn, st, &res);
    char status[8];
    snprintf(status, sizeof status, "%d", res.status);
    if (!quiet_route(route) || res.status >= 500 || log_enabled(LOG_DEBUG))
        log_kv(res.status >= 500 ? LOG_WARN : quiet_route(route) ? LOG_DEBUG : LOG_INFO,
               "http request", "method", method, "route", route, "status", status, NULL);
    record(route, method, res.status, st);
    log_set_request(NULL);
    api_response_free(&res);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    http_server *s = cls;
    req_state *st = *con_cls;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        sbuf_init(&st->body);
        st->start_ms = timefmt_monotonic_ms();
        pick_request_id(conn, st->request_id);
        *con_cls = st;
        const char *cl = header_of(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end = NULL;
            unsigned long long v = strtoull(cl, &end, 10);
            if (end && *end == '\0' && v > s->max_body) {
                st->too_large = true;
                st->answered = true;
                return finish(s, conn, method, url, st);
            }
        }
        return MHD_YES;
    }
    if (st->answered)
        return MHD_YES; /* MHD discards the rest */
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        st->received += n;
        if (!st->too_large && st->received > s->max_body) {
            st->too_large = true;
            if (st->body.data)
                config_crypto_wipe(st->body.data, st->body.len);
            sbuf_free(&st->body);
        }
        if (st->too_large)
            return st->received > s->max_body + DRAIN_SLACK ? MHD_NO : MHD_YES;
        sbuf_append(&st->body, upload_data, n);
        if (sbuf_failed(&st->body))
            return MHD_NO;
        return MHD_YES;
    }
    st->answered = true;
    return finish(s, conn, method, url, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    req_state *st = *con_cls;
    if (!st)
        return;
    if (st->body.data)
        config_crypto_wipe(st->body.data, st->body.cap);
    sbuf_free(&st->body);
    free(st);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_kv(LOG_DEBUG, "http library", "detail", msg, NULL);
}

http_server *http_server_start(const http_server_options *opts, const api_context *ctx,
                               err_info *err)
{
    http_server *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(err, ERR_NOMEM, "out of memory starting the HTTP server");
        return NULL;
    }
    s->ctx = ctx;
    s->max_body = opts->max_body ? opts->max_body : API_MAX_BODY;
    declare_metrics();

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[8];
    snprintf(port, sizeof port, "%d", opts->port);
    int gai = getaddrinfo(opts->host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        err_set(err, ERR_INVALID, "HTTP_ADDR host '%s' cannot be resolved: %s", opts->host,
                gai_strerror(gai));
        err_hint(err, "use a numeric address such as 0.0.0.0 or ::");
        free(s);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(opts->connection_limit > 0 ? opts->connection_limit : 512),
        MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(opts->connection_timeout_s > 0 ? opts->connection_timeout_s : 30),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!s->daemon) {
        err_set(err, ERR_IO, "cannot listen on %s:%d", opts->host, opts->port);
        err_hint(err, "the port may be in use or need privileges; change HTTP_ADDR");
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : opts->port;
    return s;
}

int http_server_port(const http_server *s)
{
    return s->port;
}

void http_server_stop(http_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    free(s);
}
