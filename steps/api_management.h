/*
 * api_management: entity tables of the steps (steps_api_management[] in steps/registry.c).
 */
#ifndef AI_STEPS_API_MANAGEMENT_H
#define AI_STEPS_API_MANAGEMENT_H

#include "engine/entity_map.h"
#include "engine/step.h"

extern const step_def *const steps_api_management[];
extern const entity_spec api_management_service_spec;
extern const entity_spec api_management_api_spec;

#endif
