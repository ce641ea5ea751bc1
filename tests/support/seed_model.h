/*
 * seed_model: the data model of docs/spec/seed-azure-integration.md, parsed
 * at test time, for the step-table suites (test_*_tables.c of the step suites).
 *
 *   - "### Entities" rows:      a = resource name, b = _type, c = _class
 *                               (classes as the seed prints them: A`, `B);
 *   - "### Relationships" rows: a = source _type, b = CLASS, c = target _type;
 *   - "### Diagnostic Settings": the "- azure_..." list of types.
 *
 * A step set is an array of NULL-terminated step_def lists (steps_compute,
 * steps_interservice, ...).  The seed_model_assert_* helpers fail the
 * running cmocka test with a message naming the step and the row.
 */
#ifndef AI_TESTS_SUPPORT_SEED_MODEL_H
#define AI_TESTS_SUPPORT_SEED_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "engine/step.h"

typedef struct seed_model seed_model;

typedef struct seed_model_row {
    char a[192], b[192], c[192];
} seed_model_row;

/* Parses the seed at path (NULL: AI_SOURCE_DIR's docs/spec copy).  NULL with
 * err set when the file cannot be read or holds no tables. */
seed_model *seed_model_load(const char *path, err_info *err);
/* seed_model_load(NULL) that fails the running test instead of returning
 * NULL. */
seed_model *seed_model_load_or_fail(void);
void seed_model_free(seed_model *m);

size_t seed_model_entity_count(const seed_model *m);
size_t seed_model_relationship_count(const seed_model *m);
size_t seed_model_diag_count(const seed_model *m);
const seed_model_row *seed_model_entity(const seed_model *m, size_t i);
const seed_model_row *seed_model_relationship(const seed_model *m, size_t i);
const char *seed_model_diag_type(const seed_model *m, size_t i);

bool seed_model_has_relationship(const seed_model *m, const char *source, const char *cls,
                                 const char *target);
bool seed_model_diag_listed(const seed_model *m, const char *type);

/* "A`, `B" from {"A", "B", NULL}, as the seed's _class column reads. */
void seed_model_classes_text(const char *const *classes, char *out, size_t size);

/* ---- step sets ----------------------------------------------------------- */

size_t seed_model_step_count(const step_def *const *const *groups, size_t n_groups);
/* The i-th step of the set, in list order; NULL past the end. */
const step_def *seed_model_step_at(const step_def *const *const *groups, size_t n_groups,
                                   size_t i);
const step_def *seed_model_step_find(const step_def *const *const *groups, size_t n_groups,
                                     const char *id);
bool seed_model_declares_entity(const step_def *const *const *groups, size_t n_groups,
                                const char *type);
bool seed_model_declares_relationship(const step_def *const *const *groups, size_t n_groups,
                                      const char *source, const char *cls, const char *target);

/* Every entity the set declares is the seed's row of its _type, with the
 * seed's resource name and classes; every relationship it declares (except
 * the _types in skip, NULL-terminated, may be NULL) is a seed row.  Counts
 * what was checked into *entities / *relationships (either may be NULL). */
void seed_model_assert_declared_are_rows(const seed_model *m,
                                         const step_def *const *const *groups, size_t n_groups,
                                         const char *const *skip, size_t *entities,
                                         size_t *relationships);

/* Every seed relationship row that select() picks is declared by the set;
 * returns how many rows were picked. */
typedef bool seed_model_select_fn(const seed_model_row *row, void *ctx);
size_t seed_model_assert_rows_declared(const seed_model *m,
                                       const step_def *const *const *groups, size_t n_groups,
                                       seed_model_select_fn *select, void *ctx);

#endif
