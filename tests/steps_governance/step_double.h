/*
 * step_double: an in-memory stand-in for the engine layer (engine/step.h,
 * engine/entity_map.h, engine/relationship.h) used by the directory and
 * governance step tests, so that they check the steps' own logic against
 * the recordings independently of the engine's progress.  Configure with
 * -DAI_GOV_TESTS_ON_ENGINE=ON to run the same cases on the engine's step
 * harness (tests/support/step_harness.h) instead.
 *
 * It implements the documented contracts of those headers and of spec
 * part A §1.8-1.10 (SDK builder rules, relationship keys and types): a
 * store with case-insensitive key look-up, duplicate and declared-type
 * checks (a relationship whose _type is generated from the source type and
 * class of a declaration targeting ANY_SCOPE is accepted), job data, and
 * the property-mapping rules (every conversion these steps use; MAP_EQUALS,
 * MAP_PRESENT, MAP_NONEMPTY and MAP_JSON_STRING are not needed here and
 * yield "absent").  Class-schema pass-through reads
 * data-model/class_schemas/.  The API mirrors the step harness the cases
 * use: create around an azure_job, seed entities, run steps, dump the graph.
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
