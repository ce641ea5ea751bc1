/*
 * Governance steps against the recordings, through the fake Azure server:
 * role assignments, their principal relationships (mapped without the
 * directory, direct with it), scope relationships, role definitions,
 * classic administrators, policy assignments, monitor log profiles and
 * activity log alerts (and their scopes), Security Center assessments,
 * contacts and pricings, Advisor recommendations.  Each case compares the
 * produced graph with expected/<case>.json exactly (see gov_case.h).
 * Seeded entities stand for what other services' steps produce; their keys
 * are deliberately cased differently from the ids Azure returns where the
 * recordings allow it, to prove case-insensitive resolution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps_governance/gov_case.h"

#include <stdlib.h>
#include <string.h>

#define AD_HAR "steps/active-directory/__recordings__/active-directory-steps_52759203/recording.har"
#define AUTHZ "steps/resource-manager/authorization/__recordings__/"
#define SUB_D "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
#define SUB_4 "40474ebe-55a2-4071-8fa8-b610acdd8e56"

#define SEED_SUB(guid)                                                                            \
    "{\"_key\":\"/subscriptions/" guid "\",\"_type\":\"azure_subscription\",\"_class\":"         \
    "[\"Account\"],\"name\":\"sub\",\"displayName\":\"sub\",\"subscriptionId\":\"" guid "\"}"

static void test_role_assignments(void **state)
{
    (void)state;
    gov_case c = {.expected = "rm-authorization-role-assignments",
                  .hars = {AD_HAR, AUTHZ "active-directory-step-role-assignments_332628170/recording.har"},
                  .subscription = SUB_D,
                  .steps = {"ad-account", "rm-authorization-role-assignments"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    /* The SDK model has no createdOn/updatedOn/createdBy/updatedBy: not in
     * _rawData either. */
    const cJSON *e;
    int checked = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "entities"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_type"));
        if (strcmp(type, "azure_role_assignment") != 0)
            continue;
        const cJSON *raw = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "_rawData"), 0), "rawData");
        assert_non_null(cJSON_GetObjectItemCaseSensitive(raw, "principalId"));
        assert_null(cJSON_GetObjectItemCaseSensitive(raw, "createdOn"));
        assert_null(cJSON_GetObjectItemCaseSensitive(raw, "updatedBy"));
        assert_null(cJSON_GetObjectItemCaseSensitive(raw, "properties"));
        checked++;
    }
    assert_int_equal(checked, 13);
    cJSON_Delete(out);
}

/* A case that is only its table: run, graph compared with its expected. */
static void run_case(void **state)
{
    gov_case_run(*state, NULL, NULL, 0);
}

#define GOV_CASE_TEST(name) {#name, run_case, NULL, NULL, (void *)&name##_case}

static const gov_case test_principals_mapped_without_directory_case = {
    .expected = "rm-authorization-role-assignment-principal-relationships-mapped",
    .hars = {AD_HAR, AUTHZ "active-directory-step-role-assignments_332628170/recording.har"},
    .subscription = SUB_D,
    .ingest_active_directory = false,
    .steps = {"ad-account", "rm-authorization-role-assignments",
              "rm-authorization-role-assignment-principal-relationships"}
};

static const gov_case test_principals_direct_with_directory_case = {
    .expected = "rm-authorization-role-assignment-principal-relationships-directory",
    .hars = {AD_HAR, AUTHZ "active-directory-step-role-assignments_332628170/recording.har"},
    .subscription = SUB_D,
    .ingest_active_directory = true,
    .seed = {"{\"_key\":\"c13d20a5-a062-4635-b243-1e1688085d87\",\"_type\":"
             "\"azure_user_group\",\"_class\":[\"UserGroup\"],\"name\":\"g\","
             "\"displayName\":\"g\"}"},
    .steps = {"ad-account", "rm-authorization-role-assignments",
              "rm-authorization-role-assignment-principal-relationships"}
};

