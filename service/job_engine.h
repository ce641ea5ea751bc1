/*
 * job_engine: the production job_runner.  Runs the Azure integration's step
 * table with the ingestion engine for one job and uploads the graph to
 * JupiterOne's synchronization API while it is collected.
 */
#ifndef AI_SERVICE_JOB_ENGINE_H
#define AI_SERVICE_JOB_ENGINE_H

#include "azure/azure_client.h"
#include "common/error.h"
#include "service/job_runner.h"

typedef struct job_engine_settings {
    azure_endpoints azure;          /* from azure_endpoints_from_env */
    const char *j1_api_base_url;    /* J1_API_BASE_URL */
    const char *j1_api_key;         /* J1_API_KEY (secret) */
    int max_concurrent_steps;       /* per job; 0 = default */
    const char *spill_dir;          /* graph store spill files; NULL = $TMPDIR */
} job_engine_settings;

typedef struct job_engine job_engine;

int job_engine_new(const job_engine_settings *settings, job_engine **out, err_info *err);
/* The runner to give the worker pool; valid while the engine lives. */
job_runner job_engine_runner(job_engine *engine);
void job_engine_free(job_engine *engine);

#endif
