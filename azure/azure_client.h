/*
 * azure_client: everything that talks to Azure (libcurl).
 *
 * One client per job, shared by the job's step threads (thread-safe).  It
 * owns: a connection pool per API (keep-alive, shared DNS and TLS session
 * cache, HTTP/2 when offered, TLS verification always on); the OAuth2
 * client-credentials tokens per resource (cached, refreshed before expiry,
 * shared by all threads); a concurrency bound per host; retries (429/503
 * honour Retry-After; other 5xx, resets and timeouts: jittered exponential
 * backoff with a cap); Resource Manager read pacing from
 * x-ms-ratelimit-remaining-subscription-reads; per-API request counters
 * (job totals and /metrics, metric azure_requests_total{api,status} and
 * azure_throttled_total{api}).
 *
 * Errors are err_info values an operator can act on: bad secret / unknown
 * tenant -> ERR_AUTH ("check clientId/clientSecret/directoryId"); 403 ->
 * ERR_FORBIDDEN with the permission likely missing in the hint; no token or
 * secret ever appears in a message or log line.
 *
 * Paths: either an absolute URL (nextLink, data-plane hosts) or a path that
 * is appended to the API's base ("/subscriptions/…?api-version=…" for ARM,
 * "/users?$select=…" for Graph, whose base includes "/v1.0").  Absolute URLs
 * must be https unless the host is loopback (tests).
 */
#ifndef AI_AZURE_AZURE_CLIENT_H
#define AI_AZURE_AZURE_CLIENT_H

#include "common/error.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum azure_api {
    AZURE_API_GRAPH = 0,   /* Microsoft Graph */
    AZURE_API_ARM,         /* Azure Resource Manager */
    AZURE_API_DATA,        /* storage data plane (per-account hosts) */
    AZURE_API_COUNT
} azure_api;

/* Endpoints of one cloud (AZURE_CLOUD and the endpoint variables). */
typedef struct azure_endpoints {
    char authority_host[256];   /* https://login.microsoftonline.com */
    char graph[256];            /* https://graph.microsoft.com */
    char resource_manager[256]; /* https://management.azure.com */
    char storage_suffix[128];   /* core.windows.net: data-plane hosts are
                                   https://{account}.{blob|queue}.{suffix} */
    char storage_url_template[256]; /* tests: e.g. http://127.0.0.1:8443/{account}/{service};
                                       empty = https://{account}.{service}.{suffix} */
} azure_endpoints;

/* Fills endpoints from the environment (AZURE_CLOUD, AZURE_AUTHORITY_HOST,
 * AZURE_GRAPH_ENDPOINT, AZURE_RESOURCE_MANAGER_ENDPOINT,
 * AZURE_STORAGE_URL_TEMPLATE); validates https-or-loopback. */
int azure_endpoints_from_env(azure_endpoints *out, err_info *err);

typedef struct azure_credentials {
    const char *directory_id;
    const char *client_id;
    const char *client_secret;
} azure_credentials;

typedef struct azure_client_options {
    int max_concurrency_per_api;  /* in-flight requests per API (default 8) */
    int max_attempts;             /* per request (default 5) */
    int connect_timeout_ms;       /* default 10000 */
    int low_speed_timeout_s;      /* abort a transfer stalled this long (default 60) */
    int max_retry_wait_ms;        /* cap for one backoff / Retry-After wait (default 60000) */
    int graph_batch_max;          /* Graph lists per $batch request in azure_list_many
                                     (default and most 20, Graph's limit; 1 = no batching) */
} azure_client_options;

typedef struct azure_client azure_client;

/* Copies everything it needs; `opts` may be NULL for defaults. */
int azure_client_new(const azure_endpoints *endpoints, const azure_credentials *credentials,
                     const azure_client_options *opts, azure_client **out, err_info *err);
void azure_client_free(azure_client *client);

/* Makes the client's calls give up quickly with ERR_CANCELLED (job stop). */
void azure_client_cancel(azure_client *client);

/* Gets a token for `api` now (used by invocation validation). */
int azure_client_authenticate(azure_client *client, azure_api api, err_info *err);

/* GET returning a parsed JSON body (*out owned by caller).  404 is
 * ERR_NOT_FOUND. */
int azure_get_json(azure_client *client, azure_api api, const char *path, cJSON **out,
                   err_info *err);

/* GET returning the raw body (XML data plane).  *body NUL-terminated,
 * caller frees. */
int azure_get_text(azure_client *client, azure_api api, const char *path, char **body,
                   size_t *len, err_info *err);

/* Calls fn for every element of `value` of every page, following nextLink /
 * @odata.nextLink until absent (a repeated link is an error).  Only one page
 * is in memory at a time.  A 404 on the first page is an empty list (logged
 * as a warning), except when ARM says the subscription itself does not
 * exist (SubscriptionNotFound): that is an ERR_NOT_FOUND naming it.  fn
 * returning non-zero stops with that error. */
typedef int (*azure_item_fn)(void *arg, const cJSON *item, err_info *err);
int azure_list(azure_client *client, azure_api api, const char *path, azure_item_fn fn,
               void *arg, err_info *err);

/* Many lists at once (e.g. containers of every storage account), all pages
 * of each followed, up to the client's concurrency bound.  Graph lists ask
 * for their first pages up to 20 at a time in one JSON batch request
 * (POST /$batch) and follow their next links one by one; a list whose
 * answer in the batch is not a page (throttled, an error) is read on its
 * own, so its retries and errors are those of azure_list.  fn is called
 * one item at a time, never concurrently, the pages of a list in order, with
 * the index of the list the item came from.  Other lists (Resource
 * Manager, Graph GETs) are read by an event loop in the calling thread,
 * which keeps up to the bound in flight on one libcurl multi handle and
 * calls fn there.  Batched Graph lists use request threads, and fn may run
 * on one of them (whichever hands the queued pages over: a page then costs
 * no thread wake-up); so fn must not depend on thread-local state of the
 * caller (the log's job context is carried over).  A list that fails does not stop the others: its
 * error goes to errs[index] (errs may be NULL) and the call returns -1 after
 * all lists ended, with err describing the first failure. */
typedef int (*azure_indexed_item_fn)(void *arg, size_t index, const cJSON *item, err_info *err);
int azure_list_many(azure_client *client, azure_api api, const char *const *paths, size_t count,
                    azure_indexed_item_fn fn, void *arg, err_info *errs, err_info *err);

/* Like azure_list_many for single GETs (no paging): fn gets each body. */
int azure_get_many(azure_client *client, azure_api api, const char *const *paths, size_t count,
                   azure_indexed_item_fn fn, void *arg, err_info *errs, err_info *err);

typedef struct azure_stats {
    int64_t requests[AZURE_API_COUNT];
    int64_t throttled[AZURE_API_COUNT];
    int64_t retries[AZURE_API_COUNT];
    int64_t absent_lists[AZURE_API_COUNT]; /* first page 404: taken as empty lists */
} azure_stats;

void azure_client_stats(const azure_client *client, azure_stats *out);

/* The endpoints the client was created with (e.g. for data-plane URLs:
 * azure_storage_url() in azure/azure_endpoints.h). */
const azure_endpoints *azure_client_endpoints(const azure_client *client);

#endif
