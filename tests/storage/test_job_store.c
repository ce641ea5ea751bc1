/* job_store: idempotency, coalescing, claims under concurrency, leases,
 * backoff, cancel, hand back, progress and reads.  One database per run;
 * each test starts from empty tables. */
#include "storage/job_store.h"
#include "storage/migrations.h"
#include "testdb.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define KEY1 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define KEY2 "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU="
#define SECRET "client-secret-XYZZY-42"

static char *g_url;
static db_pool *g_pool;
static config_crypto *g_crypto;

static int group_setup(void **state)
{
    (void)state;
    g_url = testdb_create();
    if (!g_url)
        return -1;
    err_info e = {0};
    g_pool = db_pool_new(&(db_pool_options){.url = g_url, .size = 12}, &e);
    g_crypto = config_crypto_new(KEY1, NULL, &e);
    if (!g_pool || !g_crypto || migrations_apply(g_pool, NULL, &e) != 0)
        return -1;
    return 0;
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
    return 0;
}

static job_store *store(int max_attempts, int lease_s, int backoff_ms)
{
    err_info e = {0};
    job_store_options o = {.max_attempts = max_attempts, .lease_seconds = lease_s,
                           .backoff_base_ms = backoff_ms, .backoff_max_ms = backoff_ms * 4};
    job_store *s = job_store_new(g_pool, g_crypto, &o, &e);
    assert_non_null(s);
    return s;
}

static char *q(const char *sql)
{
    char *v = testdb_query(g_url, sql);
    assert_non_null(v);
    return v;
}

static void expect(const char *sql, const char *want)
{
    char *v = q(sql);
    assert_string_equal(v, want);
    free(v);
}

static void expectf(const char *want, const char *fmt, const char *arg)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, arg);
    expect(sql, want);
}

static int enqueue(job_store *s, const char *event, const char *instance, char id[37])
{
    cJSON *cfg = cJSON_Parse("{\"directoryId\":\"t\",\"clientId\":\"c\",\"clientSecret\":\"" SECRET "\"}");
    job_event ev = {.event_id = event, .account_id = "acct", .instance_id = instance,
                    .instance_name = "Prod", .config = cfg};
    job_enqueue_outcome out = -1;
    err_info e = {0};
    assert_int_equal(job_store_enqueue(s, &ev, id, &out, &e), 0);
    cJSON_Delete(cfg);
    return (int)out;
}

static job_claimed *claim(job_store *s, const char *owner)
{
    job_claimed *j = NULL;
    err_info e = {0};
    int rc = job_store_claim(s, owner, &j, &e);
    assert_true(rc >= 0);
    return j;
}

static void test_enqueue_idempotent_and_coalesce(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 1000);
    char a[37], b[37], c[37], d[37];
    assert_int_equal(enqueue(s, "ev-1", "inst-1", a), JOB_ENQUEUE_CREATED);
    assert_int_equal(enqueue(s, "ev-1", "inst-1", b), JOB_ENQUEUE_DUPLICATE_EVENT);
    assert_string_equal(a, b);
    assert_int_equal(enqueue(s, "ev-2", "inst-1", c), JOB_ENQUEUE_COALESCED);
    assert_string_equal(a, c);
    assert_int_equal(enqueue(s, "ev-2", "inst-1", c), JOB_ENQUEUE_DUPLICATE_EVENT);
    assert_int_equal(enqueue(s, "ev-3", "inst-2", d), JOB_ENQUEUE_CREATED);
    assert_string_not_equal(a, d);
    expect("SELECT count(*) FROM jobs", "2");
    expect("SELECT count(*) FROM job_events", "3");
    /* config is never stored in plaintext */
    expect("SELECT count(*) FROM jobs WHERE position(convert_to('" SECRET "', 'UTF8') in config_enc) > 0"
           " OR position('XYZZY' in encode(config_enc, 'escape')) > 0", "0");
    /* once the queued job runs, a new event for the instance gets a new job */
    job_claimed *j = claim(s, "w1");
    assert_non_null(j);
    assert_int_equal(enqueue(s, "ev-4", j->instance_id, b), JOB_ENQUEUE_CREATED);
    assert_string_not_equal(b, j->job_id);
    job_store_claimed_free(j);
    job_store_free(s);
}

