/*
 * Active Directory steps against the recordings, through the fake Azure
 * server (see tests/steps_governance/gov_case.h): ad-account (with the
 * security-defaults policy, without the permission for it, and the
 * fallback when the organization cannot be read), ad-users, ad-groups,
 * ad-group-members, ad-service-principals (two Graph pages), and a 403 on
 * the users list failing only that step with the Graph permission named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps_governance/gov_case.h"

#include "common/json.h"
#include "steps/active_directory.h"

#include <stdlib.h>
#include <string.h>

#define AD_DIR "steps/active-directory/__recordings__/"
#define AD_HAR AD_DIR "active-directory-steps_52759203/recording.har"

static void test_account(void **state)
{
    (void)state;
    gov_case c = {.expected = "ad-account", .hars = {AD_HAR}, .steps = {"ad-account"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_account_without_policy_permission(void **state)
{
    (void)state;
    gov_case c = {.expected = "ad-account-no-policy-permission",
                  .hars = {AD_HAR},
                  .faults = {{"/policies/identitySecurityDefaultsEnforcementPolicy", 403,
                              "{\"error\":{\"code\":\"AccessDenied\",\"message\":\"You cannot "
                              "perform the requested operation, required scopes are missing in "
                              "the token.\"}}"}},
                  .steps = {"ad-account"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_account_fallback_without_organization(void **state)
{
    (void)state;
    gov_case c = {.hars = {AD_HAR},
                  .faults = {{"/organization", 403,
                              "{\"error\":{\"code\":\"Authorization_RequestDenied\",\"message\":"
                              "\"Insufficient privileges to complete the operation.\"}}"}},
                  .steps = {"ad-account"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    cJSON *expected = cJSON_Parse(
        "{\"entities\":[{\"_key\":\"azure-instance-0001\",\"_type\":\"azure_account\",\"_class\":"
        "[\"Account\"],\"vendor\":\"Microsoft\",\"name\":\"Azure Test Instance\",\"displayName\":"
        "\"Azure Test Instance\"}],"
        "\"relationships\":[]}");
    gov_graph_assert_equal(expected, out);
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "entities"), 0), "_rawData");
    assert_true(cJSON_IsArray(raw));
    assert_int_equal(cJSON_GetArraySize(raw), 0);
    cJSON_Delete(expected);
    cJSON_Delete(out);
}

static void test_users(void **state)
{
    (void)state;
    gov_case c = {.expected = "ad-users",
                  .hars = {AD_HAR},
                  .ingest_active_directory = true,
                  .steps = {"ad-account", "ad-users"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_groups(void **state)
{
    (void)state;
    gov_case c = {.expected = "ad-groups",
                  .hars = {AD_HAR},
                  .ingest_active_directory = true,
                  .steps = {"ad-account", "ad-groups"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_group_members(void **state)
{
    (void)state;
    gov_case c = {.expected = "ad-group-members",
                  .hars = {AD_HAR},
                  .ingest_active_directory = true,
                  .steps = {"ad-account", "ad-groups", "ad-group-members"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_service_principals_two_pages(void **state)
{
    (void)state;
    gov_case c = {.expected = "ad-service-principals",
                  .hars = {AD_HAR, AD_DIR "active-directory-step-service-principals_877653164/recording.har"},
                  .ingest_active_directory = true,
                  .steps = {"ad-account", "ad-service-principals"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_users_403_fails_only_that_step(void **state)
{
    (void)state;
    char error[512] = "";
    gov_case c = {.hars = {AD_HAR},
                  .ingest_active_directory = true,
                  .faults = {{"/users", 403,
                              "{\"error\":{\"code\":\"Authorization_RequestDenied\",\"message\":"
                              "\"Insufficient privileges to complete the operation.\"}}"}},
                  .steps = {"ad-account", "ad-users", "ad-groups"},
                  .failing_step = "ad-users"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "Directory.Read.All"));
    /* ad-groups still ran after the failure. */
    int groups = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(out, "entities"))
        groups += strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "_type")),
                         "azure_user_group") == 0;
    assert_int_equal(groups, 1);
    cJSON_Delete(out);
}

/* A generated tenant with Azure's Graph page size (100): users, groups and
 * service principals span many pages; members of 40 groups are fetched in
 * parallel batches; every membership becomes one mapped relationship whose
 * target type follows the member's @odata.type. */
