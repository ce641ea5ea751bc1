/*
 * azure_job_ctx: azure_job_of(), the one link from a running step to its
 * job state.  Kept apart from azure_job.c so that the job state and its
 * tests do not depend on the engine.
 */
#include "steps/azure_job.h"

azure_job *azure_job_of(const step_ctx *ctx) { return (azure_job *)step_integration(ctx); }
