/*
 * redis_cache: Redis caches, their firewall rules and linked servers
 * (azure-sources README part C; reference graph-azure
 * src/steps/resource-manager/redis-cache/).
 *
 * Caches are listed per stored resource group (redis.listByResourceGroup,
 * all groups in parallel); firewall rules and linked servers per cache
 * (under the cache's lower-cased resource group), all caches in parallel.
 * A linked server answers on both caches of the pair; as in the reference,
 * only the primary's answer (the linked server's role is "Secondary") gives
 * the CONNECTS relationship primary -> secondary, with the link's
 * properties, when the secondary cache is ingested.
 */
#include "common/json.h"
#include "common/log.h"
#include "engine/relationship.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"
#include "steps/rm_platform.h"

#include <stdlib.h>
#include <string.h>

#define REDIS_API "2019-07-01"

static const prop_map cache_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"encrypted", NULL, MAP_FN, .fn = rmp_map_null},
    {"classification", NULL, MAP_FN, .fn = rmp_map_null},
    {NULL},
};

const entity_spec redis_cache_spec = {
    .type = "azure_redis_cache",
    .classes = {"Database", "DataStore", "Cluster"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH |
             ENTITY_TAGS,
    .props = cache_props,
};

static const prop_map firewall_rule_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"category", NULL, MAP_CONST_STRING_ARRAY, "host"},
    {"ipRangeStart", "properties.startIP", MAP_STRING},
    {"ipRangeEnd", "properties.endIP", MAP_STRING},
    {"isStateful", NULL, MAP_CONST_BOOL, "false"},
    {NULL},
};