typedef struct poster {
    job_store *s;
    char event[32];
    char instance[32];
    char id[37];
    int outcome;
} poster;

static void *post(void *arg)
{
    poster *p = arg;
    p->outcome = enqueue(p->s, p->event, p->instance, p->id);
    return NULL;
}

static void test_concurrent_posts(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 1000);
    enum { N = 10 };
    poster p[N];
    pthread_t t[N];
    /* identical posts: one job */
    for (int i = 0; i < N; i++) {
        p[i] = (poster){.s = s};
        snprintf(p[i].event, sizeof p[i].event, "same-event");
        snprintf(p[i].instance, sizeof p[i].instance, "inst-A");
        pthread_create(&t[i], NULL, post, &p[i]);
    }
    int created = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        created += p[i].outcome == JOB_ENQUEUE_CREATED;
        assert_true(p[i].outcome == JOB_ENQUEUE_CREATED || p[i].outcome == JOB_ENQUEUE_DUPLICATE_EVENT);
        assert_string_equal(p[i].id, p[0].id);
    }
    assert_int_equal(created, 1);
    /* different events, one instance: coalesced onto one job */
    for (int i = 0; i < N; i++) {
        p[i] = (poster){.s = s};
        snprintf(p[i].event, sizeof p[i].event, "ev-%d", i);
        snprintf(p[i].instance, sizeof p[i].instance, "inst-B");
        pthread_create(&t[i], NULL, post, &p[i]);
    }
    created = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        created += p[i].outcome == JOB_ENQUEUE_CREATED;
        assert_string_equal(p[i].id, p[0].id);
    }
    assert_int_equal(created, 1);
    expect("SELECT count(*) FROM jobs", "2");
    expect("SELECT count(*) FROM job_events", "11");
    job_store_free(s);
}

typedef struct claimer {
    job_store *s;
    char owner[16];
    char ids[64][37];
    int n;
} claimer;

static void *claim_all(void *arg)
{
    claimer *c = arg;
    for (;;) {
        job_claimed *j = NULL;
        err_info e = {0};
        int rc = job_store_claim(c->s, c->owner, &j, &e);
        if (rc < 0) {
            fprintf(stderr, "claim: %s\n", e.message);
            break;
        }
        if (rc == 0)
            break;
        if (c->n < 64)
            snprintf(c->ids[c->n], 37, "%s", j->job_id);
        c->n++;
        job_store_claimed_free(j);
    }
    return NULL;
}

static void test_concurrent_claims(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 1000);
    enum { JOBS = 60, T = 6 };
    for (int i = 0; i < JOBS; i++) {
        char ev[32], inst[32], id[37];
        snprintf(ev, sizeof ev, "e%d", i);
        snprintf(inst, sizeof inst, "i%d", i);
        enqueue(s, ev, inst, id);
    }
    claimer *c = calloc(T, sizeof *c);
    pthread_t t[T];
    for (int i = 0; i < T; i++) {
        c[i].s = s;
        snprintf(c[i].owner, sizeof c[i].owner, "w%d", i);
        pthread_create(&t[i], NULL, claim_all, &c[i]);
    }
    int total = 0;
    for (int i = 0; i < T; i++) {
        pthread_join(t[i], NULL);
        total += c[i].n;
    }
    assert_int_equal(total, JOBS);
    for (int a = 0; a < T; a++)
        for (int i = 0; i < c[a].n; i++)
            for (int b = 0; b < T; b++)
                for (int k = 0; k < c[b].n; k++)
                    if (a != b || i != k)
                        assert_string_not_equal(c[a].ids[i], c[b].ids[k]);
    expect("SELECT count(*) FROM jobs WHERE status = 'running' AND attempts = 1", "60");
    free(c);
    job_store_free(s);
}

