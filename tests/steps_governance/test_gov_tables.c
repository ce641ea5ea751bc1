/*
 * The step tables of the directory and governance steps against the seed's
 * data model (docs/spec/seed-azure-integration.md, parsed at test time) and
 * against the registry:
 *   - every entity / relationship these steps declare is a row of the seed's
 *     tables (resource name, _type, _class; source, CLASS, target), and every
 *     seed row about their types is declared by one of them;
 *   - step ids, names, enablement and dependsOn follow the reference;
 *   - the three "last" steps, expanded with step_depends_expand(), depend on
 *     every other Resource Manager step of the registry, and no such step
 *     depends on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/step.h"
#include "steps/registry.h"
#include "support/seed_model.h"
#include "support/step_table_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const step_def *const steps_active_directory[];
extern const step_def *const steps_authorization[];
extern const step_def *const steps_policy[];
extern const step_def *const steps_monitor[];
extern const step_def *const steps_security[];
extern const step_def *const steps_advisor[];

static const step_def *const *const mine[] = {
    steps_active_directory, steps_authorization, steps_policy,
    steps_monitor,          steps_security,      steps_advisor,
};

#define N_MINE (sizeof mine / sizeof mine[0])

static void test_declared_types_are_seed_rows(void **state)
{
    (void)state;
    seed_model *s = seed_model_load_or_fail();
    size_t entities = 0;
    seed_model_assert_declared_are_rows(s, mine, N_MINE, NULL, &entities, NULL);
    assert_int_equal(entities, 15);
    seed_model_free(s);
}

/* The seed's relationship rows about these steps' entity types, except the
 * ones that belong to another service's step. */
static bool my_row(const seed_model_row *r, void *ctx)
{
    (void)ctx;
    if (strcmp(r->a, "azure_account") == 0 && strcmp(r->c, "azure_keyvault_service") == 0)
        return false;
    return seed_model_declares_entity(mine, N_MINE, r->a) ||
           seed_model_declares_entity(mine, N_MINE, r->c);
}

static void test_seed_rows_are_declared(void **state)
{
    (void)state;
    seed_model *s = seed_model_load_or_fail();
    assert_true(seed_model_entity_count(s) > 50);
    assert_true(seed_model_relationship_count(s) > 100);
    for (size_t r = 0; r < seed_model_entity_count(s); r++) {
        const seed_model_row *row = seed_model_entity(s, r);
        if (strncmp(row->a, "[AD]", 4) == 0 && !seed_model_declares_entity(mine, N_MINE, row->b))
            fail_msg("seed entity %s is declared by none of these steps", row->b);
    }
    /* account 2, group members 3, role assignments 24 (13 scopes, 11
     * principals) + 1 definition, classic admins 1, advisor 2, policy 1,
     * monitor 4, security 3 */
    assert_int_equal(seed_model_assert_rows_declared(s, mine, N_MINE, my_row, NULL), 41);
    seed_model_free(s);
}

/* ---- ids, names, enablement, dependencies ----------------------------- */

typedef struct expected_step {
    const char *id;
    const char *name;
    step_enablement when;
    const char *deps[16];
} expected_step;

static const expected_step expected[] = {
    {"ad-account", "Active Directory Info", STEP_ALWAYS, {NULL}},
    {"ad-users", "Active Directory Users", STEP_IF_ACTIVE_DIRECTORY, {"ad-account"}},
    {"ad-groups", "Active Directory Groups", STEP_IF_ACTIVE_DIRECTORY, {"ad-account"}},
    {"ad-group-members", "Active Directory Group Members", STEP_IF_ACTIVE_DIRECTORY, {"ad-groups"}},
    {"ad-service-principals", "Active Directory Service Principals", STEP_IF_ACTIVE_DIRECTORY,
     {"ad-account"}},
    {"rm-authorization-role-assignments", "Role Assignments", STEP_IF_RESOURCE_MANAGER,
     {"ad-account"}},
    {"rm-authorization-role-assignment-principal-relationships",
     "Role Assignment to Principal Relationships", STEP_IF_RESOURCE_MANAGER,
     {"rm-authorization-role-assignments", "ad-groups", "ad-service-principals", "ad-users"}},
    {"rm-authorization-role-assignment-scope-relationships", "Role Assignment to Scope Relationships",
     STEP_IF_RESOURCE_MANAGER,
     {"rm-authorization-role-assignments", "rm-keyvault-vaults", "rm-network-interfaces",
      "rm-network-security-groups", "rm-network-ip-addresses", "rm-network-virtual-networks",
      "rm-cosmosdb-sql-databases", "rm-storage-resources", "rm-api-management-services",
      "rm-dns-zones", "rm-private-dns-zones", "rm-container-registries", "rm-subscriptions",
      "rm-resources-resource-groups"}},
    {"rm-authorization-role-definitions", "Role Definitions", STEP_IF_RESOURCE_MANAGER,
     {"ad-account", "rm-authorization-role-assignments"}},
    {"rm-authorization-classic-administrators", "Classic Administrators", STEP_IF_RESOURCE_MANAGER,
     {"ad-users"}},
    {"rm-policy-assignments", "Policy Assignments", STEP_IF_RESOURCE_MANAGER,
     {"ad-account", STEP_DEPENDS_RM_FIRST}},
    {"rm-monitor-log-profiles", "Monitor Log Profiles", STEP_IF_RESOURCE_MANAGER,
     {"rm-subscriptions", "rm-storage-resources"}},
    {"rm-monitor-activity-log-alerts", "Monitor Activity Log Alerts", STEP_IF_RESOURCE_MANAGER,
     {"ad-account", "rm-resources-resource-groups"}},
    {"rm-monitor-activity-log-alert-scope-relationships",
     "Monitor Activity Log Alert -> Scope Relationships", STEP_IF_RESOURCE_MANAGER,
     {"rm-monitor-activity-log-alerts", STEP_DEPENDS_RM_FIRST}},
    {"rm-security-assessments", "Security Assessments", STEP_IF_RESOURCE_MANAGER,
     {"ad-account", "rm-resources-resource-groups"}},
    {"rm-security-center-contacts", "Security Contacts", STEP_IF_RESOURCE_MANAGER,
     {"ad-account", "rm-subscriptions"}},
    {"rm-security-center-pricing-configs", "Security Center Pricing Configurations",
     STEP_IF_RESOURCE_MANAGER, {"ad-account", "rm-subscriptions"}},
    {"rm-advisor-recommendations", "Recommendations", STEP_IF_RESOURCE_MANAGER,
     {"ad-account", "rm-security-assessments", STEP_DEPENDS_RM_FIRST}},
};

