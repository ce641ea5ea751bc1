/* seed_model: see seed_model.h. */
#include "support/seed_model.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_MODEL_MAX_ROWS 512
#define SEED_MODEL_MAX_DIAG 64

struct seed_model {
    seed_model_row entities[SEED_MODEL_MAX_ROWS];
    size_t n_entities;
    seed_model_row relationships[SEED_MODEL_MAX_ROWS];
    size_t n_relationships;
    char diag[SEED_MODEL_MAX_DIAG][64];
    size_t n_diag;
};

enum { SECTION_NONE, SECTION_ENTITIES, SECTION_RELATIONSHIPS, SECTION_DIAG };

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

/* A data row of a three-column table: not the header, not the divider. */
static bool split_row(const char *line, seed_model_row *row)
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
    return row->a[0] && row->a[0] != '-' && strcmp(row->a, "Resources") != 0 &&
           strncmp(row->a, "Source Entity", 13) != 0;
}

static int section_of(const char *line, int current)
{
    if (strncmp(line, "### Entities", 12) == 0)
        return SECTION_ENTITIES;
    if (strncmp(line, "### Relationships", 17) == 0)
        return SECTION_RELATIONSHIPS;
    if (strncmp(line, "### Diagnostic Settings", 23) == 0)
        return SECTION_DIAG;
    if (line[0] == '#' || strncmp(line, "<!--", 4) == 0)
        return SECTION_NONE;
    return current;
}

static int add_line(seed_model *m, int section, char *line, const char *path, err_info *err)
{
    seed_model_row row;
    if (section == SECTION_ENTITIES || section == SECTION_RELATIONSHIPS) {
        if (!split_row(line, &row))
            return 0;
        bool ent = section == SECTION_ENTITIES;
        size_t *n = ent ? &m->n_entities : &m->n_relationships;
        if (*n == SEED_MODEL_MAX_ROWS)
            return err_set(err, ERR_INTERNAL, "%s: more than %d %s rows; raise SEED_MODEL_MAX_ROWS",
                           path, SEED_MODEL_MAX_ROWS, ent ? "entity" : "relationship");
        (ent ? m->entities : m->relationships)[(*n)++] = row;
    } else if (section == SECTION_DIAG && strncmp(line, "- azure_", 8) == 0) {
        if (m->n_diag == SEED_MODEL_MAX_DIAG)
            return err_set(err, ERR_INTERNAL,
                           "%s: more than %d diagnostic-settings types; raise SEED_MODEL_MAX_DIAG",
                           path, SEED_MODEL_MAX_DIAG);
        line[strcspn(line, "\r\n")] = 0;
        cell(line + 2, line + strlen(line), m->diag[m->n_diag], sizeof m->diag[0]);
        m->n_diag++;
    }
    return 0;
}

seed_model *seed_model_load(const char *path, err_info *err)
{
    if (!path)
        path = AI_SOURCE_DIR "/docs/spec/seed-azure-integration.md";
    FILE *f = fopen(path, "r");
    if (!f) {
        err_set(err, ERR_IO, "cannot read the seed %s; run from a full source tree", path);
        return NULL;
    }
    seed_model *m = calloc(1, sizeof *m);
    if (!m) {
        fclose(f);
        err_set(err, ERR_NOMEM, "no memory for the seed model");
        return NULL;
    }
    char line[1024];
    int section = SECTION_NONE;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        section = section_of(line, section);
        rc = add_line(m, section, line, path, err);
    }
    fclose(f);
    if (rc == 0 && (m->n_entities == 0 || m->n_relationships == 0 || m->n_diag == 0))
        rc = err_set(err, ERR_INVALID,
                     "%s: no Entities, Relationships or Diagnostic Settings table found; "
                     "check its \"### \" headings",
                     path);
    if (rc != 0) {
        free(m);
        return NULL;
    }
    return m;
}

seed_model *seed_model_load_or_fail(void)
{
    err_info err = {0};
    seed_model *m = seed_model_load(NULL, &err);
    if (!m)
        fail_msg("%s", err.message);
    return m;
}

void seed_model_free(seed_model *m)
{
    free(m);
}

size_t seed_model_entity_count(const seed_model *m) { return m->n_entities; }
size_t seed_model_relationship_count(const seed_model *m) { return m->n_relationships; }
size_t seed_model_diag_count(const seed_model *m) { return m->n_diag; }

const seed_model_row *seed_model_entity(const seed_model *m, size_t i)
{
    return i < m->n_entities ? &m->entities[i] : NULL;
}

const seed_model_row *seed_model_relationship(const seed_model *m, size_t i)
{
    return i < m->n_relationships ? &m->relationships[i] : NULL;
}

const char *seed_model_diag_type(const seed_model *m, size_t i)
{
    return i < m->n_diag ? m->diag[i] : NULL;
}

static bool row_is(const seed_model_row *r, const char *a, const char *b, const char *c)
{
    return strcmp(r->a, a) == 0 && strcmp(r->b, b) == 0 && strcmp(r->c, c) == 0;
}

bool seed_model_has_relationship(const seed_model *m, const char *source, const char *cls,
                                 const char *target)
{
    for (size_t i = 0; i < m->n_relationships; i++)
        if (row_is(&m->relationships[i], source, cls, target))
            return true;
    return false;
}

