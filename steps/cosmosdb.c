/*
 * cosmosdb: Cosmos DB accounts and their SQL databases (docs/spec/
 * azure-sources part-b §4; reference src/steps/resource-manager/cosmosdb/).
 *
 * Accounts are listed per subscription (all in parallel), stored as they
 * arrive and related to their resource group; then the SQL databases of
 * every account are listed in parallel (each stored as it arrives).  A
 * database carries its account's tags, region and id.  An account whose
 * databases cannot be listed (e.g. a MongoDB or Cassandra account, which
 * answers with an error, or a 403) is logged and the database type marked
 * partial; the step then fails once every other account was read, as the
 * reference's does (a 404 is "no databases").
 */
#include "common/json.h"
#include "common/log.h"
#include "engine/relationship.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/databases.h"
#include "steps/gov_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCOUNT_TYPE "azure_cosmosdb_account"
#define DATABASE_TYPE "azure_cosmosdb_sql_database"
#define COSMOS_API "2019-08-01"

/* readLocations[].documentEndpoint, the non-empty ones, in order. */
static int account_endpoints(const cJSON *value, const cJSON *item, const map_ctx *mctx,
                             cJSON **out, err_info *err)
{
    (void)item;
    (void)mctx;
    *out = NULL;
    if (!cJSON_IsArray(value))
        return 0;
    cJSON *a = cJSON_CreateArray();
    const cJSON *loc;
    cJSON_ArrayForEach(loc, value)
    {
        const char *ep = json_get_string(loc, "documentEndpoint");
        if (!ep || !*ep)
            continue;
        if (!a || !cJSON_AddItemToArray(a, cJSON_CreateString(ep))) {
            cJSON_Delete(a);
            return err_set(err, ERR_NOMEM, "out of memory mapping a Cosmos DB account");
        }
    }
    *out = a;
    return a ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping a Cosmos DB account");
}

static int map_null(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                    err_info *err)
{
    (void)value;
    (void)item;
    (void)mctx;
    *out = cJSON_CreateNull();
    return *out ? 0 : err_set(err, ERR_NOMEM, "out of memory mapping a Cosmos DB database");
}

static const prop_map account_props[] = {
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"region", "location", MAP_FN, .fn = arm_map_region},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {"enableAutomaticFailover", "properties.enableAutomaticFailover", MAP_BOOL},
    {"enableMultipleWriteLocations", "properties.enableMultipleWriteLocations", MAP_BOOL},
    {"isVirtualNetworkFilterEnabled", "properties.isVirtualNetworkFilterEnabled", MAP_BOOL},
    {"ipRangeFilter", "properties.ipRangeFilter", MAP_STRING},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "infrastructure"},
    {"endpoints", "properties.readLocations", MAP_FN, .fn = account_endpoints},
    {NULL},
};

static const entity_spec account_spec = {
    .type = ACCOUNT_TYPE,
    .classes = {"Account", "Service"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .tag_properties = arm_tag_properties,
    .props = account_props,
};

/* The item mapped is the database with its account's `tags`; dbAccountId
 * and region (from the account) are set by code. */
static const prop_map database_props[] = {
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"encrypted", NULL, MAP_CONST_BOOL, "true"},
    {"resourceGroup", "id", MAP_FN, .fn = arm_map_resource_group},
    {"classification", NULL, MAP_FN, .fn = map_null},
    {NULL},
};

