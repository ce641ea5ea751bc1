/* api: see api.h. */
#include "handlers/api.h"

#include "handlers/events.h"
#include "handlers/health.h"
#include "handlers/jobs.h"
#include "handlers/metrics_route.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void api_response_init(api_response *r)
{
    memset(r, 0, sizeof *r);
    sbuf_init(&r->body);
    r->status = 500;
}

void api_response_free(api_response *r)
{
    sbuf_free(&r->body);
}

void api_error(api_response *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->status = status;
    r->content_type = NULL;
    sbuf_reset(&r->body);
    sbuf_puts(&r->body, "{\"error\":{\"code\":");
    sbuf_json_string(&r->body, code);
    sbuf_puts(&r->body, ",\"message\":");
    sbuf_json_string(&r->body, msg);
    sbuf_puts(&r->body, "}}");
}

void api_error_from(api_response *r, const err_info *e)
{
    switch (e->kind) {
    case ERR_DATABASE:
        r->retry_after = 5;
        api_error(r, 503, "unavailable",
                  "the database is unreachable; retry later");
        return;
    case ERR_INVALID:
        api_error(r, 400, "invalid_request", "%s", e->message);
        return;
    case ERR_NOT_FOUND:
        api_error(r, 404, "not_found", "%s", e->message);
        return;
    case ERR_CONFLICT:
        api_error(r, 409, "conflict", "%s", e->message);
        return;
    default:
        api_error(r, 500, "internal", "internal error; see the service log for the request id");
        return;
    }
}

void api_json(api_response *r, int status, const cJSON *json)
{
    char *text = cJSON_PrintUnformatted(json);
    if (!text) {
        api_error(r, 500, "internal", "out of memory");
        return;
    }
    r->status = status;
    r->content_type = NULL;
    sbuf_reset(&r->body);
    sbuf_puts(&r->body, text);
    cJSON_free(text);
}

static const api_route ROUTES[] = {
    {"POST", "/v1/events", api_events_post},
    {"GET", "/v1/jobs", api_jobs_list},
    {"GET", "/v1/jobs/{jobId}", api_jobs_get},
    {"POST", "/v1/jobs/{jobId}/cancel", api_jobs_cancel},
    {"GET", "/healthz", api_healthz},
    {"GET", "/readyz", api_readyz},
    {"GET", "/metrics", api_metrics},
};

const api_route *api_routes(size_t *n)
{
    *n = sizeof ROUTES / sizeof ROUTES[0];
    return ROUTES;
}

bool api_route_match(const char *pattern, const char *path, char *param, size_t param_size)
{
    if (param_size)
        param[0] = '\0';
    const char *p = pattern, *s = path;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close)
                return false;
            size_t n = strcspn(s, "/");
            if (n == 0 || n + 1 > param_size)
                return false;
            memcpy(param, s, n);
            param[n] = '\0';
            s += n;
            p = close + 1;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *s == '\0';
}
