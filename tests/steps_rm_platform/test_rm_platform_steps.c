/*
 * Platform-service steps (dns, private-dns, container-registry,
 * container-instance, service-bus, redis-cache) against the recordings,
 * through the fake Azure server, run on the engine by the shared case
 * runner (tests/steps_governance/gov_case.h).  Each case compares what the
 * step produced with expected/<step>.json exactly; those files are derived
 * from the recordings by derive_expected.py following the reference
 * converters, never by running this code.  Seeded entities stand for what
 * other steps produce (resource groups, storage, parents of child lists);
 * resource-group keys are cased unlike Azure's ids where the step's own
 * paths do not depend on them, to prove case-insensitive resolution.
 * Then the error policy (steps/arm_list.h): a 403 on a subscription or
 * resource-group list fails the step with the permission to grant, the
 * other lists' items kept; an unregistered provider or a region that does
 * not offer the type is an empty list; a 403 on one parent's child list
 * skips that parent and marks the type partial.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "steps_governance/gov_case.h"

#include "engine/step.h"
#include "steps/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AD_HAR "steps/active-directory/__recordings__/active-directory-steps_52759203/recording.har"
#define RM "steps/resource-manager/"
#define SUB_D "d3803fd6-2ba4-4286-80aa-f3d613ad59a7"
#define SUB_4 "40474ebe-55a2-4071-8fa8-b610acdd8e56"
#define SUB_8 "87f62f44-9dad-4284-a08f-f2fb3d8b528a"
#define EXPECTED(step) "tests/steps_rm_platform/expected/" step ".json"

#define SEED(key, type, cls, name)                                                                \
    "{\"_key\":\"" key "\",\"_type\":\"" type "\",\"_class\":[\"" cls "\"],\"id\":\"" key         \
    "\",\"name\":\"" name "\",\"displayName\":\"" name "\"}"
#define SEED_RG(sub, name)                                                                        \
    SEED("/subscriptions/" sub "/resourcegroups/" name, "azure_resource_group", "Group", name)
#define SEED_RG_EXACT(sub, name)                                                                  \
    SEED("/subscriptions/" sub "/resourceGroups/" name, "azure_resource_group", "Group", name)

/* ---- dns ------------------------------------------------------------------ */

#define DNS_ZONE "/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/Microsoft.Network/dnszones/jupiterone-dev.com"

