/*
 * azure_client against the fake Azure server (real HTTP on loopback):
 * tokens (caching, refresh ahead of expiry, single flight, error answers),
 * GET and paging (repeated links), every retry path (429 with seconds and
 * HTTP-date Retry-After, 503, 500, dropped connection, stalled transfer,
 * 401 refresh), 403/404 messages, the concurrency bound, list_many on the
 * calling thread, 10,000 pages without memory growth, no secret in any
 * error or log line.
 */
#include "azure/azure_client.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/sbuf.h"
#include "fakes/fake_azure.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SECRET "s3cr3t-Client-Secret-Value!"

/* Sanitizers keep freed memory in quarantine / shadow memory: RSS says
 * nothing there (ASan's leak check covers those builds). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define AI_ASAN 1
#endif

typedef struct fixture {
    fake_azure *fake;
    azure_client *client;
    azure_endpoints ep;
} fixture;

static void endpoints_for(fake_azure *fake, azure_endpoints *ep) {
    memset(ep, 0, sizeof *ep);
    snprintf(ep->authority_host, sizeof ep->authority_host, "%s", fake_azure_url(fake));
    snprintf(ep->graph, sizeof ep->graph, "%s", fake_azure_url(fake));
    snprintf(ep->resource_manager, sizeof ep->resource_manager, "%s", fake_azure_url(fake));
    snprintf(ep->storage_suffix, sizeof ep->storage_suffix, "core.windows.net");
}

/* With distinct_arm, Resource Manager is reached as "localhost" so that it
 * is another resource (another token) than Graph on "127.0.0.1"; recorded
 * ARM nextLinks then point at the other name, so paging tests use false. */
static fixture *fixture_new2(const fake_azure_options *fo, const azure_client_options *co,
                             bool distinct_arm) {
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->fake = fake_azure_start(fo);
    assert_non_null(fx->fake);
    endpoints_for(fx->fake, &fx->ep);
    if (distinct_arm)
        snprintf(fx->ep.resource_manager, sizeof fx->ep.resource_manager, "http://localhost:%s",
                 strrchr(fake_azure_url(fx->fake), ':') + 1);
    azure_credentials cr = {"tenant-1", "client-1", SECRET};
    azure_client_options dflt = {.max_retry_wait_ms = 40, .max_attempts = 4};
    err_info err;
    assert_int_equal(azure_client_new(&fx->ep, &cr, co ? co : &dflt, &fx->client, &err), 0);
    return fx;
}

static fixture *fixture_new(const fake_azure_options *fo, const azure_client_options *co) {
    return fixture_new2(fo, co, false);
}

static void fixture_free(fixture *fx) {
    azure_client_free(fx->client);
    fake_azure_stop(fx->fake);
    free(fx);
}

static void assert_no_secret(const err_info *err) {
    assert_null(strstr(err->message, SECRET));
    assert_null(strstr(err->hint, SECRET));
    assert_null(strstr(err->message, "fake-access-token"));
}

/* ---- tokens ---- */

static void test_token_and_get(void **state) {
    (void)state;
    fixture *fx = fixture_new2(NULL, NULL, true);
    assert_int_equal(fake_azure_add_response(fx->fake, "GET", "/v1.0/organization", 200, NULL,
                                             "{\"value\":[{\"id\":\"org-1\"}]}"),
                     0);
    err_info err;
    cJSON *doc = NULL;
    assert_int_equal(azure_get_json(fx->client, AZURE_API_GRAPH, "/organization", &doc, &err), 0);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "value"), 0)->child->valuestring,
                        "org-1");
    cJSON_Delete(doc);
    assert_int_equal(azure_get_json(fx->client, AZURE_API_GRAPH, "/organization", &doc, &err), 0);
    cJSON_Delete(doc);
    fake_azure_counts c;
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.token_requests, 1); /* cached */
    assert_int_equal(c.requests, 3);
    char form[2048];
    fake_azure_last_token_form(fx->fake, form, sizeof form);
    assert_non_null(strstr(form, "client_id=client-1"));
    assert_non_null(strstr(form, "grant_type=client_credentials"));
    assert_non_null(strstr(form, "client_secret=s3cr3t-Client-Secret-Value%21"));
    assert_non_null(strstr(form, "scope=http%3A%2F%2F127.0.0.1%3A"));
    assert_non_null(strstr(form, "%2F.default"));
    /* ARM uses another token (another resource). */
    assert_int_equal(fake_azure_add_response(fx->fake, "GET", "/subscriptions?api-version=2016-06-01",
                                             200, NULL, "{\"value\":[]}"),
                     0);
    assert_int_equal(azure_get_json(fx->client, AZURE_API_ARM, "/subscriptions?api-version=2016-06-01",
                                    &doc, &err),
                     0);
    cJSON_Delete(doc);
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.token_requests, 2);
    assert_int_equal(fake_azure_unmatched_count(fx->fake), 0);
    assert_string_equal(azure_client_endpoints(fx->client)->graph, fake_azure_url(fx->fake));
    azure_stats st;
    azure_client_stats(fx->client, &st);
    assert_int_equal(st.requests[AZURE_API_GRAPH], 2);
    assert_int_equal(st.requests[AZURE_API_ARM], 1);
    fixture_free(fx);
}

static void test_token_refresh_ahead(void **state) {
    (void)state;
    /* A token with 300 s left is inside the refresh window: every use
     * refreshes it; one with an hour left is reused. */
    fake_azure_options fo = {.token_expires_in = 300};
    fixture *fx = fixture_new(&fo, NULL);
    fake_azure_add_response(fx->fake, "GET", "/v1.0/organization", 200, NULL, "{\"value\":[]}");
    err_info err;
    for (int i = 0; i < 3; i++) {
        cJSON *doc = NULL;
        assert_int_equal(azure_get_json(fx->client, AZURE_API_GRAPH, "/organization", &doc, &err), 0);
        cJSON_Delete(doc);
    }
    fake_azure_counts c;
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.token_requests, 3);
    fixture_free(fx);
}

typedef struct auth_thread {
    azure_client *client;
    int rc;
} auth_thread;

static void *auth_worker(void *arg) {
    auth_thread *a = arg;
    err_info err;
    a->rc = azure_client_authenticate(a->client, AZURE_API_GRAPH, &err);
    return NULL;
}

