/*
 * rm_platform: see rm_platform.h.
 */
#include "steps/rm_platform.h"

#include "common/json.h"
#include "common/log.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int rmp_map_null(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                 err_info *err)
{
    (void)value;
    (void)item;
    (void)mctx;
    if (!(*out = cJSON_CreateNull()))
        return err_set(err, ERR_NOMEM, "out of memory building an entity");
    return 0;
}

int rmp_strip_first(const cJSON *value, const char *what, cJSON **out, err_info *err)
{
    *out = NULL;
    if (!cJSON_IsString(value))
        return 0;
    const char *s = value->valuestring, *hit = strstr(s, what);
    size_t n = strlen(s);
    char *buf = malloc(n + 1);
    if (!buf)
        return err_set(err, ERR_NOMEM, "out of memory mapping a type");
    if (hit) {
        size_t pre = (size_t)(hit - s), wl = strlen(what);
        memcpy(buf, s, pre);
        memcpy(buf + pre, hit + wl, n - pre - wl + 1);
    } else {
        memcpy(buf, s, n + 1);
    }
    *out = cJSON_CreateString(buf);
    free(buf);
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping a type");
}

void rmp_lists_free(rmp_lists *l)
{
    gov_strings_free(&l->paths);
    gov_strings_free(&l->owners);
}

int rmp_lists_add(rmp_lists *l, const char *path, const char *owner, err_info *err)
{
    if (gov_strings_add(&l->paths, path, err) != 0)
        return -1;
    if (gov_strings_add(&l->owners, owner, err) != 0) {
        free(l->paths.items[--l->paths.count]);
        return -1;
    }
    return 0;
}

int rmp_lists_per_subscription(step_ctx *ctx, const char *path_fmt, rmp_lists *out,
                               err_info *err)
{
    azure_job *job = azure_job_of(ctx);
    char path[512];
    for (size_t i = 0; i < azure_job_subscription_count(job); i++) {
        const char *guid = azure_job_subscription(job, i);
        int n = snprintf(path, sizeof path, path_fmt, guid);
        if (n < 0 || (size_t)n >= sizeof path)
            return err_set(err, ERR_INTERNAL, "subscription list path too long");
        if (rmp_lists_add(out, path, guid, err) != 0)
            return -1;
    }
    return 0;
}

/* "/subscriptions/{s}/resourceGroups/{name}" exactly. */
static bool is_group_key(const char *key)
{
    if (strncasecmp(key, "/subscriptions/", 15) != 0)
        return false;
    const char *sub_end = strchr(key + 15, '/');
    if (!sub_end || sub_end == key + 15 || strncasecmp(sub_end, "/resourceGroups/", 16) != 0)
        return false;
    const char *name = sub_end + 16;
    return *name && !strchr(name, '/');
}

int rmp_lists_per_resource_group(step_ctx *ctx, const char *suffix, rmp_lists *out,
                                 err_info *err)
{
    gov_strings groups = {0};
    int rc = gov_collect(ctx, "azure_resource_group", "_key", &groups, err);
    char path[1024];
    for (size_t i = 0; rc == 0 && i < groups.count; i++) {
        const char *key = groups.items[i];
        int n = snprintf(path, sizeof path, "%s%s", key, suffix);
        if (!is_group_key(key) || n < 0 || (size_t)n >= sizeof path) {
            log_kv(LOG_WARN, "resource group id not understood; its resources are skipped", "id",
                   key, NULL);
            continue;
        }
        rc = rmp_lists_add(out, path, key, err);
    }
    gov_strings_free(&groups);
    return rc;
}

typedef struct entity_paths {
    rmp_path_fn fn;
    rmp_lists *out;
    const char *type;
} entity_paths;

static int entity_path(void *arg, const cJSON *entity, err_info *err)
{
    entity_paths *ep = arg;
    const char *key = json_get_string(entity, "_key");
    char path[1024];
    if (!key)
        return 0;
    if (ep->fn(entity, path, sizeof path) != 0) {
        log_kv(LOG_WARN, "resource id not understood; its child resources are skipped", "type",
               ep->type, "id", key, NULL);
        return 0;
    }
    return rmp_lists_add(ep->out, path, key, err);
}

int rmp_lists_per_entity(step_ctx *ctx, const char *type, rmp_path_fn path_fn, rmp_lists *out,
                         err_info *err)
{
    entity_paths ep = {.fn = path_fn, .out = out, .type = type};
    return step_iterate_entities(ctx, type, entity_path, &ep, err);
}

int rmp_child_path(const cJSON *parent, const char *provider, const char *child, char *out,
                   size_t size)
{
    const char *id = json_get_string(parent, "id");
    const char *name = json_get_string(parent, "name");
    if (!id)
        id = json_get_string(parent, "_key");
    char sub[128], group[512];
    if (!id || !name || !*name || arm_subscription_of(id, sub, sizeof sub) != 0 ||
        arm_resource_group_name(id, group, sizeof group) != 0)
        return 1;
    int n = snprintf(out, size, "/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s", sub,
                     group, provider, name, child);
    return n < 0 || (size_t)n >= size ? 1 : 0;
}

