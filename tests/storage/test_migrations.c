/* migrations: order, one transaction each, checksum refusal, concurrent runs. */
#include "storage/migrations.h"
#include "testdb.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static db_pool *pool_for(const char *url)
{
    err_info e = {0};
    db_pool_options o = {.url = url, .size = 2};
    db_pool *p = db_pool_new(&o, &e);
    assert_non_null(p);
    return p;
}

static int setup(void **state)
{
    char *url = testdb_create();
    *state = url;
    return url ? 0 : -1;
}

static int teardown(void **state)
{
    testdb_drop(*state);
    return 0;
}

static char *q(const char *url, const char *sql)
{
    char *v = testdb_query(url, sql);
    assert_non_null(v);
    return v;
}

static void expect(const char *url, const char *sql, const char *want)
{
    char *v = q(url, sql);
    assert_string_equal(v, want);
    free(v);
}

static void test_builtin(void **state)
{
    const char *url = *state;
    db_pool *p = pool_for(url);
    err_info e = {0};
    size_t n;
    migrations_builtin(&n);
    assert_true(n >= 1);
    assert_int_equal(migrations_pending(p, &e), (int)n);
    int applied = -1;
    assert_int_equal(migrations_apply(p, &applied, &e), 0);
    assert_int_equal(applied, (int)n);
    assert_int_equal(migrations_pending(p, &e), 0);
    assert_int_equal(migrations_apply(p, &applied, &e), 0);
    assert_int_equal(applied, 0);
    expect(url, "SELECT to_regclass('jobs') IS NOT NULL", "t");
    expect(url, "SELECT length(checksum) FROM schema_migrations WHERE version = 1", "64");
    db_pool_free(p);
}

static const migration LIST[] = {
    {1, "0001_a.sql", "CREATE TABLE a (x int); SELECT pg_sleep(0.2);"},
    {2, "0002_b.sql", "INSERT INTO a VALUES (1); CREATE TABLE b (y int);"},
};

static void test_order_and_failure(void **state)
{
    const char *url = *state;
    db_pool *p = pool_for(url);
    err_info e = {0};
    migration bad[3] = {LIST[0], LIST[1], {3, "0003_bad.sql", "CREATE TABLE c (z int); SELEKT;"}};
    int applied = 0;
    assert_int_equal(migrations_apply_list(p, bad, 3, &applied, &e), -1);
    assert_int_equal(applied, 2);
    assert_int_equal(e.kind, ERR_DATABASE);
    assert_non_null(strstr(e.message, "0003_bad.sql"));
    expect(url, "SELECT string_agg(name, ',' ORDER BY applied_at, version) FROM schema_migrations",
           "0001_a.sql,0002_b.sql");
    expect(url, "SELECT count(*) FROM a", "1");
    expect(url, "SELECT to_regclass('c') IS NULL", "t"); /* rolled back */
    /* out of order input is a bug */
    migration rev[2] = {LIST[1], LIST[0]};
    assert_int_equal(migrations_apply_list(p, rev, 2, NULL, &e), -1);
    db_pool_free(p);
}

static void test_checksum_refused(void **state)
{
    const char *url = *state;
    db_pool *p = pool_for(url);
    err_info e = {0};
    assert_int_equal(migrations_apply_list(p, LIST, 2, NULL, &e), 0);
    migration edited[2] = {LIST[0], {2, "0002_b.sql", "INSERT INTO a VALUES (2); CREATE TABLE b (y int);"}};
    assert_int_equal(migrations_apply_list(p, edited, 2, NULL, &e), -1);
    assert_int_equal(e.kind, ERR_CONFLICT);
    assert_non_null(strstr(e.message, "0002_b.sql"));
    assert_non_null(strstr(e.hint, "never edit an applied migration"));
    expect(url, "SELECT count(*) FROM a", "1");
    /* a database migrated by a newer binary */
    assert_int_equal(migrations_apply_list(p, LIST, 1, NULL, &e), -1);
    assert_non_null(strstr(e.message, "does not know"));
    db_pool_free(p);
}

typedef struct racer {
    const char *url;
    int applied;
    int rc;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    err_info e = {0};
    db_pool_options o = {.url = r->url, .size = 1};
    db_pool *p = db_pool_new(&o, &e);
    r->rc = migrations_apply_list(p, LIST, 2, &r->applied, &e);
    db_pool_free(p);
    return NULL;
}

static void test_concurrent(void **state)
{
    const char *url = *state;
    enum { N = 6 };
    racer r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        r[i] = (racer){.url = url};
        pthread_create(&t[i], NULL, race, &r[i]);
    }
    int total = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].rc, 0);
        total += r[i].applied;
    }
    assert_int_equal(total, 2);
    expect(url, "SELECT count(*) FROM schema_migrations", "2");
    expect(url, "SELECT count(*) FROM a", "1");
}

static void test_slow_migration(void **state)
{
    const char *url = *state;
    err_info e = {0};
    db_pool_options o = {.url = url, .size = 1, .statement_timeout_ms = 100};
    db_pool *p = db_pool_new(&o, &e);
    migration slow[1] = {{1, "0001_slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE s (x int);"}};
    assert_int_equal(migrations_apply_list(p, slow, 1, NULL, &e), 0);
    /* the pool's statement_timeout is back for ordinary statements */
    db_conn *c = db_pool_checkout(p, &e);
    PGresult *r = db_exec(c, "SHOW statement_timeout", 0, NULL, false, &e);
    assert_non_null(r);
    assert_string_equal(PQgetvalue(r, 0, 0), "100ms");
    PQclear(r);
    db_pool_checkin(p, c);
    db_pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_builtin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_and_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checksum_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_migration, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
