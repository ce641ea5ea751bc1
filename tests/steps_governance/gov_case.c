/*
 * gov_case: runs one data-driven case (see gov_case.h).
 *
 * Fake Azure serves the case's recordings (plus injected faults); an
 * azure_job is built against it with a test instance (id
 * "azure-instance-0001", name "Azure Test Instance" — the values
 * derive_expected.py uses) and validated like a real job; the steps run one
 * after another on the engine through the step harness; the produced graph is
 * reduced to what the last step added and compared with the expected
 * file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps_governance/gov_case.h"

#include "common/json.h"
#include "engine/step.h"
#include "fakes/fake_azure.h"
#include "steps/azure_job.h"
#include "steps/registry.h"
#include "support/step_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INSTANCE_ID "azure-instance-0001"
#define INSTANCE_NAME "Azure Test Instance"

static cJSON *load_json_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (!j)
        fail_msg("%s is not JSON", path);
    return j;
}

static bool has_key(const cJSON *graph, const char *part, const char *key)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(graph, part))
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "_key"));
        if (k && strcmp(k, key) == 0)
            return true;
    }
    return false;
}

/* The objects of `after` that are not in `before`: what the last step
 * produced. */
static cJSON *graph_difference(const cJSON *after, const cJSON *before)
{
    cJSON *out = cJSON_CreateObject();
    const char *parts[] = {"entities", "relationships"};
    for (int p = 0; p < 2; p++) {
        cJSON *arr = cJSON_AddArrayToObject(out, parts[p]);
        const cJSON *o;
        cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(after, parts[p]))
        {
            const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "_key"));
            if (k && !has_key(before, parts[p], k))
                cJSON_AddItemToArray(arr, cJSON_Duplicate(o, 1));
        }
    }
    return out;
}

/* The fake rewrites absolute URLs of the hosts it fakes inside answers (so
 * that nextLinks lead back to it), e.g. service principal names.  Both
 * sides are compared with those hosts replaced by one placeholder. */
static void normalize_hosts(cJSON *node, const char *const *prefixes)
{
    cJSON *child;
    cJSON_ArrayForEach(child, node)
    {
        if (cJSON_IsString(child)) {
            for (size_t i = 0; prefixes[i]; i++) {
                size_t n = strlen(prefixes[i]);
                if (strncmp(child->valuestring, prefixes[i], n) != 0)
                    continue;
                char buf[2048];
                snprintf(buf, sizeof buf, "https://azure.invalid%s", child->valuestring + n);
                cJSON_SetValuestring(child, buf);
                break;
            }
        } else if (cJSON_IsObject(child) || cJSON_IsArray(child)) {
            normalize_hosts(child, prefixes);
        }
    }
}

static const char *const azure_hosts[] = {"https://graph.microsoft.com",
                                          "https://management.azure.com",
                                          "https://login.microsoftonline.com", NULL};

