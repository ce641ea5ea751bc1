/*
 * j1_upload_bench: throughput of the JupiterOne uploader (j1/j1_uploader.h)
 * against the in-process fake JupiterOne over loopback HTTP.
 *
 *   j1_upload_bench [objects=200000] [bytes_per_object=600]
 *
 * Streams N entities in chunks of 500 through the uploader's sink (size
 * batching, 6 uploads in flight, finalize), checks the fake received each
 * exactly once, and prints objects/s, MB/s and peak RSS.  Beside it, the
 * floor: the same bytes POSTed as pre-built 5 MB bodies by 6 threads calling
 * the sync client directly (no re-batching, no queue), and the ratio.
 * Both runs include the fake server's JSON parsing on the same machine.
 */
#include "common/log.h"
#include "fakes/fake_j1.h"
#include "j1/j1_sync_client.h"
#include "j1/j1_uploader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *make_obj(size_t i, size_t size, size_t *len)
{
    char *t = malloc(size + 128);
    int n = snprintf(t, size + 128, "{\"_key\":\"k-%zu\",\"_type\":\"bench_entity\",\"_class\":[\"Resource\"],\"v\":\"", i);
    size_t pad = size > (size_t)n + 2 ? size - (size_t)n - 2 : 1;
    memset(t + n, 'x', pad);
    strcpy(t + n + pad, "\"}");
    *len = (size_t)n + pad + 2;
    return t;
}

typedef struct floor_arg {
    j1_sync_client *c;
    const char *path;
    char **bodies;
    size_t *lens;
    size_t nbodies;
    size_t next;
    pthread_mutex_t mu;
    int failed;
} floor_arg;

static void *floor_worker(void *p)
{
    floor_arg *a = p;
    for (;;) {
        pthread_mutex_lock(&a->mu);
        size_t i = a->next++;
        pthread_mutex_unlock(&a->mu);
        if (i >= a->nbodies)
            return NULL;
        j1_response r;
        err_info e = {0};
        j1_retry_policy pol = {3, 100, 1000};
        if (j1_sync_call(a->c, "POST", a->path, a->bodies[i], a->lens[i], "00000000-0000-4000-8000-000000000000",
                         &pol, NULL, &r, &e) < 0 || r.status != 200)
            a->failed = 1;
        j1_response_free(&r);
    }
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
    size_t size = argc > 2 ? strtoul(argv[2], NULL, 10) : 600;
    log_set_level(LOG_WARN);
    fake_j1_options fo = {.api_key = "bench-key", .account_id = "bench"};
    fake_j1 *f = fake_j1_start(&fo);
    if (!f)
        return 1;
    j1_uploader_settings st = {.base_url = fake_j1_url(f), .api_key = "bench-key", .account_id = "bench",
                               .instance_id = "bench-instance"};
    j1_uploader *u = NULL;
    err_info err = {0};
    if (j1_uploader_new(&st, &u, &err) < 0) {
        fprintf(stderr, "uploader: %s\n", err.message);
        return 1;
    }
    graph_sink s = j1_uploader_sink(u);
    char *objs[500];
    size_t lens[500], total_bytes = 0;
    double t0 = now_s();
    for (size_t i = 0; i < n; i += 500) {
        size_t m = n - i < 500 ? n - i : 500;
        for (size_t j = 0; j < m; j++) {
            objs[j] = make_obj(i + j, size, &lens[j]);
            total_bytes += lens[j];
        }
        /* offered to be taken, as the graph store offers its buffers */
        graph_chunk c = {"bench", "bench_entity", GRAPH_ENTITIES, (const char *const *)objs, lens, m,
                         objs};
        int rc = s.write_chunk(s.ctx, &c, &err);
        for (size_t j = 0; j < m; j++)
            free(objs[j]);
        if (rc < 0) {
            fprintf(stderr, "write_chunk: %s\n", err.message);
            return 1;
        }
    }
    if (s.finish(s.ctx, NULL, 0, "{}", &err) < 0) {
        fprintf(stderr, "finish: %s\n", err.message);
        return 1;
    }
    double t_up = now_s() - t0;
    fake_j1_counts cnt;
    fake_j1_counts_get(f, &cnt);
    j1_uploader_free(u);
    int ok = cnt.entities == n && cnt.duplicates == 0 && cnt.finalizes == 1;
    struct rusage ru_up;
    getrusage(RUSAGE_SELF, &ru_up);

    /* floor: the same bytes as pre-built bodies, 6 threads, sync client only */
    fake_j1_stop(f);
    f = fake_j1_start(&fo);
    j1_sync_client *c = NULL;
    j1_sync_client_new(fake_j1_url(f), "bench-key", "bench", &c, &err);
    j1_response r;
    const char *start = "{\"source\":\"integration-managed\",\"integrationInstanceId\":\"b\"}";
    j1_sync_call(c, "POST", "/persister/synchronization/jobs", start, strlen(start), NULL, NULL, NULL, &r, &err);
    j1_response_free(&r);
    size_t per = 5000000 / size, nb = (n + per - 1) / per;
    floor_arg a = {c, "/persister/synchronization/jobs/sync-job-1/entities", calloc(nb, sizeof(char *)),
                   calloc(nb, sizeof(size_t)), nb, 0, PTHREAD_MUTEX_INITIALIZER, 0};
    for (size_t b = 0; b < nb; b++) {
        sbuf body;
        sbuf_init(&body);
        sbuf_puts(&body, "{\"entities\":[");
        for (size_t i = b * per; i < n && i < (b + 1) * per; i++) {
            size_t l;
            char *o = make_obj(i, size, &l);
            if (i > b * per)
                sbuf_putc(&body, ',');
            sbuf_append(&body, o, l);
            free(o);
        }
        sbuf_puts(&body, "]}");
        a.lens[b] = body.len;
        a.bodies[b] = sbuf_take(&body);
    }
    pthread_t th[6];
    t0 = now_s();
    for (int i = 0; i < 6; i++)
        pthread_create(&th[i], NULL, floor_worker, &a);
    for (int i = 0; i < 6; i++)
        pthread_join(th[i], NULL);
    double t_floor = now_s() - t0;
    fake_j1_counts_get(f, &cnt);
    ok = ok && !a.failed && cnt.entities == n;
    for (size_t b = 0; b < nb; b++)
        free(a.bodies[b]);
    free(a.bodies);
    free(a.lens);
    j1_sync_client_free(c);
    fake_j1_stop(f);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("j1_upload_bench: %zu entities, %.1f MB, exactly-once %s\n", n, (double)total_bytes / 1e6,
           ok ? "yes" : "NO");
    printf("  uploader : %.2f s  %.0f objects/s  %.1f MB/s\n", t_up, (double)n / t_up, (double)total_bytes / 1e6 / t_up);
    printf("  floor    : %.2f s  %.0f objects/s  %.1f MB/s (pre-built 5 MB bodies, 6 threads, no batching)\n",
           t_floor, (double)n / t_floor, (double)total_bytes / 1e6 / t_floor);
    printf("  ratio    : uploader/floor throughput = %.2f\n", t_floor / t_up);
    printf("  peak RSS : %.1f MB after the uploader run, %.1f MB after the floor run (process incl. the in-process fake)\n",
           (double)ru_up.ru_maxrss / 1024.0, (double)ru.ru_maxrss / 1024.0);
    return ok ? 0 : 1;
}