static void test_token_single_flight(void **state) {
    (void)state;
    fake_azure_options fo = {.latency_ms = 150};
    fixture *fx = fixture_new(&fo, NULL);
    pthread_t th[16];
    auth_thread a[16];
    for (int i = 0; i < 16; i++) {
        a[i].client = fx->client;
        a[i].rc = -2;
        assert_int_equal(pthread_create(&th[i], NULL, auth_worker, &a[i]), 0);
    }
    for (int i = 0; i < 16; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(a[i].rc, 0);
    }
    fake_azure_counts c;
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.token_requests, 1);
    fixture_free(fx);
}

static void test_token_errors(void **state) {
    (void)state;
    fixture *fx = fixture_new(NULL, NULL);
    /* invalid_client (bad secret): ERR_AUTH at once, no retry. */
    fake_azure_fault f = {.match = "/oauth2/", .kind = FAKE_FAULT_STATUS, .status = 401,
                          .body = "{\"error\":\"invalid_client\",\"error_description\":"
                                  "\"AADSTS7000215: Invalid client secret provided.\\r\\nTrace ID: x\"}"};
    fake_azure_add_fault(fx->fake, &f);
    err_info err;
    assert_int_equal(azure_client_authenticate(fx->client, AZURE_API_GRAPH, &err), -1);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_non_null(strstr(err.message, "AADSTS7000215"));
    assert_null(strstr(err.message, "Trace ID"));
    assert_string_equal(err.hint, "check clientId/clientSecret/directoryId");
    assert_no_secret(&err);
    fake_azure_counts c;
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.token_requests, 1);

    /* HTML sign-in page with AADSTS90013: invalid directory id. */
    fake_azure_clear_faults(fx->fake);
    f.status = 200;
    f.body = "<html><body>AADSTS90013: Invalid input received from the user.</body></html>";
    fake_azure_add_fault(fx->fake, &f);
    assert_int_equal(azure_client_authenticate(fx->client, AZURE_API_GRAPH, &err), -1);
    assert_int_equal(err.kind, ERR_AUTH);
    assert_string_equal(err.message, "AADSTS90013: Invalid input received from the user. The "
                                     "provided directory ID is invalid.");

    /* 500 then success: retried. */
    fake_azure_clear_faults(fx->fake);
    f.status = 500;
    f.body = NULL;
    f.times = 1;
    fake_azure_add_fault(fx->fake, &f);
    assert_int_equal(azure_client_authenticate(fx->client, AZURE_API_GRAPH, &err), 0);
    fixture_free(fx);
}

/* ---- paging ---- */

typedef struct collect {
    int count;
    pthread_t thread;
    atomic_int inside;  /* callbacks running now */
    bool concurrent;
    int per_index[64];
} collect;

static int count_item(void *arg, const cJSON *item, err_info *err) {
    (void)err;
    (void)item;
    ((collect *)arg)->count++;
    return 0;
}

static void test_paging(void **state) {
    (void)state;
    fixture *fx = fixture_new(NULL, NULL);
    fake_azure_add_response(fx->fake, "GET", "/v1.0/users", 200, NULL,
                            "{\"value\":[{\"id\":\"1\"},{\"id\":\"2\"}],\"@odata.nextLink\":"
                            "\"https://graph.microsoft.com/v1.0/users?$skiptoken=A\"}");
    fake_azure_add_response(fx->fake, "GET", "/v1.0/users?$skiptoken=A", 200, NULL,
                            "{\"value\":[{\"id\":\"3\"}],\"@odata.nextLink\":"
                            "\"https://graph.microsoft.com/v1.0/users?$skiptoken=B\"}");
    fake_azure_add_response(fx->fake, "GET", "/v1.0/users?$skiptoken=B", 200, NULL,
                            "{\"value\":[{\"id\":\"4\"}]}");
    collect col = {0};
    err_info err;
    assert_int_equal(azure_list(fx->client, AZURE_API_GRAPH, "/users", count_item, &col, &err), 0);
    assert_int_equal(col.count, 4);

    /* ARM nextLink that points back to an earlier page. */
    fake_azure_add_response(fx->fake, "GET", "/subscriptions/s1/resourcegroups?api-version=1", 200,
                            NULL,
                            "{\"value\":[{\"id\":\"a\"}],\"nextLink\":\"https://management.azure.com/"
                            "subscriptions/s1/resourcegroups?api-version=1&$skiptoken=2\"}");
    fake_azure_add_response(fx->fake, "GET", "/subscriptions/s1/resourcegroups?api-version=1&$skiptoken=2",
                            200, NULL,
                            "{\"value\":[{\"id\":\"b\"}],\"nextLink\":\"https://management.azure.com/"
                            "subscriptions/s1/resourcegroups?api-version=1&$skiptoken=2\"}");
    col.count = 0;
    assert_int_equal(azure_list(fx->client, AZURE_API_ARM,
                                "/subscriptions/s1/resourcegroups?api-version=1", count_item, &col,
                                &err),
                     -1);
    assert_int_equal(err.kind, ERR_UPSTREAM);
    assert_non_null(strstr(err.message, "already followed"));
    assert_int_equal(col.count, 1); /* the page with the repeated link is not used */

    /* A link to a foreign host never receives our token. */
    fake_azure_add_response(fx->fake, "GET", "/v1.0/groups", 200, NULL,
                            "{\"value\":[],\"@odata.nextLink\":\"https://evil.example.com/x\"}");
    assert_int_equal(azure_list(fx->client, AZURE_API_GRAPH, "/groups", count_item, &col, &err), -1);
    assert_non_null(strstr(err.message, "another host"));

    /* 404 on the first page: an empty list. */
    col.count = 0;
    assert_int_equal(azure_list(fx->client, AZURE_API_GRAPH, "/nothing-here", count_item, &col, &err),
                     0);
    assert_int_equal(col.count, 0);
    fixture_free(fx);
}

/* ---- retries ---- */

static int get_org(fixture *fx, err_info *err) {
    cJSON *doc = NULL;
    int rc = azure_get_json(fx->client, AZURE_API_GRAPH, "/organization", &doc, err);
    cJSON_Delete(doc);
    return rc;
}

