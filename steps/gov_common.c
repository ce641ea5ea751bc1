/*
 * gov_common: see gov_common.h.
 */
#include "steps/gov_common.h"

#include "common/json.h"
#include "common/json_arena.h"
#include "common/log.h"
#include "engine/relationship.h"
#include "steps/azure_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An add's outcome: a duplicate or invalid object is logged and skipped,
 * anything else fails the step. */
static int add_outcome(step_ctx *ctx, int rc, const err_info *e, const char *what,
                       err_info *err)
{
    if (rc == 0)
        return 0;
    if (e->kind == ERR_CONFLICT || e->kind == ERR_INVALID) {
        const step_def *def = step_current(ctx);
        log_kv(LOG_WARN, "skipped one object", "step", def ? def->id : "?", "object",
               what ? what : "?", "error", e->message, NULL);
        return 0;
    }
    *err = *e;
    return -1;
}

int gov_add(step_ctx *ctx, cJSON *obj, bool entity, const char *what, err_info *err)
{
    err_info e = {0};
    int rc = entity ? step_add_entity(ctx, obj, &e) : step_add_relationship(ctx, obj, &e);
    return add_outcome(ctx, rc, &e, what, err);
}

int gov_add_text(step_ctx *ctx, const char *key, const char *type, const sbuf *text,
                 const char *what, err_info *err)
{
    err_info e = {0};
    int rc = step_add_relationship_text(ctx, key, type, sbuf_str(text), text->len, &e);
    return add_outcome(ctx, rc, &e, what, err);
}

int gov_add_direct(step_ctx *ctx, const char *class_name, const char *from_key,
                   const char *from_type, const char *to_key, const char *to_type,
                   const char *type, const char *what, err_info *err)
{
    err_info e = {0};
    int rc = relationship_add_direct(ctx, class_name, from_key, from_type, to_key, to_type, type,
                                     NULL, &e);
    return add_outcome(ctx, rc, &e, what, err);
}

char *gov_weblink_string(const char *domain, const char *id)
{
    if (!domain || !*domain || !id || !*id)
        return NULL;
    size_t n = strlen(domain) + strlen(id) + sizeof "https://portal.azure.com/#@/resource";
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "https://portal.azure.com/#@%s/resource%s", domain, id);
    return s;
}

int gov_weblink(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                err_info *err)
{
    (void)item;
    *out = NULL;
    if (!cJSON_IsString(value) || !mctx || !mctx->integration)
        return 0;
    const char *domain = azure_job_default_domain((const azure_job *)mctx->integration);
    if (!domain || !*domain || !*value->valuestring)
        return 0;
    char *link = gov_weblink_string(domain, value->valuestring);
    if (link)
        *out = cJSON_CreateString(link);
    free(link);
    if (!*out)
        return err_set(err, ERR_NOMEM, "out of memory building a webLink");
    return 0;
}

int gov_strings_add(gov_strings *s, const char *value, err_info *err)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **items = realloc(s->items, cap * sizeof *items);
        if (!items)
            return err_set(err, ERR_NOMEM, "out of memory collecting entity keys");
        s->items = items;
        s->cap = cap;
    }
    if (!(s->items[s->count] = strdup(value)))
        return err_set(err, ERR_NOMEM, "out of memory collecting entity keys");
    s->count++;
    return 0;
}

void gov_strings_free(gov_strings *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->items[i]);
    free(s->items);
    memset(s, 0, sizeof *s);
}

typedef struct collect_arg {
    const char *path;
    gov_strings *out;
} collect_arg;

static int collect_one(void *arg, const cJSON *entity, err_info *err)
{
    collect_arg *c = arg;
    const char *v = json_path_string(entity, c->path);
    return v ? gov_strings_add(c->out, v, err) : 0;
}

int gov_collect(step_ctx *ctx, const char *type, const char *path, gov_strings *out,
                err_info *err)
{
    collect_arg c = {.path = path, .out = out};
    return step_iterate_entities_without_raw(ctx, type, collect_one, &c, err);
}

int gov_require_account(step_ctx *ctx, err_info *err)
{
    if (step_data_get(ctx, "azure_account"))
        return 0;
    err_set(err, ERR_INTERNAL, "Could not find account entity in job state");
    return err_hint(err, "step ad-account must succeed before the Resource Manager steps; see its error");
}

bool gov_find(step_ctx *ctx, const char *key, gov_found *out)
{
    if (!key || !*key)
        return false;
    return step_find_entity(ctx, key, out->key, sizeof out->key, out->type, sizeof out->type);
}

int gov_relate(step_ctx *ctx, const char *class_name, const char *from_key, const char *from_type,
               const char *to_key, const char *to_type, const char *type, err_info *err)
{
    /* written as text: no cJSON tree */
    return gov_add_direct(ctx, class_name, from_key, from_type, to_key, to_type, type, to_key, err);
}

