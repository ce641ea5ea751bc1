/*
 * queue_bench: throughput of the PostgreSQL job queue (job_store) alone.
 *
 *   DATABASE_URL=... build/bench/queue_bench [events] [threads]
 *
 * Creates a scratch database, enqueues `events` events (distinct instances,
 * AES-GCM-encrypted config) from `threads` threads, then claims and finishes
 * them from `threads` threads, and checks that every event is exactly one
 * succeeded job.  Floor: the same threads doing one bare INSERT + COMMIT per
 * event (the cheapest durable write a queue can do); the ratio shows the
 * cost of idempotency, coalescing and encryption.
 */
#include "storage/job_store.h"
#include "storage/migrations.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KEY "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct ctx {
    job_store *store;
    db_pool *pool;
    int from, to;
    double *lat;
    int errors;
    int claimed;
    int id;
} ctx;

static void *enqueue_main(void *arg)
{
    ctx *c = arg;
    cJSON *cfg = cJSON_Parse("{\"directoryId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"sssssssssssssssssssssssss\"}");
    for (int i = c->from; i < c->to; i++) {
        char ev[32], inst[32], id[37];
        snprintf(ev, sizeof ev, "ev-%d", i);
        snprintf(inst, sizeof inst, "inst-%d", i);
        job_event e = {.event_id = ev, .account_id = "a", .instance_id = inst,
                       .instance_name = "n", .config = cfg};
        job_enqueue_outcome out;
        err_info err = {0};
        double t0 = now_s();
        if (job_store_enqueue(c->store, &e, id, &out, &err) != 0 || out != JOB_ENQUEUE_CREATED)
            c->errors++;
        c->lat[i] = now_s() - t0;
    }
    cJSON_Delete(cfg);
    return NULL;
}

static void *claim_main(void *arg)
{
    ctx *c = arg;
    char owner[32];
    snprintf(owner, sizeof owner, "bench:%d", c->id);
    for (;;) {
        job_claimed *j = NULL;
        err_info err = {0};
        int rc = job_store_claim(c->store, owner, &j, &err);
        if (rc <= 0) {
            if (rc < 0)
                c->errors++;
            break;
        }
        if (job_store_finish(c->store, j->job_id, owner, "succeeded", NULL, &err) != 0)
            c->errors++;
        c->claimed++;
        job_store_claimed_free(j);
    }
    return NULL;
}

static void *floor_main(void *arg)
{
    ctx *c = arg;
    err_info err = {0};
    for (int i = c->from; i < c->to; i++) {
        db_conn *conn = db_pool_checkout(c->pool, &err);
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        const char *p[] = {v};
        if (!conn || db_exec_cmd(conn, "INSERT INTO floor_t VALUES ($1::int)", 1, p, &err) != 0)
            c->errors++;
        db_pool_checkin(c->pool, conn);
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double run_threads(void *(*fn)(void *), ctx *cs, int threads)
{
    pthread_t t[64];
    double t0 = now_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, fn, &cs[i]);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    return now_s() - t0;
}

static char *admin(const char *url, const char *sql)
{
    err_info e = {0};
    db_pool *p = db_pool_new(&(db_pool_options){.url = url, .size = 1}, &e);
    db_conn *c = p ? db_pool_checkout(p, &e) : NULL;
    PGresult *r = c ? db_exec(c, sql, 0, NULL, false, &e) : NULL;
    char *out = r ? strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "") : NULL;
    if (!r)
        fprintf(stderr, "queue_bench: %s\n", e.message);
    PQclear(r);
    db_pool_checkin(p, c);
    db_pool_free(p);
    return out;
}

int main(int argc, char **argv)
{
    const char *base = getenv("DATABASE_URL");
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    int threads = argc > 2 ? atoi(argv[2]) : 8;
    if (!base || n <= 0 || threads <= 0 || threads > 64) {
        fprintf(stderr, "usage: DATABASE_URL=... queue_bench [events] [threads 1..64]\n");
        return 64;
    }
    char name[64], sql[128], url[1024];
    snprintf(name, sizeof name, "ai_queue_bench_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    free(admin(base, sql));
    const char *slash = strrchr(base, '/');
    snprintf(url, sizeof url, "%.*s/%s", (int)(slash - base), base, name);

    err_info e = {0};
    db_pool *pool = db_pool_new(&(db_pool_options){.url = url, .size = threads + 1}, &e);
    config_crypto *crypto = config_crypto_new(KEY, NULL, &e);
    if (!pool || !crypto || migrations_apply(pool, NULL, &e) != 0) {
        fprintf(stderr, "queue_bench: %s\n", e.message);
        return 1;
    }
    job_store *store = job_store_new(pool, crypto, NULL, &e);
    double *lat = calloc((size_t)n, sizeof *lat);
    ctx cs[64];
    for (int i = 0; i < threads; i++)
        cs[i] = (ctx){.store = store, .pool = pool, .from = n * i / threads,
                      .to = n * (i + 1) / threads, .lat = lat, .id = i};
    double t_enq = run_threads(enqueue_main, cs, threads);
    double t_claim = run_threads(claim_main, cs, threads);
    int errors = 0, claimed = 0;
    for (int i = 0; i < threads; i++) {
        errors += cs[i].errors;
        claimed += cs[i].claimed;
        cs[i].errors = 0;
    }
    char *jobs = admin(url, "SELECT count(*) FROM jobs WHERE status = 'succeeded' AND attempts = 1");
    free(admin(url, "CREATE TABLE floor_t (x int)"));
    double t_floor = run_threads(floor_main, cs, threads);
    qsort(lat, (size_t)n, sizeof *lat, cmp);
    printf("queue_bench: %d events, %d threads, PostgreSQL %s\n", n, threads, base[0] ? "(DATABASE_URL)" : "");
    printf("  enqueue:        %8.0f events/s  p50 %.2f ms  p99 %.2f ms\n", n / t_enq,
           lat[n / 2] * 1e3, lat[(int)(n * 0.99)] * 1e3);
    printf("  claim+finish:   %8.0f jobs/s\n", claimed / t_claim);
    printf("  floor (1 INSERT+COMMIT): %8.0f rows/s; enqueue/floor = %.2f\n", n / t_floor,
           (n / t_enq) / (n / t_floor));
    printf("  exactly once: %s succeeded jobs for %d events, %d claimed, %d errors\n",
           jobs ? jobs : "?", n, claimed, errors);
    int ok = jobs && atoi(jobs) == n && claimed == n && errors == 0;
    free(jobs);
    free(lat);
    job_store_free(store);
    config_crypto_free(crypto);
    db_pool_free(pool);
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", name);
    free(admin(base, sql));
    return ok ? 0 : 1;
}
