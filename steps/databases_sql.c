/*
 * databases_sql: Azure SQL servers, their diagnostic settings, databases,
 * firewall rules and Active Directory administrators (reference
 * src/steps/resource-manager/databases/sql/).
 *
 * Servers and databases need more than their list item: each server is
 * completed with its auditing settings, security alert policy and
 * encryption protector, each database with its transparent data encryption
 * and auditing settings (one GET each).  Those GETs are made for a batch of
 * servers (or databases) at once, all in parallel within the client's
 * bounds; the entity is stored as soon as its batch answered.  A failed
 * GET costs only its properties (the reference logs and goes on); a 404 is
 * "not configured".  Storage access keys are removed from the answers
 * before they are mapped or kept as raw data (write-only in Azure; never
 * sent anywhere by us).
 */
#include "steps/databases.h"

#include "azure/azure_client.h"
#include "common/json.h"
#include "common/log.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/diagnostic_settings.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SERVER_TYPE "azure_sql_server"
#define DATABASE_TYPE "azure_sql_database"
#define PROVIDER "Microsoft.Sql/servers"
#define BATCH 32

static const entity_spec server_spec = DB_SERVER_SPEC(SERVER_TYPE);
static const entity_spec database_spec = DB_DATABASE_SPEC(DATABASE_TYPE);

/* ---- the reference's set* converters as tables -------------------------- */

/* ENABLED_PATTERN = /enabled/i */
static bool enabled_text(const cJSON *v)
{
    if (!cJSON_IsString(v))
        return false;
    for (const char *p = v->valuestring; *p; p++)
        if (strncasecmp(p, "enabled", 7) == 0)
            return true;
    return false;
}

static int map_enabled(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                       err_info *err)
{
    (void)item;
    (void)mctx;
    *out = cJSON_CreateBool(enabled_text(value));
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping SQL settings");
}

/* array.filter(e => e !== ''): an empty result is kept as []. */
static int map_nonempty_strings(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                                cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    *out = NULL;
    if (!cJSON_IsArray(value))
        return 0;
    cJSON *a = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, value)
    {
        if (cJSON_IsString(e) && !*e->valuestring)
            continue;
        cJSON *d = cJSON_Duplicate(e, 0);
        if (!a || !d || !cJSON_AddItemToArray(a, d)) {
            cJSON_Delete(d);
            cJSON_Delete(a);
            return err_set(err, ERR_NOMEM, "out of memory mapping SQL settings");
        }
    }
    *out = a;
    return a ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping SQL settings");
}

/* alertingEnabled && !(disabled alerts left after filtering). */
static int map_alert_all_threats(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                                 cJSON **out, err_info *err)
{
    (void)value;
    (void)mctx;
    bool disabled = false;
    const cJSON *e;
    cJSON_ArrayForEach(e, json_path(item, "properties.disabledAlerts"))
    {
        if (!(cJSON_IsString(e) && !*e->valuestring))
            disabled = true;
    }
    *out = cJSON_CreateBool(enabled_text(json_path(item, "properties.state")) && !disabled);
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping SQL settings");
}

/* setAuditingStatus (server and database). */
static const prop_map auditing_props[] = {
    {"auditingEnabled", "properties.state", MAP_FN, .fn = map_enabled},
    {"loggingEnabled", "properties.state", MAP_FN, .fn = map_enabled},
    {"auditLogDestination", "properties.storageEndpoint", MAP_STRING},
    {"auditActionsAndGroups", "properties.auditActionsAndGroups", MAP_FN,
     .fn = map_nonempty_strings},
    {"auditLogRetentionDays", "properties.retentionDays", MAP_NUMBER},
    {"auditLogMonitorEnabled", "properties.isAzureMonitorTargetEnabled", MAP_BOOL},
    /* auditLogAccessKey (storageAccountAccessKey) is never kept: a secret. */
    {NULL},
};

/* setServerSecurityAlerting. */
static const prop_map alerting_props[] = {
    {"alertingEnabled", "properties.state", MAP_FN, .fn = map_enabled},
    {"alertAdmins", "properties.emailAccountAdmins", MAP_BOOL},
    {"alertEmails", "properties.emailAddresses", MAP_FN, .fn = map_nonempty_strings},
    {"alertsDisabled", "properties.disabledAlerts", MAP_FN, .fn = map_nonempty_strings},
    {"alertOnAllThreats", NULL, MAP_FN, .fn = map_alert_all_threats},
    {NULL},
};

