/* Unit tests of common/: error, sbuf, json paths, time parsing, log redaction, metrics. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/name_set.h"
#include "common/random.h"
#include "common/sbuf.h"
#include "common/timefmt.h"
#include "common/url.h"

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_error_set_hint_prefix(void **state)
{
    (void)state;
    err_info e;
    err_clear(&e);
    assert_int_equal(err_set(&e, ERR_FORBIDDEN, "Azure returned %d", 403), -1);
    err_hint(&e, "grant the Reader role");
    err_prefix(&e, "step %s", "rm-x");
    assert_string_equal(e.message, "step rm-x: Azure returned 403");
    assert_string_equal(e.hint, "grant the Reader role");
    assert_string_equal(err_kind_name(e.kind), "forbidden");
    char buf[64];
    err_describe(&e, buf, sizeof buf);
    assert_string_equal(buf, "step rm-x: Azure returned 403 (hint: grant the Reader role)");
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    err_set(&e, ERR_INVALID, "%s", big);
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
    assert_string_equal(e.message + sizeof e.message - 4, "...");
}

static void test_sbuf_json_and_url(void **state)
{
    (void)state;
    sbuf b = SBUF_INIT;
    sbuf_json_string(&b, "a\"b\\c\n\x01");
    assert_string_equal(sbuf_str(&b), "\"a\\\"b\\\\c\\n\\u0001\"");
    sbuf_reset(&b);
    sbuf_urlencode(&b, "a b/c~");
    assert_string_equal(sbuf_str(&b), "a%20b%2Fc~");
    sbuf_reset(&b);
    for (int i = 0; i < 1000; i++)
        sbuf_printf(&b, "%d,", i);
    assert_false(sbuf_failed(&b));
    char *s = sbuf_take(&b);
    assert_non_null(strstr(s, "999,"));
    free(s);
}

static void test_json_path(void **state)
{
    (void)state;
    cJSON *j = cJSON_Parse("{\"properties\":{\"a\":{\"b\":\"x\"},\"list\":[{\"id\":\"1\"},{\"id\":\"2\"}]}}");
    assert_string_equal(json_path_string(j, "properties.a.b"), "x");
    assert_string_equal(json_path_string(j, "properties.list.[1].id"), "2");
    assert_string_equal(json_path_string(j, "properties.list.0.id"), "1");
    assert_null(json_path(j, "properties.missing.b"));
    assert_null(json_path(j, "properties.list.9"));
    cJSON_Delete(j);
    /* several members in one walk: the first of a repeated name (as
     * json_get), NULL when absent or when obj is not an object */
    j = cJSON_Parse("{\"a\":1,\"ab\":\"x\",\"b\":[],\"ab\":\"y\",\"c\":null}");
    static const char *const names[] = {"ab", "c", "zz", "a", "b"};
    const cJSON *got[5];
    json_get_many(j, names, 5, got);
    assert_ptr_equal(got[0], json_get(j, "ab"));
    assert_string_equal(json_string(got[0]), "x");
    assert_true(cJSON_IsNull(got[1]));
    assert_null(json_string(got[1]));
    assert_null(got[2]);
    assert_ptr_equal(got[3], json_get(j, "a"));
    assert_true(cJSON_IsArray(got[4]));
    json_get_many(NULL, names, 5, got);
    for (int i = 0; i < 5; i++)
        assert_null(got[i]);
    cJSON_Delete(j);
}

/* json_parse_len_without(text, "_rawData") must give what json_parse_len
 * gives with every top-level _rawData member deleted. */
static void assert_parses_without(const char *text)
{
    cJSON *want = json_parse_len(text, strlen(text));
    while (cJSON_IsObject(want) && cJSON_GetObjectItemCaseSensitive(want, "_rawData"))
        cJSON_DeleteItemFromObjectCaseSensitive(want, "_rawData");
    cJSON *got = json_parse_len_without(text, strlen(text), "_rawData");
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    char *a = cJSON_PrintUnformatted(want), *b = cJSON_PrintUnformatted(got);
    if (strcmp(a, b) != 0)
        fprintf(stderr, "input %s\nwant  %s\ngot   %s\n", text, a, b);
    assert_string_equal(a, b);
    free(a);
    free(b);
    cJSON_Delete(want);
    cJSON_Delete(got);
}

