/* metrics_route: see metrics_route.h. */
#include "handlers/metrics_route.h"

#include "common/metrics.h"

int api_metrics(const api_context *ctx, const api_request *req, api_response *res)
{
    (void)ctx;
    (void)req;
    sbuf_reset(&res->body);
    metrics_render(&res->body);
    if (sbuf_failed(&res->body)) {
        api_error(res, 500, "internal", "out of memory while rendering metrics");
        return 0;
    }
    res->status = 200;
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return 0;
}
