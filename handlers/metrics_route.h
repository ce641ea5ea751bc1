/*
 * metrics_route: GET /metrics, the process-wide metrics registry
 * (common/metrics.h) in Prometheus text format 0.0.4.
 */
#ifndef AI_HANDLERS_METRICS_ROUTE_H
#define AI_HANDLERS_METRICS_ROUTE_H

#include "handlers/api.h"

int api_metrics(const api_context *ctx, const api_request *req, api_response *res);

#endif
