/*
 * databases_oss: Azure Database for MySQL, MariaDB and PostgreSQL (single
 * server) — reference src/steps/resource-manager/databases/{mysql,mariadb,
 * postgresql}/.
 *
 * MySQL and MariaDB are one step each: servers (stored as they arrive,
 * related to their resource group), their diagnostic settings, then the
 * databases of every server listed in parallel.  A server whose databases
 * cannot be listed is logged and its databases are marked partial; the step
 * goes on (the reference catches that error too).
 *
 * PostgreSQL servers also carry five `configuration.*` properties read from
 * the server's configurations (one list per server, all in parallel, in
 * batches); databases and firewall rules are steps of their own.
 */
#include "steps/databases.h"

#include "azure/azure_client.h"
#include "common/json.h"
#include "common/log.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/diagnostic_settings.h"
#include "steps/gov_common.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 32

/* One engine: the server list, the servers' step type names. */
typedef struct engine {
    const entity_spec *server;
    const entity_spec *database;
    const char *servers_path;   /* "%s" = subscription GUID */
    const char *provider;       /* "Microsoft.DBforMySQL/servers" */
    const char *databases_tail;
    const char *label;
} engine;

typedef struct server_state {
    step_ctx *ctx;
    const entity_spec *spec;
} server_state;

static int store_server_entity(step_ctx *ctx, const entity_spec *spec, cJSON *entity,
                               err_info *err)
{
    char key[1024];
    if (db_store(ctx, entity, key, sizeof key, err) != 0)
        return -1;
    return key[0] ? arm_relate_resource_group(ctx, key, spec->type, err) : 0;
}

static int server_item(void *arg, const cJSON *item, err_info *err)
{
    server_state *st = arg;
    cJSON *entity = NULL;
    if (db_build(st->ctx, st->spec, item, &entity, err) != 0)
        return -1;
    return entity ? store_server_entity(st->ctx, st->spec, entity, err) : 0;
}

/* One step per engine (MySQL, MariaDB): the engine table is the step's arg. */
static int run_engine(step_ctx *ctx, err_info *err)
{
    const engine *e = step_arg(ctx);
    if (!e)
        return err_set(err, ERR_INTERNAL, "step %s: run_engine needs an engine arg",
                       step_current(ctx) ? step_current(ctx)->id : "?");
    server_state st = {.ctx = ctx, .spec = e->server};
    if (db_list_servers(ctx, e->servers_path, server_item, &st, err) != 0)
        return -1;
    if (diag_settings_for_type(ctx, e->server->type, NULL, err) != 0)
        return -1;
    db_children c = {.label = e->label,
                     .parent_type = e->server->type,
                     .provider = e->provider,
                     .tail = e->databases_tail,
                     .spec = e->database,
                     .fail_step = false};
    return db_list_children(ctx, &c, err);
}

/* ---- MySQL / MariaDB ----------------------------------------------------- */

static const entity_spec mysql_server = DB_SERVER_SPEC("azure_mysql_server");
static const entity_spec mysql_database = DB_DATABASE_SPEC("azure_mysql_database");
static const entity_spec mariadb_server = DB_SERVER_SPEC("azure_mariadb_server");
static const entity_spec mariadb_database = DB_DATABASE_SPEC("azure_mariadb_database");

static const engine mysql = {
    .server = &mysql_server,
    .database = &mysql_database,
    .servers_path = "/subscriptions/%s/providers/Microsoft.DBforMySQL/servers"
                    "?api-version=2017-12-01",
    .provider = "Microsoft.DBforMySQL/servers",
    .databases_tail = "databases?api-version=2017-12-01",
    .label = "MySQL databases",
};

static const engine mariadb = {
    .server = &mariadb_server,
    .database = &mariadb_database,
    .servers_path = "/subscriptions/%s/providers/Microsoft.DBforMariaDB/servers"
                    "?api-version=2018-06-01",
    .provider = "Microsoft.DBforMariaDB/servers",
    .databases_tail = "databases?api-version=2018-06-01",
    .label = "MariaDB databases",
};

