/*
 * The step tables of subscriptions, resource groups, key vaults and storage
 * against the reference (graph-azure 32eaf0f8 constants: ids, names,
 * dependsOn, entity and relationship types) and the seed's data model
 * (docs/spec/seed-azure-integration.md, parsed at test time): every type
 * declared is a seed row with the seed's resource name and classes, every
 * relationship _type is the one the SDK generates (or the reference's
 * explicit one), the steps are in the registry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/relationship.h"
#include "engine/step.h"
#include "steps/registry.h"
#include "support/seed_model.h"
#include "support/step_table_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const step_def *const steps_subscriptions[];
extern const step_def *const steps_resources[];
extern const step_def *const steps_key_vault[];
extern const step_def *const steps_storage[];

static const step_def *const *const mine[] = {steps_subscriptions, steps_resources,
                                               steps_key_vault, steps_storage};

typedef struct expected_step {
    const char *id;
    const char *name;
    const char *deps[4];
    const char *entities[4];
    const char *relationships[6];
} expected_step;

#define DIAG_RELS "azure_diagnostic_setting_uses_storage_account", \
                  "azure_resource_has_diagnostic_setting"

static const expected_step expected[] = {
    {"rm-subscriptions", "Subscriptions", {"ad-account"},
     {"azure_subscription", "azure_diagnostic_setting"}, {DIAG_RELS}},
    {"rm-subscription-locations", "Subscription Locations", {"ad-account", "rm-subscriptions"},
     {"azure_location"}, {"azure_subscription_uses_location"}},
    {"rm-resources-resource-groups", "Resource Groups", {"ad-account", "rm-subscriptions"},
     {"azure_resource_group"}, {"azure_subscription_has_resource_group"}},
    {"rm-keyvault-vaults", "Key Vaults", {"ad-account", "rm-resources-resource-groups"},
     {"azure_keyvault_service", "azure_diagnostic_setting"},
     {"azure_account_has_keyvault_service", "azure_resource_group_has_keyvault_service",
      DIAG_RELS}},
    {"rm-storage-resources", "Storage Accounts",
     {"ad-account", "rm-resources-resource-groups", "rm-keyvault-vaults"},
     {"azure_storage_account"},
     {"azure_resource_group_has_storage_account", "azure_storage_account_uses_keyvault_service"}},
    {"rm-storage-file-shares", "Storage File Shares", {"ad-account", "rm-storage-resources"},
     {"azure_storage_file_share"}, {"azure_storage_account_has_file_share"}},
    {"rm-storage-containers", "Storage Containers", {"ad-account", "rm-storage-resources"},
     {"azure_storage_container"}, {"azure_storage_account_has_container"}},
    {"rm-storage-queues", "Storage Queues", {"ad-account", "rm-storage-resources"},
     {"azure_storage_queue"}, {"azure_storage_account_has_queue"}},
    {"rm-storage-tables", "Storage Tables", {"ad-account", "rm-storage-resources"},
     {"azure_storage_table"}, {"azure_storage_account_has_table"}},
};

#define N_EXPECTED (sizeof expected / sizeof expected[0])

#define N_MINE (sizeof mine / sizeof mine[0])

static void test_ids_names_dependencies_types(void **state)
{
    (void)state;
    assert_int_equal(seed_model_step_count(mine, N_MINE), N_EXPECTED);
    for (size_t i = 0; i < N_EXPECTED; i++) {
        const expected_step *x = &expected[i];
        const step_def *s = seed_model_step_find(mine, N_MINE, x->id);
        if (!s)
            fail_msg("step %s missing", x->id);
        step_table_check_step(s, x->id, x->name, x->deps, 4);
        step_table_check_rm(s);   /* in the registry, the same definition */
        step_table_check_types(s, x->entities, 4, x->relationships, 6);
        assert_null(s->mapped_relationships[0].type);
    }
}

/* Relationship _types are the SDK's generated ones, except the diagnostic
 * settings' explicit azure_resource_has_diagnostic_setting (ANY_SCOPE). */
static void test_relationship_types_are_generated(void **state)
{
    (void)state;
    for (size_t g = 0; g < sizeof mine / sizeof mine[0]; g++)
        for (const step_def *const *s = mine[g]; *s; s++)
            for (size_t i = 0; i < STEP_MAX_TYPES && (*s)->relationships[i].type; i++) {
                const step_relationship_decl *r = &(*s)->relationships[i];
                if (strcmp(r->source_type, "ANY_SCOPE") == 0) {
                    assert_string_equal(r->type, "azure_resource_has_diagnostic_setting");
                    continue;
                }
                char *t = relationship_generate_type(r->class_name, r->source_type,
                                                     r->target_type);
                assert_non_null(t);
                assert_string_equal(r->type, t);
                free(t);
            }
}

static void test_declared_types_are_seed_rows(void **state)
{
    (void)state;
    seed_model *m = seed_model_load_or_fail();
    size_t entities = 0, relationships = 0;
    seed_model_assert_declared_are_rows(m, mine, N_MINE, NULL, &entities, &relationships);
    assert_int_equal(entities, 11);
    assert_int_equal(relationships, 14);
    seed_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_names_dependencies_types),
        cmocka_unit_test(test_relationship_types_are_generated),
        cmocka_unit_test(test_declared_types_are_seed_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
