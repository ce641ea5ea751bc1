/*
 * policy: rm-policy-assignments (steps_policy[] in steps/registry.c).
 */
#ifndef AI_STEPS_POLICY_H
#define AI_STEPS_POLICY_H

#include "engine/entity_map.h"
#include "engine/step.h"

extern const step_def *const steps_policy[];
extern const entity_spec policy_assignment_spec;

#endif
