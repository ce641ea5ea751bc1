/*
 * job_engine: the production job_runner.  For one job:
 *   1. registers the client secret with the log redactor (for the job);
 *   2. azure_job_new + azure_job_validate (bad credentials / config ->
 *      FATAL, network or throttling -> RETRY);
 *   3. aborts the sync job of an interrupted earlier attempt (if any), then
 *      starts the JupiterOne synchronization job through the J1 uploader
 *      (a graph_sink), reporting its id and state through upload_changed;
 *   4. runs the registry's step table on a graph store feeding that sink,
 *      adapting the runner's callbacks to job_progress;
 *   5. maps the runner's outcome: all success -> SUCCEEDED, some failures
 *      -> PARTIAL, fatal -> FATAL (or RETRY for transient kinds), stop ->
 *      STOPPED; totals from azure_client_stats and the store's counts.
 * The engine itself holds only settings; every job's state lives on the
 * stack of run(), so jobs run concurrently without sharing anything
 * mutable.
 */
#include "service/job_engine.h"

#include "azure/azure_error.h"
#include "common/json.h"
#include "common/log.h"
#include "engine/graph_store.h"
#include "engine/runner.h"
#include "j1/j1_uploader.h"
#include "steps/azure_job.h"
#include "steps/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVE_UPLOAD_BATCH_BYTES 2000000u

struct job_engine {
    job_engine_settings s;
    char *j1_base, *j1_key, *spill_dir;
};

int job_engine_new(const job_engine_settings *settings, job_engine **out, err_info *err)
{
    *out = NULL;
    if (!settings || !settings->j1_api_base_url) {
        err_set(err, ERR_INVALID, "the job engine needs J1_API_BASE_URL");
        return err_hint(err, "set it for `serve` (default https://api.us.jupiterone.io)");
    }
    size_t count = 0;
    const step_def *const *table = registry_steps(&count);
    if (runner_check_table(table, count, false, err) != 0)
        return -1;
    job_engine *e = calloc(1, sizeof *e);
    if (!e)
        return err_set(err, ERR_NOMEM, "out of memory creating the job engine");
    e->s = *settings;
    e->j1_base = strdup(settings->j1_api_base_url);
    e->j1_key = settings->j1_api_key ? strdup(settings->j1_api_key) : NULL;
    e->spill_dir = settings->spill_dir ? strdup(settings->spill_dir) : NULL;
    if (!e->j1_base || (settings->j1_api_key && !e->j1_key) ||
        (settings->spill_dir && !e->spill_dir)) {
        job_engine_free(e);
        return err_set(err, ERR_NOMEM, "out of memory creating the job engine");
    }
    e->s.j1_api_base_url = e->j1_base;
    e->s.j1_api_key = e->j1_key;
    e->s.spill_dir = e->spill_dir;
    if (e->j1_key)
        log_secret_register(e->j1_key);
    *out = e;
    return 0;
}

void job_engine_free(job_engine *e)
{
    if (!e)
        return;
    if (e->j1_key) {
        log_secret_unregister(e->j1_key);
        memset(e->j1_key, 0, strlen(e->j1_key));
    }
    free(e->j1_key);
    free(e->j1_base);
    free(e->spill_dir);
    free(e);
}

/* ---- one job ------------------------------------------------------------ */

typedef struct job_run {
    const job_progress *progress;
    azure_job *job;
    graph_store *store;
} job_run;

static job_step_report report_of(const runner_step_info *i)
{
    return (job_step_report){.id = i->def->id, .name = i->def->name,
                             .status = runner_status_job_name(i->status),
                             .entities = (int64_t)i->entities,
                             .relationships = (int64_t)i->relationships,
                             .duration_ms = i->duration_ms, .error = i->error};
}

static void totals_of(job_run *jr, job_totals *t)
{
    memset(t, 0, sizeof *t);
    if (jr->store) {
        graph_store_stats st;
        graph_store_get_stats(jr->store, &st);
        t->entities = (int64_t)st.entities;
        t->relationships = (int64_t)st.relationships;
    }
    if (jr->job) {
        azure_stats as;
        azure_client_stats(azure_job_client(jr->job), &as);
        for (size_t i = 0; i < AZURE_API_COUNT; i++) {
            t->api_requests += as.requests[i];
            t->throttled += as.throttled[i];
        }
    }
}

/* One line for the lists whose first page answered 404 (each taken as an
 * empty list; only the first few were logged one by one). */
static void log_absent_lists(job_run *jr)
{
    if (!jr->job)
        return;
    azure_stats as;
    azure_client_stats(azure_job_client(jr->job), &as);
    for (size_t i = 0; i < AZURE_API_COUNT; i++) {
        if (as.absent_lists[i] == 0)
            continue;
        char n[32];
        snprintf(n, sizeof n, "%lld", (long long)as.absent_lists[i]);
        log_kv(LOG_INFO,
               "lists answered 404 were taken as empty (resources gone while the job ran)", "api",
               azure_api_name((azure_api)i), "lists", n, NULL);
    }
}

static void on_planned(void *ctx, const runner_step_info *steps, size_t n)
{
    job_run *jr = ctx;
    if (!jr->progress->steps_planned)
        return;
    job_step_report *r = calloc(n ? n : 1, sizeof *r);
    if (!r)
        return;
    for (size_t i = 0; i < n; i++)
        r[i] = report_of(&steps[i]);
    jr->progress->steps_planned(jr->progress->ctx, r, n);
    free(r);
}

