/* graph_store: rules, duplicates, case-insensitive look-up, spill + iterate,
 * chunking to the sink, sink failure. */
#include "common/json.h"
#include "engine/graph_rules.h"
#include "engine/graph_store.h"

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct rec_sink {
    size_t chunks, objects, max_chunk;
    int fail_after;  /* fail the n-th chunk (1-based), 0 = never */
    char last_type[64];
} rec_sink;

static int rec_write(void *ctx, const graph_chunk *c, err_info *err)
{
    rec_sink *r = ctx;
    r->chunks++;
    if (r->fail_after && (int)r->chunks >= r->fail_after)
        return err_set(err, ERR_UPSTREAM, "injected sink failure");
    for (size_t i = 0; i < c->count; i++) {
        cJSON *o = json_parse_len(c->objects[i], c->lengths[i]);
        assert_non_null(o);
        assert_string_equal(json_get_string(o, "_type"), c->type);
        cJSON_Delete(o);
    }
    r->objects += c->count;
    if (c->count > r->max_chunk)
        r->max_chunk = c->count;
    snprintf(r->last_type, sizeof r->last_type, "%s", c->type);
    return 0;
}

static cJSON *entity(const char *key, const char *type)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "_key", key);
    cJSON_AddStringToObject(e, "_type", type);
    cJSON *c = cJSON_AddArrayToObject(e, "_class");
    cJSON_AddItemToArray(c, cJSON_CreateString("Resource"));
    cJSON_AddStringToObject(e, "name", "n");
    cJSON_AddStringToObject(e, "displayName", "n");
    return e;
}

static cJSON *rel(const char *key)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "_key", key);
    cJSON_AddStringToObject(r, "_type", "t_has_x");
    cJSON_AddStringToObject(r, "_class", "HAS");
    cJSON_AddStringToObject(r, "_fromEntityKey", "aaaaaaaaaaaa");
    cJSON_AddStringToObject(r, "_toEntityKey", "bbbbbbbbbbbb");
    cJSON_AddStringToObject(r, "displayName", "HAS");
    return r;
}

static void test_rules(void **state)
{
    (void)state;
    err_info err = {0};
    graph_store *s = graph_store_new(NULL, NULL, &err);
    assert_non_null(s);
    /* short key */
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES, entity("short", "t_x"), &err), -1);
    assert_int_equal(err.kind, ERR_INVALID);
    /* bad property name */
    cJSON *e = entity("/subscriptions/aaaa", "t_x");
    cJSON_AddStringToObject(e, "bad/name", "v");
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES, e, &err), -1);
    /* nested object value */
    e = entity("/subscriptions/bbbb", "t_x");
    cJSON_AddItemToObject(e, "nested", cJSON_CreateObject());
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES, e, &err), -1);
    /* missing displayName */
    e = entity("/subscriptions/cccc", "t_x");
    cJSON_DeleteItemFromObject(e, "displayName");
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES, e, &err), -1);
    /* bad _rawData */
    e = entity("/subscriptions/dddd", "t_x");
    cJSON_AddItemToObject(e, "_rawData", cJSON_Parse("[{\"name\":\"default\",\"rawData\":[1]}]"));
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES, e, &err), -1);
    /* bad relationship class */
    cJSON *r = rel("aaaaaaaaaaaa|owns2|bbbbbbbbbbbb");
    cJSON_ReplaceItemInObject(r, "_class", cJSON_CreateString("OWNS2"));
    assert_int_equal(graph_store_add(s, "st", GRAPH_RELATIONSHIPS, r, &err), -1);
    /* good ones, array of primitives, tag value */
    e = entity("/subscriptions/eeee", "t_x");
    cJSON_AddItemToObject(e, "list", cJSON_Parse("[\"a\",1,true]"));
    cJSON_AddStringToObject(e, "tag.Env", "prod");
    cJSON_AddItemToObject(e, "_rawData", cJSON_Parse("[{\"name\":\"default\",\"rawData\":{\"a\":1}}]"));
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES, e, &err), 0);
    assert_int_equal(graph_store_add(s, "st", GRAPH_RELATIONSHIPS, rel("aaaaaaaaaaaa|has|bbbbbbbbbbbb"),
                                     &err), 0);
    graph_store_stats st;
    graph_store_get_stats(s, &st);
    assert_int_equal(st.invalid, 6);
    assert_int_equal(st.entities, 1);
    assert_int_equal(st.relationships, 1);
    graph_store_free(s);
}

