/*
 * jobs: job status and control.
 *   GET  /v1/jobs/{jobId}          the job document (404 for an unknown id)
 *   GET  /v1/jobs?integrationInstanceId=&status=&limit=
 *                                  {"jobs":[...]} newest first, limit 1-100 (default 50)
 *   POST /v1/jobs/{jobId}/cancel   queued: cancelled now (200); running: stops
 *                                  at the next step boundary (202); finished: 409
 * Never returns config or secrets (job_store documents do not hold them).
 */
#ifndef AI_HANDLERS_JOBS_H
#define AI_HANDLERS_JOBS_H

#include "handlers/api.h"

int api_jobs_get(const api_context *ctx, const api_request *req, api_response *res);
int api_jobs_list(const api_context *ctx, const api_request *req, api_response *res);
int api_jobs_cancel(const api_context *ctx, const api_request *req, api_response *res);

#endif
