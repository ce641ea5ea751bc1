/* Unit tests of the HTTP side without a server or database: configuration
 * (service/config.h), webhook signature, content type, event validation
 * (handlers/events.h), route matching (handlers/api.h). */
#include "handlers/api.h"
#include "handlers/events.h"
#include "handlers/health.h"
#include "handlers/jobs.h"
#include "handlers/metrics_route.h"
#include "common/metrics.h"
#include "service/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#define KEY1 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define SECRET "whsec-0123456789abcdef"

/* ---- configuration ------------------------------------------------------ */

static const char *const *g_env;

static const char *fake_getenv(const char *name)
{
    for (const char *const *p = g_env; p && *p; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static service_config *load(const char *const *env, bool serve, err_info *e)
{
    g_env = env;
    memset(e, 0, sizeof *e);
    return config_load(fake_getenv, serve, e);
}

#define BASE "DATABASE_URL", "postgresql://u@127.0.0.1/db", "WEBHOOK_SECRET", SECRET, \
             "CONFIG_ENCRYPTION_KEY", KEY1, "J1_API_KEY", "j1-key-1"

static void config_defaults(void **state)
{
    (void)state;
    const char *env[] = {BASE, NULL};
    err_info e;
    service_config *c = load(env, true, &e);
    assert_non_null(c);
    assert_string_equal(config_http_host(c), "0.0.0.0");
    assert_int_equal(config_http_port(c), 8080);
    assert_int_equal(config_worker_threads(c), 4);
    assert_int_equal(config_job_max_attempts(c), 3);
    assert_int_equal(config_job_lease_seconds(c), 60);
    assert_int_equal(config_log_level(c), LOG_INFO);
    assert_string_equal(config_j1_api_base_url(c), "https://api.us.jupiterone.io");
    assert_string_equal(config_webhook_secret(c), SECRET);
    config_free(c);
}

static void config_values(void **state)
{
    (void)state;
    const char *env[] = {BASE, "HTTP_ADDR", "[::1]:9090", "WORKER_THREADS", "8",
                         "JOB_MAX_ATTEMPTS", "5", "JOB_LEASE_SECONDS", "30", "LOG_LEVEL", "debug",
                         "J1_API_BASE_URL", "http://127.0.0.1:4000",
                         NULL};
    err_info e;
    service_config *c = load(env, true, &e);
    assert_non_null(c);
    assert_string_equal(config_http_host(c), "::1");
    assert_int_equal(config_http_port(c), 9090);
    assert_int_equal(config_worker_threads(c), 8);
    assert_int_equal(config_job_max_attempts(c), 5);
    assert_int_equal(config_job_lease_seconds(c), 30);
    assert_int_equal(config_log_level(c), LOG_DEBUG);
    assert_string_equal(config_j1_api_key(c), "j1-key-1");
    config_free(c);
    static const char *const urls[] = {"https://api.us.jupiterone.io/", "http://localhost:4000/",
                                        "http://[::1]:4000", "HTTPS://api.us.jupiterone.io"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        const char *env2[] = {"J1_API_BASE_URL", urls[i], BASE, NULL};
        c = load(env2, true, &e);
        if (!c)
            fail_msg("%s refused: %s", urls[i], e.message);
        config_free(c);
    }
    /* J1_API_KEY is optional (the contract: default none) */
    const char *no_key[] = {"DATABASE_URL", "x", "WEBHOOK_SECRET", SECRET,
                            "CONFIG_ENCRYPTION_KEY", KEY1, NULL};
    c = load(no_key, true, &e);
    assert_non_null(c);
    assert_null(config_j1_api_key(c));
    config_free(c);
}

/* Each bad environment fails with a message naming the variable and never
 * containing the bad secret value. */
static void config_errors(void **state)
{
    (void)state;
    static const struct {
        const char *env[16];
        bool serve;
        const char *names;
    } cases[] = {
        {{"WEBHOOK_SECRET", SECRET, "CONFIG_ENCRYPTION_KEY", KEY1}, true, "DATABASE_URL"},
        {{"DATABASE_URL", "x", "CONFIG_ENCRYPTION_KEY", KEY1}, true, "WEBHOOK_SECRET"},
        {{"DATABASE_URL", "x", "WEBHOOK_SECRET", SECRET}, true, "CONFIG_ENCRYPTION_KEY"},
        {{"WEBHOOK_SECRET", "short-secret", BASE}, true, "WEBHOOK_SECRET"},
        /* echo-written Secret: every signed event would fail with 401 */
        {{"WEBHOOK_SECRET", "0123456789abcdef0123456789abcdef\n", BASE}, true, "WEBHOOK_SECRET"},
        {{"DATABASE_URL", "x", "WEBHOOK_SECRET", SECRET, "CONFIG_ENCRYPTION_KEY",
          "bm90LTMyLWJ5dGVzLXNlY3JldC1rZXk="},
         true, "CONFIG_ENCRYPTION_KEY"},
        {{"DATABASE_URL", "x", "WEBHOOK_SECRET", SECRET, "CONFIG_ENCRYPTION_KEY", "!!notbase64!!"},
         true, "CONFIG_ENCRYPTION_KEY"},
        {{BASE, "CONFIG_ENCRYPTION_OLD_KEYS", "c2hvcnQ="}, true, "CONFIG_ENCRYPTION"},
        {{BASE, "WORKER_THREADS", "abc"}, true, "WORKER_THREADS"},
        {{BASE, "WORKER_THREADS", "0"}, true, "WORKER_THREADS"},
        {{BASE, "WORKER_THREADS", "4x"}, true, "WORKER_THREADS"},
        {{BASE, "JOB_MAX_ATTEMPTS", "-1"}, true, "JOB_MAX_ATTEMPTS"},
        {{BASE, "JOB_LEASE_SECONDS", "99999999999"}, true, "JOB_LEASE_SECONDS"},
        {{BASE, "HTTP_ADDR", "8080"}, true, "HTTP_ADDR"},
        {{BASE, "HTTP_ADDR", "0.0.0.0:70000"}, true, "HTTP_ADDR"},
        {{BASE, "HTTP_ADDR", "0.0.0.0:"}, true, "HTTP_ADDR"},
        {{BASE, "HTTP_ADDR", ":8080"}, true, "HTTP_ADDR"},
        {{BASE, "LOG_LEVEL", "verbose"}, true, "LOG_LEVEL"},
        {{BASE, "J1_API_BASE_URL", "http://api.example.com"}, true, "J1_API_BASE_URL"},
        {{BASE, "J1_API_BASE_URL", "ftp://127.0.0.1"}, true, "J1_API_BASE_URL"},
        /* the host is api.example.com (localhost:1 is user information) */
        {{BASE, "J1_API_BASE_URL", "http://localhost:1@api.example.com"}, true,
         "J1_API_BASE_URL"},
        {{BASE, "J1_API_BASE_URL", "http://127.0.0.1:80@api.example.com/"}, true,
         "J1_API_BASE_URL"},
        {{BASE, "J1_API_BASE_URL", "https://user:short-secret@api.example.com"}, true,
         "J1_API_BASE_URL"},
        {{BASE, "J1_API_BASE_URL", "https:///v1"}, true, "J1_API_BASE_URL"},
        /* a key stored with a trailing newline: the uploader refuses it */
        {{"J1_API_KEY", "j1-key-1\n", BASE}, true, "J1_API_KEY"},
        {{"J1_API_KEY", "j1-key-1\r\nX-Injected: 1", BASE}, true, "J1_API_KEY"},
        {{"WEBHOOK_SECRET", SECRET}, false, "DATABASE_URL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err_info e;
        service_config *c = load(cases[i].env, cases[i].serve, &e);
        if (c)
            fail_msg("case %zu (%s) was accepted", i, cases[i].names);
        assert_int_equal(e.kind, ERR_INVALID);
        if (!strstr(e.message, cases[i].names))
            fail_msg("case %zu: message '%s' does not name %s", i, e.message, cases[i].names);
        assert_null(strstr(e.message, "short-secret"));
        assert_null(strstr(e.message, "bm90LTMy"));
        assert_null(strstr(e.message, "notbase64"));
        assert_null(strstr(e.hint, "notbase64"));
    }
    /* migrate needs only DATABASE_URL. */
    const char *env[] = {"DATABASE_URL", "x", NULL};
    err_info e;
    service_config *c = load(env, false, &e);
    assert_non_null(c);
    config_free(c);
}

/* ---- signature ---------------------------------------------------------- */

static void signature_known_vector(void **state)
{
    (void)state;
    /* printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key */
    char sig[72];
    events_signature_compute("key", "1700000000", "{\"a\":1}", 7, sig);
    assert_string_equal(
        sig, "sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03");
    assert_int_equal(strlen(sig), 71);
    assert_memory_equal(sig, "sha256=", 7);
    for (int i = 7; i < 71; i++)
        assert_non_null(strchr("0123456789abcdef", sig[i]));
}

static void signature_check(void **state)
{
    (void)state;
    const char *body = "{\"eventId\":\"e\"}";
    size_t len = strlen(body);
    char sig[72], why[256];
    int64_t now = 1700000000;
    events_signature_compute(SECRET, "1700000000", body, len, sig);
    assert_int_equal(events_signature_check(SECRET, "1700000000", sig, body, len, now, why,
                                            sizeof why), 0);
    /* window: 300 s either way accepted, 301 refused */
    char ts[32];
    snprintf(ts, sizeof ts, "%lld", (long long)now - 300);
    events_signature_compute(SECRET, ts, body, len, sig);
    assert_int_equal(events_signature_check(SECRET, ts, sig, body, len, now, why, sizeof why), 0);
    snprintf(ts, sizeof ts, "%lld", (long long)now - 301);
    events_signature_compute(SECRET, ts, body, len, sig);
    assert_int_equal(events_signature_check(SECRET, ts, sig, body, len, now, why, sizeof why), -1);
    assert_non_null(strstr(why, "X-Signature-Timestamp"));
    snprintf(ts, sizeof ts, "%lld", (long long)now + 301);
    events_signature_compute(SECRET, ts, body, len, sig);
    assert_int_equal(events_signature_check(SECRET, ts, sig, body, len, now, why, sizeof why), -1);

    events_signature_compute(SECRET, "1700000000", body, len, sig);
    /* body changed by one byte */
    assert_int_equal(events_signature_check(SECRET, "1700000000", sig, "{\"eventId\":\"f\"}", len,
                                            now, why, sizeof why), -1);
    assert_non_null(strstr(why, "X-Signature-256"));
    /* other secret */
    assert_int_equal(events_signature_check("other-secret-0123456", "1700000000", sig, body, len,
                                            now, why, sizeof why), -1);
    /* timestamp is part of the MAC */
    assert_int_equal(events_signature_check(SECRET, "1700000001", sig, body, len, now, why,
                                            sizeof why), -1);
    /* uppercase hex, missing prefix, truncated, missing headers, bad timestamp */
    char upper[72];
    memcpy(upper, sig, sizeof upper);
    for (int i = 7; i < 71; i++)
        if (upper[i] >= 'a' && upper[i] <= 'f')
            upper[i] = (char)(upper[i] - 32);
    if (strcmp(upper, sig) != 0)
        assert_int_equal(events_signature_check(SECRET, "1700000000", upper, body, len, now, why,
                                                sizeof why), -1);
    assert_int_equal(events_signature_check(SECRET, "1700000000", sig + 7, body, len, now, why,
                                            sizeof why), -1);
    char trunc[72];
    memcpy(trunc, sig, sizeof trunc);
    trunc[70] = '\0';
    assert_int_equal(events_signature_check(SECRET, "1700000000", trunc, body, len, now, why,
                                            sizeof why), -1);
    assert_int_equal(events_signature_check(SECRET, NULL, sig, body, len, now, why, sizeof why), -1);
    assert_non_null(strstr(why, "X-Signature-Timestamp"));
    assert_int_equal(events_signature_check(SECRET, "1700000000", NULL, body, len, now, why,
                                            sizeof why), -1);
    assert_non_null(strstr(why, "X-Signature-256"));
    assert_int_equal(events_signature_check(SECRET, "17e8", sig, body, len, now, why, sizeof why),
                     -1);
    assert_int_equal(events_signature_check(SECRET, "-1700000000", sig, body, len, now, why,
                                            sizeof why), -1);
    /* the reason never holds the secret or the expected signature */
    assert_null(strstr(why, SECRET));
}

static void content_type(void **state)
{
    (void)state;
    assert_true(events_content_type_ok("application/json"));
    assert_true(events_content_type_ok("Application/JSON; charset=utf-8"));
    assert_true(events_content_type_ok("application/json ;charset=UTF-8"));
    assert_false(events_content_type_ok(NULL));
    assert_false(events_content_type_ok(""));
    assert_false(events_content_type_ok("text/plain"));
    assert_false(events_content_type_ok("application/jsonp"));
    assert_false(events_content_type_ok("application/x-www-form-urlencoded"));
    assert_false(events_content_type_ok("multipart/form-data; boundary=x"));
}

/* ---- validation --------------------------------------------------------- */

#define GOOD                                                                                    \
    "{\"eventId\":\"e-1\",\"accountId\":\"j1dev\",\"integrationInstance\":{\"id\":\"inst-1\","   \
    "\"name\":\"Production Azure\",\"description\":\"line1\\nline2\",\"config\":{"             \
    "\"directoryId\":\" contoso.onmicrosoft.com\\t\",\"clientId\":\"c-1\",\"clientSecret\":"      \
    "\"s3cr3t-value\",\"subscriptionId\":\"sub-1\",\"ingestActiveDirectory\":true,"           \
    "\"extra\":\"dropped\"}},\"jobId\":\"j1-job\",\"unknown\":[1,2]}"

static void parse_good(void **state)
{
    (void)state;
    events_parsed p;
    char why[256];
    assert_int_equal(events_parse(GOOD, strlen(GOOD), &p, why, sizeof why), 0);
    assert_string_equal(p.event.event_id, "e-1");
    assert_string_equal(p.event.account_id, "j1dev");
    assert_string_equal(p.event.instance_id, "inst-1");
    assert_string_equal(p.event.instance_name, "Production Azure");
    assert_string_equal(p.event.instance_description, "line1\nline2");
    assert_string_equal(p.event.j1_job_id, "j1-job");
    const cJSON *c = p.event.config;
    assert_string_equal(cJSON_GetObjectItem(c, "clientSecret")->valuestring, "s3cr3t-value");
    assert_string_equal(cJSON_GetObjectItem(c, "subscriptionId")->valuestring, "sub-1");
    assert_string_equal(cJSON_GetObjectItem(c, "directoryId")->valuestring,
                        "contoso.onmicrosoft.com");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(c, "ingestActiveDirectory")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(c, "tagWithAccountName")));
    assert_null(cJSON_GetObjectItem(c, "extra")); /* unknown config fields are not stored */
    events_parsed_free(&p);

    /* eventId: any text without control characters (the contract: 1-128
     * characters), kept as sent */
    const char *odd = "{\"eventId\":\"evt 42/#\\\"\u00e9\",\"accountId\":\"a\","
                      "\"integrationInstance\":{\"id\":\"i\",\"name\":\"n\",\"config\":{"
                      "\"directoryId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s\"}}}";
    assert_int_equal(events_parse(odd, strlen(odd), &p, why, sizeof why), 0);
    assert_string_equal(p.event.event_id, "evt 42/#\"\u00e9");
    events_parsed_free(&p);

    const char *minimal = "{\"eventId\":\"e\",\"accountId\":\"a\",\"integrationInstance\":{"
                          "\"id\":\"i\",\"name\":\"n\",\"description\":null,\"config\":{"
                          "\"directoryId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s\","
                          "\"subscriptionId\":null}}}  \n";
    assert_int_equal(events_parse(minimal, strlen(minimal), &p, why, sizeof why), 0);
    assert_null(p.event.instance_description);
    assert_null(p.event.j1_job_id);
    assert_null(cJSON_GetObjectItem(p.event.config, "subscriptionId"));
    events_parsed_free(&p);

    /* optional fields left empty are absent (a form's cleared field), as
     * collect's config reader takes them */
    const char *empty = "{\"eventId\":\"e\",\"accountId\":\"a\",\"jobId\":\"\","
                        "\"integrationInstance\":{\"id\":\"i\",\"name\":\"n\","
                        "\"description\":\"\",\"config\":{\"directoryId\":\"d\","
                        "\"clientId\":\"c\",\"clientSecret\":\"s\",\"subscriptionId\":\" \"}}}";
    if (events_parse(empty, strlen(empty), &p, why, sizeof why) != 0)
        fail_msg("empty optional fields refused: %s", why);
    assert_null(p.event.instance_description);
    assert_null(p.event.j1_job_id);
    assert_null(cJSON_GetObjectItem(p.event.config, "subscriptionId"));
    events_parsed_free(&p);
}

/* Text limits count characters, as openapi.yaml's maxLength and the message
 * say: a name of 256 two-byte characters (512 bytes) is within its limit. */
static void parse_text_length_in_characters(void **state)
{
    (void)state;
    for (int n = 256; n <= 257; n++) {
        sbuf name = SBUF_INIT, body = SBUF_INIT;
        for (int i = 0; i < n; i++)
            sbuf_puts(&name, "\xc3\xa9"); /* U+00E9 */
        sbuf_printf(&body,
                    "{\"eventId\":\"e\",\"accountId\":\"a\",\"integrationInstance\":{\"id\":"
                    "\"i\",\"name\":\"%s\",\"description\":\"%s\",\"config\":{"
                    "\"directoryId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s\"}}}",
                    sbuf_str(&name), sbuf_str(&name));
        events_parsed p;
        char why[256] = "";
        int rc = events_parse(sbuf_str(&body), body.len, &p, why, sizeof why);
        if (n == 256) {
            if (rc != 0)
                fail_msg("256 characters refused: %s", why);
            assert_int_equal(strlen(p.event.instance_name), 512);
            events_parsed_free(&p);
        } else {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(why, "integrationInstance.name"));
        }
        sbuf_free(&name);
        sbuf_free(&body);
    }
}

