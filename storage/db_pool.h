/*
 * db_pool: a small pool of libpq connections shared by the HTTP handlers and
 * the workers.
 *
 * Design: a fixed number of slots (DB pool size), each holding at most one
 * PGconn, guarded by one mutex and a condition variable.  db_pool_checkout
 * waits up to a timeout for a free slot; a slot's connection is opened lazily
 * and reset when libpq reports CONNECTION_BAD, so the pool recovers by itself
 * after PostgreSQL restarts.  Every connection sets statement_timeout and
 * application_name at connect time.
 *
 * Only parameterized statements are offered (PQexecParams, text parameters):
 * SQL text never contains caller data.  db_exec() retries a statement once on
 * a fresh connection when the failure was a broken connection AND the caller
 * marked the statement idempotent (safe to run twice); otherwise the error is
 * returned (ERR_DATABASE, with a hint) and the caller decides.
 *
 * Thread safety: the pool is shared; a checked-out db_conn belongs to one
 * thread until it is checked in.
 */
#ifndef AI_STORAGE_DB_POOL_H
#define AI_STORAGE_DB_POOL_H

#include "common/error.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct db_pool db_pool;

typedef struct db_pool_options {
    const char *url;             /* DATABASE_URL (libpq conninfo or URI); required */
    int size;                    /* connections; 0 = 8 */
    int checkout_timeout_ms;     /* wait for a free connection; 0 = 5000 */
    int statement_timeout_ms;    /* per statement; 0 = 30000 */
    int connect_timeout_s;       /* libpq connect_timeout; 0 = 5 */
    const char *application_name;/* NULL = "azure-integration" */
} db_pool_options;

/* Creates the pool; does not connect yet (the first checkout does), so a
 * process can start while the database is down.  Returns NULL with err set
 * when the options are invalid.  The URL is copied; it is never logged. */
db_pool *db_pool_new(const db_pool_options *opts, err_info *err);
/* Closes every connection.  All connections must have been checked in. */
void db_pool_free(db_pool *pool);

/* A checked-out connection. */
typedef struct db_conn db_conn;

/* Waits for a free slot (up to checkout_timeout_ms), connects it if needed
 * (reconnecting a broken one).  Returns NULL with ERR_DATABASE on timeout or
 * when PostgreSQL is unreachable (hint: check DATABASE_URL / the server). */
db_conn *db_pool_checkout(db_pool *pool, err_info *err);
/* Returns the connection.  A connection left inside a transaction or broken
 * is rolled back / closed before reuse.  NULL is accepted. */
void db_pool_checkin(db_pool *pool, db_conn *conn);

/* The raw libpq connection, for code that needs COPY or LISTEN. */
PGconn *db_conn_pg(db_conn *conn);

/* Runs one parameterized statement (text parameters, values may be NULL for
 * SQL NULL).  Returns the result (PGRES_COMMAND_OK or PGRES_TUPLES_OK; the
 * caller PQclear()s it) or NULL with err set (ERR_DATABASE; ERR_CONFLICT when
 * SQLSTATE is a unique violation 23505; the SQLSTATE is available through
 * db_last_sqlstate()).  `idempotent`: when the connection was broken, the
 * statement is retried once on a fresh connection (never inside an open
 * transaction). */
PGresult *db_exec(db_conn *conn, const char *sql, int nparams, const char *const *params,
                  bool idempotent, err_info *err);

/* Convenience: runs a statement and discards its result.  0 or -1. */
int db_exec_cmd(db_conn *conn, const char *sql, int nparams, const char *const *params,
                err_info *err);

/* BEGIN / COMMIT / ROLLBACK.  rollback never fails (a broken connection is
 * simply reset at checkin). */
int db_begin(db_conn *conn, err_info *err);
int db_commit(db_conn *conn, err_info *err);
void db_rollback(db_conn *conn);

/* SQLSTATE of the last failed statement on this connection ("" if none). */
const char *db_last_sqlstate(const db_conn *conn);

/* Cheap liveness check for /readyz: checkout + "SELECT 1".  0 or -1. */
int db_pool_ping(db_pool *pool, err_info *err);

/* The pool's size (for tests and metrics). */
int db_pool_size(const db_pool *pool);

#endif
