/*
 * http_bench: the client's CPU per HTTP request, the figure that bounds a
 * job whose Resource Manager reads trickle out at Azure's pace.
 *
 *   http_bench [--requests N] [--per-slot B] [--slot-ms S] [--width W]
 *              [--latency-ms L] [--token-bytes T] [--fake PATH]
 *
 * Starts fake-azure (generated tenant, L ms per answer) as a child process
 * and sends N GETs the way a top-size job sends its paced reads: B requests
 * released every S ms (defaults 25 per 200 ms: 5 subscriptions at 25
 * reads/s), at most W in flight, each with the client's headers and an
 * Authorization header as long as an Azure AD token's (T, default 1600
 * bytes).  Twice, through
 * azure_http:
 *   threads  W threads, each blocked in azure_http_perform (one request
 *            per thread at a time: the client before session 7);
 *   loop     one thread driving an azure_http_multi (the event loop of
 *            azure_list_many / azure_get_many).
 * For each: wall time against the floor the release rate sets
 * (N / B slots x S ms) as a ratio, this process's CPU seconds, CPU per
 * request, and what that costs the 47,890 requests of a top-size job
 * (bench/README.md, e2e --top).
 */
#include "azure/azure_http.h"
#include "graph_bench_fake.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOP_JOB_REQUESTS 47890

typedef struct bench_opts {
    int requests, per_slot, slot_ms, width, latency_ms, token_bytes;
    const char *fake_bin;
} bench_opts;

typedef struct shared {
    const bench_opts *o;
    azure_http *http;
    const char *url;
    const char *const *headers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int released, taken, failed;
} shared;

static void sleep_until(double t) {
    double d = t - bench_now_s();
    if (d <= 0) return;
    struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
    nanosleep(&ts, NULL);
}

static void *thread_main(void *arg) {
    shared *sh = arg;
    azure_http_response resp;
    azure_http_response_init(&resp);
    azure_http_request req = {.method = "GET", .url = sh->url, .headers = sh->headers};
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        while (sh->taken == sh->released && sh->taken < sh->o->requests)
            pthread_cond_wait(&sh->cv, &sh->mu);
        bool done = sh->taken >= sh->o->requests;
        if (!done) sh->taken++;
        pthread_mutex_unlock(&sh->mu);
        if (done) break;
        err_info err = {0};
        int rc = azure_http_perform(sh->http, &req, &resp, &err);
        if (rc != 0 || resp.status != 200) {
            pthread_mutex_lock(&sh->mu);
            sh->failed++;
            pthread_mutex_unlock(&sh->mu);
        }
    }
    azure_http_response_free(&resp);
    return NULL;
}

/* W threads, each blocked in azure_http_perform. */
static int run_threads(shared *sh) {
    const bench_opts *o = sh->o;
    pthread_t *th = calloc((size_t)o->width, sizeof *th);
    if (!th) return -1;
    int started = 0;
    for (; started < o->width; started++)
        if (pthread_create(&th[started], NULL, thread_main, sh) != 0) break;
    double t0 = bench_now_s();
    for (int slot = 0; sh->released < o->requests; slot++) {
        sleep_until(t0 + slot * o->slot_ms / 1000.0);
        pthread_mutex_lock(&sh->mu);
        sh->released += o->per_slot;
        if (sh->released > o->requests) sh->released = o->requests;
        pthread_cond_broadcast(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
    }
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    free(th);
    return started == o->width ? 0 : -1;
}

/* One thread and an azure_http_multi. */
static int run_loop(shared *sh) {
    const bench_opts *o = sh->o;
    azure_http_multi *m = azure_http_multi_borrow(sh->http);
    azure_http_response *resp = calloc((size_t)o->width, sizeof *resp);
    bool *busy = calloc((size_t)o->width, sizeof *busy);
    if (!m || !resp || !busy) {
        free(resp);
        free(busy);
        azure_http_multi_give_back(m);
        return -1;
    }
    for (int i = 0; i < o->width; i++) azure_http_response_init(&resp[i]);
    azure_http_request req = {.method = "GET", .url = sh->url, .headers = sh->headers};
    double t0 = bench_now_s();
    int done = 0, slot = 0;
    while (done < o->requests) {
        double now = bench_now_s();
        while (sh->released < o->requests && t0 + slot * o->slot_ms / 1000.0 <= now) {
            sh->released += o->per_slot;
            if (sh->released > o->requests) sh->released = o->requests;
            slot++;
        }
        for (int i = 0; i < o->width && sh->taken < sh->released; i++) {
            if (busy[i]) continue;
            err_info err = {0};
            if (azure_http_multi_start(m, &req, &resp[i], &resp[i], &err) != 0) {
                sh->failed++;
                done++;
            } else {
                busy[i] = true;
            }
            sh->taken++;
        }
        double next = t0 + slot * o->slot_ms / 1000.0 - bench_now_s();
        int wait = sh->released < o->requests ? (int)(next * 1000.0) + 1 : 250;
        if (wait < 0) wait = 0;
        if (wait > 250) wait = 250;
        int rc = 0;
        err_info err = {0};
        azure_http_response *r = azure_http_multi_next(m, wait, &rc, &err);
        if (!r) continue;
        busy[r - resp] = false;
        done++;
        if (rc != 0 || r->status != 200) sh->failed++;
    }
    for (int i = 0; i < o->width; i++) azure_http_response_free(&resp[i]);
    free(resp);
    free(busy);
    azure_http_multi_give_back(m);
    return 0;
}

static int measure(const char *name, int (*run)(shared *), const bench_opts *o,
                   const char *url, const char *const *headers) {
    azure_http_options ho = {0};
    shared sh = {.o = o, .url = url, .headers = headers};
    sh.http = azure_http_new(&ho);
    if (!sh.http) return -1;
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.cv, NULL);
    double c0, c1, rss;
    bench_usage(&c0, &rss);
    double t0 = bench_now_s();
    int rc = run(&sh);
    double wall = bench_now_s() - t0;
    bench_usage(&c1, &rss);
    pthread_cond_destroy(&sh.cv);
    pthread_mutex_destroy(&sh.mu);
    azure_http_free(sh.http);
    if (rc != 0) return -1;
    int slots = (o->requests + o->per_slot - 1) / o->per_slot;
    double floor = (slots - 1) * o->slot_ms / 1000.0 + o->latency_ms / 1000.0;
    double cpu = c1 - c0, per = cpu / o->requests;
    printf("%-8s %6d requests (%d failed)  wall %7.2f s  floor %7.2f s  ratio %.2f  "
           "CPU %6.2f s  %6.1f us/request  top-size job (%d requests): %5.2f CPU s\n",
           name, o->requests, sh.failed, wall, floor, wall / floor, cpu, per * 1e6,
           TOP_JOB_REQUESTS, per * TOP_JOB_REQUESTS);
    return sh.failed == 0 ? 0 : -1;
}

