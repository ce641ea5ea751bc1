/*
 * registry: the Azure integration's step table, in the reference's order.
 *
 * Each service file (steps/<service>.c) defines a NULL-terminated array
 * `steps_<service>` of its steps; registry.c concatenates them.  This is
 * the single list of steps: runner, `document`, job status and tests all
 * read it.
 */
#ifndef AI_STEPS_REGISTRY_H
#define AI_STEPS_REGISTRY_H

#include "engine/step.h"

#include <stddef.h>

/* Every step of the integration; *count set to the number of steps. */
const step_def *const *registry_steps(size_t *count);

/* The step with this id, or NULL. */
const step_def *registry_find(const char *id);

#endif
