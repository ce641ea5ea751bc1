/*
 * The compute and interservice step tables against the reference and the
 * seed's data model (docs/spec/seed-azure-integration.md, parsed at test
 * time):
 *   - step ids (with the reference's "virutal" misspelling), names,
 *     dependsOn and order follow graph-azure 32eaf0f8 compute/index.ts and
 *     interservice/index.ts; every step is a Resource Manager step;
 *   - every declared entity (resource name, _type, _class) and relationship
 *     (source, CLASS, target) is a row of the seed, and every seed row about
 *     VMs, images and managed disks that these steps produce is declared —
 *     except azure_vm_uses_extension, which the reference produces without
 *     declaring it (so its generated data model lacks the row) and which
 *     our engine only stores when declared;
 *   - the registry holds every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/step.h"
#include "steps/compute.h"
#include "steps/interservice.h"
#include "steps/registry.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const step_def *const *const mine[] = {steps_compute, steps_interservice};

typedef struct expected_step {
    const char *id, *name;
    const char *deps[6];
} expected_step;

/* compute/index.ts computeSteps, then interservice/index.ts */
static const expected_step reference[] = {
    {"rm-compute-virtual-machine-images", "Virtual Machine Disk Images",
     {"ad-account", "rm-resources-resource-groups"}},
    {"rm-compute-virutal-machine-disks", "Virtual Machine Disks",
     {"ad-account", "rm-resources-resource-groups"}},
    {"rm-compute-virtual-machines", "Virtual Machines",
     {"ad-account", "rm-resources-resource-groups"}},
    {"rm-compute-virtual-machine-disk-relationships", "Virtual Machine Disk Relationships",
     {"rm-compute-virtual-machines", "rm-compute-virutal-machine-disks", "rm-storage-resources"}},
    {"rm-compute-virtual-machine-extensions", "Virtual Machine Extensions",
     {"ad-account", "rm-compute-virtual-machines"}},
    {"rm-compute-network-relationships", "Compute Network Relationships",
     {"ad-account", "rm-compute-virtual-machines", "rm-network-interfaces",
      "rm-network-ip-addresses"}},
};

static void test_ids_names_dependencies(void **state)
{
    (void)state;
    size_t k = 0;
    for (size_t g = 0; g < sizeof mine / sizeof mine[0]; g++)
        for (const step_def *const *s = mine[g]; *s; s++, k++) {
            assert_true(k < sizeof reference / sizeof reference[0]);
            const expected_step *e = &reference[k];
            assert_string_equal((*s)->id, e->id);
            assert_string_equal((*s)->name, e->name);
            size_t d = 0;
            for (; d < STEP_MAX_DEPS && (*s)->depends_on[d]; d++) {
                assert_non_null(e->deps[d]);
                assert_string_equal((*s)->depends_on[d], e->deps[d]);
            }
            assert_null(e->deps[d]);
            assert_int_equal((*s)->enabled_when, STEP_IF_RESOURCE_MANAGER);
            assert_non_null((*s)->run);
            assert_ptr_equal(registry_find((*s)->id), *s);
        }
    assert_int_equal(k, sizeof reference / sizeof reference[0]);
}

/* ---- the seed ----------------------------------------------------------- */

#define MAX_ROWS 512

typedef struct row {
    char a[128], b[128], c[128];
} row;

typedef struct seed {
    row entities[MAX_ROWS], relationships[MAX_ROWS];
    size_t n_entities, n_relationships;
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
    return r->a[0] && r->a[0] != '-' && strcmp(r->a, "Resources") != 0 &&
           strcmp(r->a, "Source Entity `_type`") != 0 && strcmp(r->a, "Source Entity _type") != 0;
}

