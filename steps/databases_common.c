/*
 * databases_common: see databases.h.
 */
#include "steps/databases.h"

#include "azure/azure_client.h"
#include "common/json.h"
#include "common/log.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- property conversions ----------------------------------------------- */

static int map_null(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                    err_info *err)
{
    (void)value;
    (void)item;
    (void)mctx;
    *out = cJSON_CreateNull();
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping a database");
}

/* Date-typed fields of the SDK models are Date objects, which the SDK's
 * convertProperties skips: the row removes what our conversion copied. */
static int map_absent(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                      err_info *err)
{
    (void)value;
    (void)item;
    (void)mctx;
    (void)err;
    *out = NULL;
    return 0;
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static int first_string(cJSON **out, const char *const *candidates, size_t n, const char *fallback,
                        err_info *err)
{
    const char *v = NULL;
    for (size_t i = 0; i < n && !v; i++)
        v = nonempty(candidates[i]);
    if (!v)
        v = fallback;
    *out = v ? cJSON_CreateString(v) : cJSON_CreateNull();
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping a database");
}

/* displayName: name || fullyQualifiedDomainName || id || "unnamed". */
static int server_display_name(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                               cJSON **out, err_info *err)
{
    (void)value;
    (void)mctx;
    const char *c[] = {json_get_string(item, "name"),
                       json_path_string(item, "properties.fullyQualifiedDomainName"),
                       json_get_string(item, "id")};
    return first_string(out, c, 3, "unnamed", err);
}

/* hostname: fullyQualifiedDomainName || name || null. */
static int server_hostname(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                           err_info *err)
{
    (void)value;
    (void)mctx;
    const char *c[] = {json_path_string(item, "properties.fullyQualifiedDomainName"),
                       json_get_string(item, "name")};
    return first_string(out, c, 2, NULL, err);
}

/* displayName: name || id || "unnamed". */
static int database_display_name(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                                 cJSON **out, err_info *err)
{
    (void)value;
    (void)mctx;
    const char *c[] = {json_get_string(item, "name"), json_get_string(item, "id")};
    return first_string(out, c, 2, "unnamed", err);
}

#define DATE_FIELD(name) {name, NULL, MAP_FN, .fn = map_absent}

const prop_map db_server_props[] = {
    DATE_FIELD("earliestRestoreDate"),
    {"displayName", NULL, MAP_FN, .fn = server_display_name},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {"fqdn", "properties.fullyQualifiedDomainName", MAP_STRING},
    {"hostname", NULL, MAP_FN, .fn = server_hostname},
    {"administratorLogin", NULL, MAP_CONST_STRING, DB_REDACTED},
    {"administratorLoginPassword", NULL, MAP_CONST_STRING, DB_REDACTED},
    {"classification", NULL, MAP_FN, .fn = map_null},
    {"encrypted", NULL, MAP_FN, .fn = map_null},
    {"secureTransport", "properties.sslEnforcement", MAP_EQUALS, "Enabled"},
    /* configuration.* come from PostgreSQL's configurations (db_merge). */
    {NULL},
};

const prop_map db_database_props[] = {
    DATE_FIELD("creationDate"),
    DATE_FIELD("earliestRestoreDate"),
    DATE_FIELD("restorePointInTime"),
    DATE_FIELD("sourceDatabaseDeletionDate"),
    DATE_FIELD("pausedDate"),
    DATE_FIELD("resumedDate"),
    {"displayName", NULL, MAP_FN, .fn = database_display_name},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {"classification", NULL, MAP_FN, .fn = map_null},
    {"encrypted", NULL, MAP_FN, .fn = map_null},
    {NULL},
};

/* SDK convertProperties(obj, {prefix}) into an existing entity. */
static int convert_into(cJSON *entity, const cJSON *obj, const char *prefix, err_info *err)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
    {
        cJSON *v = NULL;
        if (cJSON_IsString(m) || cJSON_IsNumber(m) || cJSON_IsBool(m)) {
            v = cJSON_Duplicate(m, 0);
        } else if (cJSON_IsArray(m)) {
            const cJSON *first = cJSON_GetArrayItem(m, 0);
            if (!first || cJSON_IsNull(first) || cJSON_IsObject(first) || cJSON_IsArray(first))
                continue;
            v = cJSON_CreateArray();
            const cJSON *x;
            cJSON_ArrayForEach(x, m)
            {
                bool prim = cJSON_IsString(x) || cJSON_IsNumber(x) || cJSON_IsBool(x);
                cJSON *c = prim ? cJSON_Duplicate(x, 0) : cJSON_CreateNull();
                if (!v || !c || !cJSON_AddItemToArray(v, c)) {
                    cJSON_Delete(c);
                    cJSON_Delete(v);
                    v = NULL;
                    break;
                }
            }
        } else {
            continue;
        }
        char *ck = entity_map_camel_case(m->string);
        char name[512];
        if (ck)
            snprintf(name, sizeof name, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", ck);
        bool ok = v && ck && json_set(entity, name, v);
        if (!ok && v && !ck)
            cJSON_Delete(v);
        free(ck);
        if (!ok)
            return err_set(err, ERR_NOMEM, "out of memory mapping a database server");
    }
    return 0;
}

/* ...convertProperties(server.sku, {prefix: 'sku'}),
 * ...convertProperties(server.storageProfile). */
int db_server_fixup(const cJSON *item, cJSON *entity, const map_ctx *mctx, err_info *err)
{
    (void)mctx;
    if (convert_into(entity, json_get(item, "sku"), "sku", err) != 0)
        return -1;
    return convert_into(entity, json_path(item, "properties.storageProfile"), NULL, err);
}

/* ---- building and storing ------------------------------------------------ */

int db_build(step_ctx *ctx, const entity_spec *spec, const cJSON *item, cJSON **out,
             err_info *err)
{
    *out = NULL;
    if (step_should_stop(ctx))
        return err_set(err, ERR_CANCELLED, "step stopped: the job is cancelled or draining");
    map_ctx mctx = {.integration = azure_job_of(ctx)};
    err_info e = {0};
    if (entity_map_build(spec, item, &mctx, out, &e) == 0)
        return 0;
    if (e.kind == ERR_NOMEM || e.kind == ERR_CANCELLED) {
        *err = e;
        return -1;
    }
    const char *id = json_get_string(item, "id");
    log_kv(LOG_WARN, "skipped one object", "type", spec->type, "id", id ? id : "?", "error",
           e.message, NULL);
    return 0;
}

int db_add_raw(cJSON *entity, const char *name, cJSON *raw, err_info *err)
{
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(entity, "_rawData");
    cJSON *entry = cJSON_CreateObject();
    if (!raw || !entry || !cJSON_IsArray(arr) || !cJSON_AddStringToObject(entry, "name", name)) {
        cJSON_Delete(raw);
        cJSON_Delete(entry);
        return err_set(err, ERR_NOMEM, "out of memory adding raw data");
    }
    cJSON_AddItemToObject(entry, "rawData", raw);
    cJSON_AddItemToArray(arr, entry);
    return 0;
}

int db_merge(cJSON *entity, const prop_map *props, const cJSON *answer, const char *raw_name,
             const map_ctx *mctx, err_info *err)
{
    const entity_spec spec = {.type = "db_merge", .classes = {NULL}, .key_path = "db_merge_key",
                              .flags = ENTITY_NO_RAW_DATA, .props = props};
    cJSON *item = cJSON_Duplicate(answer, 1);
    if (!item || !json_set(item, "db_merge_key", cJSON_CreateString("merge"))) {
        cJSON_Delete(item);
        return err_set(err, ERR_NOMEM, "out of memory merging properties");
    }
    cJSON *built = NULL;
    int rc = entity_map_build(&spec, item, mctx, &built, err);
    cJSON_Delete(item);
    if (rc != 0)
        return -1;
    cJSON *m = built ? built->child : NULL;
    while (m) {
        cJSON *next = m->next;
        if (m->string && m->string[0] != '_') {
            cJSON *v = cJSON_DetachItemViaPointer(built, m);
            char *name = strdup(v->string);
            if (!name || !json_set(entity, name, v)) {
                free(name);
                cJSON_Delete(built);
                return err_set(err, ERR_NOMEM, "out of memory merging properties");
            }
            free(name);
        }
        m = next;
    }
    cJSON_Delete(built);
    if (raw_name) {
        cJSON *raw = cJSON_IsObject(answer) ? entity_map_sdk_object(answer, NULL)
                                            : cJSON_Duplicate(answer, 1);
        return db_add_raw(entity, raw_name, raw, err);
    }
    return 0;
}

int db_store(step_ctx *ctx, cJSON *entity, char *key, size_t key_size, err_info *err)
{
    key[0] = '\0';
    char copy[1024];
    const char *k = json_get_string(entity, "_key");
    snprintf(copy, sizeof copy, "%s", k ? k : "");
    err_info e = {0};
    if (step_add_entity(ctx, entity, &e) == 0) {
        snprintf(key, key_size, "%s", copy);
        return 0;
    }
    if (e.kind == ERR_CONFLICT || e.kind == ERR_INVALID) {
        log_kv(LOG_WARN, "skipped one object", "key", copy, "error", e.message, NULL);
        return 0;
    }
    *err = e;
    return -1;
}

/* ---- paths --------------------------------------------------------------- */

int db_child_path(const char *parent_id, const char *provider, const char *name,
                  const char *tail, char *out, size_t size)
{
    char sub[128], group[512];
    if (!parent_id || !name || arm_subscription_of(parent_id, sub, sizeof sub) != 0 ||
        arm_resource_group_name(parent_id, group, sizeof group) != 0)
        return -1;
    int n = snprintf(out, size, "/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s", sub,
                     group, provider, name, tail);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- errors of parallel calls -------------------------------------------- */

int db_check_errors(step_ctx *ctx, const err_info *errs, size_t n, const char *const *what,
                    const char *partial_type, const char *message, err_info *first,
                    err_info *err)
{
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        switch (errs[i].kind) {
        case ERR_NONE:
            break;
        case ERR_NOT_FOUND:
            log_kv(LOG_INFO, "not found; nothing to read", "resource", what[i], "error",
                   errs[i].message, NULL);
            break;
        case ERR_NOMEM:
        case ERR_CANCELLED:
            *err = errs[i];
            return -1;
        default:
            log_kv(LOG_WARN, message, "resource", what[i], "error", errs[i].message, "hint",
                   errs[i].hint[0] ? errs[i].hint : "", NULL);
            if (!failed && first)
                *first = errs[i];
            failed = 1;
        }
    }
    if (failed && partial_type)
        step_mark_partial_type(ctx, partial_type);
    return failed;
}

/* ---- servers per subscription -------------------------------------------- */

typedef struct server_list {
    db_item_fn fn;
    void *arg;
} server_list;

static int server_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    (void)index;
    server_list *s = arg;
    return s->fn(s->arg, item, err);
}

