/* Two serve processes on one database, 200 events for 200 instances posted
 * alternately to both (and 40 of them posted again to the other replica),
 * plus 20 events each posted to both replicas at the same instant (one
 * 202, one 200 with the same job): every event is one job, every job runs exactly once (one attempt, one
 * final status, one finalized JupiterOne sync job, uploads counted once),
 * and both replicas did part of the work. */
#include "svc_fixture.h"

#include "common/json.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define EVENTS 200
#define REPOSTS 40
#define RACES 20
#define JOBS (EVENTS + RACES)

/* One of two simultaneous posts of the same event. */
typedef struct racer {
    pthread_barrier_t *start;
    const char *url, *secret, *body;
    long status;
    char job[64];
} racer;

static void *race_post(void *arg)
{
    racer *r = arg;
    proc_http *h = proc_http_new();
    proc_http_answer a = {0};
    pthread_barrier_wait(r->start);
    r->status = 0;
    r->job[0] = '\0';
    if (h && proc_http_post_event(h, r->url, r->secret, 0, r->body, 30000, &a) == 0) {
        r->status = a.status;
        cJSON *d = cJSON_Parse(a.body);
        const char *id = json_get_string(d, "jobId");
        snprintf(r->job, sizeof r->job, "%s", id ? id : "");
        cJSON_Delete(d);
    }
    proc_http_answer_free(&a);
    proc_http_free(h);
    return NULL;
}

static int setup(void **state)
{
    /* A small tenant: the test is about the queue, not the steps. */
    fake_azure_tenant t = {.users = 2, .groups = 1, .members = 1, .service_principals = 1,
                           .subscriptions = 1, .resource_groups = 1, .resources = 1};
    return svc_fixture_open(state, "replicas", &t);
}

