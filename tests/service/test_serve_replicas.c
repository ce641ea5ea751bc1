/* Two serve processes on one database, 200 events for 200 instances posted
 * alternately to both (and 40 of them posted again to the other replica):
 * every event is one job, every job runs exactly once (one attempt, one
 * final status, one finalized JupiterOne sync job, uploads counted once),
 * and both replicas did part of the work. */
#include "svc_fixture.h"

#include "common/json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define EVENTS 200
#define REPOSTS 40

static int setup(void **state)
{
    static svc_fixture f;
    /* A small tenant: the test is about the queue, not the steps. */
    fake_azure_tenant t = {.users = 2, .groups = 1, .members = 1, .service_principals = 1,
                           .subscriptions = 1, .resource_groups = 1, .resources = 1};
    if (svc_fixture_setup(&f, "replicas", &t) != 0) {
        svc_fixture_teardown(&f);
        return -1;
    }
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    svc_fixture_teardown(*state);
    return 0;
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

    long long end = proc_now_ms() + 720000;
    long long finished = 0;
    while (proc_now_ms() < end) {
        finished = svc_sql_int(f, "SELECT count(*) FROM jobs WHERE status IN "
                                  "('succeeded','partial','failed','cancelled')");
        if (finished == EVENTS)
            break;
        proc_sleep_ms(500);
    }
    if (finished != EVENTS) {
        svc_print_log(f, 0);
        svc_print_log(f, 1);
    }
    assert_int_equal(finished, EVENTS);

    /* Database: one job per event, each one attempt, succeeded. */
    assert_int_equal(svc_sql_int(f, "SELECT count(*) FROM jobs"), EVENTS);
    assert_int_equal(svc_sql_int(f, "SELECT count(*) FROM job_events"), EVENTS);
    assert_int_equal(svc_sql_int(f, "SELECT count(DISTINCT instance_id) FROM jobs"), EVENTS);
    long long ok = svc_sql_int(f, "SELECT count(*) FROM jobs WHERE status = 'succeeded'");
    if (ok != EVENTS) {
        char *e = svc_sql(f, "SELECT status || ': ' || coalesce(error, '') FROM jobs "
                             "WHERE status <> 'succeeded' LIMIT 1");
        fprintf(stderr, "a job did not succeed: %s\n", e ? e : "?");
        free(e);
    }
    assert_int_equal(ok, EVENTS);
    assert_int_equal(svc_sql_int(f, "SELECT count(*) FROM jobs WHERE attempts <> 1"), 0);
    assert_int_equal(svc_sql_int(f, "SELECT count(DISTINCT upload_sync_job_id) FROM jobs"), EVENTS);

    /* JupiterOne: one sync job per job, each finalized once, none aborted,
     * and exactly the objects the jobs report (nothing uploaded twice). */
    fake_j1_counts jc;
    fake_j1_counts_get(f->j1, &jc);
    assert_int_equal(jc.jobs_started, EVENTS);
    assert_int_equal(jc.finalizes, EVENTS);
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
    assert_int_equal((long long)(n0 + n1), EVENTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_replicas_run_every_job_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