/* setServerEncryptionProtector. */
static const prop_map protector_props[] = {
    {"encryptionProtector.serverKeyName", "properties.serverKeyName", MAP_STRING},
    {"encryptionProtector.serverKeyType", "properties.serverKeyType", MAP_STRING},
    {NULL},
};

/* setDatabaseEncryption. */
static const prop_map encryption_props[] = {
    {"encrypted", "properties.status", MAP_FN, .fn = map_enabled},
    {NULL},
};

/* The answer without storage access keys (removed wherever they are). */
static cJSON *scrubbed(const cJSON *answer)
{
    cJSON *copy = cJSON_Duplicate(answer, 1);
    if (copy) {
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "storageAccountAccessKey");
        cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(copy, "properties"),
                                                "storageAccountAccessKey");
    }
    return copy;
}

/* setRawData(name, answer), then the properties when `state_path` (if
 * given) holds a non-empty string. */
static int apply_answer(cJSON *entity, const cJSON *answer, const prop_map *props,
                        const char *state_path, const char *raw_name, const map_ctx *mctx,
                        err_info *err)
{
    if (!cJSON_IsObject(answer))
        return 0;
    cJSON *clean = scrubbed(answer);
    if (!clean)
        return err_set(err, ERR_NOMEM, "out of memory mapping SQL settings");
    int rc = db_add_raw(entity, raw_name, entity_map_sdk_object(clean, NULL), err);
    const char *state = state_path ? json_path_string(clean, state_path) : "";
    if (rc == 0 && state && (!state_path || *state))
        rc = db_merge(entity, props, clean, NULL, mctx, err);
    cJSON_Delete(clean);
    return rc;
}

/* ---- per-item GETs in batches -------------------------------------------- */

typedef struct answers {
    cJSON **slot;    /* index = request index */
} answers;

static int keep_answer(void *arg, size_t index, const cJSON *body, err_info *err)
{
    answers *a = arg;
    cJSON_Delete(a->slot[index]);
    if (!(a->slot[index] = cJSON_Duplicate(body, 1)))
        return err_set(err, ERR_NOMEM, "out of memory reading SQL settings");
    return 0;
}

/* GETs paths[0..n) in parallel; answers in slot[i] (NULL when none).
 * Per-request failures are logged; only out of memory / cancellation and
 * failures outside the requests fail. */
static int get_all(step_ctx *ctx, char **paths, size_t n, cJSON **slot, const char *message,
                   err_info *err)
{
    err_info *errs = calloc(n, sizeof *errs);
    if (!errs)
        return err_set(err, ERR_NOMEM, "out of memory reading SQL settings");
    answers a = {.slot = slot};
    err_info e = {0};
    int rc = azure_get_many(azure_job_client(azure_job_of(ctx)), AZURE_API_ARM,
                            (const char *const *)paths, n, keep_answer, &a, errs, &e);
    if (rc != 0) {
        int failed = db_check_errors(ctx, errs, n, (const char *const *)paths, NULL, message,
                                     NULL, err);
        rc = failed < 0 ? -1 : 0;
        if (failed == 0 && e.kind != ERR_NONE && e.kind != ERR_NOT_FOUND) {
            *err = e;
            rc = -1;
        }
    }
    free(errs);
    return rc;
}

typedef struct item_vec {
    cJSON **items;
    size_t count, cap;
} item_vec;

static int vec_add(item_vec *v, const cJSON *item, err_info *err)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        cJSON **items = realloc(v->items, cap * sizeof *items);
        if (!items)
            return err_set(err, ERR_NOMEM, "out of memory collecting SQL resources");
        v->items = items;
        v->cap = cap;
    }
    if (!(v->items[v->count] = cJSON_Duplicate(item, 1)))
        return err_set(err, ERR_NOMEM, "out of memory collecting SQL resources");
    v->count++;
    return 0;
}

static void vec_free(item_vec *v)
{
    for (size_t i = 0; i < v->count; i++)
        cJSON_Delete(v->items[i]);
    free(v->items);
    memset(v, 0, sizeof *v);
}

static void free_paths(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
}

/* ---- rm-database-sql-servers -------------------------------------------- */