static int map_add(step_ctx *ctx, const entity_spec *spec, const cJSON *item, bool *added,
                   err_info *err);

/* The entity is built in a json_scope: its nodes cost no malloc/free, and
 * it is gone (serialized by the store) when the scope ends. */
int gov_map_add(step_ctx *ctx, const entity_spec *spec, const cJSON *item, bool *added,
                err_info *err)
{
    json_scope scope;
    json_scope_begin(&scope);
    int rc = map_add(ctx, spec, item, added, err);
    json_scope_end(&scope);
    return rc;
}

static int map_add(step_ctx *ctx, const entity_spec *spec, const cJSON *item, bool *added,
                   err_info *err)
{
    *added = false;
    if (step_should_stop(ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    const char *id = json_get_string(item, spec->key_path ? spec->key_path : "id");
    if (!id) {
        log_kv(LOG_WARN, "skipped an object without id", "type", spec->type, NULL);
        return 0;
    }
    map_ctx mctx = {.integration = azure_job_of(ctx)};
    cJSON *entity = NULL;
    err_info e = {0};
    if (entity_map_build(spec, item, &mctx, &entity, &e) != 0) {
        if (e.kind == ERR_NOMEM || e.kind == ERR_CANCELLED) {
            *err = e;
            return -1;
        }
        log_kv(LOG_WARN, "skipped one object", "type", spec->type, "id", id, "error", e.message,
               NULL);
        return 0;
    }
    err_info ae = {0};
    if (step_add_entity(ctx, entity, &ae) == 0) {
        *added = true;
        return 0;
    }
    if (ae.kind == ERR_CONFLICT || ae.kind == ERR_INVALID) {
        log_kv(LOG_WARN, "skipped one object", "type", spec->type, "id", id, "error", ae.message,
               NULL);
        return 0;
    }
    *err = ae;
    return -1;
}

int gov_list_parallel(step_ctx *ctx, char **paths, size_t n, azure_indexed_item_fn fn, void *arg,
                      err_info *err)
{
    if (n == 0)
        return 0;
    return azure_list_many(azure_job_client(azure_job_of(ctx)), AZURE_API_ARM,
                           (const char *const *)paths, n, fn, arg, NULL, err);
}

typedef struct sub_state {
    step_ctx *ctx;
    const gov_sub_collection *coll;
    gov_strings subs;   /* GUIDs, index = list index */
} sub_state;

/* The relationships of one added item: subscription HAS item, then the
 * collection's own hook. */
static int sub_item_links(sub_state *st, size_t index, const cJSON *item, bool added,
                          err_info *err)
{
    gov_found child, sub;
    if (!added || !gov_find(st->ctx, json_get_string(item, "id"), &child))
        return 0;
    char sub_key[160];
    snprintf(sub_key, sizeof sub_key, "/subscriptions/%s", st->subs.items[index]);
    if (st->coll->link_subscription && gov_find(st->ctx, sub_key, &sub) &&
        gov_relate(st->ctx, "HAS", sub.key, sub.type, child.key, st->coll->spec->type,
                   st->coll->rel_type, err) != 0)
        return -1;
    return st->coll->after ? st->coll->after(st->ctx, item, child.key, err) : 0;
}

static int sub_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    sub_state *st = arg;
    bool added;
    cJSON *prepared = NULL;
    if (st->coll->prepare && !(prepared = st->coll->prepare(item)))
        return err_set(err, ERR_NOMEM, "out of memory preparing an item");
    if (prepared)
        item = prepared;
    int rc = gov_map_add(st->ctx, st->coll->spec, item, &added, err);
    if (rc == 0)
        rc = sub_item_links(st, index, item, added, err);
    cJSON_Delete(prepared);
    return rc;
}

int gov_list_per_subscription(step_ctx *ctx, const gov_sub_collection *coll, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    azure_job *job = azure_job_of(ctx);
    sub_state st = {.ctx = ctx, .coll = coll};
    gov_strings paths = {0};
    int rc = -1;
    char path[512];
    for (size_t i = 0; i < azure_job_subscription_count(job); i++) {
        const char *guid = azure_job_subscription(job, i);
        snprintf(path, sizeof path, coll->path_fmt, guid);
        if (gov_strings_add(&st.subs, guid, err) != 0 || gov_strings_add(&paths, path, err) != 0)
            goto done;
    }
    rc = gov_list_parallel(ctx, paths.items, paths.count, sub_item, &st, err);
done:
    gov_strings_free(&paths);
    gov_strings_free(&st.subs);
    return rc;
}

int gov_run_per_subscription(step_ctx *ctx, err_info *err)
{
    const gov_sub_collection *coll = step_arg(ctx);
    if (!coll)
        return err_set(err, ERR_INTERNAL,
                       "step %s: gov_run_per_subscription needs a gov_sub_collection arg",
                       step_current(ctx) ? step_current(ctx)->id : "?");
    return gov_list_per_subscription(ctx, coll, err);
}
