/*
 * step_double: see step_double.h.  Single-threaded use from the test
 * thread, but steps may call in from the Azure client's callbacks, so the
 * store is guarded by a mutex; iteration walks a snapshot, so a step may
 * add objects while it iterates.
 */
#include "steps_governance/step_double.h"

#include "common/json.h"
#include "common/timefmt.h"
#include "engine/entity_map.h"
#include "engine/relationship.h"

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

/* ---- relationship.h ---------------------------------------------------- */

char *relationship_generate_type(const char *class_name, const char *from_type, const char *to_type)
{
    char from[256], to[256], cls[32];
    snprintf(from, sizeof from, "%s", from_type);
    snprintf(to, sizeof to, "%s", to_type);
    lower_into(cls, sizeof cls, class_name);
    char *fp[32], *tp[32], *save;
    int nf = 0, nt = 0;
    for (char *s = strtok_r(from, "_", &save); s && nf < 32; s = strtok_r(NULL, "_", &save))
        fp[nf++] = s;
    for (char *s = strtok_r(to, "_", &save); s && nt < 32; s = strtok_r(NULL, "_", &save))
        tp[nt++] = s;
    int i = 0;
    while (i < nt - 1 && i < nf && strcmp(fp[i], tp[i]) == 0)
        i++;
    char out[600];
    int n = snprintf(out, sizeof out, "%s_%s", from_type, cls);
    for (int j = i; j < nt; j++)
        n += snprintf(out + n, sizeof out - (size_t)n, "_%s", tp[j]);
    return strdup(out);
}

cJSON *relationship_direct(const char *class_name, const char *from_key, const char *from_type,
                           const char *to_key, const char *to_type, const char *type,
                           const char *key)
{
    char cls[32], k[4096];
    lower_into(cls, sizeof cls, class_name);
    snprintf(k, sizeof k, "%s|%s|%s", from_key, cls, to_key);
    char *generated = type ? NULL : relationship_generate_type(class_name, from_type, to_type);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "_key", key ? key : k);
    cJSON_AddStringToObject(r, "_type", type ? type : generated);
    cJSON_AddStringToObject(r, "_class", class_name);
    cJSON_AddStringToObject(r, "_fromEntityKey", from_key);
    cJSON_AddStringToObject(r, "_toEntityKey", to_key);
    cJSON_AddStringToObject(r, "displayName", class_name);
    free(generated);
    return r;
}

cJSON *relationship_mapped(const char *class_name, const char *type, const char *source_key,
                           step_direction direction, cJSON *target_entity,
                           const char *const *target_filter_keys, int skip_target_creation,
                           const char *key)
{
    static const char *const default_filter[] = {"_type", "_key", NULL};
    const char *const *filter = target_filter_keys ? target_filter_keys : default_filter;
    const char *dir = direction == STEP_FORWARD ? "FORWARD" : "REVERSE";
    char cls[32], k[4096];
    lower_into(cls, sizeof cls, class_name);
    const char *target_key = json_get_string(target_entity, "_key");
    if (target_key) {
        snprintf(k, sizeof k, "%s|%s|%s", source_key, cls, target_key);
    } else {
        int n = snprintf(k, sizeof k, "%s|%s|%s", source_key, cls, dir);
        for (size_t i = 0; filter[i]; i++) {
            const char *v = json_get_string(target_entity, filter[i]);
            n += snprintf(k + n, sizeof k - (size_t)n, ":%s=%s", filter[i], v ? v : "");
        }
    }
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "_class", class_name);
    cJSON_AddStringToObject(r, "_type", type);
    cJSON_AddStringToObject(r, "_key", key ? key : k);
    cJSON_AddStringToObject(r, "displayName", class_name);
    cJSON *m = cJSON_AddObjectToObject(r, "_mapping");
    cJSON_AddStringToObject(m, "relationshipDirection", dir);
    cJSON_AddStringToObject(m, "sourceEntityKey", source_key);
    cJSON *keys = cJSON_AddArrayToObject(m, "targetFilterKeys");
    cJSON *inner = cJSON_CreateArray();
    for (size_t i = 0; filter[i]; i++)
        cJSON_AddItemToArray(inner, cJSON_CreateString(filter[i]));
    cJSON_AddItemToArray(keys, inner);
    cJSON_AddItemToObject(m, "targetEntity", target_entity);
    if (skip_target_creation >= 0)
        cJSON_AddBoolToObject(m, "skipTargetCreation", skip_target_creation);
    return r;
}

/* ---- entity_map.h ------------------------------------------------------ */