/* The rules read the identifying members in one scan: wherever they are in
 * the object, the first of a repeated name counts (as a look-up by name). */
static void test_rules_ids(void **state)
{
    (void)state;
    err_info err = {0};
    graph_object_ids ids = {0};
    cJSON *e = cJSON_Parse("{\"name\":\"n\",\"displayName\":\"d\",\"a\":1,"
                           "\"_class\":[\"Resource\"],\"_key\":\"/subscriptions/first\","
                           "\"_type\":\"azure_x\",\"_key\":\"/subscriptions/second\"}");
    assert_non_null(e);
    assert_int_equal(graph_rules_check_entity(e, &ids, &err), 0);
    assert_string_equal(ids.key, "/subscriptions/first");
    assert_string_equal(ids.type, "azure_x");
    assert_int_equal(graph_rules_check_entity(e, NULL, &err), 0);
    cJSON_DeleteItemFromObject(e, "_class");
    assert_int_equal(graph_rules_check_entity(e, &ids, &err), -1);
    assert_non_null(strstr(err.message, "_class must be a non-empty array"));
    cJSON_AddItemToObject(e, "_class", cJSON_CreateArray());
    assert_int_equal(graph_rules_check_entity(e, &ids, &err), -1);
    assert_non_null(strstr(err.message, "_class must be a non-empty array"));
    cJSON_Delete(e);
    e = cJSON_Parse("{\"_key\":\"/subscriptions/k\",\"_type\":7,\"_class\":[\"Resource\"],"
                    "\"name\":\"n\",\"displayName\":\"d\"}");
    assert_int_equal(graph_rules_check_entity(e, &ids, &err), -1);
    assert_non_null(strstr(err.message, "_type missing"));
    cJSON_Delete(e);

    cJSON *r = rel("aaaaaaaaaaaa|has|bbbbbbbbbbbb");
    assert_int_equal(graph_rules_check_relationship(r, &ids, &err), 0);
    assert_string_equal(ids.key, "aaaaaaaaaaaa|has|bbbbbbbbbbbb");
    assert_string_equal(ids.type, "t_has_x");
    cJSON_DeleteItemFromObject(r, "_toEntityKey");
    assert_int_equal(graph_rules_check_relationship(r, &ids, &err), -1);
    assert_non_null(strstr(err.message, "_fromEntityKey and _toEntityKey are required"));
    /* a mapped relationship needs no _toEntityKey; its _mapping object is allowed */
    cJSON_AddItemToObject(r, "_mapping",
                          cJSON_Parse("{\"sourceEntityKey\":\"aaaaaaaaaaaa\","
                                      "\"targetEntity\":{\"_type\":\"t\"}}"));
    assert_int_equal(graph_rules_check_relationship(r, &ids, &err), 0);
    cJSON_ReplaceItemInObject(r, "_mapping", cJSON_Parse("{\"sourceEntityKey\":\"a\"}"));
    assert_int_equal(graph_rules_check_relationship(r, &ids, &err), -1);
    assert_non_null(strstr(err.message, "_mapping needs"));
    cJSON_Delete(r);
}

static void test_duplicates_and_case(void **state)
{
    (void)state;
    err_info err = {0};
    graph_store *s = graph_store_new(NULL, NULL, &err);
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES,
                                     entity("/subscriptions/ABC/resourceGroups/RG", "t_x"), &err), 0);
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES,
                                     entity("/subscriptions/abc/resourcegroups/rg", "t_y"), &err), -1);
    assert_int_equal(err.kind, ERR_CONFLICT);
    /* relationships share the key space */
    assert_int_equal(graph_store_add(s, "st", GRAPH_RELATIONSHIPS,
                                     rel("/SUBSCRIPTIONS/abc/resourceGroups/rg"), &err), -1);
    char key[256], type[64];
    assert_true(graph_store_find_entity(s, "/SUBSCRIPTIONS/abc/RESOURCEGROUPS/rg", key, sizeof key,
                                        type, sizeof type));
    assert_string_equal(key, "/subscriptions/ABC/resourceGroups/RG");
    assert_string_equal(type, "t_x");
    assert_true(graph_store_has_key(s, "/subscriptions/abc/resourcegroups/RG"));
    assert_false(graph_store_has_key(s, "/subscriptions/abc/resourcegroups/other"));
    cJSON *o = graph_store_load_entity(s, "/subscriptions/abc/resourcegroups/rg");
    assert_non_null(o);
    assert_string_equal(json_get_string(o, "_key"), "/subscriptions/ABC/resourceGroups/RG");
    cJSON_Delete(o);
    graph_store_stats st;
    graph_store_get_stats(s, &st);
    assert_int_equal(st.duplicates, 2);
    graph_store_free(s);
}