static void test_one_instance_at_a_time(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 1000);
    char a[37], b[37];
    enqueue(s, "x1", "inst", a);
    job_claimed *j = claim(s, "w1");
    assert_non_null(j);
    assert_string_equal(j->job_id, a);
    assert_int_equal(j->attempt, 1);
    const cJSON *sec = cJSON_GetObjectItem(j->config, "clientSecret");
    assert_string_equal(sec->valuestring, SECRET);
    assert_int_equal(enqueue(s, "x2", "inst", b), JOB_ENQUEUE_CREATED);
    assert_null(claim(s, "w2")); /* the instance is running */
    err_info e = {0};
    assert_int_equal(job_store_finish(s, a, "w1", "succeeded", NULL, &e), 0);
    job_claimed *k = claim(s, "w2");
    assert_non_null(k);
    assert_string_equal(k->job_id, b);
    assert_int_equal(job_store_finish(s, a, "w1", "failed", NULL, &e), -1); /* already done */
    assert_int_equal(e.kind, ERR_CONFLICT);
    assert_int_equal(job_store_finish(s, b, "w2", "queued", NULL, &e), -1);
    assert_int_equal(e.kind, ERR_INVALID);
    job_store_claimed_free(j);
    job_store_claimed_free(k);
    job_store_free(s);
}

static void test_lease_expiry(void **state)
{
    (void)state;
    job_store *s = store(2, 1, 1000);
    char a[37];
    enqueue(s, "l1", "inst", a);
    job_claimed *j = claim(s, "dead");
    assert_non_null(j);
    bool lost = true, cancel = true;
    err_info e = {0};
    assert_int_equal(job_store_heartbeat(s, a, "dead", &lost, &cancel, &e), 0);
    assert_false(lost);
    assert_false(cancel);
    assert_null(claim(s, "other"));
    usleep(1200 * 1000);
    job_claimed *k = claim(s, "other");
    assert_non_null(k);
    assert_string_equal(k->job_id, a);
    assert_int_equal(k->attempt, 2);
    assert_int_equal(job_store_heartbeat(s, a, "dead", &lost, &cancel, &e), 0);
    assert_true(lost);
    assert_int_equal(job_store_finish(s, a, "dead", "succeeded", NULL, &e), -1);
    assert_int_equal(e.kind, ERR_CONFLICT);
    /* the second worker dies too: last attempt, so the job fails */
    usleep(1200 * 1000);
    assert_null(claim(s, "third"));
    expectf("failed", "SELECT status FROM jobs WHERE id = '%s'", a);
    expectf("t", "SELECT error LIKE '%%stopped responding%%' FROM jobs WHERE id = '%s'", a);
    job_store_claimed_free(j);
    job_store_claimed_free(k);
    job_store_free(s);
}

