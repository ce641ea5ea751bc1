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
 *  - Graph JSON batching (POST /v1.0/$batch): each inner request answered
 *    and counted as the same GET on its own (generated, recorded, throttle,
 *    fault rules), malformed batches refused whole, latency once per batch.
 */
#include "azure/azure_client.h"
#include "azure/azure_endpoints.h"
#include "common/sbuf.h"
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
#include <time.h>

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

/* ---- Graph JSON batching ---- */

#define GROUP(n) "00000002-0000-4000-8000-00000000000" #n

typedef struct http_text {
    char *p;
    size_t n;
} http_text;

static size_t keep(char *p, size_t s, size_t n, void *u) {
    http_text *t = u;
    char *q = realloc(t->p, t->n + s * n + 1);
    if (!q) return 0;
    memcpy(q + t->n, p, s * n);
    t->p = q;
    t->n += s * n;
    t->p[t->n] = '\0';
    return s * n;
}

/* GET (json NULL) or POST json to <fake>path with a bearer token of
 * `principal` ("c" when NULL); returns the status (-1 when the connection
 * failed), the body in *body (parsed when JSON, else NULL) and the
 * Content-Type in ctype. */
static long http_json(fake_azure *f, const char *path, const char *json, const char *principal,
                      cJSON **body, char *ctype, size_t ctype_size) {
    CURL *h = curl_easy_init();
    assert_non_null(h);
    char url[2048], auth[256];
    snprintf(url, sizeof url, "%s%s", fake_azure_url(f), path);
    snprintf(auth, sizeof auth, "Authorization: Bearer fake-access-token-1.%s",
             principal ? principal : "c");
    struct curl_slist *hdrs = curl_slist_append(NULL, auth);
    if (json) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    }
    http_text t = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    long status = -1;
    if (ctype) ctype[0] = '\0';
    if (curl_easy_perform(h) == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        char *ct = NULL;
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
        if (ctype) snprintf(ctype, ctype_size, "%s", ct ? ct : "");
    }
    if (body) *body = t.p ? cJSON_Parse(t.p) : NULL;
    free(t.p);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return status;
}

/* {"requests":[{"id":ids[i],"method":"GET","url":urls[i]},...]} */
static char *batch_of(size_t n, const char *const *ids, const char *const *urls) {
    cJSON *doc = cJSON_CreateObject();
    cJSON *reqs = cJSON_AddArrayToObject(doc, "requests");
    for (size_t i = 0; i < n; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "id", ids[i]);
        cJSON_AddStringToObject(r, "method", "GET");
        cJSON_AddStringToObject(r, "url", urls[i]);
        cJSON_AddItemToArray(reqs, r);
    }
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    assert_non_null(text);
    return text;
}

/* The response of request `id` in a batch answer (each id exactly once). */
static const cJSON *batch_response(const cJSON *answer, const char *id) {
    const cJSON *found = NULL, *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(answer, "responses")) {
        const cJSON *rid = cJSON_GetObjectItem(r, "id");
        if (cJSON_IsString(rid) && strcmp(rid->valuestring, id) == 0) {
            assert_null(found);
            found = r;
        }
    }
    assert_non_null(found);
    return found;
}

static int batch_status(const cJSON *answer, const char *id) {
    return cJSON_GetObjectItem(batch_response(answer, id), "status")->valueint;
}

