/*
 * graph_bench_steps: issue 5's benchmark through the Active Directory steps
 * on the real engine — steps/active_directory.c run by engine/runner over a
 * graph store (key index + spill files, no sink), against fake-azure in
 * generated mode.
 *
 *   graph_bench_steps [--users N] [--groups N] [--members N] [--sps N]
 *                     [--latency-ms N] [--fake PATH]
 *
 * Defaults: 100,000 users, 10,000 groups, 500,000 memberships, 100 service
 * principals, 20 ms per request; the job's client uses its default bound
 * (8 Graph requests in flight), the runner its default threads.
 *
 * Lower bound = Graph requests x latency / 8.  Note what the bound ignores:
 * ad-users is one chain of dependent pages, and ad-group-members cannot
 * start before ad-groups ended (its dependency).
 */
#include "graph_bench_fake.h"

#include "azure/azure_client.h"
#include "common/json.h"
#include "engine/graph_store.h"
#include "engine/runner.h"
#include "steps/active_directory.h"
#include "steps/azure_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool enabled(void *integration, const step_def *step) {
    return azure_job_step_enabled(integration, step);
}

int main(int argc, char **argv) {
    long users = 100000, groups = 10000, members = 500000, sps = 100;
    int latency = 20;
    const char *bin = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--users") == 0) users = atol(v);
        else if (strcmp(a, "--groups") == 0) groups = atol(v);
        else if (strcmp(a, "--members") == 0) members = atol(v);
        else if (strcmp(a, "--sps") == 0) sps = atol(v);
        else if (strcmp(a, "--latency-ms") == 0) latency = atoi(v);
        else if (strcmp(a, "--fake") == 0) bin = v;
        else {
            fprintf(stderr, "graph_bench_steps: unknown option %s\n", a);
            return 2;
        }
    }
    json_init();
    char gen[256];
    snprintf(gen, sizeof gen, "users=%ld,groups=%ld,members=%ld,sps=%ld", users, groups, members,
             sps);
    bench_fake fake;
    if (bench_fake_start(&fake, bin, gen, latency) != 0) return 1;

    int status = 1;
    err_info err;
    err_clear(&err);
    azure_job *job = NULL;
    graph_store *store = NULL;
    runner *run = NULL;
    azure_endpoints ep;
    memset(&ep, 0, sizeof ep);
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake.url);
    snprintf(ep.graph, sizeof ep.graph, "%s", fake.url);
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake.url);
    cJSON *cfg = cJSON_Parse("{\"clientId\":\"bench-client\",\"clientSecret\":\"bench-secret\","
                             "\"directoryId\":\"bench-tenant\",\"ingestActiveDirectory\":true}");
    azure_instance_info info = {"bench-instance", "Bench", "bench-account"};
    if (!cfg || azure_job_new(cfg, &info, &ep, &job, &err) != 0 ||
        azure_job_validate(job, &err) != 0 || !(store = graph_store_new(NULL, NULL, &err)))
        goto fail;
    size_t count = 0;
    while (steps_active_directory[count]) count++;
    runner_config rc = {.table = steps_active_directory, .count = count, .integration = job,
                        .enabled = enabled, .store = store};
    if (!(run = runner_new(&rc, &err))) goto fail;
    azure_stats before;
    azure_client_stats(azure_job_client(job), &before);
    double t0 = bench_now_s();
    runner_outcome outcome = runner_run(run, &err);
    double wall = bench_now_s() - t0;
    if (outcome != RUNNER_OK) {
        fprintf(stderr, "graph_bench_steps: run outcome %d\n", (int)outcome);
        for (size_t i = 0; i < count; i++)
            fprintf(stderr, "  %s: %s\n", steps_active_directory[i]->id,
                    runner_status_sdk_name(runner_step_status(run, i)));
        if (outcome == RUNNER_FATAL || outcome == RUNNER_STOPPED) goto fail;
    }
    azure_stats st;
    azure_client_stats(azure_job_client(job), &st);
    graph_store_stats gs;
    graph_store_get_stats(store, &gs);
    double cpu, rss;
    bench_usage(&cpu, &rss);
    long requests = (long)(st.requests[AZURE_API_GRAPH] - before.requests[AZURE_API_GRAPH]);
    double bound = (double)requests * latency / 1000.0 / 8.0;
    printf("graph_bench_steps: users=%ld groups=%ld memberships=%ld sps=%ld latency=%dms "
           "(AD steps on the engine)\n",
           users, groups, members, sps, latency);
    for (size_t i = 0; i < count; i++)
        printf("  step %-24s %s\n", steps_active_directory[i]->id,
               runner_status_sdk_name(runner_step_status(run, i)));
    printf("  graph: %llu entities, %llu relationships (%llu duplicates, %llu invalid)\n",
           (unsigned long long)gs.entities, (unsigned long long)gs.relationships,
           (unsigned long long)gs.duplicates, (unsigned long long)gs.invalid);
    printf("  Graph requests (pages): %ld  retries: %lld  throttled: %lld\n", requests,
           (long long)(st.retries[AZURE_API_GRAPH] - before.retries[AZURE_API_GRAPH]),
           (long long)(st.throttled[AZURE_API_GRAPH] - before.throttled[AZURE_API_GRAPH]));
    printf("  wall time:   %.2f s\n", wall);
    printf("  lower bound: %.2f s  (pages x latency / 8 in flight)\n", bound);
    printf("  ratio:       %.3f  (target <= 1.3)\n", wall / bound);
    printf("  CPU seconds: %.2f (user+sys, whole process incl. validation)\n", cpu);
    printf("  peak RSS:    %.1f MB  (target <= 300)\n", rss);
    status = outcome == RUNNER_OK ? 0 : 1;
    goto done;
fail:
    if (err.message[0]) fprintf(stderr, "graph_bench_steps: %s\n", err.message);
done:
    runner_free(run);
    graph_store_free(store);
    azure_job_free(job);
    cJSON_Delete(cfg);
    bench_fake_stop(&fake);
    return status;
}