static const char *const server_tails[] = {
    "auditingSettings/default?api-version=2017-03-01-preview",
    "securityAlertPolicies/Default?api-version=2017-03-01-preview",
    "encryptionProtector/current?api-version=2015-05-01-preview",
};
#define SERVER_GETS 3

static int collect_server(void *arg, const cJSON *item, err_info *err)
{
    return vec_add(arg, item, err);
}

static int store_server(step_ctx *ctx, const cJSON *server, cJSON *const *got, err_info *err)
{
    cJSON *entity = NULL;
    if (db_build(ctx, &server_spec, server, &entity, err) != 0)
        return -1;
    if (!entity)
        return 0;
    map_ctx mctx = {.integration = azure_job_of(ctx)};
    /* TLS is always on for Azure SQL (the reference sets it after mapping). */
    if (apply_answer(entity, got[0], auditing_props, "properties.state", "auditing", &mctx,
                     err) != 0 ||
        apply_answer(entity, got[1], alerting_props, "properties.state", "alerting", &mctx,
                     err) != 0 ||
        apply_answer(entity, got[2], protector_props, NULL, "encryptionProtector", &mctx,
                     err) != 0 ||
        !json_set(entity, "secureTransport", cJSON_CreateTrue())) {
        cJSON_Delete(entity);
        return err->kind ? -1 : err_set(err, ERR_NOMEM, "out of memory mapping a SQL server");
    }
    char key[1024];
    if (db_store(ctx, entity, key, sizeof key, err) != 0)
        return -1;
    return key[0] ? arm_relate_resource_group(ctx, key, SERVER_TYPE, err) : 0;
}

static int servers_batch(step_ctx *ctx, cJSON *const *servers, size_t n, err_info *err)
{
    char *paths[BATCH * SERVER_GETS] = {0};
    cJSON *got[BATCH * SERVER_GETS] = {0};
    size_t np = n * SERVER_GETS;
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        for (size_t g = 0; g < SERVER_GETS; g++) {
            char path[2048];
            if (db_child_path(json_get_string(servers[i], "id"), PROVIDER,
                              json_get_string(servers[i], "name"), server_tails[g], path,
                              sizeof path) != 0)
                snprintf(path, sizeof path, "/invalid-sql-server-id");
            if (!(paths[i * SERVER_GETS + g] = strdup(path))) {
                err_set(err, ERR_NOMEM, "out of memory reading SQL servers");
                goto done;
            }
        }
    }
    if (get_all(ctx, paths, np, got, "could not read a SQL server setting; its properties are "
                                     "left out", err) != 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (store_server(ctx, servers[i], &got[i * SERVER_GETS], err) != 0)
            goto done;
    rc = 0;
done:
    free_paths(paths, np);
    for (size_t i = 0; i < np; i++)
        cJSON_Delete(got[i]);
    return rc;
}

static int run_sql_servers(step_ctx *ctx, err_info *err)
{
    item_vec servers = {0};
    int rc = db_list_servers(ctx,
                             "/subscriptions/%s/providers/Microsoft.Sql/servers"
                             "?api-version=2015-05-01-preview",
                             collect_server, &servers, err);
    for (size_t i = 0; rc == 0 && i < servers.count; i += BATCH) {
        size_t n = servers.count - i < BATCH ? servers.count - i : BATCH;
        rc = servers_batch(ctx, servers.items + i, n, err);
    }
    vec_free(&servers);
    return rc;
}

/* ---- rm-sql-server-diagnostic-settings ---------------------------------- */

static int run_sql_diagnostic_settings(step_ctx *ctx, err_info *err)
{
    return diag_settings_for_type(ctx, SERVER_TYPE, NULL, err);
}

/* ---- rm-database-sql-databases ------------------------------------------ */

static const char *const database_tails[] = {
    "transparentDataEncryption/current?api-version=2014-04-01",
    "auditingSettings/default?api-version=2017-03-01-preview",
};
#define DATABASE_GETS 2

typedef struct db_item {
    const db_parent *server;
    cJSON *item;
} db_item;

typedef struct databases_state {
    step_ctx *ctx;
    db_item *items;
    size_t count, cap;
} databases_state;

static int collect_database(void *arg, const db_parent *server, const cJSON *item, err_info *err)
{
    databases_state *st = arg;
    if (st->count == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        db_item *items = realloc(st->items, cap * sizeof *items);
        if (!items)
            return err_set(err, ERR_NOMEM, "out of memory collecting SQL databases");
        st->items = items;
        st->cap = cap;
    }
    st->items[st->count].server = server;
    if (!(st->items[st->count].item = cJSON_Duplicate(item, 1)))
        return err_set(err, ERR_NOMEM, "out of memory collecting SQL databases");
    st->count++;
    return 0;
}

