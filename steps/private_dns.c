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
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/arm_list.h"
#include "steps/platform_tables.h"

#define PRIVATE_DNS_API "2018-09-01"

/* JavaScript's type.replace("Microsoft.Network/privateDnsZones/", ""). */
static int record_type(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                       err_info *err)
{
    (void)item;
    (void)mctx;
    return arml_strip_first(value, "Microsoft.Network/privateDnsZones/", out, err);
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
    .flags = ARML_ENTITY_FLAGS,
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
    .flags = ARML_ENTITY_FLAGS,
    .props = record_set_props,
};

/* ---- the lists ----------------------------------------------------------- */

static const arml_collection zones = {
    .what = "private DNS zones",
    .scope = ARML_PER_SUBSCRIPTION,
    .suffix = "/providers/Microsoft.Network/privateDnsZones?api-version=" PRIVATE_DNS_API,
    .spec = &private_dns_zone_spec,
    .relate_resource_group = true,
};

static const arml_collection record_sets = {
    .what = "private DNS record sets",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_private_dns_zone",
    .provider = "Microsoft.Network/privateDnsZones",
    .suffix = "/ALL?api-version=" PRIVATE_DNS_API,
    .spec = &private_dns_record_set_spec,
    .relate_parent = true,
};

/* ---- the step table ------------------------------------------------------ */

static const step_def step_zones = {
    .id = "rm-private-dns-zones",
    .name = "Private DNS Zones",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] Private DNS Zone", "azure_private_dns_zone", {"DomainZone"}}},
    .relationships = {ARM_RG_HAS_DECL("private_dns_zone")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &zones,
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
    .run = arml_run_step,
    .arg = &record_sets,
};

const step_def *const steps_private_dns[] = {&step_zones, &step_record_sets, NULL};