static seed *load_seed(void)
{
    FILE *f = fopen(AI_SOURCE_DIR "/docs/spec/seed-azure-integration.md", "r");
    assert_non_null(f);
    seed *s = calloc(1, sizeof *s);
    assert_non_null(s);
    char line[1024];
    int section = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "### Entities", 12) == 0)
            section = 1;
        else if (strncmp(line, "### Relationships", 17) == 0)
            section = 2;
        else if (strncmp(line, "###", 3) == 0 || strncmp(line, "<!--", 4) == 0)
            section = 0;
        row r;
        if (!section || !split_row(line, &r))
            continue;
        if (section == 1 && s->n_entities < MAX_ROWS)
            s->entities[s->n_entities++] = r;
        else if (section == 2 && s->n_relationships < MAX_ROWS)
            s->relationships[s->n_relationships++] = r;
    }
    fclose(f);
    assert_true(s->n_entities > 50);
    assert_true(s->n_relationships > 100);
    return s;
}

static bool seed_has(const row *rows, size_t n, const char *a, const char *b, const char *c)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].a, a) == 0 && strcmp(rows[i].b, b) == 0 && strcmp(rows[i].c, c) == 0)
            return true;
    return false;
}

static bool declared(const char *source, const char *cls, const char *target)
{
    for (size_t g = 0; g < sizeof mine / sizeof mine[0]; g++)
        for (const step_def *const *s = mine[g]; *s; s++)
            for (size_t i = 0; i < STEP_MAX_TYPES && (*s)->relationships[i].type; i++) {
                const step_relationship_decl *r = &(*s)->relationships[i];
                if (!strcmp(r->source_type, source) && !strcmp(r->class_name, cls) &&
                    !strcmp(r->target_type, target))
                    return true;
            }
    return false;
}

static void test_declarations_match_seed(void **state)
{
    (void)state;
    seed *s = load_seed();
    int entities = 0, relationships = 0;
    for (size_t g = 0; g < sizeof mine / sizeof mine[0]; g++)
        for (const step_def *const *st = mine[g]; *st; st++) {
            for (size_t i = 0; i < STEP_MAX_TYPES && (*st)->entities[i].type; i++) {
                const step_entity_decl *e = &(*st)->entities[i];
                char classes[256] = "";
                for (size_t c = 0; c < STEP_MAX_CLASSES && e->classes[c]; c++) {
                    if (c)
                        strcat(classes, "`, `");
                    strcat(classes, e->classes[c]);
                }
                if (!seed_has(s->entities, s->n_entities, e->resource_name, e->type, classes))
                    fail_msg("entity %s (%s, %s) is not a seed row", e->type, e->resource_name,
                             classes);
                entities++;
            }
            for (size_t i = 0; i < STEP_MAX_TYPES && (*st)->relationships[i].type; i++) {
                const step_relationship_decl *r = &(*st)->relationships[i];
                if (strcmp(r->type, "azure_vm_uses_extension") == 0)
                    continue;   /* produced but undeclared by the reference, see above */
                if (!seed_has(s->relationships, s->n_relationships, r->source_type, r->class_name,
                              r->target_type))
                    fail_msg("relationship %s is not a seed row", r->type);
                relationships++;
            }
        }
    assert_int_equal(entities, 4);
    assert_int_equal(relationships, 8);
    /* the seed's rows about what these steps produce are all declared */
    static const char *const produced[] = {"azure_vm", "azure_image", "azure_managed_disk",
                                           "azure_vm_extension"};
    for (size_t i = 0; i < s->n_relationships; i++) {
        const row *r = &s->relationships[i];
        bool ours = strcmp(r->a, "azure_vm") == 0;
        for (size_t p = 0; p < 4 && !ours; p++)
            ours = strcmp(r->c, produced[p]) == 0 &&
                   (strcmp(r->a, "azure_resource_group") == 0 || strcmp(r->a, "azure_subnet") == 0);
        if (ours && !declared(r->a, r->b, r->c))
            fail_msg("seed row %s %s %s is not declared", r->a, r->b, r->c);
    }
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_names_dependencies),
        cmocka_unit_test(test_declarations_match_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
