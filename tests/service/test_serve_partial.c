/* A step that Azure refuses (403 on the managed-disk list) does not fail
 * the job (contract, "Jobs"): the job ends `partial`; the step reports
 * `failure` with an error that names the missing permission; the step
 * that depends on it, and the three that relate findings, policy
 * assignments and alerts to resources of any type (they depend on every
 * resource step, STEP_DEPENDS_RM_FIRST), still run as in the SDK
 * (partial_success_due_to_dependency_failure: `success` in the job API), so
 * their own data arrives; and the finalize call sends JupiterOne, as
 * partial datasets, exactly the declared types of those five steps
 * (jupiterone.md §2.5), so existing data of those types is kept while the
 * rest of the graph is replaced. */
#include "svc_fixture.h"

#include "common/json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FAILED_STEP "rm-compute-virutal-machine-disks"
static const char *const dependents[] = {"rm-compute-virtual-machine-disk-relationships",
                                       "rm-advisor-recommendations", "rm-policy-assignments",
                                       "rm-monitor-activity-log-alert-scope-relationships"};

static int setup(void **state)
{
    fake_azure_tenant t = {.users = 4, .groups = 2, .members = 3, .service_principals = 2,
                           .subscriptions = 1, .resource_groups = 1, .resources = 1};
    return svc_fixture_open(state, "partial", &t);
}

static const cJSON *step_named(const cJSON *doc, const char *id)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, json_get(doc, "steps"))
    {
        const char *sid = json_get_string(s, "id");
        if (sid && strcmp(sid, id) == 0)
            return s;
    }
    return NULL;
}

static bool has_string(const cJSON *array, const char *s)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, array)
    {
        if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0)
            return true;
    }
    return false;
}

static void test_forbidden_step_ends_partial(void **state)
{
    svc_fixture *f = *state;
    fake_azure_fault deny = {.match = "/providers/Microsoft.Compute/disks?",
                             .kind = FAKE_FAULT_STATUS, .status = 403};
    assert_int_equal(fake_azure_add_fault(f->azure, &deny), 0);
    proc_serve *s = svc_serve(f, 0, &(svc_serve_options){.workers = 1});
    assert_non_null(s);

    char *body = svc_event_body(f, "evt-partial-1", "inst-partial-1", NULL, true);
    char job[64];
    assert_int_equal(svc_post_event(f, s, body, job), 202);
    cJSON *doc = svc_wait_job(f, s, job, NULL, 300000);
    if (!doc)
        svc_print_log(f, 0);
    assert_non_null(doc);
    assert_string_equal(json_get_string(doc, "status"), "partial");
    assert_int_equal((int)cJSON_GetNumberValue(json_get(doc, "attempts")), 1);

    /* The refused step failed and says what to grant. */
    const cJSON *failed = step_named(doc, FAILED_STEP);
    assert_non_null(failed);
    assert_string_equal(json_get_string(failed, "status"), "failure");
    const char *why = json_get_string(failed, "error");
    assert_non_null(why);
    assert_non_null(strstr(why, "403"));
    assert_non_null(strstr(why, "Microsoft.Compute/disks/read"));
    assert_non_null(strstr(why, "Reader role"));
    /* Its dependents ran; everything else succeeded too (or was disabled
     * by the configuration: `skipped`). */
    for (size_t i = 0; i < sizeof dependents / sizeof *dependents; i++) {
        const cJSON *dep = step_named(doc, dependents[i]);
        assert_non_null(dep);
        assert_string_equal(json_get_string(dep, "status"), "success");
        assert_non_null(json_get(dep, "durationMs"));
    }
    size_t failures = 0, successes = 0;
    const cJSON *st;
    cJSON_ArrayForEach(st, json_get(doc, "steps"))
    {
        const char *status = json_get_string(st, "status");
        assert_non_null(status);
        if (strcmp(status, "failure") == 0) {
            failures++;
            if (strcmp(json_get_string(st, "id"), FAILED_STEP) != 0)
                fprintf(stderr, "step %s failed: %s\n", json_get_string(st, "id"),
                        json_get_string(st, "error"));
        }
        else if (strcmp(status, "success") == 0)
            successes++;
        else
            assert_string_equal(status, "skipped");
    }
    assert_int_equal(failures, 1);
    assert_true(successes > 50);
    cJSON_Delete(doc);

    /* JupiterOne: one sync job, finalized with exactly those types. */
    char status[64], partial[4096], reason[256];
    assert_true(fake_j1_last_job(f->j1, status, sizeof status, partial, sizeof partial, reason,
                                 sizeof reason));
    fake_j1_counts jc;
    fake_j1_counts_get(f->j1, &jc);
    assert_int_equal(jc.jobs_started, 1);
    assert_int_equal(jc.finalizes, 1);
    assert_int_equal(jc.aborts, 0);
    cJSON *types = cJSON_Parse(partial);
    assert_non_null(types);
    assert_true(cJSON_IsArray(types));
    const char *expected[] = {
        /* the refused step */
        "azure_managed_disk", "azure_resource_group_has_managed_disk",
        /* its dependents */
        "azure_vm_uses_storage_account", "azure_vm_uses_managed_disk",
        "azure_advisor_recommendation", "azure_assessment_identified_recommendation",
        "azure_resource_has_finding", "azure_policy_assignment",
        "azure_resource_has_policy_assignment",
        "azure_monitor_activity_log_alert_monitors_azure_scope"};
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++) {
        if (!has_string(types, expected[i]))
            fprintf(stderr, "partial datasets %s lack %s\n", partial, expected[i]);
        assert_true(has_string(types, expected[i]));
    }
    if ((size_t)cJSON_GetArraySize(types) != sizeof expected / sizeof *expected)
        fprintf(stderr, "partial datasets: %s\n", partial);
    assert_int_equal(cJSON_GetArraySize(types), sizeof expected / sizeof *expected);
    cJSON_Delete(types);
    /* The rest of the graph arrived; nothing of the refused type did. */
    char *summary = fake_j1_summary_json(f->j1);
    cJSON *sum = cJSON_Parse(summary);
    assert_non_null(sum);
    const cJSON *by_type = json_get(sum, "types");
    assert_int_equal((int)cJSON_GetNumberValue(json_get(by_type, "azure_user")), 4);
    assert_true(cJSON_GetNumberValue(json_get(by_type, "azure_vm")) >= 1);
    assert_true(cJSON_GetNumberValue(json_get(by_type, "azure_storage_account")) >= 1);
    assert_null(json_get(by_type, "azure_managed_disk"));
    /* the dependents' own data is fresh: they ran */
    assert_true(cJSON_GetNumberValue(json_get(by_type, "azure_policy_assignment")) >= 1);
    assert_true(cJSON_GetNumberValue(json_get(by_type, "azure_advisor_recommendation")) >= 1);
    cJSON_Delete(sum);
    free(summary);
    assert_int_equal(jc.bad_requests, 0);

    int code = -1;
    assert_int_equal(proc_serve_term(s, 40000, &code, NULL), 1);
    assert_int_equal(code, 0);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forbidden_step_ends_partial),
    };
    return cmocka_run_group_tests(tests, setup, svc_fixture_close);
}
