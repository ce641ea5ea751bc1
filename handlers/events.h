/*
 * events: POST /v1/events, the scheduler's signed webhook.
 *
 * Order of checks (nothing is written before all pass): body size (the
 * server, 413), Content-Type application/json (415), signature (401):
 * X-Signature-Timestamp (unix seconds, at most API_SIGNATURE_WINDOW_S away
 * from now) and X-Signature-256 "sha256=<lowercase hex HMAC-SHA256(
 * WEBHOOK_SECRET, "<timestamp>.<raw body>")>" compared in constant time,
 * then the body (400, the message names the field), then the queue
 * (job_store_enqueue: idempotent on eventId, coalescing per instance; 503
 * with Retry-After when the database is unreachable).
 *
 * Field rules (unknown fields are ignored and never stored):
 *   eventId: 1-128 characters of UTF-8 without control characters (the
 *     contract's only rule for the idempotency key)
 *   accountId, integrationInstance.id, jobId: 1-128 characters of
 *     [A-Za-z0-9._:-] (they travel in JupiterOne request headers and bodies)
 *   integrationInstance.name: 1-256 characters of UTF-8 without control
 *     characters
 *   integrationInstance.description: optional (or null), up to 4096
 *     characters of UTF-8 without control characters other than tab / CR /
 *     newline
 *   config.directoryId, clientId: 1-256 of [A-Za-z0-9._-] (blanks at either
 *     end are stripped, as for subscriptionId)
 *   config.clientSecret: 1-1024 characters of UTF-8 without control characters
 *   config.subscriptionId: optional (or null), 1-128 of [A-Za-z0-9._-]
 *   config.ingestActiveDirectory, tagWithAccountName: optional booleans
 * An optional string that is empty ("", or blanks for subscriptionId) is
 * taken as absent, as steps/azure_config does for `collect`.
 * A body holding a NUL (raw or \u0000) is refused as a whole.
 */
#ifndef AI_HANDLERS_EVENTS_H
#define AI_HANDLERS_EVENTS_H

#include "handlers/api.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define EVENTS_ID_MAX 128

/* Checks the two signature headers (either may be NULL) against body.
 * Returns 0 when valid; else -1 with a reason (no secret, no signature
 * value) in why. */
int events_signature_check(const char *secret, const char *timestamp, const char *signature,
                           const char *body, size_t len, int64_t now_s, char *why,
                           size_t why_size);

/* Computes "sha256=<hex>" for timestamp and body into out (>= 72 bytes).
 * For clients and tests. */
void events_signature_compute(const char *secret, const char *timestamp, const char *body,
                              size_t len, char out[72]);

/* A parsed, validated event; the strings point into `root`.  config holds
 * only the known config fields (a fresh tree). */
typedef struct events_parsed {
    cJSON *root;
    cJSON *config;
    job_event event;
} events_parsed;

/* Checks an integration instance's config object by the rules above (the
 * strings of cfg are trimmed in place) and returns in *out a fresh tree of
 * the known fields as the service stores them (booleans defaulted, empty
 * optional fields dropped); the caller wipes and frees it.  -1 with a
 * message in why naming the field as path.<field> (never a value).  Also
 * used by `collect`, so a config it accepts is one the service accepts. */
int events_config_check(cJSON *cfg, const char *path, cJSON **out, char *why, size_t why_size);

/* Parses and validates body.  Returns 0, or -1 with a message naming the
 * field in why (never a value). */
int events_parse(const char *body, size_t len, events_parsed *out, char *why, size_t why_size);
/* Wipes every string of both trees (they hold the client secret) and frees. */
void events_parsed_free(events_parsed *p);

/* True when the Content-Type value is application/json (parameters such as
 * charset=utf-8 allowed, case-insensitive). */
bool events_content_type_ok(const char *value);

int api_events_post(const api_context *ctx, const api_request *req, api_response *res);

#endif
