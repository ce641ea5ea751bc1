/*
 * config: the `serve` / `migrate` environment (docs/spec/service-contract.md,
 * "Configuration").  Every variable is validated at start; an error names
 * the variable and says what a valid value looks like, never echoing a
 * secret.
 *
 *   DATABASE_URL                required
 *   HTTP_ADDR                   host:port, default 0.0.0.0:8080 ([v6]:port accepted;
 *                               port 0 = any free port, for tests)
 *   WORKER_THREADS              1-256, default 4
 *   WEBHOOK_SECRET              required by serve, at least 16 bytes
 *   CONFIG_ENCRYPTION_KEY       required by serve, base64 of 32 bytes
 *   CONFIG_ENCRYPTION_OLD_KEYS  optional, comma-separated base64 keys
 *   J1_API_BASE_URL             default https://api.us.jupiterone.io; https
 *                               unless loopback
 *   J1_API_KEY                  required by serve (the job engine uploads with it)
 *   AZURE_CLOUD, AZURE_*        via azure_endpoints_from_env
 *   JOB_MAX_ATTEMPTS            1-100, default 3
 *   JOB_LEASE_SECONDS           5-3600, default 60
 *   LOG_LEVEL                   debug | info | warn | error, default info
 */
#ifndef AI_SERVICE_CONFIG_H
#define AI_SERVICE_CONFIG_H

#include "azure/azure_client.h"
#include "common/error.h"
#include "common/log.h"

#include <stdbool.h>

typedef struct service_config service_config;

/* Reads the environment through getenv_fn (NULL = getenv).  `for_serve`
 * makes WEBHOOK_SECRET and CONFIG_ENCRYPTION_KEY required (migrate needs
 * only DATABASE_URL).  NULL with err (ERR_INVALID naming the variable). */
typedef const char *(*config_getenv_fn)(const char *name);
service_config *config_load(config_getenv_fn getenv_fn, bool for_serve, err_info *err);
/* Wipes the secrets and frees. */
void config_free(service_config *c);

const char *config_database_url(const service_config *c);
const char *config_http_host(const service_config *c);   /* "0.0.0.0", "::1", ... */
int config_http_port(const service_config *c);
int config_worker_threads(const service_config *c);
const char *config_webhook_secret(const service_config *c);
const char *config_encryption_key(const service_config *c);      /* base64 */
const char *config_encryption_old_keys(const service_config *c); /* NULL when unset */
const char *config_j1_api_base_url(const service_config *c);
const char *config_j1_api_key(const service_config *c);          /* NULL when unset */
const azure_endpoints *config_azure(const service_config *c);
int config_job_max_attempts(const service_config *c);
int config_job_lease_seconds(const service_config *c);
int config_job_retention_days(const service_config *c); /* 0: finished jobs are kept */
log_level config_log_level(const service_config *c);

#endif
