/*
 * load_events: the scheduler's webhook under load.  Sends N signed events
 * (service-contract.md POST /v1/events) over loopback to a real
 * `azure-integration serve` on a real PostgreSQL, from C client threads
 * (one kept-alive connection each), then checks from the database that
 * every accepted event is exactly one job (no loss, no duplicate) and
 * prints throughput and latency beside the target (>= 2,000 events/s,
 * p99 < 50 ms) as ratios.
 *
 *   load_events [--events N] [--instances M] [--concurrency C]
 *               [--serve-bin PATH]
 *
 * Event i is for instance i % M (M = N by default: every event a new job;
 * a smaller M makes later events coalesce onto the instance's queued job,
 * answered 200 with that job).  DATABASE_URL is used when set (a fresh
 * database is created in it and dropped afterwards); otherwise a private
 * PostgreSQL is started with scripts/pg.sh and stopped at the end.
 *
 * Workers must not ingest during the load and WORKER_THREADS cannot be 0:
 * serve runs with WORKER_THREADS=1 and Azure / JupiterOne endpoints on a
 * loopback port where nothing listens, so the one worker spends the run
 * in its connection retries (jobs it touches go back to queued: still one
 * job each).
 */
#include "common/random.h"
#include "support/proc_child.h"
#include "support/proc_http.h"
#include "support/proc_pg.h"
#include "support/proc_serve.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AI_BUILD_DIR
#define AI_BUILD_DIR "."
#endif

#define TARGET_EVENTS_PER_S 2000.0
#define TARGET_P99_MS 50.0

typedef struct answer {
    short status;
    char job_id[37];
    float ms;
} answer;

typedef struct load {
    const char *base_url;
    const char *secret;
    char run_id[16];
    int events, instances;
    atomic_int next;
    answer *answers;
    atomic_int transport_errors;
} load;

static void event_body(const load *l, int i, char *buf, size_t size)
{
    snprintf(buf, size,
             "{\"eventId\":\"load-%s-%08d\",\"accountId\":\"bench-account\","
             "\"integrationInstance\":{\"id\":\"bench-inst-%s-%07d\",\"name\":\"Bench %d\","
             "\"config\":{\"directoryId\":\"00000000-0000-4000-8000-000000000000\","
             "\"clientId\":\"bench-client\",\"clientSecret\":\"bench-secret-%d\","
             "\"ingestActiveDirectory\":true}}}",
             l->run_id, i, l->run_id, i % l->instances, i % l->instances, i % l->instances);
}

