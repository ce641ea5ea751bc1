/* Loopback HTTP tests: the real server (serve_start: config, pool,
 * migrations, job store, worker pool, libmicrohttpd) on an ephemeral port,
 * a private PostgreSQL database, and a test job_runner driven by the event's
 * config.clientId ("ok", "gate", "stubborn").
 *
 * Every refused request is checked to write nothing (rows of jobs,
 * job_events and job_steps counted before and after); every answer and
 * every log line is scanned for the webhook secret and the client secret. */
#include "common/log.h"
#include "handlers/events.h"
#include "service/config.h"
#include "service/serve.h"
#include "storage/testdb.h" /* tests/storage/testdb.h */

#include <curl/curl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define KEY1 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define WEBHOOK_SECRET "whsec-test-0123456789abcdef"
#define CLIENT_SECRET "cs-TOPSECRET-4242-value"

static char *g_url;
static service_config *g_cfg;
static serve *g_serve;
static int g_port;
static char g_log_path[64];
static int g_log_fd = -1;
static sbuf g_answers; /* every status line, header and body received */

/* ---- the test runner ---------------------------------------------------- */

static atomic_int g_release;
static atomic_int g_running;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int test_run(void *ctx, const job_request *req, const job_progress *p, job_outcome *out)
{
    (void)ctx;
    const cJSON *m = cJSON_GetObjectItem(req->config, "clientId");
    const char *mode = cJSON_IsString(m) ? m->valuestring : "ok";
    job_step_report plan[] = {{.id = "s1", .name = "Step one", .status = "pending"}};
    p->steps_planned(p->ctx, plan, 1);
    job_step_report s1 = {.id = "s1", .name = "Step one", .status = "running"};
    p->step_changed(p->ctx, &s1);
    atomic_fetch_add(&g_running, 1);
    if (strcmp(mode, "gate") == 0) {
        while (!p->should_stop(p->ctx) && !atomic_load(&g_release))
            sleep_ms(10);
    } else if (strcmp(mode, "stubborn") == 0) {
        /* ignores should_stop until released (a step that takes a while) */
        for (int i = 0; i < 1000 && !atomic_load(&g_release); i++)
            sleep_ms(10);
    }
    atomic_fetch_sub(&g_running, 1);
    if (p->should_stop(p->ctx)) {
        out->result = JOB_RESULT_STOPPED;
        err_set(&out->error, ERR_CANCELLED, "stopped");
        return 0;
    }
    s1.status = "success";
    s1.entities = 2;
    s1.duration_ms = 1;
    p->step_changed(p->ctx, &s1);
    out->result = JOB_RESULT_SUCCEEDED;
    out->totals = (job_totals){2, 0, 1, 0};
    return 0;
}

static const job_runner RUNNER = {NULL, test_run};

/* ---- HTTP client -------------------------------------------------------- */

typedef struct resp {
    long status;
    sbuf body;
    sbuf headers;
} resp;

static void resp_free(resp *r)
{
    sbuf_free(&r->body);
    sbuf_free(&r->headers);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    sbuf_append(arg, p, size * n);
    return size * n;
}

typedef struct reader {
    const char *data;
    size_t len, off;
} reader;

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    reader *r = arg;
    size_t want = size * n, left = r->len - r->off;
    if (want > left)
        want = left;
    if (want > 65536)
        want = 65536;
    memcpy(buf, r->data + r->off, want);
    r->off += want;
    return want;
}