static void http_date(char *out, size_t size, int seconds_from_now) {
    time_t t = time(NULL) + seconds_from_now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void test_retry_paths(void **state) {
    (void)state;
    azure_client_options co = {.max_retry_wait_ms = 3000, .max_attempts = 4,
                               .low_speed_timeout_s = 1};
    fixture *fx = fixture_new(NULL, &co);
    fake_azure_add_response(fx->fake, "GET", "/v1.0/organization", 200, NULL, "{\"value\":[]}");
    err_info err;
    assert_int_equal(get_org(fx, &err), 0); /* token */
    char date[64];
    http_date(date, sizeof date, 1);
    struct {
        fake_azure_fault f;
        int64_t throttled;
    } cases[] = {
        {{.match = "/v1.0/organization", .kind = FAKE_FAULT_STATUS, .status = 429,
          .retry_after = "1", .times = 1}, 1},
        {{.match = "/v1.0/organization", .kind = FAKE_FAULT_STATUS, .status = 429,
          .retry_after = date, .times = 1}, 1},
        {{.match = "/v1.0/organization", .kind = FAKE_FAULT_STATUS, .status = 503, .times = 2}, 2},
        {{.match = "/v1.0/organization", .kind = FAKE_FAULT_STATUS, .status = 500, .times = 3}, 0},
        {{.match = "/v1.0/organization", .kind = FAKE_FAULT_STATUS, .status = 408, .times = 1}, 0},
        {{.match = "/v1.0/organization", .kind = FAKE_FAULT_DROP, .times = 2}, 0},
        {{.match = "/v1.0/organization", .kind = FAKE_FAULT_DELAY, .delay_ms = 2600, .times = 1}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_azure_clear_faults(fx->fake);
        fake_azure_add_fault(fx->fake, &cases[i].f);
        azure_stats before, after;
        azure_client_stats(fx->client, &before);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = get_org(fx, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (rc != 0) fail_msg("case %zu: %s", i, err.message);
        azure_client_stats(fx->client, &after);
        int times = cases[i].f.times;
        int64_t retries = after.retries[AZURE_API_GRAPH] - before.retries[AZURE_API_GRAPH];
        /* A connection dropped without an answer may be retried by libcurl
         * itself once (a reused connection found dead). */
        if (cases[i].f.kind == FAKE_FAULT_DROP ? (retries < 1 || retries > times) : retries != times)
            fail_msg("case %zu: %lld retries, expected %d", i, (long long)retries, times);
        assert_int_equal(after.throttled[AZURE_API_GRAPH] - before.throttled[AZURE_API_GRAPH],
                         cases[i].throttled);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (i == 0) assert_true(secs >= 0.95); /* Retry-After: 1 honoured */
    }
    /* Retry-After longer than the cap: the cap wins (3 s here). */
    fake_azure_clear_faults(fx->fake);
    fake_azure_fault longwait = {.match = "/v1.0/organization", .kind = FAKE_FAULT_STATUS,
                                 .status = 429, .retry_after = "600", .times = 1};
    fake_azure_add_fault(fx->fake, &longwait);
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    assert_int_equal(get_org(fx, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    assert_true(w1.tv_sec - w0.tv_sec <= 4);
    /* Exhausted: 429 forever → ERR_THROTTLED after max_attempts. */
    fake_azure_clear_faults(fx->fake);
    fake_azure_fault always = {.match = "/v1.0/organization", .kind = FAKE_FAULT_STATUS,
                               .status = 429, .retry_after = "0"};
    fake_azure_add_fault(fx->fake, &always);
    fake_azure_reset_counts(fx->fake);
    assert_int_equal(get_org(fx, &err), -1);
    assert_int_equal(err.kind, ERR_THROTTLED);
    assert_int_equal(fake_azure_count_path(fx->fake, "/v1.0/organization"), 4);
    fixture_free(fx);
}

static void test_401_refreshes_once(void **state) {
    (void)state;
    fixture *fx = fixture_new(NULL, NULL);
    fake_azure_add_response(fx->fake, "GET", "/v1.0/organization", 200, NULL, "{\"value\":[]}");
    err_info err;
    assert_int_equal(get_org(fx, &err), 0);
    fake_azure_fault f = {.match = "/v1.0/organization", .kind = FAKE_FAULT_STATUS, .status = 401,
                          .times = 1};
    fake_azure_add_fault(fx->fake, &f);
    assert_int_equal(get_org(fx, &err), 0);
    fake_azure_counts c;
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.token_requests, 2);
    /* 401 twice in a row: ERR_AUTH, no loop. */
    f.times = 0;
    fake_azure_add_fault(fx->fake, &f);
    assert_int_equal(get_org(fx, &err), -1);
    assert_int_equal(err.kind, ERR_AUTH);
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.token_requests, 3);
    fixture_free(fx);
}

/* ---- error messages ---- */

static void test_error_messages(void **state) {
    (void)state;
    fixture *fx = fixture_new(NULL, NULL);
    err_info err;
    cJSON *doc = NULL;
    fake_azure_add_response(fx->fake, "GET", "/v1.0/users", 403, NULL,
                            "{\"error\":{\"code\":\"Authorization_RequestDenied\",\"message\":"
                            "\"Insufficient privileges to complete the operation.\"}}");
    assert_int_equal(azure_get_json(fx->client, AZURE_API_GRAPH, "/users", &doc, &err), -1);
    assert_int_equal(err.kind, ERR_FORBIDDEN);
    assert_int_equal(err.http_status, 403);
    assert_non_null(strstr(err.message, "Authorization_RequestDenied"));
    assert_non_null(strstr(err.message, "users"));
    assert_non_null(strstr(err.hint, "Directory.Read.All"));

    const char *sql = "/subscriptions/sub-9/resourceGroups/rg/providers/Microsoft.Sql/servers"
                      "?api-version=2014-04-01";
    fake_azure_add_response(fx->fake, "GET", sql, 403, NULL,
                            "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no\"}}");
    assert_int_equal(azure_get_json(fx->client, AZURE_API_ARM, sql, &doc, &err), -1);
    assert_int_equal(err.kind, ERR_FORBIDDEN);
    assert_non_null(strstr(err.message, "AuthorizationFailed"));
    assert_non_null(strstr(err.message, "Microsoft.Sql/servers"));
    assert_string_equal(err.hint, "the service principal likely lacks Microsoft.Sql/servers/read: "
                                  "grant the Reader role (which includes it) on subscription "
                                  "sub-9");
    /* no provider type in the path: the role alone */
    const char *groups = "/subscriptions/sub-9/resourcegroups?api-version=2021-04-01";
    fake_azure_add_response(fx->fake, "GET", groups, 403, NULL,
                            "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no\"}}");
    assert_int_equal(azure_get_json(fx->client, AZURE_API_ARM, groups, &doc, &err), -1);
    assert_string_equal(err.hint, "grant the Reader role on subscription sub-9");

    fake_azure_add_response(fx->fake, "GET", "/subscriptions/sub-404?api-version=2020-01-01", 404,
                            NULL,
                            "{\"error\":{\"code\":\"SubscriptionNotFound\",\"message\":\"x\"}}");
    assert_int_equal(azure_get_json(fx->client, AZURE_API_ARM,
                                    "/subscriptions/sub-404?api-version=2020-01-01", &doc, &err),
                     -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "subscription sub-404 was not found"));
    assert_non_null(strstr(err.hint, "subscriptionId"));
    assert_no_secret(&err);

    /* A list under a subscription that does not exist is an error, not an
     * empty list (other 404s are). */
    const char *rgs = "/subscriptions/sub-404/resourcegroups?api-version=2020-01-01";
    fake_azure_add_response(fx->fake, "GET", rgs, 404, NULL,
                            "{\"error\":{\"code\":\"SubscriptionNotFound\",\"message\":\"x\"}}");
    collect none = {0};
    assert_int_equal(azure_list(fx->client, AZURE_API_ARM, rgs, count_item, &none, &err), -1);
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "subscription sub-404 was not found"));

    /* Nobody listening: a network error with libcurl's detail. */
    azure_endpoints dead = fx->ep;
    snprintf(dead.graph, sizeof dead.graph, "http://127.0.0.1:1");
    azure_credentials cr = {"tenant-1", "client-1", SECRET};
    azure_client_options o = {.max_attempts = 2, .max_retry_wait_ms = 10};
    azure_client *dc = NULL;
    assert_int_equal(azure_client_new(&dead, &cr, &o, &dc, &err), 0);
    assert_int_equal(azure_get_json(dc, AZURE_API_GRAPH, "/organization", &doc, &err), -1);
    assert_int_equal(err.kind, ERR_NETWORK);
    assert_non_null(strstr(err.message, "after 2 attempts"));
    assert_non_null(strstr(err.message, "127.0.0.1"));
    azure_client_free(dc);
    fixture_free(fx);
}

