/*
 * The fake Azure server itself, and the client's ARM pacing against its
 * throttling model:
 *  - every recorded request of every HAR is answered from the recordings
 *    (no unmatched request), with the recorded status, through the key
 *    normalization (host ignored, "//" quirk, parameter order, encoding);
 *  - generated mode: Graph page sizes (100 default, $top up to 999), ARM
 *    1000 per page with nextLink, memberships spread over groups;
 *  - throttling: without pacing a burst above 250 reads gets 429s; the
 *    client's pacing keeps a 320-read run free of 429s.
 */
#include "azure/azure_client.h"
#include "azure/azure_endpoints.h"
#include "fakes/fake_azure.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RECORDINGS AI_SOURCE_DIR "/tests/fixtures/azure-recordings"

static size_t discard(char *p, size_t s, size_t n, void *u) {
    (void)p;
    (void)u;
    return s * n;
}

/* Sends the request of one HAR entry to the fake (host replaced); returns
 * the HTTP status. */
static long replay_as(CURL *h, const char *base, const char *method, const char *url,
                      const char *principal);
static long replay(CURL *h, const char *base, const char *method, const char *url) {
    return replay_as(h, base, method, url, NULL);
}

/* As replay, with a bearer token of the form the fake issues to client id
 * `principal` (the fake scopes its throttling buckets to it). */
static long replay_as(CURL *h, const char *base, const char *method, const char *url,
                      const char *principal) {
    const char *p = strstr(url, "://");
    const char *host = p ? p + 3 : NULL;
    const char *path = host ? strchr(host, '/') : NULL;
    if (!path) return -1;
    char full[8192];
    size_t hl = (size_t)(path - host);
    if (hl > 17 && strncmp(path - 17, ".core.windows.net", 17) == 0) {
        /* Storage data plane: {account}.{service}.core.windows.net is
         * reached as <fake>/__storage/{account}/{service} (the template
         * tests give AZURE_STORAGE_URL_TEMPLATE). */
        const char *dot = strchr(host, '.');
        const char *dot2 = strchr(dot + 1, '.');
        snprintf(full, sizeof full, "%s/__storage/%.*s/%.*s%s", base, (int)(dot - host), host,
                 (int)(dot2 - dot - 1), dot + 1, path);
    } else {
        snprintf(full, sizeof full, "%s%s", base, path);
    }
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    struct curl_slist *hdrs = NULL;
    if (principal) {
        char auth[256];
        snprintf(auth, sizeof auth, "Authorization: Bearer fake-access-token-1.%s", principal);
        hdrs = curl_slist_append(NULL, auth);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    }
    if (strcmp(method, "POST") == 0) curl_easy_setopt(h, CURLOPT_POSTFIELDS, "x=1");
    long status = -1;
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    return status;
}

static int replay_har(fake_azure *f, CURL *h, const char *har_path, int *checked) {
    FILE *fp = fopen(har_path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *text = malloc((size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, fp), (size_t)len);
    text[len] = '\0';
    fclose(fp);
    cJSON *har = cJSON_Parse(text);
    free(text);
    assert_non_null(har);
    int bad = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(cJSON_GetObjectItem(har, "log"), "entries")) {
        const cJSON *req = cJSON_GetObjectItem(e, "request");
        const char *method = cJSON_GetObjectItem(req, "method")->valuestring;
        const char *url = cJSON_GetObjectItem(req, "url")->valuestring;
        long status = replay(h, fake_azure_url(f), method, url);
        long want = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "response"), "status")->valueint;
        if (status != want && !(want != 404 && status != 404 && status > 0)) {
            fprintf(stderr, "%s %s: got %ld, recorded %ld\n", method, url, status, want);
            bad++;
        }
        (*checked)++;
    }
    cJSON_Delete(har);
    return bad;
}

static int walk(fake_azure *f, CURL *h, const char *dir, int *checked) {
    int bad = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) bad += walk(f, h, path, checked);
        else if (strcmp(de->d_name, "recording.har") == 0) bad += replay_har(f, h, path, checked);
    }
    closedir(d);
    return bad;
}