static void test_backoff_and_max_attempts(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 20000);
    char a[37];
    enqueue(s, "r1", "inst", a);
    job_claimed *j = claim(s, "w");
    const char *now = NULL;
    err_info e = {0};
    assert_int_equal(job_store_retry(s, a, "w", "timeout talking to Azure", &now, &e), 0);
    assert_string_equal(now, "queued");
    /* first retry: 20 s * [0.5, 1) */
    expectf("t", "SELECT status = 'queued' AND run_after BETWEEN now() + interval '9.9 s'"
                 " AND now() + interval '20.1 s' AND lease_owner IS NULL FROM jobs WHERE id = '%s'", a);
    assert_null(claim(s, "w"));
    job_store_claimed_free(j);
    free(testdb_query(g_url, "UPDATE jobs SET run_after = now()"));
    j = claim(s, "w");
    assert_int_equal(j->attempt, 2);
    assert_int_equal(job_store_retry(s, a, "w", "again", &now, &e), 0);
    assert_string_equal(now, "queued");
    /* second retry: 40 s * [0.5, 1) */
    expectf("t", "SELECT run_after BETWEEN now() + interval '19.9 s' AND now() + interval '40.1 s'"
                 " FROM jobs WHERE id = '%s'", a);
    job_store_claimed_free(j);
    free(testdb_query(g_url, "UPDATE jobs SET run_after = now()"));
    j = claim(s, "w");
    assert_int_equal(j->attempt, 3);
    assert_int_equal(job_store_retry(s, a, "w", "final error", &now, &e), 0);
    assert_string_equal(now, "failed");
    expectf("failed|final error|true", "SELECT status || '|' || error || '|' || (finished_at IS NOT NULL)"
                                    " FROM jobs WHERE id = '%s'", a);
    job_store_claimed_free(j);
    job_store_free(s);
}

static void test_cancel(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 1000);
    char a[37], b[37];
    job_cancel_outcome out;
    err_info e = {0};
    enqueue(s, "c1", "i1", a);
    assert_int_equal(job_store_cancel(s, a, &out, &e), 0);
    assert_int_equal(out, JOB_CANCEL_CANCELLED);
    expectf("cancelled", "SELECT status FROM jobs WHERE id = '%s'", a);
    assert_null(claim(s, "w"));
    assert_int_equal(job_store_cancel(s, a, &out, &e), 0);
    assert_int_equal(out, JOB_CANCEL_FINISHED);
    enqueue(s, "c2", "i1", b);
    job_claimed *j = claim(s, "w");
    assert_int_equal(job_store_cancel(s, b, &out, &e), 0);
    assert_int_equal(out, JOB_CANCEL_REQUESTED);
    bool lost = true, cancel = false;
    assert_int_equal(job_store_heartbeat(s, b, "w", &lost, &cancel, &e), 0);
    assert_false(lost);
    assert_true(cancel);
    assert_int_equal(job_store_finish(s, b, "w", "cancelled", "cancelled on request", &e), 0);
    assert_int_equal(job_store_cancel(s, "00000000-0000-4000-8000-000000000000", &out, &e), -1);
    assert_int_equal(e.kind, ERR_NOT_FOUND);
    assert_int_equal(job_store_cancel(s, "'; DROP TABLE jobs; --", &out, &e), -1);
    assert_int_equal(e.kind, ERR_NOT_FOUND);
    job_store_claimed_free(j);
    job_store_free(s);
}

/* A cancel requested while a job runs is not lost when the attempt then ends
 * with a transient failure (retry) or the worker is drained (hand back): the
 * job ends cancelled instead of going back to the queue and running again. */
static void test_cancel_not_lost_on_requeue(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 1000);
    char a[37], b[37];
    job_cancel_outcome out;
    const char *now = NULL;
    err_info e = {0};
    enqueue(s, "cr1", "i1", a);
    job_claimed *j = claim(s, "w");
    assert_int_equal(job_store_cancel(s, a, &out, &e), 0);
    assert_int_equal(out, JOB_CANCEL_REQUESTED);
    assert_int_equal(job_store_retry(s, a, "w", "timeout talking to Azure", &now, &e), 0);
    assert_string_equal(now, "cancelled");
    expectf("cancelled|true|", "SELECT status || '|' || (finished_at IS NOT NULL) || '|' ||"
                            " coalesce(lease_owner, '') FROM jobs WHERE id = '%s'", a);
    free(testdb_query(g_url, "UPDATE jobs SET run_after = now()"));
    assert_null(claim(s, "w2"));
    job_store_claimed_free(j);

    enqueue(s, "cr2", "i2", b);
    j = claim(s, "w");
    assert_int_equal(job_store_cancel(s, b, &out, &e), 0);
    assert_int_equal(out, JOB_CANCEL_REQUESTED);
    assert_int_equal(job_store_hand_back(s, b, "w", &now, &e), 0);
    assert_string_equal(now, "cancelled");
    expectf("cancelled|true|", "SELECT status || '|' || (finished_at IS NOT NULL) || '|' ||"
                            " coalesce(lease_owner, '') FROM jobs WHERE id = '%s'", b);
    assert_null(claim(s, "w2"));
    job_store_claimed_free(j);
    job_store_free(s);
}

