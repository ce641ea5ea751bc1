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

static const step_def *mine(size_t i)
{
    size_t n = 0;
    for (const step_def *const *s = steps_databases; *s; s++, n++)
        if (n == i)
            return *s;
    for (const step_def *const *s = steps_cosmosdb; *s; s++, n++)
        if (n == i)
            return *s;
    return NULL;
}

/* ---- seed parsing ------------------------------------------------------ */

#define MAX_ROWS 512

typedef struct row {
    char a[128], b[128], c[160];
} row;

typedef struct seed {
    row entities[MAX_ROWS];
    size_t n_entities;
    row relationships[MAX_ROWS];
    size_t n_relationships;
    char diag_types[64][64];
    size_t n_diag;
} seed;

static void cell(const char *from, const char *to, char *out, size_t size)
{
    while (from < to && (*from == ' ' || *from == '`' || *from == '*'))
        from++;
    while (to > from && (to[-1] == ' ' || to[-1] == '`' || to[-1] == '*'))
        to--;
    size_t n = (size_t)(to - from) < size - 1 ? (size_t)(to - from) : size - 1;
    memcpy(out, from, n);
    out[n] = 0;
}

static bool split_row(const char *line, row *r)
{
    const char *p[4] = {line};
    if (*line != '|')
        return false;
    for (int i = 1; i < 4; i++)
        if (!(p[i] = strchr(p[i - 1] + 1, '|')))
            return false;
    cell(p[0] + 1, p[1], r->a, sizeof r->a);
    cell(p[1] + 1, p[2], r->b, sizeof r->b);
    cell(p[2] + 1, p[3], r->c, sizeof r->c);
    return r->a[0] && r->a[0] != '-' && strcmp(r->b, "Entity `_type`") != 0 &&
           strncmp(r->b, "Entity", 6) != 0 && strcmp(r->a, "Source Entity `_type`") != 0;
}

static seed *load_seed(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/spec/seed-azure-integration.md", AI_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    seed *s = calloc(1, sizeof *s);
    assert_non_null(s);
    char line[1024];
    int section = 0;   /* 1 entities, 2 relationships, 3 diagnostic settings */
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "### Entities", 12) == 0)
            section = 1;
        else if (strncmp(line, "### Relationships", 17) == 0)
            section = 2;
        else if (strncmp(line, "### Diagnostic Settings", 23) == 0)
            section = 3;
        else if (strncmp(line, "#", 1) == 0)
            section = 0;
        row r;
        if (section == 1 && s->n_entities < MAX_ROWS && split_row(line, &r))
            s->entities[s->n_entities++] = r;
        else if (section == 2 && s->n_relationships < MAX_ROWS && split_row(line, &r))
            s->relationships[s->n_relationships++] = r;
        else if (section == 3 && strncmp(line, "- azure_", 8) == 0 && s->n_diag < 64) {
            line[strcspn(line, "\r\n")] = 0;
            size_t n = strlen(line + 2);
            if (n >= sizeof s->diag_types[0])
                n = sizeof s->diag_types[0] - 1;
            memcpy(s->diag_types[s->n_diag], line + 2, n);
            s->diag_types[s->n_diag++][n] = 0;
        }
    }
    fclose(f);
    assert_true(s->n_entities > 50);
    assert_true(s->n_relationships > 50);
    assert_true(s->n_diag > 10);
    return s;
}

static void classes_text(const char *const *classes, char *out, size_t size)
{
    out[0] = 0;
    for (size_t i = 0; i < STEP_MAX_CLASSES && classes[i]; i++) {
        size_t n = strlen(out);
        snprintf(out + n, size - n, "%s%s", i ? "`, `" : "", classes[i]);
    }
}

static bool my_type(const char *type)
{
    for (size_t i = 0; i < N_REF; i++)
        for (size_t e = 0; e < STEP_MAX_TYPES && mine(i)->entities[e].type; e++)
            if (strcmp(mine(i)->entities[e].type, type) == 0 &&
                strcmp(type, "azure_diagnostic_setting") != 0)
                return true;
    return false;
}

/* ---- tests --------------------------------------------------------------- */

