/*
 * health: probes.
 *   GET /healthz  200 {"status":"ok"} while the process serves requests
 *   GET /readyz   200 {"status":"ready"} when the database answers and every
 *                 migration is applied; 503 {"status":"draining"|"unavailable",
 *                 "reason":...} with Retry-After otherwise (and from the
 *                 moment SIGTERM starts the drain)
 */
#ifndef AI_HANDLERS_HEALTH_H
#define AI_HANDLERS_HEALTH_H

#include "handlers/api.h"

int api_healthz(const api_context *ctx, const api_request *req, api_response *res);
int api_readyz(const api_context *ctx, const api_request *req, api_response *res);

#endif