static const char *batch_header(const cJSON *answer, const char *id, const char *name) {
    const cJSON *v =
        cJSON_GetObjectItem(cJSON_GetObjectItem(batch_response(answer, id), "headers"), name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Sends a batch; asserts the HTTP status; returns the parsed answer. */
static cJSON *send_batch(fake_azure *f, const char *principal, size_t n, const char *const *ids,
                         const char *const *urls, long want) {
    char *text = batch_of(n, ids, urls);
    cJSON *answer = NULL;
    char ct[128];
    long status = http_json(f, "/v1.0/$batch", text, principal, &answer, ct, sizeof ct);
    free(text);
    if (status != want) fail_msg("batch answered %ld, want %ld", status, want);
    if (want > 0) {
        assert_string_equal(ct, "application/json");
        assert_non_null(answer);
    }
    return answer;
}

/* Generated mode: each request of a batch is answered with the body, status
 * and Content-Type of the same GET on its own, and counted as it. */
static void test_batch_generated(void **state) {
    (void)state;
    fake_azure *f = fake_azure_start(NULL);
    fake_azure_tenant t = {.users = 50, .groups = 7, .members = 700, .service_principals = 10};
    assert_int_equal(fake_azure_generate(f, &t), 0);
    static const char *const ids[] = {"0", "1", "two", "3"};
    /* plain, percent-encoded with a nextLink page, no leading slash, and
     * '+' / %2B in a query (decoded as MHD decodes a request line). */
    static const char *const urls[] = {
        "/groups/" GROUP(0) "/members?$select=id,displayName&$top=999",
        "/groups/" GROUP(1) "/members?%24select=id%2CdisplayName&%24top=40",
        "groups/" GROUP(2) "/members",
        "/users?$top=2&x=a+b%2Bc",
    };
    enum { N = 4 };
    cJSON *alone[N];
    char ct[N][128], seen[N][512];
    for (size_t i = 0; i < N; i++) {
        char path[512];
        snprintf(path, sizeof path, "/v1.0%s%s", urls[i][0] == '/' ? "" : "/", urls[i]);
        fake_azure_reset_counts(f);
        assert_int_equal(http_json(f, path, NULL, NULL, &alone[i], ct[i], sizeof ct[i]), 200);
        assert_non_null(alone[i]);
        assert_true(fake_azure_seen(f, 0, seen[i], sizeof seen[i]));
    }
    assert_non_null(cJSON_GetObjectItem(alone[1], "@odata.nextLink"));
    assert_string_equal(seen[3], "/v1.0/users?$top=2&x=a b+c");

    fake_azure_reset_counts(f);
    cJSON *answer = send_batch(f, NULL, N, ids, urls, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(answer, "responses")), N);
    for (size_t i = 0; i < N; i++) {
        const cJSON *r = batch_response(answer, ids[i]);
        assert_int_equal(cJSON_GetObjectItem(r, "status")->valueint, 200);
        assert_string_equal(batch_header(answer, ids[i], "Content-Type"), ct[i]);
        assert_null(batch_header(answer, ids[i], "Retry-After"));
        assert_true(cJSON_Compare(cJSON_GetObjectItem(r, "body"), alone[i], true));
        char s[512];
        assert_true(fake_azure_seen(f, i + 1, s, sizeof s));
        assert_string_equal(s, seen[i]);
        cJSON_Delete(alone[i]);
    }
    cJSON_Delete(answer);
    char s[512];
    assert_true(fake_azure_seen(f, 0, s, sizeof s));
    assert_string_equal(s, "/v1.0/$batch");
    assert_false(fake_azure_seen(f, N + 1, s, sizeof s));
    fake_azure_counts c;
    fake_azure_get_counts(f, &c);
    assert_int_equal(c.requests, 1);
    assert_int_equal(c.batch_requests, 1);
    assert_int_equal(c.batched, N);
    assert_int_equal(c.max_in_flight, 1);
    assert_int_equal(c.token_requests, 0);
    assert_int_equal(c.faults, 0);
    assert_int_equal(c.throttled, 0);
    assert_int_equal(fake_azure_count_path(f, "/v1.0/groups/" GROUP(0) "/members"), 1);
    assert_int_equal(fake_azure_count_path(f, "/v1.0/groups/"), 3);
    assert_int_equal(fake_azure_count_path(f, "/v1.0/$batch"), 1);
    assert_int_equal(fake_azure_unmatched_count(f), 0);
    fake_azure_stop(f);
}

/* The Graph throttle applies per inner read, to the batch POST's principal:
 * a bucket of 2 answers the third request of a batch 429 + Retry-After. */
static void test_batch_throttle(void **state) {
    (void)state;
    fake_azure_options fo = {.throttle = true, .graph_burst = 2, .graph_refill_per_s = 1};
    fake_azure *f = fake_azure_start(&fo);
    fake_azure_tenant t = {.users = 10, .groups = 3, .members = 30};
    assert_int_equal(fake_azure_generate(f, &t), 0);
    static const char *const ids[] = {"a", "b", "c"};
    static const char *const urls[] = {"/groups/" GROUP(0) "/members",
                                       "/groups/" GROUP(1) "/members",
                                       "/groups/" GROUP(2) "/members"};
    cJSON *answer = send_batch(f, "c", 3, ids, urls, 200);
    assert_int_equal(batch_status(answer, "a"), 200);
    assert_int_equal(batch_status(answer, "b"), 200);
    assert_int_equal(batch_status(answer, "c"), 429);
    const char *ra = batch_header(answer, "c", "Retry-After");
    assert_non_null(ra);
    assert_true(atoi(ra) >= 1);
    const cJSON *err = cJSON_GetObjectItem(
        cJSON_GetObjectItem(batch_response(answer, "c"), "body"), "error");
    assert_string_equal(cJSON_GetObjectItem(err, "code")->valuestring, "TooManyRequests");
    cJSON_Delete(answer);
    fake_azure_counts c;
    fake_azure_get_counts(f, &c);
    assert_int_equal(c.throttled, 1);
    assert_int_equal(c.batched, 3);
    /* Another principal's bucket is full. */
    answer = send_batch(f, "other", 2, ids, urls, 200);
    assert_int_equal(batch_status(answer, "a"), 200);
    assert_int_equal(batch_status(answer, "b"), 200);
    cJSON_Delete(answer);
    int64_t arm_max = -1, graph_max = -1;
    fake_azure_bucket_max(f, &arm_max, &graph_max);
    assert_int_equal(graph_max, 2);
    fake_azure_stop(f);
}

/* Fault rules match each inner request as "GET /v1.0/<url>" (query sorted
 * and decoded), or the batch POST itself as "POST /v1.0/$batch". */
static void test_batch_faults(void **state) {
    (void)state;
    fake_azure *f = fake_azure_start(NULL);
    fake_azure_tenant t = {.users = 10, .groups = 3, .members = 30};
    assert_int_equal(fake_azure_generate(f, &t), 0);
    static const char *const ids[] = {"0", "1", "2"};
    static const char *const urls[] = {
        "/groups/" GROUP(0) "/members?$top=999&$select=id,displayName",
        "/groups/" GROUP(1) "/members?$top=999&$select=id,displayName",
        "/groups/" GROUP(2) "/members?%24top=999&%24select=id%2CdisplayName"};
    fake_azure_fault throttle = {.match = "/groups/" GROUP(1) "/members", .method = "GET",
                                 .kind = FAKE_FAULT_STATUS, .status = 429, .retry_after = "7",
                                 .times = 1};
    fake_azure_fault unavailable = {
        .match = "^/v1.0/groups/" GROUP(2) "/members?$select=id,displayName&$top=999",
        .kind = FAKE_FAULT_STATUS, .status = 503, .times = 1};
    fake_azure_fault post_only = {.match = "/members", .method = "POST",
                                  .kind = FAKE_FAULT_STATUS, .status = 500};
    assert_int_equal(fake_azure_add_fault(f, &post_only), 0);
    assert_int_equal(fake_azure_add_fault(f, &throttle), 0);
    assert_int_equal(fake_azure_add_fault(f, &unavailable), 0);
    cJSON *answer = send_batch(f, NULL, 3, ids, urls, 200);
    assert_int_equal(batch_status(answer, "0"), 200);
    assert_int_equal(batch_status(answer, "1"), 429);
    assert_string_equal(batch_header(answer, "1", "Retry-After"), "7");
    assert_int_equal(batch_status(answer, "2"), 503);
    assert_null(batch_header(answer, "2", "Retry-After"));
    const cJSON *err = cJSON_GetObjectItem(
        cJSON_GetObjectItem(batch_response(answer, "1"), "body"), "error");
    assert_string_equal(cJSON_GetObjectItem(err, "code")->valuestring, "TooManyRequests");
    cJSON_Delete(answer);
    fake_azure_counts c;
    fake_azure_get_counts(f, &c);
    assert_int_equal(c.faults, 2);
    assert_int_equal(c.throttled, 0);
    /* Rules used up: all 200. */
    answer = send_batch(f, NULL, 3, ids, urls, 200);
    for (size_t i = 0; i < 3; i++) assert_int_equal(batch_status(answer, ids[i]), 200);
    cJSON_Delete(answer);

    /* A rule on the POST answers the batch itself. */
    fake_azure_clear_faults(f);
    fake_azure_fault post = {.match = "^/v1.0/$batch", .method = "POST",
                             .kind = FAKE_FAULT_STATUS, .status = 503, .retry_after = "2",
                             .times = 1};
    assert_int_equal(fake_azure_add_fault(f, &post), 0);
    fake_azure_reset_counts(f);
    answer = send_batch(f, NULL, 3, ids, urls, 503);
    cJSON_Delete(answer);
    fake_azure_get_counts(f, &c);
    assert_int_equal(c.requests, 1);
    assert_int_equal(c.faults, 1);
    assert_int_equal(c.batch_requests, 0);
    assert_int_equal(c.batched, 0);

    /* A dropped inner request drops the batch connection. */
    fake_azure_fault drop = {.match = "/groups/" GROUP(2) "/", .kind = FAKE_FAULT_DROP,
                             .times = 1};
    assert_int_equal(fake_azure_add_fault(f, &drop), 0);
    answer = send_batch(f, NULL, 3, ids, urls, -1);
    assert_null(answer);
    answer = send_batch(f, NULL, 3, ids, urls, 200);
    cJSON_Delete(answer);
    assert_int_equal(fake_azure_unmatched_count(f), 0);
    fake_azure_stop(f);
}

/* Malformed batches are refused whole (400, Graph error body); 20 requests
 * are accepted, 21 are not. */
static void test_batch_refused(void **state) {
    (void)state;
    fake_azure *f = fake_azure_start(NULL);
    fake_azure_tenant t = {.users = 10, .groups = 3, .members = 30};
    assert_int_equal(fake_azure_generate(f, &t), 0);
    const char *ids[21], *urls[21];
    char idbuf[21][8];
    for (size_t i = 0; i < 21; i++) {
        snprintf(idbuf[i], sizeof idbuf[i], "%zu", i);
        ids[i] = idbuf[i];
        urls[i] = "/users?$top=1";
    }
    cJSON *answer = send_batch(f, NULL, 20, ids, urls, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(answer, "responses")), 20);
    cJSON_Delete(answer);
    fake_azure_reset_counts(f);

    const char *bad[] = {
        NULL, /* 21 requests, filled below */
        "not json",
        "{}",
        "{\"requests\":{}}",
        "{\"requests\":[]}",
        "{\"requests\":[{\"method\":\"GET\",\"url\":\"/users\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"url\":\"/users\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\"}]}",
        "{\"requests\":[{\"id\":1,\"method\":\"GET\",\"url\":\"/users\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users\"},"
        "{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/groups\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/v1.0/users\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"v1.0/users\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\","
        "\"url\":\"https://graph.microsoft.com/v1.0/users\"}]}",
        "{\"requests\":[{\"id\":\"1\",\"method\":\"FETCH\",\"url\":\"/users\"}]}",
    };
    char *many = batch_of(21, ids, urls);
    bad[0] = many;
    size_t nbad = sizeof bad / sizeof *bad;
    for (size_t i = 0; i < nbad; i++) {
        cJSON *e = NULL;
        long status = http_json(f, "/v1.0/$batch", bad[i], NULL, &e, NULL, 0);
        if (status != 400) fail_msg("case %zu answered %ld", i, status);
        const cJSON *err = cJSON_GetObjectItem(e, "error");
        assert_string_equal(cJSON_GetObjectItem(err, "code")->valuestring, "BadRequest");
        assert_true(cJSON_IsString(cJSON_GetObjectItem(err, "message")));
        cJSON_Delete(e);
    }
    free(many);
    /* Not sent as JSON. */
    CURL *h = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "%s/v1.0/$batch", fake_azure_url(f));
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                     "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users\"}]}");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    long status = -1;
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    assert_int_equal(status, 400);

    fake_azure_counts c;
    fake_azure_get_counts(f, &c);
    assert_int_equal(c.requests, (int64_t)nbad + 1);
    assert_int_equal(c.batch_requests, (int64_t)nbad + 1);
    assert_int_equal(c.batched, 0);
    assert_int_equal(fake_azure_count_path(f, "/v1.0/users"), 0);
    assert_int_equal(fake_azure_unmatched_count(f), 0);
    fake_azure_stop(f);
}

