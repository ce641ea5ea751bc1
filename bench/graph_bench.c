/*
 * graph_bench: issue 5's benchmark — fetch a large Active Directory through
 * the Azure client against the fake Azure server in generated mode.
 *
 *   graph_bench [--users N] [--groups N] [--members N] [--latency-ms N]
 *               [--concurrency N] [--top N] [--batch N] [--graph-batch N]
 *               [--fake PATH-TO-fake-azure]
 *
 * Defaults: 100,000 users, 10,000 groups, 500,000 memberships, 20 ms per
 * request, 8 requests in flight per API (the client's default).
 *
 * The fake runs as a separate process (fake-azure, found next to this
 * binary's build tree unless --fake is given) so that CPU time and peak RSS
 * are the client's alone.  The work is the requests the Active Directory
 * steps (steps/active_directory.c) send: users with their $select (one
 * list, every page, on its own thread as ad-users runs beside the group
 * steps), groups, then the members of every group through azure_list_many
 * in batches of 256 groups (as ad-group-members does), whose first pages
 * the client asks for --graph-batch at a time in Graph $batch requests
 * (default 20, Graph's limit; 1 = one GET per list).  Graph's default
 * page is 100 items, as the steps send no $top; --top N adds $top=N to
 * every list.  Each item is turned into an entity-like JSON record by the
 * callback (as a step does before handing it to the graph store), never
 * held.
 *
 * Lower bound: every HTTP request (a $batch counts once) costs at least
 * the injected latency and at most `concurrency` are in flight, so
 * wall >= requests x latency / concurrency.  The ratio wall / bound is the overhead of the client.
 */
#include "graph_bench_fake.h"

#include "azure/azure_client.h"
#include "common/json.h"
#include "common/sbuf.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct sink {
    long items;
    long bytes;
    sbuf rec;
} sink;

/* Builds the JSON record a step would produce from one Graph object. */
static void record(sink *s, const cJSON *item, const char *type, const char *extra_key) {
    sbuf_reset(&s->rec);
    sbuf_puts(&s->rec, "{\"_type\":");
    sbuf_json_string(&s->rec, type);
    sbuf_puts(&s->rec, ",\"_key\":");
    sbuf_json_string(&s->rec, json_get_string(item, "id"));
    static const char *const fields[] = {"displayName", "userPrincipalName", "mail",
                                         "jobTitle", "@odata.type"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = json_get_string(item, fields[i]);
        if (!v) continue;
        sbuf_putc(&s->rec, ',');
        sbuf_json_string(&s->rec, fields[i]);
        sbuf_putc(&s->rec, ':');
        sbuf_json_string(&s->rec, v);
    }
    if (extra_key) {
        sbuf_puts(&s->rec, ",\"_fromEntityKey\":");
        sbuf_json_string(&s->rec, extra_key);
    }
    sbuf_putc(&s->rec, '}');
    s->items++;
    s->bytes += (long)s->rec.len;
}

static int on_user(void *arg, const cJSON *item, err_info *err) {
    (void)err;
    record(arg, item, "azure_user", NULL);
    return 0;
}

typedef struct groups {
    sink s;
    char (*ids)[40];
    size_t n, cap;
} groups;

static int on_group(void *arg, const cJSON *item, err_info *err) {
    groups *g = arg;
    record(&g->s, item, "azure_user_group", NULL);
    const char *id = json_get_string(item, "id");
    if (!id) return 0;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 1024;
        void *p = realloc(g->ids, cap * sizeof *g->ids);
        if (!p) return err_set(err, ERR_NOMEM, "out of memory");
        g->ids = p;
        g->cap = cap;
    }
    snprintf(g->ids[g->n++], sizeof g->ids[0], "%s", id);
    return 0;
}

typedef struct members {
    sink s;
    const groups *g;
    size_t offset;   /* first group of the current batch */
} members;

static int on_member(void *arg, size_t index, const cJSON *item, err_info *err) {
    (void)err;
    members *m = arg;
    record(&m->s, item, "azure_group_has_member", m->g->ids[m->offset + index]);
    return 0;
}

typedef struct user_thread {
    azure_client *client;
    const char *path;
    sink s;
    int rc;
    err_info err;
} user_thread;

static void *users_main(void *arg) {
    user_thread *u = arg;
    u->rc = azure_list(u->client, AZURE_API_GRAPH, u->path, on_user, &u->s, &u->err);
    return NULL;
}

