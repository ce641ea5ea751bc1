/*
 * bench_job: one ingestion on the real engine for the step benchmarks
 * (graph_bench_steps, rm_bench): an azure_job pointed at a running
 * fake-azure (Graph, Resource Manager and the storage data plane), validated
 * as a job is, a graph store without sink, and engine/runner over the given
 * steps; timed, with the client's request counters before and after.
 */
#ifndef AI_BENCH_BENCH_JOB_H
#define AI_BENCH_BENCH_JOB_H

#include "azure/azure_client.h"
#include "common/error.h"
#include "engine/graph_store.h"
#include "engine/runner.h"
#include "graph_bench_fake.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct bench_job bench_job;

typedef struct bench_job_result {
    runner_outcome outcome;
    double wall_s;                 /* runner_run only */
    azure_stats requests;          /* the run's requests (after - before) */
    graph_store_stats graph;
} bench_job_result;

/* Builds and runs the job (ingestActiveDirectory as given, external_deps
 * as the runner's option); *out is set even when the run fails, so steps'
 * statuses can be printed.  Returns 0 when the run happened (whatever its
 * outcome), -1 when the job could not be set up (err says why). */
int bench_job_run(const bench_fake *fake, bool ingest_ad, const step_def *const *table,
                  size_t count, bool external_deps, bench_job **out, bench_job_result *res,
                  err_info *err);
runner_status bench_job_step_status(const bench_job *b, size_t i);
void bench_job_free(bench_job *b);

/* "  graph: N entities, N relationships (N duplicates, N invalid)" */
void bench_job_print_graph(const bench_job_result *res);

#endif