/* Case folding is ASCII letters only, at every byte position of the
 * 8-byte steps: '@' '[' '`' '{' and bytes above 0x7f keep their case. */
static void test_case_fold_bytes(void **state)
{
    (void)state;
    err_info err = {0};
    graph_store *s = graph_store_new(NULL, NULL, &err);
    assert_non_null(s);
    /* keys of at least 10 characters (a graph rule); \u00c1 and \u00e1
     * in UTF-8 differ only in bit 5 of their second byte */
    static const char *const distinct[] = {"key-k@[x-1", "key-k`{x-1", "key-\xc3\x81-z1-long",
                                           "key-\xc3\xa1-z1-long", "AZ@[-key-1", "az`{-key-1",
                                           "0123456789abcdefg", "0123456789abcdefh"};
    for (size_t i = 0; i < sizeof distinct / sizeof *distinct; i++) {
        int rc = graph_store_add(s, "st", GRAPH_ENTITIES, entity(distinct[i], "t_x"), &err);
        if (rc != 0)
            fprintf(stderr, "%s: %s\n", distinct[i], err.message);
        assert_int_equal(rc, 0);
    }
    /* upper and lower case at each of the positions 0..16 */
    char lower[18] = "abcdefghijklmnopq", upper[18];
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES, entity(lower, "t_x"), &err), 0);
    for (size_t i = 0; i < 17; i++) {
        memcpy(upper, lower, sizeof upper);
        upper[i] = (char)(upper[i] - 32);
        assert_true(graph_store_has_key(s, upper));
    }
    assert_true(graph_store_has_key(s, "ABCDEFGHIJKLMNOPQ"));
    assert_true(graph_store_has_key(s, "Az@[-KEY-1") && graph_store_has_key(s, "aZ`{-kEy-1"));
    assert_false(graph_store_has_key(s, "abcdefghijklmnop"));
    graph_store_stats st;
    graph_store_get_stats(s, &st);
    assert_int_equal(st.entities, 9);
    assert_int_equal(st.duplicates, 0);
    graph_store_free(s);
}

typedef struct it_state { size_t n; long sum; } it_state;

static int count_fn(void *arg, const cJSON *e, err_info *err)
{
    (void)err;
    it_state *st = arg;
    double v = 0;
    json_get_number(e, "i", &v);
    st->sum += (long)v;
    st->n++;
    return 0;
}

static int stop_fn(void *arg, const cJSON *e, err_info *err)
{
    (void)e;
    it_state *st = arg;
    return ++st->n == 3 ? err_set(err, ERR_INVALID, "stop") : 0;
}

static void test_spill_iterate_and_chunks(void **state)
{
    (void)state;
    rec_sink rs = {0};
    graph_sink sink = {.ctx = &rs, .write_chunk = rec_write};
    err_info err = {0};
    graph_store *s = graph_store_new(&sink, NULL, &err);
    assert_non_null(s);
    const size_t n = 1234;
    char key[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "/subscriptions/x/vm-%06zu", i);
        cJSON *e = entity(key, i % 2 ? "t_odd" : "t_even");
        cJSON_AddNumberToObject(e, "i", (double)i);
        assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES, e, &err), 0);
    }
    /* chunks went out during collection, capped at 500 */
    assert_true(rs.chunks >= 2);
    assert_int_equal(rs.max_chunk, 500);
    it_state it = {0};
    assert_int_equal(graph_store_iterate(s, "t_odd", count_fn, &it, &err), 0);
    assert_int_equal(it.n, n / 2);
    it_state all = {0};
    graph_store_iterate(s, "t_even", count_fn, &all, &err);
    assert_int_equal(it.sum + all.sum, (long)(n * (n - 1) / 2));
    it_state stop = {0};
    assert_int_equal(graph_store_iterate(s, "t_odd", stop_fn, &stop, &err), -1);
    assert_int_equal(stop.n, 3);
    assert_int_equal(graph_store_iterate(s, "t_none", count_fn, &it, &err), 0);
    cJSON *o = graph_store_load_entity(s, "/subscriptions/x/VM-000777");
    double v;
    assert_true(json_get_number(o, "i", &v) && v == 777);
    cJSON_Delete(o);
    assert_int_equal(graph_store_flush(s, NULL, &err), 0);
    assert_int_equal(rs.objects, n);
    /* byte threshold: tiny limit -> one object per chunk */
    graph_store_set_chunk_limits(s, 0, 1);
    size_t before = rs.chunks;
    assert_int_equal(graph_store_add(s, "st2", GRAPH_ENTITIES, entity("/subscriptions/y/a1", "t_z"), &err), 0);
    assert_int_equal(rs.chunks, before + 1);
    graph_store_free(s);
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Adds 300 entities of two types and reads one type back; false on any
 * failure (no cmocka assertion: it also runs in a forked child). */
