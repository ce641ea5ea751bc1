/*
 * resources: the resource groups of every ingested subscription
 * (docs/spec/azure-sources part-a §2.3; reference graph-azure
 * src/steps/resource-manager/resources/).
 *
 * One list per subscription, all fetched in parallel within the client's
 * bounds, each group stored as it arrives and related HAS from the
 * subscription named by its id (case-insensitive look-up).  As in the
 * reference, a group whose subscription entity is missing is still stored
 * but fails the step (MISSING_SUBSCRIPTION); unlike the reference, the
 * remaining groups are stored first, and every page is followed (the
 * reference read only the first).
 */
#include "common/json.h"
#include "common/log.h"
#include "engine/entity_map.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOURCE_GROUPS_API "2020-06-01"

static const prop_map resource_group_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"displayName", "name", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"location", "location", MAP_STRING},
    {"managedBy", "managedBy", MAP_STRING},
    {"provisioningState", "properties.provisioningState", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

static const entity_spec resource_group_spec = {
    .type = "azure_resource_group",
    .classes = {"Group"},
    .flags = ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = resource_group_props,
};

typedef struct group_state {
    step_ctx *ctx;
    size_t missing;          /* groups whose subscription entity is absent */
    char first_missing[160]; /* the first such subscription key */
} group_state;

static int group_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    (void)index;
    group_state *st = arg;
    bool added;
    if (gov_map_add(st->ctx, &resource_group_spec, item, &added, err) != 0)
        return -1;
    gov_found group, sub;
    if (!added || !gov_find(st->ctx, json_get_string(item, "id"), &group))
        return 0;
    char guid[128], sub_key[160];
    if (arm_subscription_of(group.key, guid, sizeof guid) != 0) {
        log_kv(LOG_WARN, "could not identify a subscription ID in a resource group key", "code",
               "UNMATCHED_SUBSCRIPTION", "key", group.key, NULL);
        return 0;
    }
    snprintf(sub_key, sizeof sub_key, "/subscriptions/%s", guid);
    if (!gov_find(st->ctx, sub_key, &sub)) {
        if (st->missing++ == 0)
            snprintf(st->first_missing, sizeof st->first_missing, "%s", sub_key);
        return 0;
    }
    return gov_relate(st->ctx, "HAS", sub.key, sub.type, group.key, resource_group_spec.type,
                      NULL, err);
}

static int run_resource_groups(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    azure_job *job = azure_job_of(ctx);
    group_state st = {.ctx = ctx};
    gov_strings paths = {0};
    int rc = -1;
    char path[256];
    for (size_t i = 0; i < azure_job_subscription_count(job); i++) {
        snprintf(path, sizeof path,
                 "/subscriptions/%s/resourcegroups?api-version=" RESOURCE_GROUPS_API,
                 azure_job_subscription(job, i));
        if (gov_strings_add(&paths, path, err) != 0)
            goto done;
    }
    if (gov_list_parallel(ctx, paths.items, paths.count, group_item, &st, err) != 0)
        goto done;
    if (st.missing) {
        err_set(err, ERR_INTERNAL,
                "Could not find the subscription \"%s\" in this integration (%zu resource "
                "group(s) not related; code MISSING_SUBSCRIPTION)",
                st.first_missing, st.missing);
        err_hint(err, "step rm-subscriptions must list this subscription: grant the principal "
                      "Reader on it, or see that step's error");
        goto done;
    }
    rc = 0;
done:
    gov_strings_free(&paths);
    return rc;
}

static const step_def step_resource_groups = {
    .id = "rm-resources-resource-groups",
    .name = "Resource Groups",
    .depends_on = {"ad-account", "rm-subscriptions"},
    .entities = {{"[RM] Resource Group", "azure_resource_group", {"Group"}}},
    .relationships = {{"azure_subscription_has_resource_group", "HAS", "azure_subscription",
                       "azure_resource_group"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_resource_groups,
};

const step_def *const steps_resources[] = {&step_resource_groups, NULL};
