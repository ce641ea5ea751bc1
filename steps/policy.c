/*
 * policy: rm-policy-assignments (docs/spec/azure-sources part-a §2.5;
 * reference graph-azure src/steps/resource-manager/policy/).
 *
 * One table row set plus a fixup: the reference copies every field of the
 * assignment (properties hoisted, metadata left out) "flattened" into dotted
 * properties — `sku.name`, `parameters.allowedLocations` (a nested `value`
 * member collapses into its parent) — and its explicit assignments win over
 * the flattened ones.  The fixup therefore adds flattened properties only
 * under names the rows do not own.  Arrays of objects (a policy parameter
 * can hold any JSON) cannot be entity properties and are left in _rawData.
 *
 * The step runs after every other Resource Manager step (its scope may be
 * any resource): the assignment's `scope` is looked up case-insensitively
 * and related with the explicit type azure_resource_has_policy_assignment.
 */
#include "steps/policy.h"

#include "common/json.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "engine/relationship.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PA_API "2019-09-01"

static int truthy_string(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                         err_info *err)
{
    (void)item;
    (void)mctx;
    *out = NULL;
    if (cJSON_IsString(value) && *value->valuestring &&
        !(*out = cJSON_CreateString(value->valuestring)))
        return err_set(err, ERR_NOMEM, "out of memory building a policy assignment");
    return 0;
}

static const prop_map policy_assignment_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "properties.displayName", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = gov_weblink},
    {"scope", "properties.scope", MAP_STRING},
    {"policyDefinitionId", "properties.policyDefinitionId", MAP_STRING},
    {"assignedBy", "properties.metadata.assignedBy", MAP_FN, .fn = truthy_string,
     .flags = MAPF_KEEP_EXISTING},
    {"createdBy", "properties.metadata.createdBy", MAP_FN, .fn = truthy_string,
     .flags = MAPF_KEEP_EXISTING},
    {"createdOn", "properties.metadata.createdOn", MAP_TIME_MS, .flags = MAPF_KEEP_EXISTING},
    {"updatedBy", "properties.metadata.updatedBy", MAP_FN, .fn = truthy_string,
     .flags = MAPF_KEEP_EXISTING},
    {"updatedOn", "properties.metadata.updatedOn", MAP_TIME_MS, .flags = MAPF_KEEP_EXISTING},
    {NULL},
};

static bool owned_by_rows(const char *name)
{
    for (const prop_map *r = policy_assignment_props; r->property; r++)
        if (strcmp(r->property, name) == 0)
            return true;
    return false;
}

static bool is_primitive(const cJSON *v)
{
    return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v) || cJSON_IsNull(v);
}

/* The reference's flatten(): see the file comment. */
static int flatten_into(cJSON *entity, const cJSON *obj, const char *prefix, err_info *err)
{
    const cJSON *member;
    cJSON_ArrayForEach(member, obj)
    {
        const char *key = member->string;
        char name[512];
        if (!*prefix)
            snprintf(name, sizeof name, "%s", key);
        else if (strcmp(key, "value") == 0)
            snprintf(name, sizeof name, "%s", prefix);
        else
            snprintf(name, sizeof name, "%s.%s", prefix, key);

        cJSON *value = NULL;
        if (is_primitive(member)) {
            value = cJSON_Duplicate(member, 0);
        } else if (cJSON_IsArray(member)) {
            const cJSON *first = cJSON_GetArrayItem(member, 0);
            if (!first || !is_primitive(first))
                continue;   /* empty: dropped; objects: not a property */
            value = cJSON_Duplicate(member, 1);
        } else if (cJSON_IsObject(member)) {
            if (flatten_into(entity, member, name, err) != 0)
                return -1;
            continue;
        } else {
            continue;
        }
        if (!value)
            return err_set(err, ERR_NOMEM, "out of memory flattening a policy assignment");
        if (owned_by_rows(name)) {
            cJSON_Delete(value);
            continue;
        }
        if (!json_set(entity, name, value))
            return err_set(err, ERR_NOMEM, "out of memory flattening a policy assignment");
    }
    return 0;
}

static int policy_flatten(const cJSON *item, cJSON *entity, const map_ctx *mctx, err_info *err)
{
    (void)mctx;
    cJSON *model = entity_map_sdk_object(item, NULL);
    if (!model)
        return err_set(err, ERR_NOMEM, "out of memory flattening a policy assignment");
    cJSON_DeleteItemFromObjectCaseSensitive(model, "metadata");
    int rc = flatten_into(entity, model, "", err);
    cJSON_Delete(model);
    if (rc == 0) {
        /* `name` is the display name; so is displayName (SDK rule). */
        const char *name = json_get_string(entity, "name");
        cJSON *dn = name ? cJSON_CreateString(name) : NULL;
        if (name && (!dn || !json_set(entity, "displayName", dn)))
            return err_set(err, ERR_NOMEM, "out of memory building a policy assignment");
    }
    return rc;
}

const entity_spec policy_assignment_spec = {
    .type = "azure_policy_assignment",
    .classes = {"ControlPolicy"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = policy_assignment_props,
    .fixup = policy_flatten,
};

static int pa_links(step_ctx *ctx, const cJSON *item, const char *key, err_info *err)
{
    gov_found scope;
    const char *scope_id = json_path_string(item, "properties.scope");
    if (!scope_id || !gov_find(ctx, scope_id, &scope))
        return 0;
    return gov_relate(ctx, "HAS", scope.key, scope.type, key, "azure_policy_assignment",
                      "azure_resource_has_policy_assignment", err);
}

static const gov_sub_collection policy_assignments = {
    .spec = &policy_assignment_spec,
    .path_fmt = "/subscriptions/%s/providers/Microsoft.Authorization/policyAssignments?api-version=" PA_API,
    .after = pa_links,
};

static const step_def step_policy_assignments = {
    .id = "rm-policy-assignments",
    .name = "Policy Assignments",
    .depends_on = {"ad-account", STEP_DEPENDS_RM_FIRST},
    .entities = {{"[RM] Policy Assignment", "azure_policy_assignment", {"ControlPolicy"}}},
    .relationships = {{"azure_resource_has_policy_assignment", "HAS", "ANY_SCOPE",
                       "azure_policy_assignment"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = gov_run_per_subscription,
    .arg = &policy_assignments,
};

const step_def *const steps_policy[] = {&step_policy_assignments, NULL};