/* ---- concurrency ---- */

static int many_item(void *arg, size_t index, const cJSON *item, err_info *err) {
    (void)item;
    (void)err;
    collect *c = arg;
    /* one at a time, on whichever thread hands the pages over */
    if (atomic_fetch_add(&c->inside, 1) != 0) c->concurrent = true;
    usleep(200);
    c->count++;
    c->per_index[index]++;
    atomic_fetch_sub(&c->inside, 1);
    return 0;
}

/* A Resource Manager batch listed subscription by subscription is sent
 * round-robin over the subscriptions (each has its own read budget): with
 * one request in flight the fake sees a, b, c, a, b, c, ... */
static void test_arm_batch_interleaved(void **state) {
    (void)state;
    azure_client_options co = {.max_concurrency_per_api = 1, .max_retry_wait_ms = 40};
    fixture *fx = fixture_new(NULL, &co);
    const char *subs[] = {"a", "b", "c"};
    char *paths[9];
    for (int i = 0; i < 9; i++) {
        char p[128];
        snprintf(p, sizeof p, "/subscriptions/%s/resourceGroups/rg%d?api-version=1", subs[i / 3],
                 i % 3);
        fake_azure_add_response(fx->fake, "GET", p, 200, NULL, "{\"id\":\"x\"}");
        paths[i] = strdup(p);
    }
    collect col = {.thread = pthread_self()};
    err_info err;
    assert_int_equal(azure_client_authenticate(fx->client, AZURE_API_ARM, &err), 0);
    fake_azure_reset_counts(fx->fake);
    assert_int_equal(azure_get_many(fx->client, AZURE_API_ARM, (const char *const *)paths, 9,
                                    many_item, &col, NULL, &err),
                     0);
    assert_int_equal(col.count, 9);
    for (int i = 0; i < 9; i++) assert_int_equal(col.per_index[i], 1); /* indices unchanged */
    /* arrival order: request k of the batch is for subscription subs[k % 3] */
    for (size_t k = 0; k < 9; k++) {
        char seen[256], want[64];
        assert_true(fake_azure_seen(fx->fake, k, seen, sizeof seen));
        snprintf(want, sizeof want, "/subscriptions/%s/", subs[k % 3]);
        assert_non_null(strstr(seen, want));
    }
    for (int i = 0; i < 9; i++) free(paths[i]);
    fixture_free(fx);
}

typedef struct canceller {
    azure_client *client;
    int after_ms;
} canceller;

static void *cancel_later(void *arg) {
    canceller *c = arg;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)c->after_ms * 1000000L};
    nanosleep(&ts, NULL);
    azure_client_cancel(c->client);
    return NULL;
}

/* Items of the event-loop test: "<list>-<n>" in order per list, every
 * callback on the calling thread. */
typedef struct loop_seen {
    pthread_t thread;
    bool other_thread;
    int next[12];   /* next item expected per list */
    bool out_of_order;
    int count;
} loop_seen;

static int loop_item(void *arg, size_t index, const cJSON *item, err_info *err) {
    (void)err;
    loop_seen *ls = arg;
    if (!pthread_equal(pthread_self(), ls->thread)) ls->other_thread = true;
    const char *id = json_get_string(item, "id");
    char want[32];
    snprintf(want, sizeof want, "%zu-%d", index, ls->next[index]);
    if (!id || strcmp(id, want) != 0) ls->out_of_order = true;
    ls->next[index]++;
    ls->count++;
    return 0;
}

/* Resource Manager lists read by the client's event loop (one thread, many
 * requests in flight): two pages per list over three subscriptions, with a
 * 429 (Retry-After), a 500, a 401 (token refresh), a 404 first page (an
 * empty list), a 403 (that list's error) and a slow answer; a next link
 * that repeats; then a cancellation while every list waits on the server. */
