/*
 * azure_job: the Azure integration's state for one job, handed to the
 * engine as the "integration" pointer (step_integration()).
 *
 * It holds the parsed instance config, the Azure client shared by the job's
 * steps, the subscriptions to ingest (the configured one, or every
 * subscription the principal can read when none is configured: our
 * extension of the reference), and the account's default domain (set by
 * ad-account, read by every webLink).
 */
#ifndef AI_STEPS_AZURE_JOB_H
#define AI_STEPS_AZURE_JOB_H

#include "azure/azure_client.h"
#include "common/error.h"
#include "engine/step.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct azure_config {
    char *directory_id;
    char *client_id;
    char *client_secret;
    char *subscription_id;          /* NULL when absent or empty */
    bool ingest_active_directory;
    bool tag_with_account_name;
} azure_config;

/* Parses and validates the instance config (the event's `config`).  Errors
 * name the field (ERR_INVALID), with the reference's messages where it has
 * them.  Strings are trimmed of surrounding white space. */
int azure_config_parse(const cJSON *config, azure_config *out, err_info *err);
void azure_config_clear(azure_config *config);   /* wipes the secret */

typedef struct azure_instance_info {
    const char *instance_id;     /* _key of azure_account */
    const char *instance_name;   /* azure_account displayName, tag.AccountName */
    const char *account_id;      /* JupiterOne account */
} azure_instance_info;

typedef struct azure_job azure_job;

/* Creates the job state and its client (no network yet). */
int azure_job_new(const cJSON *config, const azure_instance_info *instance,
                  const azure_endpoints *endpoints, azure_job **out, err_info *err);
void azure_job_free(azure_job *job);

/* Invocation validation (reference validateInvocation): credentials work
 * (ERR_AUTH otherwise), the configured subscription exists, or the list of
 * readable subscriptions is discovered.  Must succeed before any step. */
int azure_job_validate(azure_job *job, err_info *err);

/* Step enablement from the config (STEP_IF_ACTIVE_DIRECTORY, ...). */
bool azure_job_step_enabled(const azure_job *job, const step_def *step);

azure_client *azure_job_client(const azure_job *job);
const azure_config *azure_job_config(const azure_job *job);
const azure_instance_info *azure_job_instance(const azure_job *job);

/* Subscription GUIDs to ingest, valid for the job's lifetime. */
size_t azure_job_subscription_count(const azure_job *job);
const char *azure_job_subscription(const azure_job *job, size_t index);

/* Default verified domain of the directory, or NULL (then no entity gets a
 * webLink).  Set once by ad-account. */
void azure_job_set_default_domain(azure_job *job, const char *domain);
const char *azure_job_default_domain(const azure_job *job);

/* Convenience for steps: the job state of a running step. */
azure_job *azure_job_of(const step_ctx *ctx);

#endif