static void schema_properties(const char *cls, cJSON *set, int depth)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data-model/class_schemas/%s.json", AI_SOURCE_DIR, cls);
    FILE *f = fopen(path, "rb");
    if (!f || depth > 8) {
        if (f)
            fclose(f);
        return;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!buf)
        return;
    buf[got] = 0;
    cJSON *doc = cJSON_Parse(buf);
    free(buf);
    cJSON *stack[64];
    int sp = 0;
    if (doc)
        stack[sp++] = doc;
    while (sp > 0) {
        cJSON *x = stack[--sp];
        if (!cJSON_IsObject(x))
            continue;
        const char *ref = json_get_string(x, "$ref");
        if (ref && ref[0] == '#')
            schema_properties(ref + 1, set, depth + 1);
        const cJSON *p;
        cJSON_ArrayForEach(p, json_get(x, "properties"))
            if (!json_get(set, p->string))
                cJSON_AddTrueToObject(set, p->string);
        static const char *const combos[] = {"allOf", "anyOf", "oneOf"};
        for (size_t i = 0; i < 3; i++) {
            cJSON *e;
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(x, combos[i]))
                if (sp < 64)
                    stack[sp++] = e;
        }
    }
    cJSON_Delete(doc);
}

char *entity_map_camel_case(const char *key)
{
    char out[512];
    size_t n = 0, words = 0;
    const char *p = key;
    while (*p && n + 64 < sizeof out) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        if (isupper((unsigned char)*p)) {
            p++;
            if (isupper((unsigned char)*p)) {
                while (isupper((unsigned char)*p) && !(p[1] && islower((unsigned char)p[1])))
                    p++;
            } else {
                while (islower((unsigned char)*p))
                    p++;
            }
        } else if (islower((unsigned char)*p)) {
            while (islower((unsigned char)*p))
                p++;
        }
        while (isdigit((unsigned char)*p))
            p++;
        for (const char *c = start; c < p; c++)
            out[n++] = (char)(words > 0 && c == start ? toupper((unsigned char)*c)
                                                       : tolower((unsigned char)*c));
        words++;
    }
    out[n] = 0;
    return strdup(out);
}

cJSON *entity_map_sdk_object(const cJSON *item, const char *const *renames)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *m;
    cJSON_ArrayForEach(m, item)
        if (strcmp(m->string, "properties") != 0)
            cJSON_AddItemToObject(o, m->string, cJSON_Duplicate(m, 1));
    const cJSON *props = json_get(item, "properties");
    if (cJSON_IsObject(props)) {
        cJSON_ArrayForEach(m, props)
        {
            const char *name = m->string;
            for (size_t i = 0; renames && renames[i]; i += 2)
                if (strcmp(renames[i], name) == 0)
                    name = renames[i + 1];
            cJSON_DeleteItemFromObjectCaseSensitive(o, name);
            cJSON_AddItemToObject(o, name, cJSON_Duplicate(m, 1));
        }
    }
    return o;
}

static bool primitive(const cJSON *v)
{
    return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v);
}

static bool time_named(const char *k)
{
    static const char *const suffix[] = {"Time", "_time", "On", "_on", "At", "_at", "Date", "_date"};
    size_t n = strlen(k);
    for (size_t i = 0; i < 8; i++) {
        size_t l = strlen(suffix[i]);
        if (n > l && strcmp(k + n - l, suffix[i]) == 0)
            return true;
    }
    return false;
}

int entity_map_assign_tags(cJSON *entity, const cJSON *tags, err_info *err)
{
    (void)err;
    if (cJSON_IsArray(tags)) {
        if (cJSON_IsString(cJSON_GetArrayItem(tags, 0)))
            cJSON_AddItemToObject(entity, "tags", cJSON_Duplicate(tags, 1));
        return 0;
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        if (!cJSON_IsString(t) || !*t->valuestring)
            continue;
        char k[300];
        snprintf(k, sizeof k, "tag.%s", t->string);
        cJSON_AddStringToObject(entity, k, t->valuestring);
    }
    return 0;
}