static void test_many_event_loop(void **state) {
    (void)state;
    azure_client_options co = {.max_concurrency_per_api = 3, .max_retry_wait_ms = 40,
                               .max_attempts = 4};
    fixture *fx = fixture_new(NULL, &co);
    char *paths[12];
    for (int i = 0; i < 12; i++) {
        char p[128], next[160], body[512];
        snprintf(p, sizeof p, "/subscriptions/s%d/providers/X.Y/things?api-version=1&l=%d", i % 3,
                 i);
        snprintf(next, sizeof next, "/subscriptions/s%d/providers/X.Y/things?api-version=1&l=%d"
                 "&page=2", i % 3, i);
        snprintf(body, sizeof body,
                 "{\"value\":[{\"id\":\"%d-0\"},{\"id\":\"%d-1\"}],\"nextLink\":\"%s%s\"}", i, i,
                 fake_azure_url(fx->fake), next);
        if (i == 7)
            fake_azure_add_response(fx->fake, "GET", p, 403, NULL,
                                    "{\"error\":{\"code\":\"AuthorizationFailed\","
                                    "\"message\":\"no\"}}");
        else if (i != 5)
            fake_azure_add_response(fx->fake, "GET", p, 200, NULL, body);
        snprintf(body, sizeof body, "{\"value\":[{\"id\":\"%d-2\"}]}", i);
        fake_azure_add_response(fx->fake, "GET", next, 200, NULL, body);
        paths[i] = strdup(p);
    }
    fake_azure_fault faults[] = {
        {.match = "&l=1&page=2", .kind = FAKE_FAULT_STATUS, .status = 429, .retry_after = "0",
         .times = 2},
        {.match = "&l=2", .kind = FAKE_FAULT_STATUS, .status = 500, .times = 1},
        {.match = "&l=3&page=2", .kind = FAKE_FAULT_STATUS, .status = 401, .times = 1},
        {.match = "&l=4", .kind = FAKE_FAULT_DELAY, .delay_ms = 300, .times = 1},
    };
    for (size_t f = 0; f < sizeof faults / sizeof *faults; f++)
        fake_azure_add_fault(fx->fake, &faults[f]);
    err_info err, errs[12];
    assert_int_equal(azure_client_authenticate(fx->client, AZURE_API_ARM, &err), 0);
    azure_stats before, after;
    azure_client_stats(fx->client, &before);
    loop_seen ls = {.thread = pthread_self()};
    assert_int_equal(azure_list_many(fx->client, AZURE_API_ARM, (const char *const *)paths, 12,
                                     loop_item, &ls, errs, &err),
                     -1);
    assert_int_equal(err.kind, ERR_FORBIDDEN);
    assert_false(ls.other_thread);
    assert_false(ls.out_of_order);
    assert_int_equal(ls.count, 10 * 3);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(errs[i].kind, i == 7 ? ERR_FORBIDDEN : ERR_NONE);
        assert_int_equal(ls.next[i], i == 5 || i == 7 ? 0 : 3);
    }
    azure_client_stats(fx->client, &after);
    /* 2 x 429, 1 x 500, 1 x 401 */
    assert_int_equal(after.retries[AZURE_API_ARM] - before.retries[AZURE_API_ARM], 4);
    /* list 5 (no answer recorded: 404) was taken as empty */
    assert_int_equal(after.absent_lists[AZURE_API_ARM] - before.absent_lists[AZURE_API_ARM], 1);
    fake_azure_counts c;
    fake_azure_get_counts(fx->fake, &c);
    assert_true(c.max_in_flight <= 3);

    /* A next link that repeats one the list already followed ends it with
     * an error; as in azure_list, the page carrying it is not used. */
    char loop_path[96], loop_body[320];
    snprintf(loop_path, sizeof loop_path, "/subscriptions/s0/providers/X.Y/loops?api-version=1");
    snprintf(loop_body, sizeof loop_body, "{\"value\":[{\"id\":\"0-0\"}],\"nextLink\":\"%s%s\"}",
             fake_azure_url(fx->fake), loop_path);
    fake_azure_add_response(fx->fake, "GET", loop_path, 200, NULL, loop_body);
    const char *looping[1] = {loop_path};
    memset(&ls, 0, sizeof ls);
    ls.thread = pthread_self();
    assert_int_equal(azure_list_many(fx->client, AZURE_API_ARM, looping, 1, loop_item, &ls, errs,
                                     &err),
                     -1);
    assert_int_equal(err.kind, ERR_UPSTREAM);
    assert_non_null(strstr(err.message, "already followed"));
    assert_int_equal(errs[0].kind, ERR_UPSTREAM);
    assert_int_equal(ls.count, 1);

    /* Cancelled while every list waits on the server: each list ends with
     * ERR_CANCELLED, soon. */
    fake_azure_fault slow = {.match = "/providers/X.Y/", .kind = FAKE_FAULT_DELAY,
                             .delay_ms = 8000, .times = 0};
    fake_azure_add_fault(fx->fake, &slow);
    canceller cl = {fx->client, 200};
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, &cl);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(&ls, 0, sizeof ls);
    ls.thread = pthread_self();
    assert_int_equal(azure_list_many(fx->client, AZURE_API_ARM, (const char *const *)paths, 12,
                                     loop_item, &ls, errs, &err),
                     -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(th, NULL);
    assert_int_equal(err.kind, ERR_CANCELLED);
    for (int i = 0; i < 12; i++) assert_int_equal(errs[i].kind, ERR_CANCELLED);
    assert_int_equal(ls.count, 0);
    assert_true(t1.tv_sec - t0.tv_sec < 4);
    for (int i = 0; i < 12; i++) free(paths[i]);
    fixture_free(fx);
}

