/*
 * network: steps of this Azure service (not yet ported; see docs/spec/azure-sources).
 */
#include "engine/step.h"

const step_def *const steps_network[] = {NULL};