static void test_json_parse_without(void **state)
{
    (void)state;
    static const char *const texts[] = {
        /* last, first, middle; strings holding braces, quotes, escapes */
        "{\"_key\":\"k\",\"name\":\"n\",\"_rawData\":[{\"name\":\"default\",\"rawData\":"
        "{\"a\":\"}]{[\\\"\",\"b\":[1,{\"c\":null}],\"d\":\"\\\\\"}}]}",
        "{\"_rawData\":[],\"_key\":\"k\"}",
        "{\"a\":1,\"_rawData\":{\"x\":[[],{}]},\"b\":true,\"c\":-1.5e3,\"d\":false}",
        /* whitespace everywhere, two of them, a name that only starts alike */
        " { \"_rawData\" : [ 1 , 2 ] , \"_rawDataX\" : \"kept\" ,\n\t\"_rawData\":{} } ",
        /* none to leave out, empty object, not an object */
        "{\"a\":\"b\"}", "{}", "[{\"_rawData\":1}]", "\"_rawData\"",
        /* invalid: truncated, bad separator, unterminated string */
        "{\"a\":1,\"_rawData\":[1,2", "{\"a\" 1}", "{\"_rawData\":\"abc", "",
        /* what follows the object: judged by the parser as before */
        "{\"_rawData\":1,\"a\":2} trailing",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        assert_parses_without(texts[i]);
    /* the text is only read up to len */
    const char *t = "{\"a\":1,\"_rawData\":2}{\"b\":3}";
    cJSON *o = json_parse_len_without(t, 20, "_rawData");
    assert_non_null(o);
    assert_null(json_get(o, "_rawData"));
    assert_int_equal(cJSON_GetArraySize(o), 1);
    cJSON_Delete(o);
}

/* json_write must print exactly what cJSON_PrintUnformatted prints. */
static void assert_writes_like_cjson(const cJSON *v)
{
    char *want = cJSON_PrintUnformatted(v);
    sbuf got = SBUF_INIT;
    json_write(&got, v);
    assert_non_null(want);
    assert_false(sbuf_failed(&got));
    assert_string_equal(sbuf_str(&got), want);
    free(want);
    sbuf_free(&got);
}

static size_t write_like_cjson_dir(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            n += write_like_cjson_dir(path);
            continue;
        }
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".har") != 0)
            continue;
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *text = malloc((size_t)st.st_size + 1);
        assert_non_null(text);
        assert_int_equal(fread(text, 1, (size_t)st.st_size, f), (size_t)st.st_size);
        fclose(f);
        text[st.st_size] = '\0';
        cJSON *doc = cJSON_Parse(text);
        if (doc) {
            assert_writes_like_cjson(doc);
            n++;
            /* and every recorded answer body that is JSON */
            const cJSON *entry;
            cJSON_ArrayForEach(entry, json_path(doc, "log.entries"))
            {
                const char *body = json_path_string(entry, "response.content.text");
                cJSON *b = body ? cJSON_Parse(body) : NULL;
                if (b)
                    assert_writes_like_cjson(b);
                cJSON_Delete(b);
            }
        }
        cJSON_Delete(doc);
        free(text);
    }
    if (d)
        closedir(d);
    return n;
}