/* headers: NULL-terminated "Name: value" list. */
static void http_ex(const char *method, const char *path, const char *const *headers,
                    const char *body, size_t len, bool chunked, resp *r)
{
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[2048];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", g_port, path);
    struct curl_slist *h = NULL;
    for (const char *const *p = headers; p && *p; p++)
        h = curl_slist_append(h, *p);
    reader rd = {body, len, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        if (chunked) {
            h = curl_slist_append(h, "Transfer-Encoding: chunked");
            curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(c, CURLOPT_READDATA, &rd);
        } else {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        }
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    sbuf_puts(&g_answers, sbuf_str(&r->headers));
    sbuf_puts(&g_answers, sbuf_str(&r->body));
    sbuf_putc(&g_answers, '\n');
}

static void http(const char *method, const char *path, resp *r)
{
    http_ex(method, path, NULL, NULL, 0, false, r);
}

/* Header value (case-insensitive name) copied into out; false when absent. */
static bool header(const resp *r, const char *name, char *out, size_t size)
{
    const char *p = sbuf_str(&r->headers);
    size_t n = strlen(name);
    while (p && *p) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            size_t l = strcspn(v, "\r\n");
            snprintf(out, size, "%.*s", (int)l, v);
            return true;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return false;
}

static cJSON *json_body(const resp *r)
{
    cJSON *j = cJSON_Parse(sbuf_str(&r->body));
    if (!j)
        fail_msg("answer is not JSON: %s", sbuf_str(&r->body));
    return j;
}

static void assert_error(const resp *r, long status, const char *names)
{
    if (r->status != status)
        fail_msg("status %ld, wanted %ld: %s", r->status, status, sbuf_str(&r->body));
    cJSON *j = json_body(r);
    const cJSON *e = cJSON_GetObjectItem(j, "error");
    assert_true(cJSON_IsObject(e));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(e, "code")));
    const cJSON *m = cJSON_GetObjectItem(e, "message");
    assert_true(cJSON_IsString(m));
    if (names && !strstr(m->valuestring, names))
        fail_msg("message '%s' does not name %s", m->valuestring, names);
    cJSON_Delete(j);
}

typedef enum sig_mode { SIG_OK, SIG_WRONG, SIG_NONE, SIG_NO_TS } sig_mode;

static void post_event_ex(const char *body, size_t len, long ts_offset, sig_mode sig,
                          const char *content_type, bool chunked, resp *r)
{
    char ts[32], sigh[128], tsh[64], cth[128];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL) + ts_offset);
    char s[72];
    events_signature_compute(sig == SIG_WRONG ? "not-the-webhook-secret" : WEBHOOK_SECRET, ts,
                             body, len, s);
    snprintf(sigh, sizeof sigh, "X-Signature-256: %s", s);
    snprintf(tsh, sizeof tsh, "X-Signature-Timestamp: %s", ts);
    snprintf(cth, sizeof cth, "Content-Type: %s", content_type ? content_type : "");
    const char *h[6];
    int n = 0;
    h[n++] = content_type ? cth : "Content-Type:";
    if (sig != SIG_NONE)
        h[n++] = sigh;
    if (sig != SIG_NO_TS)
        h[n++] = tsh;
    h[n] = NULL;
    http_ex("POST", "/v1/events", h, body, len, chunked, r);
}

static void post_event(const char *body, resp *r)
{
    post_event_ex(body, strlen(body), 0, SIG_OK, "application/json", false, r);
}

static char *event_json(const char *event_id, const char *instance, const char *mode)
{
    size_t n = strlen(event_id) + strlen(instance) + strlen(mode) + 512;
    char *b = malloc(n);
    snprintf(b, n,
             "{\"eventId\":\"%s\",\"accountId\":\"j1dev\",\"integrationInstance\":{\"id\":\"%s\","
             "\"name\":\"Production Azure\",\"config\":{\"directoryId\":\"tenant-1\","
             "\"clientId\":\"%s\",\"clientSecret\":\"" CLIENT_SECRET "\"}}}",
             event_id, instance, mode);
    return b;
}

/* "jobs,events,steps" */
static char *counts(void)
{
    char *c = testdb_query(g_url, "SELECT (SELECT count(*) FROM jobs) || ',' || "
                                  "(SELECT count(*) FROM job_events) || ',' || "
                                  "(SELECT count(*) FROM job_steps)");
    assert_non_null(c);
    return c;
}

static char *job_field(const char *job_id, const char *field)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM jobs WHERE id = '%s'", field, job_id);
    return testdb_query(g_url, sql);
}

static void wait_status(const char *job_id, const char *status)
{
    for (int i = 0; i < 1000; i++) {
        char *s = job_field(job_id, "status");
        bool ok = s && strcmp(s, status) == 0;
        free(s);
        if (ok)
            return;
        sleep_ms(10);
    }
    fail_msg("job %s never reached %s", job_id, status);
}

static void take_job_id(const resp *r, char out[64])
{
    cJSON *j = json_body(r);
    const cJSON *id = cJSON_GetObjectItem(j, "jobId");
    assert_true(cJSON_IsString(id));
    snprintf(out, 64, "%s", id->valuestring);
    cJSON_Delete(j);
}

