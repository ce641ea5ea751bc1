/*
 * arm_list: see arm_list.h.
 */
#include "steps/arm_list.h"

#include "azure/azure_client.h"
#include "common/json.h"
#include "common/log.h"
#include "common/sbuf.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- paths ----------------------------------------------------------------- */

int arml_segment(const char *s, char *out, size_t size)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_urlencode(&b, s);
    int rc = -1;
    if (!sbuf_failed(&b) && b.len < size) {
        memcpy(out, sbuf_str(&b), b.len + 1);
        rc = 0;
    }
    sbuf_free(&b);
    return rc;
}

int arml_group_prefix(const char *id, char *out, size_t size)
{
    char sub[128], group[512], enc_sub[384], enc_group[1536];
    if (!id || arm_subscription_of(id, sub, sizeof sub) != 0 ||
        arm_resource_group_name(id, group, sizeof group) != 0 ||
        arml_segment(sub, enc_sub, sizeof enc_sub) != 0 ||
        arml_segment(group, enc_group, sizeof enc_group) != 0)
        return -1;
    int n = snprintf(out, size, "/subscriptions/%s/resourceGroups/%s", enc_sub, enc_group);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Case-insensitive strstr. */
static const char *find_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return s;
    return NULL;
}

/* The list under a resource-group entity: by the group's name (else the
 * last segment of its key), under its subscription. */
static int group_path(const arml_collection *c, const cJSON *group, char *out, size_t size)
{
    const char *key = json_get_string(group, "_key");
    const char *name = json_get_string(group, "name");
    const char *seg = find_ci(key, "/resourceGroups/");
    if (!name && seg)
        name = seg + strlen("/resourceGroups/");
    char sub[128], enc_sub[384], enc_name[1536];
    if (!name || !*name || arm_subscription_of(key, sub, sizeof sub) != 0 ||
        arml_segment(sub, enc_sub, sizeof enc_sub) != 0 ||
        arml_segment(name, enc_name, sizeof enc_name) != 0)
        return 1;
    int n = snprintf(out, size, "/subscriptions/%s/resourceGroups/%s%s", enc_sub, enc_name,
                     c->suffix);
    return n < 0 || (size_t)n >= size ? 1 : 0;
}

/* The common child path (see arml_collection.provider). */
static int child_path(const arml_collection *c, const cJSON *parent, char *out, size_t size)
{
    const char *id = json_get_string(parent, "id");
    const char *name = json_get_string(parent, "name");
    char prefix[2048], enc_name[1536];
    if (!id)
        id = json_get_string(parent, "_key");
    if (!name || !*name || arml_group_prefix(id, prefix, sizeof prefix) != 0 ||
        arml_segment(name, enc_name, sizeof enc_name) != 0)
        return 1;
    int n = snprintf(out, size, "%s/providers/%s/%s%s", prefix, c->provider, enc_name, c->suffix);
    return n < 0 || (size_t)n >= size ? 1 : 0;
}

/* ---- the lists ------------------------------------------------------------- */

typedef struct lists {
    const arml_collection *coll;
    gov_strings paths;    /* ARM path + query of each list */
    gov_strings owners;   /* per list: subscription key, resource-group key or parent _key */
} lists;

static void lists_free(lists *l)
{
    gov_strings_free(&l->paths);
    gov_strings_free(&l->owners);
}

static int lists_add(lists *l, const char *path, const char *owner, err_info *err)
{
    if (gov_strings_add(&l->paths, path, err) != 0)
        return -1;
    if (gov_strings_add(&l->owners, owner, err) != 0) {
        free(l->paths.items[--l->paths.count]);
        return -1;
    }
    return 0;
}

static int add_parent(void *arg, const cJSON *entity, err_info *err)
{
    lists *l = arg;
    const arml_collection *c = l->coll;
    const char *key = json_get_string(entity, "_key");
    char path[4096];
    if (!key)
        return 0;
    int rc = c->scope == ARML_PER_RESOURCE_GROUP ? group_path(c, entity, path, sizeof path)
             : c->path_fn                         ? c->path_fn(entity, path, sizeof path)
                                                  : child_path(c, entity, path, sizeof path);
    if (rc != 0) {
        log_kv(LOG_WARN, "parent id not understood; what is listed under it is skipped", "what",
               c->what, "parent", key, NULL);
        return 0;
    }
    return lists_add(l, path, key, err);
}

