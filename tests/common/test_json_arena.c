/*
 * json_arena: cJSON trees built in arenas and scopes.
 */
#include "common/json.h"
#include "common/json_arena.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif

static const char page_text[] =
    "{\"value\":[{\"id\":\"/subscriptions/1/vm/a\",\"name\":\"a\",\"tags\":{\"env\":\"prod\"}},"
    "{\"id\":\"/subscriptions/1/vm/b\",\"name\":\"b\",\"n\":[1,2,3]}],\"nextLink\":null}";

/* Every node and string of a tree, checked with pred. */
static bool all_nodes(const cJSON *t, bool (*pred)(const void *))
{
    for (; t; t = t->next) {
        if (!pred(t) || (t->valuestring && !pred(t->valuestring)) ||
            (t->string && !pred(t->string)) || !all_nodes(t->child, pred))
            return false;
    }
    return true;
}

static bool in_arena(const void *p) { return json_arena_contains(p); }
static bool not_in_arena(const void *p) { return !json_arena_contains(p); }

static void test_parse_in_arena(void **state)
{
    (void)state;
    json_init();
    json_arena *a = json_arena_new();
    assert_non_null(a);
    json_arena *prev = json_arena_enter(a);
    cJSON *page = json_parse_len(page_text, strlen(page_text));
    json_arena_leave(prev);
    assert_non_null(page);
    assert_true(all_nodes(page, in_arena));
    assert_true(json_arena_used(a) > 0);
    /* the tree reads as parsed, and prints the same as a malloc parse */
    cJSON *plain = json_parse_len(page_text, strlen(page_text));
    assert_true(all_nodes(plain, not_in_arena));
    char *x = json_print(page), *y = json_print(plain);
    assert_string_equal(x, y);
    assert_false(json_arena_contains(x)); /* json_print never uses the arena */
    free(x);
    free(y);
    cJSON_Delete(plain);
    cJSON_Delete(page); /* frees of arena nodes are no-ops */
    json_arena_free(a);
}

static void test_scopes_nest(void **state)
{
    (void)state;
    json_init();
    json_arena *t = json_arena_thread();
    assert_non_null(t);
    size_t base = json_arena_used(t);
    json_scope outer;
    json_scope_begin(&outer);
    cJSON *kept = cJSON_CreateObject();
    cJSON_AddStringToObject(kept, "name", "outer");
    assert_true(json_arena_contains(kept));
    size_t after_outer = json_arena_used(t);
    {
        json_scope inner;
        json_scope_begin(&inner);
        cJSON *tmp = cJSON_CreateArray();
        for (int i = 0; i < 5000; i++) /* several blocks */
            cJSON_AddItemToArray(tmp, cJSON_CreateString("a string that fills the arena"));
        assert_true(json_arena_contains(tmp));
        assert_true(json_arena_used(t) > after_outer + 64 * 1024);
        cJSON_Delete(tmp);
        json_scope_end(&inner);
    }
    /* the inner scope is forgotten, the outer tree is intact */
    assert_int_equal(json_arena_used(t), after_outer);
    assert_string_equal(cJSON_GetObjectItem(kept, "name")->valuestring, "outer");
    /* a suspended scope allocates with malloc */
    json_arena *prev = json_arena_enter(NULL);
    cJSON *heap = cJSON_CreateString("heap");
    json_arena_leave(prev);
    assert_false(json_arena_contains(heap));
    cJSON_AddItemToObject(kept, "heap", heap); /* freed by the Delete walk */
    cJSON_Delete(kept);
    json_scope_end(&outer);
    assert_int_equal(json_arena_used(t), base);
    /* outside any scope: malloc */
    cJSON *o = cJSON_CreateObject();
    assert_false(json_arena_contains(o));
    cJSON_Delete(o);
}

static void test_big_values_use_malloc(void **state)
{
    (void)state;
    json_init();
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = 0;
    json_scope s;
    json_scope_begin(&s);
    cJSON *o = cJSON_CreateObject();
    cJSON *v = cJSON_AddStringToObject(o, "big", big);
    assert_non_null(v);
    assert_true(json_arena_contains(o));
    assert_false(json_arena_contains(v->valuestring)); /* too large for a block */
    assert_int_equal(strlen(v->valuestring), n);
    cJSON_Delete(o); /* frees the big string (LeakSanitizer checks) */
    json_scope_end(&s);
    free(big);
}

static void test_detach(void **state)
{
    (void)state;
    json_init();
    json_scope s;
    json_scope_begin(&s);
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "k", "v");
    cJSON *kept = json_arena_detach(t);
    json_scope_end(&s);
    assert_non_null(kept);
    assert_true(all_nodes(kept, not_in_arena));
    assert_string_equal(cJSON_GetObjectItem(kept, "k")->valuestring, "v");
    assert_ptr_equal(json_arena_detach(kept), kept); /* already malloc: as is */
    cJSON_Delete(kept);
    assert_null(json_arena_detach(NULL));
}

typedef struct handoff {
    cJSON *page;
    json_arena *arena;
} handoff;

static void *parse_on_thread(void *arg)
{
    handoff *h = arg;
    h->arena = json_arena_new();
    json_arena *prev = json_arena_enter(h->arena);
    h->page = json_parse_len(page_text, strlen(page_text));
    json_arena_leave(prev);
    return NULL;
}

static void test_arena_crosses_threads(void **state)
{
    (void)state;
    json_init();
    handoff h = {0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, parse_on_thread, &h), 0);
    pthread_join(th, NULL);
    assert_non_null(h.page);
    const cJSON *v = cJSON_GetObjectItem(h.page, "value");
    assert_int_equal(cJSON_GetArraySize(v), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(v, 1), "name")->valuestring, "b");
    cJSON_Delete(h.page);
    json_arena_free(h.arena);
}

static void test_released_memory_is_poisoned(void **state)
{
    (void)state;
#ifdef HAVE_ASAN
    json_init();
    json_scope s;
    json_scope_begin(&s);
    cJSON *o = cJSON_CreateString("gone after the scope");
    assert_true(json_arena_contains(o));
    assert_false(__asan_address_is_poisoned(o));
    json_scope_end(&s);
    assert_true(__asan_address_is_poisoned(o)); /* a use would be reported */
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_in_arena),
        cmocka_unit_test(test_scopes_nest),
        cmocka_unit_test(test_big_values_use_malloc),
        cmocka_unit_test(test_detach),
        cmocka_unit_test(test_arena_crosses_threads),
        cmocka_unit_test(test_released_memory_is_poisoned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