static void test_every_recording_is_served(void **state) {
    (void)state;
    fake_azure *f = fake_azure_start(NULL);
    assert_non_null(f);
    int loaded = fake_azure_load_dir(f, RECORDINGS);
    assert_true(loaded > 800);
    CURL *h = curl_easy_init();
    int checked = 0;
    int bad = walk(f, h, RECORDINGS, &checked);
    curl_easy_cleanup(h);
    printf("# %d recorded requests replayed, %d entries loaded\n", checked, loaded);
    assert_true(checked > 800);
    assert_int_equal(bad, 0);
    size_t n = fake_azure_unmatched_count(f);
    for (size_t i = 0; i < n && i < 10; i++) {
        char u[512];
        fake_azure_unmatched(f, i, u, sizeof u);
        fprintf(stderr, "unmatched: %s\n", u);
    }
    assert_int_equal(n, 0);
    fake_azure_stop(f);
}

static void test_normalization(void **state) {
    (void)state;
    fake_azure *f = fake_azure_start(NULL);
    fake_azure_add_response(f, "GET", "/subscriptions/S1/resourceGroups/rg?b=2&a=x%20y", 200, NULL,
                            "{\"first\":\"https://management.azure.com/next\"}");
    fake_azure_add_response(f, "GET", "/subscriptions/S1/resourceGroups/rg?b=2&a=x%20y", 200, NULL,
                            "{\"second\":1}");
    CURL *h = curl_easy_init();
    /* Other host, double slash, other parameter order and case of path. */
    assert_int_equal(replay(h, fake_azure_url(f), "GET",
                            "https://x//subscriptions/s1/resourcegroups/rg?a=x%20y&b=2"),
                     200);
    assert_int_equal(replay(h, fake_azure_url(f), "GET",
                            "https://x/subscriptions/S1/resourceGroups/rg?a=x%20y&b=2"),
                     200);
    assert_int_equal(replay(h, fake_azure_url(f), "GET", "https://x/subscriptions/S1/other"), 404);
    curl_easy_cleanup(h);
    assert_int_equal(fake_azure_unmatched_count(f), 1);
    assert_int_equal(fake_azure_count_path(f, "/subscriptions/S1/resourceGroups"), 1);
    fake_azure_stop(f);
}

typedef struct pages {
    int items;
} pages;

static int count_item(void *arg, const cJSON *item, err_info *err) {
    (void)item;
    (void)err;
    ((pages *)arg)->items++;
    return 0;
}

static azure_client *client_for(fake_azure *f) {
    azure_endpoints ep;
    memset(&ep, 0, sizeof ep);
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake_azure_url(f));
    snprintf(ep.graph, sizeof ep.graph, "%s", fake_azure_url(f));
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake_azure_url(f));
    azure_credentials cr = {"t", "c", "secret-value"};
    azure_client_options o = {.max_retry_wait_ms = 2000};
    azure_client *c = NULL;
    err_info err;
    assert_int_equal(azure_client_new(&ep, &cr, &o, &c, &err), 0);
    return c;
}

