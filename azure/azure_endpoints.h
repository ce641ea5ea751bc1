/*
 * azure_endpoints: per-cloud defaults and environment overrides (the
 * public entry point azure_endpoints_from_env is declared in
 * azure/azure_client.h).
 */
#ifndef AI_AZURE_AZURE_ENDPOINTS_H
#define AI_AZURE_AZURE_ENDPOINTS_H

#include "azure/azure_client.h"

#include <stdbool.h>
#include <stddef.h>

/* Defaults of a named cloud (AzurePublicCloud, AzureUSGovernment,
 * AzureChinaCloud; case-insensitive). */
int azure_endpoints_for_cloud(const char *cloud, azure_endpoints *out, err_info *err);

/* https, or http on loopback, with no user information (common/url.h);
 * else ERR_INVALID naming `what`. */
int azure_url_check(const char *url, const char *what, err_info *err);

/* Base URL of a storage account's data-plane service ("blob", "queue",
 * "table", "file") from the template or the cloud suffix.  -1 if too long. */
int azure_storage_url(const azure_endpoints *ep, const char *account, const char *service,
                      char *out, size_t size);

#endif
