/* migrations: order, one transaction each, checksum refusal, concurrent runs. */
#include "storage/migrations.h"
#include "testdb.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

typedef struct lone_run {
    db_pool *pool;
    const migration *list;
    int applied;
    int rc;
    atomic_bool done;
} lone_run;

static void *lone_apply(void *arg)
{
    lone_run *r = arg;
    err_info e = {0};
    r->rc = migrations_apply_list(r->pool, r->list, 1, &r->applied, &e);
    atomic_store(&r->done, true);
    return NULL;
}

/* pid of the pool's backend waiting for a lock in a statement starting with
 * `query` (not `other`), or 0 after 10 s */
static int waiting_backend(const char *url, const char *query, int other)
{
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT coalesce(max(pid), 0) FROM pg_stat_activity"
             " WHERE application_name = 'ai-test-migrate' AND wait_event_type = 'Lock'"
             " AND query LIKE '%s%%' AND pid <> %d", query, other);
    for (int i = 0; i < 1000; i++) {
        char *v = q(url, sql);
        int pid = atoi(v);
        free(v);
        if (pid)
            return pid;
        usleep(10 * 1000);
    }
    return 0;
}

static void pg_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    assert_true(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
    PQclear(r);
}

/* The run's connection drops after it took the lock and the pool reconnects
 * (an idempotent read is retried on a fresh connection, which does not hold
 * the session's advisory lock).  Another replica that takes the lock then
 * must still be the only one applying: the first run waits and finds the
 * migration applied instead of applying it a second time. */
static void test_lock_lost_on_reconnect(void **state)
{
    const char *url = *state;
    err_info e = {0};
    db_pool_options o = {.url = url, .size = 1, .application_name = "ai-test-migrate"};
    db_pool *p = db_pool_new(&o, &e);
    assert_non_null(p);
    assert_int_equal(migrations_apply_list(p, LIST, 0, NULL, &e), 0); /* schema_migrations */
    static const migration one[1] = {{1, "0001_a.sql", "CREATE TABLE a (x int);"}};
    PGconn *other = PQconnectdb(url);
    assert_int_equal(PQstatus(other), CONNECTION_OK);
    /* hold the run up in its read of the applied versions, then drop its
     * connection there */
    pg_ok(other, "BEGIN; LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE");
    lone_run run = {.pool = p, .list = one};
    pthread_t t;
    pthread_create(&t, NULL, lone_apply, &run);
    int pid = waiting_backend(url, "SELECT version", 0);
    assert_true(pid > 0);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", pid);
    free(q(url, sql));
    assert_true(waiting_backend(url, "SELECT version", pid) > 0); /* retried, reconnected */
    /* another replica takes the migration lock (free: it died with the
     * connection) and lets the first run go on while it migrates */
    pg_ok(other, "SELECT pg_advisory_lock(7302117443920156001)");
    pg_ok(other, "COMMIT");
    usleep(500 * 1000);
    assert_false(atomic_load(&run.done));
    expect(url, "SELECT count(*) FROM schema_migrations", "0");
    pg_ok(other, "BEGIN; CREATE TABLE a (x int);"
                 " INSERT INTO schema_migrations (version, name, checksum) VALUES (1, '0001_a.sql',"
                 "  encode(sha256(convert_to('CREATE TABLE a (x int);', 'UTF8')), 'hex')); COMMIT;"
                 " SELECT pg_advisory_unlock(7302117443920156001)");
    pthread_join(t, NULL);
    assert_int_equal(run.rc, 0);
    assert_int_equal(run.applied, 0);
    expect(url, "SELECT count(*) FROM schema_migrations", "1");
    PQfinish(other);
    db_pool_free(p);
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
        cmocka_unit_test_setup_teardown(test_lock_lost_on_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_migration, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