int db_list_servers(step_ctx *ctx, const char *path_fmt, db_item_fn fn, void *arg,
                    err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    azure_job *job = azure_job_of(ctx);
    gov_strings paths = {0};
    int rc = -1;
    char path[512];
    for (size_t i = 0; i < azure_job_subscription_count(job); i++) {
        snprintf(path, sizeof path, path_fmt, azure_job_subscription(job, i));
        if (gov_strings_add(&paths, path, err) != 0)
            goto done;
    }
    server_list s = {.fn = fn, .arg = arg};
    rc = gov_list_parallel(ctx, paths.items, paths.count, server_item, &s, err);
done:
    gov_strings_free(&paths);
    return rc;
}

/* ---- children of stored parents ------------------------------------------ */

static int collect_parent(void *arg, const cJSON *entity, err_info *err)
{
    db_parents *p = arg;
    const char *key = json_get_string(entity, "_key");
    const char *id = json_get_string(entity, "id");
    const char *name = json_get_string(entity, "name");
    if (!key || !id || !name)
        return 0;
    db_parent *items = realloc(p->items, (p->count + 1) * sizeof *items);
    if (!items)
        return err_set(err, ERR_NOMEM, "out of memory collecting servers");
    p->items = items;
    db_parent *n = &p->items[p->count];
    n->key = strdup(key);
    n->id = strdup(id);
    n->name = strdup(name);
    n->data = NULL;
    p->count++;
    if (!n->key || !n->id || !n->name)
        return err_set(err, ERR_NOMEM, "out of memory collecting servers");
    return 0;
}

