/*
 * cdn: entity tables of the steps (steps_cdn[] in steps/registry.c).
 */
#ifndef AI_STEPS_CDN_H
#define AI_STEPS_CDN_H

#include "engine/entity_map.h"
#include "engine/step.h"

extern const step_def *const steps_cdn[];
extern const entity_spec cdn_profile_spec;
extern const entity_spec cdn_endpoint_spec;

#endif