static void test_principal_lookup_is_case_insensitive(void **state)
{
    (void)state;
    gov_case c = {
                  .hars = {AD_HAR, AUTHZ "active-directory-step-role-assignments_332628170/recording.har"},
                  .subscription = SUB_D,
                  .ingest_active_directory = true,
                  /* the group as ad-groups stores it; principalId is lower case */
                  .seed = {"{\"_key\":\"C13D20A5-A062-4635-B243-1E1688085D87\",\"_type\":"
                           "\"azure_user_group\",\"_class\":[\"UserGroup\"],\"name\":\"g\","
                           "\"displayName\":\"g\"}"},
                  .steps = {"ad-account", "rm-authorization-role-assignments",
                            "rm-authorization-role-assignment-principal-relationships"}};
    /* The expected file relates to the lower-case id; the seeded key is
     * upper case, so the direct relationship must use the stored key. */
    cJSON *out = NULL;
    c.expected = NULL;
    gov_case_run(&c, &out, NULL, 0);
    const cJSON *r;
    int direct = 0, mapped = 0;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(out, "relationships"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "_type"));
        if (strcmp(type, "azure_role_assignment_assigned_user_group") == 0) {
            direct++;
            assert_string_equal(
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "_toEntityKey")),
                "C13D20A5-A062-4635-B243-1E1688085D87");
            assert_null(cJSON_GetObjectItemCaseSensitive(r, "_mapping"));
        } else if (strncmp(type, "mapping_source_assigned_", 24) == 0) {
            mapped++;
        }
    }
    assert_true(direct >= 1);
    assert_int_equal(direct + mapped, 13);
    cJSON_Delete(out);
}