/* Azure error codes meaning the provider or the resource type is not there
 * for this subscription or region: nothing to list. */
static const char *const absent_codes[] = {
    "MissingSubscriptionRegistration", "NoRegisteredProviderFound",
    "LocationNotAvailableForResourceType", "SubscriptionNotRegistered",
    "ResourceTypeNotSupported", "LocationNotSupported", NULL,
};

bool rmp_error_is_absent(const err_info *e)
{
    if (e->kind != ERR_UPSTREAM && e->kind != ERR_INVALID)
        return false;
    for (size_t i = 0; absent_codes[i]; i++)
        if (strstr(e->message, absent_codes[i]))
            return true;
    return false;
}

/* Failures that fail the step whatever the scope. */
static bool is_fatal(const err_info *e)
{
    return e->kind == ERR_NOMEM || e->kind == ERR_CANCELLED || e->kind == ERR_INTERNAL ||
           e->kind == ERR_AUTH || e->kind == ERR_THROTTLED || e->kind == ERR_NETWORK ||
           e->kind == ERR_IO;
}

typedef struct run_state {
    step_ctx *ctx;
    const rmp_lists *lists;
    rmp_item_fn fn;
    void *arg;
} run_state;

static int run_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    run_state *st = arg;
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    return st->fn(st->ctx, st->arg, st->lists->owners.items[index], item, err);
}

int rmp_run(step_ctx *ctx, const rmp_lists *lists, rmp_scope scope, const char *what,
            const char *partial_type, rmp_item_fn fn, void *arg, err_info *err)
{
    size_t n = lists->paths.count;
    if (n == 0)
        return 0;
    err_info *errs = calloc(n, sizeof *errs);
    if (!errs)
        return err_set(err, ERR_NOMEM, "out of memory listing %s", what);
    run_state st = {.ctx = ctx, .lists = lists, .fn = fn, .arg = arg};
    err_info first = {0};   /* also in errs[]: every failed list has its entry */
    int rc = azure_list_many(azure_job_client(azure_job_of(ctx)), AZURE_API_ARM,
                             (const char *const *)lists->paths.items, n, run_item, &st, errs,
                             &first);
    const step_def *def = step_current(ctx);
    const char *step_id = def ? def->id : "?";
    const err_info *failure = NULL;
    size_t failed = 0;
    for (size_t i = 0; rc != 0 && i < n; i++) {
        const err_info *e = &errs[i];
        if (e->kind == ERR_NONE)
            continue;
        failed++;
        char desc[900];
        err_describe(e, desc, sizeof desc);
        if (!is_fatal(e) && rmp_error_is_absent(e)) {
            log_kv(LOG_WARN, "nothing to list here (provider not registered or not offered)",
                   "step", step_id, "collection", what, "of", lists->owners.items[i], "error",
                   desc, NULL);
            continue;
        }
        if (scope == RMP_CHILD && !is_fatal(e)) {
            log_kv(LOG_WARN, "could not list; this resource's children are skipped", "step",
                   step_id, "collection", what, "of", lists->owners.items[i], "error", desc,
                   NULL);
            if (partial_type)
                step_mark_partial_type(ctx, partial_type);
            continue;
        }
        if (!failure)
            failure = e;
    }
    if (rc != 0 && failed == 0)   /* a failure no list owns (cannot start the requests) */
        failure = &first;
    if (failure) {
        *err = *failure;
        err_prefix(err, "listing %s", what);
        if (partial_type)
            step_mark_partial_type(ctx, partial_type);
    }
    int out = failure ? -1 : 0;
    free(errs);
    return out;
}

int rmp_store(step_ctx *ctx, const entity_spec *spec, const cJSON *item, char *key,
              size_t key_size, err_info *err)
{
    bool added = false;
    key[0] = '\0';
    if (gov_map_add(ctx, spec, item, &added, err) != 0)
        return -1;
    gov_found found;
    const char *id = json_get_string(item, spec->key_path ? spec->key_path : "id");
    if (added && gov_find(ctx, id, &found))
        snprintf(key, key_size, "%s", found.key);
    return 0;
}

int rmp_store_model(step_ctx *ctx, const entity_spec *spec, const cJSON *item,
                    const char *const *unknown, char *key, size_t key_size, err_info *err)
{
    cJSON *copy = cJSON_Duplicate(item, 1);
    if (!copy)
        return err_set(err, ERR_NOMEM, "out of memory mapping %s", spec->type);
    cJSON *props = cJSON_GetObjectItemCaseSensitive(copy, "properties");
    for (size_t i = 0; unknown && unknown[i]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(props, unknown[i]);
    int rc = rmp_store(ctx, spec, copy, key, key_size, err);
    cJSON_Delete(copy);
    return rc;
}