static void test_json_write_matches_cjson(void **state)
{
    (void)state;
    static const double numbers[] = {0.0, -0.0, 1, -1, 42, 1e15 - 1, 1e15, -1e15, 1e16, 1e21,
                                     123456789012345678.0, 0.1, 1.0 / 3, 2.5e-7, -3.75,
                                     32213303296.0, 4294967296.0, 2147483647.0, 2147483648.0,
                                     -2147483649.0, 9007199254740993.0, DBL_MAX, DBL_MIN,
                                     5e-324, 1.7976931348623157e308, 100.5, 0.30000000000000004};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        cJSON *n = cJSON_CreateNumber(numbers[i]);
        assert_writes_like_cjson(n);
        cJSON_Delete(n);
    }
    srand(7);
    for (int i = 0; i < 20000; i++) {
        double d = ((double)rand() / RAND_MAX - 0.5) * pow(10.0, rand() % 40 - 20);
        if (i % 3 == 0)
            d = floor(d);
        cJSON *n = cJSON_CreateNumber(d);
        assert_writes_like_cjson(n);
        cJSON_Delete(n);
    }
    cJSON *nan = cJSON_CreateNumber(NAN), *inf = cJSON_CreateNumber(-INFINITY);
    assert_writes_like_cjson(nan);
    assert_writes_like_cjson(inf);
    cJSON_Delete(nan);
    cJSON_Delete(inf);
    char ctl[40];
    for (int i = 0; i < 32; i++)
        ctl[i] = (char)(i + 1);
    memcpy(ctl + 31, "\"\\/\xc3\xa9", 6);
    ctl[37] = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ctl\n\"key", ctl);
    cJSON_AddStringToObject(o, "", "");
    cJSON_AddItemToObject(o, "arr", cJSON_CreateArray());
    cJSON_AddItemToObject(o, "obj", cJSON_CreateObject());
    cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("{\"x\": 1}"));
    cJSON_AddNullToObject(o, "n");
    cJSON_AddTrueToObject(o, "t");
    cJSON_AddFalseToObject(o, "f");
    assert_writes_like_cjson(o);
    char *printed = json_print(o);
    char *want = cJSON_PrintUnformatted(o);
    assert_string_equal(printed, want);
    free(printed);
    free(want);
    cJSON_Delete(o);
    /* every recording of real Azure answers */
    const char *src = getenv("AI_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fixtures", src ? src : ".");
    assert_true(write_like_cjson_dir(dir) >= 100);
}

