/* openapi.yaml (bundled to JSON by Redocly, path in $OPENAPI_JSON) against
 * the server's route table: every registered route is documented, every
 * documented operation is registered, and each documents exactly the
 * statuses its handler and the server can answer. */
#include "handlers/api.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static cJSON *g_doc;

/* What each route can answer (handlers + http_server: 405 for another
 * method on the path, 413 where a body is read, 500 for a bug, 503 when
 * the database is unreachable). */
static const struct {
    const char *method, *pattern, *statuses;
} EXPECTED[] = {
    {"POST", "/v1/events", "200 202 400 401 405 413 415 500 503"},
    {"GET", "/v1/jobs", "200 400 405 500 503"},
    {"GET", "/v1/jobs/{jobId}", "200 404 405 500 503"},
    {"POST", "/v1/jobs/{jobId}/cancel", "200 202 404 405 409 413 500 503"},
    {"GET", "/healthz", "200 405"},
    {"GET", "/readyz", "200 405 503"},
    {"GET", "/metrics", "200 405 500"},
};

static void lower(const char *in, char *out, size_t size)
{
    size_t i = 0;
    for (; in[i] && i + 1 < size; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static const cJSON *operation(const char *method, const char *pattern)
{
    char m[16];
    lower(method, m, sizeof m);
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(g_doc, "paths"),
                                                         pattern);
    return path ? cJSON_GetObjectItemCaseSensitive(path, m) : NULL;
}

static void routes_documented(void **state)
{
    (void)state;
    size_t n;
    const api_route *r = api_routes(&n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++)
        if (!operation(r[i].method, r[i].pattern))
            fail_msg("route %s %s is not in openapi.yaml", r[i].method, r[i].pattern);
}

static void documented_routes_exist(void **state)
{
    (void)state;
    size_t n;
    const api_route *r = api_routes(&n);
    const cJSON *path;
    int ops = 0;
    cJSON_ArrayForEach(path, cJSON_GetObjectItem(g_doc, "paths"))
    {
        const cJSON *op;
        cJSON_ArrayForEach(op, path)
        {
            static const char *const METHODS[] = {"get", "put", "post", "delete",
                                                  "options", "head", "patch", "trace"};
            bool is_method = false;
            for (size_t k = 0; k < 8; k++)
                is_method = is_method || strcmp(op->string, METHODS[k]) == 0;
            if (!is_method)
                continue;
            ops++;
            bool found = false;
            for (size_t i = 0; i < n && !found; i++) {
                char m[16];
                lower(r[i].method, m, sizeof m);
                found = strcmp(m, op->string) == 0 && strcmp(r[i].pattern, path->string) == 0;
            }
            if (!found)
                fail_msg("openapi.yaml documents %s %s, which the server does not register",
                         op->string, path->string);
        }
    }
    assert_int_equal(ops, (int)n);
}

static void statuses_match(void **state)
{
    (void)state;
    size_t n;
    const api_route *r = api_routes(&n);
    assert_int_equal(n, sizeof EXPECTED / sizeof EXPECTED[0]);
    for (size_t i = 0; i < n; i++) {
        const char *want = NULL;
        for (size_t k = 0; k < n; k++)
            if (strcmp(EXPECTED[k].method, r[i].method) == 0 &&
                strcmp(EXPECTED[k].pattern, r[i].pattern) == 0)
                want = EXPECTED[k].statuses;
        if (!want)
            fail_msg("route %s %s has no expected statuses in this test", r[i].method,
                     r[i].pattern);
        const cJSON *op = operation(r[i].method, r[i].pattern);
        assert_non_null(op);
        char got[256] = "";
        const cJSON *code;
        cJSON_ArrayForEach(code, cJSON_GetObjectItem(op, "responses"))
        {
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", got[0] ? " " : "",
                     code->string);
        }
        if (strcmp(got, want) != 0)
            fail_msg("%s %s documents statuses '%s', the server answers '%s'", r[i].method,
                     r[i].pattern, got, want);
    }
}

/* Every error body the server writes uses a code from the Error schema. */
static void error_codes_documented(void **state)
{
    (void)state;
    const cJSON *codes = cJSON_GetObjectItem(
        cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(
                                    cJSON_GetObjectItem(cJSON_GetObjectItem(
                                                            cJSON_GetObjectItem(g_doc, "components"),
                                                            "schemas"),
                                                        "Error"),
                                    "properties"),
                                "error"),
            "properties"),
        "code");
    const cJSON *en = cJSON_GetObjectItem(codes, "enum");
    assert_true(cJSON_IsArray(en));
    static const char *const USED[] = {"invalid_request", "unauthorized", "not_found",
                                       "method_not_allowed", "conflict", "payload_too_large",
                                       "unsupported_media_type", "internal", "unavailable"};
    assert_int_equal(cJSON_GetArraySize(en), sizeof USED / sizeof USED[0]);
    for (size_t i = 0; i < sizeof USED / sizeof USED[0]; i++) {
        bool found = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, en) found = found || strcmp(e->valuestring, USED[i]) == 0;
        if (!found)
            fail_msg("error code %s is not in the Error schema", USED[i]);
    }
}

static int setup(void **state)
{
    (void)state;
    const char *path = getenv("OPENAPI_JSON");
    if (!path) {
        fprintf(stderr, "OPENAPI_JSON is not set (run through tests/openapi/openapi_check.sh)\n");
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    g_doc = cJSON_Parse(buf);
    return g_doc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cJSON_Delete(g_doc);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_documented),
        cmocka_unit_test(documented_routes_exist),
        cmocka_unit_test(statuses_match),
        cmocka_unit_test(error_codes_documented),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