static int int_arg(const char *v, int lo) {
    int n = v ? atoi(v) : 0;
    return n >= lo ? n : -1;
}

int main(int argc, char **argv) {
    bench_opts o = {.requests = 3000, .per_slot = 25, .slot_ms = 200, .width = 8,
                    .latency_ms = 20, .token_bytes = 1600};
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *field = NULL;
        int lo = 1;
        if (strcmp(argv[i], "--requests") == 0) field = &o.requests;
        else if (strcmp(argv[i], "--per-slot") == 0) field = &o.per_slot;
        else if (strcmp(argv[i], "--slot-ms") == 0) field = &o.slot_ms;
        else if (strcmp(argv[i], "--width") == 0) field = &o.width;
        else if (strcmp(argv[i], "--latency-ms") == 0) field = &o.latency_ms, lo = 0;
        else if (strcmp(argv[i], "--token-bytes") == 0) field = &o.token_bytes;
        else if (strcmp(argv[i], "--fake") == 0 && v) {
            o.fake_bin = v;
            i++;
            continue;
        }
        if (!field || (*field = int_arg(v, lo)) < 0) {
            fprintf(stderr, "usage: http_bench [--requests N] [--per-slot B] [--slot-ms S] "
                            "[--width W] [--latency-ms L] [--token-bytes T] [--fake PATH]\n");
            return 2;
        }
        i++;
    }
    bench_fake fake;
    if (bench_fake_start(&fake, o.fake_bin, "users=10,groups=2,members=2,sps=2,subscriptions=1,"
                         "resourcegroups=1,resources=10", o.latency_ms) != 0)
        return 1;
    if (o.token_bytes > 8192) o.token_bytes = 8192;
    char url[256], auth[8192 + 32];
    snprintf(url, sizeof url, "%s/subscriptions?api-version=2022-12-01", fake.url);
    /* an Azure AD access token is 1.5-2.5 KB */
    strcpy(auth, "Authorization: Bearer ");
    size_t n = strlen(auth);
    for (size_t i = 0; i < (size_t)o.token_bytes; i++)
        auth[n + i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36];
    auth[n + (size_t)o.token_bytes] = '\0';
    const char *headers[] = {auth, "x-ms-client-request-id: 5b0f2a1c-9d1e-4f6a-8c3b-2e7d9a0b1c4d",
                             "Accept: application/json", "Accept-Language: en-US", NULL};
    printf("http_bench: %d GETs, %d released every %d ms, at most %d in flight, fake latency "
           "%d ms, %d-byte token\n", o.requests, o.per_slot, o.slot_ms, o.width, o.latency_ms,
           o.token_bytes);
    int rc = measure("threads", run_threads, &o, url, headers);
    if (measure("loop", run_loop, &o, url, headers) != 0) rc = -1;
    bench_fake_stop(&fake);
    return rc == 0 ? 0 : 1;
}