static void test_hand_back(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 1000);
    char a[37], b[37];
    err_info e = {0};
    enqueue(s, "h1", "i1", a);
    job_claimed *j = claim(s, "w");
    assert_int_equal(job_store_upload_update(s, a, "w", "sync-1", "AWAITING_UPLOADS", &e), 0);
    const char *now = NULL;
    assert_int_equal(job_store_hand_back(s, a, "w", &now, &e), 0);
    assert_string_equal(now, "queued");
    expectf("queued|0|", "SELECT status || '|' || attempts || '|' || coalesce(lease_owner, '')"
                         " FROM jobs WHERE id = '%s'", a);
    job_store_claimed_free(j);
    j = claim(s, "w2");
    assert_int_equal(j->attempt, 1);
    assert_string_equal(j->previous_sync_job_id, "sync-1");
    /* a newer queued job for the instance supersedes a handed-back one */
    assert_int_equal(enqueue(s, "h2", "i1", b), JOB_ENQUEUE_CREATED);
    assert_int_equal(job_store_hand_back(s, a, "w2", &now, &e), 0);
    assert_string_equal(now, "cancelled");
    expectf("cancelled", "SELECT status FROM jobs WHERE id = '%s'", a);
    assert_int_equal(job_store_hand_back(s, a, "w2", NULL, &e), -1);
    job_store_claimed_free(j);
    job_store_free(s);
}

