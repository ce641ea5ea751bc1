/* jobs: see jobs.h. */
#include "handlers/jobs.h"

#include "common/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Job ids are uuids; anything else cannot exist (answered 404 without a
 * database round trip). */
static bool is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static void not_found(api_response *res)
{
    api_error(res, 404, "not_found", "no job with this jobId");
}

int api_jobs_get(const api_context *ctx, const api_request *req, api_response *res)
{
    if (!req->path_param || !is_uuid(req->path_param)) {
        not_found(res);
        return 0;
    }
    cJSON *doc = NULL;
    err_info e = {0};
    if (job_store_get(ctx->store, req->path_param, &doc, &e) != 0) {
        api_error_from(res, &e);
        return 0;
    }
    if (!doc) {
        not_found(res);
        return 0;
    }
    api_json(res, 200, doc);
    cJSON_Delete(doc);
    return 0;
}

static const char *const STATUSES[] = {"queued",  "running", "succeeded",
                                       "partial", "failed",  "cancelled"};

int api_jobs_list(const api_context *ctx, const api_request *req, api_response *res)
{
    job_list_filter f = {0};
    const char *inst = req->query(req->ctx, "integrationInstanceId");
    const char *status = req->query(req->ctx, "status");
    const char *limit = req->query(req->ctx, "limit");
    if (inst && inst[0]) {
        size_t n = strlen(inst);
        if (n > 128 || strspn(inst, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789._:-") != n) {
            api_error(res, 400, "invalid_request",
                      "integrationInstanceId must be 1 to 128 of letters, digits and . _ : -");
            return 0;
        }
        f.instance_id = inst;
    }
    if (status && status[0]) {
        bool known = false;
        for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++)
            known = known || strcmp(status, STATUSES[i]) == 0;
        if (!known) {
            api_error(res, 400, "invalid_request",
                      "status must be one of queued, running, succeeded, partial, failed, "
                      "cancelled");
            return 0;
        }
        f.status = status;
    }
    if (limit && limit[0]) {
        size_t n = strlen(limit);
        long v = n <= 3 && strspn(limit, "0123456789") == n ? strtol(limit, NULL, 10) : -1;
        if (v < 1 || v > 100) {
            api_error(res, 400, "invalid_request", "limit must be an integer from 1 to 100");
            return 0;
        }
        f.limit = (int)v;
    }
    cJSON *doc = NULL;
    err_info e = {0};
    if (job_store_list(ctx->store, &f, &doc, &e) != 0) {
        api_error_from(res, &e);
        return 0;
    }
    api_json(res, 200, doc);
    cJSON_Delete(doc);
    return 0;
}

int api_jobs_cancel(const api_context *ctx, const api_request *req, api_response *res)
{
    if (!req->path_param || !is_uuid(req->path_param)) {
        not_found(res);
        return 0;
    }
    job_cancel_outcome outcome;
    err_info e = {0};
    if (job_store_cancel(ctx->store, req->path_param, &outcome, &e) != 0) {
        if (e.kind == ERR_NOT_FOUND)
            not_found(res);
        else
            api_error_from(res, &e);
        return 0;
    }
    if (outcome == JOB_CANCEL_FINISHED) {
        api_error(res, 409, "conflict", "the job has already finished; it cannot be cancelled");
        return 0;
    }
    bool now = outcome == JOB_CANCEL_CANCELLED;
    log_kv(LOG_INFO, now ? "job cancelled" : "job cancel requested", "cancelledJobId",
           req->path_param, NULL);
    res->status = now ? 200 : 202;
    sbuf_reset(&res->body);
    sbuf_puts(&res->body, "{\"jobId\":");
    sbuf_json_string(&res->body, req->path_param);
    sbuf_puts(&res->body, now ? ",\"status\":\"cancelled\",\"cancelRequested\":true}"
                              : ",\"status\":\"running\",\"cancelRequested\":true}");
    snprintf(res->location, sizeof res->location, "/v1/jobs/%s", req->path_param);
    return 0;
}
