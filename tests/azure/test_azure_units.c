/*
 * Pure parts of the Azure access layer: retry classification, Retry-After,
 * backoff bounds, ARM pacing bucket, the repeated-link guard, resource types
 * in error messages, endpoints from the environment.
 */
#include "azure/azure_client.h"
#include "azure/azure_endpoints.h"
#include "azure/azure_error.h"
#include "azure/azure_interleave.h"
#include "azure/azure_pacing.h"
#include "azure/azure_paging.h"
#include "azure/azure_retry.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void test_classify(void **state) {
    (void)state;
    assert_int_equal(azure_retry_classify(200), AZURE_RETRY_DONE);
    assert_int_equal(azure_retry_classify(401), AZURE_RETRY_REFRESH_TOKEN);
    assert_int_equal(azure_retry_classify(403), AZURE_RETRY_FAIL);
    assert_int_equal(azure_retry_classify(404), AZURE_RETRY_FAIL);
    assert_int_equal(azure_retry_classify(408), AZURE_RETRY_BACKOFF);
    assert_int_equal(azure_retry_classify(429), AZURE_RETRY_THROTTLED);
    assert_int_equal(azure_retry_classify(503), AZURE_RETRY_THROTTLED);
    assert_int_equal(azure_retry_classify(500), AZURE_RETRY_BACKOFF);
    assert_int_equal(azure_retry_classify(502), AZURE_RETRY_BACKOFF);
    assert_int_equal(azure_retry_classify(501), AZURE_RETRY_FAIL);
    assert_int_equal(azure_retry_classify(505), AZURE_RETRY_FAIL);
    assert_int_equal(azure_retry_classify(0), AZURE_RETRY_BACKOFF);
}

static void test_backoff_bounds(void **state) {
    (void)state;
    for (int attempt = 1; attempt <= 12; attempt++) {
        for (int k = 0; k < 50; k++) {
            int64_t d = azure_retry_backoff_ms(attempt, 100, 5000);
            int64_t full = 100;
            for (int i = 1; i < attempt && full < 5000; i++) full *= 2;
            if (full > 5000) full = 5000;
            assert_true(d >= full / 2);
            assert_true(d <= full);
        }
    }
}

#define ARM_URL "https://management.azure.com"

/* Clients of one principal (tenant + client id) and endpoint share one pacing (one budget per
 * subscription at Azure); another tenant or endpoint has its own; the
 * shared pacing lives until its last user releases it. */
static void test_pacing_shared(void **state) {
    (void)state;
    azure_pacing *a = azure_pacing_shared("Tenant-1", "app", ARM_URL, 2, 1, 0);
    azure_pacing *b = azure_pacing_shared("tenant-1", "APP", ARM_URL, 2, 1, 0);
    azure_pacing *c = azure_pacing_shared("tenant-2", "app", ARM_URL, 2, 1, 0);
    azure_pacing *d =
        azure_pacing_shared("tenant-1", "app", "https://management.usgovcloudapi.net", 2, 1, 0);
    azure_pacing *f = azure_pacing_shared("tenant-1", "app-2", ARM_URL, 2, 1, 0);
    assert_ptr_not_equal(a, f);
    azure_pacing_release(f);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    assert_ptr_not_equal(a, d);
    int64_t t = 5000;
    assert_int_equal(azure_pacing_acquire(a, "sub", t), 0);
    assert_int_equal(azure_pacing_acquire(b, "sub", t), 0);
    assert_true(azure_pacing_acquire(a, "sub", t) > 0);   /* b's read counted */
    assert_int_equal(azure_pacing_acquire(c, "sub", t), 0);
    azure_pacing_release(a);
    assert_true(azure_pacing_acquire(b, "sub", t) > 0);   /* still alive for b */
    azure_pacing_release(b);
    azure_pacing *e = azure_pacing_shared("tenant-1", "app", ARM_URL, 2, 1, 0);
    assert_int_equal(azure_pacing_acquire(e, "sub", t), 0);   /* a fresh one */
    azure_pacing_release(e);
    azure_pacing_release(c);
    azure_pacing_release(d);
}

