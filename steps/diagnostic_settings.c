/*
 * diagnostic_settings: see diagnostic_settings.h.
 *
 * The settings of all resources are requested at once through
 * azure_get_many (bounded by the client); answers are mapped and stored on
 * the calling thread as they arrive, so only a handful of answers are ever
 * in memory.
 */
#include "steps/diagnostic_settings.h"

#include "azure/azure_client.h"
#include "common/json.h"
#include "common/log.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_API "2017-05-01-preview"
#define DIAG_TYPE "azure_diagnostic_setting"

static const prop_map diag_props[] = {
    {"id", "id", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = gov_weblink},
    {"name", "name", MAP_STRING},
    {"storageAccountId", "properties.storageAccountId", MAP_STRING, .flags = MAPF_NULL},
    {"eventHubName", "properties.eventHubName", MAP_STRING, .flags = MAPF_NULL},
    {"eventHubAuthorizationRuleId", "properties.eventHubAuthorizationRuleId", MAP_STRING,
     .flags = MAPF_NULL},
    {"workspaceId", "properties.workspaceId", MAP_STRING, .flags = MAPF_NULL},
    {"logAnalyticsDestinationType", "properties.logAnalyticsDestinationType", MAP_STRING,
     .flags = MAPF_NULL},
    {"serviceBusRuleId", "properties.serviceBusRuleId", MAP_STRING, .flags = MAPF_NULL},
    {"type", "type", MAP_STRING},
    {NULL, NULL, 0},
};

static const entity_spec diag_spec = {
    .type = DIAG_TYPE,
    .classes = {"Configuration"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH,
    .props = diag_props,
};

/* log.{Category}.* from the first `properties.logs` entry of each category
 * (reference getPropertiesForDiagnosticLogCategories); nothing without logs. */
static int add_log_properties(cJSON *entity, const cJSON *item, const char *const *categories,
                              err_info *err)
{
    const cJSON *logs = json_path(item, "properties.logs");
    if (!cJSON_IsArray(logs) || !categories)
        return 0;
    for (size_t c = 0; categories[c]; c++) {
        const cJSON *log = NULL, *l;
        cJSON_ArrayForEach(l, logs) {
            const char *cat = json_get_string(l, "category");
            if (cat && strcmp(cat, categories[c]) == 0) {
                log = l;
                break;
            }
        }
        if (!log)
            continue;
        struct {
            const char *suffix;
            const cJSON *value;
        } fields[] = {
            {"enabled", json_get(log, "enabled")},
            {"retentionPolicy.days", json_path(log, "retentionPolicy.days")},
            {"retentionPolicy.enabled", json_path(log, "retentionPolicy.enabled")},
        };
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            const cJSON *v = fields[f].value;
            if (!v || !(cJSON_IsBool(v) || cJSON_IsNumber(v)))
                continue;
            char name[256];
            snprintf(name, sizeof name, "log.%s.%s", categories[c], fields[f].suffix);
            cJSON_DeleteItemFromObjectCaseSensitive(entity, name);
            cJSON *copy = cJSON_Duplicate(v, 0);
            if (!copy || !cJSON_AddItemToObject(entity, name, copy)) {
                cJSON_Delete(copy);
                return err_set(err, ERR_NOMEM, "out of memory mapping a diagnostic setting");
            }
        }
    }
    return 0;
}

typedef struct diag_state {
    step_ctx *ctx;
    const char *const *keys;
    const char *const *categories;
} diag_state;

static int add_setting(diag_state *st, const char *resource_key, const cJSON *item,
                       err_info *err)
{
    const char *id = json_get_string(item, "id");
    if (!id || !*id) {
        log_kv(LOG_WARN, "skipped a diagnostic setting without id", "resource", resource_key,
               NULL);
        return 0;
    }
    map_ctx mctx = {.integration = azure_job_of(st->ctx)};
    cJSON *entity = NULL;
    err_info e = {0};
    if (entity_map_build(&diag_spec, item, &mctx, &entity, &e) != 0) {
        if (e.kind == ERR_NOMEM) {
            *err = e;
            return -1;
        }
        log_kv(LOG_WARN, "skipped one diagnostic setting", "id", id, "error", e.message, NULL);
        return 0;
    }
    if (add_log_properties(entity, item, st->categories, err) != 0) {
        cJSON_Delete(entity);
        return -1;
    }
    if (gov_add(st->ctx, entity, true, id, err) != 0)
        return -1;
    gov_found resource, setting, account;
    if (!gov_find(st->ctx, id, &setting))
        return 0;   /* skipped (duplicate or invalid), already logged */
    if (gov_find(st->ctx, resource_key, &resource) &&
        gov_relate(st->ctx, "HAS", resource.key, resource.type, setting.key, DIAG_TYPE,
                   "azure_resource_has_diagnostic_setting", err) != 0)
        return -1;
    const char *storage = json_path_string(item, "properties.storageAccountId");
    if (storage && gov_find(st->ctx, storage, &account) &&
        gov_relate(st->ctx, "USES", setting.key, DIAG_TYPE, account.key, account.type, NULL,
                   err) != 0)
        return -1;
    return 0;
}

