/*
 * event_grid: entity tables of the steps (steps_event_grid[] in steps/registry.c).
 */
#ifndef AI_STEPS_EVENT_GRID_H
#define AI_STEPS_EVENT_GRID_H

#include "engine/entity_map.h"
#include "engine/step.h"

extern const step_def *const steps_event_grid[];
extern const entity_spec event_grid_domain_spec;
extern const entity_spec event_grid_domain_topic_spec;
extern const entity_spec event_grid_topic_spec;
extern const entity_spec event_grid_subscription_spec;

#endif