bool seed_model_diag_listed(const seed_model *m, const char *type)
{
    for (size_t i = 0; i < m->n_diag; i++)
        if (strcmp(m->diag[i], type) == 0)
            return true;
    return false;
}

void seed_model_classes_text(const char *const *classes, char *out, size_t size)
{
    out[0] = 0;
    for (size_t i = 0; i < STEP_MAX_CLASSES && classes[i]; i++) {
        size_t n = strlen(out);
        snprintf(out + n, size - n, "%s%s", i ? "`, `" : "", classes[i]);
    }
}

/* ---- step sets ----------------------------------------------------------- */

const step_def *seed_model_step_at(const step_def *const *const *groups, size_t n_groups,
                                   size_t i)
{
    size_t k = 0;
    for (size_t g = 0; g < n_groups; g++)
        for (const step_def *const *s = groups[g]; *s; s++, k++)
            if (k == i)
                return *s;
    return NULL;
}

size_t seed_model_step_count(const step_def *const *const *groups, size_t n_groups)
{
    size_t n = 0;
    while (seed_model_step_at(groups, n_groups, n))
        n++;
    return n;
}

const step_def *seed_model_step_find(const step_def *const *const *groups, size_t n_groups,
                                     const char *id)
{
    const step_def *s;
    for (size_t i = 0; (s = seed_model_step_at(groups, n_groups, i)); i++)
        if (strcmp(s->id, id) == 0)
            return s;
    return NULL;
}

bool seed_model_declares_entity(const step_def *const *const *groups, size_t n_groups,
                                const char *type)
{
    const step_def *s;
    for (size_t k = 0; (s = seed_model_step_at(groups, n_groups, k)); k++)
        for (size_t i = 0; i < STEP_MAX_TYPES && s->entities[i].type; i++)
            if (strcmp(s->entities[i].type, type) == 0)
                return true;
    return false;
}

bool seed_model_declares_relationship(const step_def *const *const *groups, size_t n_groups,
                                      const char *source, const char *cls, const char *target)
{
    const step_def *s;
    for (size_t k = 0; (s = seed_model_step_at(groups, n_groups, k)); k++)
        for (size_t i = 0; i < STEP_MAX_TYPES && s->relationships[i].type; i++) {
            const step_relationship_decl *r = &s->relationships[i];
            if (strcmp(r->source_type, source) == 0 && strcmp(r->class_name, cls) == 0 &&
                strcmp(r->target_type, target) == 0)
                return true;
        }
    return false;
}

static bool skipped(const char *const *skip, const char *type)
{
    for (size_t i = 0; skip && skip[i]; i++)
        if (strcmp(skip[i], type) == 0)
            return true;
    return false;
}

static void assert_entity_row(const seed_model *m, const step_def *s, const step_entity_decl *e)
{
    char cls[256];
    seed_model_classes_text(e->classes, cls, sizeof cls);
    bool found = false;
    for (size_t r = 0; r < m->n_entities; r++) {
        const seed_model_row *row = &m->entities[r];
        if (strcmp(row->b, e->type) != 0)
            continue;
        found = true;
        if (strcmp(row->a, e->resource_name) != 0 || strcmp(row->c, cls) != 0)
            fail_msg("%s: entity %s is declared as (%s, %s), the seed says (%s, %s)", s->id,
                     e->type, e->resource_name, cls, row->a, row->c);
    }
    if (!found)
        fail_msg("%s: entity %s (%s, %s) is not a seed row", s->id, e->type, e->resource_name,
                 cls);
}

void seed_model_assert_declared_are_rows(const seed_model *m,
                                         const step_def *const *const *groups, size_t n_groups,
                                         const char *const *skip, size_t *entities,
                                         size_t *relationships)
{
    size_t ne = 0, nr = 0;
    const step_def *s;
    for (size_t k = 0; (s = seed_model_step_at(groups, n_groups, k)); k++) {
        for (size_t i = 0; i < STEP_MAX_TYPES && s->entities[i].type; i++, ne++)
            assert_entity_row(m, s, &s->entities[i]);
        for (size_t i = 0; i < STEP_MAX_TYPES && s->relationships[i].type; i++) {
            const step_relationship_decl *d = &s->relationships[i];
            if (skipped(skip, d->type))
                continue;
            if (!seed_model_has_relationship(m, d->source_type, d->class_name, d->target_type))
                fail_msg("%s: relationship %s (%s %s %s) is not a seed row", s->id, d->type,
                         d->source_type, d->class_name, d->target_type);
            nr++;
        }
    }
    if (entities)
        *entities = ne;
    if (relationships)
        *relationships = nr;
}

size_t seed_model_assert_rows_declared(const seed_model *m,
                                       const step_def *const *const *groups, size_t n_groups,
                                       seed_model_select_fn *select, void *ctx)
{
    size_t picked = 0;
    for (size_t k = 0; k < m->n_relationships; k++) {
        const seed_model_row *r = &m->relationships[k];
        if (!select(r, ctx))
            continue;
        picked++;
        if (!seed_model_declares_relationship(groups, n_groups, r->a, r->b, r->c))
            fail_msg("seed row %s %s %s is declared by none of these steps", r->a, r->b, r->c);
    }
    return picked;
}