static void test_concurrency_bound(void **state) {
    (void)state;
    fake_azure_options fo = {.latency_ms = 60};
    /* one GET per list: the bound is about plain requests */
    azure_client_options co = {.max_concurrency_per_api = 4, .max_retry_wait_ms = 40,
                               .graph_batch_max = 1};
    fixture *fx = fixture_new(&fo, &co);
    char *paths[40];
    for (int i = 0; i < 40; i++) {
        char p[64], next[128], body[256];
        snprintf(p, sizeof p, "/v1.0/groups/g%d/members", i);
        snprintf(next, sizeof next, "/v1.0/groups/g%d/members?$skiptoken=1", i);
        snprintf(body, sizeof body,
                 "{\"value\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"@odata.nextLink\":"
                 "\"https://graph.microsoft.com%s\"}",
                 next);
        fake_azure_add_response(fx->fake, "GET", p, 200, NULL, body);
        fake_azure_add_response(fx->fake, "GET", next, 200, NULL, "{\"value\":[{\"id\":\"c\"}]}");
        paths[i] = strdup(p + 5);
    }
    collect col = {.thread = pthread_self()};
    err_info err;
    assert_int_equal(azure_client_authenticate(fx->client, AZURE_API_GRAPH, &err), 0);
    assert_int_equal(azure_list_many(fx->client, AZURE_API_GRAPH, (const char *const *)paths, 40,
                                     many_item, &col, NULL, &err),
                     0);
    assert_int_equal(col.count, 120);
    assert_false(col.concurrent);
    for (int i = 0; i < 40; i++) assert_int_equal(col.per_index[i], 3);
    fake_azure_counts c;
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.max_in_flight, 4);

    /* get_many with one failing path: the others still complete. */
    fake_azure_add_response(fx->fake, "GET", "/v1.0/groups/g0", 200, NULL, "{\"id\":\"g0\"}");
    fake_azure_add_response(fx->fake, "GET", "/v1.0/groups/g1", 403, NULL,
                            "{\"error\":{\"code\":\"Forbidden\",\"message\":\"no\"}}");
    const char *one[2] = {"/groups/g0", "/groups/g1"};
    err_info errs[2];
    memset(&col, 0, sizeof col);
    col.thread = pthread_self();
    assert_int_equal(azure_get_many(fx->client, AZURE_API_GRAPH, one, 2, many_item, &col, errs, &err),
                     -1);
    assert_int_equal(col.per_index[0], 1);
    assert_int_equal(errs[0].kind, ERR_NONE);
    assert_int_equal(errs[1].kind, ERR_FORBIDDEN);
    assert_int_equal(err.kind, ERR_FORBIDDEN);
    for (int i = 0; i < 40; i++) free(paths[i]);
    fixture_free(fx);
}

/* Items of each list in the order the list's pages hold them. */
typedef struct ordered {
    collect col;
    char seen[45][8]; /* item ids of list i, one letter each */
    int fail_index;   /* the callback fails on this list's first item (-1: never) */
} ordered;

static int ordered_item(void *arg, size_t index, const cJSON *item, err_info *err) {
    ordered *o = arg;
    if ((int)index == o->fail_index) return err_set(err, ERR_INVALID, "list %zu refused", index);
    const char *id = json_get_string(item, "id");
    size_t n = strlen(o->seen[index]);
    if (id && n + 1 < sizeof o->seen[index]) o->seen[index][n] = id[0];
    return many_item(&o->col, index, item, err);
}

/* Graph lists in list_many: first pages 20 to a $batch request; a list
 * with a next link goes on with GETs, in order; a throttled inner answer
 * is read again on its own (with Retry-After), a final one (404: an empty
 * list; 403: the list's error) is not; a failing batch request falls back
 * to one GET per list. */
static void test_graph_batch(void **state) {
    (void)state;
    azure_client_options co = {.max_concurrency_per_api = 3, .max_retry_wait_ms = 40,
                               .max_attempts = 2};
    fixture *fx = fixture_new(NULL, &co);
    char *paths[45];
    for (int i = 0; i < 45; i++) {
        char p[64], next[128], body[256];
        snprintf(p, sizeof p, "/v1.0/groups/g%d/members", i);
        snprintf(next, sizeof next, "/v1.0/groups/g%d/members?$skiptoken=1", i);
        if (i == 9) {
            fake_azure_add_response(fx->fake, "GET", p, 404, NULL,
                                    "{\"error\":{\"code\":\"Request_ResourceNotFound\"}}");
        } else if (i % 5 == 0) {
            snprintf(body, sizeof body,
                     "{\"value\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"@odata.nextLink\":"
                     "\"https://graph.microsoft.com%s\"}",
                     next);
            fake_azure_add_response(fx->fake, "GET", p, 200, NULL, body);
            fake_azure_add_response(fx->fake, "GET", next, 200, NULL,
                                    "{\"value\":[{\"id\":\"c\"}]}");
        } else {
            fake_azure_add_response(fx->fake, "GET", p, 200, NULL,
                                    "{\"value\":[{\"id\":\"a\"},{\"id\":\"b\"}]}");
        }
        paths[i] = strdup(p + 5);
    }
    /* g7's first answer is a 429 (inside the batch) */
    fake_azure_fault thr = {.match = "/v1.0/groups/g7/members", .method = "GET",
                            .kind = FAKE_FAULT_STATUS, .status = 429, .retry_after = "0",
                            .times = 1};
    fake_azure_add_fault(fx->fake, &thr);
    err_info err, errs[45];
    assert_int_equal(azure_client_authenticate(fx->client, AZURE_API_GRAPH, &err), 0);
    fake_azure_reset_counts(fx->fake);
    ordered *o = calloc(1, sizeof *o);
    assert_non_null(o);
    o->fail_index = -1;
    assert_int_equal(azure_list_many(fx->client, AZURE_API_GRAPH, (const char *const *)paths, 45,
                                     ordered_item, o, errs, &err),
                     0);
    assert_false(o->col.concurrent);
    for (int i = 0; i < 45; i++) {
        const char *want = i == 9 ? "" : i % 5 == 0 ? "abc" : "ab";
        assert_string_equal(o->seen[i], want);
        assert_int_equal(errs[i].kind, ERR_NONE);
    }
    fake_azure_counts c;
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.batch_requests, 3); /* 20 + 20 + 5 */
    assert_int_equal(c.batched, 45);
    /* 3 batches, 9 next pages (g0, g5, ... g40), throttled g7 again on its
     * own; g9's 404 in the batch is final (an empty list) */
    assert_int_equal(c.requests, 3 + 9 + 1);
    assert_int_equal(fake_azure_count_path(fx->fake, "/v1.0/groups/g7/members"), 2);
    assert_int_equal(fake_azure_count_path(fx->fake, "/v1.0/groups/g9/members"), 1);
    assert_int_equal(fake_azure_count_path(fx->fake, "/v1.0/groups/g1/members"), 1);

    /* The batch endpoint fails: every list is read with its own GETs. */
    fake_azure_fault down = {.match = "/v1.0/$batch", .kind = FAKE_FAULT_STATUS, .status = 500};
    fake_azure_add_fault(fx->fake, &down);
    fake_azure_reset_counts(fx->fake);
    memset(o, 0, sizeof *o);
    o->fail_index = -1;
    assert_int_equal(azure_list_many(fx->client, AZURE_API_GRAPH, (const char *const *)paths, 45,
                                     ordered_item, o, errs, &err),
                     0);
    for (int i = 0; i < 45; i++)
        assert_string_equal(o->seen[i], i == 9 ? "" : i % 5 == 0 ? "abc" : "ab");
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.batched, 0);
    assert_int_equal(fake_azure_count_path(fx->fake, "/v1.0/groups/g1/members"), 1);

    /* A 403 inside the batch is that list's error, not read again. */
    fake_azure_clear_faults(fx->fake);
    fake_azure_fault denied = {.match = "/v1.0/groups/g11/members", .method = "GET",
                               .kind = FAKE_FAULT_STATUS, .status = 403, .times = 1};
    fake_azure_add_fault(fx->fake, &denied);
    fake_azure_reset_counts(fx->fake);
    memset(o, 0, sizeof *o);
    o->fail_index = -1;
    assert_int_equal(azure_list_many(fx->client, AZURE_API_GRAPH, (const char *const *)paths, 45,
                                     ordered_item, o, errs, &err),
                     -1);
    assert_int_equal(errs[11].kind, ERR_FORBIDDEN);
    assert_int_equal(err.kind, ERR_FORBIDDEN);
    assert_int_equal(fake_azure_count_path(fx->fake, "/v1.0/groups/g11/members"), 1);
    assert_string_equal(o->seen[12], "ab");
    assert_int_equal(errs[12].kind, ERR_NONE);

    /* A callback failure in one list of a batch ends that list only. */
    fake_azure_clear_faults(fx->fake);
    memset(o, 0, sizeof *o);
    o->fail_index = 5;
    assert_int_equal(azure_list_many(fx->client, AZURE_API_GRAPH, (const char *const *)paths, 45,
                                     ordered_item, o, errs, &err),
                     -1);
    assert_int_equal(err.kind, ERR_INVALID);
    assert_int_equal(errs[5].kind, ERR_INVALID);
    assert_string_equal(o->seen[5], "");
    for (int i = 0; i < 45; i++) {
        if (i == 5) continue;
        assert_int_equal(errs[i].kind, ERR_NONE);
        assert_string_equal(o->seen[i], i == 9 ? "" : i % 5 == 0 ? "abc" : "ab");
    }
    free(o);
    for (int i = 0; i < 45; i++) free(paths[i]);
    fixture_free(fx);
}

