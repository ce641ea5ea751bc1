/* Crash recovery across processes: serve A takes a job whose Azure reads are
 * slow, is killed with SIGKILL in the middle of it; serve B, started on the
 * same database, takes the job again once A's lease has expired and runs it
 * to the end exactly once: the job has two attempts and one final status,
 * JupiterOne saw two synchronization jobs of which exactly one was
 * finalized (the dead attempt's one aborted) and that one is the job's
 * upload.syncJobId; nothing changes afterwards (no third run). */
#include "svc_fixture.h"

#include "common/json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define LEASE_S 5

static int setup(void **state)
{
    fake_azure_tenant t = {.users = 6, .groups = 2, .members = 4, .service_principals = 2,
                           .subscriptions = 1, .resource_groups = 1, .resources = 1};
    return svc_fixture_open(state, "crash", &t);
}

static size_t j1_finalized_with_id(fake_j1 *j1, const char *sync_id, size_t *finalized_total)
{
    char *js = fake_j1_summary_json(j1);
    cJSON *s = cJSON_Parse(js);
    free(js);
    size_t match = 0, total = 0;
    const cJSON *j;
    cJSON_ArrayForEach(j, json_get(s, "jobs")) {
        const char *st = json_get_string(j, "status");
        if (st && strcmp(st, "FINALIZE_PENDING") == 0) {
            total++;
            match += sync_id && strcmp(json_get_string(j, "id"), sync_id) == 0;
        }
    }
    cJSON_Delete(s);
    *finalized_total = total;
    return match;
}

