/*
 * arm_list: the list shape shared by the Resource Manager service steps
 * (cdn, batch, api_management, event_grid, dns, private_dns,
 * container_registry, container_instance, service_bus, redis_cache): one
 * ARM collection per parent — per ingested subscription, per stored
 * resource group, or per stored entity of a parent type (a CDN profile's
 * endpoints, a DNS zone's record sets) — all parents' lists fetched in
 * parallel within the client's bounds, each item mapped by its table and
 * stored as it arrives (never a whole list in memory), then related HAS
 * from its parent and/or from its resource group, then handed to the
 * step's own hook when it has more to do.
 *
 * Error policy (azure-sources README "Errors"; the reference fails the
 * step on any provider error and treats 404 as empty; here what could be
 * read is kept):
 *   - 404 on a list's first page: an empty list (the client's rule; a
 *     provider answering 404 when not registered lands here);
 *   - provider not registered in the subscription / not offered in the
 *     region (MissingSubscriptionRegistration, NoRegisteredProviderFound,
 *     LocationNotAvailableForResourceType, SubscriptionNotRegistered,
 *     ResourceTypeNotSupported, LocationNotSupported; whatever the
 *     status): that list is empty, logged as a warning naming the provider
 *     to register, the step goes on;
 *   - top-level lists (ARML_PER_SUBSCRIPTION, ARML_PER_RESOURCE_GROUP): any
 *     other failure (403 first of all) fails the step once every other list
 *     ended — what could be read is stored; the error is the first failed
 *     list's, prefixed with the collection and its parent, and keeps the
 *     client's hint (the permission to grant);
 *   - per-parent child lists (ARML_PER_ENTITY): 403 and other answered
 *     errors skip that parent (logged, the item type marked partial with
 *     step_mark_partial_type); out of memory, cancellation, throttling and
 *     network failures after the client's retries (and credential, store,
 *     I/O and internal errors) fail the step.
 */
#ifndef AI_STEPS_ARM_LIST_H
#define AI_STEPS_ARM_LIST_H

#include "common/error.h"
#include "engine/entity_map.h"
#include "engine/step.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum arml_scope {
    ARML_PER_SUBSCRIPTION = 0, /* /subscriptions/{guid}{suffix}: top-level */
    ARML_PER_RESOURCE_GROUP,   /* /subscriptions/{sub}/resourceGroups/{group name}{suffix}
                                  (the reference's listByResourceGroup(name)): top-level */
    ARML_PER_ENTITY            /* one list per stored entity of parent_type: child lists */
} arml_scope;

/* Writes the list path of one parent entity; returns 0, or 1 when the
 * parent cannot be placed (arml_list logs it and skips the parent). */
typedef int (*arml_path_fn)(const cJSON *parent, char *out, size_t size);

/* Called for each item once stored and related (`key`: its stored _key),
 * or for every item when the collection has no spec (`key` NULL).
 * `owner` is the list's parent: the subscription or resource-group key, or
 * the parent entity's _key. */
typedef int (*arml_item_fn)(step_ctx *ctx, void *arg, const char *owner, const cJSON *item,
                            const char *key, err_info *err);

typedef struct arml_collection {
    const char *what;          /* "CDN endpoints", for messages */
    arml_scope scope;
    const char *parent_type;   /* ARML_PER_ENTITY: the parents' _type */
    const char *provider;      /* ARML_PER_ENTITY without path_fn: the list is
                                  /subscriptions/{sub}/resourceGroups/{rg lower}/providers/
                                  {provider}/{parent name}{suffix} (segments percent-encoded,
                                  the group lower-cased as the reference's
                                  resourceGroupName(id, true)) */
    const char *suffix;        /* "/endpoints?api-version=2020-04-15" */
    arml_path_fn path_fn;      /* ARML_PER_ENTITY: any other path */
    const entity_spec *spec;   /* the items' table; NULL = on_item does everything */
    const char *const *drop;   /* NULL-terminated members the SDK model does not know,
                                  removed before mapping: "kind", "properties.status" */
    bool relate_parent;        /* parent HAS item (generated _type) */
    bool relate_resource_group; /* resource group HAS item (arm_relate_resource_group) */
    arml_item_fn on_item;      /* optional, see arml_item_fn */
} arml_collection;

/* Lists the collection under every parent (see the error policy above);
 * `arg` is handed to on_item.  Fails when ad-account did not store the
 * account. */
int arml_list(step_ctx *ctx, const arml_collection *c, void *arg, err_info *err);

/* A step that is just one collection: `.run = arml_run_step, .arg = &coll`
 * in its step_def (the step's arg is the arml_collection). */
int arml_run_step(step_ctx *ctx, err_info *err);

/* True for an error that means "nothing to list here": provider not
 * registered or not offered in the region. */
bool arml_error_is_absent(const err_info *e);

/* Writes "/subscriptions/{sub}/resourceGroups/{rg lower-cased}" of an ARM
 * id, both segments percent-encoded; -1 when the id has neither or out is
 * too small. */
int arml_group_prefix(const char *id, char *out, size_t size);

/* Percent-encodes a path segment into out; -1 when it does not fit. */
int arml_segment(const char *s, char *out, size_t size);

/* ---- property-table helpers ---------------------------------------------- */

/* MAP_FN: webLink of an id, with a leading '/' added when Azure returned
 * it without (the reference's normalizeId, used by batch). */
int arml_map_weblink_normalized(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                                cJSON **out, err_info *err);

/* MAP_FN: a JSON null. */
int arml_map_null(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                  err_info *err);

/* JavaScript's value.replace(what, ""): the first occurrence of `what`
 * removed from a string value (absent for a non-string). */
int arml_strip_first(const cJSON *value, const char *what, cJSON **out, err_info *err);

/* The flags of an ARM entity table: the SDK model converted as the
 * reference's convertProperties (properties hoisted), schema passthrough,
 * tags. */
#define ARML_ENTITY_FLAGS \
    (ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS)

/* A row that removes `name`: a date-time field of the SDK model, which the
 * reference sees as a Date object that convertProperties does not copy
 * (azure-sources part A §1.7); createdOn is still inferred from it. */
#define ARML_SDK_DATE(name) {name, NULL, MAP_CONST_STRING}

#endif