/* ---- setup -------------------------------------------------------------- */

static const char *g_env[32];

static const char *fake_getenv(const char *name)
{
    for (const char *const *p = g_env; *p; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    sbuf_init(&g_answers);
    g_url = testdb_create();
    if (!g_url)
        return -1;
    snprintf(g_log_path, sizeof g_log_path, "/tmp/test_http_log_XXXXXX");
    g_log_fd = mkstemp(g_log_path);
    if (g_log_fd < 0)
        return -1;
    log_set_fd(g_log_fd);
    log_set_level(LOG_DEBUG);
    const char *env[] = {"DATABASE_URL", g_url, "WEBHOOK_SECRET", WEBHOOK_SECRET,
                         "CONFIG_ENCRYPTION_KEY", KEY1, "HTTP_ADDR", "127.0.0.1:0",
                         "WORKER_THREADS", "2", "JOB_LEASE_SECONDS", "6",
                         "J1_API_KEY", "j1-test-key-0001", NULL};
    memcpy(g_env, env, sizeof env);
    err_info e = {0};
    g_cfg = config_load(fake_getenv, true, &e);
    if (!g_cfg) {
        fprintf(stderr, "config: %s\n", e.message);
        return -1;
    }
    serve_options so = {.runner = &RUNNER, .poll_interval_ms = 50, .backoff_base_ms = 10};
    g_serve = serve_start(g_cfg, &so, &e);
    if (!g_serve) {
        fprintf(stderr, "serve_start: %s (%s)\n", e.message, e.hint);
        return -1;
    }
    g_port = serve_port(g_serve);
    return g_port > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g_serve)
        serve_shutdown(g_serve, 5000);
    config_free(g_cfg);
    testdb_drop(g_url);
    log_set_fd(-1);
    if (g_log_fd >= 0)
        close(g_log_fd);
    unlink(g_log_path);
    sbuf_free(&g_answers);
    curl_global_cleanup();
    return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void probes_and_routing(void **state)
{
    (void)state;
    resp r;
    http("GET", "/healthz", &r);
    assert_int_equal(r.status, 200);
    char v[128];
    assert_true(header(&r, "X-Request-Id", v, sizeof v));
    assert_int_equal(strlen(v), 36);
    resp_free(&r);
    http("GET", "/readyz", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);

    const char *given[] = {"X-Request-Id: trace-abc.123", NULL};
    http_ex("GET", "/healthz", given, NULL, 0, false, &r);
    assert_true(header(&r, "X-Request-Id", v, sizeof v));
    assert_string_equal(v, "trace-abc.123");
    resp_free(&r);
    const char *hostile[] = {"X-Request-Id: a\"b<script>", NULL};
    http_ex("GET", "/healthz", hostile, NULL, 0, false, &r);
    assert_true(header(&r, "X-Request-Id", v, sizeof v));
    assert_int_equal(strlen(v), 36); /* replaced by a fresh uuid */
    resp_free(&r);

    http("GET", "/nope", &r);
    assert_error(&r, 404, NULL);
    resp_free(&r);
    http("DELETE", "/v1/jobs", &r);
    assert_error(&r, 405, "GET");
    assert_true(header(&r, "Allow", v, sizeof v));
    assert_string_equal(v, "GET");
    resp_free(&r);
    http("GET", "/v1/events", &r);
    assert_error(&r, 405, "POST");
    resp_free(&r);
}

/* A client picks the request method: the metrics' method label takes only
 * the methods HTTP defines (others are "other"), so made-up methods cannot
 * grow the registry by one series each (unbounded memory, and a scrape that
 * Prometheus drops). */
static void unknown_methods_bounded(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        char m[32];
        snprintf(m, sizeof m, "ZZMETHOD%d", i);
        resp r;
        http(m, "/healthz", &r);
        assert_error(&r, 405, "GET");
        resp_free(&r);
    }
    resp r;
    http("GET", "/metrics", &r);
    assert_int_equal(r.status, 200);
    const char *body = sbuf_str(&r.body);
    if (strstr(body, "ZZMETHOD"))
        fail_msg("a client's method became a metrics label");
    assert_non_null(strstr(body, "http_requests_total{route=\"/healthz\",method=\"other\","
                                 "status=\"405\"} 20"));
    resp_free(&r);
}

