/*
 * db_pool: fixed slots of lazily opened PGconn, one mutex + condvar.
 *
 * Trade-offs: connections are opened on first use and on demand after a
 * failure rather than eagerly, so the service starts (and /healthz answers)
 * while PostgreSQL is down; a broken connection is detected from libpq's
 * status after a failed statement, closed, and reopened by the next
 * statement or checkout.  Only statements the caller marks idempotent are
 * re-run after a broken connection, and never inside a transaction (the
 * transaction's earlier statements died with the connection).
 */
#include "storage/db_pool.h"

#include "common/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct db_conn {
    db_pool *pool;
    PGconn *pg;
    bool in_use;
    bool in_tx;
    char sqlstate[6];
};

struct db_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *url;
    char *app_name;
    int size;
    int checkout_timeout_ms;
    int statement_timeout_ms;
    int connect_timeout_s;
    db_conn *slots;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

db_pool *db_pool_new(const db_pool_options *opts, err_info *err)
{
    if (!opts || !opts->url || !opts->url[0]) {
        err_set(err, ERR_INVALID, "DATABASE_URL is not set");
        err_hint(err, "set DATABASE_URL to a libpq connection string, e.g. postgresql://user@host/db");
        return NULL;
    }
    if (opts->size < 0 || opts->size > 256 || opts->checkout_timeout_ms < 0 ||
        opts->statement_timeout_ms < 0 || opts->connect_timeout_s < 0) {
        err_set(err, ERR_INVALID, "database pool options out of range");
        return NULL;
    }
    db_pool *p = calloc(1, sizeof *p);
    if (!p)
        goto nomem;
    p->size = opts->size ? opts->size : 8;
    p->checkout_timeout_ms = opts->checkout_timeout_ms ? opts->checkout_timeout_ms : 5000;
    p->statement_timeout_ms = opts->statement_timeout_ms ? opts->statement_timeout_ms : 30000;
    p->connect_timeout_s = opts->connect_timeout_s ? opts->connect_timeout_s : 5;
    p->url = dup_str(opts->url);
    p->app_name = dup_str(opts->application_name ? opts->application_name : "azure-integration");
    p->slots = calloc((size_t)p->size, sizeof *p->slots);
    if (!p->url || !p->app_name || !p->slots)
        goto nomem;
    for (int i = 0; i < p->size; i++)
        p->slots[i].pool = p;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    return p;
nomem:
    if (p) {
        free(p->url);
        free(p->app_name);
        free(p->slots);
        free(p);
    }
    err_set(err, ERR_NOMEM, "out of memory creating the database pool");
    return NULL;
}

void db_pool_free(db_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->size; i++)
        if (p->slots[i].pg)
            PQfinish(p->slots[i].pg);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->slots);
    free(p->url);
    free(p->app_name);
    free(p);
}

int db_pool_size(const db_pool *p) { return p->size; }

/* Server notices (e.g. "relation ... already exists, skipping") become
 * debug JSON log lines instead of libpq's plain text on stderr. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", message ? message : "");
    msg[strcspn(msg, "\n")] = 0;
    log_kv(LOG_DEBUG, "PostgreSQL notice", "notice", msg, NULL);
}

static int conn_open(db_conn *c, err_info *err)
{
    db_pool *p = c->pool;
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
        return 0;
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    char ct[16], opt[64];
    snprintf(ct, sizeof ct, "%d", p->connect_timeout_s);
    snprintf(opt, sizeof opt, "-c statement_timeout=%d", p->statement_timeout_ms);
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "options", NULL};
    const char *vals[] = {p->url, ct, p->app_name, opt, NULL};
    c->pg = PQconnectdbParams(keys, vals, 1); /* expand_dbname: url may be a URI */
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        /* libpq's message names host/port, never the password. */
        char msg[256] = "out of memory";
        if (c->pg) {
            snprintf(msg, sizeof msg, "%s", PQerrorMessage(c->pg));
            msg[strcspn(msg, "\n")] = 0;
            PQfinish(c->pg);
            c->pg = NULL;
        }
        err_set(err, ERR_DATABASE, "cannot connect to PostgreSQL: %s", msg);
        err_hint(err, "check DATABASE_URL and that the database server is running and reachable");
        return -1;
    }
    PQsetNoticeProcessor(c->pg, on_notice, NULL);
    c->in_tx = false;
    return 0;
}

