/*
 * The platform steps' entity tables against the reference's golden
 * snapshots (graph-azure converters.test.ts.snap of dns, private-dns,
 * container-registry, container-instance, service-bus and redis-cache,
 * converted to golden/<folder>.json by golden_from_snapshots.py).
 *
 * A snapshot's _rawData is the SDK object the reference converter saw
 * (ARM `properties` hoisted, model renames applied).  The test turns it
 * back into the ARM item Azure returns (fields that are not part of the
 * ARM envelope go under `properties`, renames reversed), maps it with the
 * step's own table (the same entity_spec the step uses) and requires the
 * snapshot entity exactly, _rawData included.  Containers and volumes get
 * their composed _key / id as the step sets them.  webLink uses the
 * snapshots' domain "something.onmicrosoft.com".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/json.h"
#include "engine/entity_map.h"
#include "steps/azure_job.h"
#include "steps/platform_tables.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct golden_case {
    const char *folder;
    const char *export_name;
    const entity_spec *spec;
    bool arm_item;        /* false: the item has no ARM envelope (volumes) */
    bool composed_key;    /* _key / id set by the step from the snapshot's _key */
} golden_case;

static const golden_case cases[] = {
    {"dns", "createDnsZoneEntity properties transferred 1", &dns_zone_spec, true, false},
    {"dns", "createDnsRecordSetEntity properties transferred 1", &dns_record_set_spec, true,
     false},
    {"private-dns", "createPrivateDnsZoneEntity properties transferred 1", &private_dns_zone_spec,
     true, false},
    {"private-dns", "createDnsRecordSetEntity properties transferred 1",
     &private_dns_record_set_spec, true, false},
    {"container-registry", "createContainerRegistryEntity properties transferred 1",
     &container_registry_spec, true, false},
    {"container-registry", "createContainerRegistryWebhookEntity properties transferred 1",
     &container_registry_webhook_spec, true, false},
    {"container-instance", "createContainerGroupEntity properties transferred 1",
     &container_group_spec, true, false},
    {"container-instance", "createContainerEntity properties transferred 1", &container_spec, true,
     true},
    {"container-instance", "createVolumeEntity properties transferred 1", &container_volume_spec,
     false, true},
    {"service-bus", "createServiceBusNamespaceEntity properties transferred 1",
     &service_bus_namespace_spec, true, false},
    {"service-bus", "createServiceBusQueueEntity properties transferred 1",
     &service_bus_queue_spec, true, false},
    {"service-bus", "createServiceBusTopicEntity properties transferred 1",
     &service_bus_topic_spec, true, false},
    {"service-bus", "createServiceBusSubscriptionEntity properties transferred 1",
     &service_bus_subscription_spec, true, false},
    {"redis-cache", "createRedisCacheEntity properties transferred 1", &redis_cache_spec, true,
     false},
    {"redis-cache", "createRedisFirewallRuleEntity properties transferred 1",
     &redis_firewall_rule_spec, true, false},
};

/* Top-level members of an ARM resource; everything else is `properties`. */
static const char *const envelope[] = {"id",       "name",  "type", "location", "tags",
                                       "etag",     "sku",   "kind", "identity", "systemData",
                                       "zones",    "plan",  "managedBy", NULL};

static bool in_envelope(const char *k)
{
    for (size_t i = 0; envelope[i]; i++)
        if (strcmp(envelope[i], k) == 0)
            return true;
    return false;
}

/* The ARM item whose SDK object (hoisted, renamed) is `sdk`. */
static cJSON *arm_item_from_sdk(const cJSON *sdk, const char *const *renames)
{
    cJSON *item = cJSON_CreateObject(), *props = cJSON_CreateObject();
    const cJSON *m;
    cJSON_ArrayForEach(m, sdk)
    {
        cJSON *d = cJSON_Duplicate(m, 1);
        if (in_envelope(m->string)) {
            cJSON_AddItemToObject(item, m->string, d);
            continue;
        }
        const char *name = m->string;
        for (size_t i = 0; renames && renames[i]; i += 2)
            if (strcmp(renames[i + 1], m->string) == 0)
                name = renames[i];
        cJSON_AddItemToObject(props, name, d);
    }
    cJSON_AddItemToObject(item, "properties", props);
    return item;
}