/* Every refused event: the right status, the field named, nothing written. */
static void bad_events_write_nothing(void **state)
{
    (void)state;
    char *before = counts();
    char *good = event_json("ev-bad", "inst-bad", "ok");
    char long_id[10001];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    char *longev = event_json(long_id, "inst-bad", "ok");
    char id129[130];
    memset(id129, 'y', 129);
    id129[129] = '\0';
    char *ev129 = event_json(id129, "inst-bad", "ok");
    char *ctl_id = event_json("ev\\u0007x", "inst-bad", "ok"); /* a control character */
    char *nul = event_json("ev\\u0000x", "inst-bad", "ok");
    char *nul_inst = event_json("ev-n", "inst\\u0000bad", "ok");
    char *sqli = event_json("ev-s", "x'); DELETE FROM jobs; --", "ok");
    static const char raw_nul[] = "{\"eventId\":\"a\0b\",\"accountId\":\"x\"}";
    size_t big_len = 1024 * 1024 + 1;
    char *big = malloc(big_len);
    memset(big, ' ', big_len);
    big[0] = '{';
    big[big_len - 1] = '}';
    struct {
        const char *body;
        size_t len;
        long ts_offset;
        sig_mode sig;
        const char *ct;
        bool chunked;
        long status;
        const char *names;
    } cases[] = {
        {"{\"eventId\":", 0, 0, SIG_OK, "application/json", false, 400, "malformed"},
        {"not json at all", 0, 0, SIG_OK, "application/json", false, 400, "malformed"},
        {"", 0, 0, SIG_OK, "application/json", false, 400, "empty"},
        {"[1,2]", 0, 0, SIG_OK, "application/json", false, 400, "object"},
        {"{\"eventId\":7,\"accountId\":\"a\"}", 0, 0, SIG_OK, "application/json", false, 400,
         "eventId"},
        {"{\"eventId\":\"e\",\"accountId\":\"a\",\"integrationInstance\":\"i\"}", 0, 0, SIG_OK,
         "application/json", false, 400, "integrationInstance"},
        {"{\"eventId\":\"e\",\"accountId\":\"a\",\"integrationInstance\":{\"id\":\"i\",\"name\":"
         "\"n\",\"config\":{\"directoryId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s\","
         "\"tagWithAccountName\":\"true\"}}}",
         0, 0, SIG_OK, "application/json", false, 400,
         "integrationInstance.config.tagWithAccountName"},
        {"{\"accountId\":\"a\"}", 0, 0, SIG_OK, "application/json", false, 400, "eventId"},
        {"{\"eventId\":\"e\",\"accountId\":\"a\",\"integrationInstance\":{\"id\":\"i\",\"name\":"
         "\"n\",\"config\":{\"directoryId\":\"d\",\"clientId\":\"c\"}}}",
         0, 0, SIG_OK, "application/json", false, 400, "integrationInstance.config.clientSecret"},
        {good, 0, 0, SIG_WRONG, "application/json", false, 401, "X-Signature-256"},
        {good, 0, 0, SIG_NONE, "application/json", false, 401, "X-Signature-256"},
        {good, 0, 0, SIG_NO_TS, "application/json", false, 401, "X-Signature-Timestamp"},
        {good, 0, -301, SIG_OK, "application/json", false, 401, "X-Signature-Timestamp"},
        {good, 0, 400, SIG_OK, "application/json", false, 401, "X-Signature-Timestamp"},
        {good, 0, 0, SIG_OK, "text/plain", false, 415, "Content-Type"},
        {good, 0, 0, SIG_OK, NULL, false, 415, "Content-Type"},
        {good, 0, 0, SIG_OK, "application/x-www-form-urlencoded", false, 415, "Content-Type"},
        {big, big_len, 0, SIG_OK, "application/json", false, 413, "bytes"},
        {big, big_len, 0, SIG_OK, "application/json", true, 413, "bytes"},
        {longev, 0, 0, SIG_OK, "application/json", false, 400, "eventId"},
        {ev129, 0, 0, SIG_OK, "application/json", false, 400, "eventId"},
        {ctl_id, 0, 0, SIG_OK, "application/json", false, 400, "eventId"},
        {nul, 0, 0, SIG_OK, "application/json", false, 400, "NUL"},
        {nul_inst, 0, 0, SIG_OK, "application/json", false, 400, "NUL"},
        {sqli, 0, 0, SIG_OK, "application/json", false, 400, "integrationInstance.id"},
        {raw_nul, sizeof raw_nul - 1, 0, SIG_OK, "application/json", false, 400, "control"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        resp r;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].body);
        post_event_ex(cases[i].body, len, cases[i].ts_offset, cases[i].sig, cases[i].ct,
                      cases[i].chunked, &r);
        if (r.status != cases[i].status)
            fail_msg("case %zu: status %ld, wanted %ld: %s", i, r.status, cases[i].status,
                     sbuf_str(&r.body));
        assert_error(&r, cases[i].status, cases[i].names);
        resp_free(&r);
        char *after = counts();
        if (strcmp(before, after) != 0)
            fail_msg("case %zu wrote rows: %s -> %s", i, before, after);
        free(after);
    }
    free(before);
    free(good);
    free(longev);
    free(ev129);
    free(ctl_id);
    free(nul);
    free(nul_inst);
    free(sqli);
    free(big);
}

