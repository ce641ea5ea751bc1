/*
 * rm_services: see rm_services.h.
 */
#include "steps/rm_services.h"

#include "azure/azure_client.h"
#include "common/json.h"
#include "common/log.h"
#include "common/sbuf.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct parents {
    rms_parent *items;
    size_t count;
    size_t cap;
} parents;

static void parent_clear(rms_parent *p)
{
    free(p->key);
    free(p->id);
    free(p->name);
    free(p->arm_type);
    free(p->entity_type);
    memset(p, 0, sizeof *p);
}

static void parents_free(parents *ps)
{
    for (size_t i = 0; i < ps->count; i++)
        parent_clear(&ps->items[i]);
    free(ps->items);
    memset(ps, 0, sizeof *ps);
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

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Adds a parent; strings are copied (NULL stays NULL). */
static int parents_add(parents *ps, const char *key, const char *id, const char *name,
                       const char *arm_type, const char *entity_type, err_info *err)
{
    if (ps->count == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 8;
        rms_parent *items = realloc(ps->items, cap * sizeof *items);
        if (!items)
            return err_set(err, ERR_NOMEM, "out of memory collecting parents");
        ps->items = items;
        ps->cap = cap;
    }
    rms_parent *p = &ps->items[ps->count];
    memset(p, 0, sizeof *p);
    p->key = dup_or_null(key);
    p->id = dup_or_null(id ? id : key);
    p->name = dup_or_null(name);
    p->arm_type = dup_or_null(arm_type);
    p->entity_type = dup_or_null(entity_type);
    if (!p->key || !p->id || (name && !p->name) || (arm_type && !p->arm_type) ||
        (entity_type && !p->entity_type)) {
        parent_clear(p);
        return err_set(err, ERR_NOMEM, "out of memory collecting parents");
    }
    ps->count++;
    return 0;
}

static int collect_parent(void *arg, const cJSON *entity, err_info *err)
{
    parents *ps = arg;
    const char *key = json_get_string(entity, "_key");
    if (!key)
        return 0;
    return parents_add(ps, key, json_get_string(entity, "id"), json_get_string(entity, "name"),
                       json_get_string(entity, "type"), json_get_string(entity, "_type"), err);
}

int rms_segment(const char *s, char *out, size_t size)
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

int rms_group_prefix(const char *id, char *out, size_t size)
{
    char sub[128], group[512], enc_sub[384], enc_group[1536];
    if (arm_subscription_of(id, sub, sizeof sub) != 0 ||
        arm_resource_group_name(id, group, sizeof group) != 0 ||
        rms_segment(sub, enc_sub, sizeof enc_sub) != 0 ||
        rms_segment(group, enc_group, sizeof enc_group) != 0)
        return -1;
    int n = snprintf(out, size, "/subscriptions/%s/resourceGroups/%s", enc_sub, enc_group);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The list path of one parent: 0, 1 = skip (logged), -1 = error. */
static int parent_path(const rms_collection *c, const rms_parent *p, char *out, size_t size,
                       err_info *err)
{
    char prefix[2048], name[1536];
    int n = -1;
    switch (c->scope) {
    case RMS_PER_SUBSCRIPTION:
        if (rms_segment(p->name, name, sizeof name) == 0)
            n = snprintf(out, size, "/subscriptions/%s%s", name, c->suffix);
        break;
    case RMS_PER_RESOURCE_GROUP: {
        /* the reference lists by the group entity's name, under its subscription */
        char sub[128], enc_sub[384];
        const char *group = p->name;
        const char *seg = find_ci(p->key, "/resourceGroups/");
        if (!group && seg)
            group = seg + strlen("/resourceGroups/");
        if (group && arm_subscription_of(p->key, sub, sizeof sub) == 0 &&
            rms_segment(sub, enc_sub, sizeof enc_sub) == 0 &&
            rms_segment(group, name, sizeof name) == 0)
            n = snprintf(out, size, "/subscriptions/%s/resourceGroups/%s%s", enc_sub, name,
                         c->suffix);
        break;
    }
    case RMS_PER_RESOURCE:
        if (p->name && rms_group_prefix(p->id, prefix, sizeof prefix) == 0 &&
            rms_segment(p->name, name, sizeof name) == 0)
            n = snprintf(out, size, "%s/providers/%s/%s%s", prefix, c->provider, name, c->suffix);
        break;
    case RMS_CUSTOM:
        return c->path_fn(p, out, size, err);
    }
    if (n < 0 || (size_t)n >= size) {
        log_kv(LOG_WARN, "parent id not understood; its children are skipped", "what", c->what,
               "parent", p->key, NULL);
        return 1;
    }
    return 0;
}

typedef struct list_state {
    step_ctx *ctx;
    const rms_collection *coll;
    const rms_parent **by_path;   /* parent of each listed path */
} list_state;

static int item_links(list_state *st, const rms_parent *parent, const cJSON *item,
                      err_info *err)
{
    gov_found child;
    if (!gov_find(st->ctx, json_get_string(item, "id"), &child))
        return 0;
    const rms_collection *c = st->coll;
    if (c->relate_parent && gov_relate(st->ctx, "HAS", parent->key, parent->entity_type,
                                       child.key, c->spec->type, NULL, err) != 0)
        return -1;
    if (c->relate_resource_group &&
        arm_relate_resource_group(st->ctx, child.key, c->spec->type, err) != 0)
        return -1;
    return 0;
}

static int on_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    list_state *st = arg;
    cJSON *prepared = NULL;
    if (st->coll->prepare) {
        if (!(prepared = st->coll->prepare(item)))
            return err_set(err, ERR_NOMEM, "out of memory preparing %s", st->coll->what);
        item = prepared;
    }
    bool added = false;
    int rc = gov_map_add(st->ctx, st->coll->spec, item, &added, err);
    if (rc == 0 && added)
        rc = item_links(st, st->by_path[index], item, err);
    cJSON_Delete(prepared);
    return rc;
}

static bool fatal_kind(err_kind k)
{
    return k == ERR_NOMEM || k == ERR_CANCELLED || k == ERR_FORBIDDEN || k == ERR_AUTH ||
           k == ERR_INTERNAL || k == ERR_INVALID;
}

/* Sorts out the failed lists (see the header); returns 0 when the step may
 * go on, -1 with err set when it fails. */
static int judge_failures(step_ctx *ctx, const rms_collection *c, const rms_parent **by_path,
                          const err_info *errs, size_t n, err_info *err)
{
    const err_info *fatal = NULL;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const err_info *e = &errs[i];
        if (e->kind == ERR_NONE)
            continue;
        any = true;
        if (fatal_kind(e->kind)) {
            if (!fatal)
                fatal = e;
            continue;
        }
        if (strstr(e->message, "MissingSubscriptionRegistration")) {
            log_kv(LOG_WARN,
                   "resource provider not registered in the subscription; nothing to ingest "
                   "(register the provider to ingest its resources)",
                   "what", c->what, "parent", by_path[i]->key, "error", e->message, NULL);
            continue;
        }
        log_kv(LOG_WARN, "list failed; this parent's resources are skipped and the type is "
                         "reported partial",
               "what", c->what, "parent", by_path[i]->key, "error", e->message, NULL);
        step_mark_partial_type(ctx, c->spec->type);
    }
    if (fatal) {
        *err = *fatal;
        err_prefix(err, "listing %s", c->what);
        return -1;
    }
    return any ? 0 : -1;   /* -1 without a list error: err already holds the cause */
}

