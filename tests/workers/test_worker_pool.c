/* worker_pool with a test job_runner: live progress, outcomes (fatal, retry,
 * partial), cancel of a running job, drain handing jobs back. */
#include "service/worker_pool.h"
#include "common/metrics.h"
#include "common/sbuf.h"
#include "storage/migrations.h"
#include "storage/testdb.h" /* tests/storage/testdb.h */

#include <libpq-fe.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define KEY1 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

static char *g_url;
static db_pool *g_pool;
static config_crypto *g_crypto;

/* The test runner: behaviour chosen by config.mode. */
static atomic_int g_release;   /* "gate" mode waits for this */
static atomic_int g_runs;
static atomic_int g_saw_secret;

static int fake_run(void *ctx, const job_request *req, const job_progress *p, job_outcome *out)
{
    (void)ctx;
    atomic_fetch_add(&g_runs, 1);
    const char *mode = cJSON_GetObjectItem(req->config, "mode")->valuestring;
    const cJSON *sec = cJSON_GetObjectItem(req->config, "clientSecret");
    if (cJSON_IsString(sec) && strcmp(sec->valuestring, "top-secret-value") == 0)
        atomic_store(&g_saw_secret, 1);
    job_step_report plan[] = {{.id = "s1", .name = "One", .status = "pending"},
                              {.id = "s2", .name = "Two", .status = "pending"}};
    p->steps_planned(p->ctx, plan, 2);
    job_step_report s1 = {.id = "s1", .name = "One", .status = "running"};
    p->step_changed(p->ctx, &s1);
    s1.status = "success";
    s1.entities = 3;
    s1.duration_ms = 5;
    p->step_changed(p->ctx, &s1);
    bool gated = strcmp(mode, "gate_retry") == 0;
    if (strcmp(mode, "gate") == 0 || strcmp(mode, "block") == 0 || gated) {
        while (!p->should_stop(p->ctx) && !atomic_load(&g_release))
            usleep(10000);
        if (p->should_stop(p->ctx)) {
            out->result = JOB_RESULT_STOPPED;
            err_set(&out->error, ERR_CANCELLED, "stopped");
            return 0;
        }
    }
    job_step_report s2 = {.id = "s2", .name = "Two", .status = "success", .relationships = 4};
    if (strcmp(mode, "fatal") == 0) {
        out->result = JOB_RESULT_FATAL;
        err_set(&out->error, ERR_AUTH, "Azure rejected the client credentials");
        err_hint(&out->error, "check clientId and clientSecret");
        return 0;
    }
    if (strcmp(mode, "retry") == 0 || gated) {
        out->result = JOB_RESULT_RETRY;
        err_set(&out->error, ERR_NETWORK, "connection reset");
        return 0;
    }
    if (strcmp(mode, "partial") == 0) {
        s2.status = "failure";
        s2.error = "403: grant Reader";
    }
    p->step_changed(p->ctx, &s2);
    p->upload_changed(p->ctx, "sync-9", "FINALIZE_PENDING");
    out->result = strcmp(mode, "partial") == 0 ? JOB_RESULT_PARTIAL : JOB_RESULT_SUCCEEDED;
    if (out->result == JOB_RESULT_PARTIAL)
        err_set(&out->error, ERR_FORBIDDEN, "1 step failed");
    out->totals = (job_totals){3, 4, 10, 0};
    return 0;
}

static const job_runner RUNNER = {NULL, fake_run};

static int group_setup(void **state)
{
    (void)state;
    g_url = testdb_create();
    if (!g_url)
        return -1;
    err_info e = {0};
    g_pool = db_pool_new(&(db_pool_options){.url = g_url, .size = 8}, &e);
    g_crypto = config_crypto_new(KEY1, NULL, &e);
    return g_pool && g_crypto && migrations_apply(g_pool, NULL, &e) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    db_pool_free(g_pool);
    config_crypto_free(g_crypto);
    testdb_drop(g_url);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    free(testdb_query(g_url, "TRUNCATE jobs, job_events, job_steps"));
    atomic_store(&g_release, 0);
    atomic_store(&g_runs, 0);
    metrics_reset(); /* the registry is process-wide: count per test */
    return 0;
}

static job_store *store(int max_attempts, int lease_s)
{
    err_info e = {0};
    job_store_options o = {.max_attempts = max_attempts, .lease_seconds = lease_s,
                           .backoff_base_ms = 1, .backoff_max_ms = 2};
    job_store *s = job_store_new(g_pool, g_crypto, &o, &e);
    assert_non_null(s);
    return s;
}