const entity_spec redis_firewall_rule_spec = {
    .type = "azure_firewall_rule",
    .classes = {"Firewall"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH |
             ENTITY_TAGS,
    .props = firewall_rule_props,
};

/* ---- rm-redis-caches ------------------------------------------------------ */

static int cache_item(step_ctx *ctx, void *arg, const char *owner, const cJSON *item,
                      err_info *err)
{
    (void)arg;
    (void)owner;
    char key[1024];
    if (rmp_store(ctx, &redis_cache_spec, item, key, sizeof key, err) != 0)
        return -1;
    return key[0] ? arm_relate_resource_group(ctx, key, redis_cache_spec.type, err) : 0;
}

static int run_caches(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    rmp_lists lists = {0};
    int rc = rmp_lists_per_resource_group(
        ctx, "/providers/Microsoft.Cache/Redis?api-version=" REDIS_API, &lists, err);
    if (rc == 0)
        rc = rmp_run(ctx, &lists, RMP_TOP, "Redis caches", NULL, cache_item, NULL, err);
    rmp_lists_free(&lists);
    return rc;
}

/* ---- rm-redis-firewall-rules ---------------------------------------------- */

static int firewall_rules_path(const cJSON *cache, char *out, size_t size)
{
    return rmp_child_path(cache, "Microsoft.Cache/Redis", "firewallRules?api-version=" REDIS_API,
                          out, size);
}

static int firewall_rule_item(step_ctx *ctx, void *arg, const char *cache_key, const cJSON *item,
                              err_info *err)
{
    (void)arg;
    char key[1024];
    if (rmp_store(ctx, &redis_firewall_rule_spec, item, key, sizeof key, err) != 0)
        return -1;
    return key[0] ? gov_relate(ctx, "HAS", cache_key, redis_cache_spec.type, key,
                               redis_firewall_rule_spec.type, NULL, err)
                  : 0;
}

static int run_firewall_rules(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    rmp_lists lists = {0};
    int rc = rmp_lists_per_entity(ctx, redis_cache_spec.type, firewall_rules_path, &lists, err);
    if (rc == 0)
        rc = rmp_run(ctx, &lists, RMP_CHILD, "Redis firewall rules", redis_firewall_rule_spec.type,
                     firewall_rule_item, NULL, err);
    rmp_lists_free(&lists);
    return rc;
}

/* ---- rm-redis-linked-servers ---------------------------------------------- */

static int linked_servers_path(const cJSON *cache, char *out, size_t size)
{
    return rmp_child_path(cache, "Microsoft.Cache/Redis", "linkedServers?api-version=" REDIS_API,
                          out, size);
}

/* Copies a string of `from` at `path` as property `name` (absent stays
 * absent).  Returns false when out of memory. */
static bool copy_string(cJSON *to, const char *name, const cJSON *from, const char *path)
{
    const char *v = json_path_string(from, path);
    return !v || cJSON_AddStringToObject(to, name, v);
}

/* The reference's createRedisLinkedServerRelationshipProperties. */
static bool link_properties(cJSON *rel, const cJSON *primary, const cJSON *link,
                            const char *domain)
{
    char *web = gov_weblink_string(domain, json_get_string(link, "id"));
    bool ok = copy_string(rel, "linkedServerId", link, "id") &&
              (!web || cJSON_AddStringToObject(rel, "webLink", web)) &&
              copy_string(rel, "primaryCacheId", primary, "id") &&
              copy_string(rel, "primaryCacheName", primary, "name") &&
              copy_string(rel, "secondaryCacheId", link, "properties.linkedRedisCacheId") &&
              copy_string(rel, "secondaryCacheName", link, "name") &&
              copy_string(rel, "secondaryCacheLocation", link,
                          "properties.linkedRedisCacheLocation") &&
              copy_string(rel, "type", link, "type") &&
              copy_string(rel, "provisioningState", link, "properties.provisioningState");
    free(web);
    return ok;
}

static int linked_server_item(step_ctx *ctx, void *arg, const char *cache_key, const cJSON *item,
                              err_info *err)
{
    (void)arg;
    const char *role = json_path_string(item, "properties.serverRole");
    if (!role || strcmp(role, "Secondary") != 0)
        return 0;   /* the pair is recorded from its primary */
    gov_found secondary;
    if (!gov_find(ctx, json_path_string(item, "properties.linkedRedisCacheId"), &secondary)) {
        log_kv(LOG_DEBUG, "linked Redis cache not ingested", "cache", cache_key, NULL);
        return 0;
    }
    cJSON *primary = step_load_entity(ctx, cache_key);
    if (!primary)
        return 0;
    cJSON *rel = relationship_direct("CONNECTS", cache_key, redis_cache_spec.type, secondary.key,
                                     secondary.type, NULL, NULL);
    if (!rel || !link_properties(rel, primary, item,
                                 azure_job_default_domain(azure_job_of(ctx)))) {
        cJSON_Delete(rel);
        cJSON_Delete(primary);
        return err_set(err, ERR_NOMEM, "out of memory building a Redis link");
    }
    cJSON_Delete(primary);
    return gov_add(ctx, rel, false, secondary.key, err);
}

static int run_linked_servers(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    rmp_lists lists = {0};
    int rc = rmp_lists_per_entity(ctx, redis_cache_spec.type, linked_servers_path, &lists, err);
    if (rc == 0)
        rc = rmp_run(ctx, &lists, RMP_CHILD, "Redis linked servers", NULL, linked_server_item,
                     NULL, err);
    rmp_lists_free(&lists);
    return rc;
}

/* ---- the step table ------------------------------------------------------ */

static const step_def step_caches = {
    .id = "rm-redis-caches",
    .name = "Redis Caches",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Redis Cache", "azure_redis_cache", {"Database", "DataStore", "Cluster"}}},
    .relationships = {ARM_RG_HAS_DECL("redis_cache")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_caches,
};

static const step_def step_firewall_rules = {
    .id = "rm-redis-firewall-rules",
    .name = "Redis Firewall Rules",
    .depends_on = {"ad-account", "rm-redis-caches"},
    .entities = {{"[RM] Redis Firewall Rule", "azure_firewall_rule", {"Firewall"}}},
    .relationships = {{"azure_redis_cache_has_firewall_rule", "HAS", "azure_redis_cache",
                       "azure_firewall_rule"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_firewall_rules,
};

static const step_def step_linked_servers = {
    .id = "rm-redis-linked-servers",
    .name = "Redis Linked Servers",
    .depends_on = {"ad-account", "rm-redis-caches"},
    .relationships = {{"azure_redis_cache_connects_cache", "CONNECTS", "azure_redis_cache",
                       "azure_redis_cache"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_linked_servers,
};

const step_def *const steps_redis_cache[] = {&step_caches, &step_firewall_rules,
                                             &step_linked_servers, NULL};