static int gather_parents(step_ctx *ctx, const rms_collection *c, parents *ps, err_info *err)
{
    if (c->scope == RMS_PER_SUBSCRIPTION) {
        azure_job *job = azure_job_of(ctx);
        char key[160];
        for (size_t i = 0; i < azure_job_subscription_count(job); i++) {
            const char *guid = azure_job_subscription(job, i);
            snprintf(key, sizeof key, "/subscriptions/%s", guid);
            if (parents_add(ps, key, key, guid, NULL, "azure_subscription", err) != 0)
                return -1;
        }
        return 0;
    }
    const char *type = c->scope == RMS_PER_RESOURCE_GROUP ? "azure_resource_group" : c->parent_type;
    return step_iterate_entities(ctx, type, collect_parent, ps, err);
}

int rms_list(step_ctx *ctx, const rms_collection *c, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    parents ps = {0};
    gov_strings paths = {0};
    const rms_parent **by_path = NULL;
    err_info *errs = NULL;
    int rc = -1;
    if (gather_parents(ctx, c, &ps, err) != 0)
        goto done;
    if (ps.count == 0) {
        rc = 0;
        goto done;
    }
    by_path = calloc(ps.count, sizeof *by_path);
    errs = calloc(ps.count, sizeof *errs);
    if (!by_path || !errs) {
        err_set(err, ERR_NOMEM, "out of memory listing %s", c->what);
        goto done;
    }
    char path[4096];
    for (size_t i = 0; i < ps.count; i++) {
        int prc = parent_path(c, &ps.items[i], path, sizeof path, err);
        if (prc < 0)
            goto done;
        if (prc > 0)
            continue;
        by_path[paths.count] = &ps.items[i];
        if (gov_strings_add(&paths, path, err) != 0)
            goto done;
    }
    if (paths.count == 0) {
        rc = 0;
        goto done;
    }
    list_state st = {.ctx = ctx, .coll = c, .by_path = by_path};
    rc = azure_list_many(azure_job_client(azure_job_of(ctx)), AZURE_API_ARM,
                         (const char *const *)paths.items, paths.count, on_item, &st, errs, err);
    if (rc != 0)
        rc = judge_failures(ctx, c, by_path, errs, paths.count, err);
done:
    free(errs);
    free(by_path);
    gov_strings_free(&paths);
    parents_free(&ps);
    return rc;
}

int rms_map_weblink_normalized(const cJSON *value, const cJSON *item, const map_ctx *mctx,
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