static void test_kill9_then_other_replica_finishes_once(void **state)
{
    svc_fixture *f = *state;
    /* Every Azure request takes 700 ms while A runs: the job is in the
     * middle of its steps for many seconds. */
    fake_azure_fault slow = {.match = "/", .kind = FAKE_FAULT_DELAY, .delay_ms = 700};
    assert_int_equal(fake_azure_add_fault(f->azure, &slow), 0);

    proc_serve *a = svc_serve(f, 0, &(svc_serve_options){.workers = 1, .lease_seconds = LEASE_S});
    assert_non_null(a);
    char *body = svc_event_body(f, "evt-crash-1", "inst-crash-1", NULL, true);
    char job[64];
    assert_int_equal(svc_post_event(f, a, body, job), 202);
    assert_true(job[0]);

    /* Wait until A runs the job, has started its JupiterOne sync job and has
     * recorded that sync job's id in the row (so that the kill lands in the
     * middle of collection and upload, and B knows which sync job to abort).
     * A process killed between the fake's answer and that write leaves a sync
     * job nobody aborts; it is never finalized either, so the upload is still
     * exactly once, but the abort count below would not hold. */
    char recorded_sql[256];
    snprintf(recorded_sql, sizeof recorded_sql,
             "SELECT (upload_sync_job_id IS NOT NULL)::int FROM jobs WHERE id = '%s'", job);
    long long end = proc_now_ms() + 120000;
    fake_j1_counts jc = {0};
    bool running = false, recorded = false;
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s", job);
    while (proc_now_ms() < end) {
        fake_j1_counts_get(f->j1, &jc);
        cJSON *doc = NULL;
        svc_get(f, a, path, &doc);
        const char *st = json_get_string(doc, "status");
        running = st && strcmp(st, "running") == 0;
        bool final = svc_final_status(st);
        cJSON_Delete(doc);
        if (final) {
            svc_print_log(f, 0);
            fail_msg("the job finished before it could be killed: make the fake slower");
        }
        recorded = running && svc_sql_int(f, recorded_sql) == 1;
        if (running && jc.jobs_started >= 1 && recorded)
            break;
        proc_sleep_ms(50);
    }
    if (!(running && jc.jobs_started >= 1 && recorded))
        svc_print_log(f, 0);
    assert_true(running);
    assert_true(recorded);
    assert_int_equal(jc.jobs_started, 1);
    assert_int_equal(jc.finalizes, 0);

    proc_serve_kill9(a);
    assert_false(proc_child_running(proc_serve_child(a)));
    /* The database still says running, leased to the dead process. */
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT lease_owner FROM jobs WHERE id = '%s' AND status = 'running'",
             job);
    char *owner_a = svc_sql(f, sql);
    assert_non_null(owner_a);
    assert_true(owner_a[0]);
    snprintf(sql, sizeof sql, "SELECT lease_expires_at::text FROM jobs WHERE id = '%s'", job);
    char *expiry = svc_sql(f, sql);
    assert_non_null(expiry);
    assert_true(expiry[0]);

    fake_azure_clear_faults(f->azure);  /* B's attempt runs at full speed */
    proc_serve *b = svc_serve(f, 1, &(svc_serve_options){.workers = 2, .lease_seconds = LEASE_S});
    assert_non_null(b);

    /* Watch the row: B may hold it only after A's lease expired (database
     * clock), and it reaches a final status. */
    snprintf(sql, sizeof sql,
             "SELECT status || '|' || (lease_owner IS NOT NULL AND lease_owner <> '%s')::int"
             " || '|' || (now() >= '%s'::timestamptz)::int FROM jobs WHERE id = '%s'",
             owner_a, expiry, job);
    long long end2 = proc_now_ms() + 240000;
    bool retaken_seen = false, done = false;
    while (!done && proc_now_ms() < end2) {
        char *row = svc_sql(f, sql);
        assert_non_null(row);
        char st[32] = "";
        int other = 0, expired = 0;
        assert_int_equal(sscanf(row, "%31[a-z]|%d|%d", st, &other, &expired), 3);
        free(row);
        if (strcmp(st, "running") == 0 && other) {
            retaken_seen = true;
            assert_int_equal(expired, 1);
        }
        done = svc_final_status(st);
        if (!done)
            proc_sleep_ms(100);
    }
    if (!done)
        svc_print_log(f, 1);
    assert_true(done);
    fprintf(stderr, "B was seen holding the job: %s\n", retaken_seen ? "yes" : "no (too fast)");
    snprintf(sql, sizeof sql, "SELECT (finished_at > '%s'::timestamptz)::int FROM jobs WHERE id = '%s'",
             expiry, job);
    assert_int_equal(svc_sql_int(f, sql), 1);
    free(owner_a);
    free(expiry);

    cJSON *doc = svc_wait_job(f, b, job, NULL, 30000);
    assert_non_null(doc);
    const char *status = json_get_string(doc, "status");
    if (strcmp(status, "succeeded") != 0) {
        char *txt = cJSON_Print(doc);
        fprintf(stderr, "job document: %s\n", txt);
        free(txt);
        svc_print_log(f, 1);
    }
    assert_string_equal(status, "succeeded");
    double attempts = 0;
    assert_true(json_get_number(doc, "attempts", &attempts));
    assert_int_equal((int)attempts, 2);
    const char *sync_id = json_path_string(doc, "upload.syncJobId");
    assert_non_null(sync_id);
    char sync_copy[128];
    snprintf(sync_copy, sizeof sync_copy, "%s", sync_id);
    cJSON_Delete(doc);

    fake_j1_counts_get(f->j1, &jc);
    size_t finalized = 0;
    assert_int_equal(j1_finalized_with_id(f->j1, sync_copy, &finalized), 1);
    assert_int_equal(finalized, 1);
    assert_int_equal(jc.finalizes, 1);
    assert_int_equal(jc.jobs_started, 2);
    assert_int_equal(jc.aborts, 1);   /* the dead attempt's sync job */
    assert_int_equal(proc_http_metric(proc_serve_url(b), "jobs_finished_total{status=\"succeeded\"}"), 1);

    /* Exactly once: two more leases later nothing ran again. */
    proc_sleep_ms(2 * LEASE_S * 1000 + 1000);
    fake_j1_counts c2;
    fake_j1_counts_get(f->j1, &c2);
    assert_int_equal(c2.jobs_started, 2);
    assert_int_equal(c2.finalizes, 1);
    snprintf(sql, sizeof sql, "SELECT status || ':' || attempts FROM jobs WHERE id = '%s'", job);
    char *v = svc_sql(f, sql);
    assert_non_null(v);
    assert_string_equal(v, "succeeded:2");
    free(v);
    assert_int_equal(svc_sql_int(f, "SELECT count(*) FROM jobs"), 1);
    assert_int_equal(proc_http_metric(proc_serve_url(b), "jobs_finished_total{status=\"succeeded\"}"), 1);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill9_then_other_replica_finishes_once, setup,
                                        svc_fixture_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