static const entity_spec database_spec = {
    .type = DATABASE_TYPE,
    .classes = {"Database", "DataStore"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH | ENTITY_TAGS,
    .tag_properties = arm_tag_properties,
    .props = database_props,
};

/* What a database needs of its account. */
typedef struct account {
    cJSON *tags;      /* copy of the account's tags, or NULL */
    cJSON *region;    /* normalized location, or NULL */
} account;

typedef struct cosmos_state {
    step_ctx *ctx;
    db_parents parents;   /* stored accounts; data -> accounts[i] */
    account *accounts;
} cosmos_state;

static int keep_account(cosmos_state *st, const char *key, const cJSON *item, err_info *err)
{
    size_t n = st->parents.count;
    db_parent *p = realloc(st->parents.items, (n + 1) * sizeof *p);
    if (p)
        st->parents.items = p;
    account *a = realloc(st->accounts, (n + 1) * sizeof *a);
    if (a)
        st->accounts = a;
    if (!p || !a)
        return err_set(err, ERR_NOMEM, "out of memory collecting Cosmos DB accounts");
    memset(&p[n], 0, sizeof p[n]);
    memset(&a[n], 0, sizeof a[n]);
    st->parents.count++;
    const cJSON *tags = json_get(item, "tags");
    if (tags && !cJSON_IsNull(tags) && !(a[n].tags = cJSON_Duplicate(tags, 1)))
        return err_set(err, ERR_NOMEM, "out of memory collecting Cosmos DB accounts");
    map_ctx mctx = {.integration = azure_job_of(st->ctx)};
    if (arm_map_region(json_get(item, "location"), item, &mctx, &a[n].region, err) != 0)
        return -1;
    const char *id = json_get_string(item, "id"), *name = json_get_string(item, "name");
    p[n].key = strdup(key);
    p[n].id = strdup(id ? id : "");
    p[n].name = strdup(name ? name : "");
    if (!p[n].key || !p[n].id || !p[n].name)
        return err_set(err, ERR_NOMEM, "out of memory collecting Cosmos DB accounts");
    return 0;
}

static int account_item(void *arg, const cJSON *item, err_info *err)
{
    cosmos_state *st = arg;
    cJSON *entity = NULL;
    if (db_build(st->ctx, &account_spec, item, &entity, err) != 0)
        return -1;
    if (!entity)
        return 0;
    char key[1024];
    if (db_store(st->ctx, entity, key, sizeof key, err) != 0)
        return -1;
    if (!key[0])
        return 0;
    if (arm_relate_resource_group(st->ctx, key, ACCOUNT_TYPE, err) != 0)
        return -1;
    return keep_account(st, key, item, err);
}

static int database_item(void *arg, const db_parent *parent, const cJSON *item, err_info *err)
{
    cosmos_state *st = arg;
    const account *acc = parent->data;
    cJSON *composed = cJSON_Duplicate(item, 1);
    if (!composed)
        return err_set(err, ERR_NOMEM, "out of memory mapping a Cosmos DB database");
    cJSON_DeleteItemFromObjectCaseSensitive(composed, "tags");
    if (acc->tags && !json_set(composed, "tags", cJSON_Duplicate(acc->tags, 1))) {
        cJSON_Delete(composed);
        return err_set(err, ERR_NOMEM, "out of memory mapping a Cosmos DB database");
    }
    cJSON *entity = NULL;
    int rc = db_build(st->ctx, &database_spec, composed, &entity, err);
    cJSON_Delete(composed);
    if (rc != 0 || !entity)
        return rc;
    if (!json_set(entity, "dbAccountId", cJSON_CreateString(parent->id)) ||
        (acc->region && !json_set(entity, "region", cJSON_Duplicate(acc->region, 0)))) {
        cJSON_Delete(entity);
        return err_set(err, ERR_NOMEM, "out of memory mapping a Cosmos DB database");
    }
    char key[1024];
    if (db_store(st->ctx, entity, key, sizeof key, err) != 0)
        return -1;
    if (!key[0])
        return 0;
    cJSON *rel = relationship_direct("HAS", parent->key, ACCOUNT_TYPE, key, DATABASE_TYPE, NULL,
                                     NULL);
    if (!rel || !json_set(rel, "dbAccountId", cJSON_CreateString(parent->id))) {
        cJSON_Delete(rel);
        return err_set(err, ERR_NOMEM, "out of memory relating a Cosmos DB database");
    }
    return gov_add(st->ctx, rel, false, key, err);
}

static int run_cosmosdb(step_ctx *ctx, err_info *err)
{
    cosmos_state st = {.ctx = ctx};
    int rc = db_list_servers(ctx,
                             "/subscriptions/%s/providers/Microsoft.DocumentDB/databaseAccounts"
                             "?api-version=" COSMOS_API,
                             account_item, &st, err);
    for (size_t i = 0; i < st.parents.count; i++)
        st.parents.items[i].data = &st.accounts[i];
    db_children c = {.label = "Cosmos DB SQL databases",
                     .parent_type = ACCOUNT_TYPE,
                     .provider = "Microsoft.DocumentDB/databaseAccounts",
                     .tail = "sqlDatabases?api-version=" COSMOS_API,
                     .spec = &database_spec,
                     .fail_step = true,
                     .each = database_item,
                     .each_arg = &st};
    if (rc == 0)
        rc = db_list_children_of(ctx, &c, &st.parents, err);
    for (size_t i = 0; i < st.parents.count; i++) {
        cJSON_Delete(st.accounts[i].tags);
        cJSON_Delete(st.accounts[i].region);
    }
    free(st.accounts);
    db_parents_free(&st.parents);
    return rc;
}

static const step_def step_cosmosdb_sql_databases = {
    .id = "rm-cosmosdb-sql-databases",
    .name = "CosmosDB SQL Databases",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Cosmos DB Account", ACCOUNT_TYPE, {"Account", "Service"}},
                 {"[RM] Cosmos DB Database", DATABASE_TYPE, {"Database", "DataStore"}}},
    .relationships = {{"azure_cosmosdb_account_has_sql_database", "HAS", ACCOUNT_TYPE,
                       DATABASE_TYPE},
                      ARM_RG_HAS_DECL("cosmosdb_account")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_cosmosdb,
};

const step_def *const steps_cosmosdb[] = {&step_cosmosdb_sql_databases, NULL};