static const gov_case test_scope_relationships_case = {
    .expected = "rm-authorization-role-assignment-scope-relationships",
    .hars = {AD_HAR, AUTHZ "active-directory-step-role-assignments_332628170/recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_SUB(SUB_D)},
    .steps = {"ad-account", "rm-authorization-role-assignments",
              "rm-authorization-role-assignment-scope-relationships"}
};

static const gov_case test_role_definitions_case = {
    .expected = "rm-authorization-role-definitions",
    .hars = {AD_HAR, AUTHZ "active-directory-step-role-definitions_2121799178/recording.har"},
    .subscription = SUB_D,
    .seed = {"{\"_key\":\"/subscriptions/" SUB_D "/providers/Microsoft.Authorization/"
             "roleAssignments/test-assignment-0001\",\"_type\":\"azure_role_assignment\","
             "\"_class\":[\"AccessPolicy\"],\"name\":\"ra\",\"displayName\":\"ra\","
             "\"roleDefinitionId\":\"/providers/Microsoft.Authorization/roleDefinitions/"
             "b24988ac-6180-42a0-ab88-20f7382dd24c\"}"},
    .steps = {"ad-account", "rm-authorization-role-definitions"}
};

/* A role definition that cannot be read costs only its relationship: the
 * step succeeds (reference behaviour). */
static void test_role_definition_unreadable_does_not_fail_step(void **state)
{
    (void)state;
    gov_case c = {
        .hars = {AD_HAR, AUTHZ "active-directory-step-role-definitions_2121799178/recording.har"},
        .subscription = SUB_D,
        .seed = {"{\"_key\":\"/subscriptions/" SUB_D "/providers/Microsoft.Authorization/"
                 "roleAssignments/test-assignment-0001\",\"_type\":\"azure_role_assignment\","
                 "\"_class\":[\"AccessPolicy\"],\"name\":\"ra\",\"displayName\":\"ra\","
                 "\"roleDefinitionId\":\"/providers/Microsoft.Authorization/roleDefinitions/"
                 "b24988ac-6180-42a0-ab88-20f7382dd24c\"}"},
        .faults = {{"/roleDefinitions/", 403,
                    "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"denied\"}}"}},
        .steps = {"ad-account", "rm-authorization-role-definitions"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_role_definition"), 0);
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_role_assignment_uses_definition"), 0);
    cJSON_Delete(out);
}

static const gov_case test_classic_administrators_case = {
    .expected = "rm-authorization-classic-administrators",
    .hars = {AD_HAR, AUTHZ "active-directory-step-classic-administrators_3012456868/recording.har"},
    .subscription = SUB_D,
    .steps = {"ad-account", "rm-authorization-classic-administrators"}
};

static void test_role_assignments_403_fails_step_with_permission(void **state)
{
    (void)state;
    char error[512] = "";
    gov_case c = {.hars = {AD_HAR, AUTHZ "active-directory-step-role-assignments_332628170/recording.har"},
                  .subscription = SUB_D,
                  .faults = {{"/providers/Microsoft.Authorization/roleAssignments", 403,
                              "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"The client "
                              "does not have authorization to perform action "
                              "'Microsoft.Authorization/roleAssignments/read'\"}}"}},
                  .steps = {"ad-account", "rm-authorization-role-assignments"},
                  .failing_step = "rm-authorization-role-assignments"};
    gov_case_run(&c, NULL, error, sizeof error);
    assert_non_null(strstr(error, "Reader"));
}

static const gov_case test_policy_assignments_case = {
    .expected = "rm-policy-assignments",
    .hars = {AD_HAR, "steps/resource-manager/policy/__recordings__/"
                     "resource-manager-step-redis-caches_687386006/recording.har"},
    .subscription = SUB_4,
    .seed = {SEED_SUB(SUB_4)},
    .steps = {"ad-account", "rm-policy-assignments"}
};

static const gov_case test_log_profiles_case = {
    .expected = "rm-monitor-log-profiles",
    .hars = {AD_HAR, "steps/resource-manager/monitor/__recordings__/"
                     "resource-manager-step-monitor-log-profiles_3087885473/recording.har"},
    .subscription = SUB_4,
    .seed = {SEED_SUB(SUB_4),
             "{\"_key\":\"/subscriptions/" SUB_4 "/resourceGroups/j1dev/providers/"
             "Microsoft.Storage/storageAccounts/keionnedj1dev\",\"_type\":"
             "\"azure_storage_account\",\"_class\":[\"Service\"],\"name\":\"sa\","
             "\"displayName\":\"sa\"}"},
    .steps = {"ad-account", "rm-monitor-log-profiles"}
};

#define SEED_RG                                                                                   \
    "{\"_key\":\"/subscriptions/" SUB_D "/resourceGroups/j1dev\",\"_type\":"                     \
    "\"azure_resource_group\",\"_class\":[\"Group\"],\"name\":\"j1dev\",\"displayName\":"         \
    "\"j1dev\"}"

static const gov_case test_activity_log_alerts_case = {
    .expected = "rm-monitor-activity-log-alerts",
    .hars = {AD_HAR, "steps/resource-manager/monitor/__recordings__/"
                     "rm-monitor-activity-log-alerts_530143872/recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_RG},
    .steps = {"ad-account", "rm-monitor-activity-log-alerts"}
};

static const gov_case test_activity_log_alert_scopes_case = {
    .expected = "rm-monitor-activity-log-alert-scope-relationships",
    .hars = {AD_HAR, "steps/resource-manager/monitor/__recordings__/"
                     "rm-monitor-activity-log-alert-scope-relationships_369297772/"
                     "recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_RG, SEED_SUB(SUB_D)},
    .steps = {"ad-account", "rm-monitor-activity-log-alerts",
              "rm-monitor-activity-log-alert-scope-relationships"}
};

static const gov_case test_security_assessments_case = {
    .expected = "rm-security-assessments",
    .hars = {AD_HAR, "steps/resource-manager/security/__recordings__/"
                     "resource-manager-step-security-assessments_3815676715/"
                     "recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_SUB(SUB_D)},
    .steps = {"ad-account", "rm-security-assessments"}
};

static const gov_case test_security_contacts_case = {
    .expected = "rm-security-center-contacts",
    .hars = {AD_HAR, "steps/resource-manager/security/__recordings__/"
                     "resource-manager-step-security-center-contacts_4083088945/"
                     "recording.har"},
    .subscription = SUB_4,
    .seed = {SEED_SUB(SUB_4)},
    .steps = {"ad-account", "rm-security-center-contacts"}
};

static const gov_case test_security_pricings_case = {
    .expected = "rm-security-center-pricing-configs",
    .hars = {AD_HAR, "steps/resource-manager/security/__recordings__/"
                     "rm-security-center-pricing-configs_1738543608/recording.har"},
    .subscription = SUB_D,
    .seed = {SEED_SUB(SUB_D)},
    .steps = {"ad-account", "rm-security-center-pricing-configs"}
};

static const gov_case test_advisor_recommendations_case = {
    .expected = "rm-advisor-recommendations",
    .hars = {AD_HAR, "steps/resource-manager/advisor/__recordings__/"
                     "resource-manager-step-recommendations_1999680629/recording.har"},
    .subscription = SUB_D,
    /* Azure's casing of the resource; the recommendation names it lower-cased. */
    .seed = {"{\"_key\":\"/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/"
             "Microsoft.Storage/storageAccounts/ndowmon1j1devblobstorage\",\"_type\":"
             "\"azure_storage_account\",\"_class\":[\"Service\"],\"name\":\"sa\","
             "\"displayName\":\"sa\"}"},
    .steps = {"ad-account", "rm-advisor-recommendations"}
};

/* Role assignments of a generated subscription (ARM pages of 1000 with
 * nextLink): all streamed into the store; without the directory every
 * principal is a mapped relationship typed by principalType; scopes are
 * resource groups that resolve case-insensitively when present. */
static void test_generated_role_assignments(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 1, .resource_groups = 4, .resources = 2500};
    gov_case c = {.tenant = &t,
                  .steps = {"ad-account", "rm-authorization-role-assignments",
                            "rm-authorization-role-assignment-principal-relationships"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_role_assignment"), 2500);
    int users = gov_graph_count(out, "relationships", "mapping_source_assigned_azure_user");
    int groups = gov_graph_count(out, "relationships", "mapping_source_assigned_azure_user_group");
    int sps = gov_graph_count(out, "relationships",
                              "mapping_source_assigned_azure_service_principal");
    assert_int_equal(users + groups + sps, 2500);
    assert_true(users > 800 && groups > 800 && sps > 800);
    cJSON_Delete(out);
}

/* The other governance collections of a generated subscription. */
static void test_generated_governance_collections(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 2, .resource_groups = 2, .resources = 120};
    gov_case c = {.tenant = &t,
                  .steps = {"ad-account", "rm-policy-assignments", "rm-advisor-recommendations",
                            "rm-security-center-pricing-configs"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    /* every subscription discovered by validation is ingested */
    assert_int_equal(gov_graph_count(out, "entities", "azure_policy_assignment"), 240);
    assert_int_equal(gov_graph_count(out, "entities", "azure_advisor_recommendation"), 240);
    assert_int_equal(
        gov_graph_count(out, "entities", "azure_security_center_subscription_pricing"), 240);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "entities"))
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_type"));
        if (strcmp(type, "azure_advisor_recommendation") == 0) {
            const cJSON *sev = cJSON_GetObjectItemCaseSensitive(e, "numericSeverity");
            assert_true(cJSON_IsNumber(sev));
            assert_true(sev->valuedouble == 10 || sev->valuedouble == 5 || sev->valuedouble == 1);
        }
    }
    cJSON_Delete(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_assignments),
        GOV_CASE_TEST(test_principals_mapped_without_directory),
        GOV_CASE_TEST(test_principals_direct_with_directory),
        cmocka_unit_test(test_principal_lookup_is_case_insensitive),
        GOV_CASE_TEST(test_scope_relationships),
        GOV_CASE_TEST(test_role_definitions),
        cmocka_unit_test(test_role_definition_unreadable_does_not_fail_step),
        GOV_CASE_TEST(test_classic_administrators),
        cmocka_unit_test(test_role_assignments_403_fails_step_with_permission),
        GOV_CASE_TEST(test_policy_assignments),
        GOV_CASE_TEST(test_log_profiles),
        GOV_CASE_TEST(test_activity_log_alerts),
        GOV_CASE_TEST(test_activity_log_alert_scopes),
        GOV_CASE_TEST(test_security_assessments),
        GOV_CASE_TEST(test_security_contacts),
        GOV_CASE_TEST(test_security_pricings),
        GOV_CASE_TEST(test_advisor_recommendations),
        cmocka_unit_test(test_generated_role_assignments),
        cmocka_unit_test(test_generated_governance_collections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
