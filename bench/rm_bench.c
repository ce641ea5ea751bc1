/*
 * rm_bench: issue 6's benchmark — the Resource Manager core steps (compute,
 * network, storage, key vault, with the subscription and resource-group
 * steps they build on) on the real engine against fake-azure in generated
 * mode with Azure's read throttling on.
 *
 *   rm_bench [--subscriptions N] [--resources N] [--resource-groups N]
 *            [--latency-ms N] [--fake PATH]
 *
 * Defaults: 3 subscriptions, 20,000 resources, 10 resource groups per
 * subscription, 20 ms per request, throttling as Azure's (a bucket per
 * subscription: burst 250 reads, then 25 reads/s).  The resources are spread
 * evenly over the RM-core kinds the fake generates (RM_CORE_KINDS below):
 * --resources / (subscriptions x kinds) of each kind per subscription.
 *
 * Every step of the registry (steps/registry.c) that belongs to the RM core
 * at the time of the run is run, plus ad-account (the account entity every
 * RM step needs); dependencies on steps outside that set count as met.
 * The job's client uses its default bounds, the runner its default threads,
 * the graph store its default memory bound (no sink).
 *
 * Lower bound = the larger of
 *   - rate: per subscription, max(0, reads - 250) / 25 s, with reads = the
 *     ARM requests that were answered (not 429) divided evenly over the
 *     subscriptions (the generated subscriptions are identical);
 *   - latency: for each API, requests x latency / 8 (the client's default
 *     requests in flight per API), the largest API.
 */
#include "bench_job.h"

#include "common/json.h"
#include "steps/registry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kinds of RM-core resources generated per subscription (rows of
 * tests/fakes/fake_azure_gen_types.c; a child row has one item per parent):
 * compute: virtual machines, VM extensions, disks, images;
 * network: virtual networks, security groups, interfaces, public IP
 * addresses, load balancers, firewalls, watchers, flow logs;
 * storage: accounts, blob containers, file shares, queues, tables;
 * key vault: vaults. */
#define RM_CORE_KINDS 18

#define ARM_BURST 250.0
#define ARM_READS_PER_S 25.0
#define CLIENT_IN_FLIGHT 8.0

static const char *const core_prefixes[] = {
    "rm-subscription", "rm-resources-", "rm-compute-", "rm-network-",
    "rm-storage-",     "rm-keyvault-",  NULL,
};

static bool is_core(const step_def *s) {
    if (strcmp(s->id, "ad-account") == 0) return true;
    for (size_t i = 0; core_prefixes[i]; i++)
        if (strncmp(s->id, core_prefixes[i], strlen(core_prefixes[i])) == 0) return true;
    return false;
}

int main(int argc, char **argv) {
    long subs = 3, resources = 20000, groups = 10;
    int latency = 20;
    const char *bin = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--subscriptions") == 0) subs = atol(v);
        else if (strcmp(a, "--resources") == 0) resources = atol(v);
        else if (strcmp(a, "--resource-groups") == 0) groups = atol(v);
        else if (strcmp(a, "--latency-ms") == 0) latency = atoi(v);
        else if (strcmp(a, "--fake") == 0) bin = v;
        else {
            fprintf(stderr, "rm_bench: unknown option %s\n", a);
            return 2;
        }
    }
    if (argc % 2 == 0 || subs <= 0 || resources <= 0 || groups <= 0 || latency < 0) {
        fprintf(stderr, "usage: rm_bench [--subscriptions N] [--resources N] "
                        "[--resource-groups N] [--latency-ms N] [--fake PATH]\n");
        return 2;
    }
    json_init();
    long per_kind = (resources + subs * RM_CORE_KINDS - 1) / (subs * RM_CORE_KINDS);
    char gen[256];
    snprintf(gen, sizeof gen, "subscriptions=%ld,resourcegroups=%ld,resources=%ld", subs, groups,
             per_kind);

    /* the RM-core steps registered now */
    size_t n_all = 0, count = 0;
    const step_def *const *all = registry_steps(&n_all);
    const step_def **table = calloc(n_all + 1, sizeof *table);
    if (!table) return 1;
    for (size_t i = 0; i < n_all; i++)
        if (is_core(all[i])) table[count++] = all[i];

    bench_fake fake;
    if (bench_fake_start_throttled(&fake, bin, gen, latency) != 0) {
        free(table);
        return 1;
    }
    int status = 1;
    err_info err;
    err_clear(&err);
    bench_job *b = NULL;
    bench_job_result r;
    if (bench_job_run(&fake, false, table, count, true, &b, &r, &err) != 0) goto fail;
    double cpu, rss;
    bench_usage(&cpu, &rss);

    long req[AZURE_API_COUNT], thr[AZURE_API_COUNT], retries = 0;
    double latency_bound = 0;
    for (int a = 0; a < AZURE_API_COUNT; a++) {
        req[a] = (long)r.requests.requests[a];
        thr[a] = (long)r.requests.throttled[a];
        retries += (long)r.requests.retries[a];
        double lat = (double)req[a] * latency / 1000.0 / CLIENT_IN_FLIGHT;
        if (lat > latency_bound) latency_bound = lat;
    }
    double reads_per_sub = (double)(req[AZURE_API_ARM] - thr[AZURE_API_ARM]) / (double)subs;
    double rate_bound = fmax(0.0, reads_per_sub - ARM_BURST) / ARM_READS_PER_S;
    double bound = fmax(rate_bound, latency_bound);

    printf("rm_bench: %ld subscriptions x %ld resource groups, %ld resources (%ld per kind per "
           "subscription, %d kinds), latency %d ms, ARM throttling burst %.0f then %.0f reads/s "
           "per subscription\n",
           subs, groups, per_kind * subs * RM_CORE_KINDS, per_kind, RM_CORE_KINDS, latency,
           ARM_BURST, ARM_READS_PER_S);
    printf("  steps run (%zu registered RM-core steps + ad-account):\n", count - 1);
    for (size_t i = 0; i < count; i++)
        printf("    %-48s %s\n", table[i]->id, runner_status_sdk_name(bench_job_step_status(b, i)));
    bench_job_print_graph(&r);
    printf("  requests: ARM %ld (429: %ld), data plane %ld, Graph %ld; retries %ld\n",
           req[AZURE_API_ARM], thr[AZURE_API_ARM], req[AZURE_API_DATA], req[AZURE_API_GRAPH],
           retries);
    printf("  wall time:   %.2f s\n", r.wall_s);
    printf("  lower bound: %.2f s  (rate: %.2f s = (%.0f reads per subscription - %.0f) / %.0f/s;"
           " latency: %.2f s = requests x %d ms / %.0f in flight)\n",
           bound, rate_bound, reads_per_sub, ARM_BURST, ARM_READS_PER_S, latency_bound, latency,
           CLIENT_IN_FLIGHT);
    if (bound > 0)
        printf("  ratio:       %.3f  (target <= 1.3)\n", r.wall_s / bound);
    printf("  CPU seconds: %.2f (user+sys, whole process incl. validation)\n", cpu);
    printf("  peak RSS:    %.1f MB  (target <= 300)\n", rss);
    if (r.outcome == RUNNER_FATAL || r.outcome == RUNNER_STOPPED) {
        fprintf(stderr, "rm_bench: run outcome %d: %s\n", (int)r.outcome, err.message);
        goto done;
    }
    status = r.outcome == RUNNER_OK ? 0 : 1;
    goto done;
fail:
    if (err.message[0]) fprintf(stderr, "rm_bench: %s\n", err.message);
done:
    bench_job_free(b);
    bench_fake_stop(&fake);
    free(table);
    return status;
}
