/*
 * test_arm_common: steps/arm_common.h and steps/diagnostic_settings.h.
 */
#include "engine/step.h"
#include "fakes/fake_azure.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/diagnostic_settings.h"
#include "support/step_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define SUB "40474ebe-55a2-4071-8fa8-b610acdd8e56"
#define VAULT "/subscriptions/" SUB "/resourcegroups/j1dev/providers/microsoft.keyvault/vaults/keionned1-j1dev"
#define STORAGE "/subscriptions/" SUB "/resourceGroups/j1dev/providers/Microsoft.Storage/storageAccounts/keionnedj1dev"
#define SETTING VAULT "/providers/microsoft.insights/diagnosticSettings/j1dev_key_vault_diag_set"

static void test_resource_group_id(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(arm_resource_group_id("/subscriptions/s1/resourcegroups/J1Dev/providers/x/y/z",
                                           out, sizeof out), 0);
    assert_string_equal(out, "/subscriptions/s1/resourceGroups/j1dev");
    assert_int_equal(arm_resource_group_id("/subscriptions/s1/resourceGroups/RG", out, sizeof out), 0);
    assert_string_equal(out, "/subscriptions/s1/resourceGroups/rg");
    assert_int_equal(arm_resource_group_id("/subscriptions/s1/providers/Microsoft.Security/pricings/x",
                                           out, sizeof out), -1);
    assert_int_equal(arm_resource_group_id(NULL, out, sizeof out), -1);
    assert_int_equal(arm_resource_group_id("/subscriptions/s1/resourceGroups/abc", out, 10), -1);
    assert_int_equal(arm_resource_group_name("/subscriptions/s1/resourceGroups/MyRG/x", out, sizeof out), 0);
    assert_string_equal(out, "myrg");
    assert_int_equal(arm_subscription_of("/subscriptions/s1/resourceGroups/MyRG/x", out, sizeof out), 0);
    assert_string_equal(out, "s1");
    /* subscription-level ids without the leading slash (diagnostic settings) */
    assert_int_equal(arm_subscription_of("subscriptions/s2/providers/x", out, sizeof out), 0);
    assert_string_equal(out, "s2");
    assert_int_equal(arm_subscription_of("/tenants/x", out, sizeof out), -1);
}

static void test_region_and_group_conversions(void **state)
{
    (void)state;
    err_info err = {0};
    cJSON *v = cJSON_CreateString("West Europe"), *out = NULL;
    assert_int_equal(arm_map_region(v, NULL, NULL, &out, &err), 0);
    assert_string_equal(out->valuestring, "westeurope");
    cJSON_Delete(out);
    cJSON_Delete(v);
    v = cJSON_CreateString("West Central US");  /* the reference removes the first run only */
    assert_int_equal(arm_map_region(v, NULL, NULL, &out, &err), 0);
    assert_string_equal(out->valuestring, "westcentral us");
    cJSON_Delete(out);
    cJSON_Delete(v);
    v = cJSON_CreateString("/subscriptions/s/resourceGroups/J1DEV/providers/a/b/c");
    assert_int_equal(arm_map_resource_group(v, NULL, NULL, &out, &err), 0);
    assert_string_equal(out->valuestring, "j1dev");
    cJSON_Delete(out);
    cJSON_Delete(v);
    v = cJSON_CreateNumber(3);
    assert_int_equal(arm_map_region(v, NULL, NULL, &out, &err), 0);
    assert_null(out);
    cJSON_Delete(v);
}

/* A step that stands for "a resource step": it asks for the settings of its
 * key vaults, as rm-keyvault-vaults does. */
static const char *const audit[] = {"AuditEvent", NULL};
static int run_diag(step_ctx *ctx, err_info *err)
{
    return diag_settings_for_type(ctx, "azure_keyvault_service", audit, err);
}
static const step_def diag_step = {
    .id = "test-diagnostic-settings",
    .name = "Test Diagnostic Settings",
    .entities = {DIAG_ENTITY_DECL},
    .relationships = {DIAG_RELATIONSHIP_DECLS},
    .run = run_diag,
};

static const step_def *const diag_table[] = {&diag_step, NULL};

typedef struct diag_run {
    fake_azure *fake;
    azure_job *job;
    step_harness *h;
} diag_run;

static void diag_start(diag_run *r, const char *fault_match, int fault_status)
{
    r->fake = fake_azure_start(NULL);
    assert_non_null(r->fake);
    char path[2048];
    snprintf(path, sizeof path,
             "%s/tests/fixtures/azure-recordings/steps/resource-manager/utils/__recordings__/"
             "create-diagnostic-settings-entities-and-relationships_4070255659/recording.har",
             AI_SOURCE_DIR);
    assert_true(fake_azure_load_har(r->fake, path) > 0);
    if (fault_match) {
        fake_azure_fault f = {.match = fault_match, .kind = FAKE_FAULT_STATUS,
                              .status = fault_status};
        assert_int_equal(fake_azure_add_fault(r->fake, &f), 0);
    }
    azure_endpoints ep;
    memset(&ep, 0, sizeof ep);
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake_azure_url(r->fake));
    snprintf(ep.graph, sizeof ep.graph, "%s", fake_azure_url(r->fake));
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake_azure_url(r->fake));
    snprintf(ep.storage_suffix, sizeof ep.storage_suffix, "core.windows.net");
    cJSON *config = cJSON_Parse("{\"clientId\":\"c\",\"clientSecret\":\"s\","
                                "\"directoryId\":\"bcd90474-9b62-4040-9d7b-8af257b1427d\","
                                "\"subscriptionId\":\"" SUB "\"}");
    azure_instance_info inst = {.instance_id = "i", .instance_name = "n", .account_id = "a"};
    err_info err = {0};
    assert_int_equal(azure_job_new(config, &inst, &ep, &r->job, &err), 0);
    cJSON_Delete(config);
    assert_int_equal(azure_job_validate(r->job, &err), 0);
    azure_job_set_default_domain(r->job, "example.onmicrosoft.com");
    r->h = step_harness_new_table(r->job, diag_table, 1);
    assert_non_null(r->h);
    const char *seeds[] = {
        "{\"_key\":\"" VAULT "\",\"_type\":\"azure_keyvault_service\",\"_class\":[\"Service\"],"
        "\"id\":\"" VAULT "\",\"name\":\"keionned1-j1dev\",\"displayName\":\"keionned1-j1dev\"}",
        "{\"_key\":\"" STORAGE "\",\"_type\":\"azure_storage_account\",\"_class\":[\"Service\"],"
        "\"id\":\"" STORAGE "\",\"name\":\"keionnedj1dev\",\"displayName\":\"keionnedj1dev\"}",
    };
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(step_harness_seed_entity(r->h, cJSON_Parse(seeds[i]), &err), 0);
}

