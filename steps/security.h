/*
 * security: Security Center steps (steps_security[] in steps/registry.c).
 */
#ifndef AI_STEPS_SECURITY_H
#define AI_STEPS_SECURITY_H

#include "engine/entity_map.h"
#include "engine/step.h"

extern const step_def *const steps_security[];
extern const entity_spec security_assessment_spec;
extern const entity_spec security_contact_spec;
extern const entity_spec security_pricing_spec;

#endif
