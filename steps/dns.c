/*
 * dns: DNS zones and their record sets (azure-sources README part C;
 * reference graph-azure src/steps/resource-manager/dns/).
 *
 * Zones are listed per subscription (the SDK's zones.list), record sets per
 * zone (recordSets.listByDnsZone, under the zone's lower-cased resource
 * group), every zone's list in parallel, each item stored as it arrives.
 * Tables follow the reference converters: convertProperties of the SDK
 * object (properties hoisted; the model names `TTL` `tTL`, hence the
 * reference's `tTl` property besides `TTL`) plus the assignments.
 */
#include "engine/step.h"
#include "steps/arm_common.h"
#include "steps/arm_list.h"
#include "steps/platform_tables.h"

#define DNS_API "2018-05-01"

static int record_type(const cJSON *value, const cJSON *item, const map_ctx *mctx, cJSON **out,
                       err_info *err)
{
    (void)item;
    (void)mctx;
    return arml_strip_first(value, "Microsoft.Network/dnszones/", out, err);
}

static const prop_map zone_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"domainName", "name", MAP_STRING},
    {"recordsCount", "properties.numberOfRecordSets", MAP_NUMBER},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

const entity_spec dns_zone_spec = {
    .type = "azure_dns_zone",
    .classes = {"DomainZone"},
    .flags = ARML_ENTITY_FLAGS,
    .props = zone_props,
};

static const prop_map record_set_props[] = {
    {"id", "id", MAP_STRING},
    {"name", "name", MAP_STRING},
    {"TTL", "properties.TTL", MAP_NUMBER},
    {"type", "type", MAP_FN, .fn = record_type},
    {"azureType", "type", MAP_STRING},
    {"webLink", "id", MAP_FN, .fn = arm_map_weblink},
    {NULL},
};

/* @azure/arm-dns RecordSet model names (2018-05-01). */
static const char *const record_set_renames[] = {
    "TTL", "tTL", "ARecords", "aRecords", "AAAARecords", "aaaaRecords", "MXRecords", "mxRecords",
    "NSRecords", "nsRecords", "PTRRecords", "ptrRecords", "SRVRecords", "srvRecords",
    "TXTRecords", "txtRecords", "CNAMERecord", "cnameRecord", "SOARecord", "soaRecord", NULL,
};

const entity_spec dns_record_set_spec = {
    .type = "azure_dns_record_set",
    .classes = {"DomainRecord"},
    .flags = ARML_ENTITY_FLAGS,
    .props = record_set_props,
    .hoist_renames = record_set_renames,
};

/* ---- the lists ----------------------------------------------------------- */

static const arml_collection zones = {
    .what = "DNS zones",
    .scope = ARML_PER_SUBSCRIPTION,
    .suffix = "/providers/Microsoft.Network/dnszones?api-version=" DNS_API,
    .spec = &dns_zone_spec,
    .relate_resource_group = true,
};

static const arml_collection record_sets = {
    .what = "DNS record sets",
    .scope = ARML_PER_ENTITY,
    .parent_type = "azure_dns_zone",
    .provider = "Microsoft.Network/dnsZones",
    .suffix = "/recordsets?api-version=" DNS_API,
    .spec = &dns_record_set_spec,
    .relate_parent = true,
};

/* ---- the step table ------------------------------------------------------ */

static const step_def step_zones = {
    .id = "rm-dns-zones",
    .name = "DNS Zones",
    .depends_on = {"ad-account", "rm-resources-resource-groups"},
    .entities = {{"[RM] DNS Zone", "azure_dns_zone", {"DomainZone"}}},
    .relationships = {ARM_RG_HAS_DECL("dns_zone")},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &zones,
};

static const step_def step_record_sets = {
    .id = "rm-dns-record-sets",
    .name = "DNS Record Sets",
    .depends_on = {"ad-account", "rm-dns-zones"},
    .entities = {{"[RM] DNS Record Set", "azure_dns_record_set", {"DomainRecord"}}},
    .relationships = {{"azure_dns_zone_has_record_set", "HAS", "azure_dns_zone",
                       "azure_dns_record_set"}},
    .enabled_when = STEP_IF_RESOURCE_MANAGER,
    .run = arml_run_step,
    .arg = &record_sets,
};

const step_def *const steps_dns[] = {&step_zones, &step_record_sets, NULL};
