/*
 * worker_pool: worker threads + one heartbeat thread (contract in the header).
 *
 * Shared state per worker (the job it runs, its stop flags) lives in a slot
 * guarded by the pool mutex; the flags the runner polls (lease lost, cancel
 * requested) are atomics so should_stop() never takes a lock.  The
 * heartbeat thread copies the running job ids under the mutex and talks to
 * the database outside it.  Drain sets one atomic flag, wakes everybody and
 * waits on a condition variable that workers signal when a job ends.
 */
#include "service/worker_pool.h"

#include "common/log.h"
#include "common/metrics.h"
#include "service/memory.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct worker_slot {
    worker_pool *pool;
    pthread_t thread;
    bool started;
    char owner[128];
    /* guarded by pool->mu */
    bool busy;
    bool settling;          /* recording the runner's outcome: not handed back */
    char job_id[37];
    /* polled by should_stop */
    atomic_bool lease_lost;
    atomic_bool cancel_requested;
} worker_slot;

struct worker_pool {
    job_store *store;
    job_runner runner;
    int nthreads;
    int lease_seconds;
    int poll_ms;
    atomic_bool draining;
    atomic_bool stopping;   /* free(): threads exit */
    atomic_int running;
    pthread_mutex_t mu;
    pthread_cond_t wake;    /* idle workers and the heartbeat wait here */
    pthread_cond_t idle;    /* drain waits here */
    pthread_t heartbeat;
    bool heartbeat_started;
    worker_slot *slots;
};

