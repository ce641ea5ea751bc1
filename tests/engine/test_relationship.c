/* relationship builders: keys, generated types, mapped shape (part A §1.10). */
#include "common/json.h"
#include "engine/relationship.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void gen(const char *cls, const char *f, const char *t, const char *want)
{
    char *s = relationship_generate_type(cls, f, t);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static void test_generate_type(void **state)
{
    (void)state;
    gen("HAS", "azure_subscription", "azure_resource_group", "azure_subscription_has_resource_group");
    gen("USES", "azure_role_assignment", "azure_role_definition", "azure_role_assignment_uses_definition");
    gen("ALLOWS", "azure_role_assignment", "azure_keyvault_service",
        "azure_role_assignment_allows_keyvault_service");
    gen("HAS", "azure_vm", "azure_vm", "azure_vm_has_vm");
    gen("ASSIGNED", "mapping_source", "azure_user", "mapping_source_assigned_azure_user");
}

static void test_direct(void **state)
{
    (void)state;
    cJSON *r = relationship_direct("HAS", "/s/A", "azure_subscription", "/s/A/rg/B",
                                   "azure_resource_group", NULL, NULL);
    assert_non_null(r);
    assert_string_equal(json_get_string(r, "_key"), "/s/A|has|/s/A/rg/B");
    assert_string_equal(json_get_string(r, "_type"), "azure_subscription_has_resource_group");
    assert_string_equal(json_get_string(r, "_class"), "HAS");
    assert_string_equal(json_get_string(r, "displayName"), "HAS");
    assert_string_equal(json_get_string(r, "_fromEntityKey"), "/s/A");
    assert_string_equal(json_get_string(r, "_toEntityKey"), "/s/A/rg/B");
    cJSON_Delete(r);
    r = relationship_direct("CONTAINS", "a", NULL, "b", NULL, "my_type", "k1");
    assert_string_equal(json_get_string(r, "_key"), "k1");
    assert_string_equal(json_get_string(r, "_type"), "my_type");
    cJSON_Delete(r);
}

/* relationship_write_direct prints what json_write prints for the tree. */
static void direct_same(const char *cls, const char *fk, const char *ft, const char *tk,
                        const char *tt, const char *type, const char *key)
{
    cJSON *r = relationship_direct(cls, fk, ft, tk, tt, type, key);
    assert_non_null(r);
    char *want = json_print(r);
    sbuf text = SBUF_INIT, k = SBUF_INIT, t = SBUF_INIT;
    assert_int_equal(relationship_write_direct(&text, &k, &t, cls, fk, ft, tk, tt, type, key), 0);
    assert_string_equal(sbuf_str(&text), want);
    assert_string_equal(sbuf_str(&k), json_get_string(r, "_key"));
    assert_string_equal(sbuf_str(&t), json_get_string(r, "_type"));
    free(want);
    cJSON_Delete(r);
    sbuf_free(&text);
    sbuf_free(&k);
    sbuf_free(&t);
}

static void test_direct_text(void **state)
{
    (void)state;
    direct_same("HAS", "/s/A", "azure_subscription", "/s/A/rg/B", "azure_resource_group", NULL,
                NULL);
    direct_same("CONTAINS", "a", NULL, "b", NULL, "my_type", "key-given-1");
    direct_same("ASSIGNED", "quote\"back\\slash", "azure_user", "ctl\n\t\x01\x1f end",
                "azure_user_group", NULL, NULL);
    direct_same("USES", "ünïcödé/ключ", "azure_role_assignment", "x", "azure_role_definition", NULL,
                NULL);
    sbuf text = SBUF_INIT, k = SBUF_INIT, t = SBUF_INIT;
    assert_int_equal(relationship_write_direct(&text, &k, &t, "NOT_A_CLASS", "a", "x_a", "b", "x_b",
                                               NULL, NULL),
                     -1);
    assert_int_equal(relationship_write_direct(&text, &k, &t, "HAS", NULL, "x_a", "b", "x_b", NULL,
                                               NULL),
                     -1);
    sbuf_free(&text);
    sbuf_free(&k);
    sbuf_free(&t);
}

static void test_mapped(void **state)
{
    (void)state;
    cJSON *t = cJSON_Parse("{\"_type\":\"azure_user\",\"_key\":\"u1\"}");
    cJSON *r = relationship_mapped("ASSIGNED", NULL, "src", STEP_FORWARD, t, NULL, -1, NULL);
    assert_non_null(r);
    assert_string_equal(json_get_string(r, "_key"), "src|assigned|u1");
    assert_string_equal(json_get_string(r, "_type"), "mapping_source_assigned_azure_user");
    assert_string_equal(json_path_string(r, "_mapping.relationshipDirection"), "FORWARD");
    assert_string_equal(json_path_string(r, "_mapping.sourceEntityKey"), "src");
    const cJSON *fk = json_path(r, "_mapping.targetFilterKeys");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(fk, 0), 1)->valuestring, "_key");
    assert_null(json_path(r, "_mapping.skipTargetCreation"));
    cJSON_Delete(r);

    static const char *const filter[] = {"_type", "webLink", NULL};
    t = cJSON_Parse("{\"_type\":\"web_app\",\"webLink\":\"https://x\"}");
    r = relationship_mapped("CONNECTS", "t_connects_app", "src", STEP_REVERSE, t, filter, 1, NULL);
    assert_string_equal(json_get_string(r, "_key"), "src|connects|FORWARD:_type=web_app:webLink=https://x");
    assert_string_equal(json_path_string(r, "_mapping.relationshipDirection"), "REVERSE");
    assert_true(cJSON_IsTrue(json_path(r, "_mapping.skipTargetCreation")));
    cJSON_Delete(r);

    /* a target that is not an object is freed, not leaked */
    assert_null(relationship_mapped("HAS", "x", "s", STEP_FORWARD, cJSON_CreateString("x"), NULL, -1,
                                    NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_type),
        cmocka_unit_test(test_direct),
        cmocka_unit_test(test_direct_text),
        cmocka_unit_test(test_mapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
