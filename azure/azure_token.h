/*
 * azure_token: OAuth2 client-credentials tokens, cached per resource.
 *
 * A cache belongs to one client (one tenant + client id + secret), so its
 * key is the resource ("https://graph.microsoft.com").  A token is
 * refreshed when less than AZURE_TOKEN_REFRESH_AHEAD_S of its life is left;
 * the refresh is single-flight: one thread posts to the token endpoint while
 * the others either keep using the still-valid old token or, when there is
 * none, wait for the result (success or error) on a condition variable.
 * Tokens are registered with the log redactor while cached and unregistered
 * when replaced or freed.
 *
 * Token endpoint answers (spec part A §1.2): non-JSON with AADSTS90013 →
 * ERR_AUTH "invalid directory id"; other non-JSON → ERR_AUTH "unknown
 * error ... Tenant ID"; JSON error invalid_request / invalid_client /
 * unauthorized_client / invalid_grant / a 400/401 → ERR_AUTH with the
 * description (never retried: a wrong secret does not become right);
 * 5xx and network errors are retried with backoff, then ERR_UPSTREAM or
 * ERR_NETWORK.  expires_in may be a number or a string (AAD v1).
 */
#ifndef AI_AZURE_AZURE_TOKEN_H
#define AI_AZURE_AZURE_TOKEN_H

#include "azure/azure_http.h"
#include "common/error.h"

#include <stdatomic.h>

#define AZURE_TOKEN_REFRESH_AHEAD_S 300

typedef struct azure_token_cache azure_token_cache;

typedef struct azure_token_config {
    const char *authority;      /* https://login.microsoftonline.com */
    const char *directory_id;
    const char *client_id;
    const char *client_secret;
    int max_attempts;
    int max_retry_wait_ms;
    const atomic_bool *cancelled;
} azure_token_config;

/* Copies the configuration; `http` is borrowed (outlives the cache). */
azure_token_cache *azure_token_cache_new(azure_http *http, const azure_token_config *cfg);
void azure_token_cache_free(azure_token_cache *c);

/* A valid access token for `resource` (no trailing slash), as a new string
 * the caller frees (and must not log). */
int azure_token_get(azure_token_cache *c, const char *resource, char **token, err_info *err);

/* The server rejected `token` (401): forget it so that the next get fetches
 * a new one (a no-op if it was already replaced). */
void azure_token_invalidate(azure_token_cache *c, const char *resource, const char *token);

/* Number of token requests sent (tests). */
long azure_token_requests(azure_token_cache *c);

#endif