static void test_pacing_bucket(void **state) {
    (void)state;
    azure_pacing *p = azure_pacing_new(250, 25, 0);
    assert_non_null(p);
    int64_t t = 1000000;
    for (int i = 0; i < 250; i++) assert_int_equal(azure_pacing_acquire(p, "sub-a", t), 0);
    /* The 251st read waits for one refill (40 ms), the 252nd for two. */
    int64_t w1 = azure_pacing_acquire(p, "sub-a", t);
    int64_t w2 = azure_pacing_acquire(p, "sub-a", t);
    assert_in_range(w1, 40, 43);
    assert_in_range(w2, 80, 83);
    /* Another subscription has its own bucket. */
    assert_int_equal(azure_pacing_acquire(p, "sub-b", t), 0);
    /* One second later 25 tokens came back, minus the two reservations. */
    for (int i = 0; i < 23; i++) assert_int_equal(azure_pacing_acquire(p, "sub-a", t + 1000), 0);
    assert_true(azure_pacing_acquire(p, "sub-a", t + 1000) > 0);
    /* ARM says only 3 reads are left for sub-b: we slow down at once. */
    azure_pacing_observe(p, "sub-b", 3, t);
    for (int i = 0; i < 3; i++) assert_int_equal(azure_pacing_acquire(p, "sub-b", t), 0);
    assert_true(azure_pacing_acquire(p, "sub-b", t) > 0);
    azure_pacing_free(p);

    char scope[64];
    azure_pacing_scope_of("https://x/subscriptions/abc-1/resourceGroups/r?api-version=1", scope,
                          sizeof scope);
    assert_string_equal(scope, "abc-1");
    azure_pacing_scope_of("/subscriptions?api-version=2016-06-01", scope, sizeof scope);
    assert_string_equal(scope, "");
}

/* With a release grid every paced read waits until the first grid point at
 * or after its token's time: never earlier (no 429), less than a slot later,
 * and a slot releases only the tokens that came due in it. */
static void test_pacing_release_grid(void **state) {
    (void)state;
    azure_pacing *p = azure_pacing_new(250, 25, 200);
    assert_non_null(p);
    const int64_t t = 1000007; /* not on the grid */
    for (int i = 0; i < 250; i++) assert_int_equal(azure_pacing_acquire(p, "sub-a", t), 0);
    int64_t last = 0;
    int per_slot = 0;
    for (int i = 1; i <= 100; i++) {
        int64_t w = azure_pacing_acquire(p, "sub-a", t);
        int64_t exact = (int64_t)i * 40; /* the i-th refill after t */
        assert_int_equal((t + w) % 200, 0);
        assert_true(w >= exact);
        assert_true(w < exact + 2 + 200);
        assert_true(w >= last);
        per_slot = w == last ? per_slot + 1 : 1;
        /* 25 reads/s: at most 5 tokens come due in a 200 ms slot */
        assert_true(per_slot <= 5);
        last = w;
    }
    /* A read with a token at hand is not delayed. */
    assert_int_equal(azure_pacing_acquire(p, "sub-b", t), 0);
    azure_pacing_free(p);
}

/* Requests grouped by subscription are sent round-robin, each
 * subscription's own order kept, subscriptions compared without case;
 * paths without a subscription are a group. */
static void test_interleave(void **state) {
    (void)state;
    const char *paths[] = {"/subscriptions/b/x/1", "/subscriptions/B/x/2", "/subscriptions/b/x/3",
                           "/subscriptions/a/x/1", "//subscriptions/a/x/2", "/providers/x",
                           "/subscriptions/c/x/1?api-version=1"};
    size_t *order = NULL;
    err_info err = {0};
    assert_int_equal(azure_interleave(paths, 7, &order, &err), 0);
    /* round 0: "" (no subscription), a, b, c; round 1: a, b; round 2: b */
    const size_t want[] = {5, 3, 0, 6, 4, 1, 2};
    for (size_t i = 0; i < 7; i++) assert_int_equal(order[i], want[i]);
    free(order);
    assert_int_equal(azure_interleave(paths, 0, &order, &err), 0);
    assert_null(order);
}

static void test_link_guard(void **state) {
    (void)state;
    azure_link_guard g;
    azure_link_guard_init(&g);
    char link[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(link, sizeof link, "https://graph/v1.0/users?$skiptoken=%d", i);
        assert_int_equal(azure_link_guard_add(&g, link), 1);
    }
    assert_int_equal(azure_link_guard_add(&g, "https://graph/v1.0/users?$skiptoken=17"), 0);
    azure_link_guard_clear(&g);

    cJSON *page = cJSON_Parse("{\"value\":[],\"@odata.nextLink\":\"https://a/b\"}");
    assert_string_equal(azure_paging_next_link(page), "https://a/b");
    cJSON_Delete(page);
    page = cJSON_Parse("{\"value\":[],\"nextLink\":\"\"}");
    assert_null(azure_paging_next_link(page));
    cJSON_Delete(page);
    page = cJSON_Parse("{\"value\":[],\"nextLink\":null}");
    assert_null(azure_paging_next_link(page));
    cJSON_Delete(page);
}

