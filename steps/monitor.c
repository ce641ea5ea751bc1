/*
 * monitor: log profiles, activity log alerts and the alerts' scope
 * relationships (docs/spec/azure-sources part-a §2.7; reference graph-azure
 * src/steps/resource-manager/monitor/).  Diagnostic settings of resources
 * are produced by each resource's own step through the shared helper
 * (steps/diagnostic_settings.h); their entity is declared there.
 *
 * Tables for both entity types; code only for the activity-log alert
 * conditions (an `allOf` list searched by field name).  Alerts are listed
 * per resource group, all groups in parallel within the client's bounds,
 * each list under the group's own subscription.  The scope step makes no
 * calls: it resolves each alert's scopes through the store's
 * case-insensitive index once every other Resource Manager step ran.
 * Unlike the reference, a scope that is not ingested does not stop the
 * remaining scopes of the same alert from being related.
 */
#include "steps/monitor.h"

#include "common/json.h"
#include "common/log.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_PROFILE_API "2016-03-01"
#define ALERT_API "2017-04-01"

/* ---- rm-monitor-log-profiles ------------------------------------------- */

static const prop_map log_profile_props[] = {
    {"id", "id", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = gov_weblink},
    {"name", "name", MAP_STRING},
    {"displayName", "name", MAP_STRING},
    {"storageAccountId", "properties.storageAccountId", MAP_STRING},
    {"serviceBusRuleId", "properties.serviceBusRuleId", MAP_STRING},
    {"locations", "properties.locations", MAP_ARRAY},
    {"categories", "properties.categories", MAP_ARRAY},
    {"retentionPolicy.enabled", "properties.retentionPolicy.enabled", MAP_BOOL},
    {"retentionPolicy.days", "properties.retentionPolicy.days", MAP_NUMBER},
    {NULL},
};

const entity_spec monitor_log_profile_spec = {
    .type = "azure_monitor_log_profile",
    .classes = {"Configuration"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = log_profile_props,
};

static int log_profile_storage(step_ctx *ctx, const cJSON *item, const char *key, err_info *err)
{
    gov_found account;
    const char *id = json_path_string(item, "properties.storageAccountId");
    if (!id || !gov_find(ctx, id, &account))
        return 0;
    return gov_relate(ctx, "USES", key, "azure_monitor_log_profile", account.key, account.type,
                      NULL, err);
}

static const gov_sub_collection log_profiles = {
    .spec = &monitor_log_profile_spec,
    .path_fmt = "/subscriptions/%s/providers/microsoft.insights/logprofiles?api-version=" LOG_PROFILE_API,
    .link_subscription = true,
    .after = log_profile_storage,
};

/* ---- rm-monitor-activity-log-alerts ------------------------------------ */

/* The allOf entry for `field`: "ANY" when none, its `equals` when truthy,
 * else its `containsAny` (array or null). */
static int alert_condition(const cJSON *all_of, const char *field, cJSON **out, err_info *err)
{
    const cJSON *c, *found = NULL;
    cJSON_ArrayForEach(c, all_of)
    {
        if (strcmp(json_get_string(c, "field") ? json_get_string(c, "field") : "", field) == 0) {
            found = c;
            break;
        }
    }
    if (!found) {
        *out = cJSON_CreateString("ANY");
    } else {
        const char *eq = json_get_string(found, "equals");
        const cJSON *any = json_get(found, "containsAny");
        if (eq && *eq)
            *out = cJSON_CreateString(eq);
        else if (cJSON_IsArray(any))
            *out = cJSON_Duplicate(any, 1);
        else
            *out = cJSON_CreateNull();
    }
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory building an activity log alert");
}

#define CONDITION_FN(fn_name, field)                                                             \
    static int fn_name(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out, \
                       err_info *err)                                                            \
    {                                                                                            \
        (void)item;                                                                              \
        (void)mctx;                                                                              \
        return alert_condition(value, field, out, err);                                          \
    }
CONDITION_FN(cond_category, "category")
CONDITION_FN(cond_operation_name, "operationName")
CONDITION_FN(cond_level, "level")
CONDITION_FN(cond_status, "status")
CONDITION_FN(cond_caller, "caller")

static const prop_map alert_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"description", "properties.description", MAP_STRING},
    {"enabled", "properties.enabled", MAP_BOOL},
    {"scopes", "properties.scopes", MAP_ARRAY},
    {"condition.category", "properties.condition.allOf", MAP_FN, .fn = cond_category,
     .flags = MAPF_NULL},
    {"condition.operationName", "properties.condition.allOf", MAP_FN, .fn = cond_operation_name,
     .flags = MAPF_NULL},
    {"condition.level", "properties.condition.allOf", MAP_FN, .fn = cond_level, .flags = MAPF_NULL},
    {"condition.status", "properties.condition.allOf", MAP_FN, .fn = cond_status,
     .flags = MAPF_NULL},
    {"condition.caller", "properties.condition.allOf", MAP_FN, .fn = cond_caller,
     .flags = MAPF_NULL},
    {"webLink", "id", MAP_FN, .fn = gov_weblink},
    {NULL},
};

