/* step_table_check: see step_table_check.h. */
#include "support/step_table_check.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "steps/registry.h"

void step_table_check_list(const char *step_id, const char *what, const char *const *actual,
                           size_t actual_max, const char *const *expected, size_t expected_max)
{
    size_t i = 0;
    for (; i < actual_max && actual[i]; i++) {
        if (i >= expected_max || !expected[i])
            fail_msg("%s: unexpected %s %s (entry %zu)", step_id, what, actual[i], i);
        if (strcmp(actual[i], expected[i]) != 0)
            fail_msg("%s: %s entry %zu is %s, expected %s", step_id, what, i, actual[i],
                     expected[i]);
    }
    if (i < expected_max && expected[i])
        fail_msg("%s: %s %s (entry %zu) is missing", step_id, what, expected[i], i);
}

void step_table_check_step(const step_def *s, const char *id, const char *name,
                           const char *const *deps, size_t deps_max)
{
    assert_non_null(s);
    assert_string_equal(s->id, id);
    assert_string_equal(s->name, name);
    step_table_check_list(s->id, "dependsOn", s->depends_on, STEP_MAX_DEPS, deps, deps_max);
}

void step_table_check_rm(const step_def *s)
{
    assert_int_equal(s->enabled_when, STEP_IF_RESOURCE_MANAGER);
    assert_non_null(s->run);
    assert_ptr_equal(registry_find(s->id), s);
}

void step_table_check_types(const step_def *s, const char *const *entities, size_t entities_max,
                            const char *const *relationships, size_t relationships_max)
{
    const char *types[STEP_MAX_TYPES];
    size_t n = 0;
    for (; n < STEP_MAX_TYPES && s->entities[n].type; n++)
        types[n] = s->entities[n].type;
    step_table_check_list(s->id, "entity type", types, n, entities, entities_max);
    for (n = 0; n < STEP_MAX_TYPES && s->relationships[n].type; n++)
        types[n] = s->relationships[n].type;
    step_table_check_list(s->id, "relationship type", types, n, relationships,
                          relationships_max);
}
