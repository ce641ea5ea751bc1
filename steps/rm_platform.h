/*
 * rm_platform: what the platform-service steps (dns, private_dns,
 * container_registry, container_instance, service_bus, redis_cache) share —
 * their entity tables (exported for the golden-snapshot tests) and one way
 * of reading many ARM lists in parallel with one error policy.
 *
 * A step builds an rmp_lists (one path per subscription, per resource group
 * or per parent entity, each with the key of what it belongs to) and runs
 * it with rmp_run(): the lists are fetched in parallel within the client's
 * bounds and every item is handed to the step's callback as it arrives
 * (never a whole list in memory).  Error policy (azure-sources README
 * "Errors"; the reference fails the step on any provider error and treats
 * 404 as empty):
 *   - 404 on a list's first page: an empty list (the client's rule; a
 *     provider answering 404 when not registered lands here);
 *   - provider not registered in a subscription / not offered in a region
 *     (MissingSubscriptionRegistration, NoRegisteredProviderFound,
 *     LocationNotAvailableForResourceType, ... whatever the status): that
 *     list is empty; logged with the subscription/resource, the step goes
 *     on;
 *   - RMP_TOP lists (per subscription / resource group): any other failure
 *     (403 first of all) fails the step once every other list ended — what
 *     could be read is stored; the error names the permission to grant;
 *   - RMP_CHILD lists (per parent resource): 403 and other answered errors
 *     skip that parent (logged, the step's type marked partial); only out
 *     of memory, cancellation, throttling and network failures after
 *     retries fail the step.
 */
#ifndef AI_STEPS_RM_PLATFORM_H
#define AI_STEPS_RM_PLATFORM_H

#include "common/error.h"
#include "engine/entity_map.h"
#include "engine/step.h"
#include "steps/gov_common.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- entity tables -------------------------------------------------------- */

extern const entity_spec dns_zone_spec;
extern const entity_spec dns_record_set_spec;
extern const entity_spec private_dns_zone_spec;
extern const entity_spec private_dns_record_set_spec;
extern const entity_spec container_registry_spec;
extern const entity_spec container_registry_webhook_spec;
extern const entity_spec container_group_spec;
extern const entity_spec container_spec;         /* _key/id set by the step */
extern const entity_spec container_volume_spec;  /* _key/id set by the step */
extern const entity_spec service_bus_namespace_spec;
extern const entity_spec service_bus_queue_spec;
extern const entity_spec service_bus_topic_spec;
extern const entity_spec service_bus_subscription_spec;
extern const entity_spec redis_cache_spec;
extern const entity_spec redis_firewall_rule_spec;

/* Property-table helpers shared by the tables above. */
int rmp_map_null(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                 err_info *err);

/* JavaScript's value.replace(what, ""): the first occurrence of `what`
 * removed from a string value (absent for a non-string). */
int rmp_strip_first(const cJSON *value, const char *what, cJSON **out, err_info *err);

/* A row that removes `name`: a date-time field of the SDK model, which the
 * reference sees as a Date object that convertProperties does not copy
 * (azure-sources part A §1.7); createdOn is still inferred from it. */
#define RMP_SDK_DATE(name) {name, NULL, MAP_CONST_STRING}

/* ---- parallel lists ----------------------------------------------------- */

typedef enum rmp_scope { RMP_TOP = 0, RMP_CHILD } rmp_scope;

typedef struct rmp_lists {
    gov_strings paths;    /* ARM path + query of each list */
    gov_strings owners;   /* per list: subscription GUID, resource-group key or parent _key */
} rmp_lists;

void rmp_lists_free(rmp_lists *l);
int rmp_lists_add(rmp_lists *l, const char *path, const char *owner, err_info *err);

/* One list per ingested subscription: path_fmt has one %s (the GUID). */
int rmp_lists_per_subscription(step_ctx *ctx, const char *path_fmt, rmp_lists *out,
                               err_info *err);

/* One list per stored azure_resource_group: its key
 * ("/subscriptions/{s}/resourceGroups/{name}") followed by `suffix`
 * ("/providers/Microsoft.Cache/Redis?api-version=..."). */
int rmp_lists_per_resource_group(step_ctx *ctx, const char *suffix, rmp_lists *out,
                                 err_info *err);

/* One list per stored entity of `type`: path_fn writes the list's path for
 * a parent (returns 0, or 1 to skip a parent it cannot place, which is
 * logged). The owner is the parent's stored _key. */
typedef int (*rmp_path_fn)(const cJSON *parent, char *out, size_t size);
int rmp_lists_per_entity(step_ctx *ctx, const char *type, rmp_path_fn path_fn, rmp_lists *out,
                         err_info *err);

/* The common child path: "/subscriptions/{sub}/resourceGroups/{group
 * lower-cased}/providers/{provider}/{parent name}/{child}", from the
 * parent's `id` and `name` (the reference's resourceGroupName(id, true)).
 * Returns 0, or 1 when the id has no subscription/resource group. */
int rmp_child_path(const cJSON *parent, const char *provider, const char *child, char *out,
                   size_t size);

typedef int (*rmp_item_fn)(step_ctx *ctx, void *arg, const char *owner, const cJSON *item,
                           err_info *err);

/* Runs the lists (see the error policy above).  `what` names the
 * collection in messages ("DNS zones"); partial_type is the entity type
 * marked partial when a list is skipped (NULL = none). */
int rmp_run(step_ctx *ctx, const rmp_lists *lists, rmp_scope scope, const char *what,
            const char *partial_type, rmp_item_fn fn, void *arg, err_info *err);

/* Maps `item` with spec and stores it; *key receives the stored _key (empty
 * when the item was skipped). */
int rmp_store(step_ctx *ctx, const entity_spec *spec, const cJSON *item, char *key,
              size_t key_size, err_info *err);

/* rmp_store for an item whose SDK model does not know some of Azure's
 * `properties` members (the reference never sees them: not in _rawData,
 * not copied): `unknown` is a NULL-terminated list of member names. */
int rmp_store_model(step_ctx *ctx, const entity_spec *spec, const cJSON *item,
                    const char *const *unknown, char *key, size_t key_size, err_info *err);

/* True for an error that means "nothing to list here": provider not
 * registered or not offered in the region. */
bool rmp_error_is_absent(const err_info *e);

#endif
