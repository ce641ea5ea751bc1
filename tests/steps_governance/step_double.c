/*
 * step_double: see step_double.h.  Single-threaded use from the test
 * thread, but steps may call in from the Azure client's callbacks, so the
 * store is guarded by a mutex; iteration walks a snapshot, so a step may
 * add objects while it iterates.
 */
#include "steps_governance/step_double.h"

#include "common/json.h"
#include "engine/graph_rules.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct step_ctx {
    azure_job *job;
    const step_def *def;   /* NULL while seeding */
    cJSON *entities, *relationships, *data;
    pthread_mutex_t mu;
};

struct step_harness {
    struct step_ctx ctx;
};

/* ---- step.h ------------------------------------------------------------ */

const step_def *step_current(const step_ctx *ctx) { return ctx->def; }
const void *step_arg(const step_ctx *ctx) { return ctx->def ? ctx->def->arg : NULL; }
void *step_integration(const step_ctx *ctx) { return ctx->job; }
bool step_should_stop(const step_ctx *ctx) { (void)ctx; return false; }
void step_mark_partial_type(step_ctx *ctx, const char *type) { (void)ctx; (void)type; }

static cJSON *find_key(const cJSON *arr, const char *key)
{
    cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        const char *k = json_get_string(o, "_key");
        if (k && strcasecmp(k, key) == 0)
            return o;
    }
    return NULL;
}

static void lower_into(char *out, size_t size, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = 0;
}

static bool declared(const step_def *d, const char *type)
{
    for (size_t i = 0; i < STEP_MAX_TYPES; i++) {
        if (d->entities[i].type && strcmp(d->entities[i].type, type) == 0)
            return true;
        if (d->mapped_relationships[i].type && strcmp(d->mapped_relationships[i].type, type) == 0)
            return true;
        const step_relationship_decl *r = &d->relationships[i];
        if (!r->type)
            continue;
        if (strcmp(r->type, type) == 0)
            return true;
        if (strcmp(r->target_type, "ANY_SCOPE") == 0) {
            char cls[32], prefix[256];
            lower_into(cls, sizeof cls, r->class_name);
            snprintf(prefix, sizeof prefix, "%s_%s_", r->source_type, cls);
            if (strncmp(type, prefix, strlen(prefix)) == 0)
                return true;
        }
    }
    return false;
}

static int add(step_ctx *ctx, cJSON *arr, cJSON *obj, err_info *err)
{
    pthread_mutex_lock(&ctx->mu);
    const char *key = json_get_string(obj, "_key");
    const char *type = json_get_string(obj, "_type");
    int rc = 0;
    if (!key || !type)
        rc = err_set(err, ERR_INVALID, "object without _key or _type");
    else if (arr == ctx->relationships && graph_rules_check_relationship(obj, err) != 0)
        rc = -1;
    else if (ctx->def && !declared(ctx->def, type))
        rc = err_set(err, ERR_INVALID, "step %s did not declare _type %s", ctx->def->id, type);
    else if (find_key(ctx->entities, key) || find_key(ctx->relationships, key))
        rc = err_set(err, ERR_CONFLICT, "Duplicate _key detected (_key=%s)", key);
    if (rc == 0)
        cJSON_AddItemToArray(arr, obj);
    else
        cJSON_Delete(obj);
    pthread_mutex_unlock(&ctx->mu);
    return rc;
}

int step_add_entity(step_ctx *ctx, cJSON *obj, err_info *err)
{
    return add(ctx, ctx->entities, obj, err);
}

int step_add_relationship(step_ctx *ctx, cJSON *obj, err_info *err)
{
    return add(ctx, ctx->relationships, obj, err);
}

bool step_has_key(step_ctx *ctx, const char *key)
{
    pthread_mutex_lock(&ctx->mu);
    bool found = find_key(ctx->entities, key) || find_key(ctx->relationships, key);
    pthread_mutex_unlock(&ctx->mu);
    return found;
}

bool step_find_entity(step_ctx *ctx, const char *key, char *key_out, size_t key_size,
                      char *type_out, size_t type_size)
{
    pthread_mutex_lock(&ctx->mu);
    const cJSON *o = find_key(ctx->entities, key);
    if (o) {
        snprintf(key_out, key_size, "%s", json_get_string(o, "_key"));
        snprintf(type_out, type_size, "%s", json_get_string(o, "_type"));
    }
    pthread_mutex_unlock(&ctx->mu);
    return o != NULL;
}

cJSON *step_load_entity(step_ctx *ctx, const char *key)
{
    pthread_mutex_lock(&ctx->mu);
    const cJSON *o = find_key(ctx->entities, key);
    cJSON *copy = o ? cJSON_Duplicate(o, 1) : NULL;
    pthread_mutex_unlock(&ctx->mu);
    return copy;
}

int step_iterate_entities(step_ctx *ctx, const char *type, step_entity_fn fn, void *arg,
                          err_info *err)
{
    pthread_mutex_lock(&ctx->mu);
    cJSON *snapshot = cJSON_Duplicate(ctx->entities, 1);
    pthread_mutex_unlock(&ctx->mu);
    int rc = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, snapshot)
    {
        if (strcmp(json_get_string(o, "_type"), type) == 0 && fn(arg, o, err) != 0) {
            rc = -1;
            break;
        }
    }
    cJSON_Delete(snapshot);
    return rc;
}

int step_data_set(step_ctx *ctx, const char *name, cJSON *value, err_info *err)
{
    (void)err;
    pthread_mutex_lock(&ctx->mu);
    cJSON_AddItemToObject(ctx->data, name, value);
    pthread_mutex_unlock(&ctx->mu);
    return 0;
}

const cJSON *step_data_get(step_ctx *ctx, const char *name) { return json_get(ctx->data, name); }

/* ---- harness ----------------------------------------------------------- */

step_harness *step_harness_new(azure_job *job)
{
    step_harness *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->ctx.job = job;
    h->ctx.entities = cJSON_CreateArray();
    h->ctx.relationships = cJSON_CreateArray();
    h->ctx.data = cJSON_CreateObject();
    pthread_mutex_init(&h->ctx.mu, NULL);
    return h;
}

void step_harness_free(step_harness *h)
{
    if (!h)
        return;
    cJSON_Delete(h->ctx.entities);
    cJSON_Delete(h->ctx.relationships);
    cJSON_Delete(h->ctx.data);
    pthread_mutex_destroy(&h->ctx.mu);
    free(h);
}

int step_harness_seed_entity(step_harness *h, cJSON *entity, err_info *err)
{
    h->ctx.def = NULL;
    return step_add_entity(&h->ctx, entity, err);
}

int step_harness_run(step_harness *h, const step_def *step, err_info *err)
{
    h->ctx.def = step;
    if (!azure_job_step_enabled(h->ctx.job, step))
        return 0;
    return step->run(&h->ctx, err);
}

cJSON *step_harness_graph(step_harness *h)
{
    pthread_mutex_lock(&h->ctx.mu);
    cJSON *g = cJSON_CreateObject();
    cJSON_AddItemToObject(g, "entities", cJSON_Duplicate(h->ctx.entities, 1));
    cJSON_AddItemToObject(g, "relationships", cJSON_Duplicate(h->ctx.relationships, 1));
    pthread_mutex_unlock(&h->ctx.mu);
    return g;
}