const entity_spec monitor_activity_log_alert_spec = {
    .type = "azure_monitor_activity_log_alert",
    .classes = {"Rule"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = alert_props,
};

typedef struct alert_state {
    step_ctx *ctx;
    gov_strings groups;   /* resource-group keys, index = list index */
} alert_state;

static int alert_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    alert_state *st = arg;
    bool added;
    if (gov_map_add(st->ctx, &monitor_activity_log_alert_spec, item, &added, err) != 0)
        return -1;
    gov_found alert;
    if (!added || !gov_find(st->ctx, json_get_string(item, "id"), &alert))
        return 0;
    return gov_relate(st->ctx, "HAS", st->groups.items[index], "azure_resource_group", alert.key,
                      "azure_monitor_activity_log_alert", NULL, err);
}

/* "/subscriptions/{sub}/resourceGroups/{name}" -> its alert list path. */
static int alert_path(const char *group_key, gov_strings *paths, err_info *err)
{
    const char *p = group_key;
    if (strncmp(p, "/subscriptions/", 15) != 0)
        return 1;
    const char *sub = p + 15, *sub_end = strchr(sub, '/');
    if (!sub_end || strncasecmp(sub_end, "/resourceGroups/", 16) != 0)
        return 1;
    const char *name = sub_end + 16;
    if (!*name || strchr(name, '/'))
        return 1;
    char path[1024];
    int n = snprintf(path, sizeof path,
                     "/subscriptions/%.*s/resourceGroups/%s/providers/microsoft.insights/"
                     "activityLogAlerts?api-version=" ALERT_API,
                     (int)(sub_end - sub), sub, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return 1;
    return gov_strings_add(paths, path, err);
}

static int run_activity_log_alerts(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    alert_state st = {.ctx = ctx};
    gov_strings all = {0}, paths = {0};
    int rc = -1;
    if (gov_collect(ctx, "azure_resource_group", "_key", &all, err) != 0)
        goto done;
    for (size_t i = 0; i < all.count; i++) {
        int prc = alert_path(all.items[i], &paths, err);
        if (prc < 0)
            goto done;
        if (prc > 0) {
            log_kv(LOG_WARN, "resource group id not understood; its alerts are skipped", "id",
                   all.items[i], NULL);
            continue;
        }
        if (gov_strings_add(&st.groups, all.items[i], err) != 0)
            goto done;
    }
    rc = gov_list_parallel(ctx, paths.items, paths.count, alert_item, &st, err);
done:
    gov_strings_free(&all);
    gov_strings_free(&paths);
    gov_strings_free(&st.groups);
    return rc;
}

/* ---- rm-monitor-activity-log-alert-scope-relationships ----------------- */

static int alert_scopes(void *arg, const cJSON *alert, err_info *err)
{
    step_ctx *ctx = arg;
    if (step_should_stop(ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *key = json_get_string(alert, "_key");
    const cJSON *scope;
    cJSON_ArrayForEach(scope, json_get(alert, "scopes"))
    {
        gov_found found;
        if (!cJSON_IsString(scope) || !gov_find(ctx, scope->valuestring, &found)) {
            log_kv(LOG_DEBUG, "activity log alert scope not ingested", "alert", key, NULL);
            continue;
        }
        if (gov_relate(ctx, "MONITORS", key, "azure_monitor_activity_log_alert", found.key,
                       found.type, NULL, err) != 0)
            return -1;
    }
    return 0;
}

static int run_alert_scopes(step_ctx *ctx, err_info *err)
{
    return step_iterate_entities(ctx, "azure_monitor_activity_log_alert", alert_scopes, ctx, err);
}

/* ---- the step table ---------------------------------------------------- */

static const step_def step_log_profiles = {
    .id = "rm-monitor-log-profiles",
    .name = "Monitor Log Profiles",
    .depends_on = {"rm-subscriptions", "rm-storage-resources"},
    .entities = {{"[RM] Monitor Log Profile", "azure_monitor_log_profile", {"Configuration"}}},
    .relationships = {{"azure_subscription_has_monitor_log_profile", "HAS", "azure_subscription",
                       "azure_monitor_log_profile"},
                      {"azure_monitor_log_profile_uses_storage_account", "USES",
                       "azure_monitor_log_profile", "azure_storage_account"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = gov_run_per_subscription,
    .arg = &log_profiles,
};

static const step_def step_activity_log_alerts = {
    .id = "rm-monitor-activity-log-alerts",
    .name = "Monitor Activity Log Alerts",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Monitor Activity Log Alert", "azure_monitor_activity_log_alert", {"Rule"}}},
    .relationships = {{"azure_resource_group_has_monitor_activity_log_alert", "HAS",
                       "azure_resource_group", "azure_monitor_activity_log_alert"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_activity_log_alerts,
};

static const step_def step_alert_scopes = {
    .id = "rm-monitor-activity-log-alert-scope-relationships",
    .name = "Monitor Activity Log Alert -> Scope Relationships",
    .depends_on = {"rm-monitor-activity-log-alerts", STEP_DEPENDS_RM_FIRST},
    .relationships = {{"azure_monitor_activity_log_alert_monitors_azure_scope", "MONITORS",
                       "azure_monitor_activity_log_alert", "ANY_SCOPE"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_alert_scopes,
};

const step_def *const steps_monitor[] = {&step_log_profiles, &step_activity_log_alerts,
                                         &step_alert_scopes, NULL};