int db_collect_parents(step_ctx *ctx, const char *type, db_parents *out, err_info *err)
{
    memset(out, 0, sizeof *out);
    return step_iterate_entities_without_raw(ctx, type, collect_parent, out, err);
}

void db_parents_free(db_parents *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free(p->items[i].key);
        free(p->items[i].id);
        free(p->items[i].name);
    }
    free(p->items);
    memset(p, 0, sizeof *p);
}

typedef struct child_state {
    step_ctx *ctx;
    const db_children *c;
    const db_parent *const *parents;   /* index = list index; the caller's */
} child_state;

static int child_item(void *arg, size_t index, const cJSON *item, err_info *err)
{
    child_state *st = arg;
    const db_parent *parent = st->parents[index];
    if (st->c->each)
        return st->c->each(st->c->each_arg, parent, item, err);
    cJSON *entity = NULL;
    if (db_build(st->ctx, st->c->spec, item, &entity, err) != 0)
        return -1;
    if (!entity)
        return 0;
    char key[1024];
    if (db_store(st->ctx, entity, key, sizeof key, err) != 0)
        return -1;
    if (!key[0])
        return 0;
    return gov_relate(st->ctx, "HAS", parent->key, st->c->parent_type, key, st->c->spec->type,
                      st->c->rel_type, err);
}