static bool fill_and_read(graph_store *s)
{
    err_info err = {0};
    char key[64];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "/subscriptions/x/r-%04d", i);
        if (graph_store_add(s, "st", GRAPH_ENTITIES, entity(key, i % 3 ? "t_a" : "t_b"),
                            &err) != 0)
            return false;
    }
    it_state it = {0};
    return graph_store_iterate(s, "t_b", count_fn, &it, &err) == 0 && it.n == 100;
}

/* Spill files have no name: the spill directory stays empty while a store
 * is in use, after it is freed, and after a process dies holding one (the
 * child exits without freeing, as a killed replica would); the directory
 * itself is the operator's and stays. */
static void test_spill_leaves_nothing(void **state)
{
    (void)state;
    char dir[] = "/tmp/test-spill-XXXXXX";
    assert_non_null(mkdtemp(dir));
    err_info err = {0};
    graph_store *s = graph_store_new(NULL, dir, &err);
    assert_non_null(s);
    assert_true(fill_and_read(s));
    assert_int_equal(dir_entries(dir), 0);
    graph_store_free(s);
    assert_int_equal(dir_entries(dir), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        graph_store *c = graph_store_new(NULL, dir, &err);
        if (!c || !fill_and_read(c))
            _exit(2);
        DIR *d = opendir(dir);
        size_t n = 0;
        while (d && readdir(d))
            n++;
        _exit(d && n == 2 ? 0 : 3); /* "." and ".." only; no free, no closedir */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(dir_entries(dir), 0);
    assert_int_equal(rmdir(dir), 0);

    /* a spill directory that cannot take files fails at once, naming it */
    assert_null(graph_store_new(NULL, dir, &err));
    assert_int_equal(err.kind, ERR_IO);
    assert_non_null(strstr(err.message, dir));
    assert_non_null(strstr(err.hint, "TMPDIR"));
}

static void test_sink_failure(void **state)
{
    (void)state;
    rec_sink rs = {.fail_after = 1};
    graph_sink sink = {.ctx = &rs, .write_chunk = rec_write};
    err_info err = {0};
    graph_store *s = graph_store_new(&sink, NULL, &err);
    graph_store_set_chunk_limits(s, 2, 0);
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES, entity("/subscriptions/z/1", "t_x"), &err), 0);
    assert_int_equal(graph_store_add(s, "st", GRAPH_ENTITIES, entity("/subscriptions/z/2", "t_x"), &err), -1);
    assert_true(graph_store_sink_failed(s));
    graph_store_free(s);
}

typedef struct thr { graph_store *s; int id; } thr;

static void *adder(void *arg)
{
    thr *t = arg;
    char key[64];
    for (int i = 0; i < 2000; i++) {
        /* every thread adds the same keys: exactly one add of each wins */
        snprintf(key, sizeof key, "/subscriptions/c/k-%d", i);
        err_info err = {0};
        graph_store_add(t->s, "st", GRAPH_ENTITIES, entity(key, "t_c"), &err);
    }
    return NULL;
}

static void test_concurrent_adds(void **state)
{
    (void)state;
    rec_sink rs = {0};
    graph_sink sink = {.ctx = &rs, .write_chunk = rec_write};
    err_info err = {0};
    graph_store *s = graph_store_new(&sink, NULL, &err);
    pthread_t th[4];
    thr t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (thr){s, i};
        pthread_create(&th[i], NULL, adder, &t[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    graph_store_flush(s, NULL, &err);
    graph_store_stats st;
    graph_store_get_stats(s, &st);
    assert_int_equal(st.entities, 2000);
    assert_int_equal(st.duplicates, 6000);
    assert_int_equal(rs.objects, 2000);
    graph_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_rules_ids),
        cmocka_unit_test(test_duplicates_and_case),
        cmocka_unit_test(test_case_fold_bytes),
        cmocka_unit_test(test_spill_iterate_and_chunks),
        cmocka_unit_test(test_spill_leaves_nothing),
        cmocka_unit_test(test_sink_failure),
        cmocka_unit_test(test_concurrent_adds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
