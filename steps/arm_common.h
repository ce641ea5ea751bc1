/*
 * arm_common: conventions every Resource Manager step shares
 * (azure-sources README "Common conventions", part A §1.5-§1.9; reference
 * src/azure/utils.ts, steps/resource-manager/utils/).
 *
 * Property-table conversions (MAP_FN functions for prop_map rows):
 * - arm_map_weblink: webLink from an ARM id (same as gov_weblink);
 * - arm_map_region: `location` lower-cased, its first run of white space
 *   removed (the reference's normalizeLocation, quirk included);
 * - arm_map_resource_group: the resource-group segment of an id, lower-cased.
 * Relationship helpers:
 * - arm_relate_resource_group: the reference's
 *   createResourceGroupResourceRelationship — resource group HAS resource,
 *   the group found (case-insensitively) at
 *   /subscriptions/{sub}/resourceGroups/{group lower-cased}; a missing group
 *   is logged, not an error.
 * - ARM_RG_HAS_DECL(target): the matching step_relationship_decl.
 * Everything in gov_common.h (gov_add, gov_relate, gov_find,
 * gov_list_per_subscription, gov_list_parallel, gov_map_add, gov_collect)
 * is meant for Resource Manager steps too.
 */
#ifndef AI_STEPS_ARM_COMMON_H
#define AI_STEPS_ARM_COMMON_H

#include "common/error.h"
#include "engine/entity_map.h"
#include "engine/step.h"

#include <cjson/cJSON.h>
#include <stddef.h>

int arm_map_weblink(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                    err_info *err);
int arm_map_region(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                   err_info *err);
int arm_map_resource_group(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                           cJSON **out, err_info *err);
/* The tagProperties of the reference's createIntegrationEntity calls
 * (entity_spec.tag_properties): {"environment", NULL}. */
extern const char *const arm_tag_properties[];

/* Writes "/subscriptions/{sub}/resourceGroups/{group lower-cased}" of an ARM
 * id into out; returns 0, or -1 when the id has no resource group (or out
 * is too small). */
int arm_resource_group_id(const char *resource_id, char *out, size_t size);

/* Writes the resource-group name (lower-cased) of an id; -1 when absent. */
int arm_resource_group_name(const char *resource_id, char *out, size_t size);

/* Writes the subscription GUID of an id; -1 when absent. */
int arm_subscription_of(const char *resource_id, char *out, size_t size);

/* Resource group HAS resource (generated _type
 * azure_resource_group_has_<suffix of entity_type>). */
int arm_relate_resource_group(step_ctx *ctx, const char *entity_key, const char *entity_type,
                              err_info *err);

#define ARM_RG_HAS_DECL(target)                                                   \
    {.type = "azure_resource_group_has_" target,                                  \
     .class_name = "HAS",                                                         \
     .source_type = "azure_resource_group",                                       \
     .target_type = "azure_" target}

#endif