int db_list_children_of(step_ctx *ctx, const db_children *c, const db_parents *parents,
                        err_info *err)
{
    size_t n = parents->count;
    if (n == 0)
        return 0;
    int rc = -1;
    char **paths = calloc(n, sizeof *paths);
    const char **what = calloc(n, sizeof *what);
    const db_parent **listed = calloc(n, sizeof *listed);
    err_info *errs = calloc(n, sizeof *errs);
    size_t count = 0;
    if (!paths || !what || !listed || !errs) {
        err_set(err, ERR_NOMEM, "out of memory listing %s children", c->parent_type);
        goto done;
    }
    char path[2048];
    for (size_t i = 0; i < n; i++) {
        const db_parent *p = &parents->items[i];
        if (db_child_path(p->id, c->provider, p->name, c->tail, path, sizeof path) != 0) {
            log_kv(LOG_WARN, "resource id not understood; its children are skipped", "id", p->id,
                   NULL);
            continue;
        }
        if (!(paths[count] = strdup(path))) {
            err_set(err, ERR_NOMEM, "out of memory listing %s children", c->parent_type);
            goto done;
        }
        what[count] = p->id;
        listed[count] = p;
        count++;
    }
    child_state st = {.ctx = ctx, .c = c, .parents = listed};
    err_info e = {0}, first = {0};
    if (count == 0 || azure_list_many(azure_job_client(azure_job_of(ctx)), AZURE_API_ARM,
                                      (const char *const *)paths, count, child_item, &st, errs,
                                      &e) == 0) {
        rc = 0;
        goto done;
    }
    const char *child_type = c->spec ? c->spec->type : NULL;
    int failed = db_check_errors(ctx, errs, count, what, child_type,
                                 "could not list the children of a resource", &first, err);
    if (failed < 0)
        goto done;
    if (!failed) {
        /* Not a per-parent answer: an item callback or the client failed. */
        if (e.kind != ERR_NONE && e.kind != ERR_NOT_FOUND) {
            *err = e;
            goto done;
        }
        rc = 0;
        goto done;
    }
    if (c->fail_step) {
        *err = first;
        err_prefix(err, "%s of at least one resource could not be listed (the others were "
                        "ingested)", c->label);
        goto done;
    }
    rc = 0;
done:
    for (size_t i = 0; paths && i < count; i++)
        free(paths[i]);
    free(paths);
    free(what);
    free(listed);
    free(errs);
    return rc;
}

int db_list_children(step_ctx *ctx, const db_children *c, err_info *err)
{
    db_parents parents;
    int rc = db_collect_parents(ctx, c->parent_type, &parents, err);
    if (rc == 0)
        rc = db_list_children_of(ctx, c, &parents, err);
    db_parents_free(&parents);
    return rc;
}