static void test_generated_paging(void **state) {
    (void)state;
    fake_azure *f = fake_azure_start(NULL);
    fake_azure_tenant t = {.users = 2500, .groups = 7, .members = 700, .service_principals = 150,
                           .subscriptions = 2, .resource_groups = 3, .resources = 2100};
    assert_int_equal(fake_azure_generate(f, &t), 0);
    azure_client *c = client_for(f);
    err_info err;
    struct {
        azure_api api;
        const char *path;
        int items;
        int64_t requests;
    } cases[] = {
        {AZURE_API_GRAPH, "/users", 2500, 25},
        {AZURE_API_GRAPH, "/users?$top=999", 2500, 3},
        {AZURE_API_GRAPH, "/users?$top=5000", 2500, 3},
        {AZURE_API_GRAPH, "/servicePrincipals", 150, 2},
        {AZURE_API_GRAPH, "/groups/00000002-0000-4000-8000-000000000003/members", 100, 1},
        {AZURE_API_ARM, "/subscriptions?api-version=2016-06-01", 2, 1},
        {AZURE_API_ARM,
         "/subscriptions/00000004-0000-4000-8000-000000000001/providers/Microsoft.Compute/"
         "virtualMachines?api-version=2019-07-01",
         2100, 3},
        {AZURE_API_ARM,
         "/subscriptions/00000004-0000-4000-8000-000000000001/resourceGroups/rg-2/providers/"
         "Microsoft.Compute/virtualMachines?api-version=2019-07-01",
         700, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_azure_counts before, after;
        fake_azure_get_counts(f, &before);
        pages p = {0};
        assert_int_equal(azure_list(c, cases[i].api, cases[i].path, count_item, &p, &err), 0);
        fake_azure_get_counts(f, &after);
        if (p.items != cases[i].items ||
            after.requests - after.token_requests - before.requests + before.token_requests !=
                cases[i].requests)
            fail_msg("%s: %d items in %lld requests", cases[i].path, p.items,
                     (long long)(after.requests - after.token_requests - before.requests +
                                 before.token_requests));
    }
    assert_int_equal(fake_azure_unmatched_count(f), 0);
    azure_client_free(c);
    fake_azure_stop(f);
}

static void test_arm_pacing_avoids_429(void **state) {
    (void)state;
    fake_azure_options fo = {.throttle = true};
    fake_azure *f = fake_azure_start(&fo);
    fake_azure_tenant t = {.subscriptions = 1, .resource_groups = 2};
    assert_int_equal(fake_azure_generate(f, &t), 0);
    const char *path =
        "/subscriptions/00000004-0000-4000-8000-000000000000/resourcegroups?api-version=2020-06-01";

    /* Raw burst (no pacing): the fake's bucket empties after 250. */
    CURL *h = curl_easy_init();
    int throttled = 0;
    for (int i = 0; i < 270; i++) {
        char url[512];
        snprintf(url, sizeof url, "https://x%s", path);
        if (replay(h, fake_azure_url(f), "GET", url) == 429) throttled++;
    }
    curl_easy_cleanup(h);
    assert_true(throttled >= 15);
    fake_azure_stop(f);

    /* Through the client: paced, no 429 at all. */
    f = fake_azure_start(&fo);
    assert_int_equal(fake_azure_generate(f, &t), 0);
    azure_client *c = client_for(f);
    err_info err;
    for (int i = 0; i < 320; i++) {
        cJSON *doc = NULL;
        assert_int_equal(azure_get_json(c, AZURE_API_ARM, path, &doc, &err), 0);
        cJSON_Delete(doc);
    }
    fake_azure_counts counts;
    fake_azure_get_counts(f, &counts);
    assert_int_equal(counts.throttled, 0);
    azure_stats st;
    azure_client_stats(c, &st);
    assert_int_equal(st.requests[AZURE_API_ARM], 320);
    assert_int_equal(st.throttled[AZURE_API_ARM], 0);
    azure_client_free(c);
    fake_azure_stop(f);
}

static void test_recorded_token_answers(void **state) {
    (void)state;
    const char *tenant = "a76fc728-0cba-45f0-a9eb-d45207e14513";
    /* The whole tree: the tenant has failing and succeeding recordings;
     * a token is served. */
    fake_azure *f = fake_azure_start(NULL);
    assert_true(fake_azure_load_dir(f, RECORDINGS) > 0);
    azure_endpoints ep;
    memset(&ep, 0, sizeof ep);
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake_azure_url(f));
    snprintf(ep.graph, sizeof ep.graph, "%s", fake_azure_url(f));
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake_azure_url(f));
    azure_credentials cr = {tenant, "c", "secret-value"};
    azure_client *c = NULL;
    err_info err;
    assert_int_equal(azure_client_new(&ep, &cr, NULL, &c, &err), 0);
    assert_int_equal(azure_client_authenticate(c, AZURE_API_GRAPH, &err), 0);
    azure_client_free(c);
    fake_azure_stop(f);

    /* The failing recording alone: its 401 is replayed. */
    f = fake_azure_start(NULL);
    assert_int_equal(fake_azure_load_dir(f, RECORDINGS "/azure/graph/__recordings__/"
                                            "authenticate-invalid_1887818055"),
                     1);
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake_azure_url(f));
    snprintf(ep.graph, sizeof ep.graph, "%s", fake_azure_url(f));
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake_azure_url(f));
    assert_int_equal(azure_client_new(&ep, &cr, NULL, &c, &err), 0);
    assert_int_equal(azure_client_authenticate(c, AZURE_API_GRAPH, &err), -1);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_string_equal(err.hint, "check clientId/clientSecret/directoryId");
    azure_client_free(c);
    assert_int_equal(fake_azure_unmatched_count(f), 0);
    fake_azure_stop(f);
}

/* A recorded two-page Graph list: the client follows the recorded
 * @odata.nextLink (percent-encoded $skiptoken, rewritten to the fake). */
static void test_recorded_graph_paging(void **state) {
    (void)state;
    fake_azure *f = fake_azure_start(NULL);
    assert_int_equal(fake_azure_load_dir(f, RECORDINGS "/steps/active-directory/__recordings__/"
                                            "iterateServicePrincipals_3897857815"),
                     3);
    azure_client *c = client_for(f);
    pages p = {0};
    err_info err;
    assert_int_equal(azure_list(c, AZURE_API_GRAPH, "/servicePrincipals", count_item, &p, &err), 0);
    assert_int_equal(p.items, 142);
    assert_int_equal(fake_azure_unmatched_count(f), 0);
    azure_client_free(c);
    fake_azure_stop(f);
}