/* ---- memory over many pages ---- */

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

typedef struct rss_probe {
    int count;
    long rss_at_500;
} rss_probe;

static int rss_item(void *arg, const cJSON *item, err_info *err) {
    (void)item;
    (void)err;
    rss_probe *p = arg;
    if (++p->count == 500) p->rss_at_500 = rss_kb();
    return 0;
}

/* A list whose first page came in a Graph batch and whose next page links
 * to itself: the repeated link is caught at once, as azure_list catches it
 * (the page with the repeated link is not used), not after that page was
 * fetched and handed to the callback twice. */
static void test_graph_batch_repeated_link(void **state) {
    (void)state;
    fixture *fx = fixture_new(NULL, NULL);
    fake_azure_add_response(fx->fake, "GET", "/v1.0/groups/g0/members", 200, NULL,
                            "{\"value\":[{\"id\":\"a\"}],\"@odata.nextLink\":"
                            "\"https://graph.microsoft.com/v1.0/groups/g0/members?$skiptoken=1\"}");
    fake_azure_add_response(fx->fake, "GET", "/v1.0/groups/g0/members?$skiptoken=1", 200, NULL,
                            "{\"value\":[{\"id\":\"c\"}],\"@odata.nextLink\":"
                            "\"https://graph.microsoft.com/v1.0/groups/g0/members?$skiptoken=1\"}");
    fake_azure_add_response(fx->fake, "GET", "/v1.0/groups/g1/members", 200, NULL,
                            "{\"value\":[{\"id\":\"a\"},{\"id\":\"b\"}]}");
    const char *paths[] = {"/groups/g0/members", "/groups/g1/members"};
    ordered *o = calloc(1, sizeof *o);
    assert_non_null(o);
    o->fail_index = -1;
    err_info err, errs[2];
    assert_int_equal(azure_list_many(fx->client, AZURE_API_GRAPH, paths, 2, ordered_item, o, errs,
                                     &err),
                     -1);
    fake_azure_counts c;
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.batch_requests, 1);
    assert_int_equal(errs[0].kind, ERR_UPSTREAM);
    assert_non_null(strstr(errs[0].message, "already followed"));
    assert_string_equal(o->seen[0], "a");
    assert_int_equal(errs[1].kind, ERR_NONE);
    assert_string_equal(o->seen[1], "ab");
    assert_int_equal(fake_azure_count_path(fx->fake, "/v1.0/groups/g0/members?$skiptoken=1"), 1);
    free(o);
    fixture_free(fx);
}

static void test_ten_thousand_pages(void **state) {
    (void)state;
    fixture *fx = fixture_new(NULL, NULL);
    fake_azure_tenant t = {.users = 10000};
    assert_int_equal(fake_azure_generate(fx->fake, &t), 0);
    rss_probe p = {0};
    err_info err;
    /* $top=1: one user per page, 10,000 pages. */
    assert_int_equal(azure_list(fx->client, AZURE_API_GRAPH, "/users?$top=1", rss_item, &p, &err), 0);
    long end = rss_kb();
    assert_int_equal(p.count, 10000);
    fake_azure_counts c;
    fake_azure_get_counts(fx->fake, &c);
    assert_int_equal(c.requests, 10001);
    printf("# RSS after 500 pages: %ld kB, after 10000 pages: %ld kB\n", p.rss_at_500, end);
#ifndef AI_ASAN
    /* Only the link guard grows (8 bytes a page): allow 2 MB of noise. */
    assert_true(end - p.rss_at_500 < 2048);
#endif
    fixture_free(fx);
}

/* ---- secrets ---- */

