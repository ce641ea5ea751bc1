/*
 * private_dns: private DNS zones and their record sets (azure-sources
 * README part C; reference graph-azure
 * src/steps/resource-manager/private-dns/).
 *
 * Zones are listed per subscription (privateZones.list), record sets per
 * zone (recordSets.list: ".../privateDnsZones/{zone}/ALL", under the zone's
 * lower-cased resource group), every zone's list in parallel, each item
 * stored as it arrives.  Same tables as dns.c, with this API's field names
 * (`ttl`).
 */
#include "common/json.h"
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/gov_common.h"
#include "steps/rm_platform.h"

#define PRIVATE_DNS_API "2018-09-01"

/* JavaScript's type.replace("Microsoft.Network/privateDnsZones/", ""). */
static int record_type(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                       err_info *err)
{
    (void)item;
    (void)mctx;
    return rmp_strip_first(value, "Microsoft.Network/privateDnsZones/", out, err);
}

static const prop_map zone_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"domainName", "name", MAP_STRING},
    {"recordsCount", "properties.numberOfRecordSets", MAP_NUMBER},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec private_dns_zone_spec = {
    .type = "azure_private_dns_zone",
    .classes = {"DomainZone"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH |
             ENTITY_TAGS,
    .props = zone_props,
};

static const prop_map record_set_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"TTL", "properties.ttl", MAP_NUMBER},
    {"type", "type", MAP_FN, .fn = record_type},
    {"azureType", "type", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec private_dns_record_set_spec = {
    .type = "azure_private_dns_record_set",
    .classes = {"DomainRecord"},
    .flags = ENTITY_HOIST_PROPERTIES | ENTITY_CONVERT_PROPERTIES | ENTITY_SCHEMA_PASSTHROUGH |
             ENTITY_TAGS,
    .props = record_set_props,
};

/* ---- rm-private-dns-zones ------------------------------------------------ */

static int zone_item(step_ctx *ctx, void *arg, const char *owner, const cJSON *item,
                     err_info *err)
{
    (void)arg;
    (void)owner;
    char key[1024];
    if (rmp_store(ctx, &private_dns_zone_spec, item, key, sizeof key, err) != 0)
        return -1;
    return key[0] ? arm_relate_resource_group(ctx, key, private_dns_zone_spec.type, err) : 0;
}

static int run_zones(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    rmp_lists lists = {0};
    int rc = rmp_lists_per_subscription(
        ctx,
        "/subscriptions/%s/providers/Microsoft.Network/privateDnsZones"
        "?api-version=" PRIVATE_DNS_API,
        &lists, err);
    if (rc == 0)
        rc = rmp_run(ctx, &lists, RMP_TOP, "private DNS zones", NULL, zone_item, NULL, err);
    rmp_lists_free(&lists);
    return rc;
}

/* ---- rm-private-dns-record-sets ------------------------------------------ */

static int record_sets_path(const cJSON *zone, char *out, size_t size)
{
    return rmp_child_path(zone, "Microsoft.Network/privateDnsZones",
                          "ALL?api-version=" PRIVATE_DNS_API, out, size);
}

static int record_set_item(step_ctx *ctx, void *arg, const char *zone_key, const cJSON *item,
                           err_info *err)
{
    (void)arg;
    char key[1024];
    if (rmp_store(ctx, &private_dns_record_set_spec, item, key, sizeof key, err) != 0)
        return -1;
    return key[0] ? gov_relate(ctx, "HAS", zone_key, private_dns_zone_spec.type, key,
                               private_dns_record_set_spec.type, NULL, err)
                  : 0;
}

static int run_record_sets(step_ctx *ctx, err_info *err)
{
    if (gov_require_account(ctx, err) != 0)
        return -1;
    rmp_lists lists = {0};
    int rc = rmp_lists_per_entity(ctx, private_dns_zone_spec.type, record_sets_path, &lists, err);
    if (rc == 0)
        rc = rmp_run(ctx, &lists, RMP_CHILD, "private DNS record sets",
                     private_dns_record_set_spec.type, record_set_item, NULL, err);
    rmp_lists_free(&lists);
    return rc;
}

/* ---- the step table ------------------------------------------------------ */

static const step_def step_zones = {
    .id = "rm-private-dns-zones",
    .name = "Private DNS Zones",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Private DNS Zone", "azure_private_dns_zone", {"DomainZone"}}},
    .relationships = {ARM_RG_HAS_DECL("private_dns_zone")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_zones,
};

static const step_def step_record_sets = {
    .id = "rm-private-dns-record-sets",
    .name = "Private DNS Record Sets",
    .depends_on = {"ad-account", "rm-private-dns-zones"},
    .entities = {{"[RM] Private DNS Record Set", "azure_private_dns_record_set",
                  {"DomainRecord"}}},
    .relationships = {{"azure_private_dns_zone_has_record_set", "HAS", "azure_private_dns_zone",
                       "azure_private_dns_record_set"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = run_record_sets,
};

const step_def *const steps_private_dns[] = {&step_zones, &step_record_sets, NULL};
