/*
 * The step tables of the database and Cosmos DB steps against the
 * reference and the seed's data model (docs/spec/seed-azure-integration.md,
 * parsed at test time):
 *   - step ids, names and dependsOn exactly as graph-azure 32eaf0f8
 *     (databases/index.ts, sql/index.ts, postgresql/index.ts,
 *     cosmosdb/index.ts), in the reference's order, all in the registry;
 *   - every entity (resource name, _type, _class) and relationship (source,
 *     CLASS, target) they declare is a row of the seed, and every seed row
 *     about their types is declared by one of them;
 *   - the servers the seed lists under "Diagnostic Settings" are read by a
 *     step that declares the diagnostic-setting types.
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

extern const step_def *const steps_databases[];
extern const step_def *const steps_cosmosdb[];

typedef struct ref_step {
    const char *id;
    const char *name;
    const char *depends_on[3];
} ref_step;

static const ref_step reference[] = {
    {"rm-database-mariadb-databases", "MariaDB Databases",
     {"ad-account", "rm-resources-resource-groups"}},
    {"rm-database-mysql-databases", "MySQL Databases",
     {"ad-account", "rm-resources-resource-groups"}},
    {"rm-database-postgresql-servers", "PostgreSQL Servers",
     {"ad-account", "rm-resources-resource-groups"}},
    {"rm-database-postgresql-databases", "PostgreSQL Databases",
     {"ad-account", "rm-database-postgresql-servers"}},
    {"rm-database-postgresql-server-firewall-rules", "PostgreSQL Server Firewall Rules",
     {"rm-database-postgresql-servers"}},
    {"rm-database-sql-servers", "SQL Servers", {"ad-account", "rm-resources-resource-groups"}},
    {"rm-sql-server-diagnostic-settings", "SQL Server Diagnostic Settings",
     {"ad-account", "rm-database-sql-servers"}},
    {"rm-database-sql-databases", "SQL Databases", {"ad-account", "rm-database-sql-servers"}},
    {"rm-database-sql-server-firewall-rules", "SQL Server Firewall Rules",
     {"rm-database-sql-servers"}},
    {"rm-database-sql-server-active-directory-admins", "SQL Server Active Directory Admins",
     {"rm-database-sql-servers"}},
    {"rm-cosmosdb-sql-databases", "CosmosDB SQL Databases",
     {"ad-account", "rm-resources-resource-groups"}},
};
#define N_REF (sizeof reference / sizeof reference[0])

static const step_def *const *const mine[] = {steps_databases, steps_cosmosdb};
#define N_MINE (sizeof mine / sizeof mine[0])

/* One of the entity types these steps declare, other than the shared
 * diagnostic setting. */
static bool my_type(const char *type)
{
    return strcmp(type, "azure_diagnostic_setting") != 0 &&
           seed_model_declares_entity(mine, N_MINE, type);
}

static void test_ids_names_depends_as_reference(void **state)
{
    (void)state;
    assert_int_equal(seed_model_step_count(mine, N_MINE), N_REF);
    for (size_t i = 0; i < N_REF; i++) {
        const step_def *s = seed_model_step_at(mine, N_MINE, i);
        step_table_check_step(s, reference[i].id, reference[i].name, reference[i].depends_on, 3);
        step_table_check_rm(s);
        assert_null(s->mapped_relationships[0].type);   /* the reference maps none */
    }
}

static void test_declarations_are_seed_rows(void **state)
{
    (void)state;
    seed_model *sd = seed_model_load_or_fail();
    seed_model_assert_declared_are_rows(sd, mine, N_MINE, NULL, NULL, NULL);
    seed_model_free(sd);
}

/* Relationship rows about these steps' types, except role assignments
 * ALLOWS any resource: the authorization step's. */
static bool my_row(const seed_model_row *r, void *ctx)
{
    (void)ctx;
    return strcmp(r->a, "azure_role_assignment") != 0 && (my_type(r->a) || my_type(r->c));
}

static void test_seed_rows_are_declared(void **state)
{
    (void)state;
    seed_model *sd = seed_model_load_or_fail();
    assert_true(seed_model_entity_count(sd) > 50);
    assert_true(seed_model_relationship_count(sd) > 50);
    size_t checked = 0;
    for (size_t r = 0; r < seed_model_entity_count(sd); r++)
        checked += my_type(seed_model_entity(sd, r)->b);
    assert_int_equal(checked, 13);   /* 11 database types, 2 Cosmos DB types */
    assert_int_equal(seed_model_assert_rows_declared(sd, mine, N_MINE, my_row, NULL), 13);
    seed_model_free(sd);
}

/* The seed's "Diagnostic Settings" list names the server types; the step
 * producing each reads its settings (declares the helper's types). */
static void test_diagnostic_settings_of_servers(void **state)
{
    (void)state;
    seed_model *sd = seed_model_load_or_fail();
    assert_true(seed_model_diag_count(sd) > 10);
    static const struct {
        const char *type;
        const char *step;
    } servers[] = {{"azure_sql_server", "rm-sql-server-diagnostic-settings"},
                   {"azure_mysql_server", "rm-database-mysql-databases"},
                   {"azure_mariadb_server", "rm-database-mariadb-databases"},
                   {"azure_postgresql_server", "rm-database-postgresql-servers"}};
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
        assert_true(seed_model_diag_listed(sd, servers[i].type));
        const step_def *s = registry_find(servers[i].step);
        assert_non_null(s);
        bool entity = false, has = false, uses = false;
        for (size_t e = 0; e < STEP_MAX_TYPES && s->entities[e].type; e++)
            entity |= strcmp(s->entities[e].type, "azure_diagnostic_setting") == 0;
        for (size_t r = 0; r < STEP_MAX_TYPES && s->relationships[r].type; r++) {
            has |= strcmp(s->relationships[r].type, "azure_resource_has_diagnostic_setting") == 0;
            uses |= strcmp(s->relationships[r].type,
                           "azure_diagnostic_setting_uses_storage_account") == 0;
        }
        assert_true(entity && has && uses);
    }
    seed_model_free(sd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_names_depends_as_reference),
        cmocka_unit_test(test_declarations_are_seed_rows),
        cmocka_unit_test(test_seed_rows_are_declared),
        cmocka_unit_test(test_diagnostic_settings_of_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
