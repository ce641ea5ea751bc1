/*
 * gov_common: small helpers shared by the directory and governance steps
 * (active_directory, authorization, policy, monitor, security, advisor).
 *
 * - gov_add: add an entity / relationship; a duplicate or invalid object is
 *   logged and skipped (one bad object never loses the others), any other
 *   failure (out of memory, cancelled) is returned.
 * - gov_weblink: MAP_FN computing the portal webLink of an ARM id from the
 *   account's default domain (part A §1.5); absent without a domain.
 * - gov_collect: the values of one string field of every entity of a type
 *   (subscription keys, resource-group ids, ...), copied so that the caller
 *   can make Azure calls outside the store's iteration.
 * - gov_require_account: RM steps fail when ad-account did not store the
 *   account (reference ACCOUNT_ENTITY_NOT_FOUND).
 * - gov_list_per_subscription: the common shape of most governance steps —
 *   one ARM collection per ingested subscription, all fetched in parallel
 *   within the client's bounds, each item mapped by its table, stored as it
 *   arrives (never a whole list in memory) and related to its subscription
 *   and, through a hook, to other entities.
 * Trade-off: the webLink rule is repeated here (the ARM core's helper was
 * not available when these steps were written); it is the one of part A
 * §1.5 without the storage-container form, which no type here needs.
 */
#ifndef AI_STEPS_GOV_COMMON_H
#define AI_STEPS_GOV_COMMON_H

#include "azure/azure_client.h"
#include "common/error.h"
#include "common/sbuf.h"
#include "engine/entity_map.h"
#include "engine/step.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

int gov_add(step_ctx *ctx, cJSON *obj, bool entity, const char *what, err_info *err);

/* gov_add of a relationship written as text (step_add_relationship_text). */
int gov_add_text(step_ctx *ctx, const char *key, const char *type, const sbuf *text,
                 const char *what, err_info *err);

/* gov_add of relationship_direct(class, from, to, type) without building
 * it: relationship_add_direct writes its text (same bytes). */
int gov_add_direct(step_ctx *ctx, const char *class_name, const char *from_key,
                   const char *from_type, const char *to_key, const char *to_type,
                   const char *type, const char *what, err_info *err);

int gov_weblink(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                err_info *err);

/* "https://portal.azure.com/#@{domain}/resource{id}" or NULL (no domain or
 * id, or out of memory).  Caller frees. */
char *gov_weblink_string(const char *domain, const char *id);

typedef struct gov_strings {
    char **items;
    size_t count;
    size_t cap;
} gov_strings;

int gov_strings_add(gov_strings *s, const char *value, err_info *err);
void gov_strings_free(gov_strings *s);

/* Appends json_path_string(entity, path) of every entity of `type`; path
 * names mapped properties (the entities come without _rawData). */
int gov_collect(step_ctx *ctx, const char *type, const char *path, gov_strings *out,
                err_info *err);

int gov_require_account(step_ctx *ctx, err_info *err);

/* The stored _key / _type of the entity keyed `key` (any case). */
typedef struct gov_found {
    char key[1024];
    char type[128];
} gov_found;
bool gov_find(step_ctx *ctx, const char *key, gov_found *out);

/* Adds a direct relationship; `type` NULL = generated.  A missing endpoint
 * type that the step did not declare is logged and skipped by gov_add. */
int gov_relate(step_ctx *ctx, const char *class_name, const char *from_key, const char *from_type,
               const char *to_key, const char *to_type, const char *type, err_info *err);

/* A collection listed once per ingested subscription (path_fmt has one %s:
 * the GUID), each item mapped with `spec`, added, and related HAS from the
 * subscription entity "/subscriptions/{guid}" when link_subscription and
 * that entity exists.  `after`, when set, runs for each added item (extra
 * relationships).  Lists of all subscriptions are fetched in parallel. */
typedef int (*gov_item_hook)(step_ctx *ctx, const cJSON *item, const char *entity_key,
                             err_info *err);
/* Turns an item into the object mapped (e.g. the SDK model without fields
 * it does not know); NULL = out of memory. */
typedef cJSON *(*gov_item_prepare)(const cJSON *item);

typedef struct gov_sub_collection {
    const entity_spec *spec;
    gov_item_prepare prepare; /* optional */
    const char *path_fmt;
    bool link_subscription;   /* add subscription HAS item */
    const char *rel_type;     /* its explicit _type, NULL = generated */
    gov_item_hook after;
} gov_sub_collection;

int gov_list_per_subscription(step_ctx *ctx, const gov_sub_collection *coll, err_info *err);

/* A step that is just one per-subscription collection:
 * `.run = gov_run_per_subscription, .arg = &coll` in its step_def. */
int gov_run_per_subscription(step_ctx *ctx, err_info *err);

/* azure_list_many over ARM: fn gets the index of the path. */
int gov_list_parallel(step_ctx *ctx, char **paths, size_t n, azure_indexed_item_fn fn, void *arg,
                      err_info *err);

/* Maps `item` with `spec` and adds it.  *added is set to true when stored;
 * a mapping problem of one item is logged and skipped. */
int gov_map_add(step_ctx *ctx, const entity_spec *spec, const cJSON *item, bool *added,
                err_info *err);

#endif