static void enqueue(job_store *s, const char *event, const char *mode, char id[37])
{
    char json[200];
    snprintf(json, sizeof json, "{\"mode\":\"%s\",\"clientSecret\":\"top-secret-value\"}", mode);
    cJSON *cfg = cJSON_Parse(json);
    job_event ev = {.event_id = event, .account_id = "a", .instance_id = event,
                    .instance_name = "n", .config = cfg};
    job_enqueue_outcome out;
    err_info e = {0};
    assert_int_equal(job_store_enqueue(s, &ev, id, &out, &e), 0);
    cJSON_Delete(cfg);
}

static cJSON *get(job_store *s, const char *id)
{
    cJSON *doc = NULL;
    err_info e = {0};
    assert_int_equal(job_store_get(s, id, &doc, &e), 0);
    assert_non_null(doc);
    return doc;
}

static const char *status_of(cJSON *doc) { return cJSON_GetObjectItem(doc, "status")->valuestring; }

/* Waits up to 10 s for the job to reach status. */
static cJSON *wait_status(job_store *s, const char *id, const char *status)
{
    for (int i = 0; i < 1000; i++) {
        cJSON *doc = get(s, id);
        if (strcmp(status_of(doc), status) == 0)
            return doc;
        cJSON_Delete(doc);
        usleep(10000);
    }
    fail_msg("job %s never reached %s", id, status);
    return NULL;
}

static worker_pool *start(job_store *s, int threads, int lease)
{
    err_info e = {0};
    worker_pool_options o = {.threads = threads, .lease_seconds = lease, .poll_interval_ms = 20};
    worker_pool *p = worker_pool_start(s, &RUNNER, &o, &e);
    assert_non_null(p);
    return p;
}

static void test_live_progress(void **state)
{
    (void)state;
    job_store *s = store(3, 60);
    worker_pool *wp = start(s, 2, 60);
    char id[37];
    enqueue(s, "live", "gate", id);
    worker_pool_notify(wp);
    /* while the runner waits, step 1 is visible as finished */
    cJSON *doc = NULL;
    for (int i = 0; i < 1000; i++) {
        doc = get(s, id);
        cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "steps"), 0);
        if (s0 && strcmp(cJSON_GetObjectItem(s0, "status")->valuestring, "success") == 0)
            break;
        cJSON_Delete(doc);
        doc = NULL;
        usleep(10000);
    }
    assert_non_null(doc);
    assert_string_equal(status_of(doc), "running");
    cJSON *s1 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "steps"), 1);
    assert_string_equal(cJSON_GetObjectItem(s1, "status")->valuestring, "pending");
    assert_int_equal(worker_pool_running(wp), 1);
    cJSON_Delete(doc);
    atomic_store(&g_release, 1);
    doc = wait_status(s, id, "succeeded");
    cJSON *t = cJSON_GetObjectItem(doc, "totals");
    assert_int_equal(cJSON_GetObjectItem(t, "apiRequests")->valuedouble, 10);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "upload"), "syncJobId")->valuestring, "sync-9");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(doc, "error")));
    assert_true(atomic_load(&g_saw_secret));
    cJSON_Delete(doc);
    assert_int_equal(worker_pool_drain(wp, worker_pool_now_ms() + 5000), 0);
    worker_pool_free(wp);
    job_store_free(s);
}

/* The process's metrics as /metrics renders them (caller sbuf_free()s). */
static sbuf metrics_text(void)
{
    sbuf m;
    sbuf_init(&m);
    metrics_render(&m);
    return m;
}

static void test_outcomes(void **state)
{
    (void)state;
    job_store *s = store(2, 60);
    worker_pool *wp = start(s, 3, 60);
    char fatal[37], retry[37], partial[37];
    enqueue(s, "fatal", "fatal", fatal);
    enqueue(s, "retry", "retry", retry);
    enqueue(s, "partial", "partial", partial);
    worker_pool_notify(wp);
    cJSON *doc = wait_status(s, fatal, "failed");
    assert_int_equal(cJSON_GetObjectItem(doc, "attempts")->valuedouble, 1);
    assert_non_null(strstr(cJSON_GetObjectItem(doc, "error")->valuestring, "client credentials"));
    cJSON_Delete(doc);
    doc = wait_status(s, retry, "failed");
    assert_int_equal(cJSON_GetObjectItem(doc, "attempts")->valuedouble, 2);
    assert_non_null(strstr(cJSON_GetObjectItem(doc, "error")->valuestring, "connection reset"));
    cJSON_Delete(doc);
    doc = wait_status(s, partial, "partial");
    cJSON *s1 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "steps"), 1);
    assert_string_equal(cJSON_GetObjectItem(s1, "error")->valuestring, "403: grant Reader");
    cJSON_Delete(doc);
    assert_int_equal(atomic_load(&g_runs), 4);
    assert_int_equal(worker_pool_drain(wp, worker_pool_now_ms() + 5000), 0);
    /* metrics: attempts by outcome, durations, jobs by status from the store */
    job_store_register_metrics(s);
    sbuf m = metrics_text();
    const char *text = sbuf_str(&m);
    assert_non_null(strstr(text, "jobs_finished_total{status=\"failed\"} 2"));
    assert_non_null(strstr(text, "jobs_finished_total{status=\"retry\"} 1"));
    assert_non_null(strstr(text, "jobs_finished_total{status=\"partial\"} 1"));
    assert_non_null(strstr(text, "job_duration_seconds_count 4"));
    assert_non_null(strstr(text, "jobs{status=\"failed\"} 2"));
    assert_non_null(strstr(text, "queue_depth 0"));
    assert_null(strstr(text, "top-secret-value"));
    sbuf_free(&m);
    metrics_reset();
    worker_pool_free(wp);
    job_store_free(s);
}

