/*
 * e2e: the whole service end to end in one command (issue 9).
 *
 *   e2e [--scale S] [--instances K] [--workers W] [--shared [--subscriptions N]]
 *       [--users U] [--resources R] [--one-principal] [--no-collect]
 *       [--latency-ms L] [--token-bytes T] [--no-throttle] [--serve-bin PATH]
 *   e2e --top [--instances K]     the top size: --users 100000
 *       --resources 50000 --shared --subscriptions 5
 *
 * Starts a database (proc_pg: DATABASE_URL, else a private PostgreSQL via
 * scripts/pg.sh), fake Azure in generated mode with Azure's read throttling
 * and L ms per request, fake JupiterOne, and `azure-integration serve` as
 * its own process (so its CPU seconds and peak RSS, read from /proc, are
 * serve's alone); posts one signed event for each of K instances, all on
 * the generated tenant: by default instance i ingests subscription i
 * (config.subscriptionId; its own throttling bucket, as separate customers
 * have), with --shared every instance ingests all N subscriptions (and
 * they share the buckets when --one-principal gives every instance the
 * same client id; by default instance i is app registration e2e-client-i,
 * and the fake scopes its buckets to the principal as Azure does).
 * Waits for every job; prints each job's wall
 * time and counts, the run's lower bound and ratio, serve's CPU and RSS,
 * requests / throttled / retries, and checks the graph that reached fake
 * JupiterOne:
 *   - expected counts per _type: `azure-integration collect` is run first
 *     (with instance 0's config) against a second fake of the same tenant
 *     (no throttling, no latency); JupiterOne must have received K x its
 *     count of every type, and collect's AD, subscription and resource
 *     group counts must equal the tenant's sizes (--no-collect skips this
 *     check, for quicker reruns: `collect` takes as long as a job);
 *   - nothing uploaded twice: JupiterOne received exactly the jobs' own
 *     distinct-object totals, no key more than K times (keys holding an
 *     instance id once); K finalized sync jobs, none aborted.
 *
 * Fake Azure AD issues access tokens of T bytes (default 1600, as long as
 * Azure AD's app-only tokens): every request carries one, and libcurl
 * copies request headers a byte at a time, so a short fake token would
 * understate each request's CPU (by ~40 us with Debian 12's libcurl;
 * bench/http_bench --token-bytes).
 *
 * Tenant at scale S: users U = 200 S (or --users U), groups U/10,
 * memberships 5 U, service principals U/10, K subscriptions (--shared: N,
 * default 1) with 3 resource groups and 2 S resources of every generated
 * ARM type each (--resources R: R resources in all, spread evenly over the
 * subscriptions and types).
 *
 * Lower bound of the run = the largest of
 *   - ARM rate: max(0, reads answered by the busiest bucket - 250) / 25 s
 *     (a bucket per principal and subscription, and one per principal for
 *     tenant-level reads: burst 250, 25 reads/s; the fake counts them);
 *   - Graph rate: max(0, reads answered by the busiest Graph bucket
 *     (one per principal) - 8000) / 800 s;
 *   - latency: for each API, HTTP requests (a Graph $batch counts once)
 *     x L / (8 x min(K, W)) (the client's default 8 requests in flight per
 *     API and job).
 * ratio = run wall (first event posted to last job finished) / bound.
 */
#include "common/json.h"
#include "common/random.h"
#include "fakes/fake_azure.h"
#include "fakes/fake_j1.h"
#include "support/proc_child.h"
#include "support/proc_http.h"
#include "support/proc_pg.h"
#include "support/proc_serve.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AI_BUILD_DIR
#define AI_BUILD_DIR "."
#endif

#define ARM_BURST 250.0
#define ARM_READS_PER_S 25.0
#define GRAPH_BURST 8000.0
#define GRAPH_PER_S 800.0
#define CLIENT_IN_FLIGHT 8.0
#define DIRECTORY "00000000-0000-4000-8000-000000000000"
#define ACCOUNT "e2e-account"

typedef struct opts {
    int scale, instances, workers, subscriptions, latency_ms, users, resources, token_bytes;
    bool throttle, shared, one_principal, no_collect;
    const char *serve_bin;
} opts;

typedef struct job_row {
    char id[64];
    char status[16];
    double wall_s;
    double finished_at; /* seconds since the epoch, from the API */
    double attempts, entities, relationships, api_requests, throttled;
} job_row;