static void diag_stop(diag_run *r)
{
    step_harness_free(r->h);
    azure_job_free(r->job);
    fake_azure_stop(r->fake);
}

static const cJSON *find_by(const cJSON *list, const char *field, const char *value)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, list) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, field);
        if (cJSON_IsString(f) && strcmp(f->valuestring, value) == 0)
            return o;
    }
    return NULL;
}

static void test_diagnostic_settings_recording(void **state)
{
    (void)state;
    diag_run r;
    diag_start(&r, NULL, 0);
    err_info err = {0};
    assert_int_equal(step_harness_run(r.h, &diag_step, &err), 0);
    cJSON *g = step_harness_graph(r.h);
    const cJSON *ents = cJSON_GetObjectItem(g, "entities");
    const cJSON *rels = cJSON_GetObjectItem(g, "relationships");
    const cJSON *s = find_by(ents, "_key", SETTING);
    assert_non_null(s);
    assert_string_equal(cJSON_GetObjectItem(s, "_type")->valuestring, "azure_diagnostic_setting");
    assert_string_equal(cJSON_GetObjectItem(s, "name")->valuestring, "j1dev_key_vault_diag_set");
    assert_string_equal(cJSON_GetObjectItem(s, "displayName")->valuestring, "j1dev_key_vault_diag_set");
    assert_string_equal(cJSON_GetObjectItem(s, "type")->valuestring,
                        "Microsoft.Insights/diagnosticSettings");
    assert_string_equal(cJSON_GetObjectItem(s, "storageAccountId")->valuestring, STORAGE);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(s, "eventHubName")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(s, "workspaceId")));
    assert_string_equal(cJSON_GetObjectItem(s, "webLink")->valuestring,
                        "https://portal.azure.com/#@example.onmicrosoft.com/resource" SETTING);
    /* duplicate AuditEvent entries: the first wins */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(s, "log.AuditEvent.enabled")));
    assert_int_equal(cJSON_GetObjectItem(s, "log.AuditEvent.retentionPolicy.days")->valueint, 7);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(s, "log.AuditEvent.retentionPolicy.enabled")));
    assert_null(cJSON_GetObjectItem(s, "log.AllMetrics.enabled"));

    const cJSON *has = find_by(rels, "_type", "azure_resource_has_diagnostic_setting");
    assert_non_null(has);
    assert_string_equal(cJSON_GetObjectItem(has, "_key")->valuestring, VAULT "|has|" SETTING);
    assert_string_equal(cJSON_GetObjectItem(has, "_fromEntityKey")->valuestring, VAULT);
    const cJSON *uses = find_by(rels, "_type", "azure_diagnostic_setting_uses_storage_account");
    assert_non_null(uses);
    assert_string_equal(cJSON_GetObjectItem(uses, "_toEntityKey")->valuestring, STORAGE);
    assert_int_equal(cJSON_GetArraySize(rels), 2);
    cJSON_Delete(g);
    diag_stop(&r);
}

/* A resource whose settings cannot be read (403) loses only its settings:
 * the step succeeds and nothing is added. */
static void test_diagnostic_settings_forbidden(void **state)
{
    (void)state;
    diag_run r;
    diag_start(&r, "diagnosticSettings", 403);
    err_info err = {0};
    assert_int_equal(step_harness_run(r.h, &diag_step, &err), 0);
    cJSON *g = step_harness_graph(r.h);
    assert_null(find_by(cJSON_GetObjectItem(g, "entities"), "_type", "azure_diagnostic_setting"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(g, "relationships")), 0);
    cJSON_Delete(g);
    diag_stop(&r);
}

/* 404: the resource has no settings. */
static void test_diagnostic_settings_not_found(void **state)
{
    (void)state;
    diag_run r;
    diag_start(&r, "diagnosticSettings", 404);
    err_info err = {0};
    assert_int_equal(step_harness_run(r.h, &diag_step, &err), 0);
    cJSON *g = step_harness_graph(r.h);
    assert_null(find_by(cJSON_GetObjectItem(g, "entities"), "_type", "azure_diagnostic_setting"));
    cJSON_Delete(g);
    diag_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resource_group_id),
        cmocka_unit_test(test_region_and_group_conversions),
        cmocka_unit_test(test_diagnostic_settings_recording),
        cmocka_unit_test(test_diagnostic_settings_forbidden),
        cmocka_unit_test(test_diagnostic_settings_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