static void test_progress_and_reads(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 1000);
    char a[37], b[37];
    err_info e = {0};
    enqueue(s, "p1", "i1", a);
    enqueue(s, "p2", "i2", b);
    job_step_report plan[] = {
        {.id = "step-a", .name = "Step A", .status = "pending"},
        {.id = "step-b", .name = "Step B", .status = "skipped"},
    };
    assert_int_equal(job_store_steps_planned(s, a, "w", plan, 2, &e), -1); /* not running yet */
    assert_int_equal(e.kind, ERR_CONFLICT);
    job_claimed *j = claim(s, "w");
    assert_string_equal(j->job_id, a);
    assert_int_equal(job_store_steps_planned(s, a, "w", plan, 2, &e), 0);
    job_step_report done = {.id = "step-a", .name = "Step A", .status = "failure", .entities = 5,
                            .relationships = 7, .duration_ms = 812,
                            .error = "403 on Microsoft.Compute: grant Reader"};
    assert_int_equal(job_store_step_update(s, a, "w", &done, &e), 0);
    job_step_report extra = {.id = "step-c", .status = "running"};
    assert_int_equal(job_store_step_update(s, a, "w", &extra, &e), 0);
    job_totals t = {10, 20, 30, 4};
    assert_int_equal(job_store_totals_update(s, a, "w", &t, &e), 0);
    cJSON *doc = NULL;
    assert_int_equal(job_store_get(s, a, &doc, &e), 0);
    assert_non_null(doc);
    char *text = cJSON_PrintUnformatted(doc);
    assert_null(strstr(text, SECRET));
    assert_null(strstr(text, "config"));
    assert_string_equal(cJSON_GetObjectItem(doc, "status")->valuestring, "running");
    assert_string_equal(cJSON_GetObjectItem(doc, "eventId")->valuestring, "p1");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(doc, "finishedAt")));
    assert_int_equal(strlen(cJSON_GetObjectItem(doc, "createdAt")->valuestring), 24);
    cJSON *steps = cJSON_GetObjectItem(doc, "steps");
    assert_int_equal(cJSON_GetArraySize(steps), 3);
    cJSON *s0 = cJSON_GetArrayItem(steps, 0);
    assert_string_equal(cJSON_GetObjectItem(s0, "id")->valuestring, "step-a");
    assert_string_equal(cJSON_GetObjectItem(s0, "status")->valuestring, "failure");
    assert_int_equal(cJSON_GetObjectItem(s0, "durationMs")->valuedouble, 812);
    assert_int_equal(cJSON_GetObjectItem(s0, "relationships")->valuedouble, 7);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 1), "status")->valuestring, "skipped");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 2), "name")->valuestring, "step-c");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "totals"), "apiRequests")->valuedouble, 30);
    free(text);
    cJSON_Delete(doc);
    assert_int_equal(job_store_get(s, "00000000-0000-4000-8000-000000000000", &doc, &e), 0);
    assert_null(doc);
    assert_int_equal(job_store_get(s, "not-a-uuid\"'", &doc, &e), 0);
    assert_null(doc);

    /* list: newest first, filters, limit */
    assert_int_equal(job_store_list(s, &(job_list_filter){0}, &doc, &e), 0);
    cJSON *jobs = cJSON_GetObjectItem(doc, "jobs");
    assert_int_equal(cJSON_GetArraySize(jobs), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(jobs, 0), "jobId")->valuestring, b);
    cJSON_Delete(doc);
    assert_int_equal(job_store_list(s, &(job_list_filter){.instance_id = "i1"}, &doc, &e), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "jobs")), 1);
    cJSON_Delete(doc);
    assert_int_equal(job_store_list(s, &(job_list_filter){.status = "queued", .limit = 1}, &doc, &e), 0);
    jobs = cJSON_GetObjectItem(doc, "jobs");
    assert_int_equal(cJSON_GetArraySize(jobs), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(jobs, 0), "jobId")->valuestring, b);
    cJSON_Delete(doc);
    assert_int_equal(job_store_list(s, &(job_list_filter){.status = "bogus"}, &doc, &e), -1);
    assert_int_equal(e.kind, ERR_INVALID);
    assert_int_equal(job_store_list(s, &(job_list_filter){.limit = 101}, &doc, &e), -1);

    job_store_counts counts;
    assert_int_equal(job_store_counts_get(s, &counts, &e), 0);
    assert_int_equal(counts.by_status[0], 1);
    assert_int_equal(counts.by_status[1], 1);
    assert_int_equal(counts.queue_depth, 1);

    /* after the job ends, progress is refused */
    assert_int_equal(job_store_finish(s, a, "w", "partial", "1 step failed", &e), 0);
    assert_int_equal(job_store_step_update(s, a, "w", &done, &e), -1);
    assert_int_equal(job_store_totals_update(s, a, "w", &t, &e), -1);
    job_store_claimed_free(j);
    job_store_free(s);
}

/* A worker whose lease expired while it stalled (and whose job another
 * worker retook) can no longer write progress: the new attempt's plan,
 * sync job id and totals stay, so the next attempt aborts the right sync
 * job. */