static void *client_thread(void *arg)
{
    load *l = arg;
    proc_http *h = proc_http_new();
    proc_http_answer a = {0};
    char body[1024];
    for (int i; h && (i = atomic_fetch_add(&l->next, 1)) < l->events;) {
        event_body(l, i, body, sizeof body);
        answer *r = &l->answers[i];
        if (proc_http_post_event(h, l->base_url, l->secret, 0, body, 30000, &a) != 0) {
            atomic_fetch_add(&l->transport_errors, 1);
            r->status = 0;
            continue;
        }
        r->status = (short)a.status;
        r->ms = (float)(a.seconds * 1000.0);
        const char *p = strstr(a.body, "\"jobId\":\"");
        if (p)
            snprintf(r->job_id, sizeof r->job_id, "%.36s", p + 9);
    }
    proc_http_answer_free(&a);
    proc_http_free(h);
    return NULL;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A port where nothing listens (bound, never listened, kept bound for the
 * run so no one else takes it): connections are refused at once. */
static int refused_port(int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    *fd_out = fd;
    return ntohs(a.sin_port);
}

/* Checks the database against the answers.  Returns the number of
 * discrepancies (0 = exactly once). */
static long verify(const load *l, const char *db_url, long accepted, long joined)
{
    long bad = 0;
    PGconn *c = PQconnectdb(db_url);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "verify: cannot connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return 1;
    }
    PGresult *r = PQexec(c, "SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM job_events),"
                            " (SELECT count(DISTINCT instance_id) FROM jobs)");
    long jobs = atol(PQgetvalue(r, 0, 0)), events = atol(PQgetvalue(r, 0, 1));
    long inst = atol(PQgetvalue(r, 0, 2));
    PQclear(r);
    printf("database: %ld jobs for %ld instances, %ld event ids recorded\n", jobs, inst, events);
    if (jobs != accepted) {
        printf("  MISMATCH: %ld jobs but %ld events answered 202\n", jobs, accepted);
        bad++;
    }
    if (events != accepted + joined) {
        printf("  MISMATCH: %ld event ids recorded but %ld answered 200/202\n", events,
               accepted + joined);
        bad++;
    }
    /* every answered event maps to the job id it was answered with */
    r = PQexec(c, "SELECT e.event_id, e.job_id::text FROM job_events e ORDER BY e.event_id");
    int n = PQntuples(r);
    char prefix[40];
    snprintf(prefix, sizeof prefix, "load-%s-", l->run_id);
    long mapped = 0;
    for (int i = 0; i < n; i++) {
        const char *ev = PQgetvalue(r, i, 0);
        if (strncmp(ev, prefix, strlen(prefix)) != 0)
            continue;
        int idx = atoi(ev + strlen(prefix));
        if (idx < 0 || idx >= l->events)
            continue;
        const answer *a = &l->answers[idx];
        if ((a->status == 200 || a->status == 202) && strcmp(a->job_id, PQgetvalue(r, i, 1)) == 0)
            mapped++;
        else if (bad++ < 10)
            printf("  MISMATCH: event %s is job %s, answered %d with %s\n", ev, PQgetvalue(r, i, 1),
                   a->status, a->job_id);
    }
    PQclear(r);
    if (mapped != accepted + joined) {
        printf("  MISMATCH: %ld answered events map to their job, expected %ld\n", mapped,
               accepted + joined);
        bad++;
    }
    /* 202 job ids are distinct */
    char **ids = calloc((size_t)(accepted ? accepted : 1), sizeof *ids);
    long k = 0;
    for (int i = 0; ids && i < l->events; i++)
        if (l->answers[i].status == 202 && k < accepted)
            ids[k++] = l->answers[i].job_id;
    if (ids) {
        qsort(ids, (size_t)k, sizeof *ids, cmp_str);
        for (long i = 1; i < k; i++)
            if (strcmp(ids[i - 1], ids[i]) == 0) {
                printf("  DUPLICATE: job %s answered 202 twice\n", ids[i]);
                bad++;
            }
    }
    free(ids);
    PQfinish(c);
    return bad;
}

static void usage(void)
{
    fprintf(stderr, "usage: load_events [--events N] [--instances M] [--concurrency C]"
                    " [--serve-bin PATH]\n");
}

