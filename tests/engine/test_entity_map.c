/* entity_map: the SDK builder rules of spec part A §1.7-1.9, one case each. */
#include "common/json.h"
#include "engine/entity_map.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static cJSON *parse(const char *s)
{
    cJSON *j = cJSON_Parse(s);
    assert_non_null(j);
    return j;
}

static void camel(const char *in, const char *want)
{
    char *out = entity_map_camel_case(in);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void test_camel_case(void **state)
{
    (void)state;
    camel("@odata.type", "odataType");
    camel("Id", "id");
    camel("Source", "source");
    camel("mail", "mail");
    camel("user_principal_name", "userPrincipalName");
    camel("HTTPServer", "httpServer");
    camel("vmSize", "vmSize");
    camel("", "");
}

static void test_hoist_and_renames(void **state)
{
    (void)state;
    cJSON *item = parse("{\"id\":\"/x\",\"name\":\"n\",\"properties\":{\"type\":\"BuiltIn\",\"a\":1}}");
    static const char *const renames[] = {"type", "roleType", NULL, NULL};
    cJSON *o = entity_map_sdk_object(item, renames);
    assert_non_null(o);
    assert_string_equal(json_get_string(o, "roleType"), "BuiltIn");
    assert_null(json_get(o, "properties"));
    assert_null(json_get(o, "type"));
    assert_non_null(json_get(o, "a"));
    cJSON_Delete(o);
    cJSON_Delete(item);
}

static const prop_map vm_rows[] = {
    {"vmSize", "properties.hardwareProfile.vmSize", MAP_STRING},
    {"createdOn", "properties.timeCreated", MAP_TIME_MS},
    {"region", "location", MAP_LOWER},
    {"missing", "properties.nothing", MAP_STRING},
    {"nulled", "properties.nullValue", MAP_STRING, NULL, MAPF_NULL},
    {"isEnabled", "properties.state", MAP_EQUALS, "Enabled"},
    {"hasZones", "zones", MAP_NONEMPTY},
    {"hasPlan", "plan", MAP_PRESENT},
    {"kind", NULL, MAP_CONST_STRING, "vm"},
    {"flags", NULL, MAP_CONST_STRING_ARRAY, "a,b"},
    {"profileJson", "properties.hardwareProfile", MAP_JSON_STRING},
    {"name", "name", MAP_STRING},
    {NULL}};

static const entity_spec vm_spec = {
    .type = "azure_vm",
    .classes = {"Host"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = vm_rows,
};

static void test_build_rows(void **state)
{
    (void)state;
    cJSON *item = parse(
        "{\"id\":\"/subscriptions/S/vm/V\",\"name\":\"vm1\",\"location\":\"EastUS\",\"zones\":[\"1\"],"
        "\"tags\":{\"env\":\"prod\",\"n\":\"42\",\"f\":\"1.5\",\"on\":\"TRUE\",\"Owner\":\"Alice\","
        "\"empty\":\"\"},"
        "\"properties\":{\"hardwareProfile\":{\"vmSize\":\"B1\"},\"timeCreated\":"
        "\"2020-10-08T13:53:02.9719087Z\",\"nullValue\":null,\"state\":\"Enabled\",\"status\":\"Active\"}}");
    map_ctx m = {.account_name_tag = "acct"};
    cJSON *e = NULL;
    err_info err = {0};
    assert_int_equal(entity_map_build(&vm_spec, item, &m, &e, &err), 0);
    assert_string_equal(json_get_string(e, "_key"), "/subscriptions/S/vm/V");
    assert_string_equal(json_get_string(e, "_type"), "azure_vm");
    assert_string_equal(cJSON_GetArrayItem(json_get(e, "_class"), 0)->valuestring, "Host");
    assert_string_equal(json_get_string(e, "vmSize"), "B1");
    double d;
    assert_true(json_get_number(e, "createdOn", &d));
    assert_true(d == 1602165182971.0);
    assert_string_equal(json_get_string(e, "region"), "eastus");
    assert_null(json_get(e, "missing"));
    assert_true(cJSON_IsNull(json_get(e, "nulled")));
    assert_true(cJSON_IsTrue(json_get(e, "isEnabled")));
    assert_true(cJSON_IsTrue(json_get(e, "hasZones")));
    assert_true(cJSON_IsFalse(json_get(e, "hasPlan")));
    assert_string_equal(json_get_string(e, "kind"), "vm");
    assert_int_equal(cJSON_GetArraySize(json_get(e, "flags")), 2);
    assert_string_equal(json_get_string(e, "profileJson"), "{\"vmSize\":\"B1\"}");
    /* tags: value parsing, true-list, lower-cased owner, empty skipped */
    assert_string_equal(json_get_string(e, "tag.env"), "prod");
    assert_true(json_get_number(e, "tag.n", &d) && d == 42);
    assert_true(json_get_number(e, "tag.f", &d) && d == 1.5);
    assert_true(cJSON_IsTrue(json_get(e, "tag.on")));
    assert_string_equal(cJSON_GetArrayItem(json_get(e, "tags"), 0)->valuestring, "on");
    assert_string_equal(json_get_string(e, "owner"), "alice");
    assert_null(json_get(e, "tag.empty"));
    assert_string_equal(json_get_string(e, "tag.AccountName"), "acct");
    /* schema pass-through of the hoisted status, active inferred */
    assert_string_equal(json_get_string(e, "status"), "Active");
    assert_true(cJSON_IsTrue(json_get(e, "active")));
    /* displayName defaults to name; _rawData is the SDK object */
    assert_string_equal(json_get_string(e, "displayName"), "vm1");
    const cJSON *raw = cJSON_GetArrayItem(json_get(e, "_rawData"), 0);
    assert_string_equal(json_get_string(raw, "name"), "default");
    assert_string_equal(json_path_string(raw, "rawData.state"), "Enabled");
    assert_null(json_path(raw, "rawData.properties"));
    cJSON_Delete(e);
    cJSON_Delete(item);
}

static const prop_map remove_rows[] = {{"name", "nope", MAP_STRING}, {NULL}};
static const prop_map keep_rows[] = {{"name", "nope", MAP_STRING, NULL, MAPF_KEEP_EXISTING}, {NULL}};

static void test_absent_row_removes(void **state)
{
    (void)state;
    cJSON *item = parse("{\"id\":\"0123456789abc\",\"name\":\"n\",\"createdAt\":\"2021-01-01T00:00:00Z\","
                        "\"status\":\"Inactive\"}");
    entity_spec s = {.type = "t_x", .classes = {"Resource"}, .flags = ENTITY_SCHEMA_PASSTHROUGH,
                     .props = remove_rows};
    cJSON *e = NULL;
    assert_int_equal(entity_map_build(&s, item, NULL, &e, NULL), 0);
    assert_null(json_get(e, "name"));
    assert_null(json_get(e, "displayName"));
    double d;
    assert_true(json_get_number(e, "createdOn", &d) && d == 1609459200000.0);
    assert_true(cJSON_IsFalse(json_get(e, "active")));
    cJSON_Delete(e);
    s.props = keep_rows;
    assert_int_equal(entity_map_build(&s, item, NULL, &e, NULL), 0);
    assert_string_equal(json_get_string(e, "name"), "n");
    assert_string_equal(json_get_string(e, "displayName"), "n");
    cJSON_Delete(e);
    cJSON_Delete(item);
}

static void test_convert_properties(void **state)
{
    (void)state;
    cJSON *item = parse("{\"Id\":\"abcdefghijk\",\"@odata.type\":\"#x\",\"startTime\":"
                        "\"2021-01-01T00:00:00Z\",\"obj\":{\"a\":1},\"list\":[\"a\",\"b\"],"
                        "\"objs\":[{\"a\":1}],\"none\":null,\"empty\":[]}");
    entity_spec s = {.type = "t_x", .classes = {"Resource"}, .key_path = "Id",
                     .flags = ENTITY_CONVERT_PROPERTIES | ENTITY_PARSE_TIME | ENTITY_NO_RAW_DATA};
    cJSON *e = NULL;
    assert_int_equal(entity_map_build(&s, item, NULL, &e, NULL), 0);
    assert_string_equal(json_get_string(e, "id"), "abcdefghijk");
    assert_string_equal(json_get_string(e, "odataType"), "#x");
    double d;
    assert_true(json_get_number(e, "startTime", &d) && d == 1609459200000.0);
    assert_null(json_get(e, "obj"));
    assert_int_equal(cJSON_GetArraySize(json_get(e, "list")), 2);
    assert_null(json_get(e, "objs"));
    assert_null(json_get(e, "none"));
    assert_null(json_get(e, "empty"));
    assert_null(json_get(e, "_rawData"));
    cJSON_Delete(e);
    cJSON_Delete(item);
}

static void test_missing_key_is_error(void **state)
{
    (void)state;
    cJSON *item = parse("{\"name\":\"n\"}");
    entity_spec s = {.type = "t_x", .classes = {"Resource"}};
    cJSON *e = NULL;
    err_info err = {0};
    assert_int_equal(entity_map_build(&s, item, NULL, &e, &err), -1);
    assert_null(e);
    assert_int_equal(err.kind, ERR_INVALID);
    cJSON_Delete(item);
}

static void test_tag_forms(void **state)
{
    (void)state;
    cJSON *e = cJSON_CreateObject();
    cJSON *list = parse("[\"a\",\"b\"]");
    assert_int_equal(entity_map_assign_tags(e, list, NULL, NULL), 0);
    assert_int_equal(cJSON_GetArraySize(json_get(e, "tags")), 2);
    cJSON *kv = parse("[{\"key\":\"Name\",\"value\":\"nm\"},{\"Key\":\"k\",\"Value\":\"v\"}]");
    assert_int_equal(entity_map_assign_tags(e, kv, NULL, NULL), 0);
    assert_string_equal(json_get_string(e, "tag.Name"), "nm");
    assert_string_equal(json_get_string(e, "displayName"), "nm");
    assert_string_equal(json_get_string(e, "name"), "nm");
    assert_string_equal(json_get_string(e, "tag.k"), "v");
    cJSON_Delete(list);
    cJSON_Delete(kv);
    cJSON_Delete(e);
}

/* tag_properties (the SDK's tagProperties) work like the common tag
 * properties: a tag whose key is one of them in any case sets the property
 * to its value lower-cased (the last such tag wins); an empty value sets
 * nothing; without a matching tag an existing value stays; a spec without
 * tag_properties gets only tag.* for the tag. */
static void test_tag_properties(void **state)
{
    (void)state;
    static const char *const props[] = {"environment", NULL};
    static const struct {
        const char *tags, *want;
    } cases[] = {
        {"{\"Environment\":\"Prod\",\"x\":\"y\"}", "prod"},
        {"{\"environment\":\"j1dev\"}", "j1dev"},
        {"{\"ENVIRONMENT\":\"A\",\"environment\":\"B\"}", "b"},
        {"{\"environment\":\"\"}", "kept"},
        {"{\"env\":\"x\"}", "kept"},
        {"[{\"key\":\"Environment\",\"value\":\"Test\"}]", "test"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cJSON *e = parse("{\"environment\":\"kept\"}");
        cJSON *tags = parse(cases[i].tags);
        assert_int_equal(entity_map_assign_tags(e, tags, props, NULL), 0);
        assert_string_equal(json_get_string(e, "environment"), cases[i].want);
        cJSON_Delete(tags);
        cJSON_Delete(e);
    }
    cJSON *e = cJSON_CreateObject();
    cJSON *tags = parse("{\"Environment\":\"Prod\",\"Owner\":\"Ops\"}");
    assert_int_equal(entity_map_assign_tags(e, tags, NULL, NULL), 0);
    assert_null(json_get(e, "environment"));
    assert_string_equal(json_get_string(e, "tag.Environment"), "Prod");
    assert_string_equal(json_get_string(e, "owner"), "ops"); /* a common tag property */
    cJSON_Delete(tags);
    cJSON_Delete(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_camel_case),       cmocka_unit_test(test_hoist_and_renames),
        cmocka_unit_test(test_build_rows),       cmocka_unit_test(test_absent_row_removes),
        cmocka_unit_test(test_convert_properties), cmocka_unit_test(test_missing_key_is_error),
        cmocka_unit_test(test_tag_properties),
        cmocka_unit_test(test_tag_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
