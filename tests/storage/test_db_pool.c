/* db_pool: reconnect after the server drops connections, checkout timeout,
 * unreachable server, SQLSTATE mapping. */
#include "storage/db_pool.h"
#include "testdb.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

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

static void kill_pool_backends(const char *url)
{
    char *v = testdb_query(url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                " WHERE application_name = 'ai-test-pool'");
    assert_non_null(v);
    assert_true(atoi(v) >= 1);
    free(v);
}

static void test_reconnect(void **state)
{
    const char *url = *state;
    err_info e = {0};
    db_pool_options o = {.url = url, .size = 2, .application_name = "ai-test-pool"};
    db_pool *p = db_pool_new(&o, &e);
    assert_non_null(p);
    assert_int_equal(db_pool_ping(p, &e), 0);
    kill_pool_backends(url);
    /* idempotent statement: retried once on a fresh connection */
    assert_int_equal(db_pool_ping(p, &e), 0);

    /* non-idempotent: the first call reports the loss, the next one works */
    db_conn *c = db_pool_checkout(p, &e);
    assert_non_null(c);
    assert_int_equal(db_exec_cmd(c, "CREATE TABLE t (x int)", 0, NULL, &e), 0);
    db_pool_checkin(p, c);
    kill_pool_backends(url);
    c = db_pool_checkout(p, &e);
    const char *params[] = {"1"};
    int rc = db_exec_cmd(c, "INSERT INTO t VALUES ($1::int)", 1, params, &e);
    if (rc != 0) {
        assert_int_equal(e.kind, ERR_DATABASE);
        assert_true(e.hint[0] != 0);
    }
    db_pool_checkin(p, c);
    c = db_pool_checkout(p, &e);
    assert_non_null(c);
    assert_int_equal(db_exec_cmd(c, "INSERT INTO t VALUES ($1::int)", 1, params, &e), 0);
    /* unique violation maps to ERR_CONFLICT with the SQLSTATE */
    assert_int_equal(db_exec_cmd(c, "CREATE UNIQUE INDEX ON t (x)", 0, NULL, &e), 0);
    assert_int_equal(db_exec_cmd(c, "INSERT INTO t VALUES ($1::int)", 1, params, &e), -1);
    assert_int_equal(e.kind, ERR_CONFLICT);
    assert_string_equal(db_last_sqlstate(c), "23505");
    /* a transaction left open is rolled back at checkin */
    assert_int_equal(db_begin(c, &e), 0);
    assert_int_equal(db_exec_cmd(c, "DELETE FROM t", 0, NULL, &e), 0);
    db_pool_checkin(p, c);
    char *v = testdb_query(url, "SELECT count(*) FROM t");
    assert_string_equal(v, "1");
    free(v);
    db_pool_free(p);
}

static void test_checkout_timeout(void **state)
{
    const char *url = *state;
    err_info e = {0};
    db_pool_options o = {.url = url, .size = 1, .checkout_timeout_ms = 200};
    db_pool *p = db_pool_new(&o, &e);
    db_conn *c = db_pool_checkout(p, &e);
    assert_non_null(c);
    assert_null(db_pool_checkout(p, &e));
    assert_int_equal(e.kind, ERR_DATABASE);
    assert_non_null(strstr(e.message, "no free database connection"));
    db_pool_checkin(p, c);
    assert_int_equal(db_pool_ping(p, &e), 0);
    db_pool_free(p);
}

static void test_statement_timeout(void **state)
{
    const char *url = *state;
    err_info e = {0};
    db_pool_options o = {.url = url, .size = 1, .statement_timeout_ms = 100};
    db_pool *p = db_pool_new(&o, &e);
    db_conn *c = db_pool_checkout(p, &e);
    assert_int_equal(db_exec_cmd(c, "SELECT pg_sleep(2)", 0, NULL, &e), -1);
    assert_string_equal(db_last_sqlstate(c), "57014");
    assert_non_null(strstr(e.hint, "statement_timeout"));
    db_pool_checkin(p, c);
    db_pool_free(p);
}

static void test_unreachable(void **state)
{
    (void)state;
    err_info e = {0};
    assert_null(db_pool_new(&(db_pool_options){.url = ""}, &e));
    assert_int_equal(e.kind, ERR_INVALID);
    db_pool_options o = {.url = "postgresql://nobody:pw-secret@127.0.0.1:1/x", .connect_timeout_s = 2};
    db_pool *p = db_pool_new(&o, &e);
    assert_non_null(p);
    assert_int_equal(db_pool_ping(p, &e), -1);
    assert_int_equal(e.kind, ERR_DATABASE);
    assert_non_null(strstr(e.hint, "DATABASE_URL"));
    assert_null(strstr(e.message, "pw-secret"));
    db_pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkout_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_timeout, setup, teardown),
        cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
