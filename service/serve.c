/* serve: see serve.h. */
#include "service/serve.h"

#include "common/json.h"
#include "common/log.h"
#include "service/http_server.h"
#include "service/job_engine.h"
#include "service/worker_pool.h"
#include "storage/config_crypto.h"
#include "storage/db_pool.h"
#include "storage/job_store.h"
#include "storage/migrations.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long the start waits for an unreachable database before giving up. */
#define START_DB_WAIT_MS 30000

struct serve {
    const service_config *cfg;
    db_pool *pool;
    config_crypto *crypto;
    job_store *store;
    job_engine *engine;
    job_runner runner;
    worker_pool *workers;
    http_server *http;
    api_context api;
    atomic_bool draining;
};

static bool draining_cb(void *arg)
{
    return atomic_load(&((serve *)arg)->draining);
}

static void enqueued_cb(void *arg)
{
    serve *s = arg;
    if (s->workers)
        worker_pool_notify(s->workers);
}

static int migrate_with_wait(db_pool *pool, err_info *err)
{
    long long deadline = worker_pool_now_ms() + START_DB_WAIT_MS;
    for (;;) {
        int applied = 0;
        err_clear(err);
        if (migrations_apply(pool, &applied, err) == 0) {
            char n[16];
            snprintf(n, sizeof n, "%d", applied);
            log_kv(LOG_INFO, "migrations applied", "applied", n, NULL);
            return 0;
        }
        if (err->kind != ERR_DATABASE || worker_pool_now_ms() >= deadline)
            return -1;
        log_kv(LOG_WARN, "database not reachable yet; retrying", "error", err->message, NULL);
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
}

static void serve_free_parts(serve *s, bool workers_abandoned)
{
    http_server_stop(s->http);
    s->http = NULL;
    if (workers_abandoned) {
        /* Threads may still use the store, the runner and the pool: leave
         * them to the process exit. */
        return;
    }
    if (s->workers)
        worker_pool_free(s->workers);
    job_engine_free(s->engine);
    /* The store registered a metrics collector that stays in the process-wide
     * registry; it is freed with the process (see job_store.h). */
    job_store_free(s->store);
    config_crypto_free(s->crypto);
    db_pool_free(s->pool);
    free(s);
}

serve *serve_start(const service_config *cfg, const serve_options *opts, err_info *err)
{
    serve_options none = {0};
    if (!opts)
        opts = &none;
    serve *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(err, ERR_NOMEM, "out of memory starting serve");
        return NULL;
    }
    s->cfg = cfg;
    atomic_init(&s->draining, false);
    json_init();
    log_secret_register(config_webhook_secret(cfg));
    if (config_j1_api_key(cfg))
        log_secret_register(config_j1_api_key(cfg));
    else
        log_kv(LOG_WARN, "J1_API_KEY is not set: uploads carry no Authorization header "
                         "(for a proxy that adds one); JupiterOne refuses them otherwise", NULL);

    int threads = config_worker_threads(cfg);
    db_pool_options po = {.url = config_database_url(cfg), .size = threads + 16};
    if (!(s->pool = db_pool_new(&po, err))) {
        err_prefix(err, "DATABASE_URL");
        goto fail;
    }
    if (migrate_with_wait(s->pool, err) != 0) {
        err_prefix(err, "applying migrations");
        goto fail;
    }
    if (!(s->crypto = config_crypto_new(config_encryption_key(cfg),
                                        config_encryption_old_keys(cfg), err))) {
        err_prefix(err, "CONFIG_ENCRYPTION_KEY");
        goto fail;
    }
    job_store_options so = {.max_attempts = config_job_max_attempts(cfg),
                            .lease_seconds = config_job_lease_seconds(cfg),
                            .backoff_base_ms = opts->backoff_base_ms,
                            .retention_days = config_job_retention_days(cfg)};
    if (!(s->store = job_store_new(s->pool, s->crypto, &so, err)))
        goto fail;
    job_store_register_metrics(s->store);

    if (opts->runner) {
        s->runner = *opts->runner;
    } else {
        job_engine_settings es = {.azure = *config_azure(cfg),
                                  .j1_api_base_url = config_j1_api_base_url(cfg),
                                  .j1_api_key = config_j1_api_key(cfg)};
        if (job_engine_new(&es, &s->engine, err) != 0) {
            err_prefix(err, "starting the job engine");
            goto fail;
        }
        s->runner = job_engine_runner(s->engine);
    }
    worker_pool_options wo = {.threads = threads,
                              .lease_seconds = config_job_lease_seconds(cfg),
                              .poll_interval_ms = opts->poll_interval_ms};
    if (!(s->workers = worker_pool_start(s->store, &s->runner, &wo, err)))
        goto fail;

    s->api = (api_context){.pool = s->pool,
                           .store = s->store,
                           .webhook_secret = config_webhook_secret(cfg),
                           .draining = draining_cb,
                           .job_enqueued = enqueued_cb,
                           .arg = s};
    http_server_options ho = {.host = config_http_host(cfg), .port = config_http_port(cfg)};
    if (!(s->http = http_server_start(&ho, &s->api, err))) {
        atomic_store(&s->draining, true);
        int abandoned = worker_pool_drain(s->workers, worker_pool_now_ms() + SERVE_DRAIN_MS);
        if (abandoned)
            return NULL; /* leave the parts to the process exit */
        goto fail;
    }
    char port[16], th[16];
    snprintf(port, sizeof port, "%d", http_server_port(s->http));
    snprintf(th, sizeof th, "%d", threads);
    log_kv(LOG_INFO, "serving", "host", config_http_host(cfg), "port", port, "workerThreads", th,
           NULL);
    return s;
fail:
    serve_free_parts(s, false);
    return NULL;
}

