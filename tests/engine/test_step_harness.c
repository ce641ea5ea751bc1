/* step_harness on the engine: whole-run form against a generated fake
 * tenant (AD steps), statuses, a disabled step, and the seed/run/graph
 * form with a case-insensitive duplicate. */
#include "common/json.h"
#include "fakes/fake_azure.h"
#include "steps/registry.h"
#include "support/step_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static size_t count_type(const cJSON *arr, const char *type)
{
    size_t n = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) n += strcmp(json_get_string(o, "_type"), type) == 0;
    return n;
}

static void test_run_ids(void **state)
{
    (void)state;
    fake_azure_options opts = {0};
    fake_azure *fa = fake_azure_start(&opts);
    assert_non_null(fa);
    fake_azure_tenant t = {.users = 30, .groups = 3, .members = 10, .service_principals = 2,
                           .subscriptions = 1, .resource_groups = 1, .resources = 1};
    assert_int_equal(fake_azure_generate(fa, &t), 0);
    azure_endpoints ep = {0};
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake_azure_url(fa));
    snprintf(ep.graph, sizeof ep.graph, "%s", fake_azure_url(fa));
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake_azure_url(fa));
    snprintf(ep.storage_suffix, sizeof ep.storage_suffix, "core.windows.net");
    cJSON *cfg = cJSON_Parse("{\"clientId\":\"c-123456\",\"clientSecret\":\"s-1234567890\","
                             "\"directoryId\":\"00000000-0000-4000-8000-000000000000\","
                             "\"ingestActiveDirectory\":true}");
    const char *ids[] = {"ad-account", "ad-users", "ad-groups"};
    err_info err = {0};
    cJSON *g = step_harness_run_ids(cfg, &ep, ids, 3, &err);
    if (!g)
        fprintf(stderr, "%s\n", err.message);
    assert_non_null(g);
    assert_string_equal(json_path_string(g, "steps.ad-account.status"), "success");
    assert_string_equal(json_path_string(g, "steps.ad-users.status"), "success");
    assert_int_equal(count_type(json_get(g, "entities"), "azure_account"), 1);
    assert_int_equal(count_type(json_get(g, "entities"), "azure_user"), 30);
    assert_int_equal(count_type(json_get(g, "entities"), "azure_user_group"), 3);
    assert_int_equal(count_type(json_get(g, "relationships"), "azure_account_has_user"), 30);
    cJSON_Delete(g);

    /* AD off: the AD steps are disabled, nothing produced */
    cJSON_ReplaceItemInObject(cfg, "ingestActiveDirectory", cJSON_CreateFalse());
    g = step_harness_run_ids(cfg, &ep, ids + 1, 1, &err);
    assert_non_null(g);
    assert_string_equal(json_path_string(g, "steps.ad-users.status"), "disabled");
    assert_int_equal(cJSON_GetArraySize(json_get(g, "entities")), 0);
    cJSON_Delete(g);
    cJSON_Delete(cfg);
    fake_azure_stop(fa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
