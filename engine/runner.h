/*
 * runner: runs a step table for one job over a graph store.
 *
 * The table is checked first (unique ids, known dependencies, no cycle).
 * Worker threads (bounded, default 4) take any step whose dependencies have
 * all ended; a step's final status follows JupiterOne's SDK names:
 *   - disabled (predicate false, or a dependency disabled): not run;
 *   - partial_success_due_to_dependency_failure: the step ran and returned
 *     no error, but a dependency (transitively) failed, so what it built
 *     from the graph may be incomplete; as in the SDK it still runs (its
 *     own data stays fresh) and its declared types go to partial datasets
 *     (nothing of them is deleted); the job API calls it "success";
 *   - failure: the step returned an error; declared types -> partial;
 *   - success.
 * Fatal errors (ERR_AUTH, ERR_CANCELLED, a failed sink) end the run: no
 * further steps start, the sink is aborted and finish() is not called.
 * should_stop() is polled between steps (then the run is "stopped" and the
 * sink aborted as well).  Progress goes out through runner_callbacks, so
 * the engine does not depend on the service layer.
 */
#ifndef AI_ENGINE_RUNNER_H
#define AI_ENGINE_RUNNER_H

#include "common/error.h"
#include "engine/graph_sink.h"
#include "engine/graph_store.h"
#include "engine/step.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNNER_DEFAULT_THREADS 4

typedef enum runner_status {
    RUNNER_STEP_PENDING = 0,
    RUNNER_STEP_RUNNING,
    RUNNER_STEP_SUCCESS,
    RUNNER_STEP_FAILURE,
    RUNNER_STEP_DISABLED,
    RUNNER_STEP_DEPENDENCY_FAILURE,
    RUNNER_STEP_NOT_RUN   /* the run ended (fatal / stopped) before this step */
} runner_status;

typedef enum runner_outcome {
    RUNNER_OK = 0,     /* every step that ran succeeded */
    RUNNER_PARTIAL,    /* some failed or were skipped for a failed dependency */
    RUNNER_FATAL,      /* aborted: error in runner_run's err */
    RUNNER_STOPPED     /* should_stop became true */
} runner_outcome;

/* What the callbacks see of one step (valid only during the call). */
typedef struct runner_step_info {
    const step_def *def;
    runner_status status;
    uint64_t entities, relationships;  /* objects added by the step */
    int64_t duration_ms;               /* 0 until ended */
    const char *error;                 /* "message (hint)" or NULL */
} runner_step_info;

typedef struct runner_callbacks {
    void *ctx;
    /* Once before any step runs, every step with its initial status. */
    void (*planned)(void *ctx, const runner_step_info *steps, size_t count);
    /* On every status change; may be called from several threads. */
    void (*step_changed)(void *ctx, const runner_step_info *step);
    bool (*should_stop)(void *ctx);
} runner_callbacks;

typedef bool (*runner_enabled_fn)(void *integration, const step_def *step);

typedef struct runner_config {
    const step_def *const *table;
    size_t count;
    void *integration;          /* step_integration() */
    runner_enabled_fn enabled;  /* NULL: every step enabled */
    graph_store *store;         /* required */
    const graph_sink *sink;     /* finish/abort target; NULL: none */
    unsigned threads;           /* 0: RUNNER_DEFAULT_THREADS */
    bool external_deps;         /* dependencies outside the table count as met (tests) */
    runner_callbacks callbacks;
} runner_config;

typedef struct runner runner;

/* Checks ids, dependencies (expanded with step_depends_expand) and cycles. */
int runner_check_table(const step_def *const *table, size_t count, bool external_deps,
                       err_info *err);

runner *runner_new(const runner_config *cfg, err_info *err);
void runner_free(runner *r);

/* Runs every step; returns the outcome (err is set for FATAL / STOPPED). */
runner_outcome runner_run(runner *r, err_info *err);

/* Runs one step of the table now, ignoring dependencies and enablement
 * (step harness).  Returns the step's own return value. */
int runner_run_one(runner *r, size_t index, err_info *err);

/* Adds an object as if a step named step_id had (harness seeding). */
int runner_seed(runner *r, const char *step_id, graph_kind kind, cJSON *obj, err_info *err);

runner_status runner_step_status(const runner *r, size_t index);
/* SDK status string ("success", "failure", "disabled",
 * "partial_success_due_to_dependency_failure", ...). */
const char *runner_status_sdk_name(runner_status s);
/* Job API status string ("success", "failure", "skipped", "pending", "running"). */
const char *runner_status_job_name(runner_status s);

/* The SDK summary.json (compact) and the partial dataset types, as computed
 * after runner_run.  Caller frees the string / the cJSON array. */
char *runner_summary_json(runner *r);
cJSON *runner_partial_types(runner *r);

#endif
