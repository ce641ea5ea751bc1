/*
 * interservice: compute <-> network relationships
 * (steps_interservice[] in steps/registry.c).
 */
#ifndef AI_STEPS_INTERSERVICE_H
#define AI_STEPS_INTERSERVICE_H

#include "engine/step.h"

extern const step_def *const steps_interservice[];

#endif
