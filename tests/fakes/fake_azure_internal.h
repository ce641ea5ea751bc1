/*
 * fake_azure_internal: what the fake's core (fake_azure.c) and its
 * generated-tenant module (fake_azure_gen.c, fake_azure_gen_types.c) share.
 * Not for tests: they use fake_azure.h.
 */
#ifndef AI_TESTS_FAKES_FAKE_AZURE_INTERNAL_H
#define AI_TESTS_FAKES_FAKE_AZURE_INTERNAL_H

#include "fakes/fake_azure.h"

#include "common/sbuf.h"

#include <stdbool.h>
#include <stddef.h>

/* A decoded query parameter. */
typedef struct fake_param {
    char *key;
    char *value;
} fake_param;

typedef struct fake_request {
    const char *method;
    const char *path;          /* percent-decoded, repeated slashes collapsed */
    const fake_param *params;  /* sorted by key */
    size_t nparams;
    const char *principal;     /* client id the bearer token was issued to, or "" */
} fake_request;

/* Value of a query parameter, or NULL. */
const char *fake_request_param(const fake_request *r, const char *key);

typedef struct fake_answer {
    int status;
    sbuf body;
    char retry_after[64];
    char content_type[64];
    long remaining_reads;          /* x-ms-ratelimit-remaining-subscription-reads, -1 none */
    char remaining_reads_text[24];
} fake_answer;

/* Generated tenant. */
typedef struct fake_gen fake_gen;
fake_gen *fake_gen_new(const fake_azure_tenant *tenant, const char *base_url, bool throttle,
                       int graph_burst, int graph_refill_per_s);
void fake_gen_free(fake_gen *g);
/* Answers a request of the generated tenant; false when the path is not
 * one it serves.  Sets *throttled when the answer is a throttling 429. */
bool fake_gen_answer(fake_gen *g, const fake_request *r, fake_answer *out, bool *throttled);
/* Most reads any one ARM / Graph bucket has answered (429s not counted). */
void fake_gen_bucket_max(fake_gen *g, int64_t *arm_reads, int64_t *graph_reads);

/* ARM resource types of the generated tenant (fake_azure_gen_types.c): one
 * row per provider collection under a resource group.  `build` appends
 * the JSON object of item `i` (0-based) of that collection to out. */
typedef struct fake_gen_item_ctx {
    const char *subscription_id;
    const char *resource_group;
    int index;
} fake_gen_item_ctx;

typedef struct fake_gen_type {
    const char *provider_type;   /* "Microsoft.Network/virtualNetworks" */
    const char *api_version;     /* informative; any api-version is accepted */
    void (*build)(sbuf *out, const fake_gen_item_ctx *ctx, const char *id);
} fake_gen_type;

extern const fake_gen_type fake_gen_types[];
extern const size_t fake_gen_type_count;

#endif
