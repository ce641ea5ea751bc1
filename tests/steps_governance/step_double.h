/*
 * step_double: an in-memory stand-in for the engine's job store behind
 * engine/step.h (the step context a runner gives a step), used by the
 * directory and governance step tests until the engine's step harness is
 * in the tree.  The property mapping (entity_map) and relationship builders
 * are the engine's own: only the store is replaced.
 *
 * It implements the documented contract of step.h: the engine's
 * relationship rules (engine/graph_rules.h), case-insensitive key
 * look-up, duplicate (ERR_CONFLICT) and declared-type (ERR_INVALID) checks —
 * a relationship whose _type is generated from the source type and class of
 * a declaration targeting ANY_SCOPE is accepted — iteration by type, job
 * data.  The API mirrors the step harness the cases use: create around an
 * azure_job, seed entities, run steps, dump the graph.  Configure with
 * -DAI_GOV_TESTS_ON_ENGINE=ON to run the same cases on the engine's step
 * harness (tests/support/step_harness.h) instead.
 *
 * Entities are not checked against the class schemas' `required` lists:
 * the reference's output (which the expected graphs follow) does not meet
 * them — azure_account has no `vendor`, azure_user no `shortLoginId`,
 * azure_service_principal no `function`, and Finding.impact is a number in
 * the schema but the lower-cased impact string in the reference.
 */
#ifndef AI_TESTS_STEP_DOUBLE_H
#define AI_TESTS_STEP_DOUBLE_H

#include "common/error.h"
#include "engine/step.h"
#include "steps/azure_job.h"

#include <cjson/cJSON.h>

typedef struct step_harness step_harness;

step_harness *step_harness_new(azure_job *job);
void step_harness_free(step_harness *h);
/* Adds an entity as another step would have (takes ownership). */
int step_harness_seed_entity(step_harness *h, cJSON *entity, err_info *err);
/* Runs one step if the job enables it (a disabled step is a no-op). */
int step_harness_run(step_harness *h, const step_def *step, err_info *err);
/* {"entities":[...],"relationships":[...]}: a copy the caller frees. */
cJSON *step_harness_graph(step_harness *h);

#endif