static void test_two_replicas_run_every_job_once(void **state)
{
    svc_fixture *f = *state;
    svc_serve_options so = {.workers = 4, .lease_seconds = 30};
    proc_serve *s[2] = {svc_serve(f, 0, &so), svc_serve(f, 1, &so)};
    assert_non_null(s[0]);
    assert_non_null(s[1]);

    static char jobs[EVENTS][64];
    for (int i = 0; i < EVENTS; i++) {
        char ev[64], inst[64];
        snprintf(ev, sizeof ev, "evt-rep-%03d", i);
        snprintf(inst, sizeof inst, "inst-rep-%03d", i);
        char *body = svc_event_body(f, ev, inst, NULL, false);
        long st = svc_post_event(f, s[i % 2], body, jobs[i]);
        free(body);
        if (st != 202)
            svc_print_log(f, i % 2);
        assert_int_equal(st, 202);
        for (int k = 0; k < i; k++)
            assert_string_not_equal(jobs[k], jobs[i]);
    }
    /* The same events again, each to the other replica: no second job. */
    for (int i = 0; i < REPOSTS; i++) {
        int e = i * (EVENTS / REPOSTS);
        char ev[64], inst[64], job[64];
        snprintf(ev, sizeof ev, "evt-rep-%03d", e);
        snprintf(inst, sizeof inst, "inst-rep-%03d", e);
        char *body = svc_event_body(f, ev, inst, NULL, false);
        assert_int_equal(svc_post_event(f, s[(e + 1) % 2], body, job), 200);
        assert_string_equal(job, jobs[e]);
        free(body);
    }

    /* The same new event to both replicas at once: one job. */
    for (int i = 0; i < RACES; i++) {
        char ev[64], inst[64];
        snprintf(ev, sizeof ev, "evt-race-%02d", i);
        snprintf(inst, sizeof inst, "inst-race-%02d", i);
        char *body = svc_event_body(f, ev, inst, NULL, false);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, 2);
        racer r[2];
        pthread_t th[2];
        for (int k = 0; k < 2; k++) {
            r[k] = (racer){.start = &start, .url = proc_serve_url(s[k]),
                           .secret = f->webhook_secret, .body = body};
            assert_int_equal(pthread_create(&th[k], NULL, race_post, &r[k]), 0);
        }
        for (int k = 0; k < 2; k++)
            pthread_join(th[k], NULL);
        pthread_barrier_destroy(&start);
        free(body);
        long lo = r[0].status < r[1].status ? r[0].status : r[1].status;
        long hi = r[0].status < r[1].status ? r[1].status : r[0].status;
        if (lo != 200 || hi != 202)
            fprintf(stderr, "race %d: answers %ld and %ld\n", i, r[0].status, r[1].status);
        assert_int_equal(lo, 200);
        assert_int_equal(hi, 202);
        assert_true(r[0].job[0]);
        assert_string_equal(r[0].job, r[1].job);
    }

    long long end = proc_now_ms() + 720000;
    long long finished = 0;
    while (proc_now_ms() < end) {
        finished = svc_sql_int(f, "SELECT count(*) FROM jobs WHERE status IN "
                                  "('succeeded','partial','failed','cancelled')");
        if (finished == JOBS)
            break;
        proc_sleep_ms(500);
    }
    if (finished != JOBS) {
        svc_print_log(f, 0);
        svc_print_log(f, 1);
    }
    assert_int_equal(finished, JOBS);

    /* Database: one job per event, each one attempt, succeeded. */
    assert_int_equal(svc_sql_int(f, "SELECT count(*) FROM jobs"), JOBS);
    assert_int_equal(svc_sql_int(f, "SELECT count(*) FROM job_events"), JOBS);
    assert_int_equal(svc_sql_int(f, "SELECT count(DISTINCT instance_id) FROM jobs"), JOBS);
    long long ok = svc_sql_int(f, "SELECT count(*) FROM jobs WHERE status = 'succeeded'");
    if (ok != JOBS) {
        char *e = svc_sql(f, "SELECT status || ': ' || coalesce(error, '') FROM jobs "
                             "WHERE status <> 'succeeded' LIMIT 1");
        fprintf(stderr, "a job did not succeed: %s\n", e ? e : "?");
        free(e);
    }
    assert_int_equal(ok, JOBS);
    assert_int_equal(svc_sql_int(f, "SELECT count(*) FROM jobs WHERE attempts <> 1"), 0);
    assert_int_equal(svc_sql_int(f, "SELECT count(DISTINCT upload_sync_job_id) FROM jobs"), JOBS);

    /* JupiterOne: one sync job per job, each finalized once, none aborted,
     * and exactly the objects the jobs report (nothing uploaded twice). */
    fake_j1_counts jc;
    fake_j1_counts_get(f->j1, &jc);
    assert_int_equal(jc.jobs_started, JOBS);
    assert_int_equal(jc.finalizes, JOBS);
    assert_int_equal(jc.aborts, 0);
    assert_int_equal(jc.bad_requests, 0);
    long long ents = svc_sql_int(f, "SELECT sum(total_entities) FROM jobs");
    long long rels = svc_sql_int(f, "SELECT sum(total_relationships) FROM jobs");
    assert_true(ents > 0);
    assert_int_equal((long long)jc.entities, ents);
    assert_int_equal((long long)jc.relationships, rels);
    /* Every job produced the same graph (same tenant). */
    assert_int_equal(svc_sql_int(f, "SELECT count(DISTINCT total_entities) FROM jobs"), 1);

    /* Each replica ran some of them, together each exactly once. */
    double n0 = proc_http_metric(proc_serve_url(s[0]), "jobs_finished_total{status=\"succeeded\"}");
    double n1 = proc_http_metric(proc_serve_url(s[1]), "jobs_finished_total{status=\"succeeded\"}");
    fprintf(stderr, "replica 0 finished %.0f jobs, replica 1 finished %.0f\n", n0, n1);
    assert_true(n0 > 0);
    assert_true(n1 > 0);
    assert_int_equal((long long)(n0 + n1), JOBS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_replicas_run_every_job_once, setup,
                                        svc_fixture_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
