/*
 * subscriptions: the subscriptions the principal can read, their diagnostic
 * settings, and the locations of each subscription (docs/spec/azure-sources
 * part-a §2.2; reference graph-azure src/steps/resource-manager/subscriptions/).
 *
 * rm-subscriptions lists every readable subscription (GET /subscriptions),
 * like the reference, whether or not one is configured: the job's own list
 * (steps/azure_job.h) is the same set when none is configured, and with a
 * configured one the graph is the reference's.  Each subscription's
 * diagnostic settings (log categories Administrative, Alert, Policy,
 * Security) are read through the shared helper once all are stored.
 *
 * rm-subscription-locations lists the locations of every stored
 * subscription, all subscriptions in parallel within the client's bounds,
 * and relates subscription USES location.  It also stores the job data
 * DATA_LOCATION_NAME_MAP: {location name: {"_key","_type"} of the first
 * location entity seen with that name} (the reference's locationNameMap,
 * read by the network watcher relationships).  With many subscriptions the
 * same names repeat; the first wins, as in the reference.
 *
 * As in the reference, the subscription has no `vendor` although the
 * Account schema lists it as required: the store only warns about schema
 * mismatches, and the graph stays the reference's.
 */
#include "common/json.h"
#include "common/log.h"
#include "engine/entity_map.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/diagnostic_settings.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBSCRIPTIONS_API "2016-06-01"
#define LOCATION_MAP_KEY "DATA_LOCATION_NAME_MAP"

/* ---- rm-subscriptions -------------------------------------------------- */

static const prop_map subscription_props[] = {
    {"id", "id", MAP_STRING},
    {"subscriptionId", "subscriptionId", MAP_STRING},
    {"state", "state", MAP_STRING},
    {"authorizationSource", "authorizationSource", MAP_STRING},
    {"name", "displayName", MAP_STRING},
    {"displayName", "displayName", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

static const entity_spec subscription_spec = {
    .type = "azure_subscription",
    .classes = {"Account"},
    .flags = ENTITY_SCHEMA_PASSTHROUGH,
    .props = subscription_props,
};

static const char *const subscription_log_categories[] = {"Administrative", "Alert", "Policy",
                                                          "Security", NULL};

static int subscription_item(void *arg, const cJSON *item, err_info *err)
{
    bool added;
    return gov_map_add(arg, &subscription_spec, item, &added, err);
}

static int run_subscriptions(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    if (azure_list(azure_job_client(azure_job_of(ctx)), AZURE_API_ARM,
                   "/subscriptions?api-version=" SUBSCRIPTIONS_API, subscription_item, ctx,
                   err) != 0)
        return -1;
    return diag_settings_for_type(ctx, "azure_subscription", subscription_log_categories, err);
}

/* ---- rm-subscription-locations ----------------------------------------- */

static const prop_map location_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"displayName", "displayName", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

static const entity_spec location_spec = {
    .type = "azure_location",
    .classes = {"Site"},
    .flags = ENTITY_SCHEMA_PASSTHROUGH,
    .props = location_props,
};

typedef struct location_state {
    step_ctx *ctx;
    gov_strings subs;   /* subscription entity keys, index = list index */
    gov_strings paths;
    cJSON *names;       /* DATA_LOCATION_NAME_MAP being built */
} location_state;

static int collect_subscription(void *arg, const cJSON *entity, err_info *err)
{
    location_state *st = arg;
    const char *key = json_get_string(entity, "_key");
    const char *guid = json_get_string(entity, "subscriptionId");
    if (!key || !guid || !*guid || strchr(guid, '/') || strchr(guid, '?')) {
        log_kv(LOG_WARN, "subscription entity without a usable subscriptionId; its locations "
                         "are skipped", "key", key ? key : "?", NULL);
        return 0;
    }
    char path[256];
    int n = snprintf(path, sizeof path,
                     "/subscriptions/%s/locations?api-version=" SUBSCRIPTIONS_API, guid);
    if (n < 0 || (size_t)n >= sizeof path)
        return 0;
    if (gov_strings_add(&st->subs, key, err) != 0 || gov_strings_add(&st->paths, path, err) != 0)
        return -1;
    return 0;
}

static int remember_location_name(location_state *st, const cJSON *item, const char *key,
                                  err_info *err)
{
    const char *name = json_get_string(item, "name");
    if (!name || !*name) {
        log_kv(LOG_WARN, "location without name; not added to the location name map", "id", key,
               NULL);
        return 0;
    }
    if (cJSON_GetObjectItemCaseSensitive(st->names, name)) {
        log_kv(LOG_DEBUG, "location name seen in more than one subscription; the first is kept",
               "name", name, "id", key, NULL);
        return 0;
    }
    cJSON *ref = cJSON_CreateObject();
    if (!ref || !cJSON_AddStringToObject(ref, "_key", key) ||
        !cJSON_AddStringToObject(ref, "_type", location_spec.type) ||
        !cJSON_AddItemToObject(st->names, name, ref)) {
        cJSON_Delete(ref);
        return err_set(err, ERR_NOMEM, "out of memory building the location name map");
    }
    return 0;
}

static int location_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    location_state *st = arg;
    bool added;
    if (gov_map_add(st->ctx, &location_spec, item, &added, err) != 0)
        return -1;
    gov_found loc, sub;
    if (!added || !gov_find(st->ctx, json_get_string(item, "id"), &loc))
        return 0;
    if (gov_find(st->ctx, st->subs.items[index], &sub) &&
        gov_relate(st->ctx, "USES", sub.key, sub.type, loc.key, location_spec.type, NULL, err) != 0)
        return -1;
    return remember_location_name(st, item, loc.key, err);
}

static int run_locations(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    location_state st = {.ctx = ctx, .names = cJSON_CreateObject()};
    int rc = -1;
    if (!st.names) {
        err_set(err, ERR_NOMEM, "out of memory building the location name map");
        goto done;
    }
    if (step_iterate_entities(ctx, "azure_subscription", collect_subscription, &st, err) != 0)
        goto done;
    int lrc = gov_list_parallel(ctx, st.paths.items, st.paths.count, location_item, &st, err);
    /* The map holds what was stored, even when one subscription failed. */
    cJSON *names = st.names;
    st.names = NULL;
    err_info de = {0};
    if (step_data_set(ctx, LOCATION_MAP_KEY, names, &de) != 0) {
        if (lrc == 0)
            *err = de;
        goto done;
    }
    rc = lrc;
done:
    cJSON_Delete(st.names);
    gov_strings_free(&st.subs);
    gov_strings_free(&st.paths);
    return rc;
}

/* ---- the step table ---------------------------------------------------- */

static const step_def step_subscriptions = {
    .id = "rm-subscriptions",
    .name = "Subscriptions",
    .depends_on = {"ad-account"},
    .entities = {{"[RM] Subscription", "azure_subscription", {"Account"}}, DIAG_ENTITY_DECL},
    .relationships = {DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_subscriptions,
};

static const step_def step_locations = {
    .id = "rm-subscription-locations",
    .name = "Subscription Locations",
    .depends_on = {"ad-account", "rm-subscriptions"},
    .entities = {{"[RM] Location", "azure_location", {"Site"}}},
    .relationships = {{"azure_subscription_uses_location", "USES", "azure_subscription",
                       "azure_location"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_locations,
};

const step_def *const steps_subscriptions[] = {&step_subscriptions, &step_locations, NULL};