int serve_port(const serve *s)
{
    return http_server_port(s->http);
}

void serve_begin_drain(serve *s)
{
    if (!atomic_exchange(&s->draining, true))
        log_info("draining: readyz answers 503, workers stop taking jobs");
}

bool serve_draining(const serve *s)
{
    return atomic_load(&((serve *)s)->draining);
}

int serve_shutdown(serve *s, int drain_ms)
{
    if (!s)
        return 0;
    serve_begin_drain(s);
    long long deadline = worker_pool_now_ms() + (drain_ms > 0 ? drain_ms : SERVE_DRAIN_MS);
    int abandoned = worker_pool_drain(s->workers, deadline);
    if (abandoned)
        log_warn("drain deadline reached: unfinished jobs were handed back to the queue");
    else
        log_info("drained: every worker stopped");
    serve_free_parts(s, abandoned != 0);
    return abandoned ? 1 : 0;
}

/* After the first signal: a second one ends the process at once (an
 * operator pressing Ctrl-C twice); jobs still running are retaken after
 * their lease expires. */
static void *second_signal(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;
    while (sigwait(set, &sig) != 0)
        ;
    log_warn("second signal: exiting without waiting for the drain");
    _exit(1);
    return NULL;
}

int serve_run(const service_config *cfg)
{
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* Block before any thread starts so that every thread inherits the mask
     * and only sigwait below receives the signals. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    err_info err = {0};
    serve *s = serve_start(cfg, NULL, &err);
    if (!s) {
        char buf[800];
        log_kv(LOG_ERROR, "serve could not start", "error", err_describe(&err, buf, sizeof buf),
               NULL);
        return 1;
    }
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    log_kv(LOG_INFO, "signal received; shutting down", "signal",
           sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    pthread_t t;
    if (pthread_create(&t, NULL, second_signal, &set) == 0)
        pthread_detach(t);
    if (serve_shutdown(s, SERVE_DRAIN_MS) != 0) {
        /* Workers still inside a job use the store, the engine and the
         * configuration: end the process without freeing under them. */
        log_info("stopped (unfinished jobs handed back)");
        _exit(0);
    }
    log_info("stopped");
    return 0;
}