static void test_cancel_running(void **state)
{
    (void)state;
    job_store *s = store(3, 1); /* heartbeat every ~333 ms */
    worker_pool *wp = start(s, 1, 1);
    char id[37];
    enqueue(s, "cancel", "block", id);
    cJSON *doc = wait_status(s, id, "running");
    cJSON_Delete(doc);
    job_cancel_outcome out;
    err_info e = {0};
    assert_int_equal(job_store_cancel(s, id, &out, &e), 0);
    assert_int_equal(out, JOB_CANCEL_REQUESTED);
    doc = wait_status(s, id, "cancelled");
    cJSON_Delete(doc);
    assert_int_equal(worker_pool_drain(wp, worker_pool_now_ms() + 5000), 0);
    worker_pool_free(wp);
    job_store_free(s);
}

/* A cancel requested while the job runs, before the heartbeat notices it,
 * and then a transient failure: the job ends cancelled (not queued again)
 * and is counted as such, not as a failure or a retry. */
static void test_cancel_then_retry_counts_cancelled(void **state)
{
    (void)state;
    job_store *s = store(3, 60); /* heartbeat every 20 s: the cancel goes unnoticed */
    worker_pool *wp = start(s, 1, 60);
    char id[37];
    enqueue(s, "cancel-retry", "gate_retry", id);
    worker_pool_notify(wp);
    cJSON *doc = wait_status(s, id, "running");
    cJSON_Delete(doc);
    job_cancel_outcome out;
    err_info e = {0};
    assert_int_equal(job_store_cancel(s, id, &out, &e), 0);
    assert_int_equal(out, JOB_CANCEL_REQUESTED);
    atomic_store(&g_release, 1);
    doc = wait_status(s, id, "cancelled");
    assert_int_equal(cJSON_GetObjectItem(doc, "attempts")->valuedouble, 1);
    cJSON_Delete(doc);
    assert_int_equal(worker_pool_drain(wp, worker_pool_now_ms() + 5000), 0);
    sbuf m = metrics_text();
    const char *text = sbuf_str(&m);
    assert_non_null(strstr(text, "jobs_finished_total{status=\"cancelled\"} 1"));
    assert_null(strstr(text, "jobs_finished_total{status=\"failed\"}"));
    assert_null(strstr(text, "jobs_finished_total{status=\"retry\"}"));
    sbuf_free(&m);
    assert_int_equal(atomic_load(&g_runs), 1);
    worker_pool_free(wp);
    job_store_free(s);
}

static void test_drain_hands_back(void **state)
{
    (void)state;
    job_store *s = store(3, 60);
    worker_pool *wp = start(s, 2, 60);
    char a[37], b[37];
    enqueue(s, "d1", "block", a);
    enqueue(s, "d2", "block", b);
    cJSON_Delete(wait_status(s, a, "running"));
    cJSON_Delete(wait_status(s, b, "running"));
    long long t0 = worker_pool_now_ms();
    assert_int_equal(worker_pool_drain(wp, t0 + 5000), 0);
    assert_true(worker_pool_draining(wp));
    assert_true(worker_pool_now_ms() - t0 < 2000);
    worker_pool_free(wp);
    for (int i = 0; i < 2; i++) {
        cJSON *doc = get(s, i ? b : a);
        assert_string_equal(status_of(doc), "queued");
        assert_int_equal(cJSON_GetObjectItem(doc, "attempts")->valuedouble, 0);
        cJSON_Delete(doc);
    }
    job_store_free(s);
}

/* Holds every query on the jobs table up (a transaction holding an
 * exclusive lock on it) until unlock_jobs_table. */