static char g_job1[64];

static void signed_event_runs(void **state)
{
    (void)state;
    char *before = counts();
    char *ev = event_json("ev-1", "inst-1", "ok");
    resp r;
    post_event(ev, &r);
    assert_int_equal(r.status, 202);
    take_job_id(&r, g_job1);
    cJSON *j = json_body(&r);
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "queued");
    cJSON_Delete(j);
    char loc[128], want[128];
    assert_true(header(&r, "Location", loc, sizeof loc));
    snprintf(want, sizeof want, "/v1/jobs/%s", g_job1);
    assert_string_equal(loc, want);
    resp_free(&r);
    char *after = counts();
    assert_string_not_equal(before, after);
    free(before);
    free(after);
    wait_status(g_job1, "succeeded");

    http("GET", want, &r);
    assert_int_equal(r.status, 200);
    j = json_body(&r);
    assert_string_equal(cJSON_GetObjectItem(j, "jobId")->valuestring, g_job1);
    assert_string_equal(cJSON_GetObjectItem(j, "eventId")->valuestring, "ev-1");
    assert_string_equal(cJSON_GetObjectItem(j, "integrationInstanceId")->valuestring, "inst-1");
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "succeeded");
    const cJSON *steps = cJSON_GetObjectItem(j, "steps");
    assert_int_equal(cJSON_GetArraySize(steps), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 0), "status")->valuestring,
                        "success");
    assert_null(strstr(sbuf_str(&r.body), "config"));
    assert_null(strstr(sbuf_str(&r.body), CLIENT_SECRET));
    cJSON_Delete(j);
    resp_free(&r);

    /* The stored config is encrypted: the secret is not in the row. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM jobs WHERE position(convert_to('%s','UTF8') in config_enc) > 0",
             CLIENT_SECRET);
    char *n = testdb_query(g_url, sql);
    assert_string_equal(n, "0");
    free(n);
    free(ev);
}

static void idempotent_on_event_id(void **state)
{
    (void)state;
    char *before = counts();
    char *ev = event_json("ev-1", "inst-1", "ok");
    resp r;
    post_event(ev, &r);
    assert_int_equal(r.status, 200);
    char id[64];
    take_job_id(&r, id);
    assert_string_equal(id, g_job1);
    cJSON *j = json_body(&r);
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "succeeded");
    cJSON_Delete(j);
    resp_free(&r);
    char *after = counts();
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(ev);
}

static char g_gate[64], g_queued[64];

static void coalesce_and_cancel(void **state)
{
    (void)state;
    atomic_store(&g_release, 0);
    char *e1 = event_json("ev-co-1", "inst-co", "gate");
    char *e2 = event_json("ev-co-2", "inst-co", "ok");
    char *e3 = event_json("ev-co-3", "inst-co", "ok");
    resp r;
    post_event(e1, &r);
    assert_int_equal(r.status, 202);
    take_job_id(&r, g_gate);
    resp_free(&r);
    wait_status(g_gate, "running");

    post_event(e2, &r); /* the instance runs: a new queued job */
    assert_int_equal(r.status, 202);
    take_job_id(&r, g_queued);
    resp_free(&r);
    assert_string_not_equal(g_gate, g_queued);

    char *before = counts();
    post_event(e3, &r); /* coalesces onto the queued job */
    assert_int_equal(r.status, 200);
    char id[64];
    take_job_id(&r, id);
    assert_string_equal(id, g_queued);
    char loc[128];
    assert_true(header(&r, "Location", loc, sizeof loc));
    resp_free(&r);
    char *jobs_now = testdb_query(g_url, "SELECT count(*) FROM jobs WHERE instance_id='inst-co'");
    assert_string_equal(jobs_now, "2");
    free(jobs_now);
    free(before);

    /* list, newest first */
    http("GET", "/v1/jobs?integrationInstanceId=inst-co", &r);
    assert_int_equal(r.status, 200);
    cJSON *j = json_body(&r);
    const cJSON *jobs = cJSON_GetObjectItem(j, "jobs");
    assert_int_equal(cJSON_GetArraySize(jobs), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(jobs, 0), "jobId")->valuestring,
                        g_queued);
    cJSON_Delete(j);
    resp_free(&r);
    http("GET", "/v1/jobs?integrationInstanceId=inst-co&limit=1&status=queued", &r);
    assert_int_equal(r.status, 200);
    j = json_body(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "jobs")), 1);
    cJSON_Delete(j);
    resp_free(&r);

    /* cancel the queued one: at once; again: 409 */
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", g_queued);
    http("POST", path, &r);
    assert_int_equal(r.status, 200);
    j = json_body(&r);
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "cancelled");
    cJSON_Delete(j);
    resp_free(&r);
    char *st = job_field(g_queued, "status");
    assert_string_equal(st, "cancelled");
    free(st);
    http("POST", path, &r);
    assert_error(&r, 409, "finished");
    resp_free(&r);

    /* cancel the running one: it stops at the next boundary */
    snprintf(path, sizeof path, "/v1/jobs/%s/cancel", g_gate);
    http("POST", path, &r);
    assert_int_equal(r.status, 202);
    resp_free(&r);
    wait_status(g_gate, "cancelled");
    free(e1);
    free(e2);
    free(e3);
}

