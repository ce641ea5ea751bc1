/* No secret leaks: after a full run (one job that succeeds, one whose
 * credentials Azure rejects, plus bad requests that carry the secret in
 * their body) the client secret, the webhook secret, the JupiterOne API
 * key, the config encryption key and the access tokens appear nowhere in
 * serve's logs (LOG_LEVEL=debug), in any HTTP answer (/metrics included),
 * or in a pg_dump of the database.  The test first proves that each
 * secret was really in play (sent by serve / used by the fakes). */
#include "svc_fixture.h"

#include "common/json.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define BAD_DIRECTORY "11111111-1111-4111-8111-111111111111"

static int setup(void **state)
{
    fake_azure_tenant t = {.users = 4, .groups = 2, .members = 3, .service_principals = 2,
                           .subscriptions = 1, .resource_groups = 1, .resources = 1};
    return svc_fixture_open(state, "secrets", &t);
}

/* Newest pg_dump of the PostgreSQL server binaries (same major as the
 * server scripts/pg.sh starts), else the one on PATH. */
static void find_pg_dump(char *out, size_t size)
{
    snprintf(out, size, "/usr/bin/pg_dump");
    DIR *d = opendir("/usr/lib/postgresql");
    long best = -1;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        long v = strtol(e->d_name, NULL, 10);
        char p[512];
        snprintf(p, sizeof p, "/usr/lib/postgresql/%s/bin/pg_dump", e->d_name);
        if (v > best && access(p, X_OK) == 0) {
            best = v;
            snprintf(out, size, "%s", p);
        }
    }
    if (d)
        closedir(d);
}

typedef struct place {
    const char *name;
    const char *text;
    size_t len;
} place;