static void test_ids_names_depends_as_reference(void **state)
{
    (void)state;
    size_t n = 0;
    while (mine(n))
        n++;
    assert_int_equal(n, N_REF);
    for (size_t i = 0; i < N_REF; i++) {
        const step_def *s = mine(i);
        assert_string_equal(s->id, reference[i].id);
        assert_string_equal(s->name, reference[i].name);
        size_t d = 0;
        for (; d < 3 && reference[i].depends_on[d]; d++) {
            assert_non_null(s->depends_on[d]);
            assert_string_equal(s->depends_on[d], reference[i].depends_on[d]);
        }
        assert_null(s->depends_on[d]);
        assert_int_equal(s->enabled_when, STEP_IF_RESOURCE_MANAGER);
        assert_ptr_equal(registry_find(s->id), s);
        assert_null(s->mapped_relationships[0].type);   /* the reference maps none */
    }
}

static void test_declarations_are_seed_rows(void **state)
{
    (void)state;
    seed *sd = load_seed();
    for (size_t i = 0; i < N_REF; i++) {
        const step_def *s = mine(i);
        for (size_t e = 0; e < STEP_MAX_TYPES && s->entities[e].type; e++) {
            char cls[256];
            classes_text(s->entities[e].classes, cls, sizeof cls);
            bool found = false;
            for (size_t r = 0; r < sd->n_entities && !found; r++)
                found = strcmp(sd->entities[r].a, s->entities[e].resource_name) == 0 &&
                        strcmp(sd->entities[r].b, s->entities[e].type) == 0 &&
                        strcmp(sd->entities[r].c, cls) == 0;
            if (!found)
                fail_msg("%s: entity %s (%s, %s) is not in the seed", s->id,
                         s->entities[e].type, s->entities[e].resource_name, cls);
        }
        for (size_t r = 0; r < STEP_MAX_TYPES && s->relationships[r].type; r++) {
            const step_relationship_decl *d = &s->relationships[r];
            bool found = false;
            for (size_t k = 0; k < sd->n_relationships && !found; k++)
                found = strcmp(sd->relationships[k].a, d->source_type) == 0 &&
                        strcmp(sd->relationships[k].b, d->class_name) == 0 &&
                        strcmp(sd->relationships[k].c, d->target_type) == 0;
            if (!found)
                fail_msg("%s: relationship %s (%s %s %s) is not in the seed", s->id, d->type,
                         d->source_type, d->class_name, d->target_type);
        }
    }
    free(sd);
}

static bool declared_relationship(const char *source, const char *cls, const char *target)
{
    for (size_t i = 0; i < N_REF; i++)
        for (size_t r = 0; r < STEP_MAX_TYPES && mine(i)->relationships[r].type; r++) {
            const step_relationship_decl *d = &mine(i)->relationships[r];
            if (strcmp(d->source_type, source) == 0 && strcmp(d->class_name, cls) == 0 &&
                strcmp(d->target_type, target) == 0)
                return true;
        }
    return false;
}

static void test_seed_rows_are_declared(void **state)
{
    (void)state;
    seed *sd = load_seed();
    size_t checked = 0;
    for (size_t r = 0; r < sd->n_entities; r++) {
        if (!my_type(sd->entities[r].b))
            continue;
        checked++;
    }
    assert_int_equal(checked, 13);   /* 11 database types, 2 Cosmos DB types */
    size_t rels = 0;
    for (size_t k = 0; k < sd->n_relationships; k++) {
        const row *r = &sd->relationships[k];
        /* role assignments ALLOWS any resource: the authorization step's */
        if (strcmp(r->a, "azure_role_assignment") == 0)
            continue;
        if (!my_type(r->a) && !my_type(r->c))
            continue;
        rels++;
        if (!declared_relationship(r->a, r->b, r->c))
            fail_msg("seed relationship %s %s %s is declared by no step", r->a, r->b, r->c);
    }
    assert_int_equal(rels, 13);
    free(sd);
}

/* The seed's "Diagnostic Settings" list names the server types; the step
 * producing each reads its settings (declares the helper's types). */
static void test_diagnostic_settings_of_servers(void **state)
{
    (void)state;
    seed *sd = load_seed();
    static const struct {
        const char *type;
        const char *step;
    } servers[] = {{"azure_sql_server", "rm-sql-server-diagnostic-settings"},
                   {"azure_mysql_server", "rm-database-mysql-databases"},
                   {"azure_mariadb_server", "rm-database-mariadb-databases"},
                   {"azure_postgresql_server", "rm-database-postgresql-servers"}};
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
        bool listed = false;
        for (size_t d = 0; d < sd->n_diag; d++)
            listed |= strcmp(sd->diag_types[d], servers[i].type) == 0;
        assert_true(listed);
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
    free(sd);
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