/* ---- PostgreSQL ---------------------------------------------------------- */

#define PG_PROVIDER "Microsoft.DBforPostgreSQL/servers"
#define PG_API "2017-12-01"

static const entity_spec pg_server = DB_SERVER_SPEC("azure_postgresql_server");
static const entity_spec pg_database = DB_DATABASE_SPEC("azure_postgresql_database");

/* getConfiguration(configurations, name): the `value` of the first
 * configuration so named ({"value": [...]} is the configurations answer). */
static const cJSON *configuration(const cJSON *answer, const char *name)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, json_get(answer, "value"))
    {
        const char *n = json_get_string(c, "name");
        if (n && strcmp(n, name) == 0)
            return json_path(c, "properties.value");
    }
    return NULL;
}

static int config_string(const cJSON *item, const char *name, cJSON **out, err_info *err)
{
    const cJSON *v = configuration(item, name);
    *out = v && !cJSON_IsNull(v) ? cJSON_Duplicate(v, 0) : NULL;
    return v && !cJSON_IsNull(v) && !*out ? err_set(err, ERR_NOMEM, "out of memory") : 0;
}

#define CONFIG_FN(fn_name, config_name)                                                        \
    static int fn_name(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out, \
                       err_info *err)                                                          \
    {                                                                                          \
        (void)value;                                                                           \
        (void)mctx;                                                                            \
        return config_string(item, config_name, out, err);                                     \
    }
CONFIG_FN(config_log_checkpoints, "log_checkpoints")
CONFIG_FN(config_log_connections, "log_connections")
CONFIG_FN(config_log_disconnections, "log_disconnections")
CONFIG_FN(config_connection_throttling, "connection_throttling")

/* JavaScript Number(value) when it is a number, else the value as is. */
static int config_retention_days(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                                 cJSON **out, err_info *err)
{
    (void)value;
    (void)mctx;
    const cJSON *v = configuration(item, "log_retention_days");
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        while (isspace((unsigned char)*s))
            s++;
        char *end = NULL;
        double d = *s ? strtod(s, &end) : 0;
        if (end)
            while (isspace((unsigned char)*end))
                end++;
        bool hex_or_word = *s && (strpbrk(s, "xXnNiI") != NULL);
        if (!*s || (end && !*end && !hex_or_word))
            *out = cJSON_CreateNumber(d);
    }
    if (!*out)
        *out = cJSON_Duplicate(v, 0);
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory");
}

static const prop_map pg_configuration_props[] = {
    {"configuration.logCheckpoints", NULL, MAP_FN, .fn = config_log_checkpoints},
    {"configuration.logConnections", NULL, MAP_FN, .fn = config_log_connections},
    {"configuration.logDisconnections", NULL, MAP_FN, .fn = config_log_disconnections},
    {"configuration.connectionThrottling", NULL, MAP_FN, .fn = config_connection_throttling},
    {"configuration.logRetentionDays", NULL, MAP_FN, .fn = config_retention_days},
    {NULL},
};

typedef struct pg_state {
    step_ctx *ctx;
    cJSON **servers;
    size_t count, cap;
    cJSON **answers;   /* per server of the current batch */
} pg_state;

static int pg_collect(void *arg, const cJSON *item, err_info *err)
{
    pg_state *st = arg;
    if (st->count == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        cJSON **s = realloc(st->servers, cap * sizeof *s);
        if (!s)
            return err_set(err, ERR_NOMEM, "out of memory collecting PostgreSQL servers");
        st->servers = s;
        st->cap = cap;
    }
    if (!(st->servers[st->count] = cJSON_Duplicate(item, 1)))
        return err_set(err, ERR_NOMEM, "out of memory collecting PostgreSQL servers");
    st->count++;
    return 0;
}

static int pg_answer(void *arg, size_t index, const cJSON *body, err_info *err)
{
    pg_state *st = arg;
    cJSON_Delete(st->answers[index]);
    if (!(st->answers[index] = cJSON_Duplicate(body, 1)))
        return err_set(err, ERR_NOMEM, "out of memory reading PostgreSQL configurations");
    return 0;
}