static int gather(step_ctx *ctx, lists *l, err_info *err)
{
    const arml_collection *c = l->coll;
    if (c->scope != ARML_PER_SUBSCRIPTION)
        return step_iterate_entities_without_raw(
            ctx, c->scope == ARML_PER_RESOURCE_GROUP ? "azure_resource_group" : c->parent_type,
            add_parent, l, err);
    azure_job *job = azure_job_of(ctx);
    char key[160], path[1024];
    for (size_t i = 0; i < azure_job_subscription_count(job); i++) {
        const char *guid = azure_job_subscription(job, i);
        int k = snprintf(key, sizeof key, "/subscriptions/%s", guid);
        int n = snprintf(path, sizeof path, "%s%s", key, c->suffix);
        if (k < 0 || (size_t)k >= sizeof key || n < 0 || (size_t)n >= sizeof path)
            return err_set(err, ERR_INTERNAL, "subscription list path too long for %s", c->what);
        if (lists_add(l, path, key, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- items ----------------------------------------------------------------- */

typedef struct run_state {
    step_ctx *ctx;
    const lists *lists;
    void *arg;
} run_state;

/* A copy of item without the members c->drop names. */
static cJSON *dropped(const arml_collection *c, const cJSON *item)
{
    cJSON *copy = cJSON_Duplicate(item, 1);
    for (size_t i = 0; copy && c->drop[i]; i++) {
        const char *dot = strrchr(c->drop[i], '.');
        if (!dot) {
            cJSON_DeleteItemFromObjectCaseSensitive(copy, c->drop[i]);
            continue;
        }
        char parent[256];
        snprintf(parent, sizeof parent, "%.*s", (int)(dot - c->drop[i]), c->drop[i]);
        cJSON *obj = (cJSON *)json_path(copy, parent);
        if (cJSON_IsObject(obj))
            cJSON_DeleteItemFromObjectCaseSensitive(obj, dot + 1);
    }
    return copy;
}

/* Stores item; *key receives its stored _key ("" when skipped). */
static int store(run_state *st, const char *owner, const cJSON *item, char *key, size_t size,
                 err_info *err)
{
    const arml_collection *c = st->lists->coll;
    const entity_spec *spec = c->spec;
    cJSON *copy = NULL;
    key[0] = '\0';
    if (c->drop && !(copy = dropped(c, item)))
        return err_set(err, ERR_NOMEM, "out of memory mapping %s", c->what);
    bool added = false;
    gov_found found;
    int rc = gov_map_add(st->ctx, spec, copy ? copy : item, &added, err);
    if (rc == 0 && added &&
        gov_find(st->ctx, json_get_string(item, spec->key_path ? spec->key_path : "id"), &found))
        snprintf(key, size, "%s", found.key);
    cJSON_Delete(copy);
    if (rc != 0 || !key[0])
        return rc;
    if (c->relate_parent &&
        gov_relate(st->ctx, "HAS", owner, c->parent_type, key, spec->type, NULL, err) != 0)
        return -1;
    if (c->relate_resource_group && arm_relate_resource_group(st->ctx, key, spec->type, err) != 0)
        return -1;
    return 0;
}

static int on_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    run_state *st = arg;
    const arml_collection *c = st->lists->coll;
    const char *owner = st->lists->owners.items[index];
    if (step_should_stop(st->ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    if (!c->spec)
        return c->on_item(st->ctx, st->arg, owner, item, NULL, err);
    char key[1024];
    if (store(st, owner, item, key, sizeof key, err) != 0)
        return -1;
    return key[0] && c->on_item ? c->on_item(st->ctx, st->arg, owner, item, key, err) : 0;
}

/* ---- the error policy ------------------------------------------------------ */

/* Azure error codes meaning the provider or the resource type is not there
 * for this subscription or region: nothing to list. */
static const char *const absent_codes[] = {
    "MissingSubscriptionRegistration", "NoRegisteredProviderFound",
    "LocationNotAvailableForResourceType", "SubscriptionNotRegistered",
    "ResourceTypeNotSupported", "LocationNotSupported", NULL,
};

/* Failures that fail the step whatever the scope. */
static bool is_fatal(const err_info *e)
{
    return e->kind == ERR_NOMEM || e->kind == ERR_CANCELLED || e->kind == ERR_INTERNAL ||
           e->kind == ERR_AUTH || e->kind == ERR_THROTTLED || e->kind == ERR_NETWORK ||
           e->kind == ERR_IO || e->kind == ERR_DATABASE;
}

bool arml_error_is_absent(const err_info *e)
{
    if (e->kind == ERR_NONE || is_fatal(e))
        return false;
    for (size_t i = 0; absent_codes[i]; i++)
        if (strstr(e->message, absent_codes[i]))
            return true;
    return false;
}

/* The provider of a list path: its last "/providers/{namespace}" segment. */
static void provider_of(const char *path, char *out, size_t size)
{
    const char *p = NULL;
    for (const char *s = path; (s = find_ci(s, "/providers/")); s++)
        p = s + strlen("/providers/");
    snprintf(out, size, "%.*s", p ? (int)strcspn(p, "/?") : 0, p ? p : "");
}

/* Sorts out the failed lists; returns 0 when the step goes on, -1 with err
 * set when it fails. */
static int judge(step_ctx *ctx, const lists *l, const err_info *errs, const err_info *first,
                 err_info *err)
{
    const arml_collection *c = l->coll;
    const char *partial = c->spec ? c->spec->type : NULL;
    bool child = c->scope == ARML_PER_ENTITY;
    const err_info *failure = NULL;
    size_t failure_at = 0, failed = 0;
    for (size_t i = 0; i < l->paths.count; i++) {
        const err_info *e = &errs[i];
        if (e->kind == ERR_NONE)
            continue;
        failed++;
        char desc[900], provider[128];
        err_describe(e, desc, sizeof desc);
        if (arml_error_is_absent(e)) {
            provider_of(l->paths.items[i], provider, sizeof provider);
            log_kv(LOG_WARN,
                   "resource provider not registered or not offered here; nothing to list "
                   "(register the provider in the subscription to ingest these resources)",
                   "provider", provider, "what", c->what, "of", l->owners.items[i], "error",
                   desc, NULL);
            continue;
        }
        if (child && !is_fatal(e)) {
            log_kv(LOG_WARN, "could not list; this parent is skipped and the type reported partial",
                   "what", c->what, "of", l->owners.items[i], "error", desc, NULL);
            if (partial)
                step_mark_partial_type(ctx, partial);
            continue;
        }
        if (!failure) {
            failure = e;
            failure_at = i;
        }
    }
    if (!failure && failed == 0) {   /* a failure no list owns (the requests never started) */
        *err = *first;
        err_prefix(err, "listing %s", c->what);
        return -1;
    }
    if (!failure)
        return 0;
    *err = *failure;
    err_prefix(err, "listing %s of %s", c->what, l->owners.items[failure_at]);
    if (child && partial)
        step_mark_partial_type(ctx, partial);
    return -1;
}

int arml_list(step_ctx *ctx, const arml_collection *c, void *arg, err_info *err)
{
    if (!c->spec && !c->on_item)
        return err_set(err, ERR_INTERNAL, "%s: a collection needs a table or an item hook",
                       c->what);
    if (gov_require_account(ctx, err) != 0)
        return -1;
    lists l = {.coll = c};
    err_info *errs = NULL;
    int rc = gather(ctx, &l, err);
    if (rc != 0 || l.paths.count == 0)
        goto done;
    if (!(errs = calloc(l.paths.count, sizeof *errs))) {
        rc = err_set(err, ERR_NOMEM, "out of memory listing %s", c->what);
        goto done;
    }
    run_state st = {.ctx = ctx, .lists = &l, .arg = arg};
    err_info first = {0};
    if (azure_list_many(azure_job_client(azure_job_of(ctx)), AZURE_API_ARM,
                        (const char *const *)l.paths.items, l.paths.count, on_item, &st, errs,
                        &first) != 0)
        rc = judge(ctx, &l, errs, &first, err);
done:
    free(errs);
    lists_free(&l);
    return rc;
}

/* ---- property-table helpers ----------------------------------------------- */

int arml_map_weblink_normalized(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                                cJSON **out, err_info *err)
{
    *out = NULL;
    if (!cJSON_IsString(value) || !*value->valuestring || value->valuestring[0] == '/')
        return arm_map_weblink(value, item, mctx, out, err);
    size_t n = strlen(value->valuestring) + 2;
    char *id = malloc(n);
    if (!id)
        return err_set(err, ERR_NOMEM, "out of memory building a webLink");
    snprintf(id, n, "/%s", value->valuestring);
    cJSON *normalized = cJSON_CreateString(id);
    free(id);
    if (!normalized)
        return err_set(err, ERR_NOMEM, "out of memory building a webLink");
    int rc = arm_map_weblink(normalized, item, mctx, out, err);
    cJSON_Delete(normalized);
    return rc;
}

int arml_map_null(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                  err_info *err)
{
    (void)value;
    (void)item;
    (void)mctx;
    if (!(*out = cJSON_CreateNull()))
        return err_set(err, ERR_NOMEM, "out of memory building an entity");
    return 0;
}

int arml_strip_first(const cJSON *value, const char *what, cJSON **out, err_info *err)
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

int arml_run_step(step_ctx *ctx, err_info *err)
{
    const arml_collection *c = step_arg(ctx);
    if (!c)
        return err_set(err, ERR_INTERNAL, "step %s: arml_run_step needs an arml_collection arg",
                       step_current(ctx) ? step_current(ctx)->id : "?");
    return arml_list(ctx, c, NULL, err);
}