/* Id of generated subscription i (tests/fakes/fake_azure_gen.c guid()). */
static void sub_id(char out[37], int i)
{
    snprintf(out, 37, "00000004-0000-4000-8000-%012x", (unsigned)i);
}

/* ",\"subscriptionId\":\"...\"" for instance i, or "" when shared. */
static void sub_member(char *out, size_t size, bool shared, int i)
{
    char id[37];
    sub_id(id, i);
    if (shared)
        out[0] = '\0';
    else
        snprintf(out, size, ",\"subscriptionId\":\"%s\"", id);
}

/* ---- expected graph from `collect` -------------------------------------- */

static void count_file(const char *path, const char *member, cJSON *types)
{
    char *text = proc_read_file(path, NULL);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    const cJSON *o;
    cJSON_ArrayForEach(o, json_get(doc, member)) {
        const char *t = json_get_string(o, "_type");
        if (!t)
            continue;
        cJSON *n = cJSON_GetObjectItemCaseSensitive(types, t);
        if (n)
            cJSON_SetNumberValue(n, n->valuedouble + 1);
        else
            cJSON_AddNumberToObject(types, t, 1);
    }
    cJSON_Delete(doc);
    free(text);
}

/* graph/<step>/{entities,relationships}/<file>.json */
static void count_graph(const char *graph_dir, cJSON *types)
{
    DIR *steps = opendir(graph_dir);
    struct dirent *s;
    while (steps && (s = readdir(steps)) != NULL) {
        if (s->d_name[0] == '.')
            continue;
        static const char *const kinds[] = {"entities", "relationships"};
        for (int k = 0; k < 2; k++) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s/%s/%s", graph_dir, s->d_name, kinds[k]);
            DIR *d = opendir(dir);
            struct dirent *f;
            while (d && (f = readdir(d)) != NULL) {
                if (f->d_name[0] == '.')
                    continue;
                char path[4400];
                snprintf(path, sizeof path, "%s/%s", dir, f->d_name);
                count_file(path, kinds[k], types);
            }
            if (d)
                closedir(d);
        }
    }
    if (steps)
        closedir(steps);
}

/* Client id (app registration) of instance i. */
static void client_id(char out[64], const opts *o, int i)
{
    if (o->one_principal)
        snprintf(out, 64, "e2e-client");
    else
        snprintf(out, 64, "e2e-client-%d", i);
}

static cJSON *expected_by_collect(const char *bin, const fake_azure_tenant *t, const char *work,
                                  const char *client_secret, const opts *o)
{
    fake_azure *fa = fake_azure_start(NULL);
    if (!fa || fake_azure_generate(fa, t) != 0) {
        fake_azure_stop(fa);
        return NULL;
    }
    char cfg_path[512], out_dir[512], graph[600], log[600];
    snprintf(cfg_path, sizeof cfg_path, "%s/collect-config.json", work);
    snprintf(out_dir, sizeof out_dir, "%s/collect-out", work);
    snprintf(graph, sizeof graph, "%s/graph", out_dir);
    snprintf(log, sizeof log, "%s/collect.log", work);
    char sub[128];
    char client[64];
    sub_member(sub, sizeof sub, o->shared, 0);
    client_id(client, o, 0);
    FILE *f = fopen(cfg_path, "w");
    if (f) {
        fprintf(f, "{\"directoryId\":\"%s\",\"clientId\":\"%s\",\"clientSecret\":\"%s\","
                   "\"ingestActiveDirectory\":true%s}\n", DIRECTORY, client, client_secret, sub);
        fclose(f);
    }
    char env_a[300], env_g[300], env_r[300], env_s[300];
    snprintf(env_a, sizeof env_a, "AZURE_AUTHORITY_HOST=%s", fake_azure_url(fa));
    snprintf(env_g, sizeof env_g, "AZURE_GRAPH_ENDPOINT=%s", fake_azure_url(fa));
    snprintf(env_r, sizeof env_r, "AZURE_RESOURCE_MANAGER_ENDPOINT=%s", fake_azure_url(fa));
    snprintf(env_s, sizeof env_s, "AZURE_STORAGE_URL_TEMPLATE=%s/__storage/{account}/{service}",
             fake_azure_url(fa));
    const char *env[] = {env_a, env_g, env_r, env_s, NULL};
    const char *argv[] = {bin, "collect", "--config", cfg_path, "--output", out_dir, NULL};
    proc_child *c = f ? proc_child_start(argv, env, log) : NULL;
    int st = -1;
    if (c && proc_child_wait(c, 3600 * 1000, &st) != 1)
        st = -1;
    proc_child_free(c);
    fake_azure_stop(fa);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (code != 0 && code != 2) {
        fprintf(stderr, "e2e: collect failed (exit %d); see %s\n", code, log);
        return NULL;
    }
    if (code == 2)
        printf("note: collect ended partial (some steps failed against the fake); see %s\n", log);
    cJSON *types = cJSON_CreateObject();
    count_graph(graph, types);
    /* the counts are all that is needed; the output can be large */
    const char *rm[] = {"/bin/rm", "-rf", out_dir, NULL};
    proc_child *r = proc_child_start(rm, NULL, NULL);
    if (r)
        proc_child_wait(r, 600000, NULL);
    proc_child_free(r);
    return types;
}