static void list_and_unknown_ids(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        long status;
        const char *names;
    } cases[] = {
        {"/v1/jobs?status=bogus", 400, "status"},
        {"/v1/jobs?limit=0", 400, "limit"},
        {"/v1/jobs?limit=101", 400, "limit"},
        {"/v1/jobs?limit=abc", 400, "limit"},
        {"/v1/jobs?limit=-5", 400, "limit"},
        {"/v1/jobs?integrationInstanceId=a%22b", 400, "integrationInstanceId"},
        {"/v1/jobs/6f1c2a40-9a9d-4c55-8f59-0d3c8a6f7e21", 404, "jobId"},
        {"/v1/jobs/not-a-uuid", 404, "jobId"},
        {"/v1/jobs/'%20OR%201=1--", 404, NULL},
        {"/v1/jobs/6f1c2a40-9a9d-4c55-8f59-0d3c8a6f7e21/cancel", 404, "jobId"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        resp r;
        const char *method = strstr(cases[i].path, "/cancel") ? "POST" : "GET";
        http(method, cases[i].path, &r);
        if (r.status != cases[i].status)
            fail_msg("%s: %ld", cases[i].path, r.status);
        assert_error(&r, cases[i].status, cases[i].names);
        resp_free(&r);
    }
    char longp[400];
    memset(longp, 'a', sizeof longp);
    memcpy(longp, "/v1/jobs/", 9);
    longp[sizeof longp - 1] = '\0';
    resp r;
    http("GET", longp, &r);
    assert_error(&r, 404, NULL);
    resp_free(&r);

    http("GET", "/v1/jobs?status=cancelled&limit=100", &r);
    assert_int_equal(r.status, 200);
    cJSON *j = json_body(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "jobs")), 2);
    cJSON_Delete(j);
    resp_free(&r);
    http("GET", "/v1/jobs", &r);
    assert_int_equal(r.status, 200);
    j = json_body(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "jobs")), 3);
    cJSON_Delete(j);
    resp_free(&r);
}

/* Prometheus text format 0.0.4: every line a HELP/TYPE comment or a sample
 * "name{labels} value". */
