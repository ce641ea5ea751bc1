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

/* ---- seed parsing ------------------------------------------------------ */

#define MAX_ROWS 512

typedef struct seed_row {
    char a[128], b[128], c[128];
} seed_row;

typedef struct seed {
    seed_row entities[MAX_ROWS];
    size_t n_entities;
    seed_row relationships[MAX_ROWS];
    size_t n_relationships;
} seed;

/* Copies a table cell without surrounding blanks, backticks and asterisks. */
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

static bool split_row(const char *line, seed_row *row)
{
    const char *p[4] = {line};
    if (*line != '|')
        return false;
    for (int i = 1; i < 4; i++)
        if (!(p[i] = strchr(p[i - 1] + 1, '|')))
            return false;
    cell(p[0] + 1, p[1], row->a, sizeof row->a);
    cell(p[1] + 1, p[2], row->b, sizeof row->b);
    cell(p[2] + 1, p[3], row->c, sizeof row->c);
    return row->a[0] && row->a[0] != '-' && strcmp(row->b, "Entity `_type`") != 0;
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
    int section = 0;   /* 1 entities, 2 relationships */
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "### Entities", 12) == 0)
            section = 1;
        else if (strncmp(line, "### Relationships", 17) == 0)
            section = 2;
        else if (strncmp(line, "###", 3) == 0 || strncmp(line, "<!--", 4) == 0)
            section = 0;
        seed_row row;
        if (!section || !split_row(line, &row))
            continue;
        if (strstr(row.a, "Resources") || strstr(row.a, "Source Entity"))
            continue;   /* header */
        if (section == 1 && s->n_entities < MAX_ROWS)
            s->entities[s->n_entities++] = row;
        else if (section == 2 && s->n_relationships < MAX_ROWS)
            s->relationships[s->n_relationships++] = row;
    }
    fclose(f);
    assert_true(s->n_entities > 50);
    assert_true(s->n_relationships > 100);
    return s;
}

static void classes_text(const char *const *classes, char *out, size_t size)
{
    out[0] = 0;
    for (size_t i = 0; i < STEP_MAX_CLASSES && classes[i]; i++) {
        if (i)
            strncat(out, "`, `", size - strlen(out) - 1);
        strncat(out, classes[i], size - strlen(out) - 1);
    }
}

static bool my_entity_type(const char *type)
{
    for (size_t g = 0; g < sizeof mine / sizeof mine[0]; g++)
        for (const step_def *const *s = mine[g]; *s; s++)
            for (size_t i = 0; i < STEP_MAX_TYPES && (*s)->entities[i].type; i++)
                if (strcmp((*s)->entities[i].type, type) == 0)
                    return true;
    return false;
}

static bool declared_relationship(const char *source, const char *cls, const char *target)
{
    for (size_t g = 0; g < sizeof mine / sizeof mine[0]; g++)
        for (const step_def *const *s = mine[g]; *s; s++)
            for (size_t i = 0; i < STEP_MAX_TYPES && (*s)->relationships[i].type; i++) {
                const step_relationship_decl *r = &(*s)->relationships[i];
                if (strcmp(r->source_type, source) == 0 && strcmp(r->class_name, cls) == 0 &&
                    strcmp(r->target_type, target) == 0)
                    return true;
            }
    return false;
}

static void test_declared_types_are_seed_rows(void **state)
{
    (void)state;
    seed *s = load_seed();
    size_t entities = 0, relationships = 0;
    for (size_t g = 0; g < sizeof mine / sizeof mine[0]; g++) {
        for (const step_def *const *st = mine[g]; *st; st++) {
            for (size_t i = 0; i < STEP_MAX_TYPES && (*st)->entities[i].type; i++) {
                const step_entity_decl *e = &(*st)->entities[i];
                char cls[256];
                classes_text(e->classes, cls, sizeof cls);
                bool found = false;
                for (size_t r = 0; r < s->n_entities; r++)
                    if (strcmp(s->entities[r].b, e->type) == 0) {
                        found = true;
                        assert_string_equal(s->entities[r].a, e->resource_name);
                        assert_string_equal(s->entities[r].c, cls);
                    }
                if (!found)
                    fail_msg("%s declares entity %s, not in the seed", (*st)->id, e->type);
                entities++;
            }
            for (size_t i = 0; i < STEP_MAX_TYPES && (*st)->relationships[i].type; i++) {
                const step_relationship_decl *d = &(*st)->relationships[i];
                bool found = false;
                for (size_t r = 0; r < s->n_relationships && !found; r++)
                    found = strcmp(s->relationships[r].a, d->source_type) == 0 &&
                            strcmp(s->relationships[r].b, d->class_name) == 0 &&
                            strcmp(s->relationships[r].c, d->target_type) == 0;
                if (!found)
                    fail_msg("%s declares %s %s %s (%s), not in the seed", (*st)->id,
                             d->source_type, d->class_name, d->target_type, d->type);
                relationships++;
            }
        }
    }
    assert_int_equal(entities, 15);
    free(s);
}

/* Seed rows that mention one of these steps' entity types but belong to
 * another service's step. */
static bool other_service_row(const seed_row *r)
{
    return strcmp(r->a, "azure_account") == 0 && strcmp(r->c, "azure_keyvault_service") == 0;
}

static void test_seed_rows_are_declared(void **state)
{
    (void)state;
    seed *s = load_seed();
    for (size_t r = 0; r < s->n_entities; r++) {
        const char *t = s->entities[r].b;
        bool ad = strncmp(s->entities[r].a, "[AD]", 4) == 0;
        if (ad)
            assert_true(my_entity_type(t));
    }
    size_t mine_rows = 0;
    for (size_t r = 0; r < s->n_relationships; r++) {
        const seed_row *row = &s->relationships[r];
        if (!my_entity_type(row->a) && !my_entity_type(row->c))
            continue;
        if (other_service_row(row))
            continue;
        if (!declared_relationship(row->a, row->b, row->c))
            fail_msg("seed row %s %s %s is not declared by these steps", row->a, row->b, row->c);
        mine_rows++;
    }
    /* account 2, group members 3, role assignments 24 (13 scopes, 11
     * principals) + 1 definition, classic admins 1, advisor 2, policy 1,
     * monitor 4, security 3 */
    assert_int_equal(mine_rows, 41);
    free(s);
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
        assert_string_equal(s->name, expected[e].name);
        assert_int_equal(s->enabled_when, expected[e].when);
        size_t i = 0;
        for (; expected[e].deps[i]; i++) {
            assert_non_null(s->depends_on[i]);
            assert_string_equal(s->depends_on[i], expected[e].deps[i]);
        }
        assert_null(s->depends_on[i]);
        seen++;
    }
    size_t total = 0;
    for (size_t g = 0; g < sizeof mine / sizeof mine[0]; g++)
        for (const step_def *const *s = mine[g]; *s; s++)
            total++;
    assert_int_equal(total, seen);
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