static void test_ids_names_enablement_depends(void **state)
{
    (void)state;
    size_t seen = 0;
    for (size_t e = 0; e < sizeof expected / sizeof expected[0]; e++) {
        const step_def *s = registry_find(expected[e].id);
        if (!s)
            fail_msg("%s is not in the registry", expected[e].id);
        step_table_check_step(s, expected[e].id, expected[e].name, expected[e].deps, 16);
        assert_int_equal(s->enabled_when, expected[e].when);
        seen++;
    }
    assert_int_equal(seed_model_step_count(mine, N_MINE), seen);
}

static bool is_last(const step_def *s)
{
    for (size_t i = 0; i < STEP_MAX_DEPS && s->depends_on[i]; i++)
        if (strcmp(s->depends_on[i], STEP_DEPENDS_RM_FIRST) == 0)
            return true;
    return false;
}

static void test_last_steps_depend_on_every_other_rm_step(void **state)
{
    (void)state;
    size_t n;
    const step_def *const *all = registry_steps(&n);
    const char *last_ids[] = {"rm-policy-assignments", "rm-advisor-recommendations",
                              "rm-monitor-activity-log-alert-scope-relationships"};
    size_t lasts = 0;
    for (size_t i = 0; i < n; i++)
        lasts += is_last(all[i]);
    assert_int_equal(lasts, 3);
    for (size_t l = 0; l < 3; l++) {
        const step_def *s = registry_find(last_ids[l]);
        assert_non_null(s);
        assert_true(is_last(s));
        const char *deps[512];
        int nd = step_depends_expand(all, n, s, deps, 512);
        assert_true(nd > 0);
        for (size_t i = 0; i < n; i++) {
            const step_def *o = all[i];
            if (strncmp(o->id, "rm-", 3) != 0 || is_last(o))
                continue;
            bool found = false;
            for (int d = 0; d < nd && !found; d++)
                found = strcmp(deps[d], o->id) == 0;
            if (!found)
                fail_msg("%s does not depend on %s", s->id, o->id);
        }
        for (int d = 0; d < nd; d++) {
            assert_non_null(registry_find(deps[d]) ? deps[d] : NULL);
            for (size_t k = 0; k < 3; k++)
                assert_string_not_equal(deps[d], last_ids[k]);
        }
        /* explicit ids come first, in order */
        assert_string_equal(deps[0], s->depends_on[0]);
    }
    /* No ordinary step waits for a last step. */
    for (size_t i = 0; i < n; i++) {
        if (is_last(all[i]))
            continue;
        for (size_t d = 0; d < STEP_MAX_DEPS && all[i]->depends_on[d]; d++)
            for (size_t k = 0; k < 3; k++)
                assert_string_not_equal(all[i]->depends_on[d], last_ids[k]);
    }
}

static void test_expand_reports_small_buffer(void **state)
{
    (void)state;
    size_t n;
    const step_def *const *all = registry_steps(&n);
    const step_def *s = registry_find("rm-policy-assignments");
    const char *deps[1];
    size_t rm = 0;
    for (size_t i = 0; i < n; i++)
        rm += strncmp(all[i]->id, "rm-", 3) == 0 && !is_last(all[i]);
    if (rm > 0)
        assert_int_equal(step_depends_expand(all, n, s, deps, 1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declared_types_are_seed_rows),
        cmocka_unit_test(test_seed_rows_are_declared),
        cmocka_unit_test(test_ids_names_enablement_depends),
        cmocka_unit_test(test_last_steps_depend_on_every_other_rm_step),
        cmocka_unit_test(test_expand_reports_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