long long worker_pool_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec deadline_in(long long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* ---- job_progress ------------------------------------------------------ */

typedef struct run_ctx {
    worker_slot *slot;
    const char *job_id;
} run_ctx;

static void log_progress_error(const char *what, const err_info *e)
{
    char buf[800];
    log_kv(LOG_WARN, "could not record job progress", "what", what, "error",
           err_describe(e, buf, sizeof buf), NULL);
}

static void p_steps_planned(void *ctx, const job_step_report *steps, size_t n)
{
    run_ctx *rc = ctx;
    err_info e = {0};
    if (job_store_steps_planned(rc->slot->pool->store, rc->job_id, rc->slot->owner, steps, n,
                                &e) != 0)
        log_progress_error("steps planned", &e);
}

static void p_step_changed(void *ctx, const job_step_report *step)
{
    run_ctx *rc = ctx;
    err_info e = {0};
    if (job_store_step_update(rc->slot->pool->store, rc->job_id, rc->slot->owner, step,
                              &e) != 0)
        log_progress_error("step", &e);
}

static void p_upload_changed(void *ctx, const char *sync_job_id, const char *status)
{
    run_ctx *rc = ctx;
    err_info e = {0};
    if (job_store_upload_update(rc->slot->pool->store, rc->job_id, rc->slot->owner,
                                sync_job_id, status, &e) != 0)
        log_progress_error("upload", &e);
}

static void p_totals_changed(void *ctx, const job_totals *t)
{
    run_ctx *rc = ctx;
    err_info e = {0};
    if (job_store_totals_update(rc->slot->pool->store, rc->job_id, rc->slot->owner, t,
                                &e) != 0)
        log_progress_error("totals", &e);
}

static bool p_should_stop(void *ctx)
{
    run_ctx *rc = ctx;
    return atomic_load(&rc->slot->pool->draining) || atomic_load(&rc->slot->lease_lost) ||
           atomic_load(&rc->slot->cancel_requested);
}

/* ---- one job ---------------------------------------------------------- */

static void count_finished(const char *status)
{
    char labels[48];
    snprintf(labels, sizeof labels, "status=\"%s\"", status);
    metrics_counter_add("jobs_finished_total", labels, 1);
}

/* A job that reached a final status: one log line (a warning when it
 * failed) and the counter. */
static void log_finished(const char *status, const char *error)
{
    log_kv(strcmp(status, "failed") == 0 ? LOG_WARN : LOG_INFO, "job finished", "status", status,
           "error", error, NULL);
    count_finished(status);
}

static void settle(worker_slot *w, const job_claimed *job, const job_outcome *out)
{
    job_store *s = w->pool->store;
    err_info e = {0};
    char msg[800] = "";
    if (out->result != JOB_RESULT_SUCCEEDED && out->error.kind != ERR_NONE)
        err_describe(&out->error, msg, sizeof msg);
    const char *err_text = msg[0] ? msg : NULL;
    const char *final = NULL;
    int rc = 0;
    /* lease_lost is set under the pool lock (heartbeat, drain): either the
     * job was taken from this worker before, or drain sees `settling` and
     * leaves it to record its outcome */
    pthread_mutex_lock(&w->pool->mu);
    bool taken = atomic_load(&w->lease_lost);
    w->settling = !taken;
    pthread_mutex_unlock(&w->pool->mu);
    if (taken) {
        log_kv(LOG_WARN, "lease lost while the job ran; another worker owns it now", NULL);
        return;
    }
    /* the runner's totals are the final word */
    job_store_totals_update(s, job->job_id, w->owner, &out->totals, &e);
    err_clear(&e);
    switch (out->result) {
    case JOB_RESULT_SUCCEEDED:
        final = "succeeded";
        break;
    case JOB_RESULT_PARTIAL:
        final = "partial";
        break;
    case JOB_RESULT_FATAL:
        final = "failed";
        break;
    case JOB_RESULT_RETRY: {
        const char *now = NULL;
        rc = job_store_retry(s, job->job_id, w->owner, err_text, &now, &e);
        if (rc == 0 && strcmp(now, "queued") == 0) {
            log_kv(LOG_WARN, "job will be retried", "error", err_text, NULL);
            count_finished("retry");
        } else if (rc == 0) {
            log_finished(now, err_text); /* its last attempt, or cancelled meanwhile */
        }
        break;
    }
    case JOB_RESULT_STOPPED: {
        bool lost = false, cancel = atomic_load(&w->cancel_requested);
        if (!cancel && job_store_heartbeat(s, job->job_id, w->owner, &lost, &cancel, &e) != 0)
            err_clear(&e);
        if (cancel) {
            final = "cancelled";
            err_text = "cancelled on request";
        } else {
            const char *now = NULL;
            rc = job_store_hand_back(s, job->job_id, w->owner, &now, &e);
            if (rc == 0 && strcmp(now, "queued") == 0) {
                log_kv(LOG_INFO, "job handed back to the queue", NULL);
                count_finished("handed_back");
            } else if (rc == 0) {
                log_finished(now, NULL); /* a cancel was requested meanwhile */
            }
        }
        break;
    }
    }
    if (final) {
        rc = job_store_finish(s, job->job_id, w->owner, final, err_text, &e);
        if (rc == 0)
            log_finished(final, err_text);
    }
    if (rc != 0) {
        char buf[800];
        log_kv(LOG_ERROR, "could not record the job's outcome", "error",
               err_describe(&e, buf, sizeof buf), NULL);
    }
    memory_release();
}

static void run_job(worker_slot *w, job_claimed *job)
{
    worker_pool *p = w->pool;
    log_set_job(job->job_id);
    char attempt[16];
    snprintf(attempt, sizeof attempt, "%d", job->attempt);
    log_kv(LOG_INFO, "job started", "attempt", attempt, NULL);
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(job->config, "clientSecret");
    if (cJSON_IsString(secret))
        log_secret_register(secret->valuestring);
    run_ctx rc = {.slot = w, .job_id = job->job_id};
    job_progress progress = {&rc, p_steps_planned, p_step_changed, p_upload_changed,
                             p_totals_changed, p_should_stop};
    job_request req = {
        .job_id = job->job_id, .account_id = job->account_id, .instance_id = job->instance_id,
        .instance_name = job->instance_name, .instance_description = job->instance_description,
        .j1_job_id = job->j1_job_id, .previous_sync_job_id = job->previous_sync_job_id,
        .config = job->config, .attempt = job->attempt};
    job_outcome out;
    memset(&out, 0, sizeof out);
    long long t0 = worker_pool_now_ms();
    if (p->runner.run(p->runner.ctx, &req, &progress, &out) != 0) {
        if (out.error.kind == ERR_NONE)
            err_set(&out.error, ERR_INTERNAL, "the job runner failed without a reason");
        out.result = JOB_RESULT_RETRY;
    }
    metrics_histogram_observe("job_duration_seconds", "",
                              (double)(worker_pool_now_ms() - t0) / 1000.0);
    if (cJSON_IsString(secret))
        log_secret_unregister(secret->valuestring);
    settle(w, job, &out);
    log_set_job(NULL);
}

/* Gives a job this worker holds back to the queue at shutdown, so another
 * replica takes it now instead of after its lease; logs either way.
 * state: "running" (its runner missed the drain deadline) or "claimed"
 * (taken while the drain began, not started). */
static void hand_back_at_shutdown(worker_slot *w, const char *job_id, const char *state)
{
    err_info e = {0};
    const char *now = NULL;
    if (job_store_hand_back(w->pool->store, job_id, w->owner, &now, &e) != 0) {
        char buf[800];
        log_kv(LOG_WARN,
               "could not hand back a job at shutdown; it will be retaken after its lease",
               "job_id", job_id, "state", state, "error", err_describe(&e, buf, sizeof buf),
               NULL);
    } else if (strcmp(now, "queued") == 0) {
        log_kv(LOG_INFO, "job handed back at shutdown", "job_id", job_id, "state", state, NULL);
    } else { /* a cancel was requested: it ends here */
        log_kv(LOG_INFO, "job finished", "job_id", job_id, "status", now, NULL);
        count_finished(now);
    }
}

static void *worker_main(void *arg)
{
    worker_slot *w = arg;
    worker_pool *p = w->pool;
    while (!atomic_load(&p->draining) && !atomic_load(&p->stopping)) {
        job_claimed *job = NULL;
        err_info e = {0};
        int got = job_store_claim(p->store, w->owner, &job, &e);
        if (got == 1) {
            pthread_mutex_lock(&p->mu);
            if (atomic_load(&p->draining) || atomic_load(&p->stopping)) {
                /* the pool began to drain while the claim was on its way:
                 * drain may already have found nothing running, so the job
                 * goes back to the queue instead of running unseen */
                pthread_mutex_unlock(&p->mu);
                hand_back_at_shutdown(w, job->job_id, "claimed");
                job_store_claimed_free(job);
                break;
            }
            w->busy = true;
            snprintf(w->job_id, sizeof w->job_id, "%s", job->job_id);
            atomic_store(&w->lease_lost, false);
            atomic_store(&w->cancel_requested, false);
            atomic_fetch_add(&p->running, 1);
            pthread_mutex_unlock(&p->mu);
            run_job(w, job);
            job_store_claimed_free(job);
            pthread_mutex_lock(&p->mu);
            w->busy = false;
            w->settling = false;
            w->job_id[0] = 0;
            atomic_fetch_sub(&p->running, 1);
            pthread_cond_broadcast(&p->idle);
            pthread_mutex_unlock(&p->mu);
            continue;
        }
        if (got < 0) {
            char buf[800];
            log_kv(LOG_WARN, "could not take a job from the queue", "error",
                   err_describe(&e, buf, sizeof buf), NULL);
        }
        pthread_mutex_lock(&p->mu);
        if (!atomic_load(&p->draining) && !atomic_load(&p->stopping)) {
            struct timespec dl = deadline_in(got < 0 ? p->poll_ms * 4 : p->poll_ms);
            pthread_cond_timedwait(&p->wake, &p->mu, &dl);
        }
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static void *heartbeat_main(void *arg)
{
    worker_pool *p = arg;
    long long interval = (long long)p->lease_seconds * 1000 / 3;
    if (interval < 100)
        interval = 100;
    char (*ids)[37] = calloc((size_t)p->nthreads, sizeof *ids);
    pthread_mutex_lock(&p->mu);
    while (!atomic_load(&p->stopping)) {
        struct timespec dl = deadline_in(interval);
        while (!atomic_load(&p->stopping) &&
               pthread_cond_timedwait(&p->wake, &p->mu, &dl) != ETIMEDOUT) {
        }
        if (atomic_load(&p->stopping) || !ids)
            break;
        for (int i = 0; i < p->nthreads; i++)
            snprintf(ids[i], 37, "%s", p->slots[i].busy ? p->slots[i].job_id : "");
        pthread_mutex_unlock(&p->mu);
        for (int i = 0; i < p->nthreads; i++) {
            if (!ids[i][0])
                continue;
            bool lost = false, cancel = false;
            err_info e = {0};
            if (job_store_heartbeat(p->store, ids[i], p->slots[i].owner, &lost, &cancel, &e) != 0) {
                char buf[800];
                log_kv(LOG_WARN, "lease renewal failed; will try again", "job_id", ids[i],
                       "error", err_describe(&e, buf, sizeof buf), NULL);
                continue;
            }
            pthread_mutex_lock(&p->mu);
            if (p->slots[i].busy && strcmp(p->slots[i].job_id, ids[i]) == 0) {
                if (lost)
                    atomic_store(&p->slots[i].lease_lost, true);
                if (cancel)
                    atomic_store(&p->slots[i].cancel_requested, true);
            }
            pthread_mutex_unlock(&p->mu);
            if (lost)
                log_kv(LOG_WARN, "lease lost; the job will stop", "job_id", ids[i], NULL);
        }
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    free(ids);
    return NULL;
}

/* ---- lifecycle -------------------------------------------------------- */

static void declare_metrics(void)
{
    static const double buckets[] = {1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400};
    metrics_declare("jobs_finished_total", METRIC_COUNTER,
                    "Job attempts ended by this process, by outcome.", NULL, 0);
    metrics_declare("job_duration_seconds", METRIC_HISTOGRAM, "Duration of one job attempt.",
                    buckets, sizeof buckets / sizeof buckets[0]);
}

static void stop_threads(worker_pool *p)
{
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stopping, true);
    atomic_store(&p->draining, true);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        if (p->slots[i].started)
            pthread_join(p->slots[i].thread, NULL);
    if (p->heartbeat_started)
        pthread_join(p->heartbeat, NULL);
}

static void pool_destroy(worker_pool *p)
{
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->idle);
    free(p->slots);
    free(p);
}

worker_pool *worker_pool_start(job_store *store, const job_runner *runner,
                               const worker_pool_options *opts, err_info *err)
{
    worker_pool_options def = {0};
    if (!opts)
        opts = &def;
    if (!store || !runner || !runner->run || opts->threads < 0 || opts->threads > 256 ||
        opts->lease_seconds < 0 || opts->poll_interval_ms < 0) {
        err_set(err, ERR_INVALID, "worker pool options out of range");
        err_hint(err, "WORKER_THREADS must be between 1 and 256");
        return NULL;
    }
    worker_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->slots = calloc((size_t)(opts->threads ? opts->threads : 4), sizeof *p->slots))) {
        free(p);
        err_set(err, ERR_NOMEM, "out of memory");
        return NULL;
    }
    p->store = store;
    p->runner = *runner;
    p->nthreads = opts->threads ? opts->threads : 4;
    p->lease_seconds = opts->lease_seconds ? opts->lease_seconds : 60;
    p->poll_ms = opts->poll_interval_ms ? opts->poll_interval_ms : 500;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &ca);
    pthread_cond_init(&p->idle, &ca);
    pthread_condattr_destroy(&ca);
    declare_metrics();
    char prefix[96];
    if (opts->owner_prefix) {
        snprintf(prefix, sizeof prefix, "%s", opts->owner_prefix);
    } else {
        char host[64] = "host";
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = 0;
        snprintf(prefix, sizeof prefix, "%s:%ld", host, (long)getpid());
    }
    for (int i = 0; i < p->nthreads; i++) {
        worker_slot *w = &p->slots[i];
        w->pool = p;
        snprintf(w->owner, sizeof w->owner, "%s:%d", prefix, i);
        atomic_init(&w->lease_lost, false);
        atomic_init(&w->cancel_requested, false);
    }
    for (int i = 0; i < p->nthreads; i++) {
        if (pthread_create(&p->slots[i].thread, NULL, worker_main, &p->slots[i]) != 0)
            goto fail;
        p->slots[i].started = true;
    }
    if (pthread_create(&p->heartbeat, NULL, heartbeat_main, p) != 0)
        goto fail;
    p->heartbeat_started = true;
    return p;