int main(int argc, char **argv)
{
    int events = 20000, instances = 0, conc = 16;
    const char *serve_bin = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 64;
        }
        if (strcmp(argv[i], "--events") == 0)
            events = atoi(v);
        else if (strcmp(argv[i], "--instances") == 0)
            instances = atoi(v);
        else if (strcmp(argv[i], "--concurrency") == 0)
            conc = atoi(v);
        else if (strcmp(argv[i], "--serve-bin") == 0)
            serve_bin = v;
        else {
            usage();
            return 64;
        }
        i++;
    }
    if (events < 1 || conc < 1 || conc > 1024 || instances < 0) {
        usage();
        return 64;
    }
    if (instances == 0 || instances > events)
        instances = events;
    char bin[4096];
    snprintf(bin, sizeof bin, "%s", serve_bin ? serve_bin
                                   : getenv("AI_SERVE_BIN") ? getenv("AI_SERVE_BIN")
                                                            : AI_BUILD_DIR "/azure-integration");
    setenv("AI_SERVE_BIN", bin, 1);

    int rc = 1, refused_fd = -1;
    proc_pg *pg = NULL;
    proc_serve *serve = NULL;
    pthread_t *threads = NULL;
    load l = {.events = events, .instances = instances};
    unsigned char rb[4];
    random_bytes(rb, sizeof rb);
    snprintf(l.run_id, sizeof l.run_id, "%02x%02x%02x%02x", rb[0], rb[1], rb[2], rb[3]);
    l.answers = calloc((size_t)events, sizeof *l.answers);
    threads = calloc((size_t)conc, sizeof *threads);
    if (!l.answers || !threads)
        goto done;
    pg = proc_pg_start("load_events");
    if (!pg)
        goto done;
    if (proc_pg_private_dir(pg))
        printf("private PostgreSQL in %s\n", proc_pg_private_dir(pg));
    const char *db_url = proc_pg_url(pg);

    int dead = refused_port(&refused_fd);
    char dead_url[64], secret[64], key[64], logpath[300];
    snprintf(dead_url, sizeof dead_url, "http://127.0.0.1:%d", dead);
    unsigned char kb[32];
    random_bytes(kb, sizeof kb);
    EVP_EncodeBlock((unsigned char *)key, kb, sizeof kb);
    random_bytes(kb, 16);
    for (int i = 0; i < 16; i++)
        snprintf(secret + 2 * i, 3, "%02x", kb[i]);
    snprintf(logpath, sizeof logpath, "/tmp/load-events-serve-%s.log", l.run_id);
    proc_serve_options so = {.database_url = db_url, .webhook_secret = secret,
                             .encryption_key = key, .j1_url = dead_url,
                             .j1_api_key = "bench-j1-key", .azure_url = dead_url,
                             .worker_threads = 1, .log_level = "warn", .log_path = logpath};
    serve = proc_serve_start(&so);
    if (!dead || !serve)
        goto done;
    l.base_url = proc_serve_url(serve);
    l.secret = secret;
    printf("serve: %s (%s), log %s\n", l.base_url, bin, logpath);
    printf("load: %d events for %d instances, %d client threads\n", events, instances, conc);
    fflush(stdout);

    double cpu0 = 0, cpu1 = 0;
    long rss = 0;
    proc_child_usage(proc_serve_child(serve), &cpu0, &rss);
    long long t0 = proc_now_ms();
    int started = 0;
    for (; started < conc; started++)
        if (pthread_create(&threads[started], NULL, client_thread, &l) != 0)
            break;
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    double wall = (double)(proc_now_ms() - t0) / 1000.0;
    proc_child_usage(proc_serve_child(serve), &cpu1, &rss);
    if (started == 0)
        goto done;

    long accepted = 0, joined = 0, other = 0, statuses[6] = {0};
    float *lat = malloc((size_t)events * sizeof *lat);
    long nlat = 0;
    for (int i = 0; i < events; i++) {
        const answer *a = &l.answers[i];
        if (a->status == 202)
            accepted++;
        else if (a->status == 200)
            joined++;
        else
            other++;
        if (a->status >= 100 && a->status < 600)
            statuses[a->status / 100]++;
        if (a->status && lat)
            lat[nlat++] = a->ms;
    }
    double p50 = 0, p99 = 0, pmax = 0;
    if (lat && nlat) {
        qsort(lat, (size_t)nlat, sizeof *lat, cmp_float);
        p50 = lat[(size_t)(0.50 * (double)(nlat - 1))];
        p99 = lat[(size_t)(0.99 * (double)(nlat - 1))];
        pmax = lat[nlat - 1];
    }
    free(lat);
    double rate = (double)events / wall;
    printf("answers: %ld 202, %ld 200, %ld other (%ld 4xx, %ld 5xx, %d transport errors)\n",
           accepted, joined, other, statuses[4], statuses[5], atomic_load(&l.transport_errors));
    printf("throughput: %.0f events/s in %.2f s   target >= %.0f   ratio %.2f (%s)\n", rate, wall,
           TARGET_EVENTS_PER_S, rate / TARGET_EVENTS_PER_S,
           rate >= TARGET_EVENTS_PER_S ? "met" : "NOT met");
    printf("latency: p50 %.2f ms  p99 %.2f ms  max %.2f ms   target p99 < %.0f ms   ratio p99/target %.2f (%s)\n",
           p50, p99, pmax, TARGET_P99_MS, p99 / TARGET_P99_MS, p99 < TARGET_P99_MS ? "met" : "NOT met");
    printf("serve: %.2f CPU s for the load (%.3f ms per event), peak RSS %.1f MB\n", cpu1 - cpu0,
           (cpu1 - cpu0) * 1000.0 / events, (double)rss / 1024.0);

    long bad = verify(&l, db_url, accepted, joined);
    printf("exactly once: %s\n", bad == 0 && other == 0 ? "yes (every 202 is one job, every 200 its existing job)"
                              : bad == 0 ? "yes for every answered event, but some events were not accepted"
                                         : "NO");
    rc = bad == 0 && other == 0 ? 0 : 1;
done:
    if (serve) {
        int code = -1;
        proc_serve_term(serve, 40000, &code, NULL);
        proc_serve_free(serve);
    }
    if (refused_fd >= 0)
        close(refused_fd);
    proc_pg_stop(pg);
    free(threads);
    free(l.answers);
    return rc;
}
