/*
 * gov_compare: exact comparison of a produced graph with an expected one
 * (see gov_case.h).  Objects are matched by _key; every property of the
 * expected object must be present with an equal value (numbers compared
 * exactly, arrays in order, nested objects such as _mapping recursively),
 * and the produced object must have no other property except _rawData,
 * whose first entry must be named "default" when present.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps_governance/gov_case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *find_by_key(const cJSON *arr, const char *key)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "_key");
        if (cJSON_IsString(k) && strcmp(k->valuestring, key) == 0)
            return o;
    }
    return NULL;
}

static void assert_object_equal(const char *what, const char *key, const cJSON *expected,
                                const cJSON *actual)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, expected)
    {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(actual, p->string);
        if (!a)
            fail_msg("%s %s: property %s missing", what, key, p->string);
        if (!cJSON_Compare(p, a, 1)) {
            char *pe = cJSON_PrintUnformatted(p), *pa = cJSON_PrintUnformatted(a);
            fprintf(stderr, "%s %s: property %s\n  expected %s\n  actual   %s\n", what, key,
                    p->string, pe, pa);
            free(pe);
            free(pa);
            fail_msg("%s %s: property %s differs", what, key, p->string);
        }
    }
    cJSON_ArrayForEach(p, actual)
    {
        if (strcmp(p->string, "_rawData") == 0) {
            const cJSON *first = cJSON_GetArrayItem(p, 0);
            assert_true(cJSON_IsArray(p));
            if (first) {
                const cJSON *name = cJSON_GetObjectItemCaseSensitive(first, "name");
                assert_true(cJSON_IsString(name));
                assert_string_equal(name->valuestring, "default");
            }
            continue;
        }
        if (!cJSON_GetObjectItemCaseSensitive(expected, p->string)) {
            char *pa = cJSON_PrintUnformatted(p);
            fprintf(stderr, "%s %s: unexpected property %s = %s\n", what, key, p->string, pa);
            free(pa);
            fail_msg("%s %s: unexpected property %s", what, key, p->string);
        }
    }
}

static void assert_set_equal(const char *what, const cJSON *expected, const cJSON *actual)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, actual)
    {
        const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "_key"));
        assert_non_null(key);
        if (!find_by_key(expected, key))
            fail_msg("unexpected %s %s", what, key);
    }
    cJSON_ArrayForEach(o, expected)
    {
        const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "_key"));
        const cJSON *a = find_by_key(actual, key);
        if (!a)
            fail_msg("missing %s %s", what, key);
        assert_object_equal(what, key, o, a);
    }
    assert_int_equal(cJSON_GetArraySize(expected), cJSON_GetArraySize(actual));
}

void gov_graph_assert_equal(const cJSON *expected, const cJSON *actual)
{
    assert_set_equal("entity", cJSON_GetObjectItemCaseSensitive(expected, "entities"),
                     cJSON_GetObjectItemCaseSensitive(actual, "entities"));
    assert_set_equal("relationship", cJSON_GetObjectItemCaseSensitive(expected, "relationships"),
                     cJSON_GetObjectItemCaseSensitive(actual, "relationships"));
}

int gov_graph_count(const cJSON *graph, const char *part, const char *type)
{
    int n = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(graph, part))
    {
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "_type"));
        n += t && strcmp(t, type) == 0;
    }
    return n;
}