/* The configurations' SDK objects (the reference's serverConfigurations
 * raw data), kept as {"value": [...]}: a raw-data entry is an object. */
static cJSON *configurations_raw(const cJSON *answer)
{
    cJSON *raw = cJSON_CreateObject();
    cJSON *arr = raw ? cJSON_AddArrayToObject(raw, "value") : NULL;
    if (!arr) {
        cJSON_Delete(raw);
        return NULL;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, json_get(answer, "value"))
    {
        cJSON *o = entity_map_sdk_object(c, NULL);
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(raw);
            return NULL;
        }
    }
    return raw;
}

static int pg_store(pg_state *st, const cJSON *server, const cJSON *answer, err_info *err)
{
    cJSON *entity = NULL;
    if (db_build(st->ctx, &pg_server, server, &entity, err) != 0)
        return -1;
    if (!entity)
        return 0;
    map_ctx mctx = {.integration = azure_job_of(st->ctx)};
    if (answer && (db_merge(entity, pg_configuration_props, answer, NULL, &mctx, err) != 0 ||
                   db_add_raw(entity, "serverConfigurations", configurations_raw(answer), err) !=
                       0)) {
        cJSON_Delete(entity);
        return -1;
    }
    return store_server_entity(st->ctx, &pg_server, entity, err);
}

static int pg_batch(pg_state *st, cJSON *const *servers, size_t n, err_info *err)
{
    char *paths[BATCH] = {0};
    cJSON *got[BATCH] = {0};
    err_info errs[BATCH];
    memset(errs, 0, sizeof errs);
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        if (db_child_path(json_get_string(servers[i], "id"), PG_PROVIDER,
                          json_get_string(servers[i], "name"),
                          "configurations?api-version=" PG_API, path, sizeof path) != 0)
            snprintf(path, sizeof path, "/invalid-postgresql-server-id");
        if (!(paths[i] = strdup(path))) {
            err_set(err, ERR_NOMEM, "out of memory reading PostgreSQL configurations");
            goto done;
        }
    }
    st->answers = got;
    err_info e = {0};
    if (azure_get_many(azure_job_client(azure_job_of(st->ctx)), AZURE_API_ARM,
                       (const char *const *)paths, n, pg_answer, st, errs, &e) != 0) {
        int failed = db_check_errors(st->ctx, errs, n, (const char *const *)paths, NULL,
                                     "could not read the configurations of a PostgreSQL server; "
                                     "its configuration.* properties are left out",
                                     NULL, err);
        if (failed < 0)
            goto done;
        if (failed == 0 && e.kind != ERR_NONE && e.kind != ERR_NOT_FOUND) {
            *err = e;
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (pg_store(st, servers[i], got[i], err) != 0)
            goto done;
    rc = 0;
done:
    st->answers = NULL;
    for (size_t i = 0; i < n; i++) {
        free(paths[i]);
        cJSON_Delete(got[i]);
    }
    return rc;
}

static int run_pg_servers(step_ctx *ctx, err_info *err)
{
    pg_state st = {.ctx = ctx};
    int rc = db_list_servers(ctx,
                             "/subscriptions/%s/providers/" PG_PROVIDER "?api-version=" PG_API,
                             pg_collect, &st, err);
    for (size_t i = 0; rc == 0 && i < st.count; i += BATCH) {
        size_t n = st.count - i < BATCH ? st.count - i : BATCH;
        rc = pg_batch(&st, st.servers + i, n, err);
    }
    for (size_t i = 0; i < st.count; i++)
        cJSON_Delete(st.servers[i]);
    free(st.servers);
    if (rc == 0)
        rc = diag_settings_for_type(ctx, pg_server.type, NULL, err);
    return rc;
}

static int run_pg_databases(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    db_children c = {.label = "PostgreSQL databases",
                     .parent_type = pg_server.type,
                     .provider = PG_PROVIDER,
                     .tail = "databases?api-version=" PG_API,
                     .spec = &pg_database,
                     .fail_step = true};
    return db_list_children(ctx, &c, err);
}

static const prop_map pg_firewall_rule_props[] = {
    {"name", "name", MAP_STRING},
    {"id", "id", MAP_STRING},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "host"},
    {"type", "type", MAP_STRING},
    {"startIpAddress", "properties.startIpAddress", MAP_STRING},
    {"endIpAddress", "properties.endIpAddress", MAP_STRING},
    {NULL},
};

