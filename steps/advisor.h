/*
 * advisor: rm-advisor-recommendations (steps_advisor[] in steps/registry.c).
 */
#ifndef AI_STEPS_ADVISOR_H
#define AI_STEPS_ADVISOR_H

#include "engine/entity_map.h"
#include "engine/step.h"

extern const step_def *const steps_advisor[];
extern const entity_spec advisor_recommendation_spec;

#endif