static void test_no_secret_in_logs(void **state) {
    (void)state;
    char path[] = "/tmp/azure-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    log_set_fd(fd);
    log_set_level(LOG_DEBUG);
    fixture *fx = fixture_new2(NULL, NULL, true);
    err_info err;
    /* Failures that log and return errors of every kind. */
    fake_azure_fault f = {.match = "/v1.0/users", .kind = FAKE_FAULT_STATUS, .status = 500,
                          .times = 2};
    fake_azure_add_fault(fx->fake, &f);
    fake_azure_add_response(fx->fake, "GET", "/v1.0/users", 403, NULL,
                            "{\"error\":{\"code\":\"Forbidden\",\"message\":\"" SECRET "\"}}");
    collect col = {0};
    assert_int_equal(azure_list(fx->client, AZURE_API_GRAPH, "/users", count_item, &col, &err), -1);
    assert_no_secret(&err);
    assert_int_equal(azure_list(fx->client, AZURE_API_GRAPH, "/missing", count_item, &col, &err), 0);
    fake_azure_fault bad = {.match = "/oauth2/", .kind = FAKE_FAULT_STATUS, .status = 400,
                            .body = "{\"error\":\"invalid_client\",\"error_description\":\"bad "
                                    SECRET "\"}"};
    fake_azure_add_fault(fx->fake, &bad);
    assert_int_equal(azure_client_authenticate(fx->client, AZURE_API_ARM, &err), -1);
    assert_no_secret(&err);
    fixture_free(fx);
    log_set_fd(-1);
    log_set_level(LOG_INFO);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[4096];
    int lines = 0;
    while (fgets(line, sizeof line, fp)) {
        lines++;
        assert_null(strstr(line, SECRET));
        assert_null(strstr(line, "fake-access-token"));
    }
    fclose(fp);
    close(fd);
    unlink(path);
    assert_true(lines >= 1); /* the 404 warning at least */
}

/* Lists answered 404 are counted; the first AZURE_ABSENT_WARNINGS (5) of a
 * client are warnings, the rest debug lines only. */
static void test_absent_lists_logged_once(void **state) {
    (void)state;
    char path[] = "/tmp/azure-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    log_set_fd(fd);
    log_set_level(LOG_INFO);
    fixture *fx = fixture_new(NULL, NULL);
    err_info err;
    collect col = {0};
    for (int i = 0; i < 8; i++) {
        char p[160];
        snprintf(p, sizeof p,
                 "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/gone-%d/"
                 "databases?api-version=2021-11-01",
                 i);
        assert_int_equal(azure_list(fx->client, AZURE_API_ARM, p, count_item, &col, &err), 0);
    }
    assert_int_equal(col.count, 0);
    azure_stats st;
    azure_client_stats(fx->client, &st);
    assert_int_equal(st.absent_lists[AZURE_API_ARM], 8);
    assert_int_equal(st.absent_lists[AZURE_API_GRAPH], 0);
    fixture_free(fx);
    log_set_fd(-1);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[4096];
    int warnings = 0, closing = 0;
    while (fgets(line, sizeof line, fp)) {
        if (!strstr(line, "treating the list as empty"))
            continue;
        warnings++;
        assert_non_null(strstr(line, "\"level\":\"warn"));
        closing += strstr(line, "further ones") != NULL;
    }
    fclose(fp);
    close(fd);
    unlink(path);
    assert_int_equal(warnings, 5);
    assert_int_equal(closing, 1);
}

static void test_cancel(void **state) {
    (void)state;
    fixture *fx = fixture_new(NULL, NULL);
    fake_azure_add_response(fx->fake, "GET", "/v1.0/organization", 200, NULL, "{\"value\":[]}");
    err_info err;
    assert_int_equal(get_org(fx, &err), 0);
    fake_azure_fault slow = {.match = "/v1.0/organization", .kind = FAKE_FAULT_DELAY,
                             .delay_ms = 8000, .times = 1};
    fake_azure_add_fault(fx->fake, &slow);
    canceller c = {fx->client, 200};
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, &c);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(get_org(fx, &err), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(th, NULL);
    assert_int_equal(err.kind, ERR_CANCELLED);
    assert_true(t1.tv_sec - t0.tv_sec < 4);
    /* Later calls give up at once. */
    assert_int_equal(get_org(fx, &err), -1);
    assert_int_equal(err.kind, ERR_CANCELLED);
    fixture_free(fx);
}

static void test_metrics(void **state) {
    (void)state;
    fixture *fx = fixture_new(NULL, NULL);
    fake_azure_add_response(fx->fake, "GET", "/v1.0/organization", 200, NULL, "{\"value\":[]}");
    fake_azure_fault f = {.match = "/v1.0/organization", .kind = FAKE_FAULT_STATUS, .status = 429,
                          .retry_after = "0", .times = 1};
    fake_azure_add_fault(fx->fake, &f);
    fake_azure_fault drop = {.match = "/v1.0/organization", .kind = FAKE_FAULT_DROP, .times = 1};
    fake_azure_add_fault(fx->fake, &drop);
    err_info err;
    assert_int_equal(get_org(fx, &err), 0);
    sbuf out = SBUF_INIT;
    metrics_render(&out);
    /* a connection closed without an answer counts as status "error" */
    assert_non_null(strstr(sbuf_str(&out), "azure_requests_total{api=\"graph\",status=\"error\"}"));
    assert_non_null(strstr(sbuf_str(&out), "azure_requests_total{api=\"graph\",status=\"200\"}"));
    assert_non_null(strstr(sbuf_str(&out), "azure_requests_total{api=\"graph\",status=\"429\"}"));
    assert_non_null(strstr(sbuf_str(&out), "azure_throttled_total{api=\"graph\"}"));
    assert_null(strstr(sbuf_str(&out), "fake-access-token"));
    sbuf_free(&out);
    fixture_free(fx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_and_get),
        cmocka_unit_test(test_token_refresh_ahead),
        cmocka_unit_test(test_token_single_flight),
        cmocka_unit_test(test_token_errors),
        cmocka_unit_test(test_paging),
        cmocka_unit_test(test_retry_paths),
        cmocka_unit_test(test_401_refreshes_once),
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_concurrency_bound),
        cmocka_unit_test(test_many_event_loop),
        cmocka_unit_test(test_graph_batch),
        cmocka_unit_test(test_graph_batch_repeated_link),
        cmocka_unit_test(test_ten_thousand_pages),
        cmocka_unit_test(test_no_secret_in_logs),
        cmocka_unit_test(test_absent_lists_logged_once),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_arm_batch_interleaved),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