static PGconn *lock_jobs_table(void)
{
    PGconn *c = PQconnectdb(g_url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQclear(PQexec(c, "BEGIN"));
    PGresult *r = PQexec(c, "LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    return c;
}

static void unlock_jobs_table(PGconn *c)
{
    PQclear(PQexec(c, "COMMIT"));
    PQfinish(c);
}

/* A claim already on its way when drain starts: drain finds nothing running
 * and returns at once; the claim (held up here by a table lock) then takes
 * the job.  That job must go back to the queue, not run behind drain's back
 * (it would outlive the drain deadline, or be left leased when the process
 * exits). */
static void test_claim_landing_during_drain(void **state)
{
    (void)state;
    job_store *s = store(3, 60);
    char a[37];
    enqueue(s, "late", "ok", a);
    PGconn *lock = lock_jobs_table();
    worker_pool *wp = start(s, 1, 60);
    usleep(300000); /* the worker's first claim now waits for the lock */
    assert_int_equal(worker_pool_drain(wp, worker_pool_now_ms() + 5000), 0);
    unlock_jobs_table(lock);
    worker_pool_free(wp);
    cJSON *doc = get(s, a);
    assert_string_equal(status_of(doc), "queued");
    assert_int_equal(cJSON_GetObjectItem(doc, "attempts")->valuedouble, 0);
    assert_int_equal(atomic_load(&g_runs), 0);
    cJSON_Delete(doc);
    job_store_free(s);
}

/* A runner that ignores should_stop: drain hands its job back at the deadline. */
static int stubborn_run(void *ctx, const job_request *req, const job_progress *p, job_outcome *out)
{
    (void)ctx, (void)req, (void)p;
    while (!atomic_load(&g_release))
        usleep(10000);
    out->result = JOB_RESULT_SUCCEEDED;
    return 0;
}

static void test_drain_deadline(void **state)
{
    (void)state;
    job_store *s = store(3, 60);
    err_info e = {0};
    job_runner r = {NULL, stubborn_run};
    worker_pool *wp = worker_pool_start(s, &r, &(worker_pool_options){.threads = 1, .poll_interval_ms = 20}, &e);
    char a[37];
    enqueue(s, "late", "x", a);
    cJSON_Delete(wait_status(s, a, "running"));
    assert_int_equal(worker_pool_drain(wp, worker_pool_now_ms() + 200), 1);
    cJSON *doc = get(s, a);
    assert_string_equal(status_of(doc), "queued");
    cJSON_Delete(doc);
    /* the late runner's success is refused (the job is no longer ours) */
    atomic_store(&g_release, 1);
    worker_pool_free(wp); /* joins: fine in a test once the runner returned */
    doc = get(s, a);
    assert_string_equal(status_of(doc), "queued");
    cJSON_Delete(doc);
    job_store_free(s);
}

typedef struct drain_call {
    worker_pool *wp;
    long long deadline;
    int result;
} drain_call;

static void *drain_thread(void *arg)
{
    drain_call *d = arg;
    d->result = worker_pool_drain(d->wp, d->deadline);
    return NULL;
}

/* The drain deadline passes while a worker whose runner has returned is
 * recording the outcome (its queries held up by a table lock): drain leaves
 * the job to it instead of handing it back, so a finished job (whose upload
 * was finalized) is not run again; it waits for the outcome and returns 0. */
static void test_drain_leaves_outcome_being_recorded(void **state)
{
    (void)state;
    job_store *s = store(3, 60);
    err_info e = {0};
    job_runner r = {NULL, stubborn_run};
    worker_pool *wp = worker_pool_start(
        s, &r, &(worker_pool_options){.threads = 1, .poll_interval_ms = 20}, &e);
    assert_non_null(wp);
    char a[37];
    enqueue(s, "done-late", "x", a);
    cJSON_Delete(wait_status(s, a, "running"));
    PGconn *lock = lock_jobs_table();
    atomic_store(&g_release, 1); /* the runner returns; its outcome waits for the lock */
    usleep(200000);
    drain_call d = {.wp = wp, .deadline = worker_pool_now_ms() + 100, .result = -1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, drain_thread, &d), 0);
    usleep(600000); /* past the drain deadline, within the settle grace */
    unlock_jobs_table(lock);
    pthread_join(t, NULL);
    assert_int_equal(d.result, 0);
    worker_pool_free(wp);
    cJSON *doc = get(s, a);
    assert_string_equal(status_of(doc), "succeeded");
    assert_int_equal(cJSON_GetObjectItem(doc, "attempts")->valuedouble, 1);
    cJSON_Delete(doc);
    job_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_live_progress, setup),
        cmocka_unit_test_setup(test_outcomes, setup),
        cmocka_unit_test_setup(test_cancel_running, setup),
        cmocka_unit_test_setup(test_cancel_then_retry_counts_cancelled, setup),
        cmocka_unit_test_setup(test_drain_hands_back, setup),
        cmocka_unit_test_setup(test_claim_landing_during_drain, setup),
        cmocka_unit_test_setup(test_drain_deadline, setup),
        cmocka_unit_test_setup(test_drain_leaves_outcome_being_recorded, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