static int store_database(step_ctx *ctx, const db_item *d, cJSON *const *got, err_info *err)
{
    cJSON *entity = NULL;
    if (db_build(ctx, &database_spec, d->item, &entity, err) != 0)
        return -1;
    if (!entity)
        return 0;
    map_ctx mctx = {.integration = azure_job_of(ctx)};
    if (apply_answer(entity, got[0], encryption_props, "properties.status", "encryption", &mctx,
                     err) != 0 ||
        apply_answer(entity, got[1], auditing_props, "properties.state", "auditing", &mctx,
                     err) != 0) {
        cJSON_Delete(entity);
        return -1;
    }
    char key[1024];
    if (db_store(ctx, entity, key, sizeof key, err) != 0)
        return -1;
    return key[0] ? gov_relate(ctx, "HAS", d->server->key, SERVER_TYPE, key, DATABASE_TYPE, NULL,
                               err)
                  : 0;
}

static int databases_batch(step_ctx *ctx, const db_item *items, size_t n, err_info *err)
{
    char *paths[BATCH * DATABASE_GETS] = {0};
    cJSON *got[BATCH * DATABASE_GETS] = {0};
    size_t np = n * DATABASE_GETS;
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        const char *db = json_get_string(items[i].item, "name");
        for (size_t g = 0; g < DATABASE_GETS; g++) {
            char tail[1024], path[2048];
            snprintf(tail, sizeof tail, "databases/%s/%s", db ? db : "", database_tails[g]);
            if (db_child_path(items[i].server->id, PROVIDER, items[i].server->name, tail, path,
                              sizeof path) != 0)
                snprintf(path, sizeof path, "/invalid-sql-server-id");
            if (!(paths[i * DATABASE_GETS + g] = strdup(path))) {
                err_set(err, ERR_NOMEM, "out of memory reading SQL databases");
                goto done;
            }
        }
    }
    if (get_all(ctx, paths, np, got, "could not read a SQL database setting; its properties are "
                                     "left out", err) != 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (store_database(ctx, &items[i], &got[i * DATABASE_GETS], err) != 0)
            goto done;
    rc = 0;
done:
    free_paths(paths, np);
    for (size_t i = 0; i < np; i++)
        cJSON_Delete(got[i]);
    return rc;
}

static int run_sql_databases(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    databases_state st = {.ctx = ctx};
    db_children c = {.label = "SQL databases",
                     .parent_type = SERVER_TYPE,
                     .provider = PROVIDER,
                     .tail = "databases?api-version=2017-10-01-preview",
                     .spec = &database_spec,
                     .fail_step = true,
                     .each = collect_database,
                     .each_arg = &st};
    db_parents servers;
    err_info list_err = {0};
    int rc = db_collect_parents(ctx, SERVER_TYPE, &servers, err);
    /* The databases of a batch of servers are kept until their settings
     * are read: batches bound what is held.  A server whose databases
     * cannot be listed fails the step once every other batch is stored. */
    for (size_t s = 0; rc == 0 && s < servers.count; s += BATCH) {
        db_parents part = {.items = servers.items + s,
                           .count = servers.count - s < BATCH ? servers.count - s : BATCH};
        err_info e = {0};
        if (db_list_children_of(ctx, &c, &part, &e) != 0) {
            if (e.kind == ERR_NOMEM || e.kind == ERR_CANCELLED) {
                *err = e;
                rc = -1;
            } else if (list_err.kind == ERR_NONE) {
                list_err = e;
            }
        }
        for (size_t i = 0; rc == 0 && i < st.count; i += BATCH) {
            size_t n = st.count - i < BATCH ? st.count - i : BATCH;
            rc = databases_batch(ctx, st.items + i, n, err);
        }
        for (size_t i = 0; i < st.count; i++)
            cJSON_Delete(st.items[i].item);
        st.count = 0;
    }
    if (rc == 0 && list_err.kind != ERR_NONE) {
        *err = list_err;
        rc = -1;
    }
    free(st.items);
    db_parents_free(&servers);
    return rc;
}

/* ---- firewall rules and Active Directory administrators ------------------ */