static void parse_bad(void **state)
{
    (void)state;
    char long_id[300];
    memset(long_id, 'a', 129);
    long_id[129] = '\0';
    char long_body[600];
    snprintf(long_body, sizeof long_body,
             "{\"eventId\":\"%s\",\"accountId\":\"a\",\"integrationInstance\":{\"id\":\"i\","
             "\"name\":\"n\",\"config\":{\"directoryId\":\"d\",\"clientId\":\"c\","
             "\"clientSecret\":\"s\"}}}",
             long_id);
#define EV(id, inst, cfg)                                                                       \
    "{\"eventId\":" id ",\"accountId\":\"a\",\"integrationInstance\":{\"id\":" inst             \
    ",\"name\":\"n\",\"config\":" cfg "}}"
#define CFG "{\"directoryId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s\"}"
    static const char nul_raw[] = "{\"eventId\":\"a\0b\"}";
    struct {
        const char *body;
        size_t len;
        const char *names;
    } cases[] = {
        {"", 0, "empty"},
        {"{", 1, "malformed"},
        {"[]", 2, "object"},
        {"\"x\"", 3, "object"},
        {"{} {}", 5, "trailing"},
        {EV("1", "\"i\"", CFG), 0, "eventId"},
        {EV("\"\"", "\"i\"", CFG), 0, "eventId"},
        {EV("null", "\"i\"", CFG), 0, "eventId"},
        {EV("\"e\\u0007x\"", "\"i\"", CFG), 0, "eventId"},
        {EV("\"e\\n\"", "\"i\"", CFG), 0, "eventId"},
        {EV("\"e\\u0000x\"", "\"i\"", CFG), 0, "NUL"},
        {EV("\"e\"", "\"i\\u0000\"", CFG), 0, "NUL"},
        {EV("\"e\"", "\"i'; DROP TABLE jobs;--\"", CFG), 0, "integrationInstance.id"},
        {EV("\"e\"", "\"i\"", "\"cfg\""), 0, "integrationInstance.config"},
        {EV("\"e\"", "\"i\"", "{\"directoryId\":\"d\",\"clientId\":\"c\"}"), 0,
         "integrationInstance.config.clientSecret"},
        {EV("\"e\"", "\"i\"", "{\"directoryId\":\"d\",\"clientId\":\"c\",\"clientSecret\":7}"), 0,
         "integrationInstance.config.clientSecret"},
        {EV("\"e\"", "\"i\"", "{\"directoryId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s\","
                              "\"ingestActiveDirectory\":\"yes\"}"),
         0, "integrationInstance.config.ingestActiveDirectory"},
        {EV("\"e\"", "\"i\"", "{\"directoryId\":\"d/../x\",\"clientId\":\"c\",\"clientSecret\":\"s\"}"),
         0, "integrationInstance.config.directoryId"},
        {"{\"eventId\":\"e\",\"integrationInstance\":{}}", 0, "accountId"},
        {"{\"eventId\":\"e\",\"accountId\":\"a\"}", 0, "integrationInstance"},
        {"{\"eventId\":\"e\",\"accountId\":\"a\",\"integrationInstance\":[]}", 0,
         "integrationInstance"},
        {"{\"eventId\":\"e\",\"accountId\":\"a\",\"integrationInstance\":{\"id\":\"i\",\"name\":"
         "\"bad\\u0007bell\",\"config\":" CFG "}}",
         0, "integrationInstance.name"},
        {"{\"eventId\":\"e\",\"accountId\":\"a\",\"integrationInstance\":{\"id\":\"i\",\"name\":"
         "\"\xff\xfe\",\"config\":" CFG "}}",
         0, "integrationInstance.name"},
        {"{\"eventId\":\"e\",\"accountId\":\"a\",\"jobId\":5,\"integrationInstance\":{\"id\":\"i\","
         "\"name\":\"n\",\"config\":" CFG "}}",
         0, "jobId"},
        {long_body, 0, "eventId"},
        {EV("\"e\"", "\"i\"", "{\"directoryId\":\"  \",\"clientId\":\"c\",\"clientSecret\":\"s\"}"), 0,
         "integrationInstance.config.directoryId"},
        {nul_raw, sizeof nul_raw - 1, "control"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        events_parsed p;
        char why[256] = "";
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].body);
        if (events_parse(cases[i].body, len, &p, why, sizeof why) == 0) {
            events_parsed_free(&p);
            fail_msg("case %zu accepted", i);
        }
        if (!strstr(why, cases[i].names))
            fail_msg("case %zu: '%s' does not name %s", i, why, cases[i].names);
        assert_null(strstr(why, "DROP"));
    }
}