static void test_time_parse(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_true(timefmt_parse_iso8601_ms("2020-01-06T19:24:46.3139845+00:00", &ms));
    assert_int_equal(ms, 1578338686313LL);
    assert_true(timefmt_parse_iso8601_ms("2020-10-08T13:53:02Z", &ms));
    assert_int_equal(ms, 1602165182000LL);
    assert_true(timefmt_parse_iso8601_ms("2020-10-08T15:53:02+02:00", &ms));
    assert_int_equal(ms, 1602165182000LL);
    assert_true(timefmt_parse_iso8601_ms("2020-10-08", &ms));
    assert_false(timefmt_parse_iso8601_ms("not a date", &ms));
    assert_false(timefmt_parse_iso8601_ms("2020-13-01", &ms));
    char buf[32];
    timefmt_rfc3339(1602165182123LL, buf, sizeof buf);
    assert_string_equal(buf, "2020-10-08T13:53:02.123Z");
    int64_t secs;
    assert_true(timefmt_parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT", &secs));
    assert_int_equal(secs, 1445412480LL);
}

static void test_log_redacts_secrets(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    log_set_fd(fds[1]);
    log_secret_register("s3cr3t-value");
    log_set_job("job-1");
    log_kv(LOG_INFO, "token s3cr3t-value leaked", "field", "xx s3cr3t-value yy", NULL);
    log_set_job(NULL);
    log_set_fd(-1);
    close(fds[1]);
    char buf[1024] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    assert_true(n > 0);
    assert_null(strstr(buf, "s3cr3t"));
    assert_non_null(strstr(buf, "[REDACTED]"));
    assert_non_null(strstr(buf, "\"jobId\":\"job-1\""));
    cJSON *line = cJSON_Parse(buf);
    assert_non_null(line);
    cJSON_Delete(line);
    log_secret_unregister("s3cr3t-value");
    char *r = log_redact("s3cr3t-value");
    assert_string_equal(r, "s3cr3t-value");
    free(r);
}

static void test_metrics_render(void **state)
{
    (void)state;
    metrics_declare("t_requests_total", METRIC_COUNTER, "Requests.", NULL, 0);
    metrics_declare("t_seconds", METRIC_HISTOGRAM, "Durations.", NULL, 0);
    metrics_counter_add("t_requests_total", "api=\"arm\"", 2);
    metrics_counter_add("t_requests_total", "api=\"arm\"", 1);
    metrics_histogram_observe("t_seconds", NULL, 0.02);
    sbuf out = SBUF_INIT;
    metrics_render(&out);
    assert_non_null(strstr(sbuf_str(&out), "t_requests_total{api=\"arm\"} 3\n"));
    assert_non_null(strstr(sbuf_str(&out), "t_seconds_bucket{le=\"0.025\"} 1\n"));
    assert_non_null(strstr(sbuf_str(&out), "t_seconds_count 1\n"));
    sbuf_free(&out);
    metrics_reset();
}

/* Every added name is found, none other is, duplicates take one slot. */
static void test_name_set(void **state)
{
    (void)state;
    enum { N = 500 };
    static char names[N][16], others[N][16];
    name_set set;
    assert_int_equal(name_set_init(&set, N), 0);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "prop%d", i);
        snprintf(others[i], sizeof others[i], "prop%d", i + N);
        name_set_add(&set, names[i]);
        name_set_add(&set, names[i]); /* again: still one slot */
    }
    size_t used = 0;
    for (size_t i = 0; i <= set.mask; i++)
        used += set.slots[i] != NULL;
    assert_int_equal(used, N);
    for (int i = 0; i < N; i++) {
        char copy[16];
        memcpy(copy, names[i], sizeof copy); /* compared by content, not pointer */
        assert_true(name_set_has(&set, copy));
        assert_false(name_set_has(&set, others[i]));
    }
    assert_false(name_set_has(&set, ""));
    assert_false(name_set_has(&set, NULL));
    name_set_free(&set);
    assert_false(name_set_has(&set, "prop1"));
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void *scratch_on_thread(void *arg)
{
    sbuf *b = sbuf_scratch(SBUF_SLOT_GRAPH_STORE);
    sbuf_puts(b, "other thread"); /* freed when the thread exits (LSan) */
    *(sbuf **)arg = b;
    return NULL;
}

static void test_sbuf_scratch(void **state)
{
    (void)state;
    sbuf *a = sbuf_scratch(SBUF_SLOT_GRAPH_STORE), *b = sbuf_scratch(SBUF_SLOT_REL_TEXT);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_ptr_equal(sbuf_scratch(SBUF_SLOT_GRAPH_STORE), a); /* same slot, same buffer */
    assert_null(sbuf_scratch(SBUF_SCRATCH_SLOTS));
    sbuf_reset(a);
    sbuf_puts(a, "mine");
    sbuf *theirs = NULL;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, scratch_on_thread, &theirs), 0);
    pthread_join(th, NULL);
    assert_non_null(theirs);
    assert_ptr_not_equal(theirs, a);
    assert_string_equal(sbuf_str(a), "mine"); /* untouched by the other thread */
}

