/*
 * job_store: the queue and job status on top of db_pool (rules in the header).
 *
 * Concurrency is delegated to PostgreSQL: job_events' primary key makes
 * enqueue idempotent, the partial unique index "one queued job per instance"
 * makes coalescing race-free (INSERT ... ON CONFLICT DO NOTHING, then join the
 * existing queued job), "one running job per instance" stops two workers
 * from running one instance, and claim locks candidates with FOR UPDATE
 * SKIP LOCKED.  When a job goes back to the queue (retry, hand back) while a
 * newer queued job exists for its instance, the newer job does the same
 * work, so the old one ends (failed or cancelled, "superseded by").
 *
 * Config is serialized, encrypted with the job id as AAD and stored as
 * bytea (hex text parameter); the plaintext exists only inside enqueue
 * (wiped before return) and in the job_claimed handed to the worker.
 */
#include "storage/job_store.h"

#include "common/log.h"
#include "common/metrics.h"
#include "common/random.h"
#include "common/sbuf.h"

#include <ctype.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Retention purge: one batch per claim at most this often per process
 * (a backlog of 10,000 jobs goes in under two hours). */
#define JOB_PURGE_INTERVAL_MS (10 * 60 * 1000LL)
#define JOB_PURGE_BATCH 1000

struct job_store {
    db_pool *pool;
    const config_crypto *crypto;
    int max_attempts;
    int lease_seconds;
    int backoff_base_ms;
    int backoff_max_ms;
    atomic_llong last_sweep_ms;  /* sweep_expired runs at most once a second */
    atomic_llong last_purge_ms;  /* purge_finished at most every JOB_PURGE_INTERVAL_MS */
    int retention_days;
};

static const char *const STATUS_NAMES[6] = {"queued", "running", "succeeded",
                                            "partial", "failed", "cancelled"};

const char *job_store_status_name(int i)
{
    return i >= 0 && i < 6 ? STATUS_NAMES[i] : NULL;
}

static int status_index(const char *s)
{
    for (int i = 0; s && i < 6; i++)
        if (strcmp(s, STATUS_NAMES[i]) == 0)
            return i;
    return -1;
}

static bool is_uuid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

