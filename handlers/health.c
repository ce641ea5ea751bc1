/* health: see health.h. */
#include "handlers/health.h"

#include "storage/migrations.h"

#include <stdio.h>

int api_healthz(const api_context *ctx, const api_request *req, api_response *res)
{
    (void)ctx;
    (void)req;
    res->status = 200;
    sbuf_reset(&res->body);
    sbuf_puts(&res->body, "{\"status\":\"ok\"}");
    return 0;
}

static void not_ready(api_response *res, const char *status, const char *reason)
{
    res->status = 503;
    res->retry_after = 5;
    sbuf_reset(&res->body);
    sbuf_puts(&res->body, "{\"status\":");
    sbuf_json_string(&res->body, status);
    sbuf_puts(&res->body, ",\"reason\":");
    sbuf_json_string(&res->body, reason);
    sbuf_puts(&res->body, "}");
}

int api_readyz(const api_context *ctx, const api_request *req, api_response *res)
{
    (void)req;
    if (ctx->draining && ctx->draining(ctx->arg)) {
        not_ready(res, "draining", "the process is shutting down");
        return 0;
    }
    err_info e = {0};
    if (db_pool_ping(ctx->pool, &e) != 0) {
        not_ready(res, "unavailable", "the database does not answer");
        return 0;
    }
    int pending = migrations_pending(ctx->pool, &e);
    if (pending != 0) {
        not_ready(res, "unavailable",
                  pending < 0 ? "migration state cannot be read" : "migrations are pending");
        return 0;
    }
    res->status = 200;
    sbuf_reset(&res->body);
    sbuf_puts(&res->body, "{\"status\":\"ready\"}");
    return 0;
}