/* Recorded mode: group member lists from the recordings (through the
 * fallback that drops $top and $select), an unrecorded one 404 and listed
 * as unmatched. */
static void test_batch_recorded(void **state) {
    (void)state;
    fake_azure *f = fake_azure_start(NULL);
    const char *dirs[] = {"iterateGroupMembersSelectProperties_431024926",
                          "iterateGroupMembers_3927565863"};
    for (size_t i = 0; i < 2; i++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/steps/active-directory/__recordings__/%s", RECORDINGS,
                 dirs[i]);
        assert_int_equal(fake_azure_load_dir(f, dir), 2);
    }
    static const char *const ids[] = {"sel", "all", "none"};
    static const char *const urls[] = {
        "/groups/1c417feb-b04f-46c9-a747-614d6d03f348/members?$select=id,displayName&$top=999",
        "/groups/58e48aba-cd45-440f-a851-2bf9715fadc1/members?$select=id,displayName&$top=999",
        "/groups/00000000-0000-0000-0000-000000000000/members?$top=999"};
    cJSON *alone[2];
    char ct[2][128];
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof path, "/v1.0%s", urls[i]);
        assert_int_equal(http_json(f, path, NULL, NULL, &alone[i], ct[i], sizeof ct[i]), 200);
        assert_non_null(cJSON_GetObjectItem(alone[i], "value"));
    }
    fake_azure_reset_counts(f);
    cJSON *answer = send_batch(f, NULL, 3, ids, urls, 200);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(batch_status(answer, ids[i]), 200);
        assert_string_equal(batch_header(answer, ids[i], "Content-Type"), ct[i]);
        assert_true(
            cJSON_Compare(cJSON_GetObjectItem(batch_response(answer, ids[i]), "body"), alone[i],
                          true));
        cJSON_Delete(alone[i]);
    }
    assert_int_equal(batch_status(answer, "none"), 404);
    cJSON_Delete(answer);
    assert_int_equal(fake_azure_unmatched_count(f), 1);
    char u[512];
    assert_true(fake_azure_unmatched(f, 0, u, sizeof u));
    assert_string_equal(u, "GET /v1.0/groups/00000000-0000-0000-0000-000000000000/members"
                           "?$top=999");
    assert_int_equal(fake_azure_count_path(f, "/v1.0/groups/1c417feb"), 1);
    fake_azure_stop(f);
}