db_conn *db_pool_checkout(db_pool *p, err_info *err)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += p->checkout_timeout_ms / 1000;
    dl.tv_nsec += (long)(p->checkout_timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    db_conn *c = NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        /* prefer a slot with an open connection */
        for (int i = 0; i < p->size && !c; i++)
            if (!p->slots[i].in_use && p->slots[i].pg)
                c = &p->slots[i];
        for (int i = 0; i < p->size && !c; i++)
            if (!p->slots[i].in_use)
                c = &p->slots[i];
        if (c)
            break;
        if (pthread_cond_timedwait(&p->cv, &p->mu, &dl) != 0) {
            pthread_mutex_unlock(&p->mu);
            err_set(err, ERR_DATABASE, "no free database connection within %d ms",
                    p->checkout_timeout_ms);
            err_hint(err, "the database is slow or the pool (%d connections) is too small", p->size);
            return NULL;
        }
    }
    c->in_use = true;
    pthread_mutex_unlock(&p->mu);
    c->sqlstate[0] = 0;
    if (conn_open(c, err) != 0) {
        db_pool_checkin(p, c);
        return NULL;
    }
    return c;
}

void db_pool_checkin(db_pool *p, db_conn *c)
{
    if (!c)
        return;
    if (c->pg && PQstatus(c->pg) != CONNECTION_OK) {
        PQfinish(c->pg);
        c->pg = NULL;
    } else if (c->pg && (c->in_tx || PQtransactionStatus(c->pg) != PQTRANS_IDLE)) {
        PGresult *r = PQexec(c->pg, "ROLLBACK");
        PQclear(r);
        if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
            PQfinish(c->pg);
            c->pg = NULL;
        }
    }
    c->in_tx = false;
    pthread_mutex_lock(&p->mu);
    c->in_use = false;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

PGconn *db_conn_pg(db_conn *c) { return c->pg; }

const char *db_last_sqlstate(const db_conn *c) { return c->sqlstate; }

static PGresult *exec_once(db_conn *c, const char *sql, int n, const char *const *params,
                           bool *broken, err_info *err)
{
    *broken = false;
    if (!c->pg) {
        *broken = true;
        return err_set(err, ERR_DATABASE, "database connection lost"), NULL;
    }
    PGresult *r = PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    char msg[300];
    snprintf(msg, sizeof msg, "%s",
             r && PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                 ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                 : PQerrorMessage(c->pg));
    msg[strcspn(msg, "\n")] = 0;
    PQclear(r);
    state = c->sqlstate; /* the result is freed */
    if (PQstatus(c->pg) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
        strcmp(state, "57P01") == 0) {
        *broken = true;
        PQfinish(c->pg);
        c->pg = NULL;
        err_set(err, ERR_DATABASE, "database connection lost: %s", msg);
        err_hint(err, "PostgreSQL restarted or the network dropped; the next request reconnects");
        return NULL;
    }
    err_set(err, strcmp(c->sqlstate, "23505") == 0 ? ERR_CONFLICT : ERR_DATABASE,
            "database statement failed (SQLSTATE %s): %s", c->sqlstate, msg);
    if (strcmp(c->sqlstate, "57014") == 0)
        err_hint(err, "the statement exceeded statement_timeout; check database load");
    else
        err_hint(err, "check the database server's log");
    return NULL;
}

PGresult *db_exec(db_conn *c, const char *sql, int n, const char *const *params, bool idempotent,
                  err_info *err)
{
    bool broken;
    bool was_tx = c->in_tx;
    PGresult *r = exec_once(c, sql, n, params, &broken, err);
    if (r || !broken)
        return r;
    c->in_tx = false;
    if (!idempotent || was_tx)
        return NULL;
    log_kv(LOG_WARN, "database connection lost; reconnecting and retrying once", NULL);
    if (conn_open(c, err) != 0)
        return NULL;
    return exec_once(c, sql, n, params, &broken, err);
}

int db_exec_cmd(db_conn *c, const char *sql, int n, const char *const *params, err_info *err)
{
    PGresult *r = db_exec(c, sql, n, params, false, err);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

int db_begin(db_conn *c, err_info *err)
{
    if (!c->pg && conn_open(c, err) != 0)
        return -1;
    PGresult *r = db_exec(c, "BEGIN", 0, NULL, true, err);
    if (!r)
        return -1;
    PQclear(r);
    c->in_tx = true;
    return 0;
}

int db_commit(db_conn *c, err_info *err)
{
    int rc = db_exec_cmd(c, "COMMIT", 0, NULL, err);
    c->in_tx = false;
    return rc;
}

void db_rollback(db_conn *c)
{
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK) {
        PGresult *r = PQexec(c->pg, "ROLLBACK");
        PQclear(r);
    }
    c->in_tx = false;
}

int db_pool_ping(db_pool *p, err_info *err)
{
    db_conn *c = db_pool_checkout(p, err);
    if (!c)
        return -1;
    PGresult *r = db_exec(c, "SELECT 1", 0, NULL, true, err);
    db_pool_checkin(p, c);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}
