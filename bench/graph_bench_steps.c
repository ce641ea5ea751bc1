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
#include "bench_job.h"

#include "common/json.h"
#include "steps/active_directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    size_t count = 0;
    while (steps_active_directory[count]) count++;
    bench_job *b = NULL;
    bench_job_result r;
    if (bench_job_run(&fake, true, steps_active_directory, count, false, &b, &r, &err) != 0)
        goto fail;
    if (r.outcome != RUNNER_OK) {
        fprintf(stderr, "graph_bench_steps: run outcome %d\n", (int)r.outcome);
        for (size_t i = 0; i < count; i++)
            fprintf(stderr, "  %s: %s\n", steps_active_directory[i]->id,
                    runner_status_sdk_name(bench_job_step_status(b, i)));
        if (r.outcome == RUNNER_FATAL || r.outcome == RUNNER_STOPPED) goto fail;
    }
    double cpu, rss;
    bench_usage(&cpu, &rss);
    long requests = (long)r.requests.requests[AZURE_API_GRAPH];
    double bound = (double)requests * latency / 1000.0 / 8.0;
    printf("graph_bench_steps: users=%ld groups=%ld memberships=%ld sps=%ld latency=%dms "
           "(AD steps on the engine)\n",
           users, groups, members, sps, latency);
    for (size_t i = 0; i < count; i++)
        printf("  step %-24s %s\n", steps_active_directory[i]->id,
               runner_status_sdk_name(bench_job_step_status(b, i)));
    bench_job_print_graph(&r);
    printf("  Graph requests (pages): %ld  retries: %lld  throttled: %lld\n", requests,
           (long long)r.requests.retries[AZURE_API_GRAPH],
           (long long)r.requests.throttled[AZURE_API_GRAPH]);
    printf("  wall time:   %.2f s\n", r.wall_s);
    printf("  lower bound: %.2f s  (pages x latency / 8 in flight)\n", bound);
    printf("  ratio:       %.3f  (target <= 1.3)\n", r.wall_s / bound);
    printf("  CPU seconds: %.2f (user+sys, whole process incl. validation)\n", cpu);
    printf("  peak RSS:    %.1f MB  (target <= 300)\n", rss);
    status = r.outcome == RUNNER_OK ? 0 : 1;
    goto done;
fail:
    if (err.message[0]) fprintf(stderr, "graph_bench_steps: %s\n", err.message);
done:
    bench_job_free(b);
    bench_fake_stop(&fake);
    return status;
}