static void on_step(void *ctx, const runner_step_info *info)
{
    job_run *jr = ctx;
    job_step_report r = report_of(info);
    if (jr->progress->step_changed)
        jr->progress->step_changed(jr->progress->ctx, &r);
    if (jr->progress->totals_changed && info->status != RUNNER_STEP_RUNNING) {
        job_totals t;
        totals_of(jr, &t);
        jr->progress->totals_changed(jr->progress->ctx, &t);
    }
}

static bool on_should_stop(void *ctx)
{
    job_run *jr = ctx;
    return jr->progress->should_stop && jr->progress->should_stop(jr->progress->ctx);
}

static void on_upload_state(void *arg, const char *sync_job_id, const char *status)
{
    const job_progress *p = arg;
    if (p->upload_changed)
        p->upload_changed(p->ctx, sync_job_id, status);
}

static bool enabled(void *integration, const step_def *step)
{
    return azure_job_step_enabled(integration, step);
}

/* Transient kinds may succeed on a later attempt. */
static job_result result_for_error(err_kind k)
{
    switch (k) {
    case ERR_NETWORK:
    case ERR_THROTTLED:
    case ERR_UPSTREAM:
    case ERR_IO:
    case ERR_NOMEM:
        return JOB_RESULT_RETRY;
    default:
        return JOB_RESULT_FATAL;
    }
}

static int engine_run(void *ctx, const job_request *req, const job_progress *progress,
                      job_outcome *out)
{
    job_engine *e = ctx;
    memset(out, 0, sizeof *out);
    job_run jr = {.progress = progress};
    j1_uploader *up = NULL;
    runner *run = NULL;
    const char *secret = json_get_string(req->config, "clientSecret");
    if (secret)
        log_secret_register(secret);
    azure_instance_info inst = {.instance_id = req->instance_id,
                                .instance_name = req->instance_name,
                                .account_id = req->account_id};
    if (azure_job_new(req->config, &inst, &e->s.azure, &jr.job, &out->error) != 0) {
        out->result = result_for_error(out->error.kind);
        if (out->error.kind == ERR_INVALID)
            out->result = JOB_RESULT_FATAL;
        goto done;
    }
    if (azure_job_validate(jr.job, &out->error) != 0) {
        out->result = result_for_error(out->error.kind);
        goto done;
    }
    /* 2 MB upload batches (the API takes up to 5 MB): a job then holds at
     * most (2 queued + 6 in flight + 2 open) x 2 MB of upload batches when
     * collection outruns the uploads, which kept two top-size jobs under
     * 256 MB (5 MB batches: 276 MB). */
    j1_uploader_settings us = {.base_url = e->s.j1_api_base_url, .api_key = e->s.j1_api_key,
                               .account_id = req->account_id, .instance_id = req->instance_id,
                               .integration_job_id = req->j1_job_id,
                               .on_state = on_upload_state, .on_state_arg = (void *)progress,
                               .batch_limit_bytes = SERVE_UPLOAD_BATCH_BYTES};
    if (req->previous_sync_job_id && *req->previous_sync_job_id) {
        /* An earlier attempt died mid-upload: close its sync job so that
         * only this attempt's upload is ever finalized (exactly once). */
        err_info ae = {0};
        if (j1_abort_sync_job(&us, req->previous_sync_job_id, "superseded by a new attempt",
                              &ae) != 0) {
            out->error = ae;
            out->result = result_for_error(ae.kind);
            goto done;
        }
    }
    if (j1_uploader_new(&us, &up, &out->error) != 0) {
        out->result = result_for_error(out->error.kind);
        goto done;
    }
    graph_sink sink = j1_uploader_sink(up);
    jr.store = graph_store_new(&sink, e->s.spill_dir, &out->error);
    if (!jr.store) {
        out->result = JOB_RESULT_RETRY;
        sink.abort(sink.ctx, "the graph store could not be created", &(err_info){0});
        goto done;
    }
    size_t count = 0;
    const step_def *const *table = registry_steps(&count);
    runner_config cfg = {.table = table, .count = count, .integration = jr.job,
                         .enabled = enabled, .store = jr.store, .sink = &sink,
                         .threads = e->s.max_concurrent_steps > 0
                                        ? (unsigned)e->s.max_concurrent_steps : 0,
                         .callbacks = {.ctx = &jr, .planned = on_planned, .step_changed = on_step,
                                       .should_stop = on_should_stop}};
    run = runner_new(&cfg, &out->error);
    if (!run) {
        out->result = JOB_RESULT_FATAL;
        sink.abort(sink.ctx, "the step table is invalid", &(err_info){0});
        goto done;
    }
    switch (runner_run(run, &out->error)) {
    case RUNNER_OK:
        out->result = JOB_RESULT_SUCCEEDED;
        err_clear(&out->error);
        break;
    case RUNNER_PARTIAL:
        out->result = JOB_RESULT_PARTIAL;
        err_set(&out->error, ERR_UPSTREAM, "some steps failed; their types were sent as partial datasets");
        err_hint(&out->error, "see the failed steps' errors in the job status");
        break;
    case RUNNER_STOPPED:
        out->result = JOB_RESULT_STOPPED;
        break;
    case RUNNER_FATAL:
        out->result = out->error.kind == ERR_AUTH ? JOB_RESULT_FATAL
                                                  : result_for_error(out->error.kind);
        break;
    }
done:
    totals_of(&jr, &out->totals);
    log_absent_lists(&jr);
    if (progress->totals_changed)
        progress->totals_changed(progress->ctx, &out->totals);
    runner_free(run);
    graph_store_free(jr.store);
    j1_uploader_free(up);
    azure_job_free(jr.job);
    if (secret)
        log_secret_unregister(secret);
    return 0;
}

job_runner job_engine_runner(job_engine *engine)
{
    return (job_runner){.ctx = engine, .run = engine_run};
}