void gov_case_run(const gov_case *c, cJSON **out, char *out_error, size_t error_size)
{
    fake_azure *fake = fake_azure_start(NULL);
    assert_non_null(fake);
    char path[2048];
    for (size_t i = 0; i < GOV_MAX && c->hars[i]; i++) {
        snprintf(path, sizeof path, "%s/tests/fixtures/azure-recordings/%s", AI_SOURCE_DIR,
                 c->hars[i]);
        if (fake_azure_load_har(fake, path) <= 0)
            fail_msg("cannot load %s", path);
    }
    if (c->tenant)
        assert_int_equal(fake_azure_generate(fake, c->tenant), 0);
    else if (!c->subscription)   /* validation lists subscriptions: none readable */
        assert_int_equal(fake_azure_add_response(fake, "GET", "/subscriptions?api-version=2016-06-01",
                                                 200, "application/json", "{\"value\":[]}"),
                         0);
    for (size_t i = 0; i < GOV_MAX && c->faults[i].match; i++) {
        fake_azure_fault f = {.match = c->faults[i].match, .kind = FAKE_FAULT_STATUS,
                              .status = c->faults[i].status, .body = c->faults[i].body,
                              .times = c->faults[i].times,
                              .retry_after = c->faults[i].retry_after};
        assert_int_equal(fake_azure_add_fault(fake, &f), 0);
    }

    azure_endpoints ep;
    memset(&ep, 0, sizeof ep);
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake_azure_url(fake));
    snprintf(ep.graph, sizeof ep.graph, "%s", fake_azure_url(fake));
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake_azure_url(fake));
    snprintf(ep.storage_suffix, sizeof ep.storage_suffix, "core.windows.net");
    /* storage data-plane hosts are served by the fake under /__storage/ */
    snprintf(ep.storage_url_template, sizeof ep.storage_url_template,
             "%s/__storage/{account}/{service}", fake_azure_url(fake));

    cJSON *config = cJSON_CreateObject();
    cJSON_AddStringToObject(config, "clientId", "test-client-id");
    cJSON_AddStringToObject(config, "clientSecret", "test-client-secret");
    cJSON_AddStringToObject(config, "directoryId", "992d7bbe-b367-459c-a10f-cf3fd16103ab");
    if (c->subscription)
        cJSON_AddStringToObject(config, "subscriptionId", c->subscription);
    cJSON_AddBoolToObject(config, "ingestActiveDirectory", c->ingest_active_directory);
    azure_instance_info inst = {.instance_id = INSTANCE_ID, .instance_name = INSTANCE_NAME,
                                .account_id = "j1-account"};
    azure_job *job = NULL;
    err_info err = {0};
    if (azure_job_new(config, &inst, &ep, &job, &err) != 0)
        fail_msg("azure_job_new: %s", err.message);
    if (azure_job_validate(job, &err) != 0)
        fail_msg("azure_job_validate: %s (%s)", err.message, err.hint);

    step_harness *h = step_harness_new(job);
    assert_non_null(h);
    for (size_t i = 0; i < GOV_MAX && c->seed[i]; i++) {
        cJSON *e = cJSON_Parse(c->seed[i]);
        assert_non_null(e);
        if (step_harness_seed_entity(h, e, &err) != 0)
            fail_msg("seeding %s: %s", c->seed[i], err.message);
    }
    const step_def *last = NULL;
    cJSON *before = NULL;
    for (size_t i = 0; i < GOV_MAX && c->steps[i]; i++) {
        if (i + 1 == GOV_MAX || !c->steps[i + 1]) {
            before = step_harness_graph(h);
            assert_non_null(before);
        }
        last = registry_find(c->steps[i]);
        if (!last)
            fail_msg("unknown step %s", c->steps[i]);
        err_info se = {0};
        int rc = step_harness_run(h, last, &se);
        bool should_fail = c->failing_step && strcmp(c->failing_step, last->id) == 0;
        if (should_fail) {
            if (rc == 0)
                fail_msg("step %s succeeded; a failure was expected", last->id);
            if (out_error)
                snprintf(out_error, error_size, "%s (hint: %s)", se.message, se.hint);
        } else if (rc != 0) {
            fail_msg("step %s failed: %s (%s)", last->id, se.message, se.hint);
        }
    }

    cJSON *graph = step_harness_graph(h);
    assert_non_null(graph);
    const char *fake_host[] = {fake_azure_url(fake), NULL};
    normalize_hosts(graph, fake_host);
    if (c->expected) {
        if (strchr(c->expected, '/'))   /* another suite's file, relative to the source tree */
            snprintf(path, sizeof path, "%s/%s", AI_SOURCE_DIR, c->expected);
        else
            snprintf(path, sizeof path, "%s/tests/steps_governance/expected/%s.json",
                     AI_SOURCE_DIR, c->expected);
        cJSON *expected = load_json_file(path);
        normalize_hosts(expected, azure_hosts);
        cJSON *actual = graph_difference(graph, before);
        gov_graph_assert_equal(expected, actual);
        cJSON_Delete(actual);
        cJSON_Delete(expected);
    }
    cJSON_Delete(before);
    if (out)
        *out = graph;
    else
        cJSON_Delete(graph);

    /* Every request the steps made was answered by a recording or a fault. */
    for (size_t i = 0; i < fake_azure_unmatched_count(fake); i++) {
        char req[1024];
        fake_azure_unmatched(fake, i, req, sizeof req);
        fprintf(stderr, "unmatched request: %s\n", req);
    }
    assert_int_equal(fake_azure_unmatched_count(fake), 0);

    step_harness_free(h);
    azure_job_free(job);
    cJSON_Delete(config);
    fake_azure_stop(fake);
}