int main(int argc, char **argv) {
    long users = 100000, ngroups = 10000, nmembers = 500000;
    int latency = 20, concurrency = 8, top = 0, batch = 256, graph_batch = 0;
    char fake_bin[PATH_MAX] = "";
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--users") == 0) users = atol(v);
        else if (strcmp(a, "--groups") == 0) ngroups = atol(v);
        else if (strcmp(a, "--members") == 0) nmembers = atol(v);
        else if (strcmp(a, "--latency-ms") == 0) latency = atoi(v);
        else if (strcmp(a, "--concurrency") == 0) concurrency = atoi(v);
        else if (strcmp(a, "--top") == 0) top = atoi(v);
        else if (strcmp(a, "--batch") == 0) batch = atoi(v);
        else if (strcmp(a, "--graph-batch") == 0) graph_batch = atoi(v);
        else if (strcmp(a, "--fake") == 0) snprintf(fake_bin, sizeof fake_bin, "%s", v);
        else {
            fprintf(stderr, "graph_bench: unknown option %s\n", a);
            return 2;
        }
    }
    json_init();
    char gen[256];
    snprintf(gen, sizeof gen, "users=%ld,groups=%ld,members=%ld", users, ngroups, nmembers);
    bench_fake fake;
    if (bench_fake_start(&fake, fake_bin[0] ? fake_bin : NULL, gen, latency) != 0) return 1;
    const char *url = fake.url;

    azure_endpoints ep;
    memset(&ep, 0, sizeof ep);
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", url);
    snprintf(ep.graph, sizeof ep.graph, "%s", url);
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", url);
    azure_credentials cr = {"bench-tenant", "bench-client", "bench-secret"};
    azure_client_options opts = {.max_concurrency_per_api = concurrency,
                                 .graph_batch_max = graph_batch};
    azure_client *client = NULL;
    err_info err;
    int status = 1;
    if (azure_client_new(&ep, &cr, &opts, &client, &err) != 0 ||
        azure_client_authenticate(client, AZURE_API_GRAPH, &err) != 0) {
        fprintf(stderr, "graph_bench: %s\n", err.message);
        goto done;
    }

    if (batch < 1) batch = 1;
    char q[32] = "", users_path[256], groups_path[64];
    if (top > 0) snprintf(q, sizeof q, "$top=%d", top);
    snprintf(users_path, sizeof users_path,
             "/users?$select=businessPhones,displayName,givenName,jobTitle,mail,mobilePhone,"
             "officeLocation,preferredLanguage,surname,userPrincipalName,id,userType%s%s",
             q[0] ? "&" : "", q);
    snprintf(groups_path, sizeof groups_path, "/groups%s%s", q[0] ? "?" : "", q);

    double t0 = bench_now_s();
    user_thread ut = {.client = client, .path = users_path};
    sbuf_init(&ut.s.rec);
    pthread_t th;
    pthread_create(&th, NULL, users_main, &ut);
    groups g = {0};
    sbuf_init(&g.s.rec);
    int rc = azure_list(client, AZURE_API_GRAPH, groups_path, on_group, &g, &err);
    members m = {.g = &g};
    sbuf_init(&m.s.rec);
    char **paths = calloc(g.n ? g.n : 1, sizeof *paths);
    for (size_t i = 0; rc == 0 && i < g.n; i++) {
        char p[96];
        snprintf(p, sizeof p, "/groups/%s/members%s%s", g.ids[i], q[0] ? "?" : "", q);
        paths[i] = strdup(p);
    }
    for (size_t at = 0; rc == 0 && at < g.n; at += (size_t)batch) {
        size_t n = g.n - at < (size_t)batch ? g.n - at : (size_t)batch;
        m.offset = at;
        rc = azure_list_many(client, AZURE_API_GRAPH, (const char *const *)paths + at, n,
                             on_member, &m, NULL, &err);
    }
    pthread_join(th, NULL);
    double wall = bench_now_s() - t0;
    if (rc != 0 || ut.rc != 0) {
        fprintf(stderr, "graph_bench: %s\n", rc != 0 ? err.message : ut.err.message);
        goto free_all;
    }
    azure_stats st;
    azure_client_stats(client, &st);
    double cpu, rss;
    bench_usage(&cpu, &rss);
    long requests = (long)st.requests[AZURE_API_GRAPH];
    double bound = (double)requests * latency / 1000.0 / concurrency;
    printf("graph_bench: users=%ld groups=%ld memberships=%ld latency=%dms concurrency=%d "
           "page=%d batch=%d graph-batch=%d\n",
           users, ngroups, nmembers, latency, concurrency, top > 0 ? (top > 999 ? 999 : top) : 100,
           batch, graph_batch > 0 && graph_batch < 20 ? graph_batch : 20);
    printf("  items: users %ld, groups %ld, members %ld (records %.1f MB)\n", ut.s.items,
           g.s.items, m.s.items, (double)(ut.s.bytes + g.s.bytes + m.s.bytes) / 1e6);
    printf("  HTTP requests: %ld  retries: %lld  throttled: %lld\n", requests,
           (long long)st.retries[AZURE_API_GRAPH], (long long)st.throttled[AZURE_API_GRAPH]);
    printf("  wall time:   %.2f s\n", wall);
    printf("  lower bound: %.2f s  (pages x latency / concurrency)\n", bound);
    printf("  ratio:       %.3f  (target <= 1.3)\n", wall / bound);
    printf("  CPU seconds: %.2f (user+sys, client process)\n", cpu);
    printf("  peak RSS:    %.1f MB  (target <= 300)\n", rss);
    status = (ut.s.items == users && m.s.items == nmembers && g.s.items == ngroups) ? 0 : 1;
    if (status) fprintf(stderr, "graph_bench: item counts differ from the tenant\n");
free_all:
    for (size_t i = 0; i < g.n; i++) free(paths[i]);
    free(paths);
    free(g.ids);
    sbuf_free(&ut.s.rec);
    sbuf_free(&g.s.rec);
    sbuf_free(&m.s.rec);
done:
    azure_client_free(client);
    bench_fake_stop(&fake);
    return status;
}