static void test_progress_refused_after_lease_retaken(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 1000);
    char a[37];
    err_info e = {0};
    enqueue(s, "lr1", "i1", a);
    job_claimed *old = claim(s, "w-old");
    job_step_report plan_old[] = {{.id = "old-step", .status = "pending"}};
    assert_int_equal(job_store_steps_planned(s, a, "w-old", plan_old, 1, &e), 0);
    assert_int_equal(job_store_upload_update(s, a, "w-old", "sync-old", "AWAITING_UPLOADS", &e),
                     0);
    free(testdb_query(g_url, "UPDATE jobs SET lease_expires_at = now() - interval '1 second'"));
    job_claimed *cur = claim(s, "w-new");
    assert_non_null(cur);
    assert_int_equal(cur->attempt, 2);
    job_step_report plan_new[] = {{.id = "new-step", .status = "running"}};
    assert_int_equal(job_store_steps_planned(s, a, "w-new", plan_new, 1, &e), 0);
    assert_int_equal(job_store_upload_update(s, a, "w-new", "sync-new", "AWAITING_UPLOADS", &e),
                     0);
    job_totals t_new = {1, 2, 3, 0};
    assert_int_equal(job_store_totals_update(s, a, "w-new", &t_new, &e), 0);

    /* the stalled worker wakes up: every progress write is refused */
    job_step_report late = {.id = "old-step", .status = "success", .entities = 99};
    job_totals t_old = {99, 99, 99, 9};
    assert_int_equal(job_store_steps_planned(s, a, "w-old", plan_old, 1, &e), -1);
    assert_int_equal(e.kind, ERR_CONFLICT);
    assert_int_equal(job_store_steps_planned(s, a, "w-old", plan_old, 0, &e), -1);
    assert_int_equal(job_store_step_update(s, a, "w-old", &late, &e), -1);
    assert_int_equal(e.kind, ERR_CONFLICT);
    assert_int_equal(job_store_upload_update(s, a, "w-old", "sync-old", "FINALIZED", &e), -1);
    assert_int_equal(e.kind, ERR_CONFLICT);
    assert_int_equal(job_store_totals_update(s, a, "w-old", &t_old, &e), -1);
    assert_int_equal(e.kind, ERR_CONFLICT);
    expectf("sync-new|AWAITING_UPLOADS|1", "SELECT upload_sync_job_id || '|' || upload_status"
            " || '|' || total_entities FROM jobs WHERE id = '%s'", a);
    expectf("new-step:running", "SELECT string_agg(step_id || ':' || status, ',')"
            " FROM job_steps WHERE job_id = '%s'", a);
    job_store_claimed_free(old);
    job_store_claimed_free(cur);
    job_store_free(s);
}

/* Runs one job of its own instance to `status` and dates its end `days`
 * ago. */
static void finished_job(job_store *s, const char *event, const char *status, int days,
                         char id[37])
{
    err_info e = {0};
    enqueue(s, event, event, id);
    job_claimed *j = claim(s, "w");
    assert_non_null(j);
    assert_string_equal(j->job_id, id);
    job_step_report st = {.id = "step", .status = "success"};
    assert_int_equal(job_store_step_update(s, id, "w", &st, &e), 0);
    assert_int_equal(job_store_finish(s, id, "w", status, NULL, &e), 0);
    job_store_claimed_free(j);
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE jobs SET finished_at = now() - make_interval(days => %d) WHERE id = '%s'",
             days, id);
    free(testdb_query(g_url, sql));
}

/* Retention: jobs that finished more than retention_days ago go (oldest
 * first, `limit` per call) with their steps and event ids; newer ones,
 * unfinished ones and a store with retention 0 keep everything; a claim
 * runs the purge by itself. */