/* ---- routes ------------------------------------------------------------- */

static void route_match(void **state)
{
    (void)state;
    char p[40];
    assert_true(api_route_match("/v1/jobs", "/v1/jobs", p, sizeof p));
    assert_string_equal(p, "");
    assert_true(api_route_match("/v1/jobs/{jobId}", "/v1/jobs/abc", p, sizeof p));
    assert_string_equal(p, "abc");
    assert_true(api_route_match("/v1/jobs/{jobId}/cancel", "/v1/jobs/x-1/cancel", p, sizeof p));
    assert_string_equal(p, "x-1");
    assert_false(api_route_match("/v1/jobs/{jobId}", "/v1/jobs/", p, sizeof p));
    assert_false(api_route_match("/v1/jobs/{jobId}", "/v1/jobs/a/b", p, sizeof p));
    assert_false(api_route_match("/v1/jobs", "/v1/jobs/", p, sizeof p));
    assert_false(api_route_match("/v1/jobs", "/v1/job", p, sizeof p));
    char longp[100];
    memset(longp, 'a', sizeof longp);
    memcpy(longp, "/v1/jobs/", 9);
    longp[99] = '\0';
    assert_false(api_route_match("/v1/jobs/{jobId}", longp, p, sizeof p));
    size_t n;
    const api_route *r = api_routes(&n);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++)
        assert_non_null(r[i].handler);
}