job_store *job_store_new(db_pool *pool, const config_crypto *crypto, const job_store_options *o,
                         err_info *err)
{
    job_store_options def = {0};
    if (!o)
        o = &def;
    if (!pool || !crypto || o->max_attempts < 0 || o->max_attempts > 100 || o->lease_seconds < 0 ||
        o->lease_seconds > 86400 || o->backoff_base_ms < 0 || o->backoff_max_ms < 0) {
        err_set(err, ERR_INVALID, "job store options out of range");
        err_hint(err, "JOB_MAX_ATTEMPTS must be 1..100 and JOB_LEASE_SECONDS 1..86400");
        return NULL;
    }
    job_store *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(err, ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->pool = pool;
    s->crypto = crypto;
    s->max_attempts = o->max_attempts ? o->max_attempts : 3;
    s->lease_seconds = o->lease_seconds ? o->lease_seconds : 60;
    s->backoff_base_ms = o->backoff_base_ms ? o->backoff_base_ms : 30000;
    s->backoff_max_ms = o->backoff_max_ms ? o->backoff_max_ms : 15 * 60 * 1000;
    s->retention_days = o->retention_days > 0 ? o->retention_days : 0;
    atomic_init(&s->last_sweep_ms, -1000000);
    atomic_init(&s->last_purge_ms, -JOB_PURGE_INTERVAL_MS);
    return s;
}

void job_store_free(job_store *s) { free(s); }

static char *dup_or_null(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return strdup(PQgetvalue(r, row, col));
}

/* ---- enqueue ---------------------------------------------------------- */

static int lookup_event(db_conn *c, const char *event_id, char job_id[37], bool *found,
                        err_info *err)
{
    const char *p[] = {event_id};
    PGresult *r = db_exec(c, "SELECT job_id FROM job_events WHERE event_id = $1", 1, p, true, err);
    if (!r)
        return -1;
    *found = PQntuples(r) == 1;
    if (*found)
        snprintf(job_id, 37, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

static char *hex_bytea(const uint8_t *b, size_t n)
{
    char *out = malloc(2 * n + 3);
    if (!out)
        return NULL;
    out[0] = '\\';
    out[1] = 'x';
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", b[i]);
    return out;
}

/* One attempt; *again = true when the queued job we tried to join vanished. */
static int enqueue_once(job_store *s, db_conn *c, const job_event *ev, const char *enc_hex,
                        const char *new_id, char job_id[37], job_enqueue_outcome *outcome,
                        bool *again, err_info *err)
{
    *again = false;
    char maxa[16];
    snprintf(maxa, sizeof maxa, "%d", s->max_attempts);
    if (db_begin(c, err) != 0)
        return -1;
    const char *ins[] = {new_id, ev->event_id, ev->account_id, ev->instance_id, ev->instance_name,
                         ev->instance_description, ev->j1_job_id, enc_hex, maxa};
    PGresult *r = db_exec(c,
        "INSERT INTO jobs (id, event_id, account_id, instance_id, instance_name,"
        " instance_description, j1_job_id, config_enc, max_attempts)"
        " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::bytea, $9::int)"
        " ON CONFLICT (instance_id) WHERE status = 'queued' DO NOTHING RETURNING id",
        9, ins, false, err);
    if (!r)
        goto fail;
    bool created = PQntuples(r) == 1;
    PQclear(r);
    if (created) {
        const char *p[] = {ev->event_id, new_id};
        r = db_exec(c, "INSERT INTO job_events (event_id, job_id) VALUES ($1, $2::uuid)"
                       " ON CONFLICT (event_id) DO NOTHING RETURNING job_id", 2, p, false, err);
        if (!r)
            goto fail;
        bool ok = PQntuples(r) == 1;
        PQclear(r);
        if (ok) {
            if (db_commit(c, err) != 0)
                return -1;
            snprintf(job_id, 37, "%s", new_id);
            *outcome = JOB_ENQUEUE_CREATED;
            return 0;
        }
    } else {
        const char *p[] = {ev->event_id, ev->instance_id};
        r = db_exec(c, "INSERT INTO job_events (event_id, job_id, coalesced)"
                       " SELECT $1, id, true FROM jobs WHERE instance_id = $2 AND status = 'queued'"
                       " ON CONFLICT (event_id) DO NOTHING RETURNING job_id", 2, p, false, err);
        if (!r)
            goto fail;
        bool ok = PQntuples(r) == 1;
        if (ok)
            snprintf(job_id, 37, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        if (ok) {
            if (db_commit(c, err) != 0)
                return -1;
            *outcome = JOB_ENQUEUE_COALESCED;
            return 0;
        }
    }
    /* The event id was taken concurrently, or the queued job was claimed
     * between our two statements. */
    db_rollback(c);
    bool found = false;
    if (lookup_event(c, ev->event_id, job_id, &found, err) != 0)
        return -1;
    if (found) {
        *outcome = JOB_ENQUEUE_DUPLICATE_EVENT;
        return 0;
    }
    *again = true;
    return 0;
fail:
    db_rollback(c);
    return -1;
}

int job_store_enqueue(job_store *s, const job_event *ev, char job_id[37],
                      job_enqueue_outcome *outcome, err_info *err)
{
    if (!ev || !ev->event_id || !ev->event_id[0] || strlen(ev->event_id) > 128 ||
        !ev->account_id || !ev->instance_id || !ev->instance_name || !ev->config)
        return err_set(err, ERR_INVALID, "event is missing a required field");
    int rc = -1;
    char *plain = NULL, *enc_hex = NULL;
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    char new_id[37];
    db_conn *c = db_pool_checkout(s->pool, err);
    if (!c)
        return -1;
    bool found = false;
    if (lookup_event(c, ev->event_id, job_id, &found, err) != 0)
        goto done;
    if (found) {
        *outcome = JOB_ENQUEUE_DUPLICATE_EVENT;
        rc = 0;
        goto done;
    }
    random_uuid(new_id);
    plain = cJSON_PrintUnformatted(ev->config);
    if (!plain) {
        err_set(err, ERR_NOMEM, "out of memory serializing config");
        goto done;
    }
    if (config_crypto_encrypt(s->crypto, plain, strlen(plain), new_id, &enc, &enc_len, err) != 0)
        goto done;
    enc_hex = hex_bytea(enc, enc_len);
    if (!enc_hex) {
        err_set(err, ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int tries = 0; tries < 5; tries++) {
        bool again = false;
        if (enqueue_once(s, c, ev, enc_hex, new_id, job_id, outcome, &again, err) != 0)
            goto done;
        if (!again) {
            rc = 0;
            goto done;
        }
    }
    err_set(err, ERR_DATABASE, "could not enqueue the event: the instance's queue kept changing");
    err_hint(err, "retry the request");
done:
    db_pool_checkin(s->pool, c);
    config_crypto_wipe_free(plain);
    free(enc);
    free(enc_hex);
    return rc;
}

/* ---- claim / lease ---------------------------------------------------- */

void job_store_claimed_free(job_claimed *j)
{
    if (!j)
        return;
    free(j->event_id);
    free(j->account_id);
    free(j->instance_id);
    free(j->instance_name);
    free(j->instance_description);
    free(j->j1_job_id);
    free(j->previous_sync_job_id);
    if (j->config) {
        /* wipe string values (clientSecret) before freeing */
        cJSON *it;
        cJSON_ArrayForEach(it, j->config)
            if (cJSON_IsString(it) && it->valuestring)
                config_crypto_wipe(it->valuestring, strlen(it->valuestring));
        cJSON_Delete(j->config);
    }
    free(j);
}

/* Ends jobs whose worker died and that cannot be taken again. */
static int sweep_expired(db_conn *c, err_info *err)
{
    if (db_exec_cmd(c,
            "UPDATE jobs SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'failed' END,"
            " error = CASE WHEN cancel_requested THEN error ELSE"
            "  'the worker running this job stopped responding on its last attempt (' || attempts ||"
            "  ' of ' || max_attempts || '); check the service logs for crashes' END,"
            " finished_at = now(), lease_owner = NULL, lease_expires_at = NULL"
            " WHERE status = 'running' AND lease_expires_at < now()"
            " AND (cancel_requested OR attempts >= max_attempts)", 0, NULL, err) != 0)
        return -1;
    return 0;
}

static int purge_on(db_conn *c, int retention_days, int limit, int *deleted, err_info *err)
{
    char days[16], lim[16];
    snprintf(days, sizeof days, "%d", retention_days);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {days, lim};
    PGresult *r = db_exec(c,
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs"
        " WHERE status IN ('succeeded', 'partial', 'failed', 'cancelled')"
        " AND finished_at < now() - make_interval(days => $1::int)"
        " ORDER BY finished_at LIMIT $2::int)", 2, p, true, err);
    if (!r)
        return -1;
    if (deleted)
        *deleted = atoi(PQcmdTuples(r));
    PQclear(r);
    return 0;
}

int job_store_purge_finished(job_store *s, int limit, int *deleted, err_info *err)
{
    if (deleted)
        *deleted = 0;
    if (s->retention_days <= 0 || limit <= 0)
        return 0;
    db_conn *c = db_pool_checkout(s->pool, err);
    if (!c)
        return -1;
    int rc = purge_on(c, s->retention_days, limit, deleted, err);
    db_pool_checkin(s->pool, c);
    return rc;
}

/* Called on a claim: at most every JOB_PURGE_INTERVAL_MS per process, one
 * batch; a failure is logged, never fails the claim. */
static void purge_now_and_then(job_store *s, db_conn *c, long long now_ms)
{
    long long last = atomic_load(&s->last_purge_ms);
    if (s->retention_days <= 0 || now_ms - last < JOB_PURGE_INTERVAL_MS ||
        !atomic_compare_exchange_strong(&s->last_purge_ms, &last, now_ms))
        return;
    int n = 0;
    err_info e = {0};
    if (purge_on(c, s->retention_days, JOB_PURGE_BATCH, &n, &e) != 0) {
        char buf[800];
        log_kv(LOG_WARN, "could not delete jobs past their retention; will try again", "error",
               err_describe(&e, buf, sizeof buf), NULL);
    } else if (n > 0) {
        char count[16], days[16];
        snprintf(count, sizeof count, "%d", n);
        snprintf(days, sizeof days, "%d", s->retention_days);
        log_kv(LOG_INFO, "deleted finished jobs past their retention", "jobs", count,
               "retention_days", days, NULL);
    }
}

static int fail_undecryptable(db_conn *c, const char *id, const err_info *why)
{
    char msg[800];
    err_describe(why, msg, sizeof msg);
    err_info ignore = {0};
    const char *p[] = {id, msg};
    return db_exec_cmd(c, "UPDATE jobs SET status = 'failed', error = $2, finished_at = now(),"
                          " lease_owner = NULL, lease_expires_at = NULL WHERE id = $1::uuid",
                       2, p, &ignore);
}

int job_store_claim(job_store *s, const char *owner, job_claimed **out, err_info *err)
{
    *out = NULL;
    if (!owner || !owner[0])
        return err_set(err, ERR_INVALID, "lease owner is empty");
    db_conn *c = db_pool_checkout(s->pool, err);
    if (!c)
        return -1;
    int rc = -1;
    job_claimed *j = NULL;
    PGresult *r = NULL;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    long long last = atomic_load(&s->last_sweep_ms);
    if (now_ms - last >= 1000 && atomic_compare_exchange_strong(&s->last_sweep_ms, &last, now_ms) &&
        sweep_expired(c, err) != 0)
        goto done;
    purge_now_and_then(s, c, now_ms);
    char lease[16];
    snprintf(lease, sizeof lease, "%d", s->lease_seconds);
    const char *p[] = {owner, lease};
    r = db_exec(c,
        "WITH c AS (SELECT id FROM jobs j WHERE"
        "  (j.status = 'queued' AND j.run_after <= now() AND NOT EXISTS"
        "    (SELECT 1 FROM jobs o WHERE o.instance_id = j.instance_id AND o.status = 'running'))"
        "  OR (j.status = 'running' AND j.lease_expires_at < now()"
        "      AND j.attempts < j.max_attempts AND NOT j.cancel_requested)"
        "  ORDER BY j.run_after, j.created_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
        " UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, lease_owner = $1,"
        "  lease_expires_at = now() + make_interval(secs => $2::int),"
        "  started_at = coalesce(j.started_at, now())"
        " FROM c WHERE j.id = c.id"
        " RETURNING j.id, j.event_id, j.account_id, j.instance_id, j.instance_name,"
        "  j.instance_description, j.j1_job_id, j.upload_sync_job_id, j.config_enc,"
        "  j.attempts, j.max_attempts",
        2, p, false, err);
    if (!r) {
        if (err && err->kind == ERR_CONFLICT) { /* lost a race on the running index */
            err_clear(err);
            rc = 0;
        }
        goto done;
    }
    if (PQntuples(r) == 0) {
        rc = 0;
        goto done;
    }
    j = calloc(1, sizeof *j);
    if (!j) {
        err_set(err, ERR_NOMEM, "out of memory");
        goto done;
    }
    snprintf(j->job_id, sizeof j->job_id, "%s", PQgetvalue(r, 0, 0));
    j->event_id = dup_or_null(r, 0, 1);
    j->account_id = dup_or_null(r, 0, 2);
    j->instance_id = dup_or_null(r, 0, 3);
    j->instance_name = dup_or_null(r, 0, 4);
    j->instance_description = dup_or_null(r, 0, 5);
    j->j1_job_id = dup_or_null(r, 0, 6);
    j->previous_sync_job_id = dup_or_null(r, 0, 7);
    j->attempt = atoi(PQgetvalue(r, 0, 9));
    j->max_attempts = atoi(PQgetvalue(r, 0, 10));
    size_t enc_len = 0;
    unsigned char *enc = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 8), &enc_len);
    char *plain = NULL;
    size_t plain_len = 0;
    err_info derr = {0};
    if (!enc || config_crypto_decrypt(s->crypto, enc, enc_len, j->job_id, &plain, &plain_len, &derr) != 0 ||
        !(j->config = cJSON_Parse(plain))) {
        if (!enc)
            err_set(&derr, ERR_NOMEM, "out of memory");
        else if (derr.kind == ERR_NONE)
            err_set(&derr, ERR_INVALID, "stored config is not JSON");
        log_kv(LOG_ERROR, "job config cannot be decrypted; failing the job", "job_id", j->job_id,
               "error", derr.message, NULL);
        fail_undecryptable(c, j->job_id, &derr);
        if (plain)
            config_crypto_wipe(plain, plain_len);
        free(plain);
        PQfreemem(enc);
        job_store_claimed_free(j);
        j = NULL;
        rc = 0;
        goto done;
    }
    config_crypto_wipe(plain, plain_len);
    free(plain);
    PQfreemem(enc);
    *out = j;
    j = NULL;
    rc = 1;
done:
    PQclear(r);
    job_store_claimed_free(j);
    db_pool_checkin(s->pool, c);
    return rc;
}

/* Runs one statement on a pooled connection; *rows = affected/returned rows.
 * `first` (may be NULL) receives a copy of row 0 column 0. */
static int run(job_store *s, const char *sql, int n, const char *const *p, bool idempotent,
               int *rows, char *first, size_t first_size, err_info *err)
{
    db_conn *c = db_pool_checkout(s->pool, err);
    if (!c)
        return -1;
    PGresult *r = db_exec(c, sql, n, p, idempotent, err);
    db_pool_checkin(s->pool, c);
    if (!r)
        return -1;
    int count = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : atoi(PQcmdTuples(r));
    if (rows)
        *rows = count;
    if (first && first_size) {
        first[0] = 0;
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0)
            snprintf(first, first_size, "%s", PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return 0;
}

int job_store_heartbeat(job_store *s, const char *job_id, const char *owner, bool *lease_lost,
                        bool *cancel_requested, err_info *err)
{
    char lease[16], cancel[8] = "";
    snprintf(lease, sizeof lease, "%d", s->lease_seconds);
    const char *p[] = {job_id, owner, lease};
    int rows = 0;
    if (run(s, "UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3::int)"
               " WHERE id = $1::uuid AND lease_owner = $2 AND status = 'running'"
               " RETURNING cancel_requested", 3, p, true, &rows, cancel, sizeof cancel, err) != 0)
        return -1;
    if (lease_lost)
        *lease_lost = rows == 0;
    if (cancel_requested)
        *cancel_requested = rows == 1 && cancel[0] == 't';
    return 0;
}

int job_store_finish(job_store *s, const char *job_id, const char *owner, const char *status,
                     const char *error, err_info *err)
{
    int si = status_index(status);
    if (si < 2)
        return err_set(err, ERR_INVALID, "'%s' is not a final job status", status ? status : "");
    const char *p[] = {job_id, owner, status, error};
    int rows = 0;
    if (run(s, "UPDATE jobs SET status = $3, error = $4, finished_at = now(),"
               " lease_owner = NULL, lease_expires_at = NULL"
               " WHERE id = $1::uuid AND lease_owner = $2 AND status = 'running'",
            4, p, true, &rows, NULL, 0, err) != 0)
        return -1;
    if (rows == 0) {
        err_set(err, ERR_CONFLICT, "job %s is no longer held by this worker (lease lost)", job_id);
        return err_hint(err, "another worker took the job after its lease expired; raise JOB_LEASE_SECONDS if heartbeats are slow");
    }
    return 0;
}

/* When the job cannot go back to the queue because a newer queued job of the
 * same instance exists, it ends with final_status instead. */
static int requeue(job_store *s, const char *sql, int n, const char *const *p, const char *job_id,
                   const char *owner, const char *final_status, const char *error,
                   char *new_status, size_t new_status_size, err_info *err)
{
    int rows = 0;
    err_info e = {0};
    if (run(s, sql, n, p, false, &rows, new_status, new_status_size, &e) == 0) {
        if (rows == 0) {
            err_set(err, ERR_CONFLICT, "job %s is no longer held by this worker (lease lost)", job_id);
            return -1;
        }
        return 0;
    }
    if (e.kind != ERR_CONFLICT) {
        *err = e;
        return -1;
    }
    char msg[700];
    snprintf(msg, sizeof msg, "%s%ssuperseded by a newer queued job for the same instance",
             error ? error : "", error ? "; " : "");
    if (job_store_finish(s, job_id, owner, final_status, msg, err) != 0)
        return -1;
    snprintf(new_status, new_status_size, "%s", final_status);
    return 0;
}

/* The static name of a status a requeue ended in. */
static const char *requeued_as(const char *st)
{
    static const char *const known[] = {"queued", "failed", "cancelled"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(st, known[i]) == 0)
            return known[i];
    return "failed";
}

int job_store_retry(job_store *s, const char *job_id, const char *owner, const char *error,
                    const char **new_status, err_info *err)
{
    char base[24], cap[24], jit[32], st[16] = "";
    snprintf(base, sizeof base, "%d", s->backoff_base_ms);
    snprintf(cap, sizeof cap, "%d", s->backoff_max_ms);
    snprintf(jit, sizeof jit, "%.6f", 0.5 + 0.5 * random_unit()); /* "equal jitter" */
    const char *p[] = {job_id, owner, error, base, cap, jit};
    if (requeue(s,
            "UPDATE jobs SET status = CASE WHEN cancel_requested THEN 'cancelled'"
            "  WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,"
            " error = CASE WHEN cancel_requested THEN 'cancelled on request' ELSE $3 END,"
            " lease_owner = NULL, lease_expires_at = NULL,"
            " finished_at = CASE WHEN cancel_requested OR attempts >= max_attempts THEN now() END,"
            " run_after = now() + least($4::float8 * power(2, least(attempts - 1, 30)), $5::float8)"
            "   * $6::float8 * interval '1 millisecond'"
            " WHERE id = $1::uuid AND lease_owner = $2 AND status = 'running' RETURNING status",
            6, p, job_id, owner, "failed", error, st, sizeof st, err) != 0)
        return -1;
    if (new_status)
        *new_status = requeued_as(st);
    return 0;
}

int job_store_hand_back(job_store *s, const char *job_id, const char *owner,
                        const char **new_status, err_info *err)
{
    char st[16] = "";
    const char *p[] = {job_id, owner};
    int rc = requeue(s,
        "UPDATE jobs SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END,"
        " attempts = CASE WHEN cancel_requested THEN attempts ELSE greatest(attempts - 1, 0) END,"
        " finished_at = CASE WHEN cancel_requested THEN now() END,"
        " error = CASE WHEN cancel_requested THEN 'cancelled on request' ELSE error END,"
        " lease_owner = NULL, lease_expires_at = NULL, run_after = now()"
        " WHERE id = $1::uuid AND lease_owner = $2 AND status = 'running' RETURNING status",
        2, p, job_id, owner, "cancelled", NULL, st, sizeof st, err);
    if (rc == 0 && new_status)
        *new_status = requeued_as(st);
    return rc;
}

int job_store_cancel(job_store *s, const char *job_id, job_cancel_outcome *outcome, err_info *err)
{
    if (!is_uuid(job_id))
        return err_set(err, ERR_NOT_FOUND, "job not found");
    const char *p[] = {job_id};
    char old[16] = "";
    int rows = 0;
    if (run(s, "WITH old AS (SELECT id, status FROM jobs WHERE id = $1::uuid FOR UPDATE)"
               " UPDATE jobs j SET"
               "  status = CASE WHEN old.status = 'queued' THEN 'cancelled' ELSE j.status END,"
               "  finished_at = CASE WHEN old.status = 'queued' THEN now() ELSE j.finished_at END,"
               "  cancel_requested = j.cancel_requested OR old.status IN ('queued', 'running')"
               " FROM old WHERE j.id = old.id RETURNING old.status",
            1, p, true, &rows, old, sizeof old, err) != 0)
        return -1;
    if (rows == 0)
        return err_set(err, ERR_NOT_FOUND, "job not found");
    *outcome = strcmp(old, "queued") == 0    ? JOB_CANCEL_CANCELLED
               : strcmp(old, "running") == 0 ? JOB_CANCEL_REQUESTED
                                             : JOB_CANCEL_FINISHED;
    return 0;
}

/* ---- progress --------------------------------------------------------- */

static const char STEP_UPSERT[] =
    "INSERT INTO job_steps (job_id, ordinal, step_id, name, status, entities, relationships,"
    " duration_ms, error)"
    " SELECT $1::uuid, coalesce($2::int, (SELECT coalesce(max(ordinal), -1) + 1 FROM job_steps"
    "   WHERE job_id = $1::uuid)), $3, $4, $5, $6::bigint, $7::bigint, $8::bigint, $9"
    " WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $1::uuid AND status = 'running'"
    "   AND lease_owner = $10 FOR SHARE)"
    " ON CONFLICT (job_id, step_id) DO UPDATE SET name = EXCLUDED.name, status = EXCLUDED.status,"
    " entities = EXCLUDED.entities, relationships = EXCLUDED.relationships,"
    " duration_ms = EXCLUDED.duration_ms, error = EXCLUDED.error";

static bool step_status_ok(const char *s)
{
    static const char *const ok[] = {"pending", "running", "success", "failure", "skipped"};
    for (size_t i = 0; s && i < 5; i++)
        if (strcmp(s, ok[i]) == 0)
            return true;
    return false;
}

static int step_exec(db_conn *c, const char *job_id, const char *owner, int ordinal,
                     const job_step_report *st, int *rows, err_info *err)
{
    if (!st->id || !step_status_ok(st->status))
        return err_set(err, ERR_INVALID, "step report has no id or an unknown status");
    char ord[16], e[24], rel[24], dur[24];
    snprintf(ord, sizeof ord, "%d", ordinal);
    snprintf(e, sizeof e, "%lld", (long long)st->entities);
    snprintf(rel, sizeof rel, "%lld", (long long)st->relationships);
    snprintf(dur, sizeof dur, "%lld", (long long)st->duration_ms);
    const char *p[] = {job_id, ordinal >= 0 ? ord : NULL, st->id, st->name ? st->name : st->id,
                       st->status, e, rel, dur, st->error, owner};
    PGresult *r = db_exec(c, STEP_UPSERT, 10, p, true, err);
    if (!r)
        return -1;
    *rows = atoi(PQcmdTuples(r));
    PQclear(r);
    return 0;
}

static int not_running(const char *job_id, err_info *err)
{
    return err_set(err, ERR_CONFLICT, "job %s is not running (finished, or lease lost)", job_id);
}

int job_store_steps_planned(job_store *s, const char *job_id, const char *owner,
                            const job_step_report *steps, size_t count, err_info *err)
{
    db_conn *c = db_pool_checkout(s->pool, err);
    if (!c)
        return -1;
    int rc = -1, rows = 0;
    const char *p[] = {job_id, owner};
    if (db_begin(c, err) != 0)
        goto done;
    /* the job row stays locked until commit: no other worker retakes it
     * between this check and the new plan */
    PGresult *r = db_exec(c, "SELECT 1 FROM jobs WHERE id = $1::uuid AND status = 'running'"
                             " AND lease_owner = $2 FOR UPDATE", 2, p, false, err);
    if (!r)
        goto fail;
    rows = PQntuples(r);
    PQclear(r);
    if (rows == 0) {
        not_running(job_id, err);
        goto fail;
    }
    if (db_exec_cmd(c, "DELETE FROM job_steps WHERE job_id = $1::uuid", 1, p, err) != 0)
        goto fail;
    for (size_t i = 0; i < count; i++) {
        if (step_exec(c, job_id, owner, (int)i, &steps[i], &rows, err) != 0)
            goto fail;
        if (rows == 0) {
            not_running(job_id, err);
            goto fail;
        }
    }
    if (db_commit(c, err) != 0)
        goto fail;
    rc = 0;
    goto done;
fail:
    db_rollback(c);
done:
    db_pool_checkin(s->pool, c);
    return rc;
}

int job_store_step_update(job_store *s, const char *job_id, const char *owner,
                          const job_step_report *step, err_info *err)
{
    db_conn *c = db_pool_checkout(s->pool, err);
    if (!c)
        return -1;
    int rows = 0;
    int rc = step_exec(c, job_id, owner, -1, step, &rows, err);
    db_pool_checkin(s->pool, c);
    if (rc == 0 && rows == 0)
        return not_running(job_id, err);
    return rc;
}

int job_store_upload_update(job_store *s, const char *job_id, const char *owner,
                            const char *sync_job_id, const char *status, err_info *err)
{
    const char *p[] = {job_id, sync_job_id, status, owner};
    int rows = 0;
    if (run(s, "UPDATE jobs SET upload_sync_job_id = coalesce($2, upload_sync_job_id),"
               " upload_status = $3 WHERE id = $1::uuid AND status = 'running'"
               " AND lease_owner = $4",
            4, p, true, &rows, NULL, 0, err) != 0)
        return -1;
    return rows ? 0 : not_running(job_id, err);
}

int job_store_totals_update(job_store *s, const char *job_id, const char *owner,
                            const job_totals *t, err_info *err)
{
    char a[24], b[24], c[24], d[24];
    snprintf(a, sizeof a, "%lld", (long long)t->entities);
    snprintf(b, sizeof b, "%lld", (long long)t->relationships);
    snprintf(c, sizeof c, "%lld", (long long)t->api_requests);
    snprintf(d, sizeof d, "%lld", (long long)t->throttled);
    const char *p[] = {job_id, a, b, c, d, owner};
    int rows = 0;
    if (run(s, "UPDATE jobs SET total_entities = $2::bigint, total_relationships = $3::bigint,"
               " total_api_requests = $4::bigint, total_throttled = $5::bigint"
               " WHERE id = $1::uuid AND status = 'running' AND lease_owner = $6",
            6, p, true, &rows, NULL, 0, err) != 0)
        return -1;
    return rows ? 0 : not_running(job_id, err);
}

/* ---- reads ------------------------------------------------------------ */

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
static const char JOB_COLUMNS[] =
    "id, event_id, account_id, instance_id, status, attempts, " TS("created_at") ", "
    TS("started_at") ", " TS("finished_at") ", error, total_entities, total_relationships,"
    " total_api_requests, total_throttled, upload_sync_job_id, upload_status";

static void add_str(cJSON *o, const char *k, const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        cJSON_AddNullToObject(o, k);
    else
        cJSON_AddStringToObject(o, k, PQgetvalue(r, row, col));
}

static double num(const PGresult *r, int row, int col) { return atof(PQgetvalue(r, row, col)); }

static cJSON *job_doc(const PGresult *r, int row)
{
    cJSON *o = cJSON_CreateObject();
    add_str(o, "jobId", r, row, 0);
    add_str(o, "eventId", r, row, 1);
    add_str(o, "accountId", r, row, 2);
    add_str(o, "integrationInstanceId", r, row, 3);
    add_str(o, "status", r, row, 4);
    cJSON_AddNumberToObject(o, "attempts", num(r, row, 5));
    add_str(o, "createdAt", r, row, 6);
    add_str(o, "startedAt", r, row, 7);
    add_str(o, "finishedAt", r, row, 8);
    add_str(o, "error", r, row, 9);
    cJSON *t = cJSON_AddObjectToObject(o, "totals");
    cJSON_AddNumberToObject(t, "entities", num(r, row, 10));
    cJSON_AddNumberToObject(t, "relationships", num(r, row, 11));
    cJSON_AddNumberToObject(t, "apiRequests", num(r, row, 12));
    cJSON_AddNumberToObject(t, "throttled", num(r, row, 13));
    cJSON *u = cJSON_AddObjectToObject(o, "upload");
    add_str(u, "syncJobId", r, row, 14);
    add_str(u, "status", r, row, 15);
    return o;
}

int job_store_get(job_store *s, const char *job_id, cJSON **out, err_info *err)
{
    *out = NULL;
    if (!is_uuid(job_id))
        return 0;
    db_conn *c = db_pool_checkout(s->pool, err);
    if (!c)
        return -1;
    int rc = -1;
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM jobs WHERE id = $1::uuid", JOB_COLUMNS);
    const char *p[] = {job_id};
    PGresult *steps = NULL;
    PGresult *r = db_exec(c, sql, 1, p, true, err);
    if (!r)
        goto done;
    if (PQntuples(r) == 0) {
        rc = 0;
        goto done;
    }
    steps = db_exec(c, "SELECT step_id, name, status, entities, relationships, duration_ms, error"
                       " FROM job_steps WHERE job_id = $1::uuid ORDER BY ordinal, step_id",
                    1, p, true, err);
    if (!steps)
        goto done;
    cJSON *doc = job_doc(r, 0);
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < PQntuples(steps); i++) {
        cJSON *st = cJSON_CreateObject();
        add_str(st, "id", steps, i, 0);
        add_str(st, "name", steps, i, 1);
        add_str(st, "status", steps, i, 2);
        cJSON_AddNumberToObject(st, "entities", num(steps, i, 3));
        cJSON_AddNumberToObject(st, "relationships", num(steps, i, 4));
        cJSON_AddNumberToObject(st, "durationMs", num(steps, i, 5));
        add_str(st, "error", steps, i, 6);
        cJSON_AddItemToArray(arr, st);
    }
    /* keep the contract's key order: steps before totals */
    cJSON_AddItemToObject(doc, "steps", arr);
    cJSON *totals = cJSON_DetachItemFromObject(doc, "totals");
    cJSON *upload = cJSON_DetachItemFromObject(doc, "upload");
    cJSON_AddItemToObject(doc, "totals", totals);
    cJSON_AddItemToObject(doc, "upload", upload);
    *out = doc;
    rc = 0;
done:
    PQclear(r);
    PQclear(steps);
    db_pool_checkin(s->pool, c);
    return rc;
}

int job_store_list(job_store *s, const job_list_filter *f, cJSON **out, err_info *err)
{
    *out = NULL;
    job_list_filter def = {0};
    if (!f)
        f = &def;
    if (f->status && status_index(f->status) < 0) {
        err_set(err, ERR_INVALID, "status must be one of queued, running, succeeded, partial, failed, cancelled");
        return -1;
    }
    if (f->limit < 0 || f->limit > 100)
        return err_set(err, ERR_INVALID, "limit must be between 1 and 100");
    char lim[8], sql[1024];
    snprintf(lim, sizeof lim, "%d", f->limit ? f->limit : 50);
    snprintf(sql, sizeof sql,
             "SELECT %s FROM jobs WHERE ($1::text IS NULL OR instance_id = $1)"
             " AND ($2::text IS NULL OR status = $2) ORDER BY created_at DESC, id LIMIT $3::int",
             JOB_COLUMNS);
    const char *p[] = {f->instance_id, f->status, lim};
    db_conn *c = db_pool_checkout(s->pool, err);
    if (!c)
        return -1;
    PGresult *r = db_exec(c, sql, 3, p, true, err);
    db_pool_checkin(s->pool, c);
    if (!r)
        return -1;
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(doc, "jobs");
    for (int i = 0; i < PQntuples(r); i++)
        cJSON_AddItemToArray(arr, job_doc(r, i));
    PQclear(r);
    *out = doc;
    return 0;
}

int job_store_counts_get(job_store *s, job_store_counts *out, err_info *err)
{
    memset(out, 0, sizeof *out);
    db_conn *c = db_pool_checkout(s->pool, err);
    if (!c)
        return -1;
    PGresult *r = db_exec(c, "SELECT status, count(*), count(*) FILTER (WHERE status = 'queued'"
                             " AND run_after <= now()) FROM jobs GROUP BY status", 0, NULL, true, err);
    db_pool_checkin(s->pool, c);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        int si = status_index(PQgetvalue(r, i, 0));
        if (si >= 0)
            out->by_status[si] = atoll(PQgetvalue(r, i, 1));
        out->queue_depth += atoll(PQgetvalue(r, i, 2));
    }
    PQclear(r);
    return 0;
}

static void collect(void *arg)
{
    job_store_counts counts;
    err_info err = {0};
    if (job_store_counts_get(arg, &counts, &err) != 0)
        return; /* series keep their last values; /readyz reports the database */
    for (int i = 0; i < 6; i++) {
        char labels[48];
        snprintf(labels, sizeof labels, "status=\"%s\"", STATUS_NAMES[i]);
        metrics_gauge_set("jobs", labels, (double)counts.by_status[i]);
    }
    metrics_gauge_set("queue_depth", "", (double)counts.queue_depth);
}

void job_store_register_metrics(job_store *s)
{
    metrics_declare("jobs", METRIC_GAUGE, "Jobs in the database by status.", NULL, 0);
    metrics_declare("queue_depth", METRIC_GAUGE, "Queued jobs runnable now.", NULL, 0);
    metrics_on_scrape(collect, s);
}