static void test_dns_zones(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-dns-zones"),
                  .hars = {AD_HAR, RM "dns/__recordings__/resource-manager-step-dns-zones_89672344/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "J1DEV")},
                  .steps = {"ad-account", "rm-dns-zones"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_dns_record_sets(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-dns-record-sets"),
                  .hars = {AD_HAR, RM "dns/__recordings__/resource-manager-step-dns-record-sets_3249218698/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED(DNS_ZONE, "azure_dns_zone", "DomainZone", "jupiterone-dev.com")},
                  .steps = {"ad-account", "rm-dns-record-sets"}};
    gov_case_run(&c, NULL, NULL, 0);
}

#define PRIVATE_ZONE "/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/Microsoft.Network/privateDnsZones/jupiterone-dev.com"

static void test_private_dns_zones(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-private-dns-zones"),
                  .hars = {AD_HAR, RM "private-dns/__recordings__/resource-manager-step-private-dns-zones_199134906/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "J1DEV")},
                  .steps = {"ad-account", "rm-private-dns-zones"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_private_dns_record_sets(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-private-dns-record-sets"),
                  .hars = {AD_HAR, RM "private-dns/__recordings__/resource-manager-step-private-dns-record-sets_3220285724/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED(PRIVATE_ZONE, "azure_private_dns_zone", "DomainZone",
                                "jupiterone-dev.com")},
                  .steps = {"ad-account", "rm-private-dns-record-sets"}};
    gov_case_run(&c, NULL, NULL, 0);
}

/* ---- container registry ----------------------------------------------------- */

#define REGISTRY "/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/Microsoft.ContainerRegistry/registries/ndowmon1j1dev"
#define WEBHOOKS_HAR RM "container-registry/__recordings__/resource-manager-step-container-registry-webhooks_891010703/recording.har"

static void test_container_registries(void **state)
{
    (void)state;
    gov_case c = {
        .expected = EXPECTED("rm-container-registries"),
        .hars = {AD_HAR, RM "container-registry/__recordings__/resource-manager-step-container-registries_2250806650/recording.har"},
        .subscription = SUB_8,
        .seed = {SEED_RG_EXACT(SUB_8, "j1dev"),
                 SEED("/subscriptions/" SUB_8 "/resourceGroups/j1dev/providers/Microsoft.Storage/"
                      "storageAccounts/keionnedj1dev",
                      "azure_storage_account", "Service", "keionnedj1dev")},
        .steps = {"ad-account", "rm-container-registries"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_container_registry_webhooks(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-container-registry-webhooks"),
                  .hars = {AD_HAR, WEBHOOKS_HAR},
                  .subscription = SUB_D,
                  .seed = {SEED(REGISTRY, "azure_container_registry", "DataStore", "ndowmon1j1dev")},
                  .steps = {"ad-account", "rm-container-registry-webhooks"}};
    gov_case_run(&c, NULL, NULL, 0);
}

/* ---- container instance ----------------------------------------------------- */

static void test_container_groups(void **state)
{
    (void)state;
    gov_case c = {
        .expected = EXPECTED("rm-container-groups"),
        .hars = {AD_HAR, RM "container-instance/__recordings__/resource-manager-step-container-groups_3996809593/recording.har"},
        .subscription = SUB_4,
        .seed = {SEED_RG_EXACT(SUB_4, "j1dev"),
                 SEED("/subscriptions/" SUB_4 "/resourceGroups/j1dev/providers/Microsoft.Storage/"
                      "storageAccounts/keionnedj1dev/fileServices/default/shares/j1dev",
                      "azure_storage_file_share", "DataStore", "j1dev"),
                 /* another account's share of the same name: not related */
                 SEED("/subscriptions/" SUB_4 "/resourceGroups/j1dev/providers/Microsoft.Storage/"
                      "storageAccounts/otheraccount/fileServices/default/shares/j1dev",
                      "azure_storage_file_share", "DataStore", "j1dev")},
        .steps = {"ad-account", "rm-container-groups"}};
    gov_case_run(&c, NULL, NULL, 0);
}

/* ---- service bus ------------------------------------------------------------ */

#define SB "service-bus/__recordings__/resource-manager-step-service-bus-"
#define NAMESPACE "/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/Microsoft.ServiceBus/namespaces/ndowmon1j1dev"

static void test_service_bus_namespaces(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-service-bus-namespaces"),
                  .hars = {AD_HAR, RM SB "namespaces_4034164300/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "J1DEV")},
                  .steps = {"ad-account", "rm-service-bus-namespaces"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_service_bus_queues(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-service-bus-queues"),
                  .hars = {AD_HAR, RM SB "queues_2589142572/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED(NAMESPACE, "azure_service_bus_namespace", "Service", "ndowmon1j1dev")},
                  .steps = {"ad-account", "rm-service-bus-queues"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_service_bus_topics(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-service-bus-topics"),
                  .hars = {AD_HAR, RM SB "topics_2901142508/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED(NAMESPACE, "azure_service_bus_namespace", "Service", "ndowmon1j1dev")},
                  .steps = {"ad-account", "rm-service-bus-topics"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_service_bus_subscriptions(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-service-bus-subscriptions"),
                  .hars = {AD_HAR, RM SB "subscriptions_3505050870/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED(NAMESPACE "/topics/j1dev-topic", "azure_service_bus_topic", "Queue",
                                "j1dev-topic")},
                  .steps = {"ad-account", "rm-service-bus-subscriptions"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static cJSON *read_golden(const char *folder)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/steps_rm_platform/golden/%s.json", AI_SOURCE_DIR, folder);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    assert_non_null(j);
    return j;
}

/* ---- redis cache ------------------------------------------------------------ */

#define REDIS "redis-cache/__recordings__/resource-manager-step-redis-"
#define CACHE(rg, name) "/subscriptions/" SUB_4 "/resourceGroups/" rg "/providers/Microsoft.Cache/Redis/" name
#define SEED_CACHE(rg, name) SEED(CACHE(rg, name), "azure_redis_cache", "DataStore", name)

static void test_redis_caches(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-redis-caches"),
                  .hars = {AD_HAR, RM REDIS "caches_687386006/recording.har"},
                  .subscription = SUB_4,
                  .seed = {SEED_RG_EXACT(SUB_4, "j1dev")},
                  .steps = {"ad-account", "rm-redis-caches"}};
    gov_case_run(&c, NULL, NULL, 0);
}

static void test_redis_firewall_rules(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-redis-firewall-rules"),
                  .hars = {AD_HAR, RM REDIS "firewall-rules_1967924207/recording.har"},
                  .subscription = SUB_4,
                  .seed = {SEED_CACHE("j1dev", "keionned-j1dev-redis-cache")},
                  .steps = {"ad-account", "rm-redis-firewall-rules"}};
    gov_case_run(&c, NULL, NULL, 0);
}

/* Both caches of the pair answer; one CONNECTS relationship, from the
 * primary, with the link's properties. */
static void test_redis_linked_servers(void **state)
{
    (void)state;
    gov_case c = {.expected = EXPECTED("rm-redis-linked-servers"),
                  .hars = {AD_HAR, RM REDIS "linked-servers_136758809/recording.har"},
                  .subscription = SUB_4,
                  .seed = {SEED_CACHE("j1dev", "keionned-j1dev-redis-cache"),
                           SEED_CACHE("j1dev", "keionned-j1dev-primary-redis-cache"),
                           SEED_CACHE("j1dev-secondary-redis-cache-resource-group",
                                      "keionned-j1dev-secondary-redis-cache")},
                  .steps = {"ad-account", "rm-redis-linked-servers"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_redis_cache_connects_cache"), 1);
    /* The link's properties are the reference's golden snapshot of them
     * (createRedisLinkedServerRelationshipProperties), webLink domain aside. */
    cJSON *golden = read_golden("redis-cache");
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(golden, "1");
    const cJSON *rel = NULL, *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(out, "relationships"))
    {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "_type")),
                   "azure_redis_cache_connects_cache") == 0)
            rel = r;
    }
    assert_non_null(want);
    assert_non_null(rel);
    const cJSON *p;
    int checked = 0;
    cJSON_ArrayForEach(p, want)
    {
        const char *got = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rel, p->string));
        assert_non_null(got);
        if (strcmp(p->string, "webLink") == 0) {
            const char *a = strstr(got, "/resource/"), *b = strstr(p->valuestring, "/resource/");
            assert_non_null(a);
            assert_non_null(b);
            assert_string_equal(a, b);
        } else {
            assert_string_equal(got, p->valuestring);
        }
        checked++;
    }
    assert_int_equal(checked, 9);
    cJSON_Delete(golden);
    cJSON_Delete(out);
}

/* ---- error policy ------------------------------------------------------------ */

/* 403 on a subscription-level list: the step fails and says what to grant. */
static void test_dns_zones_403_fails_step_with_permission(void **state)
{
    (void)state;
    char error[600] = "";
    gov_case c = {.hars = {AD_HAR, RM "dns/__recordings__/resource-manager-step-dns-zones_89672344/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "J1DEV")},
                  .faults = {{"/providers/Microsoft.Network/dnszones", 403,
                              "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"The client "
                              "does not have authorization to perform action "
                              "'Microsoft.Network/dnszones/read'\"}}"}},
                  .steps = {"ad-account", "rm-dns-zones"},
                  .failing_step = "rm-dns-zones"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "DNS zones"));
    assert_non_null(strstr(error, "403"));
    assert_non_null(strstr(error, "Reader"));
    assert_non_null(strstr(error, SUB_D));
    assert_int_equal(gov_graph_count(out, "entities", "azure_dns_zone"), 0);
    cJSON_Delete(out);
}

/* The provider is not registered in the subscription (Azure answers 409
 * MissingSubscriptionRegistration): nothing to ingest, the step succeeds. */
static void test_service_bus_provider_not_registered_is_empty(void **state)
{
    (void)state;
    gov_case c = {.hars = {AD_HAR, RM SB "namespaces_4034164300/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "J1DEV")},
                  .faults = {{"/providers/Microsoft.ServiceBus/namespaces", 409,
                              "{\"error\":{\"code\":\"MissingSubscriptionRegistration\",\"message\":"
                              "\"The subscription is not registered to use namespace "
                              "'Microsoft.ServiceBus'.\"}}"}},
                  .steps = {"ad-account", "rm-service-bus-namespaces"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_service_bus_namespace"), 0);
    cJSON_Delete(out);
}

/* The resource type is not offered where the subscription asks for it
 * (a region-specific 400): nothing to ingest there, the step succeeds. */
static void test_dns_zones_region_error_is_empty(void **state)
{
    (void)state;
    gov_case c = {.hars = {AD_HAR, RM "dns/__recordings__/resource-manager-step-dns-zones_89672344/recording.har"},
                  .subscription = SUB_D,
                  .seed = {SEED_RG(SUB_D, "J1DEV")},
                  .faults = {{"/providers/Microsoft.Network/dnszones", 400,
                              "{\"error\":{\"code\":\"LocationNotAvailableForResourceType\","
                              "\"message\":\"The provided location 'x' is not available for "
                              "resource type 'Microsoft.Network/dnszones'.\"}}"}},
                  .steps = {"ad-account", "rm-dns-zones"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_dns_zone"), 0);
    cJSON_Delete(out);
}

/* 403 on one registry's webhooks: that registry is skipped, the step
 * succeeds; the other registry's webhooks are kept. */
static void test_webhooks_403_skips_that_registry(void **state)
{
    (void)state;
    gov_case c = {.hars = {AD_HAR, WEBHOOKS_HAR},
                  .subscription = SUB_D,
                  .seed = {SEED(REGISTRY, "azure_container_registry", "DataStore", "ndowmon1j1dev"),
                           SEED("/subscriptions/" SUB_D "/resourceGroups/j1dev/providers/"
                                "Microsoft.ContainerRegistry/registries/locked",
                                "azure_container_registry", "DataStore", "locked")},
                  .faults = {{"/registries/locked/webhooks", 403,
                              "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no\"}}"}},
                  .steps = {"ad-account", "rm-container-registry-webhooks"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_container_registry_webhook"), 1);
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_container_registry_has_webhook"), 1);
    cJSON_Delete(out);
}

/* 403 on one resource group's list (a top-level list): the step fails
 * naming the collection, that group and the permission to grant, once the
 * other group's caches are stored and related. */
static void test_redis_caches_403_on_one_group_keeps_the_other(void **state)
{
    (void)state;
    char error[600] = "";
    gov_case c = {.hars = {AD_HAR, RM REDIS "caches_687386006/recording.har"},
                  .subscription = SUB_4,
                  .seed = {SEED_RG_EXACT(SUB_4, "j1dev"), SEED_RG_EXACT(SUB_4, "locked")},
                  .faults = {{"/resourceGroups/locked/providers/Microsoft.Cache/Redis", 403,
                              "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no\"}}"}},
                  .steps = {"ad-account", "rm-redis-caches"},
                  .failing_step = "rm-redis-caches"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "Redis caches"));
    assert_non_null(strstr(error, "resourceGroups/locked"));
    assert_non_null(strstr(error, "Reader"));
    assert_int_equal(gov_graph_count(out, "entities", "azure_redis_cache"), 1);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_resource_group_has_redis_cache"),
                     1);
    cJSON_Delete(out);
}

/* ---- generated tenant ------------------------------------------------------------ */

/* The generated tenant has no diagnostic settings (read by rm-subscriptions
 * and rm-container-registries). */
#define NO_DIAGNOSTIC_SETTINGS                                                                    \
    {"/diagnosticSettings", 404, "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"none\"}}"}

/* Many parents at once (ARM lists under every resource group and every
 * parent resource, fetched in parallel): everything stored and related. */
static void test_generated_dns_redis_containers(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 2, .resource_groups = 3, .resources = 40};
    gov_case c = {.tenant = &t,
                  .faults = {NO_DIAGNOSTIC_SETTINGS},
                  .steps = {"ad-account", "rm-subscriptions", "rm-resources-resource-groups",
                            "rm-dns-zones",
                            "rm-dns-record-sets", "rm-redis-caches", "rm-redis-firewall-rules",
                            "rm-container-groups"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_dns_zone"), 80);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_resource_group_has_dns_zone"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_dns_record_set"), 80);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_dns_zone_has_record_set"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_redis_cache"), 80);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_resource_group_has_redis_cache"),
                     80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_firewall_rule"), 80);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_redis_cache_has_firewall_rule"),
                     80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_container_group"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_container"), 160);
    assert_int_equal(gov_graph_count(out, "entities", "azure_container_volume"), 80);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_container_group_has_container"),
                     160);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_container_group_has_volume"), 80);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_container_uses_volume"), 80);
    cJSON_Delete(out);
}

static void test_generated_registries_service_bus_private_dns(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 2, .resource_groups = 3, .resources = 40};
    gov_case c = {.tenant = &t,
                  .faults = {NO_DIAGNOSTIC_SETTINGS},
                  .steps = {"ad-account", "rm-subscriptions", "rm-resources-resource-groups",
                            "rm-container-registries", "rm-container-registry-webhooks",
                            "rm-service-bus-namespaces", "rm-service-bus-queues",
                            "rm-service-bus-topics"}};
    cJSON *out = NULL;
    gov_case_run(&c, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_container_registry"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_container_registry_webhook"), 80);
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_container_registry_has_webhook"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_service_bus_namespace"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_service_bus_queue"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_service_bus_topic"), 80);
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_service_bus_namespace_has_topic"), 80);
    cJSON_Delete(out);
    gov_case p = {.tenant = &t,
                  .faults = {NO_DIAGNOSTIC_SETTINGS},
                  .steps = {"ad-account", "rm-subscriptions", "rm-resources-resource-groups",
                            "rm-private-dns-zones", "rm-private-dns-record-sets"}};
    gov_case_run(&p, &out, NULL, 0);
    assert_int_equal(gov_graph_count(out, "entities", "azure_private_dns_zone"), 80);
    assert_int_equal(gov_graph_count(out, "entities", "azure_private_dns_record_set"), 80);
    assert_int_equal(
        gov_graph_count(out, "relationships", "azure_private_dns_zone_has_record_set"), 80);
    cJSON_Delete(out);
}

/* A 403 on one subscription's list: the step fails naming that
 * subscription, and the other subscription's zones (listed in parallel)
 * are stored all the same. */
static void test_generated_403_on_one_subscription_keeps_the_other(void **state)
{
    (void)state;
    fake_azure_tenant t = {.subscriptions = 2, .resource_groups = 3, .resources = 40};
    char error[600] = "";
    gov_case c = {.tenant = &t,
                  .faults = {NO_DIAGNOSTIC_SETTINGS,
                             {"/subscriptions/00000004-0000-4000-8000-000000000001/providers/"
                              "Microsoft.Network/dnszones",
                              403, "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no\"}}"}},
                  .steps = {"ad-account", "rm-subscriptions", "rm-resources-resource-groups",
                            "rm-dns-zones"},
                  .failing_step = "rm-dns-zones"};
    cJSON *out = NULL;
    gov_case_run(&c, &out, error, sizeof error);
    assert_non_null(strstr(error, "00000004-0000-4000-8000-000000000001"));
    assert_non_null(strstr(error, "Reader"));
    assert_int_equal(gov_graph_count(out, "entities", "azure_dns_zone"), 40);
    assert_int_equal(gov_graph_count(out, "relationships", "azure_resource_group_has_dns_zone"), 40);
    cJSON_Delete(out);
}

/* ---- the step table ------------------------------------------------------------ */

typedef struct step_expect {
    const char *id;
    const char *name;
    const char *deps[4];
} step_expect;

/* The reference's ids, names and dependsOn (index.ts of each folder). */
static const step_expect reference_steps[] = {
    {"rm-dns-zones", "DNS Zones", {"ad-account", "rm-resources-resource-groups"}},
    {"rm-dns-record-sets", "DNS Record Sets", {"ad-account", "rm-dns-zones"}},
    {"rm-private-dns-zones", "Private DNS Zones", {"ad-account", "rm-resources-resource-groups"}},
    {"rm-private-dns-record-sets", "Private DNS Record Sets", {"ad-account", "rm-private-dns-zones"}},
    {"rm-container-registries", "Container Registries",
     {"ad-account", "rm-resources-resource-groups"}},
    {"rm-container-registry-webhooks", "Container Registry Webhooks",
     {"ad-account", "rm-container-registries"}},
    /* + rm-storage-file-shares: ours, so that volume USES file share is
     * deterministic (see steps/container_instance.c) */
    {"rm-container-groups", "Container Groups",
     {"ad-account", "rm-resources-resource-groups", "rm-storage-resources",
      "rm-storage-file-shares"}},
    {"rm-service-bus-namespaces", "Service Bus Namespaces",
     {"ad-account", "rm-resources-resource-groups"}},
    {"rm-service-bus-queues", "Service Bus Queues", {"ad-account", "rm-service-bus-namespaces"}},
    {"rm-service-bus-topics", "Service Bus Topics", {"ad-account", "rm-service-bus-namespaces"}},
    {"rm-service-bus-subscriptions", "Service Bus Topic Subscriptions",
     {"ad-account", "rm-service-bus-topics"}},
    {"rm-redis-caches", "Redis Caches", {"ad-account", "rm-resources-resource-groups"}},
    {"rm-redis-firewall-rules", "Redis Firewall Rules", {"ad-account", "rm-redis-caches"}},
    {"rm-redis-linked-servers", "Redis Linked Servers", {"ad-account", "rm-redis-caches"}},
};

static void test_step_table_matches_reference(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof reference_steps / sizeof reference_steps[0]; i++) {
        const step_expect *x = &reference_steps[i];
        const step_def *s = registry_find(x->id);
        if (!s)
            fail_msg("step %s is not in the registry", x->id);
        assert_string_equal(s->name, x->name);
        assert_int_equal(s->enabled_when, STEP_IF_RESOURCE_MANAGER);
        size_t n = 0;
        for (; n < STEP_MAX_DEPS && s->depends_on[n]; n++) {
            assert_true(n < 4 && x->deps[n]);
            assert_string_equal(s->depends_on[n], x->deps[n]);
        }
        assert_true(n == 4 || !x->deps[n]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dns_zones),
        cmocka_unit_test(test_dns_record_sets),
        cmocka_unit_test(test_private_dns_zones),
        cmocka_unit_test(test_private_dns_record_sets),
        cmocka_unit_test(test_container_registries),
        cmocka_unit_test(test_container_registry_webhooks),
        cmocka_unit_test(test_container_groups),
        cmocka_unit_test(test_service_bus_namespaces),
        cmocka_unit_test(test_service_bus_queues),
        cmocka_unit_test(test_service_bus_topics),
        cmocka_unit_test(test_service_bus_subscriptions),
        cmocka_unit_test(test_redis_caches),
        cmocka_unit_test(test_redis_firewall_rules),
        cmocka_unit_test(test_redis_linked_servers),
        cmocka_unit_test(test_dns_zones_403_fails_step_with_permission),
        cmocka_unit_test(test_service_bus_provider_not_registered_is_empty),
        cmocka_unit_test(test_dns_zones_region_error_is_empty),
        cmocka_unit_test(test_webhooks_403_skips_that_registry),
        cmocka_unit_test(test_redis_caches_403_on_one_group_keeps_the_other),
        cmocka_unit_test(test_generated_dns_redis_containers),
        cmocka_unit_test(test_generated_registries_service_bus_private_dns),
        cmocka_unit_test(test_generated_403_on_one_subscription_keeps_the_other),
        cmocka_unit_test(test_step_table_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
