/*
 * step_harness: runs Azure steps on the real engine (graph store, rules,
 * runner, step_ctx) for tests, and hands back what they produced.
 *
 * Two ways to use it:
 *   - around an existing azure_job (the API of tests/steps_governance/
 *     step_double.h, so the same cases run on either): seed entities, run
 *     step_defs of the registry one at a time, dump the graph;
 *   - step_harness_run_ids(): from an instance config JSON and endpoints
 *     (a fake Azure), create and validate the job, run the given step ids in
 *     order, and return entities, relationships and per-step status.
 * Objects are validated exactly as in production; a step's error is
 * returned and its status recorded.
 */
#ifndef AI_TESTS_SUPPORT_STEP_HARNESS_H
#define AI_TESTS_SUPPORT_STEP_HARNESS_H

#include "azure/azure_client.h"
#include "common/error.h"
#include "engine/step.h"
#include "steps/azure_job.h"

#include <cjson/cJSON.h>

typedef struct step_harness step_harness;

/* job: borrowed, must outlive the harness. */
step_harness *step_harness_new(azure_job *job);
/* The same over another table (e.g. a test step exercising a shared
 * helper); `table` must outlive the harness. */
step_harness *step_harness_new_table(azure_job *job, const step_def *const *table, size_t count);
void step_harness_free(step_harness *h);
/* Adds an entity as another step would have (takes ownership). */
int step_harness_seed_entity(step_harness *h, cJSON *entity, err_info *err);
/* Runs one step of the registry if the job enables it (else a no-op). */
int step_harness_run(step_harness *h, const step_def *step, err_info *err);
/* {"entities":[...],"relationships":[...]}: a copy the caller frees. */
cJSON *step_harness_graph(step_harness *h);
/* SDK status of a step after step_harness_run ("success", "failure",
 * "disabled", or "pending_evaluation" when not run). */
const char *step_harness_status(step_harness *h, const char *step_id);

/* Whole-run form.  Returns {"entities":[...],"relationships":[...],
 * "steps":{"<id>":{"status":"success","error":"..."}}} or NULL with err set
 * when the job cannot be created or validated.  A step's failure is not an
 * error of this call (see its status). */
cJSON *step_harness_run_ids(const cJSON *config, const azure_endpoints *endpoints,
                            const char *const *step_ids, size_t count, err_info *err);

#endif