/* Injected latency applies once per batch, not per request. */
static void test_batch_latency(void **state) {
    (void)state;
    fake_azure_options fo = {.latency_ms = 300};
    fake_azure *f = fake_azure_start(&fo);
    fake_azure_tenant t = {.users = 10, .groups = 3, .members = 30};
    assert_int_equal(fake_azure_generate(f, &t), 0);
    static const char *const ids[] = {"0", "1", "2"};
    static const char *const urls[] = {"/groups/" GROUP(0) "/members",
                                       "/groups/" GROUP(1) "/members",
                                       "/groups/" GROUP(2) "/members"};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    cJSON *answer = send_batch(f, NULL, 3, ids, urls, 200);
    clock_gettime(CLOCK_MONOTONIC, &b);
    cJSON_Delete(answer);
    long ms = (long)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    if (ms < 300 || ms >= 900) fail_msg("batch took %ld ms", ms);
    fake_azure_stop(f);
}

/* GET <fake>path with the given Authorization value; the status. */
static long get_with_auth(fake_azure *f, const char *path, const char *bearer) {
    CURL *h = curl_easy_init();
    assert_non_null(h);
    sbuf url = SBUF_INIT, auth = SBUF_INIT;
    sbuf_printf(&url, "%s%s", fake_azure_url(f), path);
    sbuf_printf(&auth, "Authorization: Bearer %s", bearer);
    struct curl_slist *hdrs = curl_slist_append(NULL, sbuf_str(&auth));
    http_text t = {0};
    curl_easy_setopt(h, CURLOPT_URL, sbuf_str(&url));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    long status = -1;
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    free(t.p);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    sbuf_free(&url);
    sbuf_free(&auth);
    return status;
}

