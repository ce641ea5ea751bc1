/*
 * batch: entity tables of the steps (steps_batch[] in steps/registry.c).
 */
#ifndef AI_STEPS_BATCH_H
#define AI_STEPS_BATCH_H

#include "engine/entity_map.h"
#include "engine/step.h"

extern const step_def *const steps_batch[];
extern const entity_spec batch_account_spec;
extern const entity_spec batch_pool_spec;
extern const entity_spec batch_application_spec;
extern const entity_spec batch_certificate_spec;

#endif