/* ---- handlers with the database unreachable ----------------------------- */

typedef struct fake_req {
    const char *names[4];
    const char *values[4];
} fake_req;

static const char *fake_lookup(void *ctx, const char *name)
{
    fake_req *f = ctx;
    for (int i = 0; i < 4 && f->names[i]; i++)
        if (strcasecmp(f->names[i], name) == 0)
            return f->values[i];
    return NULL;
}

static int64_t fixed_now(void)
{
    return 1700000000;
}

static bool always_draining(void *arg)
{
    (void)arg;
    return true;
}

/* A valid signed event while PostgreSQL is down: 503 with Retry-After (the
 * scheduler retries), and the probes / job reads say unavailable too. */
static void database_unreachable(void **state)
{
    (void)state;
    err_info e = {0};
    db_pool *pool = db_pool_new(&(db_pool_options){.url = "postgresql://u@127.0.0.1:1/none",
                                                   .size = 1, .connect_timeout_s = 1,
                                                   .checkout_timeout_ms = 500},
                                &e);
    assert_non_null(pool);
    config_crypto *crypto = config_crypto_new(KEY1, NULL, &e);
    assert_non_null(crypto);
    job_store *store = job_store_new(pool, crypto, NULL, &e);
    assert_non_null(store);
    api_context ctx = {.pool = pool, .store = store, .webhook_secret = SECRET, .now_s = fixed_now};

    char sig[72];
    events_signature_compute(SECRET, "1700000000", GOOD, strlen(GOOD), sig);
    fake_req fr = {{"Content-Type", "X-Signature-Timestamp", "X-Signature-256", NULL},
                   {"application/json", "1700000000", sig, NULL}};
    api_request req = {.method = "POST", .path = "/v1/events", .body = GOOD,
                       .body_len = strlen(GOOD), .header = fake_lookup, .query = fake_lookup,
                       .ctx = &fr};
    api_response res;
    api_response_init(&res);
    assert_int_equal(api_events_post(&ctx, &req, &res), 0);
    assert_int_equal(res.status, 503);
    assert_int_equal(res.retry_after, 5);
    assert_non_null(strstr(sbuf_str(&res.body), "\"unavailable\""));
    assert_null(strstr(sbuf_str(&res.body), "s3cr3t"));
    api_response_free(&res);

    /* the signature is checked before the database is touched */
    fr.values[2] = "sha256=0000000000000000000000000000000000000000000000000000000000000000";
    api_response_init(&res);
    api_events_post(&ctx, &req, &res);
    assert_int_equal(res.status, 401);
    api_response_free(&res);

    api_request get = {.method = "GET", .path = "/readyz", .header = fake_lookup,
                       .query = fake_lookup, .ctx = &fr};
    api_response_init(&res);
    api_readyz(&ctx, &get, &res);
    assert_int_equal(res.status, 503);
    assert_non_null(strstr(sbuf_str(&res.body), "unavailable"));
    api_response_free(&res);
    ctx.draining = always_draining;
    api_response_init(&res);
    api_readyz(&ctx, &get, &res);
    assert_int_equal(res.status, 503);
    assert_non_null(strstr(sbuf_str(&res.body), "draining"));
    api_response_free(&res);

    get.path_param = "6f1c2a40-9a9d-4c55-8f59-0d3c8a6f7e21";
    api_response_init(&res);
    api_jobs_get(&ctx, &get, &res);
    assert_int_equal(res.status, 503);
    api_response_free(&res);
    api_response_init(&res);
    api_jobs_list(&ctx, &get, &res);
    assert_int_equal(res.status, 503);
    api_response_free(&res);

    api_response_init(&res);
    api_healthz(&ctx, &get, &res);
    assert_int_equal(res.status, 200);
    api_response_free(&res);

    job_store_free(store);
    config_crypto_free(crypto);
    db_pool_free(pool);
}

static void error_shape(void **state)
{
    (void)state;
    api_response res;
    api_response_init(&res);
    api_error(&res, 400, "invalid_request", "field \"%s\" bad\n", "x");
    cJSON *j = cJSON_Parse(sbuf_str(&res.body));
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "code")->valuestring,
                        "invalid_request");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "message")->valuestring,
        "field \"x\" bad\n");
    cJSON_Delete(j);
    api_response_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_defaults),       cmocka_unit_test(config_values),
        cmocka_unit_test(config_errors),         cmocka_unit_test(signature_known_vector),
        cmocka_unit_test(signature_check),       cmocka_unit_test(content_type),
        cmocka_unit_test(parse_good),            cmocka_unit_test(parse_text_length_in_characters),
        cmocka_unit_test(parse_bad),
        cmocka_unit_test(route_match),           cmocka_unit_test(database_unreachable),
        cmocka_unit_test(error_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