/* Graph throttling per tenant and principal in generated mode (a small
 * bucket): raw requests of the client's principal ("c") beyond it get 429
 * + Retry-After, another principal's requests are not throttled; the
 * client waits and retries and every list completes. */
static void test_graph_throttle(void **state) {
    (void)state;
    fake_azure_options fo = {.throttle = true, .graph_burst = 4, .graph_refill_per_s = 4};
    fake_azure *f = fake_azure_start(&fo);
    fake_azure_tenant t = {.users = 300};
    assert_int_equal(fake_azure_generate(f, &t), 0);
    CURL *h = curl_easy_init();
    int throttled = 0;
    for (int i = 0; i < 8; i++)
        if (replay_as(h, fake_azure_url(f), "GET", "https://x/v1.0/users?$top=1", "c") == 429)
            throttled++;
    assert_true(throttled >= 3);
    assert_int_equal(replay_as(h, fake_azure_url(f), "GET", "https://x/v1.0/users?$top=1", "other"),
                     200);
    curl_easy_cleanup(h);
    int64_t arm_max = -1, graph_max = -1;
    fake_azure_bucket_max(f, &arm_max, &graph_max);
    assert_int_equal(arm_max, 0);
    assert_true(graph_max >= 4 && graph_max <= 6); /* burst 4, refilled 4/s while sending */

    azure_client *c = client_for(f);
    pages p = {0};
    err_info err;
    /* 3 pages, bucket empty: each waits for Retry-After (1 s). */
    assert_int_equal(azure_list(c, AZURE_API_GRAPH, "/users", count_item, &p, &err), 0);
    assert_int_equal(p.items, 300);
    azure_stats st;
    azure_client_stats(c, &st);
    assert_true(st.throttled[AZURE_API_GRAPH] >= 1);
    assert_int_equal(st.retries[AZURE_API_GRAPH], st.throttled[AZURE_API_GRAPH]);
    azure_client_free(c);
    fake_azure_stop(f);
}

/* Storage data plane: the recorded blob service properties (XML) through
 * AZURE_STORAGE_URL_TEMPLATE pointing at the fake. */
static void test_storage_data_plane(void **state) {
    (void)state;
    fake_azure *f = fake_azure_start(NULL);
    assert_true(fake_azure_load_dir(f, RECORDINGS "/steps/resource-manager/storage/__recordings__/"
                                       "storageAccountServiceClient-getBlobServiceProperties_"
                                       "1284191461") > 0);
    azure_endpoints ep;
    memset(&ep, 0, sizeof ep);
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake_azure_url(f));
    snprintf(ep.graph, sizeof ep.graph, "%s", fake_azure_url(f));
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake_azure_url(f));
    snprintf(ep.storage_url_template, sizeof ep.storage_url_template,
             "%s/__storage/{account}/{service}", fake_azure_url(f));
    azure_credentials cr = {"t", "c", "secret-value"};
    azure_client *c = NULL;
    err_info err;
    assert_int_equal(azure_client_new(&ep, &cr, NULL, &c, &err), 0);
    char url[512];
    assert_int_equal(azure_storage_url(azure_client_endpoints(c), "ndowmon1j1dev", "blob", url,
                                       sizeof url - 64),
                     0);
    strcat(url, "/?restype=service&comp=properties");
    char *body = NULL;
    size_t len = 0;
    assert_int_equal(azure_get_text(c, AZURE_API_DATA, url, &body, &len, &err), 0);
    assert_non_null(strstr(body, "<StorageServiceProperties>"));
    assert_int_equal(strlen(body), len);
    free(body);
    /* A relative path is refused on the data plane. */
    assert_int_equal(azure_get_text(c, AZURE_API_DATA, "/x", &body, &len, &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_int_equal(fake_azure_unmatched_count(f), 0);
    azure_client_free(c);
    fake_azure_stop(f);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_recording_is_served),
        cmocka_unit_test(test_normalization),
        cmocka_unit_test(test_generated_paging),
        cmocka_unit_test(test_arm_pacing_avoids_429),
        cmocka_unit_test(test_recorded_token_answers),
        cmocka_unit_test(test_recorded_graph_paging),
        cmocka_unit_test(test_graph_throttle),
        cmocka_unit_test(test_storage_data_plane),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