static const entity_spec pg_firewall_rule = {
    .type = "azure_postgresql_server_firewall_rule",
    .classes = {"Firewall"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .props = pg_firewall_rule_props,
};

static int run_pg_firewall_rules(step_ctx *ctx, err_info *err)
{
    db_children c = {.label = "PostgreSQL server firewall rules",
                     .parent_type = pg_server.type,
                     .provider = PG_PROVIDER,
                     .tail = "firewallRules?api-version=" PG_API,
                     .spec = &pg_firewall_rule,
                     .rel_type = "azure_postgresql_server_has_firewall_rule",
                     .fail_step = true};
    return db_list_children(ctx, &c, err);
}

/* ---- the step table ------------------------------------------------------ */

#define SERVER_CLASSES {"Database", "DataStore", "Host"}
#define DATABASE_CLASSES {"Database", "DataStore"}

const step_def databases_step_mariadb = {
    .id = "rm-database-mariadb-databases",
    .name = "MariaDB Databases",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] MariaDB Server", "azure_mariadb_server", SERVER_CLASSES},
                 {"[RM] MariaDB Database", "azure_mariadb_database", DATABASE_CLASSES},
                 DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("mariadb_server"),
                      {"azure_mariadb_server_has_database", "HAS", "azure_mariadb_server",
                       "azure_mariadb_database"},
                      DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_engine,
    .arg = &mariadb,
};

const step_def databases_step_mysql = {
    .id = "rm-database-mysql-databases",
    .name = "MySQL Databases",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] MySQL Server", "azure_mysql_server", SERVER_CLASSES},
                 {"[RM] MySQL Database", "azure_mysql_database", DATABASE_CLASSES},
                 DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("mysql_server"),
                      {"azure_mysql_server_has_database", "HAS", "azure_mysql_server",
                       "azure_mysql_database"},
                      DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_engine,
    .arg = &mysql,
};

const step_def databases_step_postgresql_servers = {
    .id = "rm-database-postgresql-servers",
    .name = "PostgreSQL Servers",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] PostgreSQL Server", "azure_postgresql_server", SERVER_CLASSES},
                 DIAG_ENTITY_DECL},
    .relationships = {ARM_RG_HAS_DECL("postgresql_server"), DIAG_RELATIONSHIP_DECLS},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_pg_servers,
};

const step_def databases_step_postgresql_databases = {
    .id = "rm-database-postgresql-databases",
    .name = "PostgreSQL Databases",
    .depends_on = {"ad-account", "rm-database-postgresql-servers"},
    .entities = {{"[RM] PostgreSQL Database", "azure_postgresql_database", DATABASE_CLASSES}},
    .relationships = {{"azure_postgresql_server_has_database", "HAS", "azure_postgresql_server",
                       "azure_postgresql_database"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_pg_databases,
};

const step_def databases_step_postgresql_firewall_rules = {
    .id = "rm-database-postgresql-server-firewall-rules",
    .name = "PostgreSQL Server Firewall Rules",
    .depends_on = {"rm-database-postgresql-servers"},
    .entities = {{"[RM] PostgreSQL Server Firewall Rule", "azure_postgresql_server_firewall_rule",
                  {"Firewall"}}},
    .relationships = {{"azure_postgresql_server_has_firewall_rule", "HAS",
                       "azure_postgresql_server", "azure_postgresql_server_firewall_rule"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_pg_firewall_rules,
};