static void test_resource_type(void **state) {
    (void)state;
    char t[128];
    azure_error_resource_type("https://management.azure.com/subscriptions/s/resourceGroups/rg/"
                              "providers/Microsoft.Sql/servers?api-version=2014-04-01",
                              t, sizeof t);
    assert_string_equal(t, "Microsoft.Sql/servers");
    azure_error_resource_type("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/"
                              "srv1/databases?api-version=1",
                              t, sizeof t);
    assert_string_equal(t, "Microsoft.Sql/servers/databases");
    azure_error_resource_type("https://graph.microsoft.com/v1.0/groups/123/members", t, sizeof t);
    assert_string_equal(t, "groups");
    azure_error_resource_type("/subscriptions/s/resourcegroups?api-version=1", t, sizeof t);
    assert_string_equal(t, "resourcegroups");
}

static void test_endpoints_env(void **state) {
    (void)state;
    azure_endpoints ep;
    err_info err;
    unsetenv("AZURE_CLOUD");
    unsetenv("AZURE_AUTHORITY_HOST");
    unsetenv("AZURE_GRAPH_ENDPOINT");
    unsetenv("AZURE_RESOURCE_MANAGER_ENDPOINT");
    unsetenv("AZURE_STORAGE_URL_TEMPLATE");
    assert_int_equal(azure_endpoints_from_env(&ep, &err), 0);
    assert_string_equal(ep.authority_host, "https://login.microsoftonline.com");
    assert_string_equal(ep.graph, "https://graph.microsoft.com");
    assert_string_equal(ep.resource_manager, "https://management.azure.com");

    setenv("AZURE_CLOUD", "AzureUSGovernment", 1);
    assert_int_equal(azure_endpoints_from_env(&ep, &err), 0);
    assert_string_equal(ep.authority_host, "https://login.microsoftonline.us");
    assert_string_equal(ep.graph, "https://graph.microsoft.us");
    assert_string_equal(ep.resource_manager, "https://management.usgovcloudapi.net");
    setenv("AZURE_CLOUD", "AzureChinaCloud", 1);
    assert_int_equal(azure_endpoints_from_env(&ep, &err), 0);
    assert_string_equal(ep.resource_manager, "https://management.chinacloudapi.cn");

    setenv("AZURE_CLOUD", "Mars", 1);
    assert_int_equal(azure_endpoints_from_env(&ep, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_non_null(strstr(err.message, "AZURE_CLOUD"));
    unsetenv("AZURE_CLOUD");

    setenv("AZURE_GRAPH_ENDPOINT", "http://graph.example.com", 1);
    assert_int_equal(azure_endpoints_from_env(&ep, &err), -1);
    assert_non_null(strstr(err.message, "AZURE_GRAPH_ENDPOINT"));
    setenv("AZURE_GRAPH_ENDPOINT", "http://127.0.0.1:8080/", 1);
    setenv("AZURE_STORAGE_URL_TEMPLATE", "http://127.0.0.1:8080/__storage/{account}/{service}", 1);
    assert_int_equal(azure_endpoints_from_env(&ep, &err), 0);
    assert_string_equal(ep.graph, "http://127.0.0.1:8080");
    char url[256];
    assert_int_equal(azure_storage_url(&ep, "acct", "blob", url, sizeof url), 0);
    assert_string_equal(url, "http://127.0.0.1:8080/__storage/acct/blob");
    unsetenv("AZURE_STORAGE_URL_TEMPLATE");
    assert_int_equal(azure_endpoints_from_env(&ep, &err), 0);
    assert_int_equal(azure_storage_url(&ep, "acct", "queue", url, sizeof url), 0);
    assert_string_equal(url, "https://acct.queue.core.windows.net");
    unsetenv("AZURE_GRAPH_ENDPOINT");

    /* plain http only to a loopback host; never with user information (the
     * host of the first is evil.example.com, which gets the client secret) */
    static const char *const refused[] = {"http://localhost:1@evil.example.com",
                                          "https://user:pw@login.example.com",
                                          "http://10.0.0.1", "https://"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        setenv("AZURE_AUTHORITY_HOST", refused[i], 1);
        assert_int_equal(azure_endpoints_from_env(&ep, &err), -1);
        assert_int_equal(err.kind, ERR_INVALID);
        assert_non_null(strstr(err.message, "AZURE_AUTHORITY_HOST"));
    }
    unsetenv("AZURE_AUTHORITY_HOST");
    assert_int_equal(azure_url_check("https://management.azure.com", "x", &err), 0);
    assert_int_equal(azure_url_check("http://127.0.0.1:9", "x", &err), 0);
    assert_int_equal(azure_url_check("http://127.0.0.1:9@evil.example.com/next", "a link", &err),
                     -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_backoff_bounds), cmocka_unit_test(test_pacing_bucket),
        cmocka_unit_test(test_pacing_release_grid),
        cmocka_unit_test(test_pacing_shared), cmocka_unit_test(test_interleave),
        cmocka_unit_test(test_link_guard),    cmocka_unit_test(test_resource_type),
        cmocka_unit_test(test_endpoints_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