static const prop_map firewall_rule_props[] = {
    {"name", "name", MAP_STRING},
    {"id", "id", MAP_STRING},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "host"},
    {"kind", "kind", MAP_STRING},
    {"location", "location", MAP_STRING},
    {"startIpAddress", "properties.startIpAddress", MAP_STRING},
    {"endIpAddress", "properties.endIpAddress", MAP_STRING},
    {NULL},
};

const entity_spec databases_sql_firewall_rule_spec = {
    .type = "azure_sql_server_firewall_rule",
    .classes = {"Firewall"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = firewall_rule_props,
};

static int run_sql_firewall_rules(step_ctx *ctx, err_info *err)
{
    db_children c = {.label = "SQL server firewall rules",
                     .parent_type = SERVER_TYPE,
                     .provider = PROVIDER,
                     .tail = "firewallRules?api-version=2014-04-01",
                     .spec = &databases_sql_firewall_rule_spec,
                     .rel_type = "azure_sql_server_has_firewall_rule",
                     .fail_step = true};
    return db_list_children(ctx, &c, err);
}

static const prop_map ad_admin_props[] = {
    {"name", "name", MAP_STRING},
    {"id", "id", MAP_STRING},
    {"type", "type", MAP_STRING},
    {"tenantId", "properties.tenantId", MAP_STRING},
    {"login", "properties.login", MAP_STRING},
    {"sid", "properties.sid", MAP_STRING},
    {NULL},
};

static const entity_spec ad_admin_spec = {
    .type = "azure_sql_server_active_directory_admin",
    .classes = {"AccessRole"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = ad_admin_props,
};

static int run_sql_ad_admins(step_ctx *ctx, err_info *err)
{
    db_children c = {.label = "SQL server Active Directory administrators",
                     .parent_type = SERVER_TYPE,
                     .provider = PROVIDER,
                     .tail = "administrators?api-version=2014-04-01",
                     .spec = &ad_admin_spec,
                     .fail_step = true};
    return db_list_children(ctx, &c, err);
}

/* ---- the step table ------------------------------------------------------ */

#define SQL_SERVER_DECL {"[RM] SQL Server", SERVER_TYPE, {"Database", "DataStore", "Host"}}

const step_def databases_step_sql_servers = {
    .id = "rm-database-sql-servers",
    .name = "SQL Servers",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {SQL_SERVER_DECL},
    .relationships = {ARM_RG_HAS_DECL("sql_server")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_sql_servers,
};

const step_def databases_step_sql_diagnostic_settings = {
    .id = "rm-sql-server-diagnostic-settings",
    .name = "SQL Server Diagnostic Settings",
    .depends_on = {"ad-account", "rm-database-sql-servers"},
    .entities = {DIAG_ENTITY_DECL},
    .relationships = {DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_sql_diagnostic_settings,
};

const step_def databases_step_sql_databases = {
    .id = "rm-database-sql-databases",
    .name = "SQL Databases",
    .depends_on = {"ad-account", "rm-database-sql-servers"},
    .entities = {{"[RM] SQL Database", DATABASE_TYPE, {"Database", "DataStore"}}},
    .relationships = {{"azure_sql_server_has_database", "HAS", SERVER_TYPE, DATABASE_TYPE}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_sql_databases,
};

const step_def databases_step_sql_firewall_rules = {
    .id = "rm-database-sql-server-firewall-rules",
    .name = "SQL Server Firewall Rules",
    .depends_on = {"rm-database-sql-servers"},
    .entities = {{"[RM] SQL Server Firewall Rule", "azure_sql_server_firewall_rule",
                  {"Firewall"}}},
    .relationships = {{"azure_sql_server_has_firewall_rule", "HAS", SERVER_TYPE,
                       "azure_sql_server_firewall_rule"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_sql_firewall_rules,
};

const step_def databases_step_sql_ad_admins = {
    .id = "rm-database-sql-server-active-directory-admins",
    .name = "SQL Server Active Directory Admins",
    .depends_on = {"rm-database-sql-servers"},
    .entities = {{"[RM] SQL Server Active Directory Admin",
                  "azure_sql_server_active_directory_admin", {"AccessRole"}}},
    .relationships = {{"azure_sql_server_has_active_directory_admin", "HAS", SERVER_TYPE,
                       "azure_sql_server_active_directory_admin"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_sql_ad_admins,
};