fail:
    stop_threads(p);
    pool_destroy(p);
    err_set(err, ERR_INTERNAL, "cannot start worker threads");
    err_hint(err, "lower WORKER_THREADS or raise the process's thread limit");
    return NULL;
}

void worker_pool_notify(worker_pool *p)
{
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
}

bool worker_pool_draining(const worker_pool *p) { return atomic_load(&p->draining); }

int worker_pool_running(const worker_pool *p) { return atomic_load(&p->running); }

int worker_pool_drain(worker_pool *p, long long deadline_ms)
{
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->draining, true);
    pthread_cond_broadcast(&p->wake);
    while (atomic_load(&p->running) > 0) {
        long long left = deadline_ms - worker_pool_now_ms();
        if (left <= 0)
            break;
        struct timespec dl = deadline_in(left);
        pthread_cond_timedwait(&p->idle, &p->mu, &dl);
    }
    int abandoned = 0;
    bool settling = false;
    for (int i = 0; i < p->nthreads; i++) {
        worker_slot *w = &p->slots[i];
        if (!w->busy)
            continue;
        if (w->settling) {
            /* its runner returned: handing the job back now would run a
             * finished job (and its finalized upload) a second time */
            settling = true;
            continue;
        }
        /* the runner did not return in time */
        hand_back_at_shutdown(w, w->job_id, "running");
        atomic_store(&w->lease_lost, true);
        abandoned = 1;
    }
    /* workers recording an outcome get a short grace (a few queries) */
    long long grace_end = worker_pool_now_ms() + WORKER_SETTLE_GRACE_MS;
    while (settling) {
        settling = false;
        for (int i = 0; i < p->nthreads; i++)
            settling |= p->slots[i].busy && p->slots[i].settling;
        long long left = grace_end - worker_pool_now_ms();
        if (!settling)
            break;
        if (left <= 0) {
            abandoned = 1;
            break;
        }
        struct timespec dl = deadline_in(left);
        pthread_cond_timedwait(&p->idle, &p->mu, &dl);
    }
    pthread_mutex_unlock(&p->mu);
    return abandoned;
}

void worker_pool_free(worker_pool *p)
{
    if (!p)
        return;
    stop_threads(p);
    pool_destroy(p);
}
