/*
 * rm_services: the list shape shared by the Resource Manager service steps
 * of part C (cdn, batch, api_management, event_grid): one ARM collection per
 * parent — per ingested subscription, per resource-group entity, or per
 * entity of a parent type (a CDN profile's endpoints, a batch account's
 * pools) — all parents' lists fetched in parallel within the client's
 * bounds, each item mapped by its table and stored as it arrives, then
 * related HAS from its parent and/or from its resource group.
 *
 * Failures of one parent's list (reference: any error but 404 fails the
 * step; here the other parents' items are kept):
 *   - 404 (including a provider that is not registered, answered 404): the
 *     client's empty list, logged;
 *   - MissingSubscriptionRegistration (any status): the provider is not
 *     registered in that subscription, so there is nothing to ingest: logged
 *     with the provider to register, the step goes on;
 *   - 403, 401, out of memory, cancellation: the step fails with that error
 *     (its hint names the role to grant);
 *   - anything else (a region that does not support the resource type, 5xx
 *     or throttling after the client's retries): that parent's items are
 *     skipped, logged with Azure's message, and the item type is marked
 *     partial so that JupiterOne keeps what it has.
 */
#ifndef AI_STEPS_RM_SERVICES_H
#define AI_STEPS_RM_SERVICES_H

#include "common/error.h"
#include "engine/entity_map.h"
#include "engine/step.h"
#include "steps/gov_common.h"

#include <stdbool.h>
#include <stddef.h>

/* One parent, copied out of the store. */
typedef struct rms_parent {
    char *key;          /* stored _key ("/subscriptions/{guid}" for subscriptions) */
    char *id;           /* `id` property, else _key */
    char *name;         /* `name` property (the GUID for subscriptions), may be NULL */
    char *arm_type;     /* `type` property ("Microsoft.EventGrid/topics"), may be NULL */
    char *entity_type;  /* _type */
} rms_parent;

typedef enum rms_scope {
    RMS_PER_SUBSCRIPTION = 0,  /* /subscriptions/{guid}{suffix} */
    RMS_PER_RESOURCE_GROUP,    /* /subscriptions/{sub}/resourceGroups/{name}{suffix} */
    RMS_PER_RESOURCE,          /* /subscriptions/{sub}/resourceGroups/{rg}/providers/
                                  {provider}/{name}{suffix} (rg lower-cased, as the
                                  reference's resourceGroupName(id)) */
    RMS_CUSTOM                 /* path_fn */
} rms_scope;

/* Writes the list path of one parent; returns 0, 1 to skip the parent (the
 * function logs why), -1 on error. */
typedef int (*rms_path_fn)(const rms_parent *parent, char *out, size_t size, err_info *err);

typedef struct rms_collection {
    const char *what;            /* "CDN endpoints", for messages */
    rms_scope scope;
    const char *parent_type;     /* RMS_PER_RESOURCE / RMS_CUSTOM: the parents' _type */
    const char *provider;        /* RMS_PER_RESOURCE: "Microsoft.Cdn/profiles" */
    const char *suffix;          /* "/endpoints?api-version=2020-04-15" */
    rms_path_fn path_fn;         /* RMS_CUSTOM */
    const entity_spec *spec;
    gov_item_prepare prepare;    /* optional: the SDK model of an item */
    bool relate_parent;          /* parent HAS item (generated _type) */
    bool relate_resource_group;  /* resource group HAS item (arm_relate_resource_group) */
} rms_collection;

/* Lists the collection under every parent and stores its items. */
int rms_list(step_ctx *ctx, const rms_collection *coll, err_info *err);

/* Appends "/subscriptions/{sub}/resourceGroups/{rg lower}" of an ARM id to
 * out (at most size bytes); -1 when the id has neither. */
int rms_group_prefix(const char *id, char *out, size_t size);

/* Percent-encodes a path segment into out; -1 when it does not fit. */
int rms_segment(const char *s, char *out, size_t size);

/* MAP_FN: webLink of an id, with a leading '/' added when Azure returned
 * it without (the reference's normalizeId, used by batch). */
int rms_map_weblink_normalized(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                               cJSON **out, err_info *err);

#endif