/* ---- helpers ------------------------------------------------------------ */

static double rfc3339(const char *s)
{
    if (!s)
        return 0;
    struct tm tm = {0};
    int ms = 0;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    const char *dot = strchr(s, '.');
    if (dot) {
        char frac[4] = "000";
        for (int i = 0; i < 3 && dot[1 + i] >= '0' && dot[1 + i] <= '9'; i++)
            frac[i] = dot[1 + i];
        ms = atoi(frac);
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + ms / 1000.0;
}

static void usage(void)
{
    fprintf(stderr, "usage: e2e [--scale S] [--instances K] [--workers W] [--shared [--subscriptions N]]\n"
                    "           [--users U] [--resources R] [--one-principal] [--no-collect]\n"
                    "           [--latency-ms L] [--token-bytes T] [--no-throttle]\n"
                    "           [--serve-bin PATH]\n"
                    "       e2e --top [--instances K]   (--users 100000 --resources 50000 --shared "
                    "--subscriptions 5)\n");
}

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){.scale = 1, .instances = 3, .workers = 4, .subscriptions = 1, .latency_ms = 20,
                .token_bytes = 1600, .throttle = true};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-throttle") == 0) {
            o->throttle = false;
            continue;
        }
        if (strcmp(a, "--shared") == 0) {
            o->shared = true;
            continue;
        }
        if (strcmp(a, "--no-collect") == 0) {
            o->no_collect = true;
            continue;
        }
        if (strcmp(a, "--one-principal") == 0) {
            o->one_principal = true;
            continue;
        }
        if (strcmp(a, "--top") == 0) {
            o->users = 100000;
            o->resources = 50000;
            o->shared = true;
            o->subscriptions = 5;
            continue;
        }
        if (!v)
            return -1;
        if (strcmp(a, "--scale") == 0)
            o->scale = atoi(v);
        else if (strcmp(a, "--instances") == 0)
            o->instances = atoi(v);
        else if (strcmp(a, "--workers") == 0)
            o->workers = atoi(v);
        else if (strcmp(a, "--subscriptions") == 0)
            o->subscriptions = atoi(v);
        else if (strcmp(a, "--latency-ms") == 0)
            o->latency_ms = atoi(v);
        else if (strcmp(a, "--token-bytes") == 0)
            o->token_bytes = atoi(v);
        else if (strcmp(a, "--users") == 0)
            o->users = atoi(v);
        else if (strcmp(a, "--resources") == 0)
            o->resources = atoi(v);
        else if (strcmp(a, "--serve-bin") == 0)
            o->serve_bin = v;
        else
            return -1;
        i++;
    }
    return o->scale >= 1 && o->instances >= 1 && o->instances <= 1000 && o->workers >= 1 &&
                   o->subscriptions >= 1 && o->latency_ms >= 0 && o->users >= 0 &&
                   o->resources >= 0 && o->token_bytes >= 0 && o->token_bytes <= 16384
               ? 0
               : -1;
}

/* ---- the run ------------------------------------------------------------ */