static void metrics_parse(void **state)
{
    (void)state;
    resp r;
    http("GET", "/metrics", &r);
    assert_int_equal(r.status, 200);
    char ct[128];
    assert_true(header(&r, "Content-Type", ct, sizeof ct));
    assert_non_null(strstr(ct, "text/plain"));
    char *text = strdup(sbuf_str(&r.body));
    int samples = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            char kind[8], name[128];
            assert_int_equal(sscanf(line, "# %7s %127s", kind, name), 2);
            assert_true(strcmp(kind, "HELP") == 0 || strcmp(kind, "TYPE") == 0);
            if (strcmp(kind, "TYPE") == 0) {
                const char *t = line + strlen("# TYPE ") + strlen(name) + 1;
                assert_true(strcmp(t, "counter") == 0 || strcmp(t, "gauge") == 0 ||
                            strcmp(t, "histogram") == 0);
            }
            continue;
        }
        size_t nl = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");
        assert_true(nl > 0);
        const char *p = line + nl;
        if (*p == '{') {
            /* labels: name="value" pairs, values with \\ \" \n escapes */
            p++;
            while (*p != '}') {
                size_t ln = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
                assert_true(ln > 0);
                p += ln;
                assert_int_equal(*p++, '=');
                assert_int_equal(*p++, '"');
                while (*p && *p != '"')
                    p += *p == '\\' ? 2 : 1;
                assert_int_equal(*p++, '"');
                if (*p == ',')
                    p++;
            }
            p++;
        }
        assert_int_equal(*p++, ' ');
        char *end = NULL;
        strtod(p, &end);
        if (end == p || (*end != '\0' && *end != ' '))
            fail_msg("bad sample value: %s", line);
        samples++;
    }
    free(text);
    assert_true(samples > 5);
    const char *body = sbuf_str(&r.body);
    assert_non_null(strstr(body, "http_requests_total{route=\"/v1/events\",method=\"POST\",status=\"202\"}"));
    assert_non_null(strstr(body, "http_requests_total{route=\"/v1/events\",method=\"POST\",status=\"401\"}"));
    assert_non_null(strstr(body, "http_request_duration_seconds_bucket"));
    assert_non_null(strstr(body, "# TYPE queue_depth gauge"));
    assert_non_null(strstr(body, "jobs{status=\"cancelled\"} 2"));
    assert_non_null(strstr(body, "job_duration_seconds"));
    resp_free(&r);
}

/* Concurrent posts: the same event from 8 clients makes one job; 8
 * different events for an instance whose job is running make one queued
 * job that all of them share. */
typedef struct poster {
    const char *body;
    long status;
    char job_id[64];
} poster;

static void *post_thread(void *arg)
{
    poster *p = arg;
    resp r;
    post_event(p->body, &r);
    p->status = r.status;
    cJSON *j = cJSON_Parse(sbuf_str(&r.body));
    const cJSON *id = cJSON_GetObjectItem(j, "jobId");
    snprintf(p->job_id, sizeof p->job_id, "%s", cJSON_IsString(id) ? id->valuestring : "");
    cJSON_Delete(j);
    resp_free(&r);
    return NULL;
}

static void run_posters(poster *p, int n)
{
    pthread_t t[8];
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_create(&t[i], NULL, post_thread, &p[i]), 0);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    int created = 0;
    for (int i = 0; i < n; i++) {
        if (p[i].status == 202)
            created++;
        else if (p[i].status != 200)
            fail_msg("poster %d: status %ld", i, p[i].status);
        assert_string_equal(p[i].job_id, p[0].job_id);
    }
    assert_int_equal(created, 1);
}

static void concurrent_posts(void **state)
{
    (void)state;
    char *same = event_json("ev-race-same", "inst-race-1", "ok");
    poster p[8];
    for (int i = 0; i < 8; i++)
        p[i] = (poster){.body = same};
    run_posters(p, 8);
    char *n = testdb_query(g_url, "SELECT count(*) FROM jobs WHERE instance_id='inst-race-1'");
    assert_string_equal(n, "1");
    free(n);
    wait_status(p[0].job_id, "succeeded");
    free(same);

    atomic_store(&g_release, 0);
    char *gate = event_json("ev-race-gate", "inst-race-2", "gate");
    resp r;
    post_event(gate, &r);
    assert_int_equal(r.status, 202);
    char gate_id[64];
    take_job_id(&r, gate_id);
    resp_free(&r);
    wait_status(gate_id, "running");
    char *bodies[8];
    for (int i = 0; i < 8; i++) {
        char ev[32];
        snprintf(ev, sizeof ev, "ev-race-%d", i);
        bodies[i] = event_json(ev, "inst-race-2", "ok");
        p[i] = (poster){.body = bodies[i]};
    }
    run_posters(p, 8);
    n = testdb_query(g_url, "SELECT count(*) FROM jobs WHERE instance_id='inst-race-2'");
    assert_string_equal(n, "2");
    free(n);
    n = testdb_query(g_url, "SELECT count(*) FROM job_events WHERE event_id LIKE 'ev-race-_'");
    assert_string_equal(n, "8");
    free(n);
    atomic_store(&g_release, 1);
    wait_status(gate_id, "succeeded");
    wait_status(p[0].job_id, "succeeded");
    for (int i = 0; i < 8; i++)
        free(bodies[i]);
    free(gate);
}

