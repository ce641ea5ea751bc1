/*
 * migrations: apply embedded SQL files in order under an advisory lock.
 *
 * The lock is a session-level pg_advisory_lock taken on one connection that
 * also runs every migration (each in its own transaction), so the lock is
 * held across all of them and released when the run ends, even on error.
 * Each migration's transaction takes it again as a transaction lock and
 * re-checks schema_migrations, so a run whose connection was re-opened
 * (losing the session lock) still applies nothing twice.
 * Migration SQL is run with PQexec (simple query protocol, so one file may
 * hold several statements); it is compiled-in text, never caller data.
 * Bookkeeping statements are parameterized.
 */
#include "storage/migrations.h"

#include "common/log.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Arbitrary constant: "azure-integration migrations". */
#define MIGRATIONS_LOCK_KEY "7302117443920156001"

static const char CREATE_TABLE[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static void sha256_hex(const char *text, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int run_script(db_conn *c, const char *sql, const char *name, err_info *err)
{
    PGresult *r = PQexec(db_conn_pg(c), sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
        PQclear(r);
        return 0;
    }
    char msg[300];
    const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    snprintf(msg, sizeof msg, "%s", m ? m : PQerrorMessage(db_conn_pg(c)));
    msg[strcspn(msg, "\n")] = 0;
    PQclear(r);
    err_set(err, ERR_DATABASE, "migration %s failed: %s", name, msg);
    return err_hint(err, "fix the database state or the migration (if it was never applied anywhere) and run migrate again");
}

/* Loads applied versions/checksums and verifies them against list.
 * *done[i] = 1 when list[i] is applied. */
static int check_applied(db_conn *c, const migration *list, size_t count, char *done,
                         err_info *err)
{
    PGresult *r = db_exec(c, "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
                          0, NULL, true, err);
    if (!r)
        return -1;
    int rc = 0;
    for (int row = 0; row < PQntuples(r) && rc == 0; row++) {
        int v = atoi(PQgetvalue(r, row, 0));
        size_t i = 0;
        while (i < count && list[i].version != v)
            i++;
        if (i == count) {
            err_set(err, ERR_CONFLICT,
                    "the database has migration %d (%s) applied, which this binary does not know",
                    v, PQgetvalue(r, row, 1));
            err_hint(err, "the database was migrated by a newer version; deploy that version or newer");
            rc = -1;
            break;
        }
        char sum[65];
        sha256_hex(list[i].sql, sum);
        if (strcmp(sum, PQgetvalue(r, row, 2)) != 0) {
            err_set(err, ERR_CONFLICT,
                    "migration %s was edited after it was applied (checksum %.12s... in the database, %.12s... in the file)",
                    list[i].name, PQgetvalue(r, row, 2), sum);
            err_hint(err, "never edit an applied migration: restore migrations/%s and add a new numbered migration for the change",
                     list[i].name);
            rc = -1;
            break;
        }
        done[i] = 1;
    }
    PQclear(r);
    return rc;
}

int migrations_apply_list(db_pool *pool, const migration *list, size_t count, int *applied,
                          err_info *err)
{
    if (applied)
        *applied = 0;
    for (size_t i = 1; i < count; i++)
        if (list[i].version <= list[i - 1].version)
            return err_set(err, ERR_INTERNAL, "migrations out of order at %s", list[i].name);
    char *done = calloc(count ? count : 1, 1);
    if (!done)
        return err_set(err, ERR_NOMEM, "out of memory");
    int rc = -1;
    bool locked = false;
    db_conn *c = db_pool_checkout(pool, err);
    if (!c)
        goto done;
    /* migrations and waiting for another replica's run may take longer than
     * the pool's statement_timeout; RESET at the end restores it */
    if (db_exec_cmd(c, "SET statement_timeout = 0", 0, NULL, err) != 0)
        goto done;
    const char *lock_params[] = {MIGRATIONS_LOCK_KEY};
    PGresult *r = db_exec(c, "SELECT pg_advisory_lock($1::bigint)", 1, lock_params, false, err);
    if (!r)
        goto done;
    PQclear(r);
    locked = true;
    if (db_exec_cmd(c, CREATE_TABLE, 0, NULL, err) != 0)
        goto done;
    if (check_applied(c, list, count, done, err) != 0)
        goto done;
    for (size_t i = 0; i < count; i++) {
        if (done[i])
            continue;
        char sum[65], ver[16];
        sha256_hex(list[i].sql, sum);
        snprintf(ver, sizeof ver, "%d", list[i].version);
        if (db_begin(c, err) != 0)
            goto done;
        /* The session lock is gone when the pool had to re-open the
         * connection since it was taken (idempotent statements are retried
         * on a fresh one), and another replica may be migrating now: each
         * migration also takes the lock for its transaction (a no-op while
         * the session holds it) and is skipped when it was applied since. */
        const char *vp[] = {MIGRATIONS_LOCK_KEY, ver};
        bool applied_since = false;
        if (db_exec_cmd(c, "SELECT pg_advisory_xact_lock($1::bigint)", 1, vp, err) != 0 ||
            !(r = db_exec(c, "SELECT 1 FROM schema_migrations WHERE version = $1::int", 1, vp + 1,
                          false, err))) {
            db_rollback(c);
            goto done;
        }
        applied_since = PQntuples(r) > 0;
        PQclear(r);
        if (applied_since) {
            db_rollback(c);
            continue;
        }
        if (run_script(c, list[i].sql, list[i].name, err) != 0) {
            db_rollback(c);
            goto done;
        }
        const char *p[] = {ver, list[i].name, sum};
        if (db_exec_cmd(c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1::int, $2, $3)",
                        3, p, err) != 0 ||
            db_commit(c, err) != 0) {
            db_rollback(c);
            err_prefix(err, "recording migration %s", list[i].name);
            goto done;
        }
        log_kv(LOG_INFO, "migration applied", "migration", list[i].name, NULL);
        if (applied)
            (*applied)++;
    }
    rc = 0;
done:
    if (c && locked) {
        err_info ignore = {0};
        const char *p[] = {MIGRATIONS_LOCK_KEY};
        PGresult *u = db_exec(c, "SELECT pg_advisory_unlock($1::bigint)", 1, p, false, &ignore);
        PQclear(u);
    }
    if (c) {
        err_info ignore = {0};
        db_exec_cmd(c, "RESET statement_timeout", 0, NULL, &ignore);
    }
    db_pool_checkin(pool, c);
    free(done);
    return rc;
}

int migrations_apply(db_pool *pool, int *applied, err_info *err)
{
    size_t n;
    const migration *list = migrations_builtin(&n);
    return migrations_apply_list(pool, list, n, applied, err);
}

int migrations_pending(db_pool *pool, err_info *err)
{
    size_t n;
    const migration *list = migrations_builtin(&n);
    db_conn *c = db_pool_checkout(pool, err);
    if (!c)
        return -1;
    int pending = -1;
    PGresult *r = db_exec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL, true, err);
    if (!r)
        goto done;
    bool exists = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!exists) {
        pending = (int)n;
        goto done;
    }
    r = db_exec(c, "SELECT version FROM schema_migrations", 0, NULL, true, err);
    if (!r)
        goto done;
    pending = 0;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (int row = 0; row < PQntuples(r) && !found; row++)
            found = atoi(PQgetvalue(r, row, 0)) == list[i].version;
        if (!found)
            pending++;
    }
    PQclear(r);
done:
    db_pool_checkin(pool, c);
    return pending;
}