static void test_no_secret_anywhere(void **state)
{
    svc_fixture *f = *state;
    /* Azure rejects the credentials of the second instance's tenant. */
    fake_azure_fault deny = {.match = BAD_DIRECTORY "/oauth2", .kind = FAKE_FAULT_STATUS,
                             .status = 401,
                             .body = "{\"error\":\"invalid_client\",\"error_description\":"
                                     "\"AADSTS7000215: Invalid client secret provided.\"}"};
    assert_int_equal(fake_azure_add_fault(f->azure, &deny), 0);
    proc_serve *s = svc_serve(f, 0, &(svc_serve_options){.workers = 2, .log_level = "debug"});
    assert_non_null(s);
    const char *base = proc_serve_url(s);

    char *good = svc_event_body(f, "evt-sec-1", "inst-sec-1", NULL, true);
    char *denied = svc_event_body(f, "evt-sec-2", "inst-sec-2", BAD_DIRECTORY, true);
    char job1[64], job2[64], again[64];
    assert_int_equal(svc_post_event(f, s, good, job1), 202);
    assert_int_equal(svc_post_event(f, s, denied, job2), 202);
    assert_int_equal(svc_post_event(f, s, good, again), 200);
    assert_string_equal(again, job1);

    /* Rejected requests that carry the secret. */
    proc_http_answer a = {0};
    assert_int_equal(proc_http_post_event(f->http, base, "wrong-secret-0123456789", 0, good, 30000, &a), 0);
    assert_int_equal(a.status, 401);
    sbuf_printf(&f->answers, "== bad signature %ld\n%s%s\n", a.status, a.headers, a.body);
    assert_int_equal(proc_http_post_event(f->http, base, f->webhook_secret, -3600, good, 30000, &a), 0);
    assert_int_equal(a.status, 401);
    sbuf_printf(&f->answers, "== stale %ld\n%s%s\n", a.status, a.headers, a.body);
    /* clientSecret present, instance id ill-typed: 400 naming the field */
    cJSON *bad = cJSON_Parse(good);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(bad, "integrationInstance"), "id",
                              cJSON_CreateNumber(7));
    cJSON_ReplaceItemInObject(bad, "eventId", cJSON_CreateString("evt-sec-bad"));
    char *badtxt = cJSON_PrintUnformatted(bad);
    cJSON_Delete(bad);
    assert_int_equal(svc_post_event(f, s, badtxt, NULL), 400);
    /* not JSON at all, with the secret inside */
    char junk[256];
    snprintf(junk, sizeof junk, "{\"clientSecret\":\"%s\" this is not json", f->client_secret);
    assert_int_equal(svc_post_event(f, s, junk, NULL), 400);
    proc_http_answer_free(&a);

    cJSON *d1 = svc_wait_job(f, s, job1, NULL, 300000);
    cJSON *d2 = svc_wait_job(f, s, job2, NULL, 300000);
    if (!d1 || !d2)
        svc_print_log(f, 0);
    assert_non_null(d1);
    assert_non_null(d2);
    assert_string_equal(json_get_string(d1, "status"), "succeeded");
    assert_string_equal(json_get_string(d2, "status"), "failed");
    cJSON_Delete(d1);
    cJSON_Delete(d2);

    /* Every other route once. */
    char path[256];
    assert_int_equal(svc_get(f, s, "/v1/jobs?limit=100", NULL), 200);
    assert_int_equal(svc_get(f, s, "/v1/jobs?integrationInstanceId=inst-sec-2&status=failed", NULL), 200);
    assert_int_equal(svc_get(f, s, "/v1/jobs/00000000-0000-4000-8000-00000000abcd", NULL), 404);
    assert_int_equal(svc_get(f, s, "/healthz", NULL), 200);
    assert_int_equal(svc_get(f, s, "/readyz", NULL), 200);
    assert_int_equal(svc_get(f, s, "/metrics", NULL), 200);
    snprintf(path, sizeof path, "%s/v1/jobs/%s/cancel", base, job1);
    assert_int_equal(proc_http_request(f->http, "POST", path, NULL, NULL, 0, 30000, &a), 0);
    assert_int_equal(a.status, 409);
    sbuf_printf(&f->answers, "== cancel %ld\n%s%s\n", a.status, a.headers, a.body);
    proc_http_answer_free(&a);

    int code = -1;
    assert_int_equal(proc_serve_term(s, 40000, &code, NULL), 1);
    assert_int_equal(code, 0);

    /* pg_dump of the whole database (schema and data). */
    char dump_path[1200], pg_dump[512], dbarg[1100], filearg[1300];
    snprintf(dump_path, sizeof dump_path, "%s/db.sql", f->dir);
    unlink(dump_path);
    find_pg_dump(pg_dump, sizeof pg_dump);
    snprintf(dbarg, sizeof dbarg, "--dbname=%s", f->db_url);
    snprintf(filearg, sizeof filearg, "--file=%s", dump_path);
    const char *argv[] = {pg_dump, "--no-owner", dbarg, filearg, NULL};
    proc_child *pd = proc_child_start(argv, NULL, NULL);
    assert_non_null(pd);
    int ws = -1;
    assert_int_equal(proc_child_wait(pd, 120000, &ws), 1);
    proc_child_free(pd);
    assert_int_equal(ws, 0);

    size_t log_len = 0, dump_len = 0;
    char *log = proc_read_file(f->serve_logs[0], &log_len);
    char *dump = proc_read_file(dump_path, &dump_len);
    assert_non_null(log);
    assert_non_null(dump);

    /* The secrets were really in play, and the haystacks hold the data. */
    char form[4096];
    fake_azure_last_token_form(f->azure, form, sizeof form);
    assert_non_null(strstr(form, f->client_secret));  /* serve sent it to Azure */
    fake_j1_counts jc;
    fake_j1_counts_get(f->j1, &jc);
    assert_int_equal(jc.finalizes, 1);                  /* the API key was accepted */
    assert_int_equal(jc.bad_requests, 0);
    assert_true(proc_count(dump, dump_len, "inst-sec-1") > 0);
    assert_true(proc_count(dump, dump_len, "evt-sec-2") > 0);
    assert_true(proc_count(log, log_len, job1) > 0);
    assert_true(proc_count(f->answers.data, f->answers.len, "jobs_finished_total") > 0);

    const char *secrets[] = {f->client_secret, f->webhook_secret, f->j1_api_key,
                             f->encryption_key, "fake-access-token"};
    const char *names[] = {"client secret", "webhook secret", "J1 API key",
                           "config encryption key", "Azure access token"};
    place places[] = {{"serve log", log, log_len},
                      {"HTTP answers", f->answers.data, f->answers.len},
                      {"pg_dump", dump, dump_len}};
    size_t leaks = 0;
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        for (size_t p = 0; p < sizeof places / sizeof places[0]; p++) {
            size_t n = proc_count(places[p].text, places[p].len, secrets[i]);
            if (n) {
                fprintf(stderr, "LEAK: the %s appears %zu times in the %s\n", names[i], n,
                        places[p].name);
                leaks += n;
            }
        }
    assert_int_equal(leaks, 0);
    free(log);
    free(dump);
    free(good);
    free(denied);
    free(badtxt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_secret_anywhere, setup,
                                        svc_fixture_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