/* SIGTERM path: readyz answers 503 while a job is still finishing; the job
 * is handed back (queued again, attempt not lost) when the runner stops. */
static void *shutdown_thread(void *arg)
{
    (void)arg;
    serve_shutdown(g_serve, 10000);
    return NULL;
}

static void readyz_during_drain(void **state)
{
    (void)state;
    atomic_store(&g_release, 0);
    char *ev = event_json("ev-drain", "inst-drain", "stubborn");
    resp r;
    post_event(ev, &r);
    assert_int_equal(r.status, 202);
    char id[64];
    take_job_id(&r, id);
    resp_free(&r);
    wait_status(id, "running");
    while (atomic_load(&g_running) == 0)
        sleep_ms(5);

    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, shutdown_thread, NULL), 0);
    bool saw = false;
    for (int i = 0; i < 200 && !saw; i++) {
        http("GET", "/readyz", &r);
        if (r.status == 503) {
            cJSON *j = json_body(&r);
            assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "draining");
            cJSON_Delete(j);
            char ra[16];
            assert_true(header(&r, "Retry-After", ra, sizeof ra));
            saw = true;
        }
        resp_free(&r);
        if (!saw)
            sleep_ms(10);
    }
    assert_true(saw);
    /* still serving probes and status while the job finishes */
    http("GET", "/healthz", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_int_equal(atomic_load(&g_running), 1);
    atomic_store(&g_release, 1);
    pthread_join(t, NULL);
    g_serve = NULL;
    char *st = job_field(id, "status");
    assert_string_equal(st, "queued");
    free(st);
    free(ev);
}

static bool file_contains(const char *path, const char *needle, size_t *lines, size_t *bad_json)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    *lines = *bad_json = 0;
    while (getline(&line, &cap, f) > 0) {
        (*lines)++;
        if (strstr(line, needle))
            found = true;
        cJSON *j = cJSON_Parse(line);
        if (!j)
            (*bad_json)++;
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    return found;
}

static void no_secret_anywhere(void **state)
{
    (void)state;
    const char *answers = sbuf_str(&g_answers);
    assert_true(strlen(answers) > 1000);
    assert_null(strstr(answers, WEBHOOK_SECRET));
    assert_null(strstr(answers, CLIENT_SECRET));
    assert_null(strstr(answers, KEY1));
    assert_null(strstr(answers, "j1-test-key-0001"));
    size_t lines, bad;
    assert_false(file_contains(g_log_path, WEBHOOK_SECRET, &lines, &bad));
    assert_false(file_contains(g_log_path, CLIENT_SECRET, &lines, &bad));
    assert_false(file_contains(g_log_path, KEY1, &lines, &bad));
    assert_false(file_contains(g_log_path, "j1-test-key-0001", &lines, &bad));
    assert_true(lines > 20);
    assert_int_equal(bad, 0);
    /* request lines carry the request id */
    assert_true(file_contains(g_log_path, "\"requestId\":\"trace-abc.123\"", &lines, &bad));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(probes_and_routing),   cmocka_unit_test(unknown_methods_bounded),
        cmocka_unit_test(bad_events_write_nothing),
        cmocka_unit_test(signed_event_runs),    cmocka_unit_test(idempotent_on_event_id),
        cmocka_unit_test(coalesce_and_cancel),  cmocka_unit_test(list_and_unknown_ids),
        cmocka_unit_test(metrics_parse),        cmocka_unit_test(concurrent_posts),
        cmocka_unit_test(readyz_during_drain),
        cmocka_unit_test(no_secret_anywhere),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