static void test_uuid(void **state)
{
    (void)state;
    char a[37], b[37];
    random_uuid(a);
    random_uuid(b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '4');
    assert_string_not_equal(a, b);
    /* weak (correlation) ids: v4 shape, and no repeat among many */
    enum { N = 20000 };
    char (*ids)[37] = malloc(N * sizeof *ids);
    assert_non_null(ids);
    for (int i = 0; i < N; i++) {
        random_uuid_weak(ids[i]);
        assert_int_equal(strlen(ids[i]), 36);
        for (int d = 0; d < 36; d++) /* 8-4-4-4-12 */
            assert_int_equal(ids[i][d] == '-', d == 8 || d == 13 || d == 18 || d == 23);
        assert_int_equal(ids[i][14], '4');
        assert_non_null(strchr("89ab", ids[i][19]));
        assert_int_equal(strspn(ids[i], "0123456789abcdef-"), 36);
    }
    qsort(ids, N, sizeof *ids, cmp_id);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

static void test_url_checks(void **state)
{
    (void)state;
    static const char *const https_ok[] = {"https://api.us.jupiterone.io", "HTTPS://h/x?y#z",
                                           "https://h:443"};
    static const char *const https_no[] = {"https://", "https:///x", "http://h",
                                           "https://u:p@h", "https://localhost:1@evil.com",
                                           "ftp://h", "h", NULL};
    for (size_t i = 0; i < sizeof https_ok / sizeof *https_ok; i++)
        assert_true(url_is_https(https_ok[i]));
    for (size_t i = 0; i < sizeof https_no / sizeof *https_no; i++)
        assert_false(url_is_https(https_no[i]));
    static const char *const loop_ok[] = {
        "http://127.0.0.1:80/x", "http://127.1.2.3", "http://localhost:9/", "HTTP://LOCALHOST",
        "http://[::1]:9/", "http://[::1]", "http://localhost/a:b@c", "http://127.0.0.1?x=@"};
    static const char *const loop_no[] = {
        "http://127.0.0.1.evil.com/", "http://localhost.evil.com/", "http://10.0.0.1/",
        "http://localhost:1@evil.example.com", "http://u@localhost", "http://127.0.0.1@evil",
        "https://127.0.0.1", "http://[::1]x:9", "http://[::1", "http://", "http://127.0.0",
        "http://127.0.0.1.1", "localhost", NULL};
    for (size_t i = 0; i < sizeof loop_ok / sizeof *loop_ok; i++)
        if (!url_is_loopback_http(loop_ok[i]))
            fail_msg("refused %s", loop_ok[i]);
    for (size_t i = 0; i < sizeof loop_no / sizeof *loop_no; i++)
        if (url_is_loopback_http(loop_no[i]))
            fail_msg("accepted %s", loop_no[i]);
    const char *a;
    size_t n;
    assert_true(url_authority("https://u@h:1/p?q", &a, &n));
    assert_int_equal(n, 5);
    assert_memory_equal(a, "u@h:1", 5);
    assert_false(url_authority("no-scheme", &a, &n));
}

/* Retry-After as both clients (Azure, JupiterOne) read it. */
static void test_retry_after(void **state)
{
    (void)state;
    const int64_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
    assert_int_equal(timefmt_retry_after_ms("120", now), 120000);
    assert_int_equal(timefmt_retry_after_ms(" 2 ", now), 2000);
    assert_int_equal(timefmt_retry_after_ms("999999", now), 86400000); /* a day at most */
    assert_int_equal(timefmt_retry_after_ms("Wed, 21 Oct 2015 07:28:05 GMT", now), 5000);
    assert_int_equal(timefmt_retry_after_ms("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
    assert_int_equal(timefmt_retry_after_ms("Fri, 21 Oct 2016 07:28:00 GMT", now), 86400000);
    assert_int_equal(timefmt_retry_after_ms(NULL, now), -1);
    assert_int_equal(timefmt_retry_after_ms("", now), -1);
    assert_int_equal(timefmt_retry_after_ms("soon", now), -1);
    assert_int_equal(timefmt_retry_after_ms("-3", now), -1);
    assert_int_equal(timefmt_retry_after_ms("12abc", now), -1);
    assert_int_equal(timefmt_retry_after_ms("Wed, 21 Oct 2015 07:28:05 GMT+1", now), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_set_hint_prefix), cmocka_unit_test(test_sbuf_json_and_url),
        cmocka_unit_test(test_json_path),             cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_json_write_matches_cjson),
        cmocka_unit_test(test_json_parse_without),
        cmocka_unit_test(test_name_set),
        cmocka_unit_test(test_log_redacts_secrets),   cmocka_unit_test(test_metrics_render),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_sbuf_scratch),
        cmocka_unit_test(test_url_checks),
        cmocka_unit_test(test_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
