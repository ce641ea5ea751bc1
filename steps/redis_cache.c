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
#include "steps/arm_list.h"
#include "steps/azure_job.h"
#include "steps/gov_common.h"
#include "steps/platform_tables.h"

#include <stdlib.h>
#include <string.h>

#define REDIS_API "2019-07-01"

static const prop_map cache_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {"encrypted", NULL, MAP_FN, .fn = arml_map_null},
    {"classification", NULL, MAP_FN, .fn = arml_map_null},
    {NULL},
};

const entity_spec redis_cache_spec = {
    .type = "azure_redis_cache",
    .classes = {"Database", "DataStore", "Cluster"},
    .flags = ARML_ENTITY_FLAGS,
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
    .flags = ARML_ENTITY_FLAGS,
    .props = firewall_rule_props,
};

/* ---- the lists ----------------------------------------------------------- */

static const arml_collection caches = {
    .what = "Redis caches",
    .scope = ARML_PER_RESOURCE_GROUP,
    .suffix = "/providers/Microsoft.Cache/Redis?api-version=" REDIS_API,
    .spec = &redis_cache_spec,
    .relate_resource_group = true,
};

static const arml_collection firewall_rules = {
    .what = "Redis firewall rules",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_redis_cache",
    .provider = "Microsoft.Cache/Redis",
    .suffix = "/firewallRules?api-version=" REDIS_API,
    .spec = &redis_firewall_rule_spec,
    .relate_parent = true,
};

/* ---- rm-redis-linked-servers ---------------------------------------------- */

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
                              const char *key, err_info *err)
{
    (void)arg;
    (void)key;
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

/* Relationships only: the items are not entities (no table). */
static const arml_collection linked_servers = {
    .what = "Redis linked servers",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_redis_cache",
    .provider = "Microsoft.Cache/Redis",
    .suffix = "/linkedServers?api-version=" REDIS_API,
    .on_item = linked_server_item,
};

/* ---- the step table ------------------------------------------------------ */

static const step_def step_caches = {
    .id = "rm-redis-caches",
    .name = "Redis Caches",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Redis Cache", "azure_redis_cache", {"Database", "DataStore", "Cluster"}}},
    .relationships = {ARM_RG_HAS_DECL("redis_cache")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &caches,
};

static const step_def step_firewall_rules = {
    .id = "rm-redis-firewall-rules",
    .name = "Redis Firewall Rules",
    .depends_on = {"ad-account", "rm-redis-caches"},
    .entities = {{"[RM] Redis Firewall Rule", "azure_firewall_rule", {"Firewall"}}},
    .relationships = {{"azure_redis_cache_has_firewall_rule", "HAS", "azure_redis_cache",
                       "azure_firewall_rule"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &firewall_rules,
};

static const step_def step_linked_servers = {
    .id = "rm-redis-linked-servers",
    .name = "Redis Linked Servers",
    .depends_on = {"ad-account", "rm-redis-caches"},
    .relationships = {{"azure_redis_cache_connects_cache", "CONNECTS", "azure_redis_cache",
                       "azure_redis_cache"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &linked_servers,
};

const step_def *const steps_redis_cache[] = {&step_caches, &step_firewall_rules,
                                             &step_linked_servers, NULL};
