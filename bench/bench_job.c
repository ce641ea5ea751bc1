/*
 * bench_job: see bench_job.h.
 */
#include "bench_job.h"

#include "steps/azure_job.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bench_job {
    cJSON *cfg;
    azure_job *job;
    graph_store *store;
    runner *run;
};

static bool enabled(void *integration, const step_def *step)
{
    return azure_job_step_enabled(integration, step);
}

int bench_job_run(const bench_fake *fake, bool ingest_ad, const step_def *const *table,
                  size_t count, bool external_deps, bench_job **out, bench_job_result *res,
                  err_info *err)
{
    memset(res, 0, sizeof *res);
    bench_job *b = calloc(1, sizeof *b);
    *out = b;
    if (!b)
        return err_set(err, ERR_NOMEM, "out of memory");
    azure_endpoints ep;
    memset(&ep, 0, sizeof ep);
    snprintf(ep.authority_host, sizeof ep.authority_host, "%s", fake->url);
    snprintf(ep.graph, sizeof ep.graph, "%s", fake->url);
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "%s", fake->url);
    snprintf(ep.storage_suffix, sizeof ep.storage_suffix, "core.windows.net");
    /* the storage data plane is served by the fake too */
    snprintf(ep.storage_url_template, sizeof ep.storage_url_template,
             "%s/__storage/{account}/{service}", fake->url);
    char cfg[256];
    snprintf(cfg, sizeof cfg,
             "{\"clientId\":\"bench-client\",\"clientSecret\":\"bench-secret\","
             "\"directoryId\":\"bench-tenant\",\"ingestActiveDirectory\":%s}",
             ingest_ad ? "true" : "false");
    azure_instance_info info = {"bench-instance", "Bench", "bench-account"};
    if (!(b->cfg = cJSON_Parse(cfg)))
        return err_set(err, ERR_NOMEM, "out of memory");
    if (azure_job_new(b->cfg, &info, &ep, &b->job, err) != 0 ||
        azure_job_validate(b->job, err) != 0 || !(b->store = graph_store_new(NULL, NULL, err)))
        return -1;
    runner_config rc = {.table = table, .count = count, .integration = b->job,
                        .enabled = enabled, .store = b->store, .external_deps = external_deps};
    if (!(b->run = runner_new(&rc, err)))
        return -1;
    azure_stats before;
    azure_client_stats(azure_job_client(b->job), &before);
    double t0 = bench_now_s();
    res->outcome = runner_run(b->run, err);
    res->wall_s = bench_now_s() - t0;
    azure_client_stats(azure_job_client(b->job), &res->requests);
    for (int a = 0; a < AZURE_API_COUNT; a++) {
        res->requests.requests[a] -= before.requests[a];
        res->requests.throttled[a] -= before.throttled[a];
        res->requests.retries[a] -= before.retries[a];
    }
    graph_store_get_stats(b->store, &res->graph);
    return 0;
}

runner_status bench_job_step_status(const bench_job *b, size_t i)
{
    return runner_step_status(b->run, i);
}

void bench_job_free(bench_job *b)
{
    if (!b)
        return;
    runner_free(b->run);
    graph_store_free(b->store);
    azure_job_free(b->job);
    cJSON_Delete(b->cfg);
    free(b);
}

void bench_job_print_graph(const bench_job_result *res)
{
    printf("  graph: %llu entities, %llu relationships (%llu duplicates, %llu invalid)\n",
           (unsigned long long)res->graph.entities, (unsigned long long)res->graph.relationships,
           (unsigned long long)res->graph.duplicates, (unsigned long long)res->graph.invalid);
}
