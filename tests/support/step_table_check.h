/*
 * step_table_check: assertions on a step_def against a suite's table of the
 * reference (graph-azure 32eaf0f8 ids, names, dependsOn, declared types),
 * shared by the step-table suites (test_*_tables.c of the step suites).  Each
 * fails the running cmocka test with a message naming the step.
 */
#ifndef AI_TESTS_SUPPORT_STEP_TABLE_CHECK_H
#define AI_TESTS_SUPPORT_STEP_TABLE_CHECK_H

#include <stddef.h>

#include "engine/step.h"

/* actual (up to actual_max entries, NULL-terminated if shorter) equals
 * expected (up to expected_max entries, NULL-terminated if shorter), in
 * order; what names the list in the failure message. */
void step_table_check_list(const char *step_id, const char *what, const char *const *actual,
                           size_t actual_max, const char *const *expected, size_t expected_max);

/* s has this id and name and exactly these dependsOn, in order. */
void step_table_check_step(const step_def *s, const char *id, const char *name,
                           const char *const *deps, size_t deps_max);

/* s is a Resource Manager step with a run function and is the registry's
 * definition of its id. */
void step_table_check_rm(const step_def *s);

/* s declares exactly these entity and relationship _types, in order. */
void step_table_check_types(const step_def *s, const char *const *entities, size_t entities_max,
                            const char *const *relationships, size_t relationships_max);

#endif