static cJSON *convert_row(const prop_map *r, const cJSON *v, const cJSON *item,
                          const map_ctx *mctx, err_info *err, int *failed)
{
    cJSON *o = NULL;
    int64_t ms;
    switch (r->conv) {
    case MAP_STRING: return cJSON_IsString(v) ? cJSON_Duplicate(v, 0) : NULL;
    case MAP_NUMBER: return cJSON_IsNumber(v) ? cJSON_Duplicate(v, 0) : NULL;
    case MAP_BOOL: return cJSON_IsBool(v) ? cJSON_Duplicate(v, 0) : NULL;
    case MAP_ANY: return primitive(v) ? cJSON_Duplicate(v, 0) : NULL;
    case MAP_TIME_MS:
        return cJSON_IsString(v) && timefmt_parse_iso8601_ms(v->valuestring, &ms)
                   ? cJSON_CreateNumber((double)ms) : NULL;
    case MAP_ARRAY: return cJSON_GetArraySize(v) > 0 ? cJSON_Duplicate(v, 1) : NULL;
    case MAP_LOWER:
        if (cJSON_IsString(v)) {
            char *s = strdup(v->valuestring);
            for (char *p = s; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            o = cJSON_CreateString(s);
            free(s);
        }
        return o;
    case MAP_CONST_STRING: return cJSON_CreateString(r->arg);
    case MAP_CONST_BOOL: return cJSON_CreateBool(strcmp(r->arg, "true") == 0);
    case MAP_CONST_STRING_ARRAY:
        o = cJSON_CreateArray();
        cJSON_AddItemToArray(o, cJSON_CreateString(r->arg));
        return o;
    case MAP_FN:
        if (r->fn(v, item, mctx, &o, err) != 0)
            *failed = 1;
        return o;
    default: return NULL;
    }
}

int entity_map_build(const entity_spec *spec, const cJSON *item, const map_ctx *mctx, cJSON **out,
                     err_info *err)
{
    cJSON *src = (spec->flags & ENTITY_HOIST_PROPERTIES)
                     ? entity_map_sdk_object(item, spec->hoist_renames)
                     : cJSON_Duplicate(item, 1);
    cJSON *e = cJSON_CreateObject();
    const cJSON *m;
    if (spec->flags & ENTITY_CONVERT_PROPERTIES) {
        cJSON_ArrayForEach(m, src)
        {
            cJSON *v = NULL;
            if (cJSON_IsString(m) && (spec->flags & ENTITY_PARSE_TIME) && time_named(m->string)) {
                int64_t ms;
                v = timefmt_parse_iso8601_ms(m->valuestring, &ms) ? cJSON_CreateNumber((double)ms)
                                                                  : cJSON_Duplicate(m, 0);
            } else if (primitive(m) || (cJSON_IsArray(m) && primitive(cJSON_GetArrayItem(m, 0)))) {
                v = cJSON_Duplicate(m, 1);
            }
            if (v) {
                char *ck = entity_map_camel_case(m->string);
                json_set(e, ck, v);
                free(ck);
            }
        }
    }
    if (spec->flags & ENTITY_SCHEMA_PASSTHROUGH) {
        cJSON *set = cJSON_CreateObject();
        for (size_t i = 0; i < STEP_MAX_CLASSES && spec->classes[i]; i++)
            schema_properties(spec->classes[i], set, 0);
        cJSON_ArrayForEach(m, src)
            if (json_get(set, m->string) &&
                (primitive(m) || (cJSON_IsArray(m) && primitive(cJSON_GetArrayItem(m, 0)))))
                json_set(e, m->string, cJSON_Duplicate(m, 1));
        cJSON_Delete(set);
    }
    bool display_name_assigned = false;
    for (const prop_map *r = spec->props; r && r->property; r++) {
        const cJSON *v = r->path ? json_path(item, r->path) : NULL;
        int failed = 0;
        cJSON *o = convert_row(r, v, item, mctx, err, &failed);
        if (failed) {
            cJSON_Delete(e);
            cJSON_Delete(src);
            return -1;
        }
        if (!o && cJSON_IsNull(v) && (r->flags & MAPF_NULL))
            o = cJSON_CreateNull();
        if (o) {
            json_set(e, r->property, o);
            display_name_assigned |= strcmp(r->property, "displayName") == 0;
        } else if (!(r->flags & MAPF_KEEP_EXISTING)) {
            cJSON_DeleteItemFromObjectCaseSensitive(e, r->property);
        }
    }
    if (spec->flags & ENTITY_TAGS) {
        cJSON_DeleteItemFromObjectCaseSensitive(e, "tags");
        entity_map_assign_tags(e, json_get(src, "tags"), err);
    }
    if (!display_name_assigned && !json_get_string(e, "displayName") && json_get_string(e, "name"))
        cJSON_AddStringToObject(e, "displayName", json_get_string(e, "name"));
    if (spec->fixup && spec->fixup(item, e, mctx, err) != 0) {
        cJSON_Delete(e);
        cJSON_Delete(src);
        return -1;
    }
    json_set(e, "_key", cJSON_Duplicate(json_path(item, spec->key_path ? spec->key_path : "id"), 0));
    cJSON_AddStringToObject(e, "_type", spec->type);
    cJSON *cls = cJSON_AddArrayToObject(e, "_class");
    for (size_t i = 0; i < STEP_MAX_CLASSES && spec->classes[i]; i++)
        cJSON_AddItemToArray(cls, cJSON_CreateString(spec->classes[i]));
    cJSON *raw = cJSON_AddArrayToObject(e, "_rawData");
    if (cJSON_GetArraySize(src) > 0) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "name", "default");
        cJSON_AddItemToObject(d, "rawData", src);
        cJSON_AddItemToArray(raw, d);
    } else {
        cJSON_Delete(src);
    }
    *out = e;
    return 0;
}

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