/* token_bytes: generated tokens are that long (as Azure AD's, whose length
 * every request pays for) and still name their client, which the fake's
 * per-principal buckets go by. */
static void test_token_length(void **state) {
    (void)state;
    fake_azure_options fo = {.throttle = true, .graph_burst = 1, .graph_refill_per_s = 1,
                             .token_bytes = 1600};
    fake_azure *f = fake_azure_start(&fo);
    fake_azure_tenant t = {.users = 3, .groups = 1, .members = 1};
    assert_int_equal(fake_azure_generate(f, &t), 0);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    char url[512];
    snprintf(url, sizeof url, "%s/tenant-1/oauth2/v2.0/token", fake_azure_url(f));
    http_text body = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                     "grant_type=client_credentials&client_id=app-1&client_secret=s"
                     "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    cJSON *doc = cJSON_Parse(body.p);
    free(body.p);
    const cJSON *tok = cJSON_GetObjectItem(doc, "access_token");
    assert_true(cJSON_IsString(tok));
    size_t n = strlen(tok->valuestring);
    assert_int_equal(n, 1600);
    assert_string_equal(tok->valuestring + n - 6, ".app-1");
    /* app-1's Graph bucket holds one read; another principal's is full */
    assert_int_equal(get_with_auth(f, "/v1.0/users", tok->valuestring), 200);
    assert_int_equal(get_with_auth(f, "/v1.0/users", tok->valuestring), 429);
    assert_int_equal(get_with_auth(f, "/v1.0/users", "fake-access-token-9.app-2"), 200);
    cJSON_Delete(doc);
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
        cmocka_unit_test(test_token_length),
        cmocka_unit_test(test_recorded_graph_paging),
        cmocka_unit_test(test_graph_throttle),
        cmocka_unit_test(test_storage_data_plane),
        cmocka_unit_test(test_batch_generated),
        cmocka_unit_test(test_batch_throttle),
        cmocka_unit_test(test_batch_faults),
        cmocka_unit_test(test_batch_refused),
        cmocka_unit_test(test_batch_recorded),
        cmocka_unit_test(test_batch_latency),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
