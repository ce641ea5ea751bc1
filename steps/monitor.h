/*
 * monitor: log profiles, activity log alerts and their scope relationships
 * (steps_monitor[] in steps/registry.c).
 */
#ifndef AI_STEPS_MONITOR_H
#define AI_STEPS_MONITOR_H

#include "engine/entity_map.h"
#include "engine/step.h"

extern const step_def *const steps_monitor[];
extern const entity_spec monitor_log_profile_spec;
extern const entity_spec monitor_activity_log_alert_spec;

#endif
