/* entity_map against a golden snapshot of the reference (graph-azure's
 * converters.test.ts.snap for createRedisCacheEntity, converted to JSON in
 * fixtures/redis_cache_entity.json): the snapshot's _rawData (the SDK
 * object) fed through a table that states what the reference converter
 * does (convertProperties + schema pass-through + assignments) must give
 * the snapshot entity exactly. */
#include "common/json.h"
#include "engine/entity_map.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int web_link(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                    err_info *err)
{
    (void)item, (void)mctx, (void)err;
    if (!cJSON_IsString(value))
        return 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "https://portal.azure.com/#@something.onmicrosoft.com/resource%s",
             value->valuestring);
    *out = cJSON_CreateString(buf);
    return 0;
}

static int null_value(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                      err_info *err)
{
    (void)value, (void)item, (void)mctx, (void)err;
    *out = cJSON_CreateNull();
    return 0;
}

static const prop_map redis_rows[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = web_link},
    {"encrypted", NULL, MAP_FN, .fn = null_value},
    {"classification", NULL, MAP_FN, .fn = null_value},
    {NULL},
};

static const entity_spec redis_spec = {
    .type = "azure_redis_cache",
    .classes = {"Database", "DataStore", "Cluster"},
    .flags = ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = redis_rows,
};

static cJSON *read_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    assert_non_null(j);
    return j;
}

static void test_redis_cache_snapshot(void **state)
{
    (void)state;
    cJSON *want = read_json(AI_SOURCE_DIR "/tests/engine/fixtures/redis_cache_entity.json");
    const cJSON *item = json_path(cJSON_GetArrayItem(json_get(want, "_rawData"), 0), "rawData");
    assert_non_null(item);
    cJSON *got = NULL;
    err_info err = {0};
    assert_int_equal(entity_map_build(&redis_spec, item, NULL, &got, &err), 0);
    if (!cJSON_Compare(want, got, 1)) {
        char *a = cJSON_Print(got);
        fprintf(stderr, "got:\n%s\n", a);
        free(a);
    }
    assert_true(cJSON_Compare(want, got, 1));
    cJSON_Delete(got);
    cJSON_Delete(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis_cache_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