int main(int argc, char **argv)
{
    opts o;
    if (parse(argc, argv, &o) != 0) {
        usage();
        return 64;
    }
    char bin[4096];
    snprintf(bin, sizeof bin, "%s", o.serve_bin ? o.serve_bin
                                    : getenv("AI_SERVE_BIN") ? getenv("AI_SERVE_BIN")
                                                             : AI_BUILD_DIR "/azure-integration");
    setenv("AI_SERVE_BIN", bin, 1);
    int users = o.users ? o.users : 200 * o.scale;
    int subs = o.shared ? o.subscriptions : o.instances;
    int types = fake_azure_generated_type_count();
    fake_azure_tenant t = {.users = users, .groups = users / 10, .members = 5 * users,
                           .service_principals = users / 10, .subscriptions = subs,
                           .resource_groups = 3,
                           .resources = o.resources ? (o.resources + subs * types - 1) / (subs * types)
                                                    : 2 * o.scale};

    int rc = 1;
    proc_pg *pg = NULL;
    fake_azure *fa = NULL;
    fake_j1 *fj = NULL;
    proc_serve *serve = NULL;
    proc_http *http = NULL;
    cJSON *expected = NULL, *got = NULL;
    char *summary = NULL;
    job_row *jobs = calloc((size_t)o.instances, sizeof *jobs);
    char work[256], secret[64], webhook[64], key[64], j1key[64], logpath[400];
    unsigned char rb[32];
    random_bytes(rb, 4);
    snprintf(work, sizeof work, "/tmp/e2e-%02x%02x%02x%02x", rb[0], rb[1], rb[2], rb[3]);
    if (!jobs || mkdir(work, 0700) != 0) {
        fprintf(stderr, "e2e: cannot create %s\n", work);
        free(jobs);
        return 1;
    }
    random_bytes(rb, 16);
    for (int i = 0; i < 16; i++)
        snprintf(secret + 2 * i, 3, "%02x", rb[i]);
    random_bytes(rb, 16);
    for (int i = 0; i < 16; i++)
        snprintf(webhook + 2 * i, 3, "%02x", rb[i]);
    random_bytes(rb, 16);
    for (int i = 0; i < 16; i++)
        snprintf(j1key + 2 * i, 3, "%02x", rb[i]);
    random_bytes(rb, 32);
    EVP_EncodeBlock((unsigned char *)key, rb, 32);
    snprintf(logpath, sizeof logpath, "%s/serve.log", work);
    printf("e2e: users %d, groups %d, memberships %d, service principals %d, "
           "%d subscription(s) x 3 resource groups, %d resources per ARM type (%d types, %d "
           "resources in all), %d instance(s) (%s, %s), %d workers, %d ms per request, "
           "%d-byte tokens, throttling %s\n",
           t.users, t.groups, t.members, t.service_principals, t.subscriptions,
           t.resources, types, t.resources * types * t.subscriptions, o.instances,
           o.one_principal ? "one principal" : "a principal each",
           o.shared ? "each ingests every subscription" : "instance i ingests subscription i",
           o.workers, o.latency_ms, o.token_bytes, o.throttle ? "on" : "off");
    printf("work dir %s (serve and collect logs, each job's final status as job-<i>.json)\n", work);
    fflush(stdout);

    expected = o.no_collect ? cJSON_CreateObject() : expected_by_collect(bin, &t, work, secret, &o);
    if (!expected)
        goto done;

    pg = proc_pg_start("e2e");
    fake_azure_options ao = {.latency_ms = o.latency_ms, .throttle = o.throttle,
                             .token_bytes = o.token_bytes};
    fa = fake_azure_start(&ao);
    fake_j1_options jo = {.api_key = j1key, .account_id = ACCOUNT};
    fj = fake_j1_start(&jo);
    http = proc_http_new();
    if (!pg || !fa || !fj || !http || fake_azure_generate(fa, &t) != 0)
        goto done;
    proc_serve_options so = {.database_url = proc_pg_url(pg), .webhook_secret = webhook,
                             .encryption_key = key, .j1_url = fake_j1_url(fj),
                             .j1_api_key = j1key, .azure_url = fake_azure_url(fa),
                             .worker_threads = o.workers, .log_path = logpath};
    serve = proc_serve_start(&so);
    if (!serve)
        goto done;
    fake_azure_reset_counts(fa);

    proc_http_answer a = {0};
    long long t0 = proc_now_ms();
    struct timespec t0_real;
    clock_gettime(CLOCK_REALTIME, &t0_real);
    for (int i = 0; i < o.instances; i++) {
        char body[1024], sub[128], client[64];
        sub_member(sub, sizeof sub, o.shared, i);
        client_id(client, &o, i);
        snprintf(body, sizeof body,
                 "{\"eventId\":\"e2e-%s-%d\",\"accountId\":\"" ACCOUNT "\","
                 "\"integrationInstance\":{\"id\":\"e2e-inst-%d\",\"name\":\"E2E %d\","
                 "\"config\":{\"directoryId\":\"" DIRECTORY "\",\"clientId\":\"%s\","
                 "\"clientSecret\":\"%s\",\"ingestActiveDirectory\":true%s}}}",
                 work + 9, i, i, i, client, secret, sub);
        if (proc_http_post_event(http, proc_serve_url(serve), webhook, 0, body, 30000, &a) != 0 ||
            a.status != 202) {
            fprintf(stderr, "e2e: event %d answered %ld: %s\n", i, a.status, a.body);
            proc_http_answer_free(&a);
            goto done;
        }
        cJSON *d = cJSON_Parse(a.body);
        snprintf(jobs[i].id, sizeof jobs[i].id, "%s", json_get_string(d, "jobId") ? json_get_string(d, "jobId") : "");
        cJSON_Delete(d);
    }
    proc_http_answer_free(&a);

    /* wait for every job */
    int done_jobs = 0;
    long long deadline = t0 + 4LL * 3600 * 1000;
    while (done_jobs < o.instances && proc_now_ms() < deadline && proc_child_running(proc_serve_child(serve))) {
        done_jobs = 0;
        for (int i = 0; i < o.instances; i++) {
            if (jobs[i].status[0]) {
                done_jobs++;
                continue;
            }
            char url[512];
            snprintf(url, sizeof url, "%s/v1/jobs/%s", proc_serve_url(serve), jobs[i].id);
            if (proc_http_request(http, "GET", url, NULL, NULL, 0, 30000, &a) != 0 || a.status != 200)
                continue;
            cJSON *d = cJSON_Parse(a.body);
            const char *st = json_get_string(d, "status");
            if (st && (strcmp(st, "succeeded") == 0 || strcmp(st, "partial") == 0 ||
                       strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0)) {
                job_row *j = &jobs[i];
                snprintf(j->status, sizeof j->status, "%s", st);
                /* the job as the API reports it (per-step timings) */
                char jpath[400];
                snprintf(jpath, sizeof jpath, "%s/job-%d.json", work, i);
                FILE *jf = fopen(jpath, "w");
                if (jf) {
                    fputs(a.body, jf);
                    fclose(jf);
                }
                j->finished_at = rfc3339(json_get_string(d, "finishedAt"));
                j->wall_s = rfc3339(json_get_string(d, "finishedAt")) -
                            rfc3339(json_get_string(d, "startedAt"));
                json_get_number(d, "attempts", &j->attempts);
                const cJSON *tot = json_get(d, "totals");
                json_get_number(tot, "entities", &j->entities);
                json_get_number(tot, "relationships", &j->relationships);
                json_get_number(tot, "apiRequests", &j->api_requests);
                json_get_number(tot, "throttled", &j->throttled);
                const cJSON *step;
                cJSON_ArrayForEach(step, json_get(d, "steps")) {
                    const char *ss = json_get_string(step, "status");
                    if (ss && strcmp(ss, "failure") == 0)
                        printf("job %d (%s): step %s failed: %.300s\n", i, j->id,
                               json_get_string(step, "id"),
                               json_get_string(step, "error") ? json_get_string(step, "error") : "");
                }
                done_jobs++;
            }
            cJSON_Delete(d);
        }
        if (done_jobs < o.instances)
            proc_sleep_ms(1000); /* an operator polls rarely; each poll costs serve CPU */
    }
    proc_http_answer_free(&a);
    /* Run wall: first event posted to the last job's finishedAt (the
     * server's clock is this machine's); the moment a poll saw it is the
     * fallback, up to one poll interval late. */
    double run_wall = (double)(proc_now_ms() - t0) / 1000.0, last_finish = 0;
    for (int i = 0; i < o.instances; i++)
        if (jobs[i].finished_at > last_finish)
            last_finish = jobs[i].finished_at;
    double start = (double)t0_real.tv_sec + (double)t0_real.tv_nsec / 1e9;
    if (last_finish > start && last_finish - start <= run_wall)
        run_wall = last_finish - start;
    if (done_jobs < o.instances) {
        fprintf(stderr, "e2e: only %d of %d jobs finished (serve log %s)\n", done_jobs, o.instances, logpath);
        goto done;
    }
    double cpu = 0;
    long rss_kb = 0;
    proc_child_usage(proc_serve_child(serve), &cpu, &rss_kb);
    const char *base = proc_serve_url(serve);
    double retries = proc_http_metric(base, "azure_retries_total");
    double serve_throttled = proc_http_metric(base, "azure_throttled_total");
    double serve_requests = proc_http_metric(base, "azure_requests_total");

    printf("\n%-38s %-10s %8s %8s %9s %9s %9s %9s\n", "job", "status", "attempts", "wall s",
           "entities", "rels", "requests", "throttled");
    for (int i = 0; i < o.instances; i++)
        printf("%-38s %-10s %8.0f %8.2f %9.0f %9.0f %9.0f %9.0f\n", jobs[i].id, jobs[i].status,
               jobs[i].attempts, jobs[i].wall_s, jobs[i].entities, jobs[i].relationships,
               jobs[i].api_requests, jobs[i].throttled);

    fake_azure_counts ac;
    fake_azure_get_counts(fa, &ac);
    /* seen paths hold each request inside a Graph $batch as well as the
     * batch POST: HTTP requests to Graph are those minus the inner ones */
    double graph = (double)(fake_azure_count_path(fa, "/v1.0") + fake_azure_count_path(fa, "/beta") -
                            ac.batched);
    double arm = (double)(ac.requests - ac.token_requests) - graph;
    /* The rate bounds: the busiest bucket (principal x subscription, or
     * principal x tenant, or principal's Graph budget) answered this many
     * reads, and could not answer them faster than burst + rate x time. */
    int64_t arm_bucket = 0, graph_bucket = 0;
    fake_azure_bucket_max(fa, &arm_bucket, &graph_bucket);
    double par = o.instances < o.workers ? o.instances : o.workers;
    double b_arm_rate = o.throttle ? ((double)arm_bucket - ARM_BURST) / ARM_READS_PER_S : 0;
    double b_graph_rate = o.throttle ? ((double)graph_bucket - GRAPH_BURST) / GRAPH_PER_S : 0;
    double b_arm_lat = arm * o.latency_ms / 1000.0 / (CLIENT_IN_FLIGHT * par);
    double b_graph_lat = graph * o.latency_ms / 1000.0 / (CLIENT_IN_FLIGHT * par);
    double bound = 0;
    const double parts[] = {b_arm_rate, b_graph_rate, b_arm_lat, b_graph_lat};
    for (size_t i = 0; i < 4; i++)
        if (parts[i] > bound)
            bound = parts[i];
    printf("\nrun: %.2f s wall for %d job(s); lower bound %.2f s (ARM rate %.2f, Graph rate %.2f, "
           "ARM latency %.2f, Graph latency %.2f); ratio %.2f\n",
           run_wall, o.instances, bound, b_arm_rate > 0 ? b_arm_rate : 0,
           b_graph_rate > 0 ? b_graph_rate : 0, b_arm_lat, b_graph_lat,
           bound > 0 ? run_wall / bound : 0);
    printf("fake Azure: %lld requests (%lld token, %.0f Graph of which %lld $batch holding %lld "
           "reads, %.0f ARM), %lld throttled (429), "
           "max %d in flight; busiest bucket answered %lld ARM / %lld Graph reads\n",
           (long long)ac.requests, (long long)ac.token_requests, graph,
           (long long)ac.batch_requests, (long long)ac.batched, arm,
           (long long)ac.throttled, ac.max_in_flight, (long long)arm_bucket,
           (long long)graph_bucket);
    printf("serve metrics: %.0f Azure requests, %.0f throttled, %.0f retries (absent series "
           "counted as 0)\n", serve_requests > 0 ? serve_requests : 0,
           serve_throttled > 0 ? serve_throttled : 0, retries > 0 ? retries : 0);
    printf("serve process: %.2f CPU s, peak RSS %.1f MB\n", cpu, (double)rss_kb / 1024.0);

    /* JupiterOne: per type, and each object once per job */
    summary = fake_j1_summary_json(fj);
    got = cJSON_Parse(summary);
    fake_j1_counts jc;
    fake_j1_counts_get(fj, &jc);
    long mismatches = 0;
    /* the account entity and its relationships carry the instance: their
     * types' counts are per job too, so K x collect holds for them as well */
    const cJSON *e;
    cJSON_ArrayForEach(e, expected) {
        double want = e->valuedouble * o.instances;
        double have = 0;
        json_get_number(json_get(got, "types"), e->string, &have);
        if (have != want && mismatches++ < 20)
            printf("  type %s: JupiterOne received %.0f, expected %.0f\n", e->string, have, want);
    }
    const cJSON *got_types = o.no_collect ? NULL : json_get(got, "types");
    cJSON_ArrayForEach(e, got_types) {
        if (!cJSON_GetObjectItemCaseSensitive(expected, e->string) && mismatches++ < 20)
            printf("  type %s: JupiterOne received %.0f, collect produced none\n", e->string,
                   e->valuedouble);
    }
    struct {
        const char *type;
        double n;
    } spec[] = {{"azure_user", t.users}, {"azure_user_group", t.groups},
                {"azure_service_principal", t.service_principals},
                /* rm-subscriptions lists every subscription the principal
                 * reads, even with subscriptionId set (as the reference) */
                {"azure_subscription", t.subscriptions},
                {"azure_resource_group",
                 (double)(o.shared ? t.subscriptions : 1) * t.resource_groups}};
    for (size_t i = 0; !o.no_collect && i < sizeof spec / sizeof spec[0]; i++) {
        double have = 0;
        json_get_number(expected, spec[i].type, &have);
        if (have != spec[i].n && mismatches++ < 20)
            printf("  type %s: collect produced %.0f, the tenant has %.0f\n", spec[i].type, have,
                   spec[i].n);
    }
    /* Objects whose key holds an instance id (the account entity and its
     * relationships) belong to one job and must arrive once; every other
     * key is the same in every job's graph and arrives at most K times.
     * Together with "received = the jobs' own distinct-object totals" this
     * is "nothing uploaded twice". */
    size_t n = fake_j1_object_count(fj), twice = 0;
    for (size_t i = 0; i < n; i++) {
        fake_j1_kind kind;
        char k[1024], ty[256];
        if (!fake_j1_object(fj, i, &kind, k, sizeof k, ty, sizeof ty))
            continue;
        size_t seen = fake_j1_object_seen(fj, kind, k);
        size_t limit = strstr(k, "e2e-inst-") ? 1 : (size_t)o.instances;
        if (seen > limit && twice++ < 5)
            printf("  %s %s received %zu times (at most %zu expected)\n",
                   kind == FAKE_J1_ENTITY ? "entity" : "relationship", k, seen, limit);
    }
    double produced = 0;
    for (int i = 0; i < o.instances; i++)
        produced += jobs[i].entities + jobs[i].relationships;
    if ((double)(jc.entities + jc.relationships) != produced) {
        printf("  JupiterOne received %zu objects, the jobs produced %.0f\n",
               jc.entities + jc.relationships, produced);
        twice++;
    }
    int succeeded = 0;
    for (int i = 0; i < o.instances; i++)
        succeeded += strcmp(jobs[i].status, "succeeded") == 0;
    printf("\nJupiterOne: %zu sync jobs started, %zu finalized, %zu aborted; %zu entities, %zu "
           "relationships received for %d job(s)\n",
           jc.jobs_started, jc.finalizes, jc.aborts, jc.entities, jc.relationships, o.instances);
    printf("graph matches the expected counts per type: %s\n",
           o.no_collect ? "not checked (--no-collect)" : mismatches ? "NO" : "yes");
    printf("nothing uploaded twice (each job's objects once): %s\n", twice ? "NO" : "yes");
    printf("jobs succeeded: %d of %d\n", succeeded, o.instances);
    rc = mismatches == 0 && twice == 0 && succeeded == o.instances &&
                 jc.finalizes == (size_t)o.instances && jc.aborts == 0
             ? 0
             : 1;
done:
    if (serve) {
        int code = -1;
        proc_serve_term(serve, 40000, &code, NULL);
        proc_serve_free(serve);
    }
    proc_http_free(http);
    if (fj)
        fake_j1_stop(fj);
    if (fa)
        fake_azure_stop(fa);
    proc_pg_stop(pg);
    cJSON_Delete(expected);
    cJSON_Delete(got);
    free(summary);
    free(jobs);
    return rc;
}