static int on_answer(void *arg, size_t index, const cJSON *body, err_info *err)
{
    diag_state *st = arg;
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const cJSON *value = json_get(body, "value"), *item;
    cJSON_ArrayForEach(item, value) {
        if (add_setting(st, st->keys[index], item, err) != 0)
            return -1;
    }
    return 0;
}

int diag_settings_for_resources(step_ctx *ctx, const char *const *resource_keys, size_t count,
                                const char *const *log_categories, err_info *err)
{
    if (count == 0)
        return 0;
    int rc = -1;
    char **paths = calloc(count, sizeof *paths);
    err_info *errs = calloc(count, sizeof *errs);
    if (!paths || !errs) {
        err_set(err, ERR_NOMEM, "out of memory reading diagnostic settings");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        /* The reference joins "https://management.azure.com/" and the id, so
         * the path starts with "//" (recorded that way; Azure accepts it). */
        size_t n = strlen(resource_keys[i]) + 128;
        if (!(paths[i] = malloc(n))) {
            err_set(err, ERR_NOMEM, "out of memory reading diagnostic settings");
            goto done;
        }
        snprintf(paths[i], n, "/%s/providers/microsoft.insights/diagnosticSettings?api-version=%s",
                 resource_keys[i], DIAG_API);
    }
    diag_state st = {.ctx = ctx, .keys = resource_keys, .categories = log_categories};
    err_info e = {0};
    int grc = azure_get_many(azure_job_client(azure_job_of(ctx)), AZURE_API_ARM,
                             (const char *const *)paths, count, on_answer, &st, errs, &e);
    if (grc == 0) {
        rc = 0;
        goto done;
    }
    /* Per-resource failures: 404 means no settings; others are logged and
     * make the type partial.  Anything that is not a per-resource answer
     * (out of memory, cancelled, an item callback error) fails the step. */
    bool partial = false;
    for (size_t i = 0; i < count; i++) {
        switch (errs[i].kind) {
        case ERR_NONE:
        case ERR_NOT_FOUND:
            break;
        case ERR_NOMEM:
        case ERR_CANCELLED:
            *err = errs[i];
            goto done;
        default:
            partial = true;
            log_kv(LOG_WARN, "could not read the diagnostic settings of a resource", "resource",
                   resource_keys[i], "error", errs[i].message, NULL);
        }
    }
    if (!partial && e.kind != ERR_NONE && e.kind != ERR_NOT_FOUND) {
        *err = e;   /* failed outside the per-resource answers */
        goto done;
    }
    if (partial)
        step_mark_partial_type(ctx, DIAG_TYPE);
    rc = 0;
done:
    for (size_t i = 0; paths && i < count; i++)
        free(paths[i]);
    free(paths);
    free(errs);
    return rc;
}

typedef struct key_list {
    gov_strings keys;
} key_list;

static int collect_key(void *arg, const cJSON *entity, err_info *err)
{
    key_list *k = arg;
    const char *id = json_get_string(entity, "id");
    if (!id)
        id = json_get_string(entity, "_key");
    return id ? gov_strings_add(&k->keys, id, err) : 0;
}

int diag_settings_for_type(step_ctx *ctx, const char *entity_type,
                           const char *const *log_categories, err_info *err)
{
    key_list k = {0};
    /* Entities come out grouped by subscription; the client sends the
     * reads round-robin over subscriptions (azure/azure_interleave.h). */
    int rc = step_iterate_entities_without_raw(ctx, entity_type, collect_key, &k, err);
    if (rc == 0)
        rc = diag_settings_for_resources(ctx, (const char *const *)k.keys.items, k.keys.count,
                                         log_categories, err);
    gov_strings_free(&k.keys);
    return rc;
}