static void test_retention_purge(void **state)
{
    (void)state;
    err_info e = {0};
    job_store *keep = store(3, 60, 1000); /* retention 0 */
    job_store_options o = {.max_attempts = 3, .lease_seconds = 60, .retention_days = 30};
    job_store *s = job_store_new(g_pool, g_crypto, &o, &e);
    assert_non_null(s);
    char old40[37], old31[37], recent[37], queued[37];
    finished_job(s, "r40", "succeeded", 40, old40);
    finished_job(s, "r31", "failed", 31, old31);
    finished_job(s, "r29", "partial", 29, recent);
    enqueue(s, "rq", "rq", queued);
    free(testdb_query(g_url, "UPDATE jobs SET created_at = now() - interval '90 days'"
                             " WHERE status = 'queued'"));
    int n = -1;
    assert_int_equal(job_store_purge_finished(keep, 100, &n, &e), 0);
    assert_int_equal(n, 0);
    assert_int_equal(job_store_purge_finished(s, 1, &n, &e), 0);
    assert_int_equal(n, 1);
    cJSON *doc = NULL;
    assert_int_equal(job_store_get(s, old40, &doc, &e), 0);
    assert_null(doc);
    assert_int_equal(job_store_get(s, old31, &doc, &e), 0);
    assert_non_null(doc);
    cJSON_Delete(doc);
    assert_int_equal(job_store_purge_finished(s, 100, &n, &e), 0);
    assert_int_equal(n, 1);
    expect("SELECT (SELECT count(*) FROM jobs) || '|' || (SELECT count(*) FROM job_steps)"
           " || '|' || (SELECT count(*) FROM job_events)", "2|1|2");
    expectf("t", "SELECT bool_and(id = '%s' OR status = 'queued') FROM jobs", recent);
    /* an event id past retention makes a new job */
    char again[37];
    assert_int_equal(enqueue(s, "r40", "r40", again), JOB_ENQUEUE_CREATED);
    assert_string_not_equal(again, old40);

    /* a claim purges on its own (the first one of a store, then at most
     * every 10 minutes) */
    free(testdb_query(g_url, "DELETE FROM jobs WHERE status = 'queued'"));
    char old50[37];
    finished_job(keep, "r50", "cancelled", 50, old50);
    job_store *s2 = job_store_new(g_pool, g_crypto, &o, &e);
    job_claimed *j = claim(s2, "w2");
    job_store_claimed_free(j);
    expectf("0", "SELECT count(*) FROM jobs WHERE id = '%s'", old50);
    job_store_free(s2);
    job_store_free(s);
    job_store_free(keep);
}

static void test_undecryptable(void **state)
{
    (void)state;
    job_store *s = store(3, 60, 1000);
    char a[37];
    enqueue(s, "k1", "i1", a);
    err_info e = {0};
    config_crypto *other = config_crypto_new(KEY2, NULL, &e);
    job_store *s2 = job_store_new(g_pool, other, NULL, &e);
    assert_null(claim(s2, "w"));
    expectf("failed|true", "SELECT status || '|' || (error LIKE '%%unknown key%%') FROM jobs WHERE id = '%s'", a);
    /* a ciphertext moved to another row fails authentication */
    char b[37], c[37];
    enqueue(s, "k2", "i2", b);
    enqueue(s, "k3", "i3", c);
    char sql[300];
    snprintf(sql, sizeof sql, "UPDATE jobs SET config_enc = (SELECT config_enc FROM jobs WHERE id = '%s'),"
                              " created_at = now() - interval '1 hour' WHERE id = '%s'", c, b);
    free(q(sql));
    assert_null(claim(s, "w"));
    expectf("failed|true", "SELECT status || '|' || (error LIKE '%%authentication%%') FROM jobs WHERE id = '%s'", b);
    job_store_free(s2);
    config_crypto_free(other);
    job_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_enqueue_idempotent_and_coalesce, setup),
        cmocka_unit_test_setup(test_concurrent_posts, setup),
        cmocka_unit_test_setup(test_concurrent_claims, setup),
        cmocka_unit_test_setup(test_one_instance_at_a_time, setup),
        cmocka_unit_test_setup(test_lease_expiry, setup),
        cmocka_unit_test_setup(test_backoff_and_max_attempts, setup),
        cmocka_unit_test_setup(test_cancel, setup),
        cmocka_unit_test_setup(test_cancel_not_lost_on_requeue, setup),
        cmocka_unit_test_setup(test_hand_back, setup),
        cmocka_unit_test_setup(test_progress_and_reads, setup),
        cmocka_unit_test_setup(test_progress_refused_after_lease_retaken, setup),
        cmocka_unit_test_setup(test_retention_purge, setup),
        cmocka_unit_test_setup(test_undecryptable, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