static cJSON *read_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (!j)
        fail_msg("%s is not JSON", path);
    return j;
}

static azure_job *snapshot_job(void)
{
    cJSON *config = cJSON_Parse("{\"clientId\":\"c\",\"clientSecret\":\"s\",\"directoryId\":\"d\","
                                "\"subscriptionId\":\"sub\"}");
    azure_endpoints ep;
    memset(&ep, 0, sizeof ep);
    snprintf(ep.authority_host, sizeof ep.authority_host, "http://127.0.0.1:9");
    snprintf(ep.graph, sizeof ep.graph, "http://127.0.0.1:9");
    snprintf(ep.resource_manager, sizeof ep.resource_manager, "http://127.0.0.1:9");
    snprintf(ep.storage_suffix, sizeof ep.storage_suffix, "core.windows.net");
    azure_instance_info inst = {.instance_id = "i", .instance_name = "n", .account_id = "a"};
    azure_job *job = NULL;
    err_info err = {0};
    if (azure_job_new(config, &inst, &ep, &job, &err) != 0)
        fail_msg("azure_job_new: %s", err.message);
    cJSON_Delete(config);
    azure_job_set_default_domain(job, "something.onmicrosoft.com");
    return job;
}

static void check_case(const golden_case *c, azure_job *job)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/steps_rm_platform/golden/%s.json", AI_SOURCE_DIR,
             c->folder);
    cJSON *file = read_json(path);
    const cJSON *want = json_get(file, c->export_name);
    if (!want)
        fail_msg("%s: no snapshot %s", c->folder, c->export_name);
    const cJSON *sdk = json_path(cJSON_GetArrayItem(json_get(want, "_rawData"), 0), "rawData");
    assert_non_null(sdk);
    cJSON *item = c->arm_item ? arm_item_from_sdk(sdk, c->spec->hoist_renames)
                              : cJSON_Duplicate(sdk, 1);
    map_ctx mctx = {.integration = job};
    cJSON *got = NULL;
    err_info err = {0};
    if (entity_map_build(c->spec, item, &mctx, &got, &err) != 0)
        fail_msg("%s: %s", c->export_name, err.message);
    if (c->composed_key) {
        const char *key = json_get_string(want, "_key");
        assert_true(json_set(got, "_key", cJSON_CreateString(key)));
        assert_true(json_set(got, "id", cJSON_CreateString(key)));
    }
    if (!cJSON_Compare(want, got, 1)) {
        char *a = cJSON_Print(got);
        fprintf(stderr, "%s / %s\ngot:\n%s\n", c->folder, c->export_name, a);
        free(a);
        fail_msg("%s does not match its golden snapshot", c->spec->type);
    }
    cJSON_Delete(got);
    cJSON_Delete(item);
    cJSON_Delete(file);
}

static void test_entities_match_golden_snapshots(void **state)
{
    (void)state;
    azure_job *job = snapshot_job();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i], job);
    azure_job_free(job);
}

/* Every entity table of the six services has its snapshot here. */
static void test_every_type_has_a_snapshot(void **state)
{
    (void)state;
    const char *types[] = {"azure_dns_zone", "azure_dns_record_set", "azure_private_dns_zone",
                           "azure_private_dns_record_set", "azure_container_registry",
                           "azure_container_registry_webhook", "azure_container_group",
                           "azure_container", "azure_container_volume",
                           "azure_service_bus_namespace", "azure_service_bus_queue",
                           "azure_service_bus_topic", "azure_service_bus_subscription",
                           "azure_redis_cache", "azure_firewall_rule"};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        bool found = false;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            found |= strcmp(cases[i].spec->type, types[t]) == 0;
        if (!found)
            fail_msg("no golden case for %s", types[t]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entities_match_golden_snapshots),
        cmocka_unit_test(test_every_type_has_a_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