static void test_generated_tenant(void **state)
{
    (void)state;
    /* 1600 memberships over 40 groups: no group lists the same member twice
     * with the fake's spreading, so every membership is one relationship. */
    fake_azure_tenant t = {.users = 2500, .groups = 40, .members = 1600,
                           .service_principals = 150, .subscriptions = 1, .resource_groups = 1};
    gov_case c = {.tenant = &t,
                  .ingest_active_directory = true,
                  .steps = {"ad-account", "ad-users", "ad-groups", "ad-group-members",
                            "ad-service-principals"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_account"), 1);
    assert_int_equal(gov_graph_count(out, "entities", "azure_user"), 2500);
    assert_int_equal(gov_graph_count(out, "entities", "azure_user_group"), 40);
    assert_int_equal(gov_graph_count(out, "entities", "azure_service_principal"), 150);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_account_has_user"), 2500);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_account_has_group"), 40);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_group_has_member"), 1600);
    int groups = 0, others = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(out, "relationships"))
    {
        const cJSON *target = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r, "_mapping"), "targetEntity");
        const char *tt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(target, "_type"));
        if (!tt)
            continue;
        groups += strcmp(tt, "azure_user_group") == 0;
        others += strcmp(tt, "azure_group_member") == 0;
    }
    assert_true(groups > 0);   /* every 50th membership is a nested group */
    assert_true(others > 0);   /* every 97th a service principal */
    cJSON_Delete(out);
}

/* One group whose members cannot be read: the other groups' memberships
 * are kept, and the step fails naming how many groups were lost. */
/* The member relationship written as text is byte for byte the tree's
 * json_write output: users, groups, other directory objects, nulls,
 * absent and non-string fields, escapes. */
static void test_member_text_matches_tree(void **state)
{
    (void)state;
    static const char *const members[] = {
        "{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"u-1\",\"displayName\":\"Ann \\\"A\\\"\","
        "\"jobTitle\":null,\"mail\":\"ann@example.com\"}",
        "{\"@odata.type\":\"#microsoft.graph.group\",\"id\":\"g-2\",\"displayName\":\"Ops\\nTeam\"}",
        "{\"@odata.type\":\"#microsoft.graph.servicePrincipal\",\"id\":\"sp-3\",\"displayName\":7,"
        "\"jobTitle\":[\"x\"],\"mail\":null}",
        "{\"id\":\"no-type-4\",\"displayName\":\"\\u0001ctl\"}",
    };
    sbuf text = SBUF_INIT, key = SBUF_INIT;
    for (size_t i = 0; i < sizeof members / sizeof *members; i++) {
        cJSON *m = cJSON_Parse(members[i]);
        assert_non_null(m);
        cJSON *rel = ad_group_member_relationship("group-0001", m);
        assert_non_null(rel);
        char *want = json_print(rel);
        assert_int_equal(ad_group_member_write(&text, &key, "group-0001", m), 0);
        assert_string_equal(sbuf_str(&text), want);
        assert_string_equal(sbuf_str(&key), json_get_string(rel, "_key"));
        free(want);
        cJSON_Delete(rel);
        cJSON_Delete(m);
    }
    cJSON *no_id = cJSON_Parse("{\"displayName\":\"x\"}");
    assert_int_equal(ad_group_member_write(&text, &key, "group-0001", no_id), -1);
    /* not a memory failure: the step skips such a member and goes on */
    assert_false(sbuf_failed(&text));
    assert_false(sbuf_failed(&key));
    cJSON_Delete(no_id);
    sbuf_free(&text);
    sbuf_free(&key);
}

static void test_group_members_one_group_fails(void **state)
{
    (void)state;
    fake_azure_tenant t = {.users = 300, .groups = 10, .members = 200, .subscriptions = 1,
                           .resource_groups = 1};
    char error[512] = "";
    gov_case c = {.tenant = &t,
                  .ingest_active_directory = true,
                  .faults = {{"/members", 403,
                              "{\"error\":{\"code\":\"Authorization_RequestDenied\","
                              "\"message\":\"Insufficient privileges to complete the "
                              "operation.\"}}", 1}},
                  .steps = {"ad-account", "ad-groups", "ad-group-members"},
                  .failing_step = "ad-group-members"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "members of 1 group(s) could not be read"));
    assert_non_null(strstr(error, "Directory.Read.All"));
    /* 10 groups of 20 memberships: the failed group has none, the others
     * keep theirs (a member the fake lists twice in one group counts once). */
    const cJSON *g;
    int empty = 0, kept = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(out, "entities"))
    {
        const char *gid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "id"));
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "_type"));
        if (strcmp(type, "azure_user_group") != 0)
            continue;
        int n = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(out, "relationships"))
        {
            const char *rid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "groupId"));
            n += rid && strcmp(rid, gid) == 0;
        }
        assert_true(n <= 20);
        if (n == 0)
            empty++;
        else
            assert_true(n >= 18);
        kept += n;
    }
    assert_int_equal(empty, 1);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_group_has_member"), kept);
    assert_true(kept >= 170);
    cJSON_Delete(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_account),
        cmocka_unit_test(test_account_without_policy_permission),
        cmocka_unit_test(test_account_fallback_without_organization),
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_group_members),
        cmocka_unit_test(test_service_principals_two_pages),
        cmocka_unit_test(test_users_403_fails_only_that_step),
        cmocka_unit_test(test_generated_tenant),
        cmocka_unit_test(test_group_members_one_group_fails),
        cmocka_unit_test(test_member_text_matches_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
